// The source port: where workflow files, refs and repository metadata come from (GitHub, or a local checkout).
import type {
  ActionsAccessLevel,
  RefRequest,
  RepoId,
  RepoMetadata,
  ResolutionError,
  ResolvedRef,
} from '../graph/types.js';

export interface WorkflowFileRequest {
  repo: RepoId;
  path: string;
  ref: RefRequest;
}

export type WorkflowFileResult =
  | { ok: true; commit: string; resolvedRef?: ResolvedRef; text: string }
  | { ok: false; error: ResolutionError; commit?: string; resolvedRef?: ResolvedRef };

export interface LevelRequest {
  files: WorkflowFileRequest[];
  /** Repositories whose metadata is needed besides those of `files`. */
  repos: RepoId[];
}

export interface LevelResult {
  /** One result per requested file, in request order. */
  files: WorkflowFileResult[];
  /** Metadata by `repoKey` for every repository of `files` and `repos`. */
  repos: Map<string, RepoMetadata | ResolutionError>;
}

/** What online checks need to know of one repository: its tags, and which of some commits its refs reach. */
export interface RefFactsRequest {
  repo: RepoId;
  /** Compared first: most commits are reachable from it. Absent: the repository's current default branch. */
  defaultBranch?: string;
  /** Full commit SHAs whose reachability from a branch or tag of `repo` must be verified. */
  commits: string[];
  /**
   * Tags to look up by name besides the most recent ones listed (the `# v1.2.3` comment of a pinned call),
   * so checking a comment never depends on how many tags the repository has.
   */
  tags?: string[];
  /**
   * Per commit of `commits` (lower case), the tags its calls' `# v1.2.3` comments name: after the default branch,
   * a commit is compared with those tags and the tags listed next to them, so most pins are proven in few compares.
   */
  commentTags?: Map<string, string[]>;
}

/** Online facts some rules need (pinning's `verify`, most specific tag of a pin), gathered before rules run. */
export interface RefFacts {
  /** Tags by the commit they point at (annotated tags peeled): the most recent ones, and those asked for by name. */
  tagsByCommit: Map<string, string[]>;
  /** Whether a commit is reachable from a branch or tag of the repository it is called through; absent: unknown. */
  reachable: Map<string, boolean>;
}

export interface WorkflowSource {
  /** The host the calls resolve on, e.g. `github.com` or a GitHub Enterprise Server host name. */
  readonly host: string;
  /**
   * Read a whole level of the graph in as few round trips as the backend allows
   * (GitHub: one GraphQL request for up to a few dozen files). Never throws for a per-item failure:
   * each file and repository gets its own typed error.
   */
  fetchLevel(request: LevelRequest): Promise<LevelResult>;
  /** Actions access levels (`none | user | organization | enterprise`) by `repoKey`; REST only on GitHub. */
  fetchActionsAccess(repos: RepoId[]): Promise<Map<string, ActionsAccessLevel | ResolutionError>>;
  /**
   * Tags and commit reachability by `repoKey` (GitHub: one GraphQL request listing refs, then a bounded
   * number of compares). A commit whose reachability could not be decided within the budget is left out
   * of `reachable`. Never throws: a repository that could not be read gets its typed error. Optional: a
   * source with no network (a local checkout) has no online facts, and rules report what they cannot verify.
   */
  fetchRefFacts?(requests: RefFactsRequest[]): Promise<Map<string, RefFacts | ResolutionError>>;
}
