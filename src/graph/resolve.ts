// Resolves the call graph level by level: the reusable workflows every job calls and the actions every step runs
// (composite actions followed into their own steps). Everything one level needs is read in one batch (cache first,
// then one source round trip), so a cold graph costs about one round trip per level, plus one for the actions of
// the deepest workflows and one per level of composite actions below them.
import { MemoryCacheStore } from '../cache/memory.js';
import type { CacheKey, CacheStore, CachedActionManifest, CachedWorkflowFile } from '../cache/port.js';
import { atCommitKey, encodeCacheKey } from '../cache/port.js';
import type { Logger } from '../log.js';
import { silentLogger } from '../log.js';
import type { WorkflowFileRequest, WorkflowFileResult, WorkflowSource } from '../source/port.js';
import type { ActionManifest, Job, Step, UsesValue } from '../workflow/model.js';
import { parseActionManifest, parseWorkflow } from '../workflow/parse.js';
import { parseUses } from '../workflow/uses.js';
import { COMPOSITE_ACTION_MAX_DEPTH } from './limits.js';
import type {
  ActionUse,
  ActionsAccessLevel,
  CallGraph,
  GraphEdge,
  GraphNode,
  LimitCut,
  NodeKey,
  NodeKind,
  PlatformLimits,
  RefRequest,
  RepoId,
  RepoMetadata,
  ResolutionError,
  ResolvedRef,
  RootStats,
} from './types.js';
import { nodeKey, repoFullName, repoKey } from './types.js';
import { actionDirectory, joinPath, manifestDirectory, workspacePath } from './workspace.js';

/**
 * A top-level file: a workflow, or (`kind: 'action'`) an action's metadata file, evaluated for what it runs and for
 * its callers. `text` is given when the caller already has it (a local checkout); an action is otherwise read from
 * its directory as the runner reads it (`action.yml`, else `action.yaml`).
 */
export interface RootFile {
  kind?: NodeKind;
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
/** The files that can define an action, in the order the runner looks for them. */
const ACTION_FILES = ['action.yml', 'action.yaml', 'Dockerfile'] as const;

/**
 * What a `uses:` names before it is read: a workflow file, or an action's directory (`` for the repository's root),
 * at a commit or at a tag or branch still to be resolved.
 */
interface Target {
  kind: NodeKind;
  repo: RepoId;
  path: string;
  ref: RefRequest;
}

/** How a target was read: the node it became, or why it could not be read. */
interface Outcome {
  key?: NodeKey;
  error?: ResolutionError;
  resolvedRef?: ResolvedRef;
}

/** What a file read through the source or the cache holds, by the kind of node it makes. */
type NodeContent = { kind: 'workflow'; file: CachedWorkflowFile } | { kind: 'action'; manifest: CachedActionManifest };

/** A target before resolution: its node key (kind-prefixed for actions) when pinned, `…@@ref` while a named ref. */
function targetIdentity(target: Target): string {
  const at = target.ref.kind === 'commit' ? target.ref.sha : `@${target.ref.name}`;
  return `${target.kind === 'action' ? 'action:' : ''}${repoKey(target.repo)}/${target.path}@${at}`;
}

function atCommit(kind: NodeKind, repo: RepoId, path: string, sha: string): Target {
  return { kind, repo, path, ref: { kind: 'commit', sha: sha.toLowerCase() } };
}

/** The files one target is read from: a workflow file, or each file that can define an action. */
function fileRequests(target: Target): WorkflowFileRequest[] {
  const { repo, ref } = target;
  return target.kind === 'workflow' ? [{ repo, path: target.path, ref }] : ACTION_FILES.map((file) => ({ repo, path: joinPath(target.path, file), ref }));
}

/**
 * An action from its files, as the runner picks them: `action.yml`, else `action.yaml`, else a lone `Dockerfile`
 * (a container action). Unreadable with no commit, or for a reason that may pass (GitHub failing): `undefined`.
 */
function manifestFrom(dir: string, repo: RepoId, results: WorkflowFileResult[]): CachedActionManifest | undefined {
  for (const [index, name] of ['action.yml', 'action.yaml'].entries()) {
    const result = results[index];
    if (result === undefined) return undefined;
    if (result.ok) return { path: joinPath(dir, name), text: result.text };
    if (result.error.kind !== 'file-not-found') return IMMUTABLE_ERRORS.has(result.error.kind) ? { path: joinPath(dir, name), error: result.error } : undefined;
  }
  const dockerfile = results[2];
  if (dockerfile === undefined) return undefined;
  if (dockerfile.ok || dockerfile.error.kind === 'too-large' || dockerfile.error.kind === 'binary') return { path: joinPath(dir, 'Dockerfile'), dockerfile: true };
  if (dockerfile.error.kind !== 'file-not-found') return undefined;
  const where = dir === '' ? 'the root' : dir;
  return {
    path: joinPath(dir, 'action.yml'),
    error: { kind: 'file-not-found', message: `There is no action.yml, action.yaml or Dockerfile in ${where} of ${repoFullName(repo)} at that commit.` },
  };
}

/** A directory with only a Dockerfile runs that Dockerfile as a container action. */
function dockerfileManifest(path: string): ActionManifest {
  const start = { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };
  return { path, runs: { using: 'docker', range: start, image: { value: 'Dockerfile', range: start } }, diagnostics: [] };
}

/** The repository and commit a run's `./` actions read: the top-level caller's, when every root shares one. */
interface Workspace {
  repo: RepoId;
  commit: string;
}

class GraphBuilder {
  readonly nodes = new Map<NodeKey, GraphNode>();
  readonly edges: GraphEdge[] = [];
  readonly repos = new Map<string, RepoMetadata | ResolutionError>();
  readonly access = new Map<string, ActionsAccessLevel | ResolutionError>();
  private readonly outcomes = new Map<string, Outcome>();
  private readonly edgeTargets = new Map<GraphEdge, Target>();
  private readonly edgesByNode = new Map<NodeKey, GraphEdge[]>();
  private readonly cacheWrites: Promise<void>[] = [];

  constructor(
    private readonly source: WorkflowSource,
    private readonly cache: CacheStore,
    /** The `host` part of every cache key: the cache scope. */
    private readonly scope: string,
    private readonly workspace: Workspace | undefined,
  ) {}

  outcome(target: Target): Outcome | undefined {
    return this.outcomes.get(targetIdentity(target));
  }

  target(edge: GraphEdge): Target | undefined {
    return this.edgeTargets.get(edge);
  }

  /** The calls and the steps' actions of a node, built once however many roots reach it. */
  edgesOf(key: NodeKey): GraphEdge[] {
    const known = this.edgesByNode.get(key);
    if (known) return known;
    const node = this.nodes.get(key);
    const edges: GraphEdge[] = [];
    for (const job of node?.workflow?.jobs ?? []) {
      if (!node) break;
      if (job.uses) edges.push(this.workflowCall(node, job, job.uses));
      for (const step of job.steps) if (step.uses) edges.push(this.actionUse(node, step, step.uses, job));
    }
    const runs = node?.action?.runs;
    if (node && runs?.using === 'composite') {
      for (const step of runs.steps) if (step.uses) edges.push(this.actionUse(node, step, step.uses));
    }
    this.edgesByNode.set(key, edges);
    this.edges.push(...edges);
    return edges;
  }

  private workflowCall(node: GraphNode, job: Job, written: UsesValue): GraphEdge {
    const uses = parseUses(written.value, 'job', written.comment);
    const edge: GraphEdge = { kind: 'workflow', from: node.key, jobId: job.id, uses, range: written.range };
    const ref = uses.reference;
    if (ref.kind === 'remote-workflow') {
      const repo = { owner: ref.owner, name: ref.repo };
      this.edgeTargets.set(edge, ref.refKind === 'sha' ? atCommit('workflow', repo, ref.path, ref.ref) : { kind: 'workflow', repo, path: ref.path, ref: { kind: 'named', name: ref.ref } });
    } else if (ref.kind === 'local-workflow') {
      // `./` and `$/` mean the repository and commit of the file that contains the line.
      this.edgeTargets.set(edge, atCommit('workflow', node.address.repo, ref.path, node.address.commit));
    }
    return edge;
  }

  /**
   * A step's action. `owner/repo[/path]@ref` names its repository; `$/path` the containing file's repository at its
   * commit; `./path` the job's workspace, which a default checkout fills with the top-level caller's repository at
   * its commit (in a composite action, the workspace of the job running it, taken to be that default).
   */
  private actionUse(node: GraphNode, step: Step, written: UsesValue, job?: Job): ActionUse {
    const uses = parseUses(written.value, 'step', written.comment);
    const edge: ActionUse = { kind: 'action', from: node.key, step: step.index, uses, range: written.range, ...(job && { jobId: job.id }) };
    const ref = uses.reference;
    if (ref.kind === 'action') {
      const repo = { owner: ref.owner, name: ref.repo };
      const path = actionDirectory(ref.subpath ?? '');
      this.edgeTargets.set(edge, ref.refKind === 'sha' ? atCommit('action', repo, path, ref.ref) : { kind: 'action', repo, path, ref: { kind: 'named', name: ref.ref } });
    } else if (ref.kind === 'local-action' && ref.syntax === '$/') {
      this.edgeTargets.set(edge, atCommit('action', node.address.repo, actionDirectory(ref.path), node.address.commit));
    } else if (ref.kind === 'local-action') {
      const workspace = this.workspace;
      const place = workspace === undefined ? { unknown: 'the evaluated workflows belong to more than one repository or commit' } : job ? workspacePath(job, step.index, ref.path, workspace.repo) : { dir: actionDirectory(ref.path) };
      if (workspace !== undefined && 'dir' in place) this.edgeTargets.set(edge, atCommit('action', workspace.repo, place.dir, workspace.commit));
      else if ('unknown' in place) edge.workspaceUnknown = place.unknown;
    }
    return edge;
  }

  addWorkflow(repo: RepoId, path: string, commit: string, file: CachedWorkflowFile): NodeKey {
    return this.addNode({ repo, path, commit }, { kind: 'workflow', file });
  }

  addAction(repo: RepoId, commit: string, manifest: CachedActionManifest): NodeKey {
    return this.addNode({ repo, path: manifest.path, commit }, { kind: 'action', manifest });
  }

  /** A node at `address`; an action's address is the file that defines it (`action.yml`, `action.yaml`, `Dockerfile`). */
  private addNode(address: GraphNode['address'], content: NodeContent): NodeKey {
    const key = nodeKey(address);
    if (this.nodes.has(key)) return key;
    const base = { key, kind: content.kind, address };
    if (content.kind === 'workflow') {
      const { file } = content;
      this.nodes.set(key, 'text' in file ? { ...base, text: file.text, workflow: parseWorkflow(file.text, address.path) } : { ...base, error: file.error });
    } else {
      const { manifest } = content;
      if ('text' in manifest) this.nodes.set(key, { ...base, text: manifest.text, action: parseActionManifest(manifest.text, manifest.path) });
      else if ('dockerfile' in manifest) this.nodes.set(key, { ...base, action: dockerfileManifest(manifest.path) });
      else this.nodes.set(key, { ...base, error: manifest.error });
    }
    return key;
  }

  /** Reads every target and the metadata of their repositories: cache first, one source batch for the rest. */
  async load(targets: Target[], extraRepos: RepoId[] = []): Promise<void> {
    const pending = uniqueBy(
      targets.filter((target) => !this.outcomes.has(targetIdentity(target))),
      targetIdentity,
    );
    const [pinned, repoMetaMisses] = await Promise.all([
      this.pinNamedRefsFromCache(pending),
      this.readRepoMetadataFromCache([...pending.map((target) => target.repo), ...extraRepos]),
    ]);
    const misses = await this.readFromCache(pinned);
    const fetchedRepos = new Set(misses.map(({ target }) => repoKey(target.repo)));
    const metadataOnly = repoMetaMisses.filter((repo) => !fetchedRepos.has(repoKey(repo)));
    if (misses.length === 0 && metadataOnly.length === 0) return;

    const requests = misses.map(({ target }) => fileRequests(target));
    const result = await this.source.fetchLevel({ files: requests.flat(), repos: metadataOnly });
    const refWrites: { key: CacheKey; value: ResolvedRef }[] = [];
    const fileWrites: { key: CacheKey; value: CachedWorkflowFile }[] = [];
    const actionWrites: { key: CacheKey; value: CachedActionManifest }[] = [];
    let offset = 0;
    for (const [index, { identity, target, resolvedRef: cachedRef }] of misses.entries()) {
      const fetched = result.files.slice(offset, offset + (requests[index]?.length ?? 0));
      offset += requests[index]?.length ?? 0;
      const first = fetched[0];
      if (!first) continue;
      const fresh = fetched.find((file) => file.resolvedRef)?.resolvedRef;
      if (fresh) refWrites.push({ key: this.refKey(target.repo, fresh.name), value: fresh });
      const resolvedRef = fresh ?? cachedRef;
      const commit = fetched.find((file) => file.commit !== undefined)?.commit?.toLowerCase();
      const content = commit === undefined ? undefined : this.contentOf(target, fetched);
      if (commit === undefined || content === undefined) {
        const failures = fetched.flatMap((file) => (file.ok ? [] : [file.error]));
        const error = failures.find((failure) => !IMMUTABLE_ERRORS.has(failure.kind)) ?? failures[0];
        this.outcomes.set(identity, { ...(error && { error }), ...(resolvedRef && { resolvedRef }) });
        continue;
      }
      if (content.kind === 'workflow') fileWrites.push({ key: this.fileKey(target.repo, commit, target.path), value: content.file });
      else actionWrites.push({ key: this.actionKey(target.repo, commit, target.path), value: content.manifest });
      this.settle(identity, target, commit, content, resolvedRef);
    }
    const repoWrites: { key: CacheKey; value: RepoMetadata }[] = [];
    for (const [key, metadata] of result.repos) {
      this.repos.set(key, metadata);
      if (!('kind' in metadata)) repoWrites.push({ key: { host: this.scope, partition: key, sort: 'meta' }, value: metadata });
    }
    this.cacheWrites.push(
      this.cache.putMany('ref', refWrites),
      this.cache.putMany('workflow', fileWrites),
      this.cache.putMany('action', actionWrites),
      this.cache.putMany('repo', repoWrites),
    );
  }

  /** A target's content from its files, when it is final (`undefined`: a failure that may pass, not cached). */
  private contentOf(target: Target, fetched: WorkflowFileResult[]): NodeContent | undefined {
    if (target.kind === 'action') {
      const manifest = manifestFrom(target.path, target.repo, fetched);
      return manifest && { kind: 'action', manifest };
    }
    const [file] = fetched;
    if (!file || (!file.ok && !IMMUTABLE_ERRORS.has(file.error.kind))) return undefined;
    return { kind: 'workflow', file: file.ok ? { text: file.text } : { error: file.error } };
  }

  /** Actions access levels of the private and internal repositories called or used from another repository. */
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

  private settle(identity: string, target: Target, commit: string, content: NodeContent, resolvedRef?: ResolvedRef) {
    const path = content.kind === 'workflow' ? target.path : content.manifest.path;
    const key = this.addNode({ repo: target.repo, path, commit }, content);
    this.outcomes.set(identity, { key, ...(resolvedRef && { resolvedRef }) });
    this.outcomes.set(targetIdentity(atCommit(target.kind, target.repo, target.path, commit)), { key });
  }

  private refKey(repo: RepoId, name: string): CacheKey {
    return { host: this.scope, partition: repoKey(repo), sort: name };
  }

  private fileKey(repo: RepoId, commit: string, path: string): CacheKey {
    return atCommitKey(this.scope, repo, commit, path);
  }

  /** The sort key starts with `/`, so the repository's root action has one too. */
  private actionKey(repo: RepoId, commit: string, dir: string): CacheKey {
    return atCommitKey(this.scope, repo, commit, `/${dir}`);
  }

  private cacheKeyOf(target: Target, commit: string): CacheKey {
    return target.kind === 'workflow' ? this.fileKey(target.repo, commit, target.path) : this.actionKey(target.repo, commit, target.path);
  }

  /** Named refs with a cached commit become commit targets; the rest stay named. */
  private async pinNamedRefsFromCache(targets: Target[]) {
    const named = targets.filter((target) => target.ref.kind === 'named');
    const keys = named.map((target) => this.refKey(target.repo, target.ref.kind === 'named' ? target.ref.name : ''));
    const hits = named.length > 0 ? await this.cache.getMany('ref', keys) : new Map<string, ResolvedRef>();
    return targets.map((target) => {
      const identity = targetIdentity(target);
      if (target.ref.kind !== 'named') return { identity, target };
      const resolvedRef = hits.get(encodeCacheKey('ref', this.refKey(target.repo, target.ref.name)));
      return resolvedRef ? { identity, target: atCommit(target.kind, target.repo, target.path, resolvedRef.commit), resolvedRef } : { identity, target };
    });
  }

  /** Settles the targets found in the cache and returns the ones still to fetch. */
  private async readFromCache(targets: { identity: string; target: Target; resolvedRef?: ResolvedRef }[]) {
    const pinned = targets.flatMap((item) => (item.target.ref.kind === 'commit' ? [{ ...item, key: this.cacheKeyOf(item.target, item.target.ref.sha) }] : []));
    const keysOf = (kind: NodeKind) => pinned.filter((item) => item.target.kind === kind).map((item) => item.key);
    const [workflows, actions] = await Promise.all([
      keysOf('workflow').length > 0 ? this.cache.getMany('workflow', keysOf('workflow')) : new Map<string, CachedWorkflowFile>(),
      keysOf('action').length > 0 ? this.cache.getMany('action', keysOf('action')) : new Map<string, CachedActionManifest>(),
    ]);
    return targets.filter((item) => {
      if (item.target.ref.kind !== 'commit') return true;
      const key = this.cacheKeyOf(item.target, item.target.ref.sha);
      const file = item.target.kind === 'workflow' ? workflows.get(encodeCacheKey('workflow', key)) : undefined;
      const manifest = item.target.kind === 'action' ? actions.get(encodeCacheKey('action', key)) : undefined;
      const content: NodeContent | undefined = file ? { kind: 'workflow', file } : manifest ? { kind: 'action', manifest } : undefined;
      if (!content) return true;
      this.settle(item.identity, item.target, item.target.ref.sha, content, item.resolvedRef);
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
  /** Workflows visited, the root included (actions do not count towards GitHub's unique limit). */
  workflows: number;
  /** Each visited action's nesting: 1 for an action a workflow step runs, one more per composite action around it. */
  actionDepth: Map<NodeKey, number>;
  frontier: NodeKey[];
  cuts: LimitCut[];
  /** Targets not followed because of the unique limit, by identity, so each counts once. */
  overflow: Set<string>;
}

/** A target a walk reads next, with the nesting it would have as an action. */
interface Planned {
  target: Target;
  depth: number;
}

/**
 * Resolves the whole call graph below `roots` (files at a commit): workflows and the actions of their steps.
 * Bounded: a root's walk stops at the host's platform limits and at the runner's composite-action depth (reported
 * as cuts), so hostile graphs cost at most `maxLevels` round trips plus the composite depth, and `maxUnique + 1`
 * workflows per root. Never throws for a missing, broken or inaccessible workflow or action.
 */
export async function resolveCallGraph(roots: RootFile[], options: ResolveOptions): Promise<CallGraph> {
  const { source, limits } = options;
  const logger = options.logger ?? silentLogger;
  const builder = new GraphBuilder(source, options.cache ?? new MemoryCacheStore(), options.cacheScope ?? source.host, sharedWorkspace(roots));
  for (const metadata of options.knownRepos ?? []) builder.repos.set(repoKey(metadata.repo), metadata);

  const rootTargets = roots.map((root) =>
    root.kind === 'action' ? atCommit('action', root.repo, manifestDirectory(root.path), root.commit) : atCommit('workflow', root.repo, root.path, root.commit),
  );
  await builder.load(
    rootTargets.filter((_, index) => roots[index]!.text === undefined),
    roots.map((root) => root.repo),
  );
  const rootKeys = roots.map((root, index) => {
    const commit = root.commit.toLowerCase();
    const add = (content: { text: string } | { error: ResolutionError }) =>
      root.kind === 'action' ? builder.addAction(root.repo, commit, { path: root.path, ...content }) : builder.addWorkflow(root.repo, root.path, commit, content);
    if (root.text !== undefined) return add({ text: root.text });
    const outcome = builder.outcome(rootTargets[index]!);
    return outcome?.key ?? add({ error: outcome?.error ?? { kind: 'network', message: `The ${root.kind === 'action' ? 'action' : 'workflow'} could not be read.` } });
  });

  const walks: RootWalk[] = uniqueBy(rootKeys, (key) => key).map((root) => {
    const node = builder.nodes.get(root);
    const composite = node?.action?.runs?.using === 'composite';
    return {
      root,
      visited: new Set([root]),
      workflows: 1,
      // An action at the top is run by a step of its caller, as an action a workflow's step runs.
      actionDepth: new Map(node?.kind === 'action' ? [[root, 1]] : []),
      frontier: node?.workflow || composite ? [root] : [],
      cuts: [],
      overflow: new Set(),
    };
  });

  for (let level = 1; walks.some((walk) => walk.frontier.length > 0); level++) {
    const wanted = walks.map((walk) => planNextLevel(walk, level, builder, limits));
    await builder.load(wanted.flatMap((planned) => planned.map(({ target }) => target)));
    walks.forEach((walk, index) => {
      walk.frontier = [];
      for (const { target, depth } of wanted[index]!) {
        const key = builder.outcome(target)?.key;
        if (!key || walk.visited.has(key)) continue;
        walk.visited.add(key);
        const node = builder.nodes.get(key);
        if (target.kind === 'workflow') walk.workflows += 1;
        else walk.actionDepth.set(key, depth);
        if (node?.workflow || node?.action?.runs?.using === 'composite') walk.frontier.push(key);
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

/** The one repository and commit every root is at, where `./` actions are read: undefined when they differ. */
function sharedWorkspace(roots: RootFile[]): Workspace | undefined {
  const [first] = roots;
  if (!first) return undefined;
  const same = roots.every((root) => repoKey(root.repo) === repoKey(first.repo) && root.commit.toLowerCase() === first.commit.toLowerCase());
  return same ? { repo: first.repo, commit: first.commit.toLowerCase() } : undefined;
}

/** The targets a walk reads next, cutting calls that would pass the platform limits and actions nested too deep. */
function planNextLevel(walk: RootWalk, level: number, builder: GraphBuilder, limits: PlatformLimits): Planned[] {
  const wanted = new Map<string, Planned>();
  let newWorkflows = 0;
  for (const key of walk.frontier) {
    const depth = walk.actionDepth.get(key) ?? 0;
    for (const edge of builder.edgesOf(key)) {
      const target = builder.target(edge);
      if (!target) continue;
      const known = builder.outcome(target)?.key;
      if (known && walk.visited.has(known)) continue;
      const identity = targetIdentity(target);
      if (edge.kind === 'action') {
        // An action under the deepest composite action the runner allows is read; its own steps are not followed.
        if (depth > COMPOSITE_ACTION_MAX_DEPTH) walk.cuts.push({ edge, reason: 'max-composite-depth' });
        else if (!wanted.has(identity)) wanted.set(identity, { target, depth: depth + 1 });
        continue;
      }
      if (level + 1 > limits.maxLevels) {
        walk.cuts.push({ edge, reason: 'max-levels' });
        continue;
      }
      if (!wanted.has(identity) && walk.workflows - 1 + newWorkflows >= limits.maxUnique) {
        walk.cuts.push({ edge, reason: 'max-unique' });
        walk.overflow.add(identity);
        continue;
      }
      if (!wanted.has(identity)) newWorkflows += 1;
      wanted.set(identity, { target, depth: 0 });
    }
  }
  return [...wanted.values()];
}

/** Levels (longest chain of workflows, the root counted), loops, composite nesting and the unique count of one root's tree. */
function rootStats(graph: CallGraph, walk: RootWalk): RootStats {
  const children = new Map<NodeKey, { to: NodeKey; workflow: boolean }[]>();
  for (const edge of graph.edges) {
    if (!edge.to || !walk.visited.has(edge.from) || !walk.visited.has(edge.to)) continue;
    const list = children.get(edge.from) ?? [];
    if (!list.some((child) => child.to === edge.to)) list.push({ to: edge.to, workflow: edge.kind === 'workflow' });
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
    for (const { to: child } of children.get(key) ?? []) {
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
  // Longest distance from the root over the DAG of workflow calls, in topological (reverse post-) order.
  const distance = new Map<NodeKey, number>([[walk.root, 0]]);
  for (const key of postOrder.reverse()) {
    const own = distance.get(key);
    if (own === undefined) continue;
    for (const { to: child, workflow } of children.get(key) ?? []) {
      if (workflow && !backEdges.has(`${key}\n${child}`)) distance.set(child, Math.max(distance.get(child) ?? 0, own + 1));
    }
  }
  let levels = Math.max(...distance.values()) + 1;
  for (const cut of walk.cuts) {
    if (cut.reason === 'max-levels') levels = Math.max(levels, (distance.get(cut.edge.from) ?? 0) + 2);
  }
  const composites = [...walk.actionDepth].filter(([key]) => graph.nodes.get(key)?.action?.runs?.using === 'composite');
  return {
    root: walk.root,
    levels,
    unique: walk.workflows - 1 + walk.overflow.size,
    compositeDepth: Math.max(0, ...composites.map(([, depth]) => depth)),
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
