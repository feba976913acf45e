// Where the CLI reads other repositories' workflows: the GitHub API when GITHUB_TOKEN is set, otherwise
// nowhere — the offline source answers every remote read with a typed error, so each remote call is
// reported as unresolved (fail closed) rather than passed as if it had been checked.
import { ProbotOctokit } from 'probot';
import type { Finding } from '../engine/types.js';
import { repoKey, type ActionsAccessLevel, type CallGraph, type RepoId, type RepoMetadata, type ResolutionError } from '../graph/types.js';
import { describeCall } from '../rules/describe.js';
import { GitHubSource } from '../source/github.js';
import type { LevelRequest, LevelResult, WorkflowSource } from '../source/port.js';
import { PROGRAM, UsageError, type Output } from './io.js';

export interface ApiEndpoint {
  /** REST and GraphQL base, e.g. `https://api.github.com` or `https://ghe.example.com/api/v3`. */
  baseUrl: string;
  /** The host calls resolve on (platform limits depend on it): `github.com`, `<name>.ghe.com`, or the server's name. */
  host: string;
}

/**
 * GITHUB_API_URL (set in every GitHub Actions job), else Probot's GHE_HOST and GHE_PROTOCOL, else github.com.
 */
export function apiEndpoint(env: Readonly<Record<string, string | undefined>>): ApiEndpoint {
  const apiUrl = env.GITHUB_API_URL?.trim();
  if (apiUrl) {
    let url: URL;
    try {
      url = new URL(apiUrl);
    } catch {
      throw new UsageError(`GITHUB_API_URL is not a URL: ${JSON.stringify(apiUrl)}`);
    }
    const name = url.hostname.toLowerCase();
    const cloud = name === 'api.github.com' || (name.startsWith('api.') && name.endsWith('.ghe.com'));
    return { baseUrl: apiUrl.replace(/\/+$/, ''), host: cloud ? name.slice('api.'.length) : url.host.toLowerCase() };
  }
  const gheHost = env.GHE_HOST?.trim();
  if (gheHost) return { baseUrl: `${env.GHE_PROTOCOL?.trim() || 'https'}://${gheHost}/api/v3`, host: gheHost };
  return { baseUrl: 'https://api.github.com', host: 'github.com' };
}

export interface RemoteSource {
  source: WorkflowSource;
  /** False without GITHUB_TOKEN: remote calls are reported as unresolved. */
  online: boolean;
}

export function remoteSource(env: Readonly<Record<string, string | undefined>>, version: string, stderr: Output): RemoteSource {
  const endpoint = apiEndpoint(env);
  const token = env.GITHUB_TOKEN?.trim();
  if (!token) return { source: new OfflineSource(endpoint.host), online: false };
  // Probot's Octokit brings the retry and rate-limit plugins the app uses; its warnings go to stderr.
  const warn = (message: string): void => void stderr.write(`${PROGRAM}: ${message}\n`);
  const octokit = new ProbotOctokit({
    auth: { token },
    baseUrl: endpoint.baseUrl,
    userAgent: `${PROGRAM}/${version}`,
    log: { debug: () => undefined, info: () => undefined, warn, error: warn },
  });
  return { source: new GitHubSource({ octokit, host: endpoint.host }), online: true };
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
