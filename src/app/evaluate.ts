// The check run's lifecycle for one commit under review: created in progress at once, always completed —
// with the policy's verdict, or, when anything goes wrong, with a failure that says what (fail closed).
import type { ProbotOctokit } from 'probot';
import { LayeredCacheStore } from '../cache/layered.js';
import type { ScopedCache } from '../cache/port.js';
import { runEvaluation, type EvaluationRun } from '../engine/run.js';
import type { RootFile } from '../graph/resolve.js';
import type { RepoId, RepoMetadata } from '../graph/types.js';
import type { Logger } from '../log.js';
import { loadEffectivePolicy, type EffectivePolicy } from '../policy/load.js';
import { formatPolicyDiagnostic } from '../policy/parse.js';
import { annotationBatches, renderCheckRun, renderFailure, renderNoWorkflowChanges, type CheckRunReport } from '../report/check-run.js';
import { createRedactor } from '../report/redact.js';
import { GitHubSource, requestFailure } from '../source/github.js';
import { CachedPolicyFiles, GitHubPolicyFiles } from '../source/policy-files.js';
import { SingleFlightSource } from '../source/single-flight.js';
import type { WardenServices } from '../services.js';
import type { ResolvedRefs } from '../state/store.js';
import { formatUses } from '../workflow/uses.js';
import type { Policy } from '../policy/types.js';
import { setTimeout as delay } from 'node:timers/promises';
import { WITHDRAW, WriteWithdrawn } from '../octokit.js';
import { actionsWithCallers, callersPort, recordEvaluation } from './callers.js';
import { PIN_ALL_ACTION } from './pin-all.js';
import type { CheckOrigin } from './targets.js';
import { DEFAULT_REVIEW_BUDGET, renderPolicyReview, reviewProposedPolicy, type PolicyReview } from './policy-review.js';
import { buildSuggestionReview, postSuggestionReview } from './review.js';
import { touchedLines } from './diff.js';
import {
  directoryChanges,
  listComparedFiles,
  listPullRequestFiles,
  mergeChanges,
  readWorkflowDirectory,
  selectRoots,
  workflowChanges,
  type ChangedFile,
  type WorkflowChanges,
  type WorkflowFile,
} from './workflows.js';

type Octokit = InstanceType<typeof ProbotOctokit>;

/** A commit to check: a pull request's head, or a merge group's. */
export interface EvaluationTarget {
  repository: RepoMetadata;
  headSha: string;
  baseSha: string;
  /**
   * Absent for merge groups. `changedFiles`: GitHub's count of the pull request's files, to tell when its
   * file list was cut short; `fromFork`: the head lives in another repository.
   */
  pull?: { number: number; changedFiles?: number; fromFork: boolean };
  /** Present for merge groups: what a re-run needs to evaluate the same change again. */
  mergeGroup?: { base: string; head: string; ref: string };
  /** Identifies the series of evaluations whose newest result must win, e.g. `octo-org/app#7`. */
  subject: string;
  /** The branch the change merges into (a pull request's base, a merge group's target): callers on it are reached. */
  baseRef?: string;
  /** The branch the head is on, as the callers index records it. */
  headRef?: string;
  /**
   * Present when a repository's default branch is evaluated again because a ref it calls moved: every workflow at
   * the head is evaluated (there is no change to diff), and `cause` says what moved (absent on a re-run asked for).
   */
  drift?: { cause?: string };
}

export interface EvaluationEnvironment {
  octokit: Octokit;
  log: Logger;
  services: WardenServices;
  /** The app's bot login (`slug[bot]`), to recognise its own review comments; undefined when unknown. */
  botLogin: () => Promise<string | undefined>;
  /** The installation's own part of the cache: what one installation read is never served to another. */
  cacheScope: string;
  /** Runs an evaluation when one of the process's slots is free (see WardenConfig.maxConcurrentEvaluations). */
  slot: <T>(work: () => Promise<T>) => Promise<T>;
  /** The webhook delivery being handled: its retry completes the check runs it created instead of adding more. */
  delivery?: string;
}

class EvaluationTimeout extends Error {}

/** Creates the check run, evaluates, and completes the check run whatever happens. */
export async function evaluateTarget(environment: EvaluationEnvironment, target: EvaluationTarget): Promise<void> {
  const { octokit, log, services } = environment;
  const started = services.now();
  // Its place among the evaluations of the subject is taken on arrival: a slow check-run create must not make
  // an older event look newer than one that came after it.
  const sequencing = services.state.beginEvaluation(target.subject, target.headSha);
  // The check run is created in progress after a short grace, once this installation's turn to write comes; when
  // the verdict is ready before (a quick evaluation, or a burst of pull requests waiting for their turns), the
  // waiting create is withdrawn and the run is created completed instead: one write, not two. Whether the
  // delivery created one before is looked up while the sequence is taken.
  const withdraw = new AbortController();
  const opening = startCheckRun(environment, target, started, withdraw.signal);
  opening.catch(() => undefined);
  let sequence: number;
  try {
    sequence = await sequencing;
  } catch (error) {
    // Not evaluated: the delivery is retried, and completes the run if its create already went out.
    withdraw.abort();
    throw error;
  }
  // The work waits for a slot, and its timeout starts then. The slot is given back with the verdict: what follows
  // it (the callers index, the review of suggested changes) waits for its own write turn without holding one.
  const afterVerdict = await environment.slot(async (): Promise<Outcome['afterVerdict']> => {
    // An evaluation stopped by the timeout keeps running in the background: it must not write anything then.
    let abandoned = false;
    const current = async (): Promise<boolean> => !abandoned && (await services.state.newerEvaluation(target.subject, sequence)) === undefined;
    let outcome: Outcome;
    try {
      outcome = await withTimeout(evaluate(environment, target, current), services.config.evaluationTimeoutMs);
    } catch (error) {
      abandoned = true;
      outcome = { report: failureReport(error, services.config.evaluationTimeoutMs), pinnable: false };
      log.error({ err: error, subject: target.subject }, 'evaluation failed; completing the check as failed');
    }
    // A newer evaluation of another head holds the pull request's result. One of the same head evaluates the
    // same commit: this run keeps its verdict, since GitHub reads whichever run of the commit it numbered last.
    const newer = await services.state.newerEvaluation(target.subject, sequence);
    if (newer !== undefined && newer.head !== target.headSha) {
      const report: CompletedReport = { conclusion: 'cancelled', title: 'Superseded by a newer evaluation', summary: 'A newer evaluation of this pull request started while this one ran; its check run holds the result.', annotations: [] };
      outcome = { report, pinnable: false };
    }
    withdraw.abort();
    const checkRun = await opening;
    await completeCheckRun(octokit, { ...checkRun, report: outcome.report, pinnable: outcome.pinnable, completedAt: services.now() }, log);
    return outcome.afterVerdict;
  });
  // The verdict first: the callers index and suggested changes must not hold it up.
  try {
    await afterVerdict?.();
  } catch (error) {
    // The check run holds the verdict: a retry of the delivery would only evaluate it again.
    log.warn({ err: error, subject: target.subject }, 'the work after the verdict failed (callers index, suggested changes)');
  }
}

/** The check run of an evaluation: its id once created, and what creates it if it is not yet. */
interface CheckRunHandle {
  owner: string;
  repo: string;
  id: number | undefined;
  create: CheckRunCreate;
  /** Records a run created late, so a retried delivery completes it instead of creating another. */
  created: (id: number) => Promise<void>;
}

type CheckRunCreate = Parameters<Octokit['rest']['checks']['create']>[0] & object;

/**
 * The check run showing the evaluation in progress, unless `withdraw` aborts during the grace or while the create
 * waits for its turn (then `id` is undefined and completing the run creates it). A delivery handled before and cut
 * short (its process died, or it failed after creating the run) completes the run it created: one verdict per
 * commit, none left in progress.
 */
async function startCheckRun(environment: EvaluationEnvironment, target: EvaluationTarget, started: Date, withdraw: AbortSignal): Promise<CheckRunHandle> {
  const { octokit, services, delivery } = environment;
  const { owner, name } = target.repository.repo;
  const key = `${target.subject}@${target.headSha}`;
  const create: CheckRunCreate = {
    owner,
    repo: name,
    name: services.config.checkName,
    head_sha: target.headSha,
    status: 'in_progress',
    started_at: started.toISOString(),
    external_id: JSON.stringify(checkOrigin(target)),
  };
  const created = async (id: number) => {
    if (delivery !== undefined) await services.state.rememberCheckRun(delivery, key, id);
  };
  const handle = (id: number | undefined): CheckRunHandle => ({ owner, repo: name, id, create, created });
  const remembered = delivery === undefined ? undefined : await services.state.checkRunOf(delivery, key);
  if (remembered !== undefined) return handle(remembered);
  if (!(await pause(services.config.checkRunGraceMs, withdraw))) return handle(undefined);
  try {
    const response = await octokit.rest.checks.create({ ...create, request: { [WITHDRAW]: withdraw } });
    await created(response.data.id);
    return handle(response.data.id);
  } catch (error) {
    if (error instanceof WriteWithdrawn) return handle(undefined);
    throw error;
  }
}

/** Waits `ms`, or less if `signal` aborts first: true when the whole time passed. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  // No grace means at once, not after a timer's turn: the create goes out before any verdict can be ready.
  if (ms === 0) return Promise.resolve(!signal.aborted);
  return delay(ms, true, { signal }).catch(() => false);
}

/** What a re-run of this check run evaluates again (see parseCheckOrigin). */
function checkOrigin(target: EvaluationTarget): CheckOrigin {
  if (target.pull) return { pull: target.pull.number };
  if (target.mergeGroup) return { mergeGroup: target.mergeGroup };
  return { branch: target.headRef ?? target.repository.defaultBranch ?? '' };
}

interface Outcome {
  report: CompletedReport;
  pinnable: boolean;
  /** What follows the verdict once the check run holds it: the callers index, the suggested changes. */
  afterVerdict?: () => Promise<void>;
}

/** A report, or the note of an evaluation a newer one superseded. */
type CompletedReport = Omit<CheckRunReport, 'conclusion'> & { conclusion: CheckRunReport['conclusion'] | 'cancelled' };

export type Analysis = { files: ChangedFile[] } & (
  | { kind: 'no-workflow-changes' }
  | { kind: 'invalid-policy'; effective: EffectivePolicy }
  | { kind: 'too-many-workflows'; count: number }
  | { kind: 'evaluated'; effective: EffectivePolicy; run: EvaluationRun }
);

/** Reads what changed, the policy in force and the call graph, and evaluates: no writes to GitHub. */
export async function analyzeTarget(
  environment: EvaluationEnvironment,
  target: EvaluationTarget,
  store: LayeredCacheStore = new LayeredCacheStore({ durable: environment.services.cache, logger: environment.log }),
): Promise<Analysis> {
  const { octokit } = environment;
  const repo = target.repository.repo;
  // One evaluation's cache, shared by its reads: the directory and the policy first, then the call graph.
  const cache: ScopedCache = { store, scope: environment.cacheScope };
  if (target.drift) return analyzeDefaultBranch(environment, target, cache);
  // The change's files and those of other pull requests sharing its head are read at once: neither needs the other.
  const [files, sameHead] = await Promise.all([
    target.pull ? listPullRequestFiles(octokit, repo, target.pull.number) : listComparedFiles(octokit, repo, target.baseSha, target.headSha),
    target.pull ? sameHeadChanges(octokit, repo, target) : [],
  ]);
  // GitHub cuts file lists short (3,000 files for a pull request, 300 for a comparison): then the
  // workflow directories themselves are compared, which is complete whatever the size of the change.
  const listComplete = target.pull ? target.pull.changedFiles === undefined || files.length >= target.pull.changedFiles : files.length < COMPARE_FILES_LIMIT;
  const reference = listComplete ? undefined : target.pull ? await mergeBase(octokit, repo, target) : target.baseSha;
  const listed = mergeChanges(workflowChanges(files), ...sameHead);
  if (listComplete && listed.changed.length === 0 && listed.removed.length === 0 && listed.actions.length === 0) return { kind: 'no-workflow-changes', files };

  // A changed action that other repositories run is a top-level file of its own: what it runs, and what it does to
  // the steps that run it. (Only the file list names actions: the directory comparison adds none.)
  const [directory, effective, called] = await Promise.all([
    readWorkflowDirectory(octokit, repo, target.headSha, reference, cache),
    policyInForce(environment, target, cache),
    listed.actions.length === 0 ? [] : actionsWithCallers(environment, repo, listed.actions),
  ]);
  const changes = reference === undefined ? listed : mergeChanges(listed, directoryChanges(directory));
  const actions: RootFile[] = called.map((path) => ({ kind: 'action', repo, path, commit: target.headSha }));
  const roots = [...workflowRoots(target, selectRoots(changes, directory.files)), ...actions];
  // Only action files that neither another repository nor a workflow here runs: nothing to check, whatever the policy.
  if (roots.length === 0) return { kind: 'no-workflow-changes', files };
  if (!effective.policy) return { kind: 'invalid-policy', effective, files };
  return evaluateRoots(environment, target, roots, { ...effective, policy: effective.policy }, files, cache);
}

function workflowRoots(target: EvaluationTarget, files: WorkflowFile[]): RootFile[] {
  return files.map((file) => ({ repo: target.repository.repo, path: file.path, commit: target.headSha, ...(file.text !== undefined && { text: file.text }) }));
}

/** A default branch evaluated again after a ref it calls moved: all of its workflows, under its own policy. */
async function analyzeDefaultBranch(environment: EvaluationEnvironment, target: EvaluationTarget, cache: ScopedCache): Promise<Analysis> {
  const [directory, effective] = await Promise.all([readWorkflowDirectory(environment.octokit, target.repository.repo, target.headSha, undefined, cache), policyInForce(environment, target, cache)]);
  if (!effective.policy) return { kind: 'invalid-policy', effective, files: [] };
  return evaluateRoots(environment, target, workflowRoots(target, directory.files), { ...effective, policy: effective.policy }, [], cache);
}

function policyInForce(environment: EvaluationEnvironment, target: EvaluationTarget, cache: ScopedCache): Promise<EffectivePolicy> {
  const { octokit, log, services } = environment;
  return loadEffectivePolicy({
    source: new CachedPolicyFiles(new GitHubPolicyFiles({ octokit, logger: log }), cache),
    owner: target.repository.repo.owner,
    repository: target.repository,
    baseCommit: target.baseSha,
    orgPolicyRepo: services.config.orgPolicyRepo,
    path: services.config.policyPath,
  });
}

async function evaluateRoots(
  environment: EvaluationEnvironment,
  target: EvaluationTarget,
  roots: RootFile[],
  effective: EffectivePolicy & { policy: Policy },
  files: ChangedFile[],
  cache: ScopedCache,
): Promise<Analysis> {
  const { octokit, log, services } = environment;
  if (roots.length === 0) return { kind: 'no-workflow-changes', files };
  if (roots.length > MAX_TOP_LEVEL_FILES) return { kind: 'too-many-workflows', count: roots.length, files };
  const run = await runEvaluation({
    roots,
    repository: target.repository,
    policy: effective.policy,
    // Shared with the installation's concurrent evaluations while a read is in flight, and batched with theirs.
    source: new SingleFlightSource(new GitHubSource({ octokit, host: services.config.host, logger: log }), cache.scope, {
      ...(services.config.batchWindowMs !== undefined && { batchWindowMs: services.config.batchWindowMs }),
    }),
    cache: cache.store,
    cacheScope: cache.scope,
    limits: services.config.limits,
    now: services.now(),
    logger: log,
    // A default branch evaluated for drift changed nothing: it has no callers to break.
    ...(!target.drift && { callers: callersPort(environment, target) }),
  });
  return { kind: 'evaluated', files, effective, run };
}

/**
 * Top-level files one evaluation takes on. Each may reach 50 reusable workflows, so this bounds the
 * GitHub requests a single push can cost the installation; more fails closed with the reason.
 */
export const MAX_TOP_LEVEL_FILES = 100;
/** GitHub's comparison lists at most this many files. */
const COMPARE_FILES_LIMIT = 300;
/** Other open pull requests sharing a head commit that are looked at (more is an attack, not a workflow). */
const MAX_SAME_HEAD_PULLS = 10;

/** Where the pull request's branch left its base: what its file list is relative to. */
async function mergeBase(octokit: Octokit, repo: RepoId, target: EvaluationTarget): Promise<string> {
  const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ owner: repo.owner, repo: repo.name, basehead: `${target.baseSha}...${target.headSha}`, per_page: 1 });
  return data.merge_base_commit.sha;
}

/**
 * A check run belongs to a commit, not to a pull request: a second pull request with the same head but
 * another base (one that already holds a workflow change) must not turn the first one's failure into a
 * pass. So the workflow changes of every open pull request sharing this head count.
 */
async function sameHeadChanges(octokit: Octokit, repo: RepoId, target: EvaluationTarget): Promise<WorkflowChanges[]> {
  const { data } = await octokit.rest.repos.listPullRequestsAssociatedWithCommit({ owner: repo.owner, repo: repo.name, commit_sha: target.headSha, per_page: 100 });
  const others = data
    .filter((pull) => pull.state === 'open' && pull.number !== target.pull?.number && pull.head.sha === target.headSha)
    .slice(0, MAX_SAME_HEAD_PULLS);
  return Promise.all(others.map(async (pull) => workflowChanges(await listPullRequestFiles(octokit, repo, pull.number))));
}

/** Whether this evaluation is still the one whose results count: the newest of its subject, not stopped. */
type StillCurrent = () => Promise<boolean>;

async function evaluate(environment: EvaluationEnvironment, target: EvaluationTarget, current: StillCurrent): Promise<Outcome> {
  const { log, services } = environment;
  // What the evaluation read goes to the durable cache behind the verdict, and is there before what follows it.
  const store = new LayeredCacheStore({ durable: services.cache, logger: log, writeBehind: true });
  const analysis = await analyzeTarget(environment, target, store);
  const evaluated = await evaluationOutcome(environment, target, analysis, current);
  const proposal = isPolicyRepository(services, target) ? analysis.files.find((file) => file.filename === services.config.policyPath) : undefined;
  if (proposal) log.info({ subject: target.subject, status: proposal.status }, 'pull request changes the organization policy');
  const outcome = proposal ? { ...evaluated, report: await withPolicyReview(environment, target, evaluated.report, proposal.status === 'removed') } : evaluated;
  const then = outcome.afterVerdict;
  return {
    ...outcome,
    afterVerdict: async () => {
      await store.settled();
      await then?.();
    },
  };
}

async function evaluationOutcome(environment: EvaluationEnvironment, target: EvaluationTarget, analysis: Analysis, current: StillCurrent): Promise<Outcome> {
  const { log, services } = environment;
  if (analysis.kind === 'no-workflow-changes') return { report: renderNoWorkflowChanges(), pinnable: false };
  if (analysis.kind === 'invalid-policy') return { report: invalidPolicyReport(analysis.effective), pinnable: false };
  if (analysis.kind === 'too-many-workflows') {
    const reason = `This change reaches ${analysis.count} workflow files; the app evaluates at most ${MAX_TOP_LEVEL_FILES} at once, so nothing was approved.`;
    return { report: renderFailure({ reason, detail: 'Split the change into smaller pull requests.' }), pinnable: false };
  }
  const { run, effective, files } = analysis;
  // A superseded evaluation's result is dropped: the refs it saw and its suggestions (for an older head) are too.
  const refs = resolvedRefs(run);
  const [latest, previous] = await Promise.all([current(), services.state.previousRefs(target.subject)]);
  const movedRefs = latest ? refsMoved(previous, refs) : [];
  const rendered = renderCheckRun({
    graph: run.graph,
    evaluation: run.evaluation,
    repository: target.repository,
    policy: { description: describePolicy(effective) },
    movedRefs,
    notes: [...effective.notes, ...run.notes],
    ...(run.impact && { impact: run.impact }),
  });
  const report = target.drift ? { ...rendered, summary: `${driftNote(target.drift.cause)}\n\n${rendered.summary}` } : rendered;
  // Pin all commits only to this repository's top-level files: a pin inside a called workflow is not its to make.
  const pinnable =
    target.pull !== undefined && run.evaluation.findings.some(({ fix }) => (fix?.kind === 'replace-uses' || fix?.kind === 'replace-step-uses') && run.graph.roots.includes(fix.node));
  log.info({ subject: target.subject, conclusion: report.conclusion, findings: run.evaluation.findings.length, nodes: run.graph.nodes.size }, 'evaluation finished');
  const afterVerdict = async () => {
    await services.state.saveRefs(target.subject, refs);
    await recordEvaluation(environment, target, run);
    if (target.pull) await suggestFixes(environment, target, files, run);
  };
  return { report, pinnable, ...(latest && { afterVerdict }) };
}

function driftNote(cause: string | undefined): string {
  if (cause === undefined) return '**Evaluated again on request:** every workflow of this branch at this commit.';
  return `**Evaluated again because ${cause}.** This branch did not change: a ref its workflows call did, so what runs here changed with it.`;
}

function isPolicyRepository(services: WardenServices, target: EvaluationTarget): boolean {
  return target.pull !== undefined && target.repository.repo.name.toLowerCase() === services.config.orgPolicyRepo.toLowerCase();
}

/**
 * A pull request to the org policy file: its validation (annotations at the bad lines, rule `policy`) and
 * the dry run across the installation's repositories join the check. The policy in force stays the one on
 * the default branch until the pull request is merged.
 */
async function withPolicyReview(environment: EvaluationEnvironment, target: EvaluationTarget, report: CompletedReport, removed: boolean): Promise<CompletedReport> {
  const { octokit, log, services } = environment;
  const { repo } = target.repository;
  const path = services.config.policyPath;
  if (removed) {
    const note = `### Proposed workflow policy\nThis pull request deletes \`${path}\`: once merged, every repository falls back to the recommended preset (unless this repository is not the organization's policy repository).`;
    return { ...report, summary: `${report.summary}\n\n${note}` };
  }
  const [file] = await new GitHubPolicyFiles({ octokit, logger: log }).readPolicyFiles([{ repo, ref: target.headSha, path }]);
  if (!file || !('found' in file) || !file.found) {
    return { ...report, conclusion: 'failure', summary: `${report.summary}\n\n### Proposed workflow policy\nThe proposed \`${path}\` could not be read at ${target.headSha.slice(0, 7)}; re-run the check.` };
  }
  const review = await reviewProposedPolicy({
    octokit,
    org: repo.owner,
    policyRepo: target.repository,
    proposed: { text: file.text, path, commit: target.headSha },
    config: services.config,
    cache: services.cache,
    cacheScope: environment.cacheScope,
    now: services.now(),
    log,
    budget: { ...DEFAULT_REVIEW_BUDGET, timeMs: Math.floor(services.config.evaluationTimeoutMs / 2) },
    ...(target.pull?.fromFork && { dryRunDeclined: 'A pull request from a fork gets the validation only: the dry run would tell its author about repositories they may not see.' }),
  });
  const annotations = review.diagnostics.map((diagnostic) => ({
    path,
    start_line: diagnostic.line,
    end_line: Math.max(diagnostic.line, diagnostic.endLine - (diagnostic.endColumn === 1 && diagnostic.endLine > diagnostic.line ? 1 : 0)),
    annotation_level: 'failure' as const,
    title: 'policy: invalid workflow policy',
    message: diagnostic.message,
  }));
  const problems = review.diagnostics.length;
  return {
    ...report,
    ...(problems > 0
      ? { conclusion: 'failure', title: `Invalid workflow policy: ${problems} problem${problems === 1 ? '' : 's'}` }
      : report.conclusion === 'success' && { title: validPolicyTitle(review) }),
    summary: `${report.summary}\n\n${renderPolicyReview(review, { redactPrivate: target.repository.visibility === 'public' })}`,
    annotations: [...annotations, ...report.annotations],
  };
}

/** The verdict of a valid proposal in a few words: what it would change across the organization. */
function validPolicyTitle(review: PolicyReview): string {
  const run = review.dryRun;
  if (!run) return 'Proposed policy is valid (no dry run)';
  const failing = run.newlyFailing.length;
  const passing = run.newlyPassing.length;
  const effect = failing + passing === 0 ? 'no repository changes verdict' : `${failing} would newly fail, ${passing} newly pass`;
  return `Proposed policy is valid: ${effect}${run.partial ? ' (partial dry run)' : ''}`;
}

/** Posts the fixes on lines the pull request touched as one review of suggested changes. */
async function suggestFixes(environment: EvaluationEnvironment, target: EvaluationTarget, files: ChangedFile[], run: EvaluationRun): Promise<void> {
  const { octokit, log } = environment;
  const { graph } = run;
  // A review on a public repository is public too: what the check run hides, its suggestions must not show.
  const redactor = createRedactor({ graph, repository: target.repository, rootTexts: graph.roots.flatMap((root) => graph.nodes.get(root)?.text ?? []) });
  const review = buildSuggestionReview({
    graph,
    findings: run.evaluation.findings,
    touched: touchedLines(files),
    rootPaths: graph.roots.map((key) => graph.nodes.get(key)?.address.path ?? ''),
    ...(redactor.active && { redact: (repo: RepoId) => redactor.hidesContent(repo) }),
  });
  if (review.comments.length === 0 || !target.pull) return;
  const botLogin = await environment.botLogin();
  if (!botLogin) {
    log.warn('the app’s own login is unknown: suggested changes are not posted, so none is posted twice');
    return;
  }
  // Never throws: the check is the verdict, suggestions are a convenience.
  await postSuggestionReview(octokit, {
    owner: target.repository.repo.owner,
    repo: target.repository.repo.name,
    pullNumber: target.pull.number,
    headSha: target.headSha,
    review,
    botLogin,
    logger: log,
  });
}

/** The commit each remote call of the graph resolved to, by the call as written. */
function resolvedRefs(run: EvaluationRun): ResolvedRefs {
  const current: ResolvedRefs = {};
  for (const edge of run.graph.edges) {
    const reference = edge.uses.reference;
    if ((reference.kind !== 'remote-workflow' && reference.kind !== 'action') || !edge.resolvedRef) continue;
    current[formatUses(reference)] = edge.resolvedRef.commit;
  }
  return current;
}

/** The re-run hazard: refs resolved now against the previous evaluation of the same subject. */
function refsMoved(previous: ResolvedRefs | undefined, current: ResolvedRefs) {
  return Object.entries(current).flatMap(([call, commit]) => {
    const before = previous?.[call];
    return before !== undefined && before !== commit ? [{ call, from: before, to: commit }] : [];
  });
}

function describePolicy(effective: EffectivePolicy): string {
  const { org, repo, preset } = effective.origin;
  const file = (origin: { repo: string; commit: string; path: string }) => `${origin.repo}@${origin.commit.slice(0, 7)} ${origin.path}`;
  const parts = [org ? file(org) : `the ${preset ?? 'recommended'} preset (no organization policy)`];
  if (repo) parts.push(`tightened by ${file(repo)}`);
  return parts.join(', ');
}

function invalidPolicyReport(effective: EffectivePolicy): CheckRunReport {
  // A policy GitHub did not give is not an invalid one: say which, so nobody edits a correct file.
  const unread = effective.diagnostics.every((diagnostic) => diagnostic.message.includes('could not be read'));
  return renderFailure({
    reason: unread
      ? 'The workflow policy could not be read from GitHub, so nothing was evaluated (the check fails closed). Re-run the check.'
      : 'The workflow policy is invalid, so nothing was evaluated (the check fails closed).',
    detail: effective.diagnostics.map(formatPolicyDiagnostic).join('\n'),
  });
}

function failureReport(error: unknown, timeoutMs: number): CheckRunReport {
  if (error instanceof EvaluationTimeout) {
    return renderFailure({ reason: `The evaluation took longer than ${duration(timeoutMs)} and was stopped.`, detail: 'GitHub may be slow or rate-limiting the app. Re-run the check.' });
  }
  const status = typeof error === 'object' && error !== null && 'status' in error ? Number(error.status) : undefined;
  // A rate limit is not a fault to report or fix: the user needs to know to wait, and for how long.
  if (requestFailure(error, false, 'GitHub').kind === 'rate-limited') {
    const wait = retryAfterSeconds(error);
    const detail = wait === undefined ? 'GitHub limits how often an app may call it. Nothing was approved. Re-run the check in a few minutes.' : `GitHub asked the app to wait ${wait} seconds before calling it again. Nothing was approved. Re-run the check after that.`;
    return renderFailure({ reason: `GitHub rate-limited the app${status ? ` (it answered ${status})` : ''}.`, detail });
  }
  const what = status ? `GitHub answered ${status}` : 'an unexpected error occurred';
  return renderFailure({ reason: `The evaluation could not finish: ${what}.`, detail: 'Nothing was approved. Re-run the check; if it keeps failing, the app’s logs have the details.' });
}

/** The `retry-after` header of a failed request, in seconds, when GitHub sent one. */
function retryAfterSeconds(error: unknown): number | undefined {
  const response = typeof error === 'object' && error !== null && 'response' in error ? error.response : undefined;
  const headers = typeof response === 'object' && response !== null && 'headers' in response ? response.headers : undefined;
  const value = typeof headers === 'object' && headers !== null && 'retry-after' in headers ? Number(headers['retry-after']) : NaN;
  return Number.isInteger(value) && value >= 0 ? value : undefined;
}

/** `300 ms`, `1 second`, `60 seconds`: a timeout under a second must not read as "0 seconds". */
function duration(ms: number): string {
  if (ms < 1000) return `${ms} ms`;
  const seconds = Math.round(ms / 1000);
  return `${seconds} second${seconds === 1 ? '' : 's'}`;
}

async function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new EvaluationTimeout()), ms);
    // A deadline alone never keeps a process alive (a server or a Lambda handler does).
    timer.unref();
  });
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

type Completion = CheckRunHandle & {
  report: CompletedReport;
  pinnable: boolean;
  completedAt: Date;
};

/**
 * Sends the annotations in batches of 50 (GitHub's limit per request), completing the run with the last batch; a
 * run not created yet is created by the first of these writes. Should one fail, one last attempt completes the run
 * as failed, so it never hangs.
 */
async function completeCheckRun(octokit: Octokit, completion: Completion, log: Logger): Promise<void> {
  const { owner, repo, report } = completion;
  let checkRunId = completion.id;
  type Fields = Omit<Parameters<Octokit['rest']['checks']['update']>[0] & object, 'owner' | 'repo' | 'check_run_id'>;
  const write = async (fields: Fields) => {
    if (checkRunId !== undefined) {
      await octokit.rest.checks.update({ owner, repo, check_run_id: checkRunId, ...fields });
      return;
    }
    const { data } = await octokit.rest.checks.create({ ...completion.create, ...fields });
    checkRunId = data.id;
    await completion.created(data.id);
  };
  const batches = annotationBatches(report.annotations);
  const output = (annotations: typeof report.annotations) => ({
    title: report.title,
    summary: report.summary,
    ...(report.text !== undefined && { text: report.text }),
    ...(annotations.length > 0 && { annotations }),
  });
  try {
    for (const batch of batches.slice(0, -1)) await write({ output: output(batch) });
    await write({
      status: 'completed',
      conclusion: report.conclusion,
      completed_at: completion.completedAt.toISOString(),
      output: output(batches.at(-1) ?? []),
      ...(completion.pinnable && { actions: [PIN_ALL_ACTION] }),
    });
  } catch (error) {
    log.error({ err: error, checkRunId }, 'could not complete the check run; completing it as failed');
    const fallback = renderFailure({ reason: 'The result could not be written to this check run.', detail: 'Re-run the check.' });
    await write({
      status: 'completed',
      conclusion: 'failure',
      completed_at: completion.completedAt.toISOString(),
      output: { title: fallback.title, summary: fallback.summary },
    });
  }
}
