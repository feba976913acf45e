// What a GitHub App installation sees, on top of FakeGitHub: `GET /installation/repositories` with GitHub's
// response shape and pagination, plus per-repository delays and failures.
import { FakeGitHub, type FakeOutcome, type FakeRepo, type FakeRequest, type FakeResponse, type RouteContext } from './fake-github.js';

/** GitHub's page size for this endpoint when `per_page` is not given, and its largest. */
const DEFAULT_PER_PAGE = 30;
const MAX_PER_PAGE = 100;

export interface InstallationOptions {
  /** `owner/name` of every repository the installation can see, in the order GitHub lists them. */
  repositories: string[];
  repositorySelection?: 'all' | 'selected';
}

/** FakeGitHub plus slow or failing repositories. */
export class InstallationFakeGitHub extends FakeGitHub {
  private readonly delays = new Map<string, number>();
  private readonly failures = new Map<string, number>();
  /** Answers held back by `slowRepository` right now. */
  private held = 0;

  /** Requests being answered or held back: zero once everything sent has been answered. */
  get busy(): number {
    return this.inFlight + this.held;
  }

  /** Holds back answers to GraphQL requests about `fullName` (variables `owner`/`name`) for `ms`; they are logged on arrival. */
  slowRepository(fullName: string, ms: number): void {
    this.delays.set(fullName.toLowerCase(), ms);
  }

  /** Answers GraphQL requests about `fullName` (variables `owner`/`name`) with this HTTP status. */
  failRepository(fullName: string, status: number): void {
    this.failures.set(fullName.toLowerCase(), status);
  }

  /** Answers GraphQL requests about `fullName` normally again (after `failRepository`). */
  restoreRepository(fullName: string): void {
    this.failures.delete(fullName.toLowerCase());
  }

  /** Serves `GET /installation/repositories` for the given repositories, paginated as GitHub does. */
  installation(options: InstallationOptions): void {
    this.route('GET', '/installation/repositories', (context) => answerInstallationRepositories(this, options, context));
  }

  override async handle(request: FakeRequest, origin: string): Promise<FakeOutcome> {
    const payload = graphqlPayload(request);
    const about = payload ? `${String(payload.variables.owner)}/${String(payload.variables.name)}`.toLowerCase() : '';
    const status = this.failures.get(about);
    // Through FakeGitHub's own faults, so the request is logged like any other.
    if (status !== undefined) this.inject('POST /graphql', { status, times: 1 });
    const outcome = await super.handle(request, origin);
    const delay = this.delays.get(about);
    if (delay !== undefined) {
      this.held += 1;
      await new Promise((resolve) => setTimeout(resolve, delay));
      this.held -= 1;
    }
    return outcome;
  }
}

function graphqlPayload(request: FakeRequest): { variables: Record<string, unknown> } | undefined {
  if (request.method !== 'POST' || !/\/graphql$/.test(request.path.split('?')[0] ?? '')) return undefined;
  try {
    const parsed = JSON.parse(request.body) as { variables?: unknown };
    return { variables: typeof parsed.variables === 'object' && parsed.variables !== null ? (parsed.variables as Record<string, unknown>) : {} };
  } catch {
    return undefined;
  }
}

/** `GET /installation/repositories`: `{ total_count, repositories }`, paginated with GitHub's `link` header. */
function answerInstallationRepositories(gh: FakeGitHub, options: InstallationOptions, context: RouteContext): FakeResponse {
  const perPage = Math.min(Number(context.query.get('per_page') ?? DEFAULT_PER_PAGE) || DEFAULT_PER_PAGE, MAX_PER_PAGE);
  const page = Math.max(Number(context.query.get('page') ?? 1) || 1, 1);
  const all = options.repositories.map((name) => gh.repo(name));
  const repositories = all.slice((page - 1) * perPage, page * perPage).map((repo) => repositoryJson(repo, context.apiBase));
  const last = Math.max(Math.ceil(all.length / perPage), 1);
  const link = (target: number, rel: string) => `<${context.apiBase}/installation/repositories?per_page=${perPage}&page=${target}>; rel="${rel}"`;
  const links = [
    ...(page > 1 ? [link(page - 1, 'prev')] : []),
    ...(page < last ? [link(page + 1, 'next'), link(last, 'last')] : []),
    ...(page > 1 ? [link(1, 'first')] : []),
  ];
  return {
    status: 200,
    ...(links.length > 0 && { headers: { link: links.join(', ') } }),
    body: { total_count: all.length, repository_selection: options.repositorySelection ?? 'selected', repositories },
  };
}

/** A repository as GitHub's REST API describes it (`#/components/schemas/repository`), every required field present. */
export function repositoryJson(repo: FakeRepo, apiBase: string): Record<string, unknown> {
  const fullName = `${repo.owner}/${repo.name}`;
  const api = `${apiBase}/repos/${fullName}`;
  const web = `${new URL(apiBase).origin.replace('api.', '')}/${fullName}`;
  const urls = Object.fromEntries(
    ['archive', 'assignees', 'blobs', 'branches', 'collaborators', 'comments', 'commits', 'compare', 'contents', 'contributors', 'deployments', 'downloads', 'events', 'forks', 'git_commits', 'git_refs', 'git_tags', 'hooks', 'issue_comment', 'issue_events', 'issues', 'keys', 'labels', 'languages', 'merges', 'milestones', 'notifications', 'pulls', 'releases', 'stargazers', 'statuses', 'subscribers', 'subscription', 'tags', 'teams', 'trees'].map(
      (name) => [`${name}_url`, `${api}/${name.replace('_', '/')}`],
    ),
  );
  const owner = `${apiBase}/users/${repo.owner}`;
  return {
    ...urls,
    id: repo.id,
    node_id: Buffer.from(`Repository${repo.id}`).toString('base64'),
    name: repo.name,
    full_name: fullName,
    owner: {
      login: repo.owner, id: repo.id + 1_000_000, node_id: Buffer.from(`Owner${repo.owner}`).toString('base64'), type: 'Organization', site_admin: false, gravatar_id: '',
      avatar_url: `${web}.png`, url: owner, html_url: web, events_url: `${owner}/events{/privacy}`, followers_url: `${owner}/followers`, following_url: `${owner}/following{/other_user}`,
      gists_url: `${owner}/gists{/gist_id}`, organizations_url: `${owner}/orgs`, received_events_url: `${owner}/received_events`, repos_url: `${owner}/repos`,
      starred_url: `${owner}/starred{/owner}{/repo}`, subscriptions_url: `${owner}/subscriptions`,
    },
    private: repo.visibility !== 'public',
    visibility: repo.visibility,
    description: null,
    fork: false,
    url: api,
    html_url: web,
    clone_url: `${web}.git`,
    git_url: `${web.replace(/^https?/, 'git')}.git`,
    ssh_url: `git@${new URL(web).host}:${fullName}.git`,
    svn_url: web,
    mirror_url: null,
    homepage: null,
    language: null,
    default_branch: repo.defaultBranch,
    archived: repo.archived,
    disabled: false,
    forks: 0, forks_count: 0, open_issues: 0, open_issues_count: 0, stargazers_count: 0, watchers: 0, watchers_count: 0, size: 1,
    has_downloads: true, has_issues: true, has_projects: false, has_wiki: false, has_pages: false,
    license: null,
    pushed_at: '2026-11-01T00:00:00Z',
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-11-01T00:00:00Z',
  };
}
