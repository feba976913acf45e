// The source port on GitHub: one GraphQL request reads a whole level of the call graph (repository metadata,
// ref resolution and file contents), REST fills in what GraphQL cannot tell (renames on older servers, the
// Actions access setting, whether a commit is in a ref's history). Retries and rate-limit waits belong to
// Octokit's plugins, not to this module.
import pLimit from 'p-limit';
import type { ProbotOctokit } from 'probot';
import {
  repoFullName,
  repoKey,
  type ActionsAccessLevel,
  type RefRequest,
  type RepoId,
  type RepoMetadata,
  type ResolutionError,
  type ResolvedRef,
  type Visibility,
} from '../graph/types.js';
import { silentLogger, type Logger } from '../log.js';
import type {
  LevelRequest,
  LevelResult,
  RefFacts,
  RefFactsRequest,
  WorkflowFileRequest,
  WorkflowFileResult,
  WorkflowSource,
} from './port.js';
import { MAX_WORKFLOW_BYTES } from '../workflow/parse.js';
import { isFullSha } from '../workflow/uses.js';

/** What this module needs of an Octokit: Probot's `context.octokit` (with its retry and throttling plugins) fits. */
export type GitHubClient = Pick<ProbotOctokit, 'graphql' | 'request'>;

export interface GitHubSourceOptions {
  octokit: GitHubClient;
  host: string;
  logger?: Logger;
  /** Files per GraphQL request (default `MAX_FILES_PER_QUERY`); larger levels are split into requests sent concurrently. */
  maxFilesPerQuery?: number;
  /** Requests in flight at once. */
  concurrency?: number;
  /** Deadline per request, retries by Octokit's plugins included. */
  timeoutMs?: number;
  /** Compares spent at most on one commit's reachability (default branch first, then its commented tags and their neighbours, then other refs). */
  maxComparesPerCommit?: number;
  /** Compares spent at most by one `fetchRefFacts` call; commits left over stay unknown. */
  maxCompares?: number;
}

/** Larger workflow files are not read (the parser's cap): GitHub's GraphQL truncates big blobs anyway. */
export { MAX_WORKFLOW_BYTES };

/** Files one GraphQL level query reads by default: what single flight's batches of concurrent levels hold at most. */
export const MAX_FILES_PER_QUERY = 40;

const ACCESS_LEVELS: readonly string[] = ['none', 'user', 'organization', 'enterprise'];
/** Repositories per refs query: each one lists up to 200 refs, so answers stay small. */
const MAX_REPOS_PER_REFS_QUERY = 20;
/** Tags looked up by name per repository: a workflow's comments cannot make the query grow without bound. */
const MAX_TAG_LOOKUPS = 20;

export class GitHubSource implements WorkflowSource {
  readonly host: string;
  private readonly octokit: GitHubClient;
  private readonly logger: Logger;
  private readonly maxFilesPerQuery: number;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly timeoutMs: number;
  private readonly maxComparesPerCommit: number;
  private readonly maxCompares: number;

  constructor(options: GitHubSourceOptions) {
    this.octokit = options.octokit;
    this.host = options.host;
    this.logger = options.logger ?? silentLogger;
    this.maxFilesPerQuery = Math.max(1, options.maxFilesPerQuery ?? MAX_FILES_PER_QUERY);
    this.limit = pLimit(Math.max(1, options.concurrency ?? 4));
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxComparesPerCommit = Math.max(0, options.maxComparesPerCommit ?? 5);
    this.maxCompares = Math.max(0, options.maxCompares ?? 40);
  }

  async fetchLevel(request: LevelRequest): Promise<LevelResult> {
    const files: WorkflowFileResult[] = new Array<WorkflowFileResult>(request.files.length);
    const repos = new Map<string, RepoMetadata | ResolutionError>();
    const { unique, indexes } = dedupeFiles(request.files, files);
    const chunks = chunk(unique, this.maxFilesPerQuery);
    const extraRepos = request.repos;
    if (chunks.length === 0 && extraRepos.length === 0) return { files, repos };
    const plans = (chunks.length > 0 ? chunks : [[]]).map((slice, index) => buildLevelQuery(slice, index === 0 ? extraRepos : []));
    const answers = await Promise.all(plans.map((plan) => this.limit(() => this.runPlan(plan))));
    for (const answer of answers) mergeAnswer(answer, repos);
    await this.probeRenames(unresolvedRepos(answers, repos), repos);
    answers.forEach((answer, chunkIndex) => {
      chunks[chunkIndex]?.forEach((file, fileIndex) => {
        const result = fileResult(answer, fileIndex, repos.get(repoKey(file.repo)));
        for (const index of indexes.get(file) ?? []) files[index] = result;
      });
    });
    return { files, repos };
  }

  async fetchActionsAccess(repos: RepoId[]): Promise<Map<string, ActionsAccessLevel | ResolutionError>> {
    const unique = new Map(repos.map((repo) => [repoKey(repo), repo]));
    const entries = await Promise.all(
      [...unique].map(([key, repo]) => this.limit(async () => [key, await this.fetchAccess(repo)] as const)),
    );
    return new Map(entries);
  }

  async fetchRefFacts(requests: RefFactsRequest[]): Promise<Map<string, RefFacts | ResolutionError>> {
    const started = Date.now();
    const results = new Map<string, RefFacts | ResolutionError>();
    const plans = chunk(mergeRefFactsRequests(requests), MAX_REPOS_PER_REFS_QUERY).map(buildRefsQuery);
    const answers = await Promise.all(
      plans.map((plan) =>
        this.limit(async () => ({ plan, ...(await this.runQuery(plan.query, plan.variables, { repos: plan.repos.length }, 'GraphQL refs query')) })),
      ),
    );
    const budget = { remaining: this.maxCompares };
    const repos = answers.flatMap((answer) => answer.plan.repos.map((repo) => ({ repo, listing: refListing(answer, repo) })));
    await Promise.all(
      repos.map(async ({ repo, listing }) => {
        const key = repoKey(repo.request.repo);
        if (isError(listing)) {
          results.set(key, listing);
          return;
        }
        const reachable = await this.reachability(repo.request, listing, budget);
        results.set(key, { tagsByCommit: tagsByCommit(listing.tags), reachable });
      }),
    );
    const compares = this.maxCompares - budget.remaining;
    this.logger.debug({ repos: repos.length, compares, ms: Date.now() - started }, 'ref facts fetched');
    return results;
  }

  /** Whether each requested commit is reachable; commits no compare within the budget could decide are left out. */
  private async reachability(request: RefFactsRequest, listing: RefListing, budget: CompareBudget): Promise<Map<string, boolean>> {
    const tips = new Set([...listing.heads, ...listing.tags.map((tag) => tag.commit)]);
    const commits = [...new Set(request.commits.map((sha) => sha.toLowerCase()))].filter((sha) => isFullSha(sha));
    const answers = await Promise.all(
      commits.map(async (commit) => {
        const rounds = compareRounds(listing, request.commentTags?.get(commit) ?? []);
        const reachable = tips.has(commit) || (await this.reachableByCompare(request.repo, commit, rounds, tips.size, listing.complete, budget));
        return [commit, reachable] as const;
      }),
    );
    return new Map(answers.filter((entry): entry is readonly [string, boolean] => entry[1] !== undefined));
  }

  /**
   * Compares the commit with the refs' commits round by round (see `compareRounds`), each round at once, stopping
   * at the first that contains it, within the per-commit budget. False only when every branch and tag was listed
   * and compared: an impostor commit, served through the repository's name from a fork.
   */
  private async reachableByCompare(
    repo: RepoId,
    commit: string,
    rounds: string[][],
    refCommits: number,
    complete: boolean,
    budget: CompareBudget,
  ): Promise<boolean | undefined> {
    let allowed = this.maxComparesPerCommit;
    const answers: (boolean | undefined)[] = [];
    for (const round of rounds) {
      const bases = round.slice(0, allowed);
      allowed -= bases.length;
      answers.push(...(await Promise.all(bases.map((base) => this.compare(repo, base, commit, budget)))));
      if (answers.includes(true)) return true;
    }
    return complete && answers.length === refCommits && answers.every((answer) => answer === false) ? false : undefined;
  }

  /** Whether `head` is in `base`'s history: `behind` or `identical` from head's point of view. */
  private async compare(repo: RepoId, base: string, head: string, budget: CompareBudget): Promise<boolean | undefined> {
    if (budget.remaining <= 0) return undefined;
    budget.remaining -= 1;
    const outcome = await this.limit(() =>
      this.withDeadline((signal) =>
        this.octokit.request('GET /repos/{owner}/{repo}/compare/{basehead}', {
          owner: repo.owner,
          repo: repo.name,
          basehead: `${base}...${head}`,
          // Only `status` is read: one commit per page keeps the answer small.
          per_page: 1,
          request: { signal },
        }),
      ),
    );
    if (outcome.ok) {
      const status: unknown = outcome.value.data.status;
      if (status === 'behind' || status === 'identical') return true;
      return status === 'ahead' || status === 'diverged' ? false : undefined;
    }
    const failure = requestFailure(outcome.error, outcome.aborted, `GitHub (${repoFullName(repo)} compare)`);
    // Histories with nothing in common: the commit is certainly not in this ref's history.
    if (failure.status === 404 && /no common ancestor/i.test(failure.message)) return false;
    this.logger.warn({ kind: failure.kind, status: failure.status, base, head }, failure.message);
    return undefined;
  }

  private async fetchAccess(repo: RepoId): Promise<ActionsAccessLevel | ResolutionError> {
    const outcome = await this.withDeadline((signal) =>
      this.octokit.request('GET /repos/{owner}/{repo}/actions/permissions/access', {
        owner: repo.owner,
        repo: repo.name,
        request: { signal },
      }),
    );
    if (!outcome.ok) return restError(outcome.error, outcome.aborted, repo);
    const level: unknown = outcome.value.data.access_level;
    if (typeof level === 'string' && ACCESS_LEVELS.includes(level)) return level as ActionsAccessLevel;
    return { kind: 'server-error', message: `GitHub answered an unknown Actions access level for ${repoFullName(repo)}: ${String(level)}` };
  }

  private async runPlan(plan: LevelQuery): Promise<PlanAnswer> {
    const details = { files: plan.files.length, repos: plan.repos.length };
    return { plan, ...(await this.runQuery(plan.query, plan.variables, details, 'GraphQL level query')) };
  }

  /** One GraphQL request: its data and per-field errors, or the failure of the request as a whole. */
  private async runQuery(query: string, variables: Record<string, string>, details: object, what: string): Promise<GraphqlAnswer> {
    const started = Date.now();
    const outcome = await this.withDeadline((signal) =>
      this.octokit.graphql<Record<string, unknown>>(query, { ...variables, request: { signal } }),
    );
    this.logger.debug({ ...details, ms: Date.now() - started }, what);
    if (outcome.ok) {
      const data = asRecord(outcome.value);
      if (data) return { data, errors: [] };
      // A 200 without `data` (an empty or non-JSON body): the request failed as a whole.
      const failure: ResolutionError = { kind: 'server-error', message: 'the GraphQL API answered without data' };
      this.logger.warn({ ...details }, failure.message);
      return { data: {}, errors: [], failure };
    }
    const partial = graphqlPartial(outcome.error);
    if (partial) return partial;
    const failure = requestFailure(outcome.error, outcome.aborted, 'the GraphQL API');
    this.logger.warn({ kind: failure.kind, status: failure.status, ...details }, failure.message);
    return { data: {}, errors: [], failure };
  }

  /**
   * GraphQL answered NOT_FOUND for these repositories. Servers whose `repository` lookup does not follow
   * renames answer so for an old name too, so ask REST once: its redirect (which fetch follows) ends at the
   * repository under its current name.
   */
  private async probeRenames(notFound: Map<string, RepoId>, repos: Map<string, RepoMetadata | ResolutionError>): Promise<void> {
    await Promise.all(
      [...notFound].map(([key, repo]) =>
        this.limit(async () => {
          const outcome = await this.withDeadline((signal) =>
            this.octokit.request('GET /repos/{owner}/{repo}', { owner: repo.owner, repo: repo.name, request: { signal } }),
          );
          if (!outcome.ok) return;
          const current = parseFullName(outcome.value.data.full_name);
          if (current && repoKey(current) !== key) repos.set(key, renamedError(repo, current));
        }),
      ),
    );
  }

  /**
   * Runs one request under a deadline. The abort reason is an `AbortError` of this module's realm, which
   * Octokit rethrows unchanged and its retry plugin leaves alone; `AbortSignal.timeout`'s `TimeoutError`
   * (or a DOMException from another realm, as under Jest) becomes a status-500 error the plugin would retry
   * with growing waits, far past the deadline.
   */
  private withDeadline<T>(run: (signal: AbortSignal) => Promise<T>): Promise<Outcome<T>> {
    return runWithDeadline(this.timeoutMs, run);
  }
}

/** Runs one request under a deadline (see GitHubSource's `withDeadline` for why the abort reason matters). */
export async function runWithDeadline<T>(timeoutMs: number, run: (signal: AbortSignal) => Promise<T>): Promise<Outcome<T>> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(deadlineError(timeoutMs)), timeoutMs);
  try {
    return { ok: true, value: await run(controller.signal) };
  } catch (error) {
    return { ok: false, error, aborted: controller.signal.aborted };
  } finally {
    clearTimeout(timer);
  }
}

function deadlineError(timeoutMs: number): Error {
  const error = new Error(`No answer within ${timeoutMs} ms.`);
  error.name = 'AbortError';
  return error;
}

export type Outcome<T> = { ok: true; value: T } | { ok: false; error: unknown; aborted: boolean };

// ---- the query ---------------------------------------------------------------------------------------

/** One file to read, after duplicates in the level were merged. */
type FileKey = WorkflowFileRequest;

export interface LevelQuery {
  query: string;
  /** Every user-supplied string travels here, never in the query text. */
  variables: Record<string, string>;
  files: FileKey[];
  repos: RepoPlan[];
  /** Where each of `files` is answered, by index. */
  locators: FileLocator[];
}

interface FileLocator {
  repo: RepoPlan;
  group: GroupPlan;
  alias: string;
}

interface RepoPlan {
  alias: string;
  repo: RepoId;
  groups: GroupPlan[];
}

/** One ref of one repository; its files are read in the same selection. */
interface GroupPlan {
  alias: string;
  ref: RefRequest;
  /** File alias → index into `LevelQuery.files`. */
  files: Map<string, number>;
}

/** The aliases a group's answer can sit under: a commit, or the tag and branch lookups of a name. */
function groupAliases(group: GroupPlan): string[] {
  return group.ref.kind === 'commit' ? [group.alias] : [`${group.alias}t`, `${group.alias}h`];
}

const REPO_FRAGMENT = 'fragment WardenRepo on Repository { nameWithOwner visibility isArchived defaultBranchRef { name } }';
export const FILE_FRAGMENT = 'fragment WardenFile on TreeEntry { object { __typename ... on Blob { byteSize isBinary isTruncated text } } }';

/**
 * The GraphQL document for one chunk of a level: a `repository` alias per repository with its metadata and,
 * per ref, the commit it resolves to and the requested files at that commit. A named ref is looked up both
 * as a tag and as a branch; `fileResult` decides which one runs.
 */
export function buildLevelQuery(files: FileKey[], extraRepos: RepoId[]): LevelQuery {
  const { variables, declarations, declare } = queryVariables();
  const pathVars = new Map<string, string>();
  const pathVar = (path: string): string => {
    let name = pathVars.get(path);
    if (name === undefined) {
      name = declare(`p${pathVars.size}`, 'String!', path);
      pathVars.set(path, name);
    }
    return name;
  };
  const repos = planRepos(files, extraRepos);
  const selections = repos.map((repo, r) => {
    const owner = declare(`o${r}`, 'String!', repo.repo.owner);
    const name = declare(`n${r}`, 'String!', repo.repo.name);
    const groups = repo.groups.map((group, g) => groupSelection(group, `${r}_${g}`, files, declare, pathVar));
    return `${repo.alias}: repository(owner: ${owner}, name: ${name}) { ...WardenRepo ${groups.join(' ')} }`;
  });
  const usesFiles = pathVars.size > 0;
  const header = declarations.length > 0 ? `(${declarations.join(', ')})` : '';
  const query = [`query WardenLevel${header} { ${selections.join(' ')} }`, REPO_FRAGMENT, usesFiles ? FILE_FRAGMENT : '']
    .filter((part) => part !== '')
    .join('\n');
  const locators: FileLocator[] = [];
  for (const repo of repos) {
    for (const group of repo.groups) {
      for (const [alias, index] of group.files) locators[index] = { repo, group, alias };
    }
  }
  return { query, variables, files, repos, locators };
}

type Declare = (name: string, type: string, value: string) => string;

/** Variables of a query being built: `declare` records one and answers its `$name` for the query text. */
function queryVariables(): { variables: Record<string, string>; declarations: string[]; declare: Declare } {
  const variables: Record<string, string> = {};
  const declarations: string[] = [];
  const declare: Declare = (name, type, value) => {
    variables[name] = value;
    declarations.push(`$${name}: ${type}`);
    return `$${name}`;
  };
  return { variables, declarations, declare };
}

function planRepos(files: FileKey[], extraRepos: RepoId[]): RepoPlan[] {
  const repos = new Map<string, RepoPlan>();
  const repoPlan = (repo: RepoId): RepoPlan => {
    const key = repoKey(repo);
    let plan = repos.get(key);
    if (!plan) {
      plan = { alias: `r${repos.size}`, repo, groups: [] };
      repos.set(key, plan);
    }
    return plan;
  };
  files.forEach((file, index) => {
    const plan = repoPlan(file.repo);
    const refKey = refIdentity(file.ref);
    let group = plan.groups.find((candidate) => refIdentity(candidate.ref) === refKey);
    if (!group) {
      group = { alias: `g${plan.groups.length}`, ref: file.ref, files: new Map() };
      plan.groups.push(group);
    }
    group.files.set(`f${group.files.size}`, index);
  });
  for (const repo of extraRepos) repoPlan(repo);
  return [...repos.values()];
}

function groupSelection(
  group: GroupPlan,
  suffix: string,
  files: FileKey[],
  declare: Declare,
  pathVar: (path: string) => string,
): string {
  const fileFields = [...group.files]
    .map(([alias, index]) => `${alias}: file(path: ${pathVar(files[index]!.path)}) { ...WardenFile }`)
    .join(' ');
  const onCommit = `... on Commit { ${fileFields} }`;
  if (group.ref.kind === 'commit') {
    const oid = declare(`x${suffix}`, 'GitObjectID!', group.ref.sha.toLowerCase());
    return `${group.alias}: object(oid: ${oid}) { __typename oid ${onCommit} }`;
  }
  const tag = declare(`t${suffix}`, 'String!', `refs/tags/${group.ref.name}`);
  const head = declare(`h${suffix}`, 'String!', `refs/heads/${group.ref.name}`);
  const peeled = `... on Tag { target { __typename oid ${onCommit} } }`;
  return (
    `${group.alias}t: ref(qualifiedName: ${tag}) { target { __typename oid ${peeled} ${onCommit} } } ` +
    `${group.alias}h: ref(qualifiedName: ${head}) { target { __typename oid ${onCommit} } }`
  );
}

// ---- reading the answer ------------------------------------------------------------------------------

export interface GraphqlErrorEntry {
  type?: string;
  path?: (string | number)[];
  message: string;
}

interface GraphqlAnswer {
  data: Record<string, unknown>;
  errors: GraphqlErrorEntry[];
  /** The request as a whole failed: every item of the chunk gets this error. */
  failure?: ResolutionError;
}

interface PlanAnswer extends GraphqlAnswer {
  plan: LevelQuery;
}

/** A repository may sit in several chunks: its metadata wins over an error, the first error over later ones. */
function mergeAnswer(answer: PlanAnswer, repos: Map<string, RepoMetadata | ResolutionError>): void {
  for (const plan of answer.plan.repos) {
    const key = repoKey(plan.repo);
    const existing = repos.get(key);
    if (existing !== undefined && !isError(existing)) continue;
    const result = repoResult(answer, plan);
    if (existing === undefined || !isError(result)) repos.set(key, result);
  }
}

/** Repositories GraphQL answered NOT_FOUND for (a FORBIDDEN answer carries its status and is not probed). */
function unresolvedRepos(answers: PlanAnswer[], repos: Map<string, RepoMetadata | ResolutionError>): Map<string, RepoId> {
  const unresolved = new Map<string, RepoId>();
  for (const plan of answers.flatMap((answer) => answer.plan.repos)) {
    const result = repos.get(repoKey(plan.repo));
    if (isError(result) && result.kind === 'repo-not-found' && result.status === undefined) unresolved.set(repoKey(plan.repo), plan.repo);
  }
  return unresolved;
}

function repoResult(answer: PlanAnswer, plan: RepoPlan): RepoMetadata | ResolutionError {
  if (answer.failure) return answer.failure;
  const node = asRecord(answer.data[plan.alias]);
  if (!node) return repoErrorFor(answer.errors, plan);
  const current = parseFullName(node.nameWithOwner);
  if (!current) return { kind: 'server-error', message: `GitHub answered no name for ${repoFullName(plan.repo)}` };
  // github.com's `repository(owner:, name:)` follows renames (`followRenames` defaults to true), so an old
  // name answers with the repository under its new name. GitHub Actions follows no redirect: the call breaks.
  if (repoKey(current) !== repoKey(plan.repo)) return renamedError(plan.repo, current);
  const defaultBranch = asRecord(node.defaultBranchRef)?.name;
  return {
    repo: current,
    visibility: visibilityOf(node.visibility),
    archived: node.isArchived === true,
    ...(typeof defaultBranch === 'string' ? { defaultBranch } : {}),
  };
}

function repoErrorFor(errors: GraphqlErrorEntry[], plan: { alias: string; repo: RepoId }): ResolutionError {
  const error = errors.find((entry) => entry.path?.[0] === plan.alias && entry.path.length === 1);
  const name = repoFullName(plan.repo);
  if (!error || error.type === 'NOT_FOUND') {
    return { kind: 'repo-not-found', message: `Repository ${name} was not found or is not visible to the app.` };
  }
  if (error.type === 'FORBIDDEN') return { kind: 'repo-not-found', status: 403, message: `Repository ${name}: ${error.message}` };
  return { kind: 'server-error', message: `Repository ${name}: ${error.message}` };
}

function fileResult(answer: PlanAnswer, fileIndex: number, repo: RepoMetadata | ResolutionError | undefined): WorkflowFileResult {
  if (answer.failure) return { ok: false, error: answer.failure };
  const file = answer.plan.files[fileIndex]!;
  if (repo === undefined || isError(repo)) {
    return { ok: false, error: repo ?? { kind: 'server-error', message: `No answer for ${repoFullName(file.repo)}.` } };
  }
  const locator = answer.plan.locators[fileIndex]!;
  const located = locateCommit(asRecord(answer.data[locator.repo.alias]) ?? {}, locator.group, file);
  if ('error' in located) return { ok: false, error: located.error };
  const { commit, resolvedRef } = located;
  const base = resolvedRef ? { commit, resolvedRef } : { commit };
  const fieldError = answer.errors.find((entry) => errorTouches(entry, locator));
  if (fieldError && fieldError.type !== 'NOT_FOUND') {
    return { ok: false, error: { kind: 'server-error', message: `${describe(file)}: ${fieldError.message}` }, ...base };
  }
  const blob = readBlob(asRecord(located.commitNode[locator.alias]), file);
  return 'text' in blob ? { ok: true, ...base, text: blob.text } : { ok: false, error: blob.error, ...base };
}

type Located = { commit: string; resolvedRef?: ResolvedRef; commitNode: Record<string, unknown> } | { error: ResolutionError };

/**
 * Where the file's commit is. For a name that is both a tag and a branch, the tag wins, as in git's
 * rev-parse order (refs/tags/<name> before refs/heads/<name>, gitrevisions(7)) and as reported for the
 * Actions runner (suzuki-shunsuke/pinact#1477). Annotated tags are peeled: the tag object's SHA does not run.
 */
function locateCommit(node: Record<string, unknown>, group: GroupPlan, file: FileKey): Located {
  const where = repoFullName(file.repo);
  if (group.ref.kind === 'commit') {
    const commitNode = asRecord(node[group.alias]);
    if (commitNode?.__typename !== 'Commit' || typeof commitNode.oid !== 'string') {
      return { error: { kind: 'commit-not-found', message: `Commit ${group.ref.sha} was not found in ${where}.` } };
    }
    return { commit: commitNode.oid, commitNode };
  }
  const name = group.ref.name;
  const tagTarget = asRecord(asRecord(node[`${group.alias}t`])?.target);
  if (tagTarget) return peelTag(tagTarget, name, where);
  const branchTarget = asRecord(asRecord(node[`${group.alias}h`])?.target);
  if (branchTarget?.__typename === 'Commit' && typeof branchTarget.oid === 'string') {
    return { commit: branchTarget.oid, resolvedRef: { name, kind: 'branch', commit: branchTarget.oid }, commitNode: branchTarget };
  }
  return { error: { kind: 'ref-not-found', message: `No tag or branch named ${name} in ${where}.` } };
}

function peelTag(target: Record<string, unknown>, name: string, where: string): Located {
  if (target.__typename === 'Commit' && typeof target.oid === 'string') {
    return { commit: target.oid, resolvedRef: { name, kind: 'tag', commit: target.oid }, commitNode: target };
  }
  const peeled = asRecord(target.target);
  if (target.__typename === 'Tag' && typeof target.oid === 'string' && peeled?.__typename === 'Commit' && typeof peeled.oid === 'string') {
    return { commit: peeled.oid, resolvedRef: { name, kind: 'tag', commit: peeled.oid, tagObject: target.oid }, commitNode: peeled };
  }
  return { error: { kind: 'ref-not-found', message: `Tag ${name} in ${where} does not point to a commit.` } };
}

export function readBlob(entry: Record<string, unknown> | undefined, file: Pick<FileKey, 'repo' | 'path'>): { text: string } | { error: ResolutionError } {
  const blob = asRecord(entry?.object);
  if (blob?.__typename !== 'Blob') return { error: { kind: 'file-not-found', message: `${describe(file)} does not exist at that commit.` } };
  if (blob.isBinary === true) return { error: { kind: 'binary', message: `${describe(file)} is a binary file.` } };
  const byteSize = typeof blob.byteSize === 'number' ? blob.byteSize : 0;
  if (byteSize > MAX_WORKFLOW_BYTES || blob.isTruncated === true) {
    return { error: { kind: 'too-large', message: `${describe(file)} is ${byteSize} bytes, over the ${MAX_WORKFLOW_BYTES}-byte limit.` } };
  }
  if (typeof blob.text !== 'string') return { error: { kind: 'binary', message: `${describe(file)} is not text.` } };
  return { text: blob.text };
}

/** An error under this file's group that is not about another file of the group. */
function errorTouches(error: GraphqlErrorEntry, locator: FileLocator): boolean {
  const path = error.path ?? [];
  if (path[0] !== locator.repo.alias || !groupAliases(locator.group).includes(String(path[1]))) return false;
  const fileAliases = path.filter((part) => typeof part === 'string' && locator.group.files.has(part));
  return fileAliases.length === 0 || fileAliases.includes(locator.alias);
}

function describe(file: Pick<FileKey, 'repo' | 'path'>): string {
  return `${file.path} in ${repoFullName(file.repo)}`;
}

// ---- the refs query (ref facts) ----------------------------------------------------------------------

export interface RefsQuery {
  query: string;
  /** Every user-supplied string travels here, never in the query text. */
  variables: Record<string, string>;
  repos: RefsRepoPlan[];
}

interface RefsRepoPlan {
  alias: string;
  request: RefFactsRequest;
  /** Tags looked up by name, and where each one answers. */
  tagLookups: { alias: string; name: string }[];
}

/** GitHub's page limit: the 100 most recent tags, and the first 100 branches by name. */
const REFS_PAGE_SIZE = 100;
const REF_FRAGMENT = 'fragment WardenRef on Ref { name target { __typename oid ... on Tag { target { __typename oid } } } }';

/**
 * The GraphQL document listing, per repository, its default branch's head, its most recent tags (annotated
 * ones peeled), its branch heads, and the tags asked for by name.
 */
export function buildRefsQuery(requests: RefFactsRequest[]): RefsQuery {
  const { variables, declarations, declare } = queryVariables();
  const page = `first: ${REFS_PAGE_SIZE}`;
  const listing = `pageInfo { hasNextPage } nodes { ...WardenRef }`;
  const repos = requests.map((request, r): RefsRepoPlan => ({
    alias: `r${r}`,
    request,
    tagLookups: (request.tags ?? []).map((name, t) => ({ alias: `t${t}`, name })),
  }));
  const selections = repos.map(({ alias, request, tagLookups }, r) => {
    const owner = declare(`o${r}`, 'String!', request.repo.owner);
    const name = declare(`n${r}`, 'String!', request.repo.name);
    const defaultRef =
      request.defaultBranch === undefined ? 'defaultBranchRef' : `ref(qualifiedName: ${declare(`d${r}`, 'String!', `refs/heads/${request.defaultBranch}`)})`;
    const lookups = tagLookups.map((tag, t) => `${tag.alias}: ref(qualifiedName: ${declare(`t${r}_${t}`, 'String!', `refs/tags/${tag.name}`)}) { ...WardenRef }`);
    return [
      `${alias}: repository(owner: ${owner}, name: ${name}) { nameWithOwner`,
      `d: ${defaultRef} { ...WardenRef }`,
      `tags: refs(refPrefix: "refs/tags/", ${page}, orderBy: {field: TAG_COMMIT_DATE, direction: DESC}) { ${listing} }`,
      `heads: refs(refPrefix: "refs/heads/", ${page}) { ${listing} }`,
      ...lookups,
      '}',
    ].join(' ');
  });
  const query = `query WardenRefs(${declarations.join(', ')}) { ${selections.join(' ')} }\n${REF_FRAGMENT}`;
  return { query, variables, repos };
}

/** One request per repository: commits and tag names asked for twice are asked for once. */
function mergeRefFactsRequests(requests: RefFactsRequest[]): RefFactsRequest[] {
  const merged = new Map<string, RefFactsRequest>();
  for (const request of requests) {
    const key = repoKey(request.repo);
    const known = merged.get(key);
    const commits = [...new Set([...(known?.commits ?? []), ...request.commits.map((sha) => sha.toLowerCase())])];
    const commentTags = mergeCommentTags(known?.commentTags, request.commentTags);
    // Commented tags are looked up by name too, so they count whatever the number of tags.
    const named = [...(known?.tags ?? []), ...(request.tags ?? []), ...[...commentTags.values()].flat()];
    const tags = [...new Set(named)].slice(0, MAX_TAG_LOOKUPS);
    const defaultBranch = known?.defaultBranch ?? request.defaultBranch;
    merged.set(key, {
      repo: known?.repo ?? request.repo,
      commits,
      ...(tags.length > 0 && { tags }),
      ...(defaultBranch !== undefined && { defaultBranch }),
      ...(commentTags.size > 0 && { commentTags }),
    });
  }
  return [...merged.values()];
}

/** Commented tags by lower-case commit, from two requests for one repository. */
function mergeCommentTags(...maps: (Map<string, string[]> | undefined)[]): Map<string, string[]> {
  const merged = new Map<string, string[]>();
  for (const [commit, tags] of maps.flatMap((map) => [...(map ?? [])])) {
    const key = commit.toLowerCase();
    merged.set(key, [...new Set([...(merged.get(key) ?? []), ...tags])]);
  }
  return merged;
}

interface RefListing {
  /** The default branch's head commit, when GitHub named one. */
  defaultHead?: string;
  /** Branch head commits, the default branch's first. */
  heads: string[];
  /** Tags and the commits they point at: the most recent first, then those looked up by name. */
  tags: { name: string; commit: string }[];
  /** How many of `tags` are the most recent ones, in order of commit date, newest first. */
  recentTags: number;
  /** Every branch and tag was listed: no page was left out. */
  complete: boolean;
}

interface CompareBudget {
  remaining: number;
}

function refListing(answer: GraphqlAnswer & { plan: RefsQuery }, plan: RefsRepoPlan): RefListing | ResolutionError {
  if (answer.failure) return answer.failure;
  const repo = { alias: plan.alias, repo: plan.request.repo };
  const node = asRecord(answer.data[plan.alias]);
  if (!node) return repoErrorFor(answer.errors, repo);
  const current = parseFullName(node.nameWithOwner);
  if (current && repoKey(current) !== repoKey(plan.request.repo)) return renamedError(plan.request.repo, current);
  const fieldError = answer.errors.find((entry) => entry.path?.[0] === plan.alias);
  if (fieldError) return { kind: 'server-error', message: `Refs of ${repoFullName(plan.request.repo)}: ${fieldError.message}` };
  const tagPage = asRecord(node.tags);
  const headPage = asRecord(node.heads);
  const defaultHead = peeledRef(node.d)?.commit;
  const heads = [...(defaultHead === undefined ? [] : [defaultHead]), ...refNodes(headPage).map((ref) => ref.commit)];
  const recent = refNodes(tagPage);
  const tags = [...recent, ...plan.tagLookups.flatMap((tag) => peeledRef(node[tag.alias]) ?? [])];
  const complete = tagPage !== undefined && headPage !== undefined && !hasNextPage(tagPage) && !hasNextPage(headPage);
  return { ...(defaultHead !== undefined && { defaultHead }), heads: [...new Set(heads)], tags, recentTags: recent.length, complete };
}

/** Recent tags on each side of a commented tag that are compared with a pin, when the per-commit budget allows. */
const NEIGHBOUR_TAGS = 2;

/**
 * The order a pinned commit is compared in, by how likely each ref is to contain it, in rounds (a round's compares
 * are sent at once, and a round only when the ones before did not prove the commit): the default branch's head
 * (most pins are in its history); the tags its version comments name; the recent tags next to those by commit
 * date, the newer first (a pin whose comment was not updated is usually in the next release); then every other
 * branch head and tag. Each ref commit appears once.
 */
function compareRounds(listing: RefListing, commentTags: readonly string[]): string[][] {
  const seen = new Set<string>();
  const fresh = (commits: readonly string[]): string[] => {
    const unseen = [...new Set(commits)].filter((commit) => !seen.has(commit));
    for (const commit of unseen) seen.add(commit);
    return unseen;
  };
  const commented = commentTags.flatMap((name) => listing.tags.find((tag) => tag.name === name)?.commit ?? []);
  const rounds = [
    fresh(listing.defaultHead === undefined ? [] : [listing.defaultHead]),
    fresh(commented),
    fresh(commented.flatMap((commit) => recentNeighbours(listing, commit))),
    fresh([...listing.heads, ...listing.tags.map((tag) => tag.commit)]),
  ];
  return rounds.filter((round) => round.length > 0);
}

/** The commits of the recent tags nearest to `commit`'s among them (by distinct commit, newer first). */
function recentNeighbours(listing: RefListing, commit: string): string[] {
  const recent = [...new Set(listing.tags.slice(0, listing.recentTags).map((tag) => tag.commit))];
  const at = recent.indexOf(commit);
  if (at < 0) return [];
  const near: string[] = [];
  for (let distance = 1; distance <= NEIGHBOUR_TAGS; distance++) {
    near.push(...[recent[at - distance], recent[at + distance]].filter((each): each is string => each !== undefined));
  }
  return near;
}

function refNodes(page: Record<string, unknown> | undefined): { name: string; commit: string }[] {
  const nodes = Array.isArray(page?.nodes) ? page.nodes : [];
  return nodes.flatMap((node: unknown) => peeledRef(node) ?? []);
}

function hasNextPage(page: Record<string, unknown>): boolean {
  return asRecord(page.pageInfo)?.hasNextPage !== false;
}

/** A ref's name and the commit it runs: an annotated tag's tag object is peeled; refs to trees or blobs are left out. */
function peeledRef(value: unknown): { name: string; commit: string } | undefined {
  const ref = asRecord(value);
  const target = asRecord(ref?.target);
  const commit = target?.__typename === 'Tag' ? asRecord(target.target) : target;
  if (typeof ref?.name !== 'string' || commit?.__typename !== 'Commit' || typeof commit.oid !== 'string') return undefined;
  return { name: ref.name, commit: commit.oid.toLowerCase() };
}

function tagsByCommit(tags: { name: string; commit: string }[]): Map<string, string[]> {
  const byCommit = new Map<string, string[]>();
  for (const { name, commit } of tags) {
    const names = byCommit.get(commit) ?? [];
    if (!names.includes(name)) names.push(name);
    byCommit.set(commit, names);
  }
  return byCommit;
}

// ---- errors ------------------------------------------------------------------------------------------

interface HttpErrorShape {
  status?: number;
  message?: string;
  response?: { headers?: Record<string, string | number | undefined>; data?: unknown };
}

/** A GraphQL answer with `errors`: Octokit throws it, partial `data` included. */
export function graphqlPartial(error: unknown): { data: Record<string, unknown>; errors: GraphqlErrorEntry[] } | undefined {
  if (!(error instanceof Error) || error.name !== 'GraphqlResponseError') return undefined;
  const { data, errors } = error as Error & { data?: unknown; errors?: unknown };
  const entries = Array.isArray(errors) ? errors.map(toErrorEntry) : [];
  // Errors with no path concern the whole request (schema errors, rate limits, "Something went wrong").
  if (entries.length === 0 || entries.some((entry) => entry.path === undefined)) return undefined;
  return { data: asRecord(data) ?? {}, errors: entries };
}

function toErrorEntry(raw: unknown): GraphqlErrorEntry {
  const record = asRecord(raw) ?? {};
  const path = Array.isArray(record.path) ? record.path.filter((part): part is string | number => typeof part !== 'object') : undefined;
  return {
    ...(typeof record.type === 'string' ? { type: record.type } : {}),
    ...(path ? { path } : {}),
    message: typeof record.message === 'string' ? record.message : 'unknown error',
  };
}

/** A request that failed as a whole, after Octokit's plugins gave up. */
export function requestFailure(error: unknown, aborted: boolean, what: string): ResolutionError {
  if (aborted || (error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError'))) {
    return { kind: 'timeout', message: `${what} did not answer in time.` };
  }
  const message = error instanceof Error ? error.message : String(error);
  if (error instanceof Error && error.name === 'GraphqlResponseError') {
    const entries = ((error as Error & { errors?: unknown }).errors as unknown[] | undefined)?.map(toErrorEntry) ?? [];
    const kind = entries.some((entry) => entry.type === 'RATE_LIMITED') ? 'rate-limited' : 'server-error';
    return { kind, message: `${what} answered: ${entries.map((entry) => entry.message).join('; ') || message}` };
  }
  const http = (typeof error === 'object' && error !== null ? error : {}) as HttpErrorShape;
  const status = typeof http.status === 'number' ? http.status : undefined;
  if (isRateLimit(status, http, message)) return { kind: 'rate-limited', ...(status ? { status } : {}), message: `${what} rate limit: ${message}` };
  // Octokit reports a failed fetch as status 500 with no response.
  if (status === undefined || !http.response) return { kind: 'network', message: `${what} could not be reached: ${message}` };
  return { kind: 'server-error', status, message: `${what} answered ${status}: ${message}` };
}

function restError(error: unknown, aborted: boolean, repo: RepoId): ResolutionError {
  const failure = requestFailure(error, aborted, `GitHub (${repoFullName(repo)})`);
  if (failure.kind !== 'server-error' || (failure.status !== 404 && failure.status !== 403)) return failure;
  // 403 without a rate limit: the app may not read this setting (it needs the Administration read permission).
  const visible = failure.status === 403 ? 'is not readable by the app' : 'was not found or is not visible to the app';
  return { kind: 'repo-not-found', status: failure.status, message: `The Actions access setting of ${repoFullName(repo)} ${visible}.` };
}

/**
 * 429, a 403 that carries GitHub's rate-limit signals, or the throttling plugin's own error for GraphQL
 * `RATE_LIMITED` answers (an answer with a response but no status).
 */
function isRateLimit(status: number | undefined, http: HttpErrorShape, message: string): boolean {
  if (status === 429) return true;
  const headers = http.response?.headers ?? {};
  if (status === 403) {
    return headers['retry-after'] !== undefined || String(headers['x-ratelimit-remaining']) === '0' || /rate limit/i.test(message);
  }
  return http.response !== undefined && /rate limit/i.test(message);
}

export function renamedError(requested: RepoId, current: RepoId): ResolutionError {
  return {
    kind: 'repo-renamed',
    renamedTo: current,
    message: `Repository ${repoFullName(requested)} is now ${repoFullName(current)}; GitHub Actions does not follow renames.`,
  };
}

// ---- small helpers -----------------------------------------------------------------------------------

function dedupeFiles(
  requests: WorkflowFileRequest[],
  results: WorkflowFileResult[],
): { unique: FileKey[]; indexes: Map<FileKey, number[]> } {
  const byIdentity = new Map<string, FileKey>();
  const indexes = new Map<FileKey, number[]>();
  requests.forEach((request, index) => {
    if (request.ref.kind === 'commit' && !isFullSha(request.ref.sha)) {
      // GitObjectID rejects anything else, and one bad variable would fail the whole request.
      results[index] = { ok: false, error: { kind: 'commit-not-found', message: `${request.ref.sha} is not a full commit SHA.` } };
      return;
    }
    const identity = `${repoKey(request.repo)}\0${refIdentity(request.ref)}\0${request.path}`;
    let key = byIdentity.get(identity);
    if (!key) {
      key = request;
      byIdentity.set(identity, key);
      indexes.set(key, []);
    }
    indexes.get(key)!.push(index);
  });
  return { unique: [...byIdentity.values()], indexes };
}

function refIdentity(ref: RefRequest): string {
  return ref.kind === 'commit' ? `sha:${ref.sha.toLowerCase()}` : `name:${ref.name}`;
}

function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

export function parseFullName(value: unknown): RepoId | undefined {
  if (typeof value !== 'string') return undefined;
  const [owner, name, ...rest] = value.split('/');
  return owner && name && rest.length === 0 ? { owner, name } : undefined;
}

/** Anything but GitHub's explicit PUBLIC counts as private: a name or content is never shown by mistake. */
function visibilityOf(value: unknown): Visibility {
  if (value === 'PUBLIC') return 'public';
  if (value === 'INTERNAL') return 'internal';
  return 'private';
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function isError<T extends object>(value: T | ResolutionError | undefined): value is ResolutionError {
  return value !== undefined && 'kind' in value;
}
