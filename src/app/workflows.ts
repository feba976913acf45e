// Which files an evaluation covers: the workflow files the change adds or modifies, plus every workflow of the
// repository whose local calls (`./`, `$/`) reach a changed or removed file; and the actions whose metadata file
// (`action.yml`, `action.yaml`, in any directory) the change adds or modifies, for the steps that run them.
import type { ProbotOctokit } from 'probot';
import { atCommitKey, encodeCacheKey, type CacheKey, type CachedWorkflowFile, type ScopedCache } from '../cache/port.js';
import type { RepoId } from '../graph/types.js';
import { parseWorkflow } from '../workflow/parse.js';
import { actionDirectory, manifestDirectory } from '../graph/workspace.js';
import { parseUses } from '../workflow/uses.js';
import { FILE_FRAGMENT, readBlob } from '../source/github.js';

type Octokit = InstanceType<typeof ProbotOctokit>;

/** Workflows are the YAML files directly in `.github/workflows/`: GitHub runs nothing from subdirectories. */
export function isWorkflowPath(path: string): boolean {
  return /^\.github\/workflows\/[^/]+\.ya?ml$/.test(path);
}

/** An action's metadata file, at the root or in any directory: what `uses: owner/repo[/dir]@ref` runs. */
export function isActionManifestPath(path: string): boolean {
  return /(^|\/)action\.ya?ml$/.test(path) && !isWorkflowPath(path);
}

export interface ChangedFile {
  filename: string;
  status: string;
  previous_filename?: string;
  patch?: string;
}

export interface WorkflowChanges {
  /** Workflow files present after the change that it added or modified. */
  changed: string[];
  /** Workflow paths that no longer exist after the change (removed, or renamed away). */
  removed: string[];
  /** Action metadata files present after the change that it added or modified. */
  actions: string[];
}

export function workflowChanges(files: readonly ChangedFile[]): WorkflowChanges {
  const changed: string[] = [];
  const removed: string[] = [];
  const actions: string[] = [];
  for (const file of files) {
    if (file.status === 'removed') {
      if (isWorkflowPath(file.filename)) removed.push(file.filename);
      continue;
    }
    if (file.status === 'renamed' && file.previous_filename && isWorkflowPath(file.previous_filename)) removed.push(file.previous_filename);
    // `unchanged` appears for renames without edits in compare results: the file is new at its path.
    if (isWorkflowPath(file.filename)) changed.push(file.filename);
    if (isActionManifestPath(file.filename)) actions.push(file.filename);
  }
  return { changed, removed, actions };
}

/** The PR's files, all pages (GitHub lists at most 3,000). */
export async function listPullRequestFiles(octokit: Octokit, repo: RepoId, pullNumber: number): Promise<ChangedFile[]> {
  const files = await octokit.paginate(octokit.rest.pulls.listFiles, { owner: repo.owner, repo: repo.name, pull_number: pullNumber, per_page: 100 });
  return files.map(toChangedFile);
}

/** Files changed between two commits (merge queues have no pull request to ask); GitHub lists up to 300. */
export async function listComparedFiles(octokit: Octokit, repo: RepoId, base: string, head: string): Promise<ChangedFile[]> {
  const { data } = await octokit.rest.repos.compareCommitsWithBasehead({ owner: repo.owner, repo: repo.name, basehead: `${base}...${head}` });
  return (data.files ?? []).map(toChangedFile);
}

function toChangedFile(file: { filename: string; status: string; previous_filename?: string; patch?: string }): ChangedFile {
  return {
    filename: file.filename,
    status: file.status,
    ...(file.previous_filename !== undefined && { previous_filename: file.previous_filename }),
    ...(file.patch !== undefined && { patch: file.patch }),
  };
}

export interface WorkflowFile {
  path: string;
  /** The blob's id: equal ids, equal contents. */
  oid: string;
  /**
   * Undefined when GitHub gives no usable text (binary, truncated, over the size cap): the resolver then
   * reads the file itself and reports why it cannot be used.
   */
  text?: string;
}

export interface WorkflowDirectory {
  files: WorkflowFile[];
  /** Blob ids by path at the reference commit, when one was asked for. */
  reference?: Map<string, string>;
}

interface DirectoryEntry {
  name: string;
  type: string;
  oid: string;
  object?: Record<string, unknown> | null;
}

interface DirectoryQuery {
  repository: {
    head: { entries?: DirectoryEntry[] } | null;
    reference?: { entries?: DirectoryEntry[] } | null;
  } | null;
}

const DIRECTORY_QUERY = `query WardenWorkflows($owner: String!, $name: String!, $head: String!, $reference: String!, $withReference: Boolean!) {
  repository(owner: $owner, name: $name) {
    head: object(expression: $head) { ... on Tree { entries { name type oid ...WardenFile } } }
    reference: object(expression: $reference) @include(if: $withReference) { ... on Tree { entries { name type oid } } }
  }
}
${FILE_FRAGMENT}`;

/**
 * Every workflow file of the repository at a commit, with its text, in one GraphQL request — and, when
 * `reference` is given, the blob ids of the workflows at that commit, to tell what changed without a
 * file list. Read through the base repository, so a fork's head commit is found too. A directory at a commit
 * never changes: with a cache, one read before (of both commits) costs no request at all.
 */
export async function readWorkflowDirectory(octokit: Pick<Octokit, 'graphql'>, repo: RepoId, commit: string, reference?: string, cache?: ScopedCache): Promise<WorkflowDirectory> {
  const cached = cache && (await cachedDirectory(cache, repo, commit, reference));
  if (cached) return cached;
  const result = await octokit.graphql<DirectoryQuery>(DIRECTORY_QUERY, {
    owner: repo.owner,
    name: repo.name,
    head: `${commit}:.github/workflows`,
    reference: `${reference ?? commit}:.github/workflows`,
    withReference: reference !== undefined,
  });
  const workflows = (entries: DirectoryEntry[] | undefined) =>
    (entries ?? []).filter((entry) => entry.type === 'blob' && isWorkflowPath(`.github/workflows/${entry.name}`));
  const files = workflows(result.repository?.head?.entries).map((entry) => {
    const path = `.github/workflows/${entry.name}`;
    const blob = readBlob(entry.object ? { object: entry.object } : undefined, { repo, path });
    return { path, oid: entry.oid, ...('text' in blob && { text: blob.text }) };
  });
  // No repository in the answer is not an empty directory: only what GitHub showed is remembered.
  if (cache && result.repository) await rememberDirectory(cache, repo, commit, files);
  if (reference === undefined) return { files };
  return { files, reference: new Map(workflows(result.repository?.reference?.entries).map((entry) => [`.github/workflows/${entry.name}`, entry.oid])) };
}

const DIRECTORY_SORT = '.github/workflows';

function atCommit(cache: ScopedCache, repo: RepoId, commit: string, sort: string): CacheKey {
  return atCommitKey(cache.scope, repo, commit, sort);
}

/** The listing under `directory`, each text under `workflow` (where the resolver reads files at a commit too). */
async function rememberDirectory(cache: ScopedCache, repo: RepoId, commit: string, files: WorkflowFile[]): Promise<void> {
  await Promise.all([
    cache.store.putMany('workflow', files.flatMap((file) => (file.text === undefined ? [] : [{ key: atCommit(cache, repo, commit, file.path), value: { text: file.text } }]))),
    cache.store.putMany('directory', [{ key: atCommit(cache, repo, commit, DIRECTORY_SORT), value: { entries: files.map((file) => ({ path: file.path, oid: file.oid, text: file.text !== undefined })) } }]),
  ]);
}

/** The directory (and the reference's blob ids) from the cache; undefined when any part of it is missing. */
async function cachedDirectory(cache: ScopedCache, repo: RepoId, commit: string, reference: string | undefined): Promise<WorkflowDirectory | undefined> {
  const keys = [atCommit(cache, repo, commit, DIRECTORY_SORT), ...(reference === undefined ? [] : [atCommit(cache, repo, reference, DIRECTORY_SORT)])];
  const listings = await cache.store.getMany('directory', keys);
  const [head, base] = keys.map((key) => listings.get(encodeCacheKey('directory', key)));
  if (!head || (reference !== undefined && !base)) return undefined;
  const textKeys = head.entries.filter((entry) => entry.text).map((entry) => atCommit(cache, repo, commit, entry.path));
  const texts = textKeys.length > 0 ? await cache.store.getMany('workflow', textKeys) : new Map<string, CachedWorkflowFile>();
  const files: WorkflowFile[] = [];
  for (const entry of head.entries) {
    const file = entry.text ? texts.get(encodeCacheKey('workflow', atCommit(cache, repo, commit, entry.path))) : undefined;
    if (entry.text && !(file && 'text' in file)) return undefined;
    files.push({ path: entry.path, oid: entry.oid, ...(file && 'text' in file && { text: file.text }) });
  }
  return base ? { files, reference: new Map(base.entries.map((entry) => [entry.path, entry.oid])) } : { files };
}

/**
 * What changed between the reference directory and the head's, by blob id: complete for workflows, however many files
 * the change has (actions live anywhere in the repository: only the file list names them).
 */
export function directoryChanges(directory: WorkflowDirectory): WorkflowChanges {
  const reference = directory.reference ?? new Map<string, string>();
  const present = new Set(directory.files.map((file) => file.path));
  return {
    changed: directory.files.filter((file) => reference.get(file.path) !== file.oid).map((file) => file.path),
    removed: [...reference.keys()].filter((path) => !present.has(path)),
    actions: [],
  };
}

/** Both sets of changes at once (paths once each). */
export function mergeChanges(...all: WorkflowChanges[]): WorkflowChanges {
  return {
    changed: [...new Set(all.flatMap((changes) => changes.changed))],
    removed: [...new Set(all.flatMap((changes) => changes.removed))],
    actions: [...new Set(all.flatMap((changes) => changes.actions))],
  };
}

/**
 * The workflows to evaluate: the changed ones, the ones with a step running a changed action of this repository
 * (`./dir`, `$/dir`), and the ones whose local calls reach any of those or a removed file (directly or through other
 * local workflows), in the directory's order.
 */
export function selectRoots(changes: WorkflowChanges, directory: readonly WorkflowFile[]): WorkflowFile[] {
  const changedActions = new Set(changes.actions.map(manifestDirectory));
  const localCalls = new Map<string, string[]>();
  const affected = new Set([...changes.changed, ...changes.removed]);
  for (const file of directory) {
    if (file.text === undefined) continue;
    const calls: string[] = [];
    // Only its local calls and steps are read here: GitHub's schema pass waits for the files evaluated.
    for (const job of parseWorkflow(file.text, file.path, { githubSchema: false }).jobs) {
      if (job.uses) {
        const reference = parseUses(job.uses.value, 'job').reference;
        if (reference.kind === 'local-workflow') calls.push(reference.path);
      }
      for (const step of job.steps) {
        const reference = step.uses === undefined ? undefined : parseUses(step.uses.value, 'step').reference;
        if (reference?.kind === 'local-action' && changedActions.has(actionDirectory(reference.path))) affected.add(file.path);
      }
    }
    localCalls.set(file.path, calls);
  }
  // Grow the affected set until no workflow newly reaches it: at most one pass per file.
  for (let grew = true; grew; ) {
    grew = false;
    for (const [path, calls] of localCalls) {
      if (!affected.has(path) && calls.some((call) => affected.has(call))) {
        affected.add(path);
        grew = true;
      }
    }
  }
  return directory.filter((file) => affected.has(file.path));
}
