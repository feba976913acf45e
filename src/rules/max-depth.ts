// max-depth: the organization's own nesting limit, stricter than GitHub's (which platform-limits enforces).
// Deep chains are hard to review, and every level is more code running with the caller's secrets and token.
import type { Rule } from '../engine/types.js';
import type { CallGraph, GraphEdge, NodeKey, RootStats } from '../graph/types.js';
import { chainMentions } from './describe.js';

export interface LongestChain {
  /** The calls from the root down the longest chain; its length plus one is the chain's levels. */
  edges: GraphEdge[];
  /** True when it ends in a call not followed because of GitHub's level limit: the real chain is longer. */
  truncated: boolean;
}

function edgeIdentity(edge: GraphEdge): string {
  return `${edge.from}\n${edge.jobId}`;
}

/**
 * The longest chain of a root's tree, with RootStats' semantics: calls into the tree count, a call cut at
 * the level limit counts as one more level, and loops are not followed (platform-limits reports them).
 * Memoized per node, so it stays linear in the tree's calls.
 */
export function longestChain(graph: CallGraph, stats: RootStats): LongestChain {
  const inTree = new Set(stats.nodes);
  const levelCuts = new Set(stats.cuts.filter((cut) => cut.reason === 'max-levels').map((cut) => edgeIdentity(cut.edge)));
  const outgoing = new Map<NodeKey, GraphEdge[]>();
  for (const edge of graph.edges) {
    // Levels are reusable workflows: the actions their steps run add none.
    if (edge.kind !== 'workflow' || !inTree.has(edge.from)) continue;
    const list = outgoing.get(edge.from);
    if (list) list.push(edge);
    else outgoing.set(edge.from, [edge]);
  }
  const best = new Map<NodeKey, GraphEdge[]>();
  const onPath = new Set<NodeKey>();
  const below = (key: NodeKey): GraphEdge[] => {
    const known = best.get(key);
    if (known) return known;
    onPath.add(key);
    let longest: GraphEdge[] = [];
    for (const edge of outgoing.get(key) ?? []) {
      const followed = edge.to !== undefined && inTree.has(edge.to) && !onPath.has(edge.to);
      const candidate = levelCuts.has(edgeIdentity(edge)) ? [edge] : followed && edge.to ? [edge, ...below(edge.to)] : [];
      if (candidate.length > longest.length) longest = candidate;
    }
    onPath.delete(key);
    best.set(key, longest);
    return longest;
  };
  const edges = below(stats.root);
  const last = edges.at(-1);
  return { edges, truncated: last !== undefined && levelCuts.has(edgeIdentity(last)) };
}

export const MaxDepthRule: Rule<'max-depth'> = {
  meta: {
    id: 'max-depth',
    description: 'Chains of reusable workflows stay within the policy\'s number of levels.',
    docs:
      '`levels` is the most connected workflow levels a top-level file may reach, counting the file itself ' +
      '(caller → A → B is 3 levels). Deep chains are hard to review, and each level is more code running with the ' +
      'caller\'s secrets and token. Reported once per top-level file, at the first call of its longest chain, with ' +
      'that chain. Without `levels` the rule is silent: GitHub\'s own limit is enforced by platform-limits.',
    fixable: false,
  },

  checkRoot(context, root) {
    const limit = context.settings.levels;
    const stats = context.graph.stats.get(root.key);
    if (limit === undefined || !stats || stats.levels <= limit) return;
    const chain = longestChain(context.graph, stats);
    const first = chain.edges[0];
    if (!first) return;
    const levels = `${chain.truncated ? 'at least ' : ''}${stats.levels}`;
    context.report({
      message:
        `${first.uses.raw} leads to a chain of ${levels} connected workflow levels (counting this file), above the policy's limit of ${limit} ` +
        '(rules.max-depth.levels): each level is more code to review that runs with the caller\'s secrets and token.',
      location: { node: root.key, jobId: first.jobId, key: 'uses' },
      chain: chain.edges,
      mentions: chainMentions(context.graph, chain.edges),
    });
  },
};
