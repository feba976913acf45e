// Keeping the reverse index: a repository's default branch indexed at its head (on every push to it), and the
// backfill of a whole installation (when the app is installed, or given repositories), bounded per run, one
// repository at a time (GitHub's requests of an installation go one after another anyway), and resumable from a
// cursor in the table when a run stops short: out of time, out of its budget, or GitHub failing.
import type { RepoId, RepoMetadata } from '../graph/types.js';
import { repoFullName } from '../graph/types.js';
import { silentLogger, type Logger } from '../log.js';
import type { DefaultBranchSnapshot } from '../source/default-branch.js';
import { parseWorkflow } from '../workflow/parse.js';
import { callerRecords } from './extract.js';
import type { BackfillCursor, CallerIndex } from './port.js';

export interface IndexDeps {
  index: CallerIndex;
  scope: string;
  read(repo: RepoId): Promise<DefaultBranchSnapshot | { error: string }>;
  logger?: Logger;
}

export type IndexOutcome = { records: number; commit?: string } | { error: string };

/** Replaces the repository's default-branch records with those of its workflows as they are at the head. */
export async function indexDefaultBranch(deps: IndexDeps, repository: RepoMetadata): Promise<IndexOutcome> {
  const snapshot = await deps.read(repository.repo);
  if ('error' in snapshot) return snapshot;
  const workflows = snapshot.workflows.flatMap((file) => (file.text === undefined ? [] : [parseWorkflow(file.text, file.path)]));
  const records =
    snapshot.commit === undefined
      ? []
      : callerRecords({
          repo: repository.repo,
          visibility: repository.visibility,
          commit: snapshot.commit,
          ...(snapshot.branch !== undefined && { branch: snapshot.branch }),
          source: 'default-branch',
          workflows,
        });
  await deps.index.replace(deps.scope, repository.repo, 'default-branch', records);
  return { records: records.length, ...(snapshot.commit !== undefined && { commit: snapshot.commit }) };
}

export interface BackfillDeps extends IndexDeps {
  /** Every repository of the installation (GitHub's listing). */
  list(): Promise<RepoMetadata[]>;
  /** Repositories indexed at most per run: a run has a deadline, and the rest waits for the next one. */
  maxRepositories: number;
  /** When the run must stop (epoch milliseconds). */
  deadline: number;
  now?: () => number;
  /** The cursor as the caller just read it (saves reading it again); read from the index when absent. */
  start?: BackfillCursor;
}

/** Past this many repositories, progress is logged. */
const PROGRESS_EVERY = 25;
/**
 * Runs in a row that may stop at the same unreadable repository before it is skipped (left to its next push): the
 * backfill resumes on its own, so one repository GitHub always fails to answer for must not hold up the rest forever.
 */
export const BACKFILL_ATTEMPTS_PER_REPOSITORY = 3;

/**
 * Indexes the installation's repositories in name order from where the cursor left off, saving the cursor after
 * each one, until all are done, the run's budget or deadline is spent, or one cannot be read (it is tried first
 * next time; after BACKFILL_ATTEMPTS_PER_REPOSITORY runs stopped there, it is passed over). Returns the cursor.
 */
export async function backfill(deps: BackfillDeps): Promise<BackfillCursor> {
  const logger = deps.logger ?? silentLogger;
  const now = deps.now ?? Date.now;
  const start = deps.start ?? (await deps.index.readCursor(deps.scope)) ?? { indexed: 0, complete: false };
  const repositories = (await deps.list()).sort((a, b) => compareNames(repoFullName(a.repo), repoFullName(b.repo)));
  const pending = repositories.filter((repository) => start.after === undefined || compareNames(repoFullName(repository.repo), start.after) > 0);
  let cursor: BackfillCursor = { ...start, complete: false };
  /** Repositories indexed, or passed over, by this run. */
  let done = 0;
  for (const repository of pending) {
    if (done >= deps.maxRepositories || now() >= deps.deadline) break;
    const name = repoFullName(repository.repo);
    const outcome = await indexDefaultBranch(deps, repository);
    done += 1;
    if ('error' in outcome) {
      const attempts = (start.failed?.repository === name ? start.failed.attempts : 0) + 1;
      if (attempts < BACKFILL_ATTEMPTS_PER_REPOSITORY) {
        logger.warn({ repository: name, reason: outcome.error, attempts }, 'backfill stopped: a repository could not be read; it is tried first next time');
        cursor = { ...cursor, failed: { repository: name, attempts } };
        await deps.index.writeCursor(deps.scope, cursor);
        return cursor;
      }
      logger.warn({ repository: name, reason: outcome.error, attempts }, 'backfill skips a repository it could not read in several runs; its next push indexes it');
      cursor = { ...withoutFailure(cursor), after: name, skipped: (cursor.skipped ?? 0) + 1 };
    } else {
      cursor = { ...withoutFailure(cursor), after: name, indexed: cursor.indexed + 1 };
    }
    await deps.index.writeCursor(deps.scope, cursor);
    if (done % PROGRESS_EVERY === 0) logger.info({ indexed: cursor.indexed, of: repositories.length }, 'backfill progress');
  }
  if (done === pending.length) cursor = { ...cursor, complete: true };
  await deps.index.writeCursor(deps.scope, cursor);
  logger.info({ indexed: cursor.indexed, of: repositories.length, complete: cursor.complete }, cursor.complete ? 'backfill complete' : 'backfill paused');
  return cursor;
}

/** The cursor once the run is past the repository it last stopped at. */
function withoutFailure(cursor: BackfillCursor): BackfillCursor {
  const rest = { ...cursor };
  delete rest.failed;
  return rest;
}

function compareNames(a: string, b: string): number {
  const [x, y] = [a.toLowerCase(), b.toLowerCase()];
  return x < y ? -1 : x > y ? 1 : 0;
}
