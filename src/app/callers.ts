// The callee side in the app: the reverse index kept from pushes to default branches, from every evaluation and
// from an installation's backfill; the port the engine reads a change's callers through; and drift — when a tag or
// branch that callers name moves, their default branches are evaluated again, so "main is now failing policy
// because acme/shared@v1 moved" shows where people look.
import { backfill, indexDefaultBranch } from '../callers/indexer.js';
import { callerRecords } from '../callers/extract.js';
import type { BackfillCursor, CallerRecord, RecordSource } from '../callers/port.js';
import type { CallersPort } from '../engine/impact.js';
import type { EvaluationRun } from '../engine/run.js';
import { repoFullName, repoKey, type RepoId, type RepoMetadata } from '../graph/types.js';
import { joinPath, manifestDirectory } from '../graph/workspace.js';
import { loadEffectivePolicy } from '../policy/load.js';
import { readDefaultBranch } from '../source/default-branch.js';
import { GitHubSource } from '../source/github.js';
import { GitHubPolicyFiles } from '../source/policy-files.js';
import type { EvaluationEnvironment, EvaluationTarget } from './evaluate.js';
import { repositoryMetadata } from './targets.js';
import { isWorkflowPath, readWorkflowDirectory } from './workflows.js';

/** Per request to GitHub made for the index (a default branch's workflows). */
const READ_TIMEOUT_MS = 10_000;
/** Callers' default branches evaluated again at most per moved ref: the rest are named in the log. */
export const MAX_DRIFT_CALLERS = 20;

function readerOf(environment: EvaluationEnvironment) {
  const { octokit, services } = environment;
  return (repo: RepoId) => readDefaultBranch(octokit, repo, { policyPath: services.config.policyPath, timeoutMs: READ_TIMEOUT_MS });
}

/** How an evaluation reads the callers of what it changes: the index, the base version of the files, each caller's policy. */
export function callersPort(environment: EvaluationEnvironment, target: EvaluationTarget): CallersPort {
  const { octokit, services, log } = environment;
  const repo = target.repository.repo;
  return {
    index: services.callers,
    scope: environment.cacheScope,
    ...(target.baseRef !== undefined && { branch: target.baseRef }),
    readBase: async (paths) => {
      const wanted = new Set(paths.filter(isWorkflowPath));
      const actions = paths.filter((path) => !isWorkflowPath(path));
      const [directory, manifests] = await Promise.all([
        wanted.size > 0 ? readWorkflowDirectory(octokit, repo, target.baseSha) : undefined,
        actions.length > 0 ? baseManifests(environment, repo, target.baseSha, actions) : [],
      ]);
      const workflows = (directory?.files ?? []).flatMap((file) => (wanted.has(file.path) && file.text !== undefined ? [[file.path, file.text] as const] : []));
      return new Map([...workflows, ...manifests]);
    },
    policyOf: async (record: CallerRecord) => {
      const repository: RepoMetadata = { repo: record.caller.repo, visibility: record.caller.visibility, archived: false };
      const effective = await loadEffectivePolicy({
        source: new GitHubPolicyFiles({ octokit, logger: log }),
        owner: record.caller.repo.owner,
        repository,
        // The caller's policy as its default branch had it when indexed: the trusted side, never a head.
        baseCommit: record.caller.commit,
        orgPolicyRepo: services.config.orgPolicyRepo,
        path: services.config.policyPath,
      });
      return effective.policy;
    },
  };
}

/**
 * The changed action metadata files that repositories other than this one run, by the index: only those are top-level
 * files of the evaluation. Any `action.yml` in a repository is a possible action, but most that no one runs are test
 * fixtures and examples, often broken on purpose: failing a pull request on them would be a false alarm. An index
 * that cannot be read keeps the file (the check then says the callers could not be read).
 */
export async function actionsWithCallers(environment: EvaluationEnvironment, repo: RepoId, paths: readonly string[]): Promise<string[]> {
  const { services, cacheScope, log } = environment;
  let called: Set<string>;
  try {
    // One query for the repository's callees, however many action files the change lists.
    const records = await services.callers.callersOfRepository(cacheScope, repo);
    called = new Set(records.filter((record) => record.callee.kind === 'action' && repoKey(record.caller.repo) !== repoKey(repo)).map((record) => record.callee.path));
  } catch (error) {
    log.warn({ err: error }, 'the callers index could not be read');
    return [...paths];
  }
  return paths.filter((path) => called.has(manifestDirectory(path)));
}

/**
 * Each action's metadata file before the change, by its path after it: the one the runner read in its directory then
 * (`action.yml`, else `action.yaml`), which a change may have renamed. One request for them all.
 */
async function baseManifests(environment: EvaluationEnvironment, repo: RepoId, commit: string, paths: string[]): Promise<(readonly [string, string])[]> {
  const { octokit, services, log } = environment;
  const source = new GitHubSource({ octokit, host: services.config.host, logger: log });
  const names = (path: string) => ['action.yml', 'action.yaml'].map((file) => joinPath(manifestDirectory(path), file));
  const { files } = await source.fetchLevel({ files: paths.flatMap((path) => names(path).map((name) => ({ repo, path: name, ref: { kind: 'commit' as const, sha: commit } }))), repos: [] });
  return paths.flatMap((path, index) => {
    // action.yaml only where action.yml is not there: an action.yml that could not be read leaves the version unknown.
    const [yml, yaml] = files.slice(index * 2, index * 2 + 2);
    const found = yml?.ok || yml?.error.kind !== 'file-not-found' ? yml : yaml;
    return found?.ok ? [[path, found.text] as const] : [];
  });
}

/** After an evaluation: what its top-level files call, as the index's records of that pull request or default branch. */
export async function recordEvaluation(environment: EvaluationEnvironment, target: EvaluationTarget, run: EvaluationRun): Promise<void> {
  const source: RecordSource | undefined = target.pull ? `pull/${target.pull.number}` : target.drift ? 'default-branch' : undefined;
  // A merge group's head is about to be the branch: its push indexes it.
  if (source === undefined) return;
  const workflows = run.graph.roots.flatMap((key) => run.graph.nodes.get(key)?.workflow ?? []);
  const parsed = callerRecords({
    repo: target.repository.repo,
    visibility: target.repository.visibility,
    commit: target.headSha,
    ...(target.headRef !== undefined && { branch: target.headRef }),
    source,
    workflows,
  });
  const resolved = resolvedCommits(run);
  const records = parsed.map((record) => {
    const commit = resolved.get(callSite(record.caller.path, record.caller.jobId, record.caller.step));
    return commit === undefined ? record : { ...record, resolved: commit };
  });
  try {
    await environment.services.callers.replace(environment.cacheScope, target.repository.repo, source, records);
  } catch (error) {
    // The index serves later evaluations; this one's verdict does not depend on it.
    environment.log.warn({ err: error, subject: target.subject }, 'the callers index could not be written');
  }
}

function callSite(path: string, jobId: string | undefined, step: number | undefined): string {
  return [path, jobId ?? '', step ?? ''].join('\u0000');
}

/** The commit each top-level `uses:` of the evaluation ran at (what its ref resolved to), by file, job and step. */
function resolvedCommits(run: EvaluationRun): Map<string, string> {
  const { graph } = run;
  const roots = new Map(graph.roots.flatMap((key) => {
    const path = graph.nodes.get(key)?.address.path;
    return path === undefined ? [] : [[key, path] as const];
  }));
  const commits = new Map<string, string>();
  for (const edge of graph.edges) {
    const path = roots.get(edge.from);
    const commit = (edge.to === undefined ? undefined : graph.nodes.get(edge.to)?.address.commit) ?? edge.resolvedRef?.commit;
    if (path === undefined || commit === undefined) continue;
    commits.set(callSite(path, edge.jobId, edge.kind === 'action' ? edge.step : undefined), commit);
  }
  return commits;
}

export interface PushedRef {
  repository: RepoMetadata;
  /** `refs/heads/main`, `refs/tags/v1`, or a bare name (create and delete events). */
  ref: string;
  refType: 'branch' | 'tag';
  /** The commit the ref points to now; absent when it was deleted. */
  after?: string;
}

/**
 * A ref moved in a repository: its default branch is indexed again when that is what moved, and the callers that
 * name the ref (on their default branches) are evaluated again at their heads. Bounded per event; never throws.
 */
export async function afterRefMoved(environment: EvaluationEnvironment, pushed: PushedRef, evaluate: (target: EvaluationTarget) => Promise<void>): Promise<void> {
  const { services, log } = environment;
  const name = pushed.ref.replace(/^refs\/(heads|tags)\//, '');
  try {
    if (pushed.refType === 'branch' && pushed.after !== undefined && name === pushed.repository.defaultBranch) {
      const outcome = await indexDefaultBranch({ index: services.callers, scope: environment.cacheScope, read: readerOf(environment), logger: log }, pushed.repository);
      log.info({ repository: repoFullName(pushed.repository.repo), ...outcome }, 'default branch indexed');
    }
    const callers = await services.callers.callersOfRepository(environment.cacheScope, pushed.repository.repo);
    const drifted = driftedCallers(callers, pushed.repository.repo, name);
    if (drifted.length > MAX_DRIFT_CALLERS) log.warn({ ref: name, callers: drifted.length, evaluated: MAX_DRIFT_CALLERS }, 'more callers drifted than are evaluated per event');
    for (const caller of drifted.slice(0, MAX_DRIFT_CALLERS)) {
      const snapshot = await readerOf(environment)(caller.repo);
      if ('error' in snapshot || snapshot.commit === undefined) continue;
      await evaluate({
        repository: caller,
        headSha: snapshot.commit,
        baseSha: snapshot.commit,
        subject: `${repoKey(caller.repo)}@${snapshot.branch ?? 'default'}`,
        ...(snapshot.branch !== undefined && { headRef: snapshot.branch, baseRef: snapshot.branch }),
        drift: { cause: `${repoFullName(pushed.repository.repo)}@${name} moved${pushed.after === undefined ? ' (deleted)' : ` to ${pushed.after.slice(0, 7)}`}` },
      });
    }
  } catch (error) {
    log.warn({ err: error, ref: name }, 'callers of a moved ref could not be looked at');
  }
}

/** The repositories whose default branch names `ref` of `callee` (by tag or branch, never a SHA), each once. */
export function driftedCallers(records: CallerRecord[], callee: RepoId, ref: string): RepoMetadata[] {
  const repositories = new Map<string, RepoMetadata>();
  for (const record of records) {
    if (record.caller.source !== 'default-branch' || record.refKind !== 'named' || record.ref !== ref || repoKey(record.caller.repo) === repoKey(callee)) continue;
    repositories.set(repoKey(record.caller.repo), { repo: record.caller.repo, visibility: record.caller.visibility, archived: false });
  }
  return [...repositories.values()];
}

/** Indexes each of these repositories' default branches (repositories given to an installation), bounded per event. */
export async function indexRepositories(environment: EvaluationEnvironment, repositories: RepoMetadata[]): Promise<void> {
  const { services, log } = environment;
  const deps = { index: services.callers, scope: environment.cacheScope, read: readerOf(environment), logger: log };
  const bound = services.config.backfillRepositoriesPerRun;
  if (repositories.length > bound) log.warn({ added: repositories.length, indexed: bound }, 'more repositories added than are indexed per event; the rest are indexed at their next push');
  for (const repository of repositories.slice(0, bound)) {
    try {
      const outcome = await indexDefaultBranch(deps, repository);
      if ('error' in outcome) log.warn({ repository: repoFullName(repository.repo), reason: outcome.error }, 'a repository could not be indexed');
      else log.info({ repository: repoFullName(repository.repo), ...outcome }, 'default branch indexed');
    } catch (error) {
      log.warn({ err: error, repository: repoFullName(repository.repo) }, 'a repository could not be indexed');
    }
  }
}

/**
 * Starts the backfill of a new installation's callers index: a fresh cursor in the table. The chunks themselves
 * run after the installation's deliveries (this one's first, see continueBackfill in index.ts), from the cursor.
 */
export async function startBackfill(environment: EvaluationEnvironment): Promise<void> {
  await environment.services.callers.writeCursor(environment.cacheScope, { indexed: 0, complete: false });
  environment.log.info({ scope: environment.cacheScope }, 'backfill of the callers index started');
}

/**
 * Indexes one bounded chunk of the installation's repositories (WARDEN_BACKFILL_PER_RUN) from where its cursor left
 * off, until `deadline`. Never throws: what stops it stays in the cursor, and a later delivery goes on from there.
 */
export async function backfillInstallation(environment: EvaluationEnvironment, options: { deadline: number; start?: BackfillCursor }): Promise<BackfillCursor | undefined> {
  const { octokit, services, log } = environment;
  try {
    return await backfill({
      index: services.callers,
      scope: environment.cacheScope,
      read: readerOf(environment),
      logger: log,
      list: async () => (await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 })).map(repositoryMetadata),
      maxRepositories: services.config.backfillRepositoriesPerRun,
      deadline: options.deadline,
      now: () => services.now().getTime(),
      ...(options.start !== undefined && { start: options.start }),
    });
  } catch (error) {
    log.warn({ err: error }, 'the backfill of the callers index stopped; a later delivery of the installation goes on from its cursor');
    return undefined;
  }
}
