// Resolves the call graph of reusable workflows level by level: every call of one level is read in one
// batch (cache first, then one source round trip), so a cold graph costs about one round trip per level.
import { MemoryCacheStore } from '../cache/memory.js';
import type { CacheKey, CacheStore, CachedWorkflowFile } from '../cache/port.js';
import { encodeCacheKey } from '../cache/port.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { WorkflowFileRequest, WorkflowSource } from '../source/port.js';
import { parseWorkflow } from '../workflow/parse.js';
import { parseUses } from '../workflow/uses.js';
import type {
  ActionsAccessLevel,
  CallGraph,
  GraphEdge,
  GraphNode,
  LimitCut,
  NodeKey,
  PlatformLimits,
  RepoId,
  RepoMetadata,
  ResolutionError,
  ResolvedRef,
  RootStats,
} from './types.js';
import { nodeKey, repoKey } from './types.js';

/** A top-level workflow file. `text` is given when the caller already has it (a local checkout). */
export interface RootWorkflow {
  repo: RepoId;
  path: string;
  commit: string;
  text?: string;
}

export interface ResolveOptions {
  source: WorkflowSource;
  limits: PlatformLimits;
  /** Usually a per-evaluation layer in front of DynamoDB; a private memory cache when omitted. */
  cache?: CacheStore;
  logger?: Logger;
  /** Repositories whose metadata the caller already has (the webhook's repository): never fetched. */
  knownRepos?: RepoMetadata[];
  /**
   * Whose cache entries these are: what one GitHub App installation could read must never be served to
   * another (a private workflow cached for org A is not readable by org B). The host when omitted.
   */
  cacheScope?: string;
}

/** Errors that belong to the file at its commit and so never change: safe to cache long. */
const IMMUTABLE_ERRORS = new Set<ResolutionError['kind']>(['file-not-found', 'too-large', 'binary']);

/** How a call's target was read: the node it became, or why it could not be read. */
interface Outcome {
  key?: NodeKey;
  error?: ResolutionError;
  resolvedRef?: ResolvedRef;
}

/** A target before resolution: its node key when pinned, `repo/path@@ref` while a named ref. */
function targetIdentity(request: WorkflowFileRequest): string {
  const at = request.ref.kind === 'commit' ? request.ref.sha : `@${request.ref.name}`;
  return `${repoKey(request.repo)}/${request.path}@${at}`;
}

function commitRequest(repo: RepoId, path: string, sha: string): WorkflowFileRequest {
  return { repo, path, ref: { kind: 'commit', sha: sha.toLowerCase() } };
}

class GraphBuilder {
  readonly nodes = new Map<NodeKey, GraphNode>();
  readonly edges: GraphEdge[] = [];
  readonly repos = new Map<string, RepoMetadata | ResolutionError>();
  readonly access = new Map<string, ActionsAccessLevel | ResolutionError>();
  private readonly outcomes = new Map<string, Outcome>();
  private readonly edgeTargets = new Map<GraphEdge, WorkflowFileRequest>();
  private readonly edgesByNode = new Map<NodeKey, GraphEdge[]>();
  private readonly cacheWrites: Promise<void>[] = [];

  constructor(
    private readonly source: WorkflowSource,
    private readonly cache: CacheStore,
    /** The `host` part of every cache key: the cache scope. */
    private readonly scope: string,
  ) {}

  outcome(request: WorkflowFileRequest): Outcome | undefined {
    return this.outcomes.get(targetIdentity(request));
  }

  target(edge: GraphEdge): WorkflowFileRequest | undefined {
    return this.edgeTargets.get(edge);
  }

  /** The calls a node makes, built once however many roots reach it. */
  edgesOf(key: NodeKey): GraphEdge[] {
    const known = this.edgesByNode.get(key);
    if (known) return known;
    const node = this.nodes.get(key);
    const edges: GraphEdge[] = [];
    for (const job of node?.workflow?.jobs ?? []) {
      if (!node || !job.uses) continue;
      const uses = parseUses(job.uses.value, 'job', job.uses.comment);
      const edge: GraphEdge = { from: key, jobId: job.id, uses, range: job.uses.range };
      const ref = uses.reference;
      if (ref.kind === 'remote-workflow') {
        const repo = { owner: ref.owner, name: ref.repo };
        this.edgeTargets.set(
          edge,
          ref.refKind === 'sha'
            ? commitRequest(repo, ref.path, ref.ref)
            : { repo, path: ref.path, ref: { kind: 'named', name: ref.ref } },
        );
      } else if (ref.kind === 'local-workflow') {
        // `./` and `$/` mean the repository and commit of the file that contains the line.
        this.edgeTargets.set(edge, commitRequest(node.address.repo, ref.path, node.address.commit));
      }
      edges.push(edge);
    }
    this.edgesByNode.set(key, edges);
    this.edges.push(...edges);
    return edges;
  }

  addNode(repo: RepoId, path: string, commit: string, file: CachedWorkflowFile): NodeKey {
    const address = { repo, path, commit };
    const key = nodeKey(address);
    if (!this.nodes.has(key)) {
      const node: GraphNode =
        'text' in file ? { key, address, text: file.text, workflow: parseWorkflow(file.text, path) } : { key, address, error: file.error };
      this.nodes.set(key, node);
    }
    return key;
  }

  /** Reads every requested file and the metadata of their repositories: cache first, one source batch for the rest. */
  async load(requests: WorkflowFileRequest[], extraRepos: RepoId[] = []): Promise<void> {
    const pending = uniqueBy(
      requests.filter((request) => !this.outcomes.has(targetIdentity(request))),
      targetIdentity,
    );
    const [pinned, repoMetaMisses] = await Promise.all([
      this.pinNamedRefsFromCache(pending),
      this.readRepoMetadataFromCache([...pending.map((request) => request.repo), ...extraRepos]),
    ]);
    const misses = await this.readFilesFromCache(pinned);
    const fetchedRepos = new Set(misses.map(({ request }) => repoKey(request.repo)));
    const metadataOnly = repoMetaMisses.filter((repo) => !fetchedRepos.has(repoKey(repo)));
    if (misses.length === 0 && metadataOnly.length === 0) return;

    const result = await this.source.fetchLevel({ files: misses.map(({ request }) => request), repos: metadataOnly });
    const refWrites: { key: CacheKey; value: ResolvedRef }[] = [];
    const fileWrites: { key: CacheKey; value: CachedWorkflowFile }[] = [];
    misses.forEach(({ identity, request, resolvedRef: cachedRef }, index) => {
      const fetched = result.files[index];
      if (!fetched) return;
      const resolvedRef = fetched.resolvedRef ?? cachedRef;
      if (fetched.resolvedRef) refWrites.push({ key: this.refKey(request.repo, fetched.resolvedRef.name), value: fetched.resolvedRef });
      if (fetched.commit === undefined || (!fetched.ok && !IMMUTABLE_ERRORS.has(fetched.error.kind))) {
        this.outcomes.set(identity, { error: fetched.ok ? undefined : fetched.error, resolvedRef });
        return;
      }
      const file: CachedWorkflowFile = fetched.ok ? { text: fetched.text } : { error: fetched.error };
      const commit = fetched.commit.toLowerCase();
      fileWrites.push({ key: this.fileKey(request.repo, commit, request.path), value: file });
      this.settle(identity, request, commit, file, resolvedRef);
    });
    const repoWrites: { key: CacheKey; value: RepoMetadata }[] = [];
    for (const [key, metadata] of result.repos) {
      this.repos.set(key, metadata);
      if (!('kind' in metadata)) repoWrites.push({ key: { host: this.scope, partition: key, sort: 'meta' }, value: metadata });
    }
    this.cacheWrites.push(
      this.cache.putMany('ref', refWrites),
      this.cache.putMany('workflow', fileWrites),
      this.cache.putMany('repo', repoWrites),
    );
  }

  /** Actions access levels of the private and internal repositories called from another repository. */
  async loadAccessLevels(): Promise<void> {
    const wanted = new Map<string, RepoId>();
    for (const edge of this.edges) {
      const target = edge.to ? this.nodes.get(edge.to) : undefined;
      const caller = this.nodes.get(edge.from);
      if (!target || !caller || repoKey(target.address.repo) === repoKey(caller.address.repo)) continue;
      const metadata = this.repos.get(repoKey(target.address.repo));
      if (metadata && !('kind' in metadata) && metadata.visibility !== 'public') wanted.set(repoKey(metadata.repo), metadata.repo);
    }
    if (wanted.size === 0) return;
    const keys = [...wanted.keys()].map((key) => ({ host: this.scope, partition: key, sort: 'access' }));
    const cached = await this.cache.getMany('access', keys);
    const misses: RepoId[] = [];
    for (const [key, repo] of wanted) {
      const hit = cached.get(encodeCacheKey('access', { host: this.scope, partition: key, sort: 'access' }));
      if (hit) this.access.set(key, hit);
      else misses.push(repo);
    }
    if (misses.length === 0) return;
    const fetched = await this.source.fetchActionsAccess(misses);
    const writes: { key: CacheKey; value: ActionsAccessLevel }[] = [];
    for (const [key, level] of fetched) {
      this.access.set(key, level);
      if (typeof level === 'string') writes.push({ key: { host: this.scope, partition: key, sort: 'access' }, value: level });
    }
    this.cacheWrites.push(this.cache.putMany('access', writes));
  }

  /** Points every edge at what its target became. */
  linkEdges(): void {
    for (const edge of this.edges) {
      const target = this.edgeTargets.get(edge);
      const outcome = target && this.outcome(target);
      if (!outcome) continue;
      if (outcome.key) edge.to = outcome.key;
      if (outcome.resolvedRef) edge.resolvedRef = outcome.resolvedRef;
      const error = outcome.error ?? (outcome.key ? this.nodes.get(outcome.key)?.error : undefined);
      if (error) edge.error = error;
    }
  }

  async flush(): Promise<void> {
    await Promise.all(this.cacheWrites);
  }

  private settle(identity: string, request: WorkflowFileRequest, commit: string, file: CachedWorkflowFile, resolvedRef?: ResolvedRef) {
    const key = this.addNode(request.repo, request.path, commit, file);
    this.outcomes.set(identity, { key, ...(resolvedRef && { resolvedRef }) });
    this.outcomes.set(targetIdentity(commitRequest(request.repo, request.path, commit)), { key });
  }

  private refKey(repo: RepoId, name: string): CacheKey {
    return { host: this.scope, partition: repoKey(repo), sort: name };
  }

  private fileKey(repo: RepoId, commit: string, path: string): CacheKey {
    return { host: this.scope, partition: `${repoKey(repo)}@${commit}`, sort: path };
  }

  /** Named refs with a cached commit become commit requests; the rest stay named. */
  private async pinNamedRefsFromCache(requests: WorkflowFileRequest[]) {
    const named = requests.filter((request) => request.ref.kind === 'named');
    const keys = named.map((request) => this.refKey(request.repo, request.ref.kind === 'named' ? request.ref.name : ''));
    const hits = named.length > 0 ? await this.cache.getMany('ref', keys) : new Map<string, ResolvedRef>();
    return requests.map((request) => {
      const identity = targetIdentity(request);
      if (request.ref.kind !== 'named') return { identity, request };
      const resolvedRef = hits.get(encodeCacheKey('ref', this.refKey(request.repo, request.ref.name)));
      return resolvedRef
        ? { identity, request: commitRequest(request.repo, request.path, resolvedRef.commit), resolvedRef }
        : { identity, request };
    });
  }

  /** Settles the files found in the cache and returns the ones still to fetch. */
  private async readFilesFromCache(requests: { identity: string; request: WorkflowFileRequest; resolvedRef?: ResolvedRef }[]) {
    const byCommit = requests.flatMap((item) =>
      item.request.ref.kind === 'commit' ? [{ ...item, key: this.fileKey(item.request.repo, item.request.ref.sha, item.request.path) }] : [],
    );
    const hits = byCommit.length > 0 ? await this.cache.getMany('workflow', byCommit.map((item) => item.key)) : new Map<string, CachedWorkflowFile>();
    return requests.filter((item) => {
      if (item.request.ref.kind !== 'commit') return true;
      const file = hits.get(encodeCacheKey('workflow', this.fileKey(item.request.repo, item.request.ref.sha, item.request.path)));
      if (!file) return true;
      this.settle(item.identity, item.request, item.request.ref.sha, file, item.resolvedRef);
      return false;
    });
  }

  /** Fills repository metadata from the cache and returns the repositories still unknown. */
  private async readRepoMetadataFromCache(repos: RepoId[]): Promise<RepoId[]> {
    const unknown = uniqueBy(repos, repoKey).filter((repo) => !this.repos.has(repoKey(repo)));
    if (unknown.length === 0) return [];
    const keys = unknown.map((repo) => ({ host: this.scope, partition: repoKey(repo), sort: 'meta' }));
    const hits = await this.cache.getMany('repo', keys);
    return unknown.filter((repo, index) => {
      const hit = hits.get(encodeCacheKey('repo', keys[index]!));
      if (hit) this.repos.set(repoKey(repo), hit);
      return !hit;
    });
  }
}

/** The walk of one top-level file: GitHub counts levels and unique workflows per top-level caller. */
interface RootWalk {
  root: NodeKey;
  visited: Set<NodeKey>;
  frontier: NodeKey[];
  cuts: LimitCut[];
  /** Targets not followed because of the unique limit, by identity, so each counts once. */
  overflow: Set<string>;
}

/**
 * Resolves the whole call graph below `roots` (files at a commit). Bounded: a root's walk stops at the
 * host's platform limits (reported as cuts), so hostile graphs cost at most `maxLevels` round trips and
 * `maxUnique + 1` files per root. Never throws for a missing, broken or inaccessible workflow.
 */
export async function resolveCallGraph(roots: RootWorkflow[], options: ResolveOptions): Promise<CallGraph> {
  const { source, limits } = options;
  const logger = options.logger ?? silentLogger;
  const builder = new GraphBuilder(source, options.cache ?? new MemoryCacheStore(), options.cacheScope ?? source.host);
  for (const metadata of options.knownRepos ?? []) builder.repos.set(repoKey(metadata.repo), metadata);

  const rootRequests = roots.map((root) => commitRequest(root.repo, root.path, root.commit));
  await builder.load(
    rootRequests.filter((_, index) => roots[index]!.text === undefined),
    roots.map((root) => root.repo),
  );
  const rootKeys = roots.map((root, index) =>
    root.text !== undefined
      ? builder.addNode(root.repo, root.path, root.commit.toLowerCase(), { text: root.text })
      : (builder.outcome(rootRequests[index]!)?.key ?? builder.addNode(root.repo, root.path, root.commit.toLowerCase(), {
          error: builder.outcome(rootRequests[index]!)?.error ?? { kind: 'network', message: 'The workflow could not be read.' },
        })),
  );

  const walks: RootWalk[] = uniqueBy(rootKeys, (key) => key).map((root) => ({
    root,
    visited: new Set([root]),
    frontier: builder.nodes.get(root)?.workflow ? [root] : [],
    cuts: [],
    overflow: new Set(),
  }));

  for (let level = 1; walks.some((walk) => walk.frontier.length > 0); level++) {
    const wanted = walks.map((walk) => planNextLevel(walk, level, builder, limits));
    await builder.load(wanted.flat());
    walks.forEach((walk, index) => {
      walk.frontier = [];
      for (const request of wanted[index]!) {
        const key = builder.outcome(request)?.key;
        if (!key || walk.visited.has(key)) continue;
        walk.visited.add(key);
        if (builder.nodes.get(key)?.workflow) walk.frontier.push(key);
      }
    });
  }

  builder.linkEdges();
  await builder.loadAccessLevels();
  await builder.flush();
  const graph: CallGraph = {
    host: source.host,
    limits,
    roots: rootKeys,
    nodes: builder.nodes,
    edges: builder.edges,
    repos: builder.repos,
    access: builder.access,
    stats: new Map(),
  };
  for (const walk of walks) graph.stats.set(walk.root, rootStats(graph, walk));
  logger.debug({ roots: roots.length, nodes: graph.nodes.size, edges: graph.edges.length }, 'call graph resolved');
  return graph;
}

/** The targets a walk reads next, cutting calls that would pass the platform limits. */
function planNextLevel(walk: RootWalk, level: number, builder: GraphBuilder, limits: PlatformLimits): WorkflowFileRequest[] {
  const wanted = new Map<string, WorkflowFileRequest>();
  for (const key of walk.frontier) {
    for (const edge of builder.edgesOf(key)) {
      const target = builder.target(edge);
      if (!target) continue;
      const known = builder.outcome(target)?.key;
      if (known && walk.visited.has(known)) continue;
      if (level + 1 > limits.maxLevels) {
        walk.cuts.push({ edge, reason: 'max-levels' });
        continue;
      }
      const identity = targetIdentity(target);
      if (!wanted.has(identity) && walk.visited.size - 1 + wanted.size >= limits.maxUnique) {
        walk.cuts.push({ edge, reason: 'max-unique' });
        walk.overflow.add(identity);
        continue;
      }
      wanted.set(identity, target);
    }
  }
  return [...wanted.values()];
}

/** Levels (longest chain, the root counted), loops, and the unique count of one root's tree. */
function rootStats(graph: CallGraph, walk: RootWalk): RootStats {
  const children = new Map<NodeKey, NodeKey[]>();
  for (const edge of graph.edges) {
    if (!edge.to || !walk.visited.has(edge.from) || !walk.visited.has(edge.to)) continue;
    const list = children.get(edge.from) ?? [];
    if (!list.includes(edge.to)) list.push(edge.to);
    children.set(edge.from, list);
  }
  // Depth-first: a call back into the current chain is a loop; the rest forms a DAG in post-order.
  const onChain: NodeKey[] = [];
  const done = new Set<NodeKey>();
  const postOrder: NodeKey[] = [];
  const loops = new Map<string, NodeKey[]>();
  const backEdges = new Set<string>();
  const visit = (key: NodeKey): void => {
    onChain.push(key);
    for (const child of children.get(key) ?? []) {
      const at = onChain.indexOf(child);
      if (at >= 0) {
        const loop = [...onChain.slice(at), child];
        loops.set(loop.join('\n'), loop);
        backEdges.add(`${key}\n${child}`);
      } else if (!done.has(child)) {
        visit(child);
      }
    }
    onChain.pop();
    done.add(key);
    postOrder.push(key);
  };
  visit(walk.root);
  // Longest distance from the root over the DAG, in topological (reverse post-) order.
  const distance = new Map<NodeKey, number>([[walk.root, 0]]);
  for (const key of postOrder.reverse()) {
    const own = distance.get(key) ?? 0;
    for (const child of children.get(key) ?? []) {
      if (!backEdges.has(`${key}\n${child}`)) distance.set(child, Math.max(distance.get(child) ?? 0, own + 1));
    }
  }
  let levels = Math.max(...distance.values()) + 1;
  for (const cut of walk.cuts) {
    if (cut.reason === 'max-levels') levels = Math.max(levels, (distance.get(cut.edge.from) ?? 0) + 2);
  }
  return {
    root: walk.root,
    levels,
    unique: walk.visited.size - 1 + walk.overflow.size,
    nodes: [...walk.visited],
    loops: [...loops.values()],
    cuts: walk.cuts,
  };
}

function uniqueBy<T>(items: T[], key: (item: T) => string): T[] {
  const seen = new Map<string, T>();
  for (const item of items) if (!seen.has(key(item))) seen.set(key(item), item);
  return [...seen.values()];
}
