// Rule `permissions`: "GITHUB_TOKEN permissions can only be the same or more restrictive in nested
// workflows" (Reusable workflows reference, "Access and permissions for nested workflows"). A called
// workflow whose `permissions` (workflow level or any job) ask for more than its caller grants fails
// the run.
//
// The grant a calling job passes down is its own `permissions`, else its workflow's, else what that
// workflow was itself granted; along a chain the grant is the meet of every level's. A top-level file
// that sets neither passes the repository's default, which the app cannot know: unbounded, nothing to
// report until a level below sets a bound. The same workflow reached through two chains can be granted
// different things, so the tree is walked per (workflow, grant) rather than once per shortest chain.
import type { Finding, Fix, Rule, RuleContext } from '../engine/types.js';
import type { CallGraph, GraphEdge, GraphNode, NodeKey } from '../graph/types.js';
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

/** A set as a workflow would write it: `read-all`, `contents: read, packages: write`, or `{}`. */
export function formatPermissions(set: PermissionSet): string {
  const named = orderScopes(new Set(set.scopes.keys()))
    .filter((scope) => permissionLevel(set, scope) !== capped(scope, set.rest))
    .map((scope) => `${scope}: ${permissionLevel(set, scope)}`);
  if (set.rest === 'none') return named.length > 0 ? named.join(', ') : '{}';
  return [`${set.rest}-all`, ...named].join(', ');
}

/** GitHub's scopes in the docs' order, then other scopes alphabetically. */
function orderScopes(scopes: ReadonlySet<string>): string[] {
  const known = [...PERMISSION_SCOPES.keys()].filter((scope) => scopes.has(scope));
  const other = [...scopes].filter((scope) => !PERMISSION_SCOPES.has(scope)).sort();
  return [...known, ...other];
}

function permissionsKey(set: PermissionSet | undefined): string {
  if (!set) return 'unbounded';
  const scopes = orderScopes(new Set(set.scopes.keys())).map((scope) => `${scope}=${permissionLevel(set, scope)}`);
  return `${set.rest};${scopes.join(',')}`;
}

// ---- The rule -------------------------------------------------------------------------------------

type Context = RuleContext<'permissions'>;

/** A workflow reached from the top-level file with a grant (undefined: unbounded) along a chain. */
interface Reached {
  node: GraphNode;
  grant: PermissionSet | undefined;
  chain: GraphEdge[];
}

/** One call and the grant its callee runs under. */
interface GrantedCall {
  context: Context;
  edge: GraphEdge;
  callerJob: Job;
  callee: Workflow;
  granted: PermissionSet;
  chain: GraphEdge[];
}

/** What one place of the callee asks for. */
interface Request {
  requester: string;
  permissions: Permissions;
}

export const PermissionsRule: Rule<'permissions'> = {
  meta: {
    id: 'permissions',
    description: 'A called workflow may not ask for more GITHUB_TOKEN permissions than its caller grants.',
    docs:
      'GITHUB_TOKEN permissions can only stay equal or shrink down a chain of reusable workflows: GitHub fails the run when ' +
      'a called workflow, at workflow level or in any job, asks for more than it is granted. A calling job grants its own ' +
      "permissions, else its workflow's, else what its workflow was granted; along the chain the grant is the minimum of " +
      "every level's. read-all and write-all cover every scope at the highest level it accepts (id-token has no read, models " +
      'and vulnerability-alerts no write); {} grants nothing; a map sets unlisted scopes to none. A top-level workflow that ' +
      "sets no permissions passes the repository's default, which the app cannot see, so only bounds set below it are " +
      'checked. For a call from the top-level file the fix is the permissions block the calling job needs; deeper, the ' +
      'message names the workflows whose grants are too small.',
    fixable: true,
  },
  checkRoot(context, root) {
    const graph = context.graph;
    const inTree = new Set(graph.stats.get(root.key)?.nodes ?? [root.key]);
    const outgoing = edgesByCaller(graph);
    const seen = new Set<string>([`${root.key}\n${permissionsKey(undefined)}`]);
    const queue: Reached[] = [{ node: root, grant: undefined, chain: [] }];
    for (let reached = queue.shift(); reached; reached = queue.shift()) {
      for (const edge of outgoing.get(reached.node.key) ?? []) {
        const next = followCall(context, reached, edge);
        if (!next || !inTree.has(next.node.key)) continue;
        const key = `${next.node.key}\n${permissionsKey(next.grant)}`;
        if (seen.has(key)) continue;
        seen.add(key);
        queue.push(next);
      }
    }
  },
};

function edgesByCaller(graph: CallGraph): Map<NodeKey, GraphEdge[]> {
  const outgoing = new Map<NodeKey, GraphEdge[]>();
  for (const edge of graph.edges) {
    const list = outgoing.get(edge.from);
    if (list) list.push(edge);
    else outgoing.set(edge.from, [edge]);
  }
  return outgoing;
}

/** Checks one call under the grant its caller was reached with; returns its callee and the grant passed down. */
function followCall(context: Context, reached: Reached, edge: GraphEdge): Reached | undefined {
  const callerJob = reached.node.workflow?.jobs.find((job) => job.id === edge.jobId);
  const callee = edge.to ? context.graph.nodes.get(edge.to) : undefined;
  if (!callerJob || !callee?.workflow) return undefined;
  const own = ownGrant(callerJob, reached.node.workflow);
  const granted = own && reached.grant ? meetPermissions(reached.grant, own) : (own ?? reached.grant);
  const chain = [...reached.chain, edge];
  if (granted) checkCall({ context, edge, callerJob, callee: callee.workflow, granted, chain });
  return { node: callee, grant: granted, chain };
}

/** What a calling job itself sets for its callee: its permissions, else its workflow's; undefined passes the grant on. */
function ownGrant(job: Job, workflow: Workflow | undefined): PermissionSet | undefined {
  const permissions = job.permissions ?? workflow?.permissions;
  return permissions && parsePermissions(permissions);
}

function requestsOf(callee: Workflow): Request[] {
  const requests: Request[] = callee.permissions ? [{ requester: 'the workflow', permissions: callee.permissions }] : [];
  for (const job of callee.jobs) if (job.permissions) requests.push({ requester: `job ${job.id}`, permissions: job.permissions });
  return requests;
}

function checkCall(call: GrantedCall): void {
  const requests = requestsOf(call.callee);
  const items: string[] = [];
  const scopes = new Map<string, PermissionLevel>();
  for (const { requester, permissions } of requests) {
    const excess = comparePermissions(parsePermissions(permissions), call.granted);
    if (excess.length === 0) continue;
    for (const each of excess) scopes.set(each.scope, maxLevel(scopes.get(each.scope), each.requested));
    if (permissions.kind === 'map') {
      items.push(...excess.map((each) => excessText(each, requester)));
    } else {
      items.push(`${permissions.kind} requested by ${requester}, caller grants ${formatPermissions(call.granted)}`);
    }
  }
  if (items.length === 0) return;
  const grantable = [...scopes].some(([scope, level]) => isGrantable(scope, level));
  const { context, edge, chain } = call;
  const described = describeCall(context.graph, edge, chain);
  const finding: Pick<Finding, 'location' | 'chain' | 'mentions'> = {
    location: { node: edge.from, jobId: edge.jobId, ...(call.callerJob.permissions && { key: 'permissions' }) },
    chain,
    mentions: chainMentions(context.graph, chain),
  };
  const rule = 'GitHub fails the run, because permissions can only stay equal or shrink down the chain';
  if (chain.length === 1) {
    context.report({
      ...finding,
      message: `${described} asks for more GITHUB_TOKEN permissions than job ${edge.jobId} grants: ${items.join('; ')}. ${rule}.`,
      ...(grantable && { fix: topLevelFix(call, requests) }),
    });
    return;
  }
  const limits = limitingGrants(context.graph, chain, scopes);
  const change = limits.length > 0 ? `: ${listText(limits)} must grant more, or the called workflow must ask for less` : '';
  context.report({
    ...finding,
    message: `${described} asks for more GITHUB_TOKEN permissions than its caller can grant: ${items.join('; ')}. ${rule}${change}.`,
  });
}

function excessText({ scope, requested, granted }: PermissionExcess, requester: string): string {
  if (!isGrantable(scope, requested)) {
    const accepted = PERMISSION_SCOPES.get(scope) ?? ALL_LEVELS;
    return `${scope}: ${requested} requested by ${requester}, which GitHub never grants (${scope} takes ${listText([...accepted].reverse(), 'or')})`;
  }
  return `${scope}: ${requested} requested by ${requester}, caller grants ${scope}: ${granted}`;
}

function maxLevel(a: PermissionLevel | undefined, b: PermissionLevel): PermissionLevel {
  return a !== undefined && compareLevels(a, b) > 0 ? a : b;
}

/** The block the top-level calling job needs: what it grants now joined with everything the callee asks for. */
function topLevelFix(call: GrantedCall, requests: Request[]): Fix {
  const needed = requests.reduce((joined, request) => joinPermissions(joined, parsePermissions(request.permissions)), call.granted);
  return { kind: 'job-permissions', node: call.edge.from, jobId: call.edge.jobId, permissions: permissionBlock(needed) };
}

/**
 * The levels of the chain whose own grant is below a requested scope: each of them must change (a
 * level that sets nothing passes its grant on and need not). Named as `job deploy of o/r/path@ref`, or
 * `the permissions of o/r/path@ref` when the grant is the workflow's.
 */
function limitingGrants(graph: CallGraph, chain: readonly GraphEdge[], requested: ReadonlyMap<string, PermissionLevel>): string[] {
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
