// The online facts some rules need, gathered before they run so the rules stay pure (zizmor keeps its online
// audits apart the same way): the tags of called repositories (the most specific tag of a pin fix, the
// `# v1.2.3` comment check) and, with pinning's `verify`, whether each SHA-pinned commit is reachable from a
// branch or tag of the repository it is called through. One source round trip plus its compares; the cache
// answers the rest.
import type { CacheKey, CacheNamespace, CacheStore, CacheValues, CachedTags } from '../cache/port.js';
import { encodeCacheKey } from '../cache/port.js';
import type { CallGraph, NodeKey, RepoId, ResolutionError } from '../graph/types.js';
import { repoKey } from '../graph/types.js';
import { silentLogger, type Logger } from '../log.js';
import type { Policy } from '../policy/types.js';
import { tagRequirementFor } from '../rules/pinning.js';
import type { RefFacts, RefFactsRequest, WorkflowSource } from '../source/port.js';

export interface GatherRefFactsOptions {
  graph: CallGraph;
  policy: Policy;
  source: WorkflowSource;
  /** Tags live minutes; a reachable commit a day, an unreachable one minutes. Nothing is cached when omitted. */
  cache?: CacheStore;
  /** Whose cache entries these are (see ResolveOptions.cacheScope); the graph's host when omitted. */
  cacheScope?: string;
  logger?: Logger;
}

/** What the rules will ask about one called repository. */
interface Wanted {
  repo: RepoId;
  defaultBranch?: string;
  /** SHA-pinned commits to verify. */
  commits: Set<string>;
  /** Tags named by `# vX` comments. */
  tags: Set<string>;
  /** Per commit of `commits`, the tags its calls' comments name: the source compares those first after the default branch. */
  commentTags: Map<string, Set<string>>;
}

/** What the cache already knows of one repository. */
interface Known {
  tags?: CachedTags;
  reachable: Map<string, boolean>;
}

/**
 * Facts by `repoKey` for every repository called (remotely) where the pinning rule applies. A repository whose
 * facts could not be gathered is absent (and logged): rules then report what they could not verify. Never throws.
 */
export async function gatherRefFacts(options: GatherRefFactsOptions): Promise<Map<string, RefFacts>> {
  const { graph, source, cache } = options;
  const logger = options.logger ?? silentLogger;
  const wanted = wantedRefFacts(graph, options.policy);
  if (wanted.size === 0) return new Map();
  if (!source.fetchRefFacts) {
    logger.debug({ repos: wanted.size }, 'the source has no online facts; pins cannot be verified');
    return new Map();
  }
  const cacheOf = cache ? new FactsCache(cache, options.cacheScope ?? graph.host, logger) : undefined;
  const known = cacheOf ? await cacheOf.read(wanted) : new Map<string, Known>();
  const facts = new Map<string, RefFacts>();
  const requests: RefFactsRequest[] = [];
  for (const [key, want] of wanted) {
    const hit = known.get(key);
    const cached = hit && servedFromCache(want, hit);
    if (cached) facts.set(key, cached);
    else requests.push(requestFor(want, hit));
  }
  const fetched = requests.length > 0 ? await fetchSafely(source.fetchRefFacts.bind(source), requests, logger) : new Map();
  for (const request of requests) {
    const key = repoKey(request.repo);
    const answer = fetched.get(key);
    if (answer === undefined || 'kind' in answer) {
      logger.warn({ repo: key, kind: answer?.kind, reason: answer?.message }, 'tags and commit reachability could not be gathered');
      continue;
    }
    facts.set(key, { tagsByCommit: answer.tagsByCommit, reachable: new Map([...(known.get(key)?.reachable ?? []), ...answer.reachable]) });
  }
  await cacheOf?.write(requests.flatMap((request) => factsOf(fetched, request)));
  logger.debug({ repos: wanted.size, fetched: requests.length, gathered: facts.size }, 'ref facts gathered');
  return facts;
}

/**
 * The repositories and commits the pinning rule will look at: every remote call and action in its scope, skipping
 * repositories that could not be resolved (the `resolution` rule reports them, and their refs cannot be read).
 */
function wantedRefFacts(graph: CallGraph, policy: Policy): Map<string, Wanted> {
  const pinning = policy.rules.pinning;
  const wanted = new Map<string, Wanted>();
  // `require: any` without `verify` never fixes a pin nor checks one.
  if (pinning.severity === 'off' || (pinning.require === 'any' && !pinning.verify)) return wanted;
  for (const edge of graph.edges) {
    const ref = edge.uses.reference;
    const judged = ref.kind === 'remote-workflow' ? pinning.appliesTo.includes('reusable-workflows') : ref.kind === 'action' && pinning.appliesTo.includes('actions');
    if ((ref.kind !== 'remote-workflow' && ref.kind !== 'action') || !judged || !inScope(graph, edge.from, ref.owner, pinning.scope)) continue;
    const repo = { owner: ref.owner, name: ref.repo };
    const key = repoKey(repo);
    const metadata = graph.repos.get(key);
    if (metadata && 'kind' in metadata) continue;
    const want = wanted.get(key) ?? newWanted(repo, metadata?.defaultBranch);
    wanted.set(key, want);
    const comment = edge.uses.versionComment;
    if (comment !== undefined) want.tags.add(comment);
    // A commit that does not exist is the `resolution` rule's finding; comparing it would only fail. A callee that
    // must be called by tag is reported for its SHA whatever the commit is: only its tags are needed, for the fix.
    if (!pinning.verify || ref.refKind !== 'sha' || edge.error?.kind === 'commit-not-found' || tagRequirementFor(pinning, ref)) continue;
    const commit = ref.ref.toLowerCase();
    want.commits.add(commit);
    if (comment !== undefined) want.commentTags.set(commit, new Set([...(want.commentTags.get(commit) ?? []), comment]));
  }
  return wanted;
}

function newWanted(repo: RepoId, defaultBranch: string | undefined): Wanted {
  return { repo, commits: new Set(), tags: new Set(), commentTags: new Map(), ...(defaultBranch !== undefined && { defaultBranch }) };
}

/** `external`: the callee's owner differs from the owner of the workflow (or action) that makes the call. */
function inScope(graph: CallGraph, from: NodeKey, owner: string, scope: Policy['rules']['pinning']['scope']): boolean {
  if (scope === 'all') return true;
  const caller = graph.nodes.get(from);
  return caller === undefined || caller.address.repo.owner.toLowerCase() !== owner.toLowerCase();
}

/** Cached facts answer only when the tags are known (every commented tag among them) and every commit is decided. */
function servedFromCache(want: Wanted, known: Known): RefFacts | undefined {
  if (!known.tags) return undefined;
  const names = new Set(Object.values(known.tags).flat());
  if ([...want.tags].some((tag) => !names.has(tag))) return undefined;
  if ([...want.commits].some((commit) => !known.reachable.has(commit))) return undefined;
  return { tagsByCommit: new Map(Object.entries(known.tags)), reachable: known.reachable };
}

/** Asks only about commits the cache could not decide, with their commented tags; the tags come with every answer. */
function requestFor(want: Wanted, known: Known | undefined): RefFactsRequest {
  const commits = [...want.commits].filter((commit) => !known?.reachable.has(commit));
  const commentTags = new Map<string, string[]>();
  for (const commit of commits) {
    const tags = want.commentTags.get(commit);
    if (tags) commentTags.set(commit, [...tags]);
  }
  return {
    repo: want.repo,
    commits,
    ...(want.tags.size > 0 && { tags: [...want.tags] }),
    ...(want.defaultBranch !== undefined && { defaultBranch: want.defaultBranch }),
    ...(commentTags.size > 0 && { commentTags }),
  };
}

async function fetchSafely(
  fetch: NonNullable<WorkflowSource['fetchRefFacts']>,
  requests: RefFactsRequest[],
  logger: Logger,
): Promise<Map<string, RefFacts | ResolutionError>> {
  try {
    return await fetch(requests);
  } catch (error) {
    // The port promises typed errors; a source that throws anyway costs the facts, not the evaluation.
    logger.error({ err: error }, 'the source failed while gathering ref facts');
    return new Map();
  }
}

function factsOf(fetched: Map<string, RefFacts | ResolutionError>, request: RefFactsRequest): { repo: RepoId; facts: RefFacts }[] {
  const answer = fetched.get(repoKey(request.repo));
  return answer === undefined || 'kind' in answer ? [] : [{ repo: request.repo, facts: answer }];
}

/** The three namespaces of ref facts; a failing cache costs speed, never facts. */
class FactsCache {
  constructor(
    private readonly cache: CacheStore,
    private readonly host: string,
    private readonly logger: Logger,
  ) {}

  async read(wanted: Map<string, Wanted>): Promise<Map<string, Known>> {
    const tagKeys = [...wanted.keys()].map((key) => this.tagsKey(key));
    const commitKeys = [...wanted].flatMap(([key, want]) => [...want.commits].map((commit) => this.commitKey(key, commit)));
    const [tags, reachable, unreachable] = await Promise.all([
      this.get('tags', tagKeys),
      this.get('reachable', commitKeys),
      this.get('unreachable', commitKeys),
    ]);
    const known = new Map<string, Known>();
    for (const [key, want] of wanted) {
      const entry: Known = { reachable: new Map() };
      const cachedTags = tags.get(encodeCacheKey('tags', this.tagsKey(key)));
      if (cachedTags) entry.tags = cachedTags;
      for (const commit of want.commits) {
        const commitKey = this.commitKey(key, commit);
        // Both answers only exist after concurrent evaluations raced; the unverified one is the safe one to keep.
        if (unreachable.has(encodeCacheKey('unreachable', commitKey))) entry.reachable.set(commit, false);
        else if (reachable.has(encodeCacheKey('reachable', commitKey))) entry.reachable.set(commit, true);
      }
      known.set(key, entry);
    }
    return known;
  }

  async write(gathered: { repo: RepoId; facts: RefFacts }[]): Promise<void> {
    const tags = gathered.map(({ repo, facts }) => ({ key: this.tagsKey(repoKey(repo)), value: Object.fromEntries(facts.tagsByCommit) }));
    const answers = gathered.flatMap(({ repo, facts }) => [...facts.reachable].map(([commit, reached]) => ({ key: this.commitKey(repoKey(repo), commit), reached })));
    await Promise.all([
      this.put('tags', tags),
      this.put('reachable', answers.filter((answer) => answer.reached).map(({ key }) => ({ key, value: true as const }))),
      this.put('unreachable', answers.filter((answer) => !answer.reached).map(({ key }) => ({ key, value: true as const }))),
    ]);
  }

  private tagsKey(key: string): CacheKey {
    return { host: this.host, partition: key, sort: 'tags' };
  }

  private commitKey(key: string, commit: string): CacheKey {
    return { host: this.host, partition: key, sort: commit };
  }

  private async get<N extends CacheNamespace>(ns: N, keys: CacheKey[]): Promise<Map<string, CacheValues[N]>> {
    if (keys.length === 0) return new Map();
    try {
      return await this.cache.getMany(ns, keys);
    } catch (error) {
      this.logger.warn({ err: error, ns }, 'cache read failed; ref facts are fetched');
      return new Map();
    }
  }

  private async put<N extends CacheNamespace>(ns: N, entries: { key: CacheKey; value: CacheValues[N] }[]): Promise<void> {
    if (entries.length === 0) return;
    try {
      await this.cache.putMany(ns, entries);
    } catch (error) {
      this.logger.warn({ err: error, ns }, 'cache write failed; ref facts are not remembered');
    }
  }
}
