// How a finding's call chain and the graph's workflows are written for people:
// `ci.yml → octo-org/a/.github/workflows/x.yml@v1 → ./.github/workflows/y.yml`.
import type { Finding } from '../engine/types.js';
import type { CallGraph, GraphEdge, NodeKey, RepoId } from '../graph/types.js';
import { repoFullName } from '../graph/types.js';
import { nodePath } from './locate.js';

export const CHAIN_ARROW = ' → ';
/** What a redacted call reads as: it says a call is there, never whose or where. */
export const REDACTED_CALL = 'a private workflow';
const SHORT_SHA_LENGTH = 7;

/** What the rest of a chain reads as once it goes on inside a workflow whose contents are hidden. */
export const HIDDEN_CALLS = '…';

export interface ChainOptions {
  /** True for repositories whose names the reader may not see (private or internal ones in a public repository's check). */
  redact?: (repo: RepoId) => boolean;
  /**
   * True for repositories whose workflows' contents the reader may not see; defaults to `redact`. A
   * private repository the PR names keeps its name, but the calls written inside it are its contents.
   */
  hideContent?: (repo: RepoId) => boolean;
}

/**
 * The top-level file's name, then each call as written in its `uses:`. A call into a redacted repository
 * reads as "a private workflow", and nothing after it is shown: those calls are written inside it.
 */
export function formatChain(graph: CallGraph, finding: Finding, options: ChainOptions = {}): string {
  const rootPath = nodePath(graph, finding.root);
  return [rootPath.slice(rootPath.lastIndexOf('/') + 1), ...chainCalls(graph, finding, options)].join(CHAIN_ARROW);
}

/** The calls of a finding's chain as `formatChain` shows them, without the top-level file's name. */
export function chainCalls(graph: CallGraph, finding: Finding, options: ChainOptions = {}): string[] {
  const parts: string[] = [];
  const hideContent = options.hideContent ?? options.redact;
  for (const [index, edge] of finding.chain.entries()) {
    if (options.redact?.(calledRepo(graph, edge))) {
      parts.push(REDACTED_CALL);
      if (index < finding.chain.length - 1) parts.push(HIDDEN_CALLS);
      break;
    }
    if (hideContent?.(callerRepo(graph, edge))) {
      parts.push(HIDDEN_CALLS);
      break;
    }
    parts.push(edge.uses.raw);
  }
  return parts;
}

/**
 * The repository a call goes into. `./` and `$/` calls stay in the calling file's repository; so does,
 * for redaction, a call too malformed to name one (its text is that repository's content).
 */
export function calledRepo(graph: CallGraph, edge: GraphEdge): RepoId {
  const reference = edge.uses.reference;
  if (reference.kind === 'remote-workflow' || reference.kind === 'action') {
    return { owner: reference.owner, name: reference.repo };
  }
  // A `./` action runs from the workspace: the repository it resolved to (the top-level caller's).
  const workspace = reference.kind === 'local-action' && reference.syntax === './' && edge.to !== undefined ? graph.nodes.get(edge.to) : undefined;
  return workspace?.address.repo ?? callerRepo(graph, edge);
}

/** The repository of the workflow a call is written in. */
export function callerRepo(graph: CallGraph, edge: GraphEdge): RepoId {
  return graph.nodes.get(edge.from)?.address.repo ?? repoOfNodeKey(edge.from);
}

/** `owner/repo/path@<ref>`: the ref a call named to reach the node, else the commit's first 7 characters. */
export function describeNode(graph: CallGraph, key: NodeKey): string {
  const node = graph.nodes.get(key);
  if (node === undefined) {
    const at = key.lastIndexOf('@');
    return at === -1 ? key : `${key.slice(0, at)}@${key.slice(at + 1, at + 1 + SHORT_SHA_LENGTH)}`;
  }
  const { repo, path, commit } = node.address;
  return `${repoFullName(repo)}/${path}@${namedRefTo(graph, key) ?? commit.slice(0, SHORT_SHA_LENGTH)}`;
}

function namedRefTo(graph: CallGraph, key: NodeKey): string | undefined {
  for (const edge of graph.edges) {
    const reference = edge.uses.reference;
    if (edge.to === key && (reference.kind === 'remote-workflow' || reference.kind === 'action') && reference.refKind === 'named') {
      return reference.ref;
    }
  }
  return undefined;
}

/** `owner/repo/<path>@<commit>` → `owner/repo`: for keys with no node. */
export function repoOfNodeKey(key: NodeKey): RepoId {
  const [owner = '', name = ''] = key.split('/');
  return { owner, name };
}
