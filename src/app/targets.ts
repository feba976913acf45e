// What an event is about, read from its payload: the repository, and the pull request or merge group
// whose commit the check run is posted on.
import { repoKey, type RepoMetadata, type Visibility } from '../graph/types.js';
import type { EvaluationTarget } from './evaluate.js';

export interface RepositoryPayload {
  name: string;
  owner: { login: string };
  private: boolean;
  visibility?: string;
  archived?: boolean;
  default_branch?: string;
}

export function repositoryMetadata(repository: RepositoryPayload): RepoMetadata {
  const visibility: Visibility =
    repository.visibility === 'internal' || repository.visibility === 'public' || repository.visibility === 'private'
      ? repository.visibility
      : repository.private
        ? 'private'
        : 'public';
  return {
    repo: { owner: repository.owner.login, name: repository.name },
    visibility,
    archived: repository.archived ?? false,
    ...(repository.default_branch !== undefined && { defaultBranch: repository.default_branch }),
  };
}

export function pullRequestTarget(
  metadata: RepoMetadata,
  pull: { number: number; changed_files?: number; head: { sha: string; ref: string; repo: { full_name: string } | null }; base: { sha: string; ref: string } },
): EvaluationTarget {
  return {
    repository: metadata,
    headSha: pull.head.sha,
    baseSha: pull.base.sha,
    pull: {
      number: pull.number,
      fromFork: pull.head.repo?.full_name.toLowerCase() !== repoKey(metadata.repo),
      ...(pull.changed_files !== undefined && { changedFiles: pull.changed_files }),
    },
    subject: `${repoKey(metadata.repo)}#${pull.number}`,
    baseRef: pull.base.ref,
    headRef: pull.head.ref,
  };
}

/**
 * Where a check run came from, kept in its `external_id` so a re-run finds its pull request or merge group — or,
 * for a default branch evaluated again after a ref it calls moved, the branch.
 */
export type CheckOrigin = { pull: number } | { mergeGroup: { base: string; head: string; ref: string } } | { branch: string };

export function parseCheckOrigin(externalId: string | null | undefined): CheckOrigin | undefined {
  try {
    const value: unknown = JSON.parse(externalId ?? '');
    if (typeof value !== 'object' || value === null) return undefined;
    if ('pull' in value && typeof value.pull === 'number') return { pull: value.pull };
    if ('mergeGroup' in value && typeof value.mergeGroup === 'object' && value.mergeGroup !== null) {
      const { base, head, ref } = value.mergeGroup as Record<string, unknown>;
      if (typeof base === 'string' && typeof head === 'string' && typeof ref === 'string') return { mergeGroup: { base, head, ref } };
    }
    if ('branch' in value && typeof value.branch === 'string' && value.branch !== '') return { branch: value.branch };
  } catch {
    // Not ours, or from an older version: the caller falls back to the event's pull requests.
  }
  return undefined;
}
