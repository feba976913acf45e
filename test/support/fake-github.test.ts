import nock from 'nock';
import { ProbotOctokit } from 'probot';
import { GitHubSource } from '../../src/source/github.js';
import { FakeGitHub } from './fake-github.js';

const TestOctokit = ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } });
const WF = '.github/workflows/ci.yml';

function octokit(baseUrl?: string): InstanceType<typeof TestOctokit> {
  return new TestOctokit({ auth: { token: 'test' }, ...(baseUrl ? { baseUrl } : {}) });
}

function sampleHub(): { gh: FakeGitHub; sha: string } {
  const gh = new FakeGitHub();
  gh.addRepo('octo-org/shared', { visibility: 'private', accessLevel: 'organization' });
  const sha = gh.commit('octo-org/shared', { [WF]: 'on: workflow_call\n' }, { branch: 'main' });
  return { gh, sha };
}

beforeAll(() => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
});

afterEach(() => {
  nock.cleanAll();
});

afterAll(() => {
  nock.enableNetConnect();
});

describe('FakeGitHub', () => {
  it('builds the same SHAs for the same fixtures', () => {
    expect(sampleHub().sha).toBe(sampleHub().sha);
    expect(sampleHub().sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it('serves GitHubSource end to end on a loopback port, redirects included', async () => {
    const { gh, sha } = sampleHub();
    gh.rename('octo-org/shared', 'octo-org/renamed');
    const server = await gh.listen();
    try {
      const client = octokit(server.url);
      const repo = await client.request('GET /repos/{owner}/{repo}', { owner: 'octo-org', repo: 'shared' });
      expect(repo.data).toMatchObject({ full_name: 'octo-org/renamed', url: `${server.url}/repos/octo-org/renamed` });
      const source = new GitHubSource({ octokit: client, host: '127.0.0.1' });
      const level = await source.fetchLevel({ files: [{ repo: { owner: 'octo-org', name: 'renamed' }, path: WF, ref: { kind: 'named', name: 'main' } }], repos: [] });
      expect(level.files).toEqual([
        { ok: true, commit: sha, resolvedRef: { name: 'main', kind: 'branch', commit: sha }, text: 'on: workflow_call\n' },
      ]);
      expect(gh.requests.map((entry) => `${entry.method} ${entry.path} ${entry.outcome}`)).toEqual([
        'GET /repos/octo-org/shared 301',
        'GET /repositories/1000 200',
        'POST /graphql 200',
      ]);
    } finally {
      await server.close();
    }
  });

  it('closes a loopback server with a request left hanging', async () => {
    const { gh } = sampleHub();
    gh.inject('*', { hang: true });
    const server = await gh.listen();
    const pending = fetch(`${server.url}/repos/octo-org/shared`).then(
      () => 'answered',
      () => 'failed',
    );
    await new Promise((resolve) => setTimeout(resolve, 20));
    await server.close();
    expect(await pending).toBe('failed');
    expect(gh.requests[0]?.outcome).toBe('hang');
  });

  it('answers GitHub Enterprise Server paths (/api/v3 and /api/graphql) through nock', async () => {
    const { gh } = sampleHub();
    gh.intercept('https://ghe.example.com/api/v3');
    const client = octokit('https://ghe.example.com/api/v3');
    const access = await client.request('GET /repos/{owner}/{repo}/actions/permissions/access', { owner: 'octo-org', repo: 'shared' });
    const data = await client.graphql<{ repository: { visibility: string } }>(
      'query($owner: String!, $name: String!) { repository(owner: $owner, name: $name) { visibility } }',
      { owner: 'octo-org', name: 'shared' },
    );
    expect(access.data).toEqual({ access_level: 'organization' });
    expect(data).toEqual({ repository: { visibility: 'PRIVATE' } });
    expect(gh.requests.map((entry) => entry.route)).toEqual(['GET /repos/{owner}/{repo}/actions/permissions/access', 'POST /graphql']);
    expect(gh.requests[1]?.graphql?.variables).toEqual({ owner: 'octo-org', name: 'shared' });
  });

  it('lets other routes be added in a few lines, answering by id and redirecting old names', async () => {
    const { gh } = sampleHub();
    gh.repoRoute('GET', '/pulls/{pull_number}/files', (repo, context) => ({
      status: 200,
      body: [{ filename: WF, status: 'modified', repo: repo.name, pull: Number(context.params.pull_number) }],
    }));
    gh.rename('octo-org/shared', 'elsewhere/shared');
    gh.intercept();
    const files = await octokit().request('GET /repos/{owner}/{repo}/pulls/{pull_number}/files', { owner: 'octo-org', repo: 'shared', pull_number: 7 });
    expect(files.data).toEqual([{ filename: WF, status: 'modified', repo: 'shared', pull: 7 }]);
    expect(gh.requests.map((entry) => `${entry.path} ${entry.outcome}`)).toEqual([
      '/repos/octo-org/shared/pulls/7/files 301',
      '/repositories/1000/pulls/7/files 200',
    ]);
    expect(gh.count('GET /repos/{owner}/{repo}/pulls/{pull_number}/files')).toBe(2);
  });

  it('answers the next N requests of a route with the injected status, then normally', async () => {
    const { gh } = sampleHub();
    gh.inject('GET /repos/{owner}/{repo}', { status: 503, times: 2 });
    gh.intercept();
    const client = octokit();
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 3; attempt += 1) {
      statuses.push(
        await client.request('GET /repos/{owner}/{repo}', { owner: 'octo-org', repo: 'shared' }).then(
          (response) => response.status,
          (error: { status: number }) => error.status,
        ),
      );
    }
    expect(statuses).toEqual([503, 503, 200]);
    expect(gh.count('GET /repos/{owner}/{repo}')).toBe(3);
  });

  it('resolves object(expression:) like rev-parse, tags before branches', async () => {
    const gh = new FakeGitHub();
    gh.addRepo('o/r');
    const tagged = gh.commit('o/r', { 'a.yml': 'tag' });
    const branched = gh.commit('o/r', { 'a.yml': 'branch' }, { branch: 'v1' });
    gh.tag('o/r', 'v1', tagged, { annotated: true });
    gh.intercept();
    const data = await octokit().graphql<{ repository: { blob: { text: string }; commit: { __typename: string } } }>(
      'query($e: String!, $c: String!) { repository(owner: "o", name: "r") { blob: object(expression: $e) { ... on Blob { text } } commit: object(expression: $c) { __typename } } }',
      { e: 'v1:a.yml', c: branched },
    );
    expect(data.repository).toEqual({ blob: { text: 'tag' }, commit: { __typename: 'Commit' } });
  });
});
