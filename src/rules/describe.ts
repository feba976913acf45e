// How rules name a call and the repositories a chain involves: one place, so every finding deep in
// the graph reads the same way.
import type { CallGraph, GraphEdge, GraphNode, RepoId } from '../graph/types.js';
import { repoFullName, repoKey } from '../graph/types.js';
import { isFullSha } from '../workflow/uses.js';

const SHORT_SHA_LENGTH = 7;
/** A `uses:` value longer than this is cut in messages: hostile input must not bloat a check run. */
const USES_QUOTE_LIMIT = 200;

/** The repository a call names: the reference's own, the calling file's for `./` and `$/`, or as written. */
export function calledRepo(graph: CallGraph, edge: GraphEdge): RepoId | undefined {
  const reference = edge.uses.reference;
  if (reference.kind === 'remote-workflow') return { owner: reference.owner, name: reference.repo };
  if (reference.kind === 'local-workflow') return graph.nodes.get(edge.from)?.address.repo;
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
  const ref =
    reference?.kind === 'remote-workflow' && !isFullSha(reference.ref) ? reference.ref : node.address.commit.slice(0, SHORT_SHA_LENGTH);
  return `${repoFullName(node.address.repo)}/${node.address.path}@${ref}`;
}

/**
 * The call as written in `uses:`; below the top-level file also where it is written, since renderers
 * annotate the top-level line: `o/b/.github/workflows/x.yml@v2 (called by job build in o/a/...@v1)`.
 */
export function describeCall(graph: CallGraph, edge: GraphEdge, chain: readonly GraphEdge[]): string {
  const raw = edge.uses.raw.trim() === '' ? '(empty uses)' : edge.uses.raw;
  const uses = raw.length > USES_QUOTE_LIMIT ? `${raw.slice(0, USES_QUOTE_LIMIT)}…` : raw;
  const caller = graph.nodes.get(edge.from);
  if (chain.length <= 1 || !caller) return uses;
  return `${uses} (called by job ${edge.jobId} in ${workflowLabel(caller, chain.at(-2))})`;
}

/** Every repository a chain names (callers and callees, in order), for `Finding.mentions`. */
export function chainMentions(graph: CallGraph, chain: readonly GraphEdge[]): RepoId[] {
  const repos = new Map<string, RepoId>();
  const add = (repo: RepoId | undefined): void => {
    if (repo && !repos.has(repoKey(repo))) repos.set(repoKey(repo), repo);
  };
  for (const edge of chain) {
    add(graph.nodes.get(edge.from)?.address.repo);
    add(calledRepo(graph, edge));
  }
  return [...repos.values()];
}

/** `a`, `a and b`, `a, b and c` (or `or`). */
export function listText(items: readonly string[], conjunction: 'and' | 'or' = 'and'): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} ${conjunction} ${items.at(-1) ?? ''}`;
}
