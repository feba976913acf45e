// The cache port: what the resolver remembers between evaluations (DynamoDB, or memory).
import { repoKey, type ActionsAccessLevel, type RepoId, type RepoMetadata, type ResolutionError, type ResolvedRef } from '../graph/types.js';

/** A file at a commit never changes, so it is cached long; so is its absence at that commit. */
export type CachedWorkflowFile = { text: string } | { error: ResolutionError };

/**
 * What defines an action at a commit: its metadata file (`action.yml`, else `action.yaml`), else a lone
 * `Dockerfile`, else nothing (the error). `path` is the file read, or `action.yml` where there is none. Immutable.
 */
export type CachedActionManifest = { path: string } & ({ text: string } | { dockerfile: true } | { error: ResolutionError });

export interface CacheValues {
  /** partition `${repoKey}@${commit}`, sort: file path. Immutable. */
  workflow: CachedWorkflowFile;
  /** partition `${repoKey}@${commit}`, sort: `/` and the action's directory. Immutable. */
  action: CachedActionManifest;
  /** partition `repoKey`, sort: ref name. Expires within minutes; invalidated by push/create/delete. */
  ref: ResolvedRef;
  /** partition `${repoKey}@${commit}`, sort `.github/workflows`: the workflow files at a commit (their texts under `workflow`). Immutable. */
  directory: CachedDirectory;
  /** partition `${repoKey}@${commit}`, sort: the policy file's path. Immutable. */
  policy: CachedPolicyFile;
  /**
   * partition `repoKey`, sort `default-branch`: the default branch's head commit; null when the repository has none
   * (it is empty, or missing). Expires within minutes; invalidated by push and repository events.
   */
  head: { commit: string | null };
  /** partition `repoKey`, sort `meta`. Expires within minutes; invalidated by repository events. */
  repo: RepoMetadata;
  /** partition `repoKey`, sort `access`. Expires within minutes. */
  access: ActionsAccessLevel;
  /** partition `repoKey`, sort `tags`. Expires within minutes; invalidated by push/create/delete. */
  tags: CachedTags;
  /**
   * partition `repoKey`, sort: commit SHA, present when a branch or tag reaches the commit. Lives a day:
   * a reached commit stays reached unless history is rewritten.
   */
  reachable: true;
  /** partition `repoKey`, sort: commit SHA, present when no branch or tag reaches it. Expires within minutes: a merge may reach it. */
  unreachable: true;
}

/** The workflow files of a directory at a commit; `text` tells whether GitHub gave the file's text (then cached under `workflow`). */
export interface CachedDirectory {
  entries: { path: string; oid: string; text: boolean }[];
}

/** A policy file at a commit, or its absence there. */
export type CachedPolicyFile = { found: true; text: string } | { found: false };

/** A repository's tags by the commit they point at (annotated tags peeled), as `RefFacts.tagsByCommit`. */
export type CachedTags = Record<string, string[]>;

export type CacheNamespace = keyof CacheValues;

export interface CacheKey {
  host: string;
  partition: string;
  sort: string;
}

export interface CacheEntry<N extends CacheNamespace> {
  key: CacheKey;
  value: CacheValues[N];
}

/** Seconds each namespace lives. Expiry is checked on read as well: DynamoDB deletes expired items late. */
export const DEFAULT_TTL_SECONDS: Record<CacheNamespace, number> = {
  workflow: 30 * 24 * 3600,
  action: 30 * 24 * 3600,
  ref: 5 * 60,
  directory: 30 * 24 * 3600,
  policy: 30 * 24 * 3600,
  head: 5 * 60,
  repo: 5 * 60,
  access: 5 * 60,
  tags: 5 * 60,
  reachable: 24 * 3600,
  unreachable: 5 * 60,
};

/** Namespaces whose items never change once written (content at a commit): the first writer wins. */
export const IMMUTABLE_NAMESPACES: ReadonlySet<CacheNamespace> = new Set<CacheNamespace>(['workflow', 'action', 'directory', 'policy']);

export function encodeCacheKey(ns: CacheNamespace, key: CacheKey): string {
  return `${ns}#${key.host}#${key.partition}\u0000${key.sort}`;
}

export interface CacheStore {
  /** Values found and not expired, by `encodeCacheKey`. Missing keys are simply absent. */
  getMany<N extends CacheNamespace>(ns: N, keys: CacheKey[]): Promise<Map<string, CacheValues[N]>>;
  /** Immutable namespaces (IMMUTABLE_NAMESPACES) never overwrite an existing item; the others replace it. */
  putMany<N extends CacheNamespace>(ns: N, entries: CacheEntry<N>[]): Promise<void>;
  /** Forget one item, or every item of a partition when `sort` is omitted. */
  invalidate(ns: CacheNamespace, host: string, partition: string, sort?: string): Promise<void>;
}

/** A store and the part of it an installation reads and writes (the `host` of its keys). */
export interface ScopedCache {
  store: CacheStore;
  scope: string;
}

/** The key of what a repository holds at a commit (a file, an action, a directory listing): partition `${repoKey}@${commit}`. */
export function atCommitKey(scope: string, repo: RepoId, commit: string, sort: string): CacheKey {
  return { host: scope, partition: `${repoKey(repo)}@${commit.toLowerCase()}`, sort };
}
