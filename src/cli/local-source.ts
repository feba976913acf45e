// The source port over a local checkout: the checkout's own workflows and actions (the top-level files, every
// `./` or `$/` call, which resolve at the containing file's commit, and the `./` actions of the workspace) come
// from disk; everything else goes to the remote source (GitHub, or the offline source when there is no token).
import { readFile, realpath, stat } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { isWorkflowPath } from '../app/workflows.js';
import { repoKey, type ActionsAccessLevel, type RepoId, type RepoMetadata, type ResolutionError } from '../graph/types.js';
import { MAX_WORKFLOW_BYTES } from '../source/github.js';
import type {
  LevelRequest,
  LevelResult,
  RefFacts,
  RefFactsRequest,
  WorkflowFileRequest,
  WorkflowFileResult,
  WorkflowSource,
} from '../source/port.js';
import { errorCode, errorMessage } from './io.js';

export interface LocalCheckoutSourceOptions {
  /** The checkout's root directory. */
  root: string;
  /** The repository the checkout is of, as the evaluation sees it. */
  repository: RepoMetadata;
  /** The commit the checkout's files stand for (see `WORKING_TREE`). */
  commit: string;
  remote: WorkflowSource;
}

export class LocalCheckoutSource implements WorkflowSource {
  readonly host: string;
  readonly fetchRefFacts?: (requests: RefFactsRequest[]) => Promise<Map<string, RefFacts | ResolutionError>>;
  private readonly key: string;
  private readonly commit: string;

  constructor(private readonly options: LocalCheckoutSourceOptions) {
    this.host = options.remote.host;
    this.key = repoKey(options.repository.repo);
    this.commit = options.commit.toLowerCase();
    const remoteFacts = options.remote.fetchRefFacts?.bind(options.remote);
    // Only a source with network has online facts; without one, rules report what they cannot verify.
    if (remoteFacts) this.fetchRefFacts = remoteFacts;
  }

  async fetchLevel(request: LevelRequest): Promise<LevelResult> {
    const remoteFiles = request.files.filter((file) => !this.isLocal(file));
    const remoteRepos = request.repos.filter((repo) => repoKey(repo) !== this.key);
    const remote =
      remoteFiles.length > 0 || remoteRepos.length > 0
        ? await this.options.remote.fetchLevel({ files: remoteFiles, repos: remoteRepos })
        : { files: [], repos: new Map<string, RepoMetadata | ResolutionError>() };
    let next = 0;
    const files = await Promise.all(
      request.files.map((file) => (this.isLocal(file) ? this.readWorkflow(file.path) : Promise.resolve(remote.files[next++] ?? noAnswer()))),
    );
    const repos = new Map(remote.repos);
    const concerned = [...request.files.map((file) => file.repo), ...request.repos];
    if (concerned.some((repo) => repoKey(repo) === this.key)) repos.set(this.key, this.options.repository);
    return { files, repos };
  }

  fetchActionsAccess(repos: RepoId[]): Promise<Map<string, ActionsAccessLevel | ResolutionError>> {
    return this.options.remote.fetchActionsAccess(repos);
  }

  /** The checkout's own repository at the checkout's commit: the only files on disk. */
  private isLocal(file: WorkflowFileRequest): boolean {
    return repoKey(file.repo) === this.key && file.ref.kind === 'commit' && file.ref.sha.toLowerCase() === this.commit;
  }

  /** Reads as GitHub would serve it: a workflow or an action's file only, inside the checkout, no larger than the app reads, and text. */
  private async readWorkflow(path: string): Promise<WorkflowFileResult> {
    const failed = (kind: ResolutionError['kind'], message: string): WorkflowFileResult => ({ ok: false, error: { kind, message }, commit: this.commit });
    // Resolution only asks for `.github/workflows/<file>` and actions' files; anything else must not reach the file system.
    if (!isWorkflowPath(path) && !isActionFilePath(path)) return failed('file-not-found', `${path} is not a workflow or action file`);
    const file = join(this.options.root, path);
    try {
      // A symbolic link out of the checkout would show a file of this machine in the report.
      const [real, root] = await Promise.all([realpath(file), realpath(this.options.root)]);
      if (real !== root && !real.startsWith(`${root}${sep}`)) return failed('file-not-found', `${path} points outside the checkout`);
      const info = await stat(file);
      if (!info.isFile()) return failed('file-not-found', `${path} is not a file`);
      if (info.size > MAX_WORKFLOW_BYTES) return failed('too-large', `${path} is larger than ${MAX_WORKFLOW_BYTES} bytes`);
      const bytes = await readFile(file);
      if (bytes.includes(0)) return failed('binary', `${path} is a binary file`);
      return { ok: true, commit: this.commit, text: bytes.toString('utf8') };
    } catch (error) {
      const code = errorCode(error);
      if (code === 'ENOENT' || code === 'ENOTDIR') return failed('file-not-found', `${path} does not exist in the checkout`);
      return { ok: false, error: { kind: 'server-error', message: `${path} could not be read: ${errorMessage(error)}` } };
    }
  }
}

/** An action's `action.yml`, `action.yaml` or `Dockerfile`, in a directory with no `.` or `..` segment. */
function isActionFilePath(path: string): boolean {
  const segments = path.split('/');
  const file = segments.at(-1) ?? '';
  return ['action.yml', 'action.yaml', 'Dockerfile'].includes(file) && segments.every((segment) => segment !== '' && segment !== '.' && segment !== '..');
}

function noAnswer(): WorkflowFileResult {
  return { ok: false, error: { kind: 'server-error', message: 'the remote source gave no answer for this file' } };
}
