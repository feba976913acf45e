// A pull request to the organization policy file (PRODUCT.md §3): the proposed text is validated (diagnostics
// at its lines become `policy` annotations), then dry-run against the default-branch workflows of every
// repository the installation can see, under the policy in force and under the proposed one. Both go through
// loadEffectivePolicy (repository overrides, the repository's own policy file) and the engine, exactly as a
// check would. Bounded by a repository count, a concurrency and a time budget; a dry run cut short says so.
// Reads only: the caller writes the check run.
import pLimit from 'p-limit';
import type { ProbotOctokit } from 'probot';
import { LayeredCacheStore } from '../cache/layered.js';
import { MemoryCacheStore } from '../cache/memory.js';
import type { CacheStore } from '../cache/port.js';
import type { WardenConfig } from '../config.js';
import { evaluateGraph, evaluationLimits } from '../engine/run.js';
import type { Conclusion, Finding } from '../engine/types.js';
import { resolveCallGraph } from '../graph/resolve.js';
import { repoFullName, repoKey, type CallGraph, type RepoId, type RepoMetadata } from '../graph/types.js';
import type { Logger } from '../log.js';
import {
  compilePolicyFile,
  loadEffectivePolicy,
  PolicyCache,
  type EffectivePolicy,
  type PolicyFileRequest,
  type PolicyFileResult,
  type PolicyFileSource,
} from '../policy/load.js';
import { formatPolicyDiagnostic } from '../policy/parse.js';
import type { PolicyDiagnostic } from '../policy/types.js';
import { readDefaultBranch, type DefaultBranchSnapshot } from '../source/default-branch.js';
import { GitHubSource, requestFailure } from '../source/github.js';
import { GitHubPolicyFiles } from '../source/policy-files.js';
import { repositoryMetadata } from './targets.js';

type Octokit = InstanceType<typeof ProbotOctokit>;

export interface ProposedPolicy {
  /** The file's text at `commit`. */
  text: string;
  /** Its path in the policy repository: diagnostics (and so annotations) name it. */
  path: string;
  /** The pull request's head commit. */
  commit: string;
}

export interface PolicyReviewBudget {
  /** Repositories evaluated at most, the first ones by name; the others are counted as skipped. */
  maxRepositories?: number;
  /** Repositories evaluated at once. */
  concurrency?: number;
  /** Wall time of the dry run, listing included; repositories not finished by then are not evaluated. */
  timeMs?: number;
}

export const DEFAULT_REVIEW_BUDGET: Required<PolicyReviewBudget> = { maxRepositories: 50, concurrency: 4, timeMs: 60_000 };

export interface ReviewProposedPolicyInput {
  /** An installation client: it lists the installation's repositories. */
  octokit: Octokit;
  /** The organization owning the policy repository and the repositories. */
  org: string;
  policyRepo: RepoMetadata;
  proposed: ProposedPolicy;
  config: Pick<WardenConfig, 'host' | 'orgPolicyRepo' | 'policyPath' | 'limits'>;
  /** The durable cache; the review puts its own memory layer in front (one for all repositories). */
  cache?: CacheStore;
  /** Whose cache entries these are: the installation's (see ResolveOptions.cacheScope). */
  cacheScope?: string;
  /** The evaluation date (exception expiry). */
  now: Date;
  log: Logger;
  budget?: PolicyReviewBudget;
  /**
   * Why no dry run is made, when none may be: a dry run answers questions about every repository of the
   * installation (private ones included), so it is not run for whoever may not ask them.
   */
  dryRunDeclined?: string;
}

export interface RepositoryDryRun {
  repository: RepoMetadata;
  /** The default branch's head commit the workflows were read at; absent for an empty repository. */
  commit?: string;
  /** Workflow files on the default branch. */
  workflows: number;
  before: Conclusion;
  after: Conclusion;
  /** Findings under the proposed policy. */
  findings: Finding[];
  /** Why a side failed closed without evaluating: the policy for this repository could not be built. */
  beforeProblem?: string;
  afterProblem?: string;
}

export interface DryRunError {
  repository: RepoMetadata;
  reason: string;
}

export interface DryRun {
  /** The installation's repositories in scope: archived ones left out, the policy repository only when it has workflows. */
  total: number;
  /** Every repository evaluated, by name. */
  results: RepositoryDryRun[];
  /** Failure under the proposed policy, not under the current one. */
  newlyFailing: RepositoryDryRun[];
  /** Failure under the current policy, not under the proposed one. */
  newlyPassing: RepositoryDryRun[];
  unchanged: number;
  /** Repositories that could not be evaluated, with the reason. */
  errors: DryRunError[];
  /** Not evaluated: beyond `maxRepositories` (`count`), or not finished within the time budget (`time`). */
  skipped: { count: number; time: number };
  partial: boolean;
  partialReason?: string;
}

export interface PolicyReview {
  /** The proposed file's path and commit. */
  file: string;
  commit: string;
  /** Problems in the proposed file, at its lines; empty when it is valid. */
  diagnostics: PolicyDiagnostic[];
  /** Absent when the proposal is invalid (no dry run is made) or when `error` says why there is none. */
  dryRun?: DryRun;
  /** Why the dry run could not be made, in words for the check. */
  error?: string;
}

/** Per request to GitHub, within the time budget. */
const REQUEST_TIMEOUT_MS = 10_000;

/**
 * Validates the proposed policy and, when it is valid, dry-runs it. Never throws: a failure becomes a review
 * with `error` (or, when even validation failed, a diagnostic), so the check always has something to show.
 */
export async function reviewProposedPolicy(input: ReviewProposedPolicyInput): Promise<PolicyReview> {
  const { proposed, log } = input;
  const review = { file: proposed.path, commit: proposed.commit };
  let diagnostics: PolicyDiagnostic[] | undefined;
  try {
    diagnostics = compilePolicyFile(proposed.text, proposed.path).diagnostics;
    if (diagnostics.length > 0) return { ...review, diagnostics };
    if (input.dryRunDeclined !== undefined) return { ...review, diagnostics, error: input.dryRunDeclined };
    return { ...review, diagnostics, ...(await dryRun(input)) };
  } catch (error) {
    log.error({ err: error }, 'policy review failed');
    const reason = error instanceof Error ? error.message : String(error);
    // Fail closed: a proposal that could not be validated is reported as a problem of the file.
    if (diagnostics === undefined) {
      return { ...review, diagnostics: [{ file: proposed.path, line: 1, column: 1, endLine: 1, endColumn: 1, message: `the policy could not be validated: ${reason}` }] };
    }
    return { ...review, diagnostics, error: `The dry run failed unexpectedly: ${reason}` };
  }
}

// ---- the dry run ---------------------------------------------------------------------------------

class OutOfTime extends Error {}

/** The time budget: work started before it ends stops at its next step once it has. */
class Deadline {
  private readonly end: number;

  constructor(readonly ms: number) {
    this.end = Date.now() + ms;
  }

  remaining(): number {
    return Math.max(0, this.end - Date.now());
  }

  passed(): boolean {
    return this.remaining() === 0;
  }

  check(): void {
    if (this.passed()) throw new OutOfTime();
  }
}

/** What every repository's dry run shares: clients, caches, and the organization policy's two versions. */
interface DryRunContext {
  input: ReviewProposedPolicyInput;
  deadline: Deadline;
  source: GitHubSource;
  policyFiles: PolicyFileSource;
  cache: CacheStore;
  policyCache: PolicyCache;
  /** The listing already says what the resolver would ask about each repository: it need not ask again. */
  listed: RepoMetadata[];
  orgRepo: RepoId;
  currentOrg: PolicyFileResult;
  proposedOrg: PolicyFileResult;
}

type RepositoryOutcome =
  | { kind: 'evaluated'; result: RepositoryDryRun }
  | { kind: 'error'; error: DryRunError }
  /** The policy repository without workflows: not a repository the policy is about. */
  | { kind: 'excluded' }
  | { kind: 'out-of-time' };

async function dryRun(input: ReviewProposedPolicyInput): Promise<Pick<PolicyReview, 'dryRun' | 'error'>> {
  const budget = withDefaults(input.budget);
  const deadline = new Deadline(budget.timeMs);
  const listed = await listInstallationRepositories(input.octokit, deadline);
  if ('error' in listed) return { error: `The installation's repositories could not be listed: ${listed.error}` };
  const candidates = listed.repositories.filter((repository) => !repository.archived).sort(byName);
  const selected = candidates.slice(0, budget.maxRepositories);

  const orgRepo = { owner: input.org, name: input.config.orgPolicyRepo };
  const policyFiles = new GitHubPolicyFiles({ octokit: input.octokit, logger: input.log, timeoutMs: Math.min(REQUEST_TIMEOUT_MS, deadline.remaining()) });
  // Read once: every repository is compared with the same version of the policy in force.
  const [currentOrg] = await policyFiles.readPolicyFiles([{ repo: orgRepo, path: input.config.policyPath }]);
  if (currentOrg === undefined || 'error' in currentOrg) {
    return { error: `The current organization policy could not be read: ${currentOrg?.error.message ?? 'no answer'}` };
  }
  const cache = input.cache ? new LayeredCacheStore({ durable: input.cache, logger: input.log }) : new MemoryCacheStore();
  const source = new GitHubSource({ octokit: input.octokit, host: input.config.host, logger: input.log, timeoutMs: REQUEST_TIMEOUT_MS });
  const context: DryRunContext = {
    input,
    deadline,
    source,
    policyFiles,
    cache,
    policyCache: new PolicyCache(),
    listed: selected,
    orgRepo,
    currentOrg,
    proposedOrg: { found: true, text: input.proposed.text, commit: input.proposed.commit },
  };
  const outcomes = await runWithinBudget(selected, budget.concurrency, deadline, (repository) => dryRunRepository(context, repository));
  const dryRun = summarize({ candidates: candidates.length, selected, outcomes, budget });
  input.log.info({ total: dryRun.total, evaluated: dryRun.results.length, newlyFailing: dryRun.newlyFailing.length, partial: dryRun.partial }, 'policy dry run finished');
  return { dryRun };
}

function withDefaults(budget: PolicyReviewBudget | undefined): Required<PolicyReviewBudget> {
  return {
    maxRepositories: Math.max(0, budget?.maxRepositories ?? DEFAULT_REVIEW_BUDGET.maxRepositories),
    concurrency: Math.max(1, budget?.concurrency ?? DEFAULT_REVIEW_BUDGET.concurrency),
    timeMs: Math.max(0, budget?.timeMs ?? DEFAULT_REVIEW_BUDGET.timeMs),
  };
}

function byName(a: RepoMetadata, b: RepoMetadata): number {
  const [x, y] = [repoKey(a.repo), repoKey(b.repo)];
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Runs `work` over `items`, `concurrency` at a time, until the deadline. The outcomes known at the deadline
 * are returned (undefined: not finished); work still running then stops at its next deadline check.
 */
async function runWithinBudget<T, R>(items: T[], concurrency: number, deadline: Deadline, work: (item: T) => Promise<R>): Promise<(R | undefined)[]> {
  const limit = pLimit(concurrency);
  const outcomes = new Array<R | undefined>(items.length);
  const all = Promise.all(
    items.map((item, index) =>
      limit(async () => {
        if (!deadline.passed()) outcomes[index] = await work(item);
      }),
    ),
  );
  let timer: NodeJS.Timeout | undefined;
  const timeUp = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, deadline.remaining());
  });
  try {
    await Promise.race([all, timeUp]);
  } finally {
    clearTimeout(timer);
  }
  return [...outcomes];
}

async function dryRunRepository(context: DryRunContext, repository: RepoMetadata): Promise<RepositoryOutcome> {
  const { input, deadline } = context;
  try {
    deadline.check();
    const snapshot = await readDefaultBranch(input.octokit, repository.repo, { policyPath: input.config.policyPath, timeoutMs: Math.min(REQUEST_TIMEOUT_MS, deadline.remaining()) });
    if ('error' in snapshot) {
      if (snapshot.aborted && deadline.passed()) throw new OutOfTime();
      return { kind: 'error', error: { repository, reason: snapshot.error } };
    }
    const commit = snapshot.commit;
    if (commit === undefined || snapshot.workflows.length === 0) {
      if (repoKey(repository.repo) === repoKey(input.policyRepo.repo)) return { kind: 'excluded' };
      // No workflow, nothing to evaluate: the check passes under any policy.
      return { kind: 'evaluated', result: { repository, ...(commit !== undefined && { commit }), workflows: 0, before: 'success', after: 'success', findings: [] } };
    }
    const run: RepositoryRun = { repository, commit, snapshot, graphs: new Map() };
    deadline.check();
    const before = await evaluateUnder(context, run, context.currentOrg);
    deadline.check();
    const after = await evaluateUnder(context, run, context.proposedOrg);
    return {
      kind: 'evaluated',
      result: {
        repository,
        commit,
        workflows: snapshot.workflows.length,
        before: before.conclusion,
        after: after.conclusion,
        findings: after.findings,
        ...(before.problem !== undefined && { beforeProblem: before.problem }),
        ...(after.problem !== undefined && { afterProblem: after.problem }),
      },
    };
  } catch (error) {
    if (error instanceof OutOfTime) return { kind: 'out-of-time' };
    input.log.warn({ err: error, repository: repoFullName(repository.repo) }, 'policy dry run of a repository failed');
    return { kind: 'error', error: { repository, reason: `unexpected error: ${error instanceof Error ? error.message : String(error)}` } };
  }
}

/** One repository's default branch, and its call graphs by the platform limits they were resolved under. */
interface RepositoryRun {
  repository: RepoMetadata;
  commit: string;
  snapshot: DefaultBranchSnapshot;
  graphs: Map<string, Promise<CallGraph>>;
}

interface Side {
  conclusion: Conclusion;
  findings: Finding[];
  problem?: string;
}

/**
 * One side of the comparison: the policy for this repository built by loadEffectivePolicy from the given
 * organization policy file (its `repositories` overrides, the repository's own file as `repo-policy` says),
 * then the engine over the repository's workflows. The graph is resolved once per distinct platform limits:
 * usually once, the second side reading everything from the review's cache.
 */
async function evaluateUnder(context: DryRunContext, run: RepositoryRun, orgFile: PolicyFileResult): Promise<Side> {
  const { input } = context;
  const { repository, commit, snapshot } = run;
  const effective = await loadEffectivePolicy({
    source: new PreparedPolicyFiles(
      [
        [{ repo: context.orgRepo, path: input.config.policyPath }, orgFile],
        [{ repo: repository.repo, ref: commit, path: input.config.policyPath }, snapshot.policyFile],
      ],
      context.policyFiles,
    ),
    owner: input.org,
    repository,
    baseCommit: commit,
    orgPolicyRepo: input.config.orgPolicyRepo,
    path: input.config.policyPath,
    cache: context.policyCache,
  });
  const policy = effective.policy;
  // The check fails closed on a policy it cannot build; so does the dry run.
  if (policy === undefined) return { conclusion: 'failure', findings: [], problem: describeProblem(effective) };
  const limits = evaluationLimits(input.config.host, input.config.limits, policy);
  const key = `${limits.maxLevels}/${limits.maxUnique}`;
  let graph = run.graphs.get(key);
  if (graph === undefined) {
    const roots = snapshot.workflows.map((file) => ({ repo: repository.repo, path: file.path, commit, ...(file.text !== undefined && { text: file.text }) }));
    graph = resolveCallGraph(roots, { source: context.source, cache: context.cache, limits, logger: input.log, knownRepos: context.listed, ...scopeOf(input) });
    run.graphs.set(key, graph);
  }
  const evaluation = await evaluateGraph({ graph: await graph, repository, policy, source: context.source, cache: context.cache, now: input.now, logger: input.log, ...scopeOf(input) });
  return { conclusion: evaluation.conclusion, findings: evaluation.findings };
}

function describeProblem(effective: EffectivePolicy): string {
  return effective.diagnostics.map(formatPolicyDiagnostic).join('; ');
}

/**
 * Policy files known in advance (the organization file in one version or the other; the repository's file read
 * with its workflows) answered without a request, anything else from GitHub: loadEffectivePolicy is unchanged.
 */
class PreparedPolicyFiles implements PolicyFileSource {
  private readonly answers: Map<string, PolicyFileResult>;

  constructor(
    answers: [PolicyFileRequest, PolicyFileResult][],
    private readonly fallback: PolicyFileSource,
  ) {
    this.answers = new Map(answers.map(([request, result]) => [requestKey(request), result]));
  }

  async readPolicyFiles(requests: PolicyFileRequest[]): Promise<PolicyFileResult[]> {
    const unknown = requests.filter((request) => !this.answers.has(requestKey(request)));
    const fetched = unknown.length > 0 ? await this.fallback.readPolicyFiles(unknown) : [];
    const byKey = new Map(unknown.map((request, index) => [requestKey(request), fetched[index]]));
    return requests.map((request) => this.answers.get(requestKey(request)) ?? byKey.get(requestKey(request)) ?? { error: { kind: 'server-error', message: 'no answer' } });
  }
}

function requestKey(request: PolicyFileRequest): string {
  return [repoKey(request.repo), request.ref?.toLowerCase() ?? 'default branch', request.path].join('\n');
}

// ---- reading GitHub ------------------------------------------------------------------------------

async function listInstallationRepositories(octokit: Octokit, deadline: Deadline): Promise<{ repositories: RepoMetadata[] } | { error: string }> {
  const repositories: RepoMetadata[] = [];
  try {
    const pages = octokit.paginate.iterator(octokit.rest.apps.listReposAccessibleToInstallation, {
      per_page: 100,
      request: { signal: AbortSignal.timeout(Math.max(1, deadline.remaining())) },
    });
    for await (const page of pages) repositories.push(...page.data.map(repositoryMetadata));
    return { repositories };
  } catch (error) {
    return { error: deadline.passed() ? `the time budget of ${seconds(deadline.ms)} ran out first.` : requestFailure(error, false, 'GitHub').message };
  }
}

// ---- summary -------------------------------------------------------------------------------------

function summarize(input: { candidates: number; selected: RepoMetadata[]; outcomes: (RepositoryOutcome | undefined)[]; budget: Required<PolicyReviewBudget> }): DryRun {
  const results: RepositoryDryRun[] = [];
  const errors: DryRunError[] = [];
  let excluded = 0;
  let outOfTime = 0;
  input.outcomes.forEach((outcome) => {
    if (outcome === undefined || outcome.kind === 'out-of-time') outOfTime += 1;
    else if (outcome.kind === 'evaluated') results.push(outcome.result);
    else if (outcome.kind === 'error') errors.push(outcome.error);
    else excluded += 1;
  });
  const total = input.candidates - excluded;
  const overCount = input.candidates - input.selected.length;
  const reasons = [
    ...(overCount > 0 ? [`${plural(overCount, 'repository', 'repositories')} skipped: at most ${input.budget.maxRepositories} are evaluated per dry run, the first by name`] : []),
    ...(outOfTime > 0 ? [`the time budget of ${seconds(input.budget.timeMs)} ran out before ${plural(outOfTime, 'repository', 'repositories')} were evaluated`] : []),
  ];
  const newlyFailing = results.filter((result) => result.after === 'failure' && result.before !== 'failure');
  const newlyPassing = results.filter((result) => result.before === 'failure' && result.after !== 'failure');
  return {
    total,
    results,
    newlyFailing,
    newlyPassing,
    unchanged: results.length - newlyFailing.length - newlyPassing.length,
    errors,
    skipped: { count: overCount, time: outOfTime },
    partial: reasons.length > 0,
    ...(reasons.length > 0 && { partialReason: reasons.join('; ') }),
  };
}

function seconds(ms: number): string {
  return `${ms / 1000} s`;
}

function plural(count: number, one: string, many: string): string {
  return `${count} ${count === 1 ? one : many}`;
}

// ---- rendering -----------------------------------------------------------------------------------

export interface RenderPolicyReviewOptions {
  /** The policy repository is public: private and internal repositories are counted, never named. */
  redactPrivate: boolean;
}

/** Names shown per list; the rest are counted. */
const MAX_LISTED = 30;
const MAX_DIAGNOSTIC_LINES = 50;
const MAX_REASON_CHARS = 200;

/** A Markdown section for the check run's summary: the validation verdict, then the dry run. */
export function renderPolicyReview(review: PolicyReview, options: RenderPolicyReviewOptions): string {
  const lines = ['### Proposed workflow policy', '', ...renderValidation(review)];
  if (review.error !== undefined) lines.push('', `**Dry run:** not made. ${review.error}`);
  if (review.dryRun) lines.push('', ...renderDryRun(review.dryRun, options));
  return lines.join('\n');
}

function renderValidation(review: PolicyReview): string[] {
  const file = `\`${review.file}\``;
  if (review.diagnostics.length === 0) return [`**Valid:** ${file} at ${review.commit.slice(0, 7)} has no problems.`];
  const shown = review.diagnostics.slice(0, MAX_DIAGNOSTIC_LINES).map(formatPolicyDiagnostic);
  const more = review.diagnostics.length - shown.length;
  if (more > 0) shown.push(`… and ${more} more (see the annotations)`);
  return [`**Invalid:** ${plural(review.diagnostics.length, 'problem', 'problems')} in ${file}; no dry run was made.`, '', ...fenced(shown)];
}

function renderDryRun(dryRun: DryRun, options: RenderPolicyReviewOptions): string[] {
  const counts = [
    `${plural(dryRun.newlyFailing.length, 'repository', 'repositories')} would newly fail`,
    `${dryRun.newlyPassing.length} would newly pass`,
    `${dryRun.unchanged} unchanged`,
    ...(dryRun.errors.length > 0 ? [`${dryRun.errors.length} could not be evaluated`] : []),
    `evaluated ${dryRun.results.length} of ${dryRun.total}${dryRun.partial ? ` (partial: ${dryRun.partialReason ?? 'cut short'})` : ''}`,
  ];
  const lines = [`**Dry run** (default branches, current policy → proposed): ${counts.join(' / ')}`];
  const section = (title: string, entries: Listed[]): void => {
    if (entries.length > 0) lines.push('', `${title}:`, ...renderList(entries, options));
  };
  section('Would newly fail', dryRun.newlyFailing.map((result) => ({ repository: result.repository, detail: failureDetail(result) })));
  section('Would newly pass', dryRun.newlyPassing.map((result) => ({ repository: result.repository })));
  section('Could not be evaluated', dryRun.errors.map((error) => ({ repository: error.repository, detail: shorten(error.reason) })));
  return lines;
}

interface Listed {
  repository: RepoMetadata;
  detail?: string;
}

/** Public repositories by name (at most MAX_LISTED), the others counted when they must stay unnamed. */
function renderList(entries: Listed[], options: RenderPolicyReviewOptions): string[] {
  const hidden = options.redactPrivate ? entries.filter((entry) => entry.repository.visibility !== 'public') : [];
  const named = options.redactPrivate ? entries.filter((entry) => entry.repository.visibility === 'public') : entries;
  const lines = named.slice(0, MAX_LISTED).map((entry) => `- \`${repoFullName(entry.repository.repo)}\`${entry.detail ? ` — ${entry.detail}` : ''}`);
  if (named.length > MAX_LISTED) lines.push(`- and ${named.length - MAX_LISTED} more`);
  if (hidden.length > 0) lines.push(`- ${plural(hidden.length, 'private or internal repository', 'private or internal repositories')} (not named: this repository is public)`);
  return lines;
}

/** The rules that fail it (never their messages, which may name other repositories), or why its policy fails closed. */
function failureDetail(result: RepositoryDryRun): string {
  if (result.afterProblem !== undefined) return `its policy could not be built: ${shorten(result.afterProblem)}`;
  const rules = [...new Set(result.findings.filter((finding) => finding.severity === 'error').map((finding) => finding.ruleId))];
  return rules.join(', ');
}

function shorten(text: string): string {
  return text.length <= MAX_REASON_CHARS ? text : `${text.slice(0, MAX_REASON_CHARS - 1)}…`;
}

/** A fenced block whose fence no line can close early. */
function fenced(lines: string[]): string[] {
  const longest = Math.max(2, ...lines.map((line) => Math.max(0, ...(line.match(/`+/g) ?? []).map((run) => run.length))));
  const fence = '`'.repeat(longest + 1);
  return [`${fence}text`, ...lines, fence];
}

function scopeOf(input: ReviewProposedPolicyInput): { cacheScope?: string } {
  return input.cacheScope === undefined ? {} : { cacheScope: input.cacheScope };
}
