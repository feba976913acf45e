// The reverse index of the call graph: for each callee (a reusable workflow file, or an action's directory), who
// calls it — from which repository, file, job and line, by which ref, passing what. Written from the default
// branch of every repository of an installation (on push, and by a backfill) and from every evaluation's top-level
// files; read when a pull request changes a callee (its impact on callers) and when a callee's ref moves (drift).
import type { NodeKind, RepoId, Visibility } from '../graph/types.js';
import type { PermissionLevel } from '../workflow/model.js';

/** What a caller passes as one input, as far as a static reading can tell. */
export type PassedValue = 'string' | 'number' | 'boolean' | 'expression' | 'null' | 'other';

/** The `GITHUB_TOKEN` permissions a calling job grants as written (the job's, else its workflow's); absent: the repository default. */
export type PermissionGrant = 'read-all' | 'write-all' | Record<string, PermissionLevel>;

/** A callee: a workflow file (`.github/workflows/x.yml`) or an action's directory (`` for the root), in a repository. */
export interface Callee {
  kind: NodeKind;
  repo: RepoId;
  path: string;
}

/** Where a record came from: a repository's default branch, or a pull request's head (`pull/7`, `merge-group`). */
export type RecordSource = 'default-branch' | `pull/${number}` | 'merge-group';

/** One call or step of a caller, naming a callee in another repository by `owner/repo/...@ref`. */
export interface CallerRecord {
  callee: Callee;
  caller: {
    repo: RepoId;
    visibility: Visibility;
    /** The workflow file. */
    path: string;
    jobId: string;
    /** The step's index, for an action. */
    step?: number;
    /** The line of the `uses:`. */
    line: number;
    /** The commit the caller's file was read at. */
    commit: string;
    /** The branch the caller's file was read on (its default branch, or a pull request's head branch), when known. */
    branch?: string;
    source: RecordSource;
  };
  /** The ref as written after `@`. */
  ref: string;
  refKind: 'sha' | 'named';
  /** The commit the ref resolved to when the caller was evaluated; absent when only parsed (the default-branch index). */
  resolved?: string;
  /**
   * The inputs passed in `with:` by the calling job or the step, by name (`{}` when none). Absent only on a step's
   * record written before steps' inputs were recorded: what it passes is unknown until its repository is indexed again.
   */
  inputs?: Record<string, PassedValue>;
  /** For reusable-workflow calls: `inherit`, or the secrets passed by name. */
  secrets?: 'inherit' | string[];
  grant?: PermissionGrant;
}

/** Where the backfill of an installation stands: the last repository indexed, in listing order. */
export interface BackfillCursor {
  after?: string;
  indexed: number;
  /** Repositories passed over after failing several runs in a row (their next push indexes them). */
  skipped?: number;
  /** The repository the last run stopped at, unreadable, and how many runs in a row it has stopped one. */
  failed?: { repository: string; attempts: number };
  complete: boolean;
}

export interface CallerIndex {
  /** Replaces every record `source` wrote for `repo` (a push to its default branch, a new head of a pull request) with `records`. */
  replace(scope: string, repo: RepoId, source: RecordSource, records: CallerRecord[]): Promise<void>;
  /** The callers of one callee, every page. */
  callersOf(scope: string, callee: Callee): Promise<CallerRecord[]>;
  /** The callers of every callee of a repository (when one of its refs moves). */
  callersOfRepository(scope: string, repo: RepoId): Promise<CallerRecord[]>;
  readCursor(scope: string): Promise<BackfillCursor | undefined>;
  writeCursor(scope: string, cursor: BackfillCursor): Promise<void>;
}
