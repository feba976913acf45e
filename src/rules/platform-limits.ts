// platform-limits: what GitHub itself refuses to run. Levels and unique reusable workflows are counted per
// top-level file (limits per host, overridable in the policy), and loops are never allowed. Always errors:
// GitHub would fail these runs whatever the policy says.
import type { Rule, RuleContext } from '../engine/types.js';
import type { CallGraph, GraphEdge, GraphNode, NodeKey, PlatformLimits, RootStats } from '../graph/types.js';
import { longestChain } from './max-depth.js';
import { COMPOSITE_ACTION_MAX_DEPTH } from '../graph/limits.js';
import { chainMentions, usesLocation, workflowLabel } from './describe.js';

type LimitsContext = RuleContext<'platform-limits'>;

/** Which limit applies and where it comes from: the policy's `platform` override, or GitHub on this host. */
function limitText(context: LimitsContext, limit: number, overrideKey: 'max-levels' | 'max-unique', overridden: boolean): string {
  return overridden ? `the limit of ${limit} set by platform.${overrideKey}` : `GitHub's limit of ${limit} on ${context.graph.host}`;
}

function checkLevels(context: LimitsContext, root: GraphNode, stats: RootStats, limits: PlatformLimits): void {
  if (stats.levels <= limits.maxLevels) return;
  const chain = longestChain(context.graph, stats);
  const first = chain.edges[0];
  if (!first) return;
  const limit = limitText(context, limits.maxLevels, 'max-levels', context.policy.platform.maxLevels !== undefined);
  const unread = stats.cuts.some((cut) => cut.reason === 'max-levels')
    ? ` The workflows below level ${limits.maxLevels} were not read, so they were not checked.`
    : '';
  context.report({
    severity: 'error',
    message:
      `${first.uses.raw} leads to a chain of ${chain.truncated ? 'at least ' : ''}${stats.levels} workflow levels (counting this file), ` +
      `above ${limit}: GitHub would fail the run.${unread}`,
    location: { node: root.key, jobId: first.jobId, key: 'uses' },
    chain: chain.edges,
    mentions: chainMentions(context.graph, chain.edges),
  });
}

function checkUnique(context: LimitsContext, root: GraphNode, stats: RootStats, limits: PlatformLimits): void {
  if (stats.unique <= limits.maxUnique) return;
  const limit = limitText(context, limits.maxUnique, 'max-unique', context.policy.platform.maxUnique !== undefined);
  const cut = stats.cuts.some((entry) => entry.reason === 'max-unique');
  context.report({
    severity: 'error',
    message:
      `${workflowLabel(root)} calls ${cut ? 'at least ' : ''}${stats.unique} unique reusable workflows across its whole call graph, ` +
      `above ${limit}: GitHub would fail the run.${cut ? ' The workflows past the limit were not read, so they were not checked.' : ''}`,
    location: { node: root.key },
    chain: [],
    mentions: [root.address.repo],
  });
}

/** The shortest chain from the root to `target` within the root's tree. */
function chainTo(graph: CallGraph, stats: RootStats, target: NodeKey): GraphEdge[] | undefined {
  const inTree = new Set(stats.nodes);
  const chains = new Map<NodeKey, GraphEdge[]>([[stats.root, []]]);
  const queue: NodeKey[] = [stats.root];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const chain = chains.get(next) ?? [];
    if (next === target) return chain;
    for (const edge of graph.edges) {
      if (edge.from !== next || edge.to === undefined || !inTree.has(edge.to) || chains.has(edge.to)) continue;
      chains.set(edge.to, [...chain, edge]);
      queue.push(edge.to);
    }
  }
  return undefined;
}

/** The calls around a loop (`[a, b, a]` → a's call of b, b's call of a). */
function loopEdges(graph: CallGraph, loop: NodeKey[]): GraphEdge[] | undefined {
  const edges: GraphEdge[] = [];
  for (let index = 1; index < loop.length; index += 1) {
    const edge = graph.edges.find((candidate) => candidate.from === loop[index - 1] && candidate.to === loop[index]);
    if (!edge) return undefined;
    edges.push(edge);
  }
  return edges;
}

/** The runner refuses composite actions nested deeper than its limit, whatever the host. */
function checkCompositeDepth(context: LimitsContext, root: GraphNode, stats: RootStats): void {
  if (stats.compositeDepth <= COMPOSITE_ACTION_MAX_DEPTH) return;
  const composites = stats.nodes.filter((key) => context.graph.nodes.get(key)?.action?.runs?.using === 'composite');
  const chains = composites.map((key) => chainTo(context.graph, stats, key) ?? []);
  const chain = chains.reduce((longest, each) => (actionsIn(each) > actionsIn(longest) ? each : longest), []);
  const first = chain[0];
  if (!first) return;
  const cut = stats.cuts.some((entry) => entry.reason === 'max-composite-depth');
  context.report({
    severity: 'error',
    message:
      `${first.uses.raw} leads to composite actions nested ${cut ? 'at least ' : ''}${stats.compositeDepth} deep, above the Actions runner's limit of ${COMPOSITE_ACTION_MAX_DEPTH}: ` +
      `the job fails when it reaches them.${cut ? ' The actions below the limit were not read, so they were not checked.' : ''}`,
    location: usesLocation({ caller: root, edge: first }),
    chain,
    mentions: chainMentions(context.graph, chain),
  });
}

function actionsIn(chain: readonly GraphEdge[]): number {
  return chain.filter((edge) => edge.kind === 'action').length;
}

function reportLoop(context: LimitsContext, root: GraphNode, stats: RootStats, loop: NodeKey[]): void {
  const start = loop[0];
  const prefix = start === undefined ? undefined : chainTo(context.graph, stats, start);
  const cycle = loopEdges(context.graph, loop);
  const first = prefix?.[0] ?? cycle?.[0];
  if (!prefix || !cycle || !first) return;
  const chain = [...prefix, ...cycle];
  // Each workflow of the loop named by the loop's own call into it, so the first and last names agree.
  const names = loop.map((key, index) => {
    const node = context.graph.nodes.get(key);
    return node ? workflowLabel(node, cycle[(index + cycle.length - 1) % cycle.length]) : key;
  });
  const actions = cycle[0]?.kind === 'action';
  context.report({
    severity: 'error',
    message:
      `${first.uses.raw} leads into a loop: ${names.join(' → ')}. ` +
      (actions
        ? `A composite action that runs itself, directly or through others, nests until the Actions runner's limit of ${COMPOSITE_ACTION_MAX_DEPTH} and fails the job.`
        : 'GitHub does not allow a reusable workflow to call itself, directly or through others, and fails the run.'),
    location: usesLocation({ caller: root, edge: first }),
    chain,
    mentions: chainMentions(context.graph, chain),
  });
}

export const PlatformLimitsRule: Rule<'platform-limits'> = {
  meta: {
    id: 'platform-limits',
    description: 'Call graphs stay within GitHub\'s own limits: nesting levels, unique reusable workflows, composite-action nesting, no loops.',
    docs:
      'GitHub fails a run whose top-level workflow reaches more connected levels (counting itself) or more unique ' +
      'reusable workflows (its whole nested tree) than the host allows: 10 and 50 on github.com and GHE.com, 4 and ' +
      '20 on GitHub Enterprise Server, or the policy\'s `platform` figures. A workflow calling itself, directly or ' +
      'through others, fails as well. Beyond a limit the app stops reading, so those workflows are not checked. ' +
      'Always errors, never waived by an exception.',
    fixable: false,
  },

  checkRoot(context, root) {
    const stats = context.graph.stats.get(root.key);
    if (!stats) return;
    const limits = context.graph.limits;
    checkLevels(context, root, stats, limits);
    checkUnique(context, root, stats, limits);
    checkCompositeDepth(context, root, stats);
    for (const loop of stats.loops) reportLoop(context, root, stats, loop);
  },
};
