// Where the CLI reads other repositories' workflows: the GitHub API when GITHUB_TOKEN is set, otherwise
// nowhere — the offline source answers every remote read with a typed error, so each remote call is
// reported as unresolved (fail closed) rather than passed as if it had been checked.
import { Octokit } from '@octokit/core';
import { retry } from '@octokit/plugin-retry';
import { throttling } from '@octokit/plugin-throttling';
import type { Finding } from '../engine/types.js';
import { repoKey, type ActionsAccessLevel, type CallGraph, type RepoId, type RepoMetadata, type ResolutionError } from '../graph/types.js';
import { describeCall } from '../rules/describe.js';
import { GitHubSource, type GitHubClient } from '../source/github.js';
import type { LevelRequest, LevelResult, WorkflowSource } from '../source/port.js';
import { errorMessage, PROGRAM, UsageError, type Output } from './io.js';

export interface ApiEndpoint {
  /** REST and GraphQL base, e.g. `https://api.github.com` or `https://ghe.example.com/api/v3`. */
  baseUrl: string;
  /** The host calls resolve on (platform limits depend on it): `github.com`, `<name>.ghe.com`, or the server's name. */
  host: string;
}

/**
 * GITHUB_API_URL (set in every GitHub Actions job, with GITHUB_SERVER_URL naming the host it serves), else
 * Probot's GHE_HOST and GHE_PROTOCOL, else github.com.
 */
export function apiEndpoint(env: Readonly<Record<string, string | undefined>>): ApiEndpoint {
  const apiUrl = env.GITHUB_API_URL?.trim();
  if (apiUrl) {
    const url = parseUrl('GITHUB_API_URL', apiUrl);
    const serverUrl = env.GITHUB_SERVER_URL?.trim();
    const name = url.hostname.toLowerCase();
    const cloud = name === 'api.github.com' || (name.startsWith('api.') && name.endsWith('.ghe.com'));
    const host = serverUrl ? parseUrl('GITHUB_SERVER_URL', serverUrl).host.toLowerCase() : cloud ? name.slice('api.'.length) : url.host.toLowerCase();
    return { baseUrl: apiUrl.replace(/\/+$/, ''), host };
  }
  const gheHost = env.GHE_HOST?.trim();
  if (gheHost) return { baseUrl: `${env.GHE_PROTOCOL?.trim() || 'https'}://${gheHost}/api/v3`, host: gheHost };
  return { baseUrl: 'https://api.github.com', host: 'github.com' };
}

function parseUrl(variable: string, value: string): URL {
  try {
    return new URL(value);
  } catch {
    throw new UsageError(`${variable} is not a URL: ${JSON.stringify(value)}`);
  }
}

export interface RemoteSource {
  source: WorkflowSource;
  /** Undefined without GITHUB_TOKEN: remote calls are then reported as unresolved. */
  client?: GitHubClient;
}

/**
 * The plugins Probot composes for the app — retries, and waits on GitHub's rate limits — on Octokit's core
 * alone: the CLI needs no webhook server, and the GitHub Action's bundle stays small without it.
 */
const CliOctokit = Octokit.plugin(retry, throttling);

/** Rate limits: wait and retry twice, as Probot does for the app, then let the request fail (closed). */
const RATE_LIMIT_RETRIES = 2;

export function remoteSource(env: Readonly<Record<string, string | undefined>>, version: string, stderr: Output): RemoteSource {
  const endpoint = apiEndpoint(env);
  const token = env.GITHUB_TOKEN?.trim();
  if (!token) return { source: new OfflineSource(endpoint.host) };
  const warn = (message: string): void => void stderr.write(`${PROGRAM}: ${message}\n`);
  const onLimit = (retryAfter: number, options: { method: string; url: string }, _octokit: unknown, retryCount: number): boolean => {
    warn(`GitHub's rate limit was reached for ${options.method} ${options.url}${retryCount < RATE_LIMIT_RETRIES ? `: retrying in ${retryAfter} s` : ''}`);
    return retryCount < RATE_LIMIT_RETRIES;
  };
  const client = new CliOctokit({
    auth: token,
    baseUrl: endpoint.baseUrl,
    userAgent: `${PROGRAM}/${version}`,
    log: { debug: () => undefined, info: () => undefined, warn, error: warn },
    throttle: { onRateLimit: onLimit, onSecondaryRateLimit: onLimit },
  });
  return { source: new GitHubSource({ octokit: client, host: endpoint.host }), client };
}

/** What every remote read answers offline. Not immutable, so nothing caches it as a fact about the file. */
export const OFFLINE_ERROR: ResolutionError = {
  kind: 'network',
  message: 'GITHUB_TOKEN is not set: workflows in other repositories are not read',
};

/** No network: every file, repository and access setting is the typed OFFLINE_ERROR; no online facts. */
export class OfflineSource implements WorkflowSource {
  constructor(readonly host: string) {}

  async fetchLevel(request: LevelRequest): Promise<LevelResult> {
    const repos = new Map<string, RepoMetadata | ResolutionError>();
    for (const repo of [...request.files.map((file) => file.repo), ...request.repos]) repos.set(repoKey(repo), OFFLINE_ERROR);
    return { files: request.files.map(() => ({ ok: false, error: OFFLINE_ERROR })), repos };
  }

  async fetchActionsAccess(repos: RepoId[]): Promise<Map<string, ActionsAccessLevel | ResolutionError>> {
    return new Map(repos.map((repo) => [repoKey(repo), OFFLINE_ERROR]));
  }
}

function isOfflineError(error: ResolutionError | undefined): boolean {
  return error?.kind === OFFLINE_ERROR.kind && error.message === OFFLINE_ERROR.message;
}

/**
 * The resolution rule words an unread call as GitHub failing to answer ("re-run the check"); offline,
 * the remedy is a token, so those findings say that instead. Other findings are kept as they are.
 */
export function explainOffline(graph: CallGraph, findings: readonly Finding[]): Finding[] {
  return findings.map((finding) => {
    const edge = finding.chain.at(-1);
    if (finding.ruleId !== 'resolution' || edge === undefined || !isOfflineError(edge.error)) return finding;
    const reference = edge.uses.reference;
    const repo = reference.kind === 'remote-workflow' ? `${reference.owner}/${reference.repo}` : 'the called repository';
    const message =
      `${describeCall(graph, edge, finding.chain)} was not resolved: GITHUB_TOKEN is not set, so workflows in other repositories are not read, ` +
      `and this call and the calls below it were not checked (the check fails closed). Set GITHUB_TOKEN to a token that can read ${repo} and run the check again.`;
    return { ...finding, message };
  });
}

/** A repository's metadata and the commit a ref (or its default branch) is at: what `graph owner/repo` starts from. */
export interface RepositoryHead {
  repository: RepoMetadata;
  commit: string;
}

interface HeadQuery {
  repository: {
    nameWithOwner: string;
    visibility: string;
    isArchived: boolean;
    defaultBranchRef: { name: string; target: { oid: string } | null } | null;
    object?: { oid: string; target?: { oid: string } } | null;
  } | null;
}

const HEAD_QUERY = `query WardenHead($owner: String!, $name: String!, $ref: String!, $named: Boolean!) {
  repository(owner: $owner, name: $name) {
    nameWithOwner visibility isArchived
    defaultBranchRef { name target { oid } }
    object(expression: $ref) @include(if: $named) { oid ... on Tag { target { oid } } }
  }
}`;

/** One GraphQL request; the message of what could not be read otherwise (never thrown). */
export async function readRepositoryHead(client: GitHubClient, repo: RepoId, ref: string | undefined): Promise<RepositoryHead | string> {
  const name = `${repo.owner}/${repo.name}`;
  const notFound = `${name} does not exist, or GITHUB_TOKEN cannot read it`;
  let result: HeadQuery;
  try {
    result = await client.graphql<HeadQuery>(HEAD_QUERY, { owner: repo.owner, name: repo.name, ref: ref ?? '', named: ref !== undefined });
  } catch (error) {
    // GitHub answers a repository it will not show with a NOT_FOUND error, whether it is missing or private.
    return isNotFound(error) ? notFound : `cannot read ${name} from GitHub: ${errorMessage(error)}`;
  }
  const found = result.repository;
  if (found === null) return notFound;
  // An annotated tag names its tag object: the commit is what it points at.
  const commit = ref === undefined ? found.defaultBranchRef?.target?.oid : (found.object?.target?.oid ?? found.object?.oid);
  if (commit === undefined) return ref === undefined ? `${name} has no default branch` : `${name} has no ref ${JSON.stringify(ref)}`;
  const [owner = repo.owner, current = repo.name] = found.nameWithOwner.split('/');
  const visibility = found.visibility.toLowerCase();
  return {
    repository: {
      repo: { owner, name: current },
      visibility: visibility === 'public' || visibility === 'internal' ? visibility : 'private',
      archived: found.isArchived,
      ...(found.defaultBranchRef && { defaultBranch: found.defaultBranchRef.name }),
    },
    commit: commit.toLowerCase(),
  };
}

function isNotFound(error: unknown): boolean {
  const errors = typeof error === 'object' && error !== null && 'errors' in error ? error.errors : undefined;
  return Array.isArray(errors) && errors.some((entry: unknown) => typeof entry === 'object' && entry !== null && 'type' in entry && entry.type === 'NOT_FOUND');
}
