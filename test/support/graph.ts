// Builds call graphs for tests through the real path: FakeGitHub behind nock → GitHubSource → resolver.
import nock from 'nock';
import { ProbotOctokit } from 'probot';
import { resolveCallGraph } from '../../src/graph/resolve.js';
import { GITHUB_COM_LIMITS } from '../../src/graph/limits.js';
import type { ActionsAccessLevel, CallGraph, PlatformLimits, RepoId, Visibility } from '../../src/graph/types.js';
import { GitHubSource } from '../../src/source/github.js';
import type { CacheStore } from '../../src/cache/port.js';
import { FakeGitHub, type FakeFile } from './fake-github.js';

export const NoRetryOctokit = ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } });

export interface RepoSpec {
  visibility?: Visibility;
  accessLevel?: ActionsAccessLevel;
  defaultBranch?: string;
  archived?: boolean;
  /** Files of the repository's one commit (on its default branch). */
  files: Record<string, FakeFile>;
  /** Tags at that commit; `annotated: true` makes a tag object as `git tag -a` does. */
  tags?: Record<string, { annotated?: boolean }>;
}

export interface World {
  gh: FakeGitHub;
  /** The commit of each repository, by `owner/name` as written in the spec. */
  commits: Record<string, string>;
}

/** One commit per repository, on its default branch, with the given tags at it. */
export function buildWorld(repos: Record<string, RepoSpec>, gh = new FakeGitHub()): World {
  const commits: Record<string, string> = {};
  for (const [fullName, spec] of Object.entries(repos)) {
    gh.addRepo(fullName, {
      visibility: spec.visibility ?? 'public',
      accessLevel: spec.accessLevel ?? 'none',
      defaultBranch: spec.defaultBranch ?? 'main',
      archived: spec.archived ?? false,
    });
    const sha = gh.commit(fullName, spec.files, { branch: spec.defaultBranch ?? 'main' });
    commits[fullName] = sha;
    for (const [tag, options] of Object.entries(spec.tags ?? {})) gh.tag(fullName, tag, sha, options);
  }
  return { gh, commits };
}

export function repoId(fullName: string): RepoId {
  const [owner = '', name = ''] = fullName.split('/');
  return { owner, name };
}

export function githubSource(): GitHubSource {
  return new GitHubSource({ octokit: new NoRetryOctokit({ auth: { token: 'test' } }), host: 'github.com' });
}

/**
 * Resolves `roots` (`owner/name:path`) at their repository's commit, through nock'd FakeGitHub.
 * The caller owns nock's lifecycle (`nock.disableNetConnect()`, `nock.cleanAll()`).
 */
export async function resolveWorld(
  world: World,
  roots: string[],
  options: { limits?: PlatformLimits; cache?: CacheStore } = {},
): Promise<CallGraph> {
  if (!nock.isActive()) nock.activate();
  world.gh.intercept();
  return resolveCallGraph(
    roots.map((root) => {
      const [fullName = '', path = ''] = root.split(':');
      return { repo: repoId(fullName), path, commit: world.commits[fullName]! };
    }),
    { source: githubSource(), limits: options.limits ?? GITHUB_COM_LIMITS, ...(options.cache && { cache: options.cache }) },
  );
}

/** Resolves a one-off world: the usual shape of a rule test. */
export async function graphOf(repos: Record<string, RepoSpec>, roots: string[], limits?: PlatformLimits): Promise<{ graph: CallGraph; world: World }> {
  const world = buildWorld(repos);
  const graph = await resolveWorld(world, roots, limits ? { limits } : {});
  return { graph, world };
}
