// `workflow-warden callers OWNER/REPO[/path]`: who calls a repository's reusable workflows and actions, from an
// index built on the spot by reading the default branch of every repository of an owner through the API — the
// same records and the same indexing as the app keeps in DynamoDB.
import { indexDefaultBranch } from '../callers/indexer.js';
import { MemoryCallerIndex } from '../callers/memory.js';
import type { CallerRecord } from '../callers/port.js';
import { repositoryMetadata, type RepositoryPayload } from '../app/targets.js';
import { repoFullName, repoKey, type RepoMetadata } from '../graph/types.js';
import { actionDirectory } from '../graph/workspace.js';
import { readDefaultBranch } from '../source/default-branch.js';
import type { GitHubClient } from '../source/github.js';
import { EXIT, fail, parseCommandArgs, PROGRAM, toolVersion, UsageError, type CliIO, type ExitCode } from './io.js';
import { remoteSource } from './remote.js';

const COMMAND = 'callers';
const SCOPE = 'cli';
/** Repositories read at most by default: one GraphQL request each. */
const DEFAULT_LIMIT = 500;
const REQUEST_TIMEOUT_MS = 15_000;

export const CALLERS_HELP = `Usage: ${PROGRAM} ${COMMAND} OWNER/REPO[/path] [options]

Lists the workflows that call OWNER/REPO's reusable workflows (a path such as .github/workflows/deploy.yml)
or use its actions (a path such as setup, or nothing for the repository's root action), in every repository
of the owner, read at its default branch through the GitHub API. Calls within a repository (./, $/) are not
listed. Needs GITHUB_TOKEN (GITHUB_API_URL or GHE_HOST for other hosts, as for check).

Options:
  --owner <owner>      Whose repositories to read (default: OWNER).
  --limit <n>          Read at most n repositories (default: ${DEFAULT_LIMIT}).
  --format <format>    text (default) or json.
  -h, --help           Show this help.

Exit codes:
  0  the callers were listed (possibly none)
  2  usage error, no GITHUB_TOKEN, or GitHub did not list the repositories
`;

export async function callersCommand(args: readonly string[], io: CliIO): Promise<ExitCode> {
  const parsed = parseCommandArgs(args, { owner: { type: 'string' }, limit: { type: 'string' }, format: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (parsed.flags.has('help')) {
    io.stdout.write(CALLERS_HELP);
    return EXIT.ok;
  }
  const { format = 'text', owner: ownerOption, limit: limitOption } = parsed.strings;
  if (format !== 'text' && format !== 'json') throw new UsageError(`--format must be text or json, got ${JSON.stringify(format)}`);
  const [target, ...rest] = parsed.positionals;
  if (target === undefined || rest.length > 0) throw new UsageError('expected one OWNER/REPO[/path]');
  const [owner = '', name = '', ...path] = target.split('/');
  if (owner === '' || name === '') throw new UsageError(`expected OWNER/REPO[/path], got ${JSON.stringify(target)}`);
  const limit = limitOption === undefined ? DEFAULT_LIMIT : Number(limitOption);
  if (!Number.isInteger(limit) || limit <= 0) throw new UsageError(`--limit must be a positive integer, got ${JSON.stringify(limitOption)}`);
  const { client } = remoteSource(io.env, toolVersion(), io.stderr);
  if (!client) return fail(io, COMMAND, 'GITHUB_TOKEN is not set: the callers are found by reading repositories through the GitHub API');
  const callee = { owner, name };
  const listed = await listRepositories(client, ownerOption ?? owner, limit);
  if ('error' in listed) return fail(io, COMMAND, listed.error);
  const index = new MemoryCallerIndex();
  const unread: string[] = [];
  for (const repository of listed.repositories) {
    const outcome = await indexDefaultBranch(
      { index, scope: SCOPE, read: (repo) => readDefaultBranch(client, repo, { policyPath: '.github/workflow-policy.yml', timeoutMs: REQUEST_TIMEOUT_MS }) },
      repository,
    );
    if ('error' in outcome) unread.push(`${repoFullName(repository.repo)}: ${outcome.error}`);
  }
  const records = (await index.callersOfRepository(SCOPE, callee)).filter((record) => matches(record, path.join('/')) && repoKey(record.caller.repo) !== repoKey(callee));
  io.stdout.write(format === 'json' ? `${JSON.stringify({ callee: target, read: listed.repositories.length, unread, callers: records }, null, 2)}\n` : text(target, records, listed.repositories.length, unread));
  return EXIT.ok;
}

/** A workflow file by its path; an action by its directory; everything of the repository with no path. */
function matches(record: CallerRecord, path: string): boolean {
  if (path === '') return true;
  return record.callee.kind === 'workflow' ? record.callee.path === path : record.callee.path === actionDirectory(path);
}

function text(target: string, records: CallerRecord[], read: number, unread: string[]): string {
  const lines = records.map((record) => {
    const { caller, callee } = record;
    const what = callee.kind === 'workflow' ? callee.path : `action ${callee.path === '' ? '(root)' : callee.path}`;
    const step = caller.step === undefined ? '' : ` step ${caller.step + 1}`;
    return `${repoFullName(caller.repo)} ${caller.path}:${caller.line}  job ${caller.jobId}${step}  ${what}@${record.ref}`;
  });
  const repos = new Set(records.map((record) => repoKey(record.caller.repo))).size;
  const summary = `${records.length} call${records.length === 1 ? '' : 's'} of ${target} in ${repos} ${repos === 1 ? 'repository' : 'repositories'} (${read} read at their default branch)`;
  return [...lines, ...(lines.length > 0 ? [''] : []), summary, ...unread.map((line) => `Not read: ${line}`), ''].join('\n');
}

/** An organization's repositories, else a user's, in GitHub's REST shape; at most `limit`. */
async function listRepositories(client: GitHubClient, owner: string, limit: number): Promise<{ repositories: RepoMetadata[] } | { error: string }> {
  for (const route of ['GET /orgs/{owner}/repos', 'GET /users/{owner}/repos'] as const) {
    const repositories: RepoMetadata[] = [];
    try {
      for (let page = 1; repositories.length < limit; page++) {
        const { data } = await client.request(route, { owner, per_page: 100, page });
        const items = Array.isArray(data) ? (data as RepositoryPayload[]) : [];
        repositories.push(...items.map(repositoryMetadata));
        if (items.length < 100) break;
      }
      return { repositories: repositories.slice(0, limit) };
    } catch (error) {
      const status = typeof error === 'object' && error !== null && 'status' in error ? error.status : undefined;
      if (status === 404 && route.startsWith('GET /orgs')) continue;
      return { error: `GitHub did not list the repositories of ${owner}: ${error instanceof Error ? error.message : String(error)}` };
    }
  }
  return { error: `${owner} is neither an organization nor a user GitHub knows` };
}
