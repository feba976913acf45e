// Policy files on GitHub: every file of one evaluation (the organization policy on its repository's
// default branch, the repository policy at the pull request's base commit) in one GraphQL request.
// Files are addressed only by explicit owner, name, path and commit: nothing a repository writes can
// point the read elsewhere (no config `_extends`, no fallback from one repository to another).
import { atCommitKey, encodeCacheKey, type CacheKey, type CachedPolicyFile, type ScopedCache } from '../cache/port.js';
import { repoFullName, repoKey, type RepoId, type ResolutionError } from '../graph/types.js';
import { silentLogger, type Logger } from '../log.js';
import type { PolicyFileRequest, PolicyFileResult, PolicyFileSource } from '../policy/load.js';
import {
  asRecord,
  FILE_FRAGMENT,
  graphqlPartial,
  parseFullName,
  readBlob,
  renamedError,
  requestFailure,
  runWithDeadline,
  type GitHubClient,
  type GraphqlErrorEntry,
} from './github.js';
import { isFullSha } from '../workflow/uses.js';

export interface GitHubPolicyFilesOptions {
  octokit: GitHubClient;
  logger?: Logger;
  /** Deadline for the request, retries by Octokit's plugins included. */
  timeoutMs?: number;
}

export interface PolicyQuery {
  query: string;
  /** Every user-supplied string travels here, never in the query text. */
  variables: Record<string, string>;
}

export class GitHubPolicyFiles implements PolicyFileSource {
  private readonly octokit: GitHubClient;
  private readonly logger: Logger;
  private readonly timeoutMs: number;

  constructor(options: GitHubPolicyFilesOptions) {
    this.octokit = options.octokit;
    this.logger = options.logger ?? silentLogger;
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  async readPolicyFiles(requests: PolicyFileRequest[]): Promise<PolicyFileResult[]> {
    const results = new Array<PolicyFileResult>(requests.length);
    const asked: number[] = [];
    requests.forEach((request, index) => {
      // GitObjectID rejects anything else, and one bad variable would fail the whole request.
      if (request.ref !== undefined && !isFullSha(request.ref)) {
        results[index] = { error: { kind: 'commit-not-found', message: `${request.ref} is not a full commit SHA.` } };
      } else {
        asked.push(index);
      }
    });
    if (asked.length === 0) return results;
    const plan = buildPolicyQuery(asked.map((index) => requests[index]!));
    const answer = await this.run(plan);
    asked.forEach((requestIndex, alias) => {
      results[requestIndex] = 'failure' in answer ? { error: answer.failure } : policyFileResult(answer, alias, requests[requestIndex]!);
    });
    return results;
  }

  private async run(plan: PolicyQuery): Promise<Answer | { failure: ResolutionError }> {
    const started = Date.now();
    const outcome = await runWithDeadline(this.timeoutMs, (signal) =>
      this.octokit.graphql<Record<string, unknown>>(plan.query, { ...plan.variables, request: { signal } }),
    );
    this.logger.debug({ ms: Date.now() - started }, 'GraphQL policy files query');
    if (outcome.ok) return { data: outcome.value, errors: [] };
    const partial = graphqlPartial(outcome.error);
    if (partial) return partial;
    const failure = requestFailure(outcome.error, outcome.aborted, 'the GraphQL API');
    this.logger.warn({ kind: failure.kind, status: failure.status }, failure.message);
    return { failure };
  }
}

/**
 * Policy files through the cache: a file at a commit never changes, and the default branch's head commit is
 * remembered for minutes (forgotten on `push`, like every mutable ref), so an evaluation of a head evaluated before
 * reads its policy without a request. Only what GitHub answered is remembered; errors are asked again.
 */
export class CachedPolicyFiles implements PolicyFileSource {
  constructor(
    private readonly source: PolicyFileSource,
    private readonly cache: ScopedCache,
  ) {}

  async readPolicyFiles(requests: PolicyFileRequest[]): Promise<PolicyFileResult[]> {
    const heads = await this.cache.store.getMany('head', requests.filter((request) => request.ref === undefined).map((request) => this.headKey(request.repo)));
    const commits = requests.map((request) => request.ref ?? heads.get(encodeCacheKey('head', this.headKey(request.repo)))?.commit);
    // A repository remembered with no default branch (or none at all) has no policy file.
    const noHead = (index: number) => commits[index] === null;
    const fileKeys = requests.flatMap((request, index) => {
      const commit = commits[index];
      return typeof commit === 'string' ? [this.fileKey(request.repo, commit, request.path)] : [];
    });
    const files = fileKeys.length > 0 ? await this.cache.store.getMany('policy', fileKeys) : new Map<string, CachedPolicyFile>();
    const results = requests.map((request, index): PolicyFileResult | undefined => {
      if (noHead(index)) return { found: false };
      const commit = commits[index];
      const file = typeof commit === 'string' ? files.get(encodeCacheKey('policy', this.fileKey(request.repo, commit, request.path))) : undefined;
      if (!file || typeof commit !== 'string') return undefined;
      return file.found ? { found: true, text: file.text, commit } : { found: false, commit };
    });
    const missing = requests.flatMap((request, index) => (results[index] === undefined ? [{ request, index }] : []));
    if (missing.length === 0) return results as PolicyFileResult[];
    const read = await this.source.readPolicyFiles(missing.map(({ request }) => request));
    missing.forEach(({ index }, position) => {
      results[index] = read[position];
    });
    await this.remember(missing.map(({ request }, position) => [request, read[position]] as const));
    return results as PolicyFileResult[];
  }

  private async remember(read: readonly (readonly [PolicyFileRequest, PolicyFileResult | undefined])[]): Promise<void> {
    const answered = read.flatMap(([request, result]) => (result && !('error' in result) && result.commit !== undefined ? [{ request, result, commit: result.commit }] : []));
    const headless = read.filter(([request, result]) => request.ref === undefined && result && !('error' in result) && result.commit === undefined);
    await Promise.all([
      this.cache.store.putMany(
        'policy',
        answered.map(({ request, result, commit }) => ({ key: this.fileKey(request.repo, commit, request.path), value: result.found ? { found: true, text: result.text } : { found: false } })),
      ),
      this.cache.store.putMany(
        'head',
        [
          ...answered.filter(({ request }) => request.ref === undefined).map(({ request, commit }) => ({ key: this.headKey(request.repo), value: { commit } })),
          ...headless.map(([request]) => ({ key: this.headKey(request.repo), value: { commit: null } })),
        ],
      ),
    ]);
  }

  private headKey(repo: RepoId): CacheKey {
    return { host: this.cache.scope, partition: repoKey(repo), sort: HEAD_SORT };
  }

  private fileKey(repo: RepoId, commit: string, path: string): CacheKey {
    return atCommitKey(this.cache.scope, repo, commit, path);
  }
}

/** The sort key of a repository's default-branch head under the `head` namespace. */
export const HEAD_SORT = 'default-branch';

interface Answer {
  data: Record<string, unknown>;
  errors: GraphqlErrorEntry[];
}

/**
 * One `repository` alias per request: `defaultBranchRef.target` for the default branch as it is now,
 * `object(oid:)` for a commit, and the file at that commit.
 */
export function buildPolicyQuery(requests: PolicyFileRequest[]): PolicyQuery {
  const variables: Record<string, string> = {};
  const declarations: string[] = [];
  const declare = (name: string, type: string, value: string): string => {
    variables[name] = value;
    declarations.push(`$${name}: ${type}`);
    return `$${name}`;
  };
  const selections = requests.map((request, index) => {
    const owner = declare(`o${index}`, 'String!', request.repo.owner);
    const name = declare(`n${index}`, 'String!', request.repo.name);
    const path = declare(`p${index}`, 'String!', request.path);
    const commit = `__typename oid ... on Commit { file(path: ${path}) { ...WardenFile } }`;
    const at =
      request.ref === undefined
        ? `defaultBranchRef { target { ${commit} } }`
        : `object(oid: ${declare(`x${index}`, 'GitObjectID!', request.ref.toLowerCase())}) { ${commit} }`;
    return `r${index}: repository(owner: ${owner}, name: ${name}) { nameWithOwner ${at} }`;
  });
  const query = `query WardenPolicyFiles(${declarations.join(', ')}) { ${selections.join(' ')} }\n${FILE_FRAGMENT}`;
  return { query, variables };
}

function policyFileResult(answer: Answer, index: number, request: PolicyFileRequest): PolicyFileResult {
  const alias = `r${index}`;
  const node = asRecord(answer.data[alias]);
  if (!node) return missingRepository(answer.errors, alias, request.repo);
  const current = parseFullName(node.nameWithOwner);
  if (!current) return { error: { kind: 'server-error', message: `GitHub answered no name for ${repoFullName(request.repo)}.` } };
  // GraphQL follows renames; a policy read through an old name would be another repository's policy.
  if (repoKey(current) !== repoKey(request.repo)) return { error: renamedError(request.repo, current) };
  const located = locateCommit(node, request);
  if (!('commitNode' in located)) return located;
  const fieldError = answer.errors.find((entry) => entry.path?.[0] === alias && entry.path.length > 1 && entry.type !== 'NOT_FOUND');
  if (fieldError) return { error: { kind: 'server-error', message: `${request.path} in ${repoFullName(request.repo)}: ${fieldError.message}` } };
  const blob = readBlob(asRecord(located.commitNode.file), request);
  if ('text' in blob) return { found: true, text: blob.text, commit: located.commit };
  return blob.error.kind === 'file-not-found' ? { found: false, commit: located.commit } : { error: blob.error };
}

function locateCommit(node: Record<string, unknown>, request: PolicyFileRequest): { commit: string; commitNode: Record<string, unknown> } | PolicyFileResult {
  const where = repoFullName(request.repo);
  if (request.ref === undefined) {
    const branch = asRecord(node.defaultBranchRef);
    // An empty repository has no default branch yet, and so no policy.
    if (!branch) return { found: false };
    const target = asRecord(branch.target);
    if (target?.__typename !== 'Commit' || typeof target.oid !== 'string') {
      return { error: { kind: 'server-error', message: `The default branch of ${where} does not point to a commit.` } };
    }
    return { commit: target.oid, commitNode: target };
  }
  const object = asRecord(node.object);
  if (object?.__typename !== 'Commit' || typeof object.oid !== 'string') {
    return { error: { kind: 'commit-not-found', message: `Commit ${request.ref} was not found in ${where}.` } };
  }
  return { commit: object.oid, commitNode: object };
}

/** No repository in the answer: NOT_FOUND means no policy; anything else must not pass for that. */
function missingRepository(errors: GraphqlErrorEntry[], alias: string, repo: RepoId): PolicyFileResult {
  const error = errors.find((entry) => entry.path?.[0] === alias && entry.path.length === 1);
  if (error?.type === 'NOT_FOUND') return { found: false };
  if (!error) return { error: { kind: 'server-error', message: `GitHub answered nothing for ${repoFullName(repo)}.` } };
  const status = error.type === 'FORBIDDEN' ? { status: 403 } : {};
  return { error: { kind: error.type === 'FORBIDDEN' ? 'repo-not-found' : 'server-error', ...status, message: `Repository ${repoFullName(repo)}: ${error.message}` } };
}
