// Which workflow files an evaluation covers: those the change adds or modifies, plus every workflow of
// the repository whose local calls (`./`, `$/`) reach a changed or removed file.
import type { ProbotOctokit } from 'probot';
import type { RepoId } from '../graph/types.js';
import { parseWorkflow } from '../workflow/parse.js';
import { parseUses } from '../workflow/uses.js';

type Octokit = InstanceType<typeof ProbotOctokit>;

/** Workflows are the YAML files directly in `.github/workflows/`: GitHub runs nothing from subdirectories. */
export function isWorkflowPath(path: string): boolean {
  return /^\.github\/workflows\/[^/]+\.ya?ml$/.test(path);
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
}

export function workflowChanges(files: readonly ChangedFile[]): WorkflowChanges {
  const changed: string[] = [];
  const removed: string[] = [];
  for (const file of files) {
    if (file.status === 'removed') {
      if (isWorkflowPath(file.filename)) removed.push(file.filename);
      continue;
    }
    if (file.status === 'renamed' && file.previous_filename && isWorkflowPath(file.previous_filename)) removed.push(file.previous_filename);
    // `unchanged` appears for renames without edits in compare results: the file is new at its path.
    if (isWorkflowPath(file.filename)) changed.push(file.filename);
  }
  return { changed, removed };
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
  /** Undefined when GitHub gives no text (binary or too large): the resolver then reads and reports it. */
  text?: string;
}

interface DirectoryQuery {
  repository: {
    object: { entries?: { name: string; type: string; object: { text?: string | null } | null }[] } | null;
  } | null;
}

const DIRECTORY_QUERY = `query WardenWorkflows($owner: String!, $name: String!, $expression: String!) {
  repository(owner: $owner, name: $name) {
    object(expression: $expression) {
      ... on Tree { entries { name type object { ... on Blob { text } } } }
    }
  }
}`;

/**
 * Every workflow file of the repository at a commit, with its text, in one GraphQL request. Read through
 * the base repository, so a fork's head commit is found too.
 */
export async function readWorkflowDirectory(octokit: Octokit, repo: RepoId, commit: string): Promise<WorkflowFile[]> {
  const result = await octokit.graphql<DirectoryQuery>(DIRECTORY_QUERY, {
    owner: repo.owner,
    name: repo.name,
    expression: `${commit}:.github/workflows`,
  });
  return (result.repository?.object?.entries ?? [])
    .filter((entry) => entry.type === 'blob' && isWorkflowPath(`.github/workflows/${entry.name}`))
    .map((entry) => ({
      path: `.github/workflows/${entry.name}`,
      ...(typeof entry.object?.text === 'string' && { text: entry.object.text }),
    }));
}

/**
 * The workflows to evaluate: the changed ones, and the ones whose local calls reach a changed or
 * removed file (directly or through other local workflows), in the directory's order.
 */
export function selectRoots(changes: WorkflowChanges, directory: readonly WorkflowFile[]): WorkflowFile[] {
  const localCalls = new Map<string, string[]>();
  for (const file of directory) {
    if (file.text === undefined) continue;
    const calls: string[] = [];
    for (const job of parseWorkflow(file.text, file.path).jobs) {
      if (!job.uses) continue;
      const reference = parseUses(job.uses.value, 'job').reference;
      if (reference.kind === 'local-workflow') calls.push(reference.path);
    }
    localCalls.set(file.path, calls);
  }
  const affected = new Set([...changes.changed, ...changes.removed]);
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
