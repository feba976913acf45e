// Rule `permissions`: "GITHUB_TOKEN permissions can only be the same or more restrictive in nested
// workflows" (Reusable workflows reference, "Access and permissions for nested workflows"). A called
// workflow whose `permissions` (workflow level or any job) ask for more than its caller grants fails
// the run.
//
// The grant a calling job passes down is its own `permissions`, else its workflow's, else what that
// workflow was itself granted; along a chain the grant is the meet of every level's. A top-level file
// that sets neither passes the repository's default, which the app cannot know: unbounded, nothing to
// report until a level below sets a bound. The same workflow reached through several chains must fit every
// grant among them, that is their meet: computed once per workflow over the tree's DAG (`grantFlow`), never per
// chain or per distinct grant, whose number grows exponentially with the depth.
import type { Finding, Fix, Rule, RuleContext } from '../engine/types.js';
import type { CallGraph, GraphNode, NodeKey, WorkflowCall } from '../graph/types.js';
import type { Job, PermissionLevel, Permissions, Workflow } from '../workflow/model.js';
import { chainMentions, describeCall, listText, workflowLabel } from './describe.js';

// ---- The lattice ------------------------------------------------------------------------------------

const RANK: Readonly<Record<PermissionLevel, number>> = { none: 0, read: 1, write: 2 };
const ALL_LEVELS: readonly PermissionLevel[] = ['none', 'read', 'write'];

/**
 * GitHub's GITHUB_TOKEN scopes and the levels each accepts ("Defining access for the GITHUB_TOKEN
 * scopes": `id-token: write|none`, `models: read|none`, `vulnerability-alerts: read|none`, the others
 * `read|write|none`; `write` includes `read`). Scopes not listed here are kept as written and compared
 * on none < read < write.
 */
export const PERMISSION_SCOPES: ReadonlyMap<string, readonly PermissionLevel[]> = new Map([
  ['actions', ALL_LEVELS],
  ['artifact-metadata', ALL_LEVELS],
  ['attestations', ALL_LEVELS],
  ['checks', ALL_LEVELS],
  ['code-quality', ALL_LEVELS],
  ['contents', ALL_LEVELS],
  ['deployments', ALL_LEVELS],
  ['discussions', ALL_LEVELS],
  ['id-token', ['none', 'write']],
  ['issues', ALL_LEVELS],
  ['models', ['none', 'read']],
  ['packages', ALL_LEVELS],
  ['pages', ALL_LEVELS],
  ['pull-requests', ALL_LEVELS],
  ['repository-projects', ALL_LEVELS],
  ['security-events', ALL_LEVELS],
  ['statuses', ALL_LEVELS],
  ['vulnerability-alerts', ['none', 'read']],
]);

/**
 * A set of GITHUB_TOKEN permissions: levels of named scopes, and one level for every other scope
 * (`none` for a map — "all of those that are not specified are set to none" —, `read` for read-all,
 * `write` for write-all), capped per scope at the highest level the scope accepts.
 */
export interface PermissionSet {
  scopes: ReadonlyMap<string, PermissionLevel>;
  rest: PermissionLevel;
}

/** One scope a request asks more of than a grant gives. */
export interface PermissionExcess {
  scope: string;
  requested: PermissionLevel;
  granted: PermissionLevel;
}

export function parsePermissions(permissions: Permissions): PermissionSet {
  switch (permissions.kind) {
    case 'read-all':
      return { scopes: new Map(), rest: 'read' };
    case 'write-all':
      return { scopes: new Map(), rest: 'write' };
    case 'map':
      return { scopes: new Map(Object.entries(permissions.scopes).map(([scope, level]) => [scope, level.value])), rest: 'none' };
  }
}

/** The highest level at most `level` that `scope` accepts (read-all gives id-token none, write-all gives models read). */
function capped(scope: string, level: PermissionLevel): PermissionLevel {
  const accepted = PERMISSION_SCOPES.get(scope) ?? ALL_LEVELS;
  return [...accepted].reverse().find((each) => RANK[each] <= RANK[level]) ?? 'none';
}

/** The lowest level `scope` accepts that is at least `level`, else its highest (`id-token: read` → write). */
function acceptedAtLeast(scope: string, level: PermissionLevel): PermissionLevel {
  const accepted = PERMISSION_SCOPES.get(scope) ?? ALL_LEVELS;
  return accepted.find((each) => RANK[each] >= RANK[level]) ?? accepted.at(-1) ?? level;
}

/** Whether any grant can give `level` of `scope` (no workflow can be granted `models: write`). */
export function isGrantable(scope: string, level: PermissionLevel): boolean {
  return compareLevels(capped(scope, 'write'), level) >= 0;
}

export function permissionLevel(set: PermissionSet, scope: string): PermissionLevel {
  return set.scopes.get(scope) ?? capped(scope, set.rest);
}

/** Negative, zero or positive as `a` is below, equal to or above `b`. */
export function compareLevels(a: PermissionLevel, b: PermissionLevel): number {
  return RANK[a] - RANK[b];
}

function combine(a: PermissionSet, b: PermissionSet, pick: (x: PermissionLevel, y: PermissionLevel) => PermissionLevel): PermissionSet {
  const scopes = new Map<string, PermissionLevel>();
  for (const scope of new Set([...a.scopes.keys(), ...b.scopes.keys()])) {
    scopes.set(scope, pick(permissionLevel(a, scope), permissionLevel(b, scope)));
  }
  return { scopes, rest: pick(a.rest, b.rest) };
}

/** The greatest set below both: what a token keeps after passing through both grants. */
export function meetPermissions(a: PermissionSet, b: PermissionSet): PermissionSet {
  return combine(a, b, (x, y) => (compareLevels(x, y) <= 0 ? x : y));
}

/** The least set above both: a grant that satisfies both requests. */
export function joinPermissions(a: PermissionSet, b: PermissionSet): PermissionSet {
  return combine(a, b, (x, y) => (compareLevels(x, y) >= 0 ? x : y));
}

/** The scopes `requested` asks more of than `granted` gives; empty when the request fits the grant. */
export function comparePermissions(requested: PermissionSet, granted: PermissionSet): PermissionExcess[] {
  const scopes = new Set([...requested.scopes.keys(), ...granted.scopes.keys()]);
  if (requested.rest !== 'none') for (const scope of PERMISSION_SCOPES.keys()) scopes.add(scope);
  return orderScopes(scopes).flatMap((scope) => {
    const excess = { scope, requested: permissionLevel(requested, scope), granted: permissionLevel(granted, scope) };
    return compareLevels(excess.requested, excess.granted) > 0 ? [excess] : [];
  });
}

/**
 * The `permissions:` block granting at least `set`, as GitHub accepts it: each level raised to one its
 * scope accepts (or capped at the scope's highest), scopes at `none` left out (unlisted scopes are none).
 */
export function permissionBlock(set: PermissionSet): Record<string, PermissionLevel> {
  const scopes = new Set(set.scopes.keys());
  if (set.rest !== 'none') for (const scope of PERMISSION_SCOPES.keys()) scopes.add(scope);
  const entries = orderScopes(scopes).map((scope) => [scope, acceptedAtLeast(scope, permissionLevel(set, scope))] as const);
  return Object.fromEntries(entries.filter(([, level]) => level !== 'none'));
}

/**
 * A set as a workflow would write it: `read-all`, `contents: read, packages: write`, or `{}`; with `limit`, at most
 * that many scopes named and the rest counted (`…, and 3 more`).
 */
export function formatPermissions(set: PermissionSet, limit = Infinity): string {
  const named = orderScopes(new Set(set.scopes.keys()))
    .filter((scope) => permissionLevel(set, scope) !== capped(scope, set.rest))
    .map((scope) => `${scope}: ${permissionLevel(set, scope)}`);
  if (set.rest === 'none') return named.length > 0 ? atMost(named, limit).join(', ') : '{}';
  return [`${set.rest}-all`, ...atMost(named, limit)].join(', ');
}

/** The first `limit` items, then `and N more` for the others: hostile input must not bloat a check run. */
function atMost(items: readonly string[], limit: number): string[] {
  return items.length <= limit ? [...items] : [...items.slice(0, limit), `and ${items.length - limit} more`];
}

/** GitHub's scopes in the docs' order, then other scopes alphabetically. */
function orderScopes(scopes: ReadonlySet<string>): string[] {
  const known = [...PERMISSION_SCOPES.keys()].filter((scope) => scopes.has(scope));
  const other = [...scopes].filter((scope) => !PERMISSION_SCOPES.has(scope)).sort();
  return [...known, ...other];
}


// ---- The rule -------------------------------------------------------------------------------------

/** Unknown scope names (not GitHub's) whose grants the rule follows per top-level file; see `ScopeNames`. */
export const MAX_UNKNOWN_SCOPES = 50;
/** Scopes one message lists at most; the others are counted. */
const MAX_LISTED_SCOPES = 10;

type Context = RuleContext<'permissions'>;
/** A grant; undefined is unbounded (the repository's default, which the app cannot see). */
type Grant = PermissionSet | undefined;

/** One call of the tree and the grant its callee runs under through it: the meet over every chain to the call. */
interface GrantedCall {
  edge: WorkflowCall;
  callerJob: Job;
  callee: Workflow;
  /** What the calling job itself sets: its permissions, else its workflow's (unfollowed names dropped). */
  own: Grant;
  granted: Grant;
}

/** The grants of one top-level file's tree, each computed once. */
interface GrantFlow {
  /** Every call whose caller is in the tree and whose callee was read, callers in topological order. */
  calls: GrantedCall[];
  /** The calls that carry a grant into each workflow (loops' back edges do not), from callers earlier in that order. */
  incoming: Map<NodeKey, GrantedCall[]>;
  /** The last call of a shortest chain to each workflow (none for the top-level file). */
  via: Map<NodeKey, WorkflowCall>;
  names: ScopeNames;
}

/** What one place of the callee asks for. */
interface Request {
  requester: string;
  permissions: Permissions;
}

/**
 * The scope names grants are followed for: GitHub's, and the first MAX_UNKNOWN_SCOPES other names grants set, in
 * the order the tree is walked. Without a cap, every name a file invents would widen every grant below it. A grant's
 * entries for names beyond are dropped, so it gives them its rest level (none for a map): a request for them is
 * reported, never let through. GitHub rejects unknown names anyway, so only invalid files reach the cap.
 */
class ScopeNames {
  private readonly unknown = new Set<string>();

  /** `set` without the names beyond the cap; names met for the first time are followed while there is room. */
  restrict(set: PermissionSet): PermissionSet {
    const scopes = new Map<string, PermissionLevel>();
    for (const [scope, level] of set.scopes) {
      if (!this.follows(scope) && this.unknown.size < MAX_UNKNOWN_SCOPES) this.unknown.add(scope);
      if (this.follows(scope)) scopes.set(scope, level);
    }
    return { scopes, rest: set.rest };
  }

  /** Whether a grant's entry for `scope` may have been dropped. */
  isBeyond(scope: string): boolean {
    return !this.follows(scope) && this.unknown.size >= MAX_UNKNOWN_SCOPES;
  }

  private follows(scope: string): boolean {
    return PERMISSION_SCOPES.has(scope) || this.unknown.has(scope);
  }
}

export const PermissionsRule: Rule<'permissions'> = {
  meta: {
    id: 'permissions',
    description: 'A called workflow may not ask for more GITHUB_TOKEN permissions than its caller grants.',
    docs:
      'GITHUB_TOKEN permissions can only stay equal or shrink down a chain of reusable workflows: GitHub fails the run when ' +
      'a called workflow, at workflow level or in any job, asks for more than it is granted. A calling job grants its own ' +
      "permissions, else its workflow's, else what its workflow was granted; along the chain the grant is the minimum of " +
      "every level's, and a workflow reached through several chains must fit the smallest grant of each scope among them. " +
      "read-all and write-all cover every scope at the highest level it accepts (id-token has no read, models " +
      'and vulnerability-alerts no write); {} grants nothing; a map sets unlisted scopes to none. A top-level workflow that ' +
      "sets no permissions passes the repository's default, which the app cannot see, so only bounds set below it are " +
      'checked. Each call is reported once, with one chain that gives the smallest grant, and at most 10 scopes listed. ' +
      `Scope names GitHub does not know are compared as written, up to ${MAX_UNKNOWN_SCOPES} per top-level file; a grant of ` +
      'names beyond those counts as none. For a call from the top-level file the fix is the permissions block the calling ' +
      'job needs; deeper, the message names the workflows whose grants are too small.',
    fixable: true,
  },
  checkRoot(context, root) {
    const flow = grantFlow(context.graph, root);
    for (const call of flow.calls) if (call.granted) checkCall(context, flow, call, call.granted);
  },
};

function edgesByCaller(graph: CallGraph): Map<NodeKey, WorkflowCall[]> {
  const outgoing = new Map<NodeKey, WorkflowCall[]>();
  for (const edge of graph.edges) {
    // Only reusable-workflow calls pass the token down a chain; an action runs with its job's grant.
    if (edge.kind !== 'workflow') continue;
    const list = outgoing.get(edge.from);
    if (list) list.push(edge);
    else outgoing.set(edge.from, [edge]);
  }
  return outgoing;
}

/**
 * The grant of every call of the root's tree, as a dataflow over its DAG: a workflow is granted the meet of what
 * every call into it passes, and a call passes the meet of its caller's grant and its own. Callers go in
 * topological order, so each grant is final before it is passed on: O(calls × scopes), however many chains there
 * are. Loops are reported by `platform-limits`; their back edges are checked but pass nothing on.
 */
function grantFlow(graph: CallGraph, root: GraphNode): GrantFlow {
  const inTree = new Set(graph.stats.get(root.key)?.nodes ?? [root.key]);
  const outgoing = edgesByCaller(graph);
  const stepsOf = (key: NodeKey): TreeStep[] =>
    (outgoing.get(key) ?? []).flatMap((edge) => (edge.to !== undefined && inTree.has(edge.to) ? [{ edge, to: edge.to }] : []));
  const { order, back } = topologicalOrder(root.key, stepsOf);
  const flow: GrantFlow = { calls: [], incoming: new Map(), via: new Map(), names: new ScopeNames() };
  const reaching = new Map<NodeKey, Grant>();
  const depth = new Map<NodeKey, number>([[root.key, 0]]);
  for (const key of order) {
    const caller = graph.nodes.get(key)?.workflow;
    if (!caller) continue;
    for (const edge of outgoing.get(key) ?? []) {
      const call = grantedCall(graph, flow.names, caller, reaching.get(key), edge);
      if (!call) continue;
      flow.calls.push(call);
      if (edge.to === undefined || !inTree.has(edge.to) || back.has(edge)) continue;
      reaching.set(edge.to, meetGrants(reaching.get(edge.to), call.granted));
      const into = flow.incoming.get(edge.to);
      if (into) into.push(call);
      else flow.incoming.set(edge.to, [call]);
      const through = (depth.get(key) ?? 0) + 1;
      if (through < (depth.get(edge.to) ?? Infinity)) {
        depth.set(edge.to, through);
        flow.via.set(edge.to, edge);
      }
    }
  }
  return flow;
}

/** A call into a workflow of the tree. */
interface TreeStep {
  edge: WorkflowCall;
  to: NodeKey;
}

/** Reverse post-order of a depth-first walk (iterative: no stack overflow on deep graphs), and the calls that close loops. */
function topologicalOrder(root: NodeKey, stepsOf: (key: NodeKey) => TreeStep[]): { order: NodeKey[]; back: Set<WorkflowCall> } {
  const open = new Set<NodeKey>([root]);
  const done = new Set<NodeKey>();
  const postOrder: NodeKey[] = [];
  const back = new Set<WorkflowCall>();
  const stack = [{ key: root, steps: stepsOf(root), next: 0 }];
  for (let top = stack.at(-1); top; top = stack.at(-1)) {
    const step = top.steps[top.next];
    top.next += 1;
    if (!step) {
      open.delete(top.key);
      done.add(top.key);
      postOrder.push(top.key);
      stack.pop();
    } else if (open.has(step.to)) {
      back.add(step.edge);
    } else if (!done.has(step.to)) {
      open.add(step.to);
      stack.push({ key: step.to, steps: stepsOf(step.to), next: 0 });
    }
  }
  return { order: postOrder.reverse(), back };
}

/** A call and the grant it passes on: its own grant met with what its caller was granted. */
function grantedCall(graph: CallGraph, names: ScopeNames, caller: Workflow, reaching: Grant, edge: WorkflowCall): GrantedCall | undefined {
  const callerJob = caller.jobs.find((job) => job.id === edge.jobId);
  const callee = edge.to ? graph.nodes.get(edge.to)?.workflow : undefined;
  if (!callerJob || !callee) return undefined;
  const written = ownGrant(callerJob, caller);
  const own = written && names.restrict(written);
  return { edge, callerJob, callee, own, granted: meetGrants(reaching, own) };
}

/** The meet, where undefined (unbounded) is the top. */
function meetGrants(a: Grant, b: Grant): Grant {
  return a && b ? meetPermissions(a, b) : (a ?? b);
}

/** What a calling job itself sets for its callee: its permissions, else its workflow's; undefined passes the grant on. */
function ownGrant(job: Job, workflow: Workflow | undefined): PermissionSet | undefined {
  const permissions = job.permissions ?? workflow?.permissions;
  return permissions && parsePermissions(permissions);
}

/**
 * A chain from the top-level file to `call` along which `scope` is granted no more than through `call`: back from
 * the call to the one whose own grant sets that level, through calls that pass it on, then a shortest chain to there.
 * Each step goes to an earlier caller in topological order, so this ends.
 */
function bindingChain(flow: GrantFlow, call: GrantedCall, scope: string): WorkflowCall[] {
  const level = call.granted && permissionLevel(call.granted, scope);
  const reversed: WorkflowCall[] = [];
  let current: GrantedCall | undefined = call;
  let from = call.edge.from;
  while (current) {
    reversed.push(current.edge);
    from = current.edge.from;
    if (current.own && permissionLevel(current.own, scope) === level) break;
    current = flow.incoming.get(from)?.find((each) => each.granted !== undefined && permissionLevel(each.granted, scope) === level);
  }
  const prefix: WorkflowCall[] = [];
  for (let edge = flow.via.get(from); edge; edge = flow.via.get(edge.from)) prefix.push(edge);
  return [...prefix.reverse(), ...reversed.reverse()];
}

function requestsOf(callee: Workflow): Request[] {
  const requests: Request[] = callee.permissions ? [{ requester: 'the workflow', permissions: callee.permissions }] : [];
  for (const job of callee.jobs) if (job.permissions) requests.push({ requester: `job ${job.id}`, permissions: job.permissions });
  return requests;
}

/** One finding for the call when anything its callee asks for is more than the meet of the grants reaching it. */
function checkCall(context: Context, flow: GrantFlow, call: GrantedCall, granted: PermissionSet): void {
  const requests = requestsOf(call.callee);
  const items: string[] = [];
  const scopes = new Map<string, PermissionLevel>();
  for (const { requester, permissions } of requests) {
    const excess = comparePermissions(parsePermissions(permissions), granted);
    if (excess.length === 0) continue;
    for (const each of excess) scopes.set(each.scope, maxLevel(scopes.get(each.scope), each.requested));
    if (permissions.kind === 'map') {
      items.push(...excess.map((each) => excessText(each, requester, flow.names)));
    } else {
      items.push(`${permissions.kind} requested by ${requester}, caller grants ${formatPermissions(granted, MAX_LISTED_SCOPES)}`);
    }
  }
  const [first] = scopes.keys();
  if (first === undefined) return;
  const fixable = [...scopes].some(([scope, level]) => isGrantable(scope, level)) && ![...scopes.keys()].some((scope) => flow.names.isBeyond(scope));
  const { edge } = call;
  const chain = bindingChain(flow, call, first);
  const described = describeCall(context.graph, edge, chain);
  const finding: Pick<Finding, 'location' | 'chain' | 'mentions'> = {
    location: { node: edge.from, jobId: edge.jobId, ...(call.callerJob.permissions && { key: 'permissions' }) },
    chain,
    mentions: chainMentions(context.graph, chain),
  };
  const listed = atMost(items, MAX_LISTED_SCOPES).join('; ');
  const rule = 'GitHub fails the run, because permissions can only stay equal or shrink down the chain';
  if (chain.length === 1) {
    context.report({
      ...finding,
      message: `${described} asks for more GITHUB_TOKEN permissions than job ${edge.jobId} grants: ${listed}. ${rule}.`,
      ...(fixable && { fix: topLevelFix(edge, granted, requests) }),
    });
    return;
  }
  const limits = limitingGrants(context.graph, chain, scopes);
  const change = limits.length > 0 ? `: ${listText(limits)} must grant more, or the called workflow must ask for less` : '';
  context.report({
    ...finding,
    message: `${described} asks for more GITHUB_TOKEN permissions than its caller can grant: ${listed}. ${rule}${change}.`,
  });
}

function excessText({ scope, requested, granted }: PermissionExcess, requester: string, names: ScopeNames): string {
  if (!isGrantable(scope, requested)) {
    const accepted = PERMISSION_SCOPES.get(scope) ?? ALL_LEVELS;
    return `${scope}: ${requested} requested by ${requester}, which GitHub never grants (${scope} takes ${listText([...accepted].reverse(), 'or')})`;
  }
  if (names.isBeyond(scope)) {
    return `${scope}: ${requested} requested by ${requester}, which is beyond the ${MAX_UNKNOWN_SCOPES} unknown scope names this rule follows (GitHub has no such scope)`;
  }
  return `${scope}: ${requested} requested by ${requester}, caller grants ${scope}: ${granted}`;
}

function maxLevel(a: PermissionLevel | undefined, b: PermissionLevel): PermissionLevel {
  return a !== undefined && compareLevels(a, b) > 0 ? a : b;
}

/** The block the top-level calling job needs: what it grants now joined with everything the callee asks for. */
function topLevelFix(edge: WorkflowCall, granted: PermissionSet, requests: Request[]): Fix {
  const needed = requests.reduce((joined, request) => joinPermissions(joined, parsePermissions(request.permissions)), granted);
  return { kind: 'job-permissions', node: edge.from, jobId: edge.jobId, permissions: permissionBlock(needed) };
}

/**
 * The levels of the chain whose own grant is below a requested scope: each of them must change (a
 * level that sets nothing passes its grant on and need not). Named as `job deploy of o/r/path@ref`, or
 * `the permissions of o/r/path@ref` when the grant is the workflow's.
 */
function limitingGrants(graph: CallGraph, chain: readonly WorkflowCall[], requested: ReadonlyMap<string, PermissionLevel>): string[] {
  const limits: string[] = [];
  chain.forEach((edge, index) => {
    const caller = graph.nodes.get(edge.from);
    const job = caller?.workflow?.jobs.find((each) => each.id === edge.jobId);
    const own = job && ownGrant(job, caller?.workflow);
    if (!caller || !job || !own) return;
    const tooSmall = [...requested].some(([scope, level]) => compareLevels(permissionLevel(own, scope), level) < 0);
    const label = workflowLabel(caller, chain[index - 1]);
    const name = job.permissions ? `job ${edge.jobId} of ${label}` : `the permissions of ${label}`;
    if (tooSmall && !limits.includes(name)) limits.push(name);
  });
  return limits;
}
