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
}
