// Runs every enabled rule over every top-level file's tree, applies the policy's exceptions and decides
// the conclusion. Pure: the graph and the online facts are gathered before.
import type { CallGraph, GraphEdge, GraphNode, NodeKey, RepoMetadata, Visibility } from '../graph/types.js';
import { repoFullName, repoKey } from '../graph/types.js';
import { compilePatterns } from '../policy/patterns.js';
import type { Policy, PolicyException } from '../policy/types.js';
import { formatUses } from '../workflow/uses.js';
import type {
  ActionVisit,
  AnyRule,
  CallerImpactFacts,
  EdgeVisit,
  Evaluation,
  ExceptionUse,
  Finding,
  RefFacts,
  Rule,
  RuleContext,
} from './types.js';

export interface EvaluationInput {
  graph: CallGraph;
  policy: Policy;
  repository: RepoMetadata;
  refFacts?: Map<string, RefFacts>;
  impact?: CallerImpactFacts;
  now: Date;
}

/**
 * The call a finding is about (the last call of its chain), as patterns see it: `owner/repo/path@ref` for a reusable
 * workflow, `owner/repo[/path]@ref` for an action. Same-repository and container references have none.
 */
export function findingTarget(finding: Finding): string | undefined {
  const reference = finding.chain.at(-1)?.uses.reference;
  return reference?.kind === 'remote-workflow' || reference?.kind === 'action' ? formatUses(reference) : undefined;
}

/** Findings alike in rule, root, place and message are one: a rule may reach the same call by two paths. */
function sameFinding(a: Finding, b: Finding): boolean {
  const [x, y] = [a.location, b.location];
  const [r, q] = [x.range, y.range];
  const sameRange =
    r === q ||
    (r !== undefined && q !== undefined && r.start.line === q.start.line && r.start.column === q.start.column && r.end.line === q.end.line && r.end.column === q.end.column);
  return a.ruleId === b.ruleId && a.root === b.root && x.node === y.node && x.jobId === y.jobId && x.key === y.key && x.name === y.name && x.step === y.step && sameRange;
}

/** Findings by message (nearly always one each), so a repeat is found without building a key per finding. */
class FindingSet {
  readonly list: Finding[] = [];
  private readonly byMessage = new Map<string, Finding[]>();

  add(finding: Finding): void {
    const alike = this.byMessage.get(finding.message);
    if (alike?.some((known) => sameFinding(known, finding))) return;
    if (alike) alike.push(finding);
    else this.byMessage.set(finding.message, [finding]);
    this.list.push(finding);
  }
}

/** `YYYY-MM-DD` of `now` in UTC: an exception expiring today still applies today. */
function today(now: Date): string {
  return now.toISOString().slice(0, 10);
}

export function evaluatePolicy(input: EvaluationInput, rules: readonly AnyRule[]): Evaluation {
  const findings = new FindingSet();
  for (const rootKey of input.graph.roots) {
    const root = input.graph.nodes.get(rootKey);
    if (!root) continue;
    const tree = walkTree(input.graph, rootKey);
    const visits = visitsOf(input.graph, root, tree);
    for (const rule of rules) {
      const settings = input.policy.rules[rule.meta.id];
      if (settings.severity === 'off') continue;
      const context: RuleContext = {
        graph: input.graph,
        policy: input.policy,
        settings,
        repository: input.repository,
        refFacts: input.refFacts ?? new Map(),
        ...(input.impact && { impact: input.impact }),
        now: input.now,
        report: (finding) => {
          findings.add({ ...finding, ruleId: rule.meta.id, severity: finding.severity ?? (settings.severity === 'warning' ? 'warning' : 'error'), root: rootKey });
        },
      };
      runRule(rule, context, root, tree, visits);
    }
  }
  return applyExceptions(findings.list, input);
}

interface Visits {
  calls: EdgeVisit[];
  actions: ActionVisit[];
}

/** Every call and action of a root's tree as the rules see it, built once for all rules. */
function visitsOf(graph: CallGraph, root: GraphNode, tree: TreeWalk): Visits {
  const visits: Visits = { calls: [], actions: [] };
  const visibility = (node: GraphNode) => visibilityOf(graph, node);
  for (const { edge, chain } of tree.edges) {
    const caller = graph.nodes.get(edge.from);
    if (!caller) continue;
    const callee = edge.to ? graph.nodes.get(edge.to) : undefined;
    const callerJob = edge.jobId === undefined ? undefined : caller.workflow?.jobs.find((job) => job.id === edge.jobId);
    if (edge.kind === 'workflow') {
      if (callerJob) visits.calls.push({ root, caller, chain, visibilityOf: visibility, edge, callerJob, ...(callee && { callee }) });
    } else {
      visits.actions.push({ root, caller, chain, visibilityOf: visibility, edge, ...(callerJob && { callerJob }), ...(callee && { callee }) });
    }
  }
  return visits;
}

/** Calls TypeScript cannot correlate across the rule union go through here, once. */
function runRule(rule: AnyRule, context: RuleContext, root: GraphNode, tree: TreeWalk, visits: Visits): void {
  const typed = rule as Rule;
  typed.checkRoot?.(context, root);
  for (const { node, chain } of tree.nodes) typed.checkNode?.(context, node, root, chain);
  if (typed.checkEdge) for (const visit of visits.calls) typed.checkEdge(context, visit);
  if (typed.checkAction) for (const visit of visits.actions) typed.checkAction(context, visit);
}

function visibilityOf(graph: CallGraph, node: GraphNode): Visibility | undefined {
  const metadata = graph.repos.get(repoKey(node.address.repo));
  return metadata && 'visibility' in metadata ? metadata.visibility : undefined;
}

interface TreeWalk {
  nodes: { node: GraphNode; chain: GraphEdge[] }[];
  edges: { edge: GraphEdge; chain: GraphEdge[] }[];
}

/** Breadth-first from the root: every workflow, action and call of its tree once, each with its shortest chain. */
function walkTree(graph: CallGraph, rootKey: NodeKey): TreeWalk {
  const outgoing = new Map<NodeKey, GraphEdge[]>();
  for (const edge of graph.edges) {
    const list = outgoing.get(edge.from);
    if (list) list.push(edge);
    else outgoing.set(edge.from, [edge]);
  }
  const chains = new Map<NodeKey, GraphEdge[]>([[rootKey, []]]);
  const walk: TreeWalk = { nodes: [], edges: [] };
  const queue: NodeKey[] = [rootKey];
  const inTree = new Set(graph.stats.get(rootKey)?.nodes ?? [rootKey]);
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const node = graph.nodes.get(next);
    const chain = chains.get(next) ?? [];
    if (!node) continue;
    walk.nodes.push({ node, chain });
    for (const edge of outgoing.get(next) ?? []) {
      walk.edges.push({ edge, chain: [...chain, edge] });
      if (edge.to && inTree.has(edge.to) && !chains.has(edge.to)) {
        chains.set(edge.to, [...chain, edge]);
        queue.push(edge.to);
      }
    }
  }
  return walk;
}

function applyExceptions(findings: Finding[], input: EvaluationInput): Evaluation {
  const date = today(input.now);
  const repository = repoFullName(input.repository.repo);
  const active: { exception: PolicyException; uses: ReturnType<typeof compilePatterns>; use: ExceptionUse }[] = [];
  const exceptionsExpired: Evaluation['exceptionsExpired'] = [];
  for (const exception of input.policy.exceptions) {
    const summary = { ...exception.location, uses: exception.uses, reason: exception.reason };
    if (exception.expires !== undefined && exception.expires < date) {
      exceptionsExpired.push({ ...summary, expires: exception.expires });
      continue;
    }
    if (exception.repos && !compilePatterns(exception.repos).matches(repository)) continue;
    active.push({ exception, uses: compilePatterns([exception.uses]), use: { exception: summary, waived: [] } });
  }
  const kept: Finding[] = [];
  for (const finding of findings) {
    const candidates = active.filter(({ exception }) => (exception.rules as string[]).includes(finding.ruleId));
    const target = candidates.length === 0 ? undefined : findingTarget(finding);
    const waiver = target === undefined ? undefined : candidates.find(({ uses }) => uses.matches(target));
    if (waiver) waiver.use.waived.push(finding);
    else kept.push(finding);
  }
  return {
    findings: kept,
    exceptionsUsed: active.filter(({ use }) => use.waived.length > 0).map(({ use }) => use),
    exceptionsExpired,
    conclusion: conclude(kept, input.policy),
  };
}

function conclude(findings: Finding[], policy: Policy): Evaluation['conclusion'] {
  if (policy.enforcement === 'off' || findings.length === 0) return 'success';
  const errors = findings.some((finding) => finding.severity === 'error');
  return errors && policy.enforcement === 'block' ? 'failure' : 'neutral';
}
