// A repository's default branch as it is now, in one GraphQL request: its head commit, its workflow files with their
// text, and its own policy file. Read by the policy dry run and by the index of callers.
import { isWorkflowPath, type WorkflowFile } from '../app/workflows.js';
import { repoKey, type RepoId } from '../graph/types.js';
import type { PolicyFileResult } from '../policy/load.js';
import { asRecord, FILE_FRAGMENT, graphqlPartial, readBlob, requestFailure, runWithDeadline, type GitHubClient } from './github.js';

export interface DefaultBranchSnapshot {
  /** Absent for an empty repository (no default branch yet). */
  commit?: string;
  /** The default branch's name, when it has one. */
  branch?: string;
  workflows: WorkflowFile[];
  policyFile: PolicyFileResult;
}

export interface ReadDefaultBranchOptions {
  policyPath: string;
  timeoutMs: number;
}

const DEFAULT_BRANCH_QUERY = `query WardenDefaultBranch($owner: String!, $name: String!, $workflows: String!, $policy: String!) {
  repository(owner: $owner, name: $name) {
    nameWithOwner
    defaultBranchRef {
      name
      target {
        __typename
        oid
        ... on Commit {
          workflows: file(path: $workflows) { object { ... on Tree { entries { name type oid ...WardenFile } } } }
          policy: file(path: $policy) { ...WardenFile }
        }
      }
    }
  }
}
${FILE_FRAGMENT}`;

/** Never throws: what could not be read is an error in words (`aborted` when the deadline stopped the request). */
export async function readDefaultBranch(
  octokit: Pick<GitHubClient, 'graphql'>,
  repo: RepoId,
  options: ReadDefaultBranchOptions,
): Promise<DefaultBranchSnapshot | { error: string; aborted: boolean }> {
  const variables = { owner: repo.owner, name: repo.name, workflows: '.github/workflows', policy: options.policyPath };
  const outcome = await runWithDeadline(options.timeoutMs, (signal) => octokit.graphql<Record<string, unknown>>(DEFAULT_BRANCH_QUERY, { ...variables, request: { signal } }));
  if (!outcome.ok) {
    const partial = graphqlPartial(outcome.error);
    const notFound = partial?.errors.some((entry) => entry.type === 'NOT_FOUND' && entry.path?.length === 1);
    if (notFound) return { error: 'the repository was not found or is not visible to the app.', aborted: false };
    const error = partial ? partial.errors.map((entry) => entry.message).join('; ') : requestFailure(outcome.error, outcome.aborted, 'GitHub').message;
    return { error, aborted: outcome.aborted };
  }
  const repository = asRecord(outcome.value.repository);
  if (!repository) return { error: 'GitHub answered nothing for the repository.', aborted: false };
  if (typeof repository.nameWithOwner === 'string' && repository.nameWithOwner.toLowerCase() !== repoKey(repo)) {
    return { error: `the repository is now ${repository.nameWithOwner}.`, aborted: false };
  }
  // An empty repository has no default branch yet, and so no workflows.
  const ref = asRecord(repository.defaultBranchRef);
  if (!ref) return { workflows: [], policyFile: { found: false } };
  const target = asRecord(ref.target);
  if (target?.__typename !== 'Commit' || typeof target.oid !== 'string') return { error: 'its default branch does not point to a commit.', aborted: false };
  const commit = target.oid;
  return {
    commit,
    ...(typeof ref.name === 'string' && { branch: ref.name }),
    workflows: workflowFiles(target.workflows, repo),
    policyFile: policyFileOf(target.policy, repo, options.policyPath, commit),
  };
}

function workflowFiles(directory: unknown, repo: RepoId): WorkflowFile[] {
  const entries = asRecord(asRecord(directory)?.object)?.entries;
  if (!Array.isArray(entries)) return [];
  return entries.flatMap((raw): WorkflowFile[] => {
    const entry = asRecord(raw);
    const path = `.github/workflows/${String(entry?.name)}`;
    if (entry?.type !== 'blob' || !isWorkflowPath(path) || typeof entry.oid !== 'string') return [];
    // No usable text (binary, truncated, too large): the resolver reads the file again and reports why.
    const blob = readBlob(entry, { repo, path });
    return [{ path, oid: entry.oid, ...('text' in blob && { text: blob.text }) }];
  });
}

function policyFileOf(entry: unknown, repo: RepoId, path: string, commit: string): PolicyFileResult {
  const blob = readBlob(asRecord(entry), { repo, path });
  if ('text' in blob) return { found: true, text: blob.text, commit };
  return blob.error.kind === 'file-not-found' ? { found: false, commit } : { error: blob.error };
}
