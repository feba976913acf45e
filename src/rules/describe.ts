// How rules name a call and the repositories a chain involves: one place, so every finding deep in
// the graph reads the same way.
import type { FindingLocation, Fix } from '../engine/types.js';
import type { CallGraph, GraphEdge, GraphNode, RepoId } from '../graph/types.js';
import { repoFullName, sameRepo } from '../graph/types.js';
import { isFullSha } from '../workflow/uses.js';

const SHORT_SHA_LENGTH = 7;
/** A `uses:` value longer than this is cut in messages: hostile input must not bloat a check run. */
const USES_QUOTE_LIMIT = 200;

/**
 * The repository a call names: the reference's own; the calling file's for `./` and `$/` workflows and `$/` actions;
 * the workspace's for a `./` action (what it resolved to); or as written.
 */
export function calledRepo(graph: CallGraph, edge: GraphEdge): RepoId | undefined {
  const reference = edge.uses.reference;
  if (reference.kind === 'remote-workflow' || reference.kind === 'action') return { owner: reference.owner, name: reference.repo };
  if (reference.kind === 'local-workflow' || (reference.kind === 'local-action' && reference.syntax === '$/')) return graph.nodes.get(edge.from)?.address.repo;
  if (reference.kind === 'local-action') return edge.to === undefined ? undefined : graph.nodes.get(edge.to)?.address.repo;
  if (reference.kind === 'docker') return undefined;
  // An invalid reference may still spell a repository; a renderer must be able to redact it.
  const [owner = '', name = ''] = edge.uses.raw.split('@', 1)[0]?.split('/') ?? [];
  const looksRemote = owner !== '' && name !== '' && owner !== '.' && owner !== '$';
  return looksRemote ? { owner, name } : undefined;
}

/**
 * `owner/repo/path@ref` of a workflow: the named ref it was called by (`@v1`, `@main`), else its commit
 * shortened (top-level files, `./` calls, SHA pins).
 */
export function workflowLabel(node: GraphNode, calledBy?: GraphEdge): string {
  const reference = calledBy?.uses.reference;
  const named = (reference?.kind === 'remote-workflow' || reference?.kind === 'action') && !isFullSha(reference.ref) ? reference.ref : undefined;
  const ref = named ?? node.address.commit.slice(0, SHORT_SHA_LENGTH);
  if (node.kind === 'workflow') return `${repoFullName(node.address.repo)}/${node.address.path}@${ref}`;
  // An action is named by its directory, as `uses:` names it: `owner/repo/path@ref`.
  const dir = node.address.path.split('/').slice(0, -1).join('/');
  return `${repoFullName(node.address.repo)}${dir === '' ? '' : `/${dir}`}@${ref}`;
}

/**
 * The call as written in `uses:`; below the top-level file also where it is written, since renderers
 * annotate the top-level line: `o/b/.github/workflows/x.yml@v2 (called by job build in o/a/...@v1)`,
 * `o/tool@v1 (step 3 of job test in o/a/...@v1)`, `o/tool@v1 (step 2 in o/setup@v2)` in a composite action.
 * Several rules describe the same visit, so the text is kept per chain (the engine builds each visit's chain once).
 */
export function describeCall(graph: CallGraph, edge: GraphEdge, chain: readonly GraphEdge[]): string {
  const memo = chain.at(-1) === edge;
  const known = memo ? described.get(chain) : undefined;
  if (known !== undefined) return known;
  const text = callText(graph, edge, chain);
  if (memo) described.set(chain, text);
  return text;
}

const described = new WeakMap<readonly GraphEdge[], string>();

function callText(graph: CallGraph, edge: GraphEdge, chain: readonly GraphEdge[]): string {
  const raw = edge.uses.raw.trim() === '' ? '(empty uses)' : edge.uses.raw;
  const uses = raw.length > USES_QUOTE_LIMIT ? `${raw.slice(0, USES_QUOTE_LIMIT)}…` : raw;
  const caller = graph.nodes.get(edge.from);
  if (chain.length <= 1 || !caller) return uses;
  const where = labelOf(caller, chain.at(-2));
  if (edge.kind === 'workflow') return `${uses} (called by job ${edge.jobId} in ${where})`;
  const step = `step ${edge.step + 1}`;
  return `${uses} (${edge.jobId === undefined ? step : `${step} of job ${edge.jobId}`} in ${where})`;
}

/** `workflowLabel` of a caller, once: every step of a workflow is described by it. */
function labelOf(node: GraphNode, calledBy: GraphEdge | undefined): string {
  const key = calledBy ?? node;
  const known = labels.get(key);
  if (known !== undefined) return known;
  const label = workflowLabel(node, calledBy);
  labels.set(key, label);
  return label;
}

const labels = new WeakMap<GraphEdge | GraphNode, string>();

/**
 * Every repository a chain names (callers and callees, in order), for `Finding.mentions`. Kept per chain, as
 * `describeCall` is: findings about one visit share the list, so nobody may change it.
 */
export function chainMentions(graph: CallGraph, chain: readonly GraphEdge[]): readonly RepoId[] {
  const known = mentioned.get(chain);
  if (known) return known;
  // A chain names a handful of repositories: a scan of the list beats building a key for each.
  const repos: RepoId[] = [];
  const add = (repo: RepoId | undefined): void => {
    if (repo && !repos.some((known) => sameRepo(known, repo))) repos.push(repo);
  };
  for (const edge of chain) {
    add(graph.nodes.get(edge.from)?.address.repo);
    add(calledRepo(graph, edge));
  }
  const list = Object.freeze(repos);
  mentioned.set(chain, list);
  return list;
}

const mentioned = new WeakMap<readonly GraphEdge[], readonly RepoId[]>();

/** `a`, `a and b`, `a, b and c` (or `or`). */
export function listText(items: readonly string[], conjunction: 'and' | 'or' = 'and'): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${conjunction} ${items.at(-1) ?? ''}`;
}

/** The `uses:` line of a call or a step, where findings about what it runs point. */
export function usesLocation(visit: { caller: GraphNode; edge: GraphEdge }): FindingLocation {
  const { caller, edge } = visit;
  if (edge.kind === 'workflow') return { node: caller.key, jobId: edge.jobId, key: 'uses' };
  return { node: caller.key, ...(edge.jobId !== undefined && { jobId: edge.jobId }), step: edge.step, key: 'uses' };
}

/** The fix that rewrites the `uses:` of the call or the step. */
export function replaceUses(visit: { caller: GraphNode; edge: GraphEdge }, uses: string, comment?: string): Fix {
  const { edge, caller } = visit;
  const written = comment === undefined ? {} : { comment };
  if (edge.kind === 'workflow') return { kind: 'replace-uses', node: caller.key, jobId: edge.jobId, uses, ...written };
  return { kind: 'replace-step-uses', node: caller.key, ...(edge.jobId !== undefined && { jobId: edge.jobId }), step: edge.step, uses, ...written };
}
