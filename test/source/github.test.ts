import { parse, validate } from 'graphql';
import nock from 'nock';
import { ProbotOctokit } from 'probot';
import type { RepoId } from '../../src/graph/types.js';
import type { WorkflowFileRequest } from '../../src/source/port.js';
import { GitHubSource, MAX_WORKFLOW_BYTES, type GitHubSourceOptions } from '../../src/source/github.js';
import { FakeGitHub, githubSchema } from '../support/fake-github.js';

const NoRetryOctokit = ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } });
const RetryOctokit = ProbotOctokit.defaults({ retry: { retryAfterBaseValue: 1 }, throttle: { enabled: false } });

const WF = '.github/workflows/build.yml';
const DEPLOY = '.github/workflows/deploy.yml';
const callable = (name: string): string => `name: ${name}\non: workflow_call\njobs: {}\n`;

const shared: RepoId = { owner: 'octo-org', name: 'shared' };
const secret: RepoId = { owner: 'octo-org', name: 'secret-wf' };
const lib: RepoId = { owner: 'other', name: 'lib' };

function named(repo: RepoId, path: string, name: string): WorkflowFileRequest {
  return { repo, path, ref: { kind: 'named', name } };
}

function atCommit(repo: RepoId, path: string, sha: string): WorkflowFileRequest {
  return { repo, path, ref: { kind: 'commit', sha } };
}

function source(options: Partial<GitHubSourceOptions> = {}): GitHubSource {
  return new GitHubSource({ octokit: new NoRetryOctokit({ auth: { token: 'test' } }), host: 'github.com', ...options });
}

interface World {
  gh: FakeGitHub;
  v1: string;
  v1Tag: string;
  v2: string;
  main: string;
  libCommit: string;
  secretCommit: string;
}

function world(gh = new FakeGitHub()): World {
  gh.addRepo('octo-org/shared', { visibility: 'public' });
  const v1 = gh.commit('octo-org/shared', { [WF]: callable('v1'), [DEPLOY]: callable('deploy v1'), 'logo.png': FakeGitHub.binary() });
  const v2 = gh.commit('octo-org/shared', { [WF]: callable('v2'), 'big.yml': FakeGitHub.oversize(MAX_WORKFLOW_BYTES + 1) });
  const main = gh.commit('octo-org/shared', { [WF]: callable('main') }, { branch: 'main' });
  const v1Tag = gh.tag('octo-org/shared', 'v1', v1, { annotated: true });
  gh.tag('octo-org/shared', 'v2', v2);
  // `release` is both a tag (at v1) and a branch (at main).
  gh.tag('octo-org/shared', 'release', v1);
  gh.branch('octo-org/shared', 'release', main);
  gh.addRepo('octo-org/secret-wf', { visibility: 'private', accessLevel: 'organization', defaultBranch: 'trunk' });
  const secretCommit = gh.commit('octo-org/secret-wf', { [WF]: callable('secret') }, { branch: 'trunk' });
  gh.addRepo('Other/Lib', { visibility: 'internal', archived: true, accessLevel: 'enterprise' });
  const libCommit = gh.commit('Other/Lib', { [WF]: callable('lib') }, { branch: 'main' });
  return { gh, v1, v1Tag, v2, main, libCommit, secretCommit };
}

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
});

afterAll(() => {
  nock.enableNetConnect();
});

describe('GitHubSource.fetchLevel', () => {
  it('reads a level across three repositories in one GraphQL request that validates against GitHub schema', async () => {
    const w = world();
    w.gh.intercept();
    const result = await source().fetchLevel({
      files: [named(shared, WF, 'v1'), named(shared, DEPLOY, 'v1'), named(secret, WF, 'trunk'), atCommit(lib, WF, w.libCommit)],
      repos: [],
    });

    expect(w.gh.count()).toBe(1);
    const [request] = w.gh.graphqlRequests();
    const query = request!.graphql!.query;
    expect(validate(githubSchema(), parse(query))).toEqual([]);
    expect(request!.outcome).toBe(200);
    expect(result.files).toEqual([
      { ok: true, commit: w.v1, resolvedRef: { name: 'v1', kind: 'tag', commit: w.v1, tagObject: w.v1Tag }, text: callable('v1') },
      { ok: true, commit: w.v1, resolvedRef: { name: 'v1', kind: 'tag', commit: w.v1, tagObject: w.v1Tag }, text: callable('deploy v1') },
      { ok: true, commit: w.secretCommit, resolvedRef: { name: 'trunk', kind: 'branch', commit: w.secretCommit }, text: callable('secret') },
      { ok: true, commit: w.libCommit, text: callable('lib') },
    ]);
    expect(result.repos).toEqual(
      new Map([
        ['octo-org/shared', { repo: shared, visibility: 'public', archived: false, defaultBranch: 'main' }],
        ['octo-org/secret-wf', { repo: secret, visibility: 'private', archived: false, defaultBranch: 'trunk' }],
        ['other/lib', { repo: { owner: 'Other', name: 'Lib' }, visibility: 'internal', archived: true, defaultBranch: 'main' }],
      ]),
    );
  });

  it('sends every user-supplied string as a variable, never in the query text', async () => {
    const w = world();
    w.gh.intercept();
    const hostile = '.github/workflows/x.yml") { __typename } evil: repository(owner: "a';
    const result = await source().fetchLevel({ files: [named(shared, hostile, 'v1'), named(lib, WF, 'main')], repos: [] });

    const { query, variables } = w.gh.graphqlRequests()[0]!.graphql!;
    for (const text of ['octo-org', 'shared', 'other', 'lib', 'refs/tags/v1', 'refs/heads/main', WF, 'evil']) {
      expect(query).not.toContain(text);
    }
    expect(Object.values(variables).sort()).toEqual(
      ['octo-org', 'shared', 'other', 'lib', 'refs/tags/v1', 'refs/heads/v1', 'refs/tags/main', 'refs/heads/main', hostile, WF].sort(),
    );
    expect(result.files[0]).toMatchObject({ ok: false, error: { kind: 'file-not-found' }, commit: w.v1 });
    expect(result.files[1]).toMatchObject({ ok: true, commit: w.libCommit });
  });

  it('peels annotated tags, keeps lightweight tags and branches as they are, and reads commits by SHA', async () => {
    const w = world();
    w.gh.intercept();
    const result = await source().fetchLevel({
      files: [named(shared, WF, 'v1'), named(shared, WF, 'v2'), named(shared, WF, 'main'), atCommit(shared, WF, w.v2.toUpperCase())],
      repos: [],
    });

    expect(result.files.map((file) => ('resolvedRef' in file ? file.resolvedRef : undefined))).toEqual([
      { name: 'v1', kind: 'tag', commit: w.v1, tagObject: w.v1Tag },
      { name: 'v2', kind: 'tag', commit: w.v2 },
      { name: 'main', kind: 'branch', commit: w.main },
      undefined,
    ]);
    expect(result.files.map((file) => (file.ok ? file.text : file.error.kind))).toEqual([
      callable('v1'),
      callable('v2'),
      callable('main'),
      callable('v2'),
    ]);
    expect(w.v1Tag).not.toBe(w.v1);
  });

  it('prefers the tag when a tag and a branch share a name', async () => {
    const w = world();
    w.gh.intercept();
    const result = await source().fetchLevel({ files: [named(shared, WF, 'release')], repos: [] });
    expect(result.files).toEqual([
      { ok: true, commit: w.v1, resolvedRef: { name: 'release', kind: 'tag', commit: w.v1 }, text: callable('v1') },
    ]);
  });

  it('reports missing refs, commits and files per item, leaving the other items intact', async () => {
    const w = world();
    w.gh.intercept();
    const result = await source().fetchLevel({
      files: [
        named(shared, WF, 'v9'),
        atCommit(shared, WF, 'f'.repeat(40)),
        named(shared, '.github/workflows/none.yml', 'main'),
        named(shared, '.github/workflows', 'main'),
        named(secret, WF, 'trunk'),
      ],
      repos: [],
    });

    expect(w.gh.count('POST /graphql')).toBe(1);
    expect(result.files.map((file) => (file.ok ? 'ok' : file.error.kind))).toEqual([
      'ref-not-found',
      'commit-not-found',
      'file-not-found',
      'file-not-found',
      'ok',
    ]);
    expect(result.files[2]).toMatchObject({ commit: w.main, resolvedRef: { name: 'main', kind: 'branch', commit: w.main } });
  });

  it('rejects an abbreviated SHA without sending it (one bad GitObjectID would fail the whole request)', async () => {
    const w = world();
    w.gh.intercept();
    const result = await source().fetchLevel({ files: [atCommit(shared, WF, w.v1.slice(0, 7)), named(shared, WF, 'v2')], repos: [] });
    expect(result.files[0]).toEqual({ ok: false, error: { kind: 'commit-not-found', message: `${w.v1.slice(0, 7)} is not a full commit SHA.` } });
    expect(result.files[1]).toMatchObject({ ok: true, commit: w.v2 });
    expect(Object.values(w.gh.graphqlRequests()[0]!.graphql!.variables)).not.toContain(w.v1.slice(0, 7));
  });

  it('maps binary and oversized blobs to typed errors with the commit they were read at', async () => {
    const w = world();
    w.gh.intercept();
    const result = await source().fetchLevel({ files: [named(shared, 'logo.png', 'v1'), named(shared, 'big.yml', 'v2')], repos: [] });
    expect(result.files).toEqual([
      {
        ok: false,
        commit: w.v1,
        resolvedRef: { name: 'v1', kind: 'tag', commit: w.v1, tagObject: w.v1Tag },
        error: { kind: 'binary', message: 'logo.png in octo-org/shared is a binary file.' },
      },
      {
        ok: false,
        commit: w.v2,
        resolvedRef: { name: 'v2', kind: 'tag', commit: w.v2 },
        error: { kind: 'too-large', message: `big.yml in octo-org/shared is ${MAX_WORKFLOW_BYTES + 1} bytes, over the ${MAX_WORKFLOW_BYTES}-byte limit.` },
      },
    ]);
  });

  it('reports a missing repository for its own items only, after one REST probe', async () => {
    const w = world();
    w.gh.intercept();
    const ghost = { owner: 'octo-org', name: 'ghost' };
    const result = await source().fetchLevel({ files: [named(ghost, WF, 'v1'), named(shared, WF, 'v2')], repos: [ghost] });

    const notFound = { kind: 'repo-not-found', message: 'Repository octo-org/ghost was not found or is not visible to the app.' };
    expect(result.files[0]).toEqual({ ok: false, error: notFound });
    expect(result.files[1]).toMatchObject({ ok: true, commit: w.v2 });
    expect(result.repos.get('octo-org/ghost')).toEqual(notFound);
    expect(w.gh.count('POST /graphql')).toBe(1);
    expect(w.gh.count('GET /repos/{owner}/{repo}')).toBe(1);
  });

  it('detects a renamed repository from the name GraphQL answers with (github.com follows renames)', async () => {
    const w = world();
    w.gh.rename('octo-org/shared', 'octo-org/shared-workflows');
    w.gh.intercept();
    const result = await source().fetchLevel({ files: [named(shared, WF, 'v1')], repos: [] });

    const renamed = {
      kind: 'repo-renamed',
      renamedTo: { owner: 'octo-org', name: 'shared-workflows' },
      message: 'Repository octo-org/shared is now octo-org/shared-workflows; GitHub Actions does not follow renames.',
    };
    expect(result.files).toEqual([{ ok: false, error: renamed }]);
    expect(result.repos.get('octo-org/shared')).toEqual(renamed);
    expect(w.gh.count()).toBe(1);
  });

  it('detects a renamed repository through the REST redirect where GraphQL answers NOT_FOUND', async () => {
    const w = world(new FakeGitHub({ graphqlFollowsRenames: false }));
    w.gh.rename('octo-org/shared', 'new-owner/shared');
    w.gh.intercept();
    const result = await source().fetchLevel({ files: [named(shared, WF, 'v1'), named(lib, WF, 'main')], repos: [] });

    expect(result.files[0]).toMatchObject({ ok: false, error: { kind: 'repo-renamed', renamedTo: { owner: 'new-owner', name: 'shared' } } });
    expect(result.files[1]).toMatchObject({ ok: true, commit: w.libCommit });
    expect(w.gh.requests.map((entry) => `${entry.method} ${entry.path} ${entry.outcome}`)).toEqual([
      'POST /graphql 200',
      'GET /repos/octo-org/shared 301',
      'GET /repositories/1000 200',
    ]);
  });

  it('treats a name differing only in case as the same repository', async () => {
    const w = world();
    w.gh.intercept();
    const result = await source().fetchLevel({ files: [named({ owner: 'Octo-Org', name: 'SHARED' }, WF, 'v2')], repos: [] });
    expect(result.files[0]).toMatchObject({ ok: true, commit: w.v2 });
    expect(result.repos.get('octo-org/shared')).toEqual({ repo: shared, visibility: 'public', archived: false, defaultBranch: 'main' });
  });

  it('reads metadata of repositories that have no files in the level', async () => {
    const w = world();
    w.gh.intercept();
    const result = await source().fetchLevel({ files: [], repos: [secret, lib] });
    expect(w.gh.count('POST /graphql')).toBe(1);
    expect([...result.repos.keys()]).toEqual(['octo-org/secret-wf', 'other/lib']);
    expect(w.gh.graphqlRequests()[0]!.graphql!.query).not.toContain('WardenFile');
  });

  it('sends nothing for an empty level', async () => {
    const w = world();
    w.gh.intercept();
    expect(await source().fetchLevel({ files: [], repos: [] })).toEqual({ files: [], repos: new Map() });
    expect(w.gh.count()).toBe(0);
  });

  it('reads a file requested twice once and answers both', async () => {
    const w = world();
    w.gh.intercept();
    const result = await source().fetchLevel({ files: [named(shared, WF, 'v2'), named(shared, WF, 'v2')], repos: [] });
    expect(result.files[0]).toEqual(result.files[1]);
    expect(result.files[0]).toMatchObject({ ok: true, commit: w.v2 });
    const { query, variables } = w.gh.graphqlRequests()[0]!.graphql!;
    expect(query).toContain('f0: file(path: $p0)');
    expect(query).not.toContain('f1:');
    expect(Object.values(variables).filter((value) => value === WF)).toHaveLength(1);
  });

  it('splits a large level into chunks of maxFilesPerQuery sent concurrently', async () => {
    const w = world();
    w.gh.inject('POST /graphql', { delayMs: 20 });
    w.gh.intercept();
    const files = [named(shared, WF, 'v1'), named(shared, WF, 'v2'), named(shared, WF, 'main'), named(secret, WF, 'trunk'), named(lib, WF, 'main')];
    const result = await source({ maxFilesPerQuery: 2, concurrency: 3 }).fetchLevel({ files, repos: [] });

    expect(w.gh.count('POST /graphql')).toBe(3);
    expect(w.gh.maxInFlight).toBe(3);
    const tagsAsked = w.gh.graphqlRequests().map((entry) => Object.values(entry.graphql!.variables).filter((value) => String(value).startsWith('refs/tags/')));
    expect(tagsAsked).toEqual([['refs/tags/v1', 'refs/tags/v2'], ['refs/tags/main', 'refs/tags/trunk'], ['refs/tags/main']]);
    expect(result.files.map((file) => (file.ok ? file.commit : file.error.kind))).toEqual([w.v1, w.v2, w.main, w.secretCommit, w.libCommit]);
    expect(result.repos.size).toBe(3);
  });

  it('turns a 500 into server-error for every item of the request', async () => {
    const w = world();
    w.gh.inject('POST /graphql', { status: 500 });
    w.gh.intercept();
    const result = await source().fetchLevel({ files: [named(shared, WF, 'v1'), named(lib, WF, 'main')], repos: [secret] });

    expect(result.files.map((file) => !file.ok && file.error.kind)).toEqual(['server-error', 'server-error']);
    expect([...result.repos.values()].map((repo) => 'kind' in repo && repo.kind)).toEqual(['server-error', 'server-error', 'server-error']);
    expect(result.files[0]).toMatchObject({ error: { status: 500 } });
  });

  it.each([
    ['an empty object', {}],
    ['data: null', { data: null }],
    ['a body that is not JSON', 'upstream connect error'],
  ])('turns a 200 answer with %s into server-error instead of throwing', async (_, body) => {
    const w = world();
    w.gh.inject('POST /graphql', { status: 200, body });
    w.gh.intercept();
    const result = await source().fetchLevel({ files: [named(shared, WF, 'v1')], repos: [] });

    expect(result.files.map((file) => !file.ok && file.error.kind)).toEqual(['server-error']);
    expect([...result.repos.values()].map((repo) => 'kind' in repo && repo.kind)).toEqual(['server-error']);
  });

  it('fails only the chunk whose request failed', async () => {
    const w = world();
    w.gh.inject('POST /graphql', { status: 502 });
    w.gh.intercept();
    const result = await source({ maxFilesPerQuery: 1, concurrency: 1 }).fetchLevel({
      files: [named(shared, WF, 'v1'), named(shared, WF, 'v2')],
      repos: [],
    });
    expect(result.files.map((file) => (file.ok ? 'ok' : file.error.kind))).toEqual(['server-error', 'ok']);
    // The second chunk read the repository's metadata, which wins over the first chunk's failure.
    expect(result.repos.get('octo-org/shared')).toMatchObject({ visibility: 'public' });
  });

  it.each([
    ['a secondary rate limit', FakeGitHub.secondaryRateLimit(60), 403],
    ['a 429', FakeGitHub.tooManyRequests(60), 429],
  ])('turns %s into rate-limited', async (_name, fault, status) => {
    const w = world();
    w.gh.inject('POST /graphql', fault);
    w.gh.intercept();
    const result = await source().fetchLevel({ files: [named(shared, WF, 'v1')], repos: [] });
    expect(result.files[0]).toMatchObject({ ok: false, error: { kind: 'rate-limited', status } });
  });

  it('turns a hanging request into timeout', async () => {
    const w = world();
    w.gh.inject('POST /graphql', { hang: true });
    w.gh.intercept();
    const result = await source({ timeoutMs: 50 }).fetchLevel({ files: [named(shared, WF, 'v1')], repos: [shared] });
    expect(result.files).toEqual([{ ok: false, error: { kind: 'timeout', message: 'the GraphQL API did not answer in time.' } }]);
    expect(result.repos.get('octo-org/shared')).toMatchObject({ kind: 'timeout' });
  });

  it('turns a dropped connection into network', async () => {
    const w = world();
    w.gh.inject('POST /graphql', { networkError: true });
    w.gh.intercept();
    const result = await source().fetchLevel({ files: [named(shared, WF, 'v1')], repos: [] });
    expect(result.files[0]).toMatchObject({ ok: false, error: { kind: 'network' } });
  });

  it('lets the retry plugin repeat a 502 and then succeeds', async () => {
    const w = world();
    w.gh.inject('POST /graphql', { status: 502 });
    w.gh.intercept();
    const retrying = new GitHubSource({ octokit: new RetryOctokit({ auth: { token: 'test' } }), host: 'github.com' });
    const result = await retrying.fetchLevel({ files: [named(shared, WF, 'v2')], repos: [] });
    expect(w.gh.requests.map((entry) => entry.outcome)).toEqual([502, 200]);
    expect(result.files[0]).toMatchObject({ ok: true, commit: w.v2 });
  });

  it('does not let the retry plugin repeat a timed-out request', async () => {
    const w = world();
    w.gh.inject('POST /graphql', { hang: true, times: 5 });
    w.gh.intercept();
    const retrying = new GitHubSource({ octokit: new RetryOctokit({ auth: { token: 'test' } }), host: 'github.com', timeoutMs: 50 });
    const result = await retrying.fetchLevel({ files: [named(shared, WF, 'v2')], repos: [] });
    expect(result.files[0]).toMatchObject({ ok: false, error: { kind: 'timeout' } });
    expect(w.gh.count('POST /graphql')).toBe(1);
  });
});

describe('GitHubSource.fetchActionsAccess', () => {
  it('reads the access level of each repository once, in parallel', async () => {
    const w = world();
    w.gh.inject('GET /repos/{owner}/{repo}/actions/permissions/access', { delayMs: 20 });
    w.gh.intercept();
    const access = await source().fetchActionsAccess([secret, lib, { owner: 'Octo-Org', name: 'Secret-WF' }]);
    expect(access).toEqual(
      new Map([
        ['octo-org/secret-wf', 'organization'],
        ['other/lib', 'enterprise'],
      ]),
    );
    expect(w.gh.count('GET /repos/{owner}/{repo}/actions/permissions/access')).toBe(2);
    expect(w.gh.maxInFlight).toBe(2);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    const w = world();
    w.gh.inject('GET /repos/{owner}/{repo}/actions/permissions/access', { delayMs: 10 });
    w.gh.intercept();
    const repos = ['a', 'b', 'c', 'd', 'e'].map((name) => ({ owner: 'octo-org', name }));
    const access = await source({ concurrency: 2 }).fetchActionsAccess(repos);
    expect(w.gh.count()).toBe(5);
    expect(w.gh.maxInFlight).toBe(2);
    expect([...access.values()].map((value) => typeof value === 'object' && value.kind)).toEqual(Array(5).fill('repo-not-found'));
  });

  it('maps missing repositories, failures and rate limits to typed errors per repository', async () => {
    const w = world();
    w.gh.inject('GET /repos/{owner}/{repo}/actions/permissions/access', FakeGitHub.secondaryRateLimit(30));
    w.gh.intercept();
    const ghost = { owner: 'octo-org', name: 'ghost' };
    const access = await source({ concurrency: 1 }).fetchActionsAccess([secret, ghost, shared, lib]);
    expect(access.get('octo-org/secret-wf')).toMatchObject({ kind: 'rate-limited', status: 403 });
    expect(access.get('octo-org/ghost')).toEqual({
      kind: 'repo-not-found',
      status: 404,
      message: 'The Actions access setting of octo-org/ghost was not found or is not visible to the app.',
    });
    expect(access.get('octo-org/shared')).toMatchObject({ kind: 'repo-not-found', status: 404 });
    expect(access.get('other/lib')).toBe('enterprise');
  });

  it('maps a 500 to server-error and a hang to timeout', async () => {
    const w = world();
    w.gh.inject('GET /repos/{owner}/{repo}/actions/permissions/access', { status: 500 });
    w.gh.inject('GET /repos/{owner}/{repo}/actions/permissions/access', { hang: true });
    w.gh.intercept();
    const access = await source({ concurrency: 1, timeoutMs: 50 }).fetchActionsAccess([secret, lib]);
    expect(access.get('octo-org/secret-wf')).toMatchObject({ kind: 'server-error', status: 500 });
    expect(access.get('other/lib')).toMatchObject({ kind: 'timeout' });
  });
});

describe('FakeGitHub GraphQL validation', () => {
  it('rejects a query with a misspelled field as GitHub does, with an errors array and no data', async () => {
    const w = world();
    w.gh.intercept();
    const octokit = new NoRetryOctokit({ auth: { token: 'test' } });
    await expect(
      octokit.graphql('query($o: String!, $n: String!) { repository(owner: $o, name: $n) { nameWithOwnr } }', { o: 'octo-org', n: 'shared' }),
    ).rejects.toMatchObject({
      name: 'GraphqlResponseError',
      errors: [expect.objectContaining({ message: 'Cannot query field "nameWithOwnr" on type "Repository". Did you mean "nameWithOwner"?' })],
      data: undefined,
    });
  });

  it('answers a missing repository with GitHub NOT_FOUND error shape and partial data', async () => {
    const w = world();
    w.gh.intercept();
    const octokit = new NoRetryOctokit({ auth: { token: 'test' } });
    await expect(
      octokit.graphql('query($o: String!, $n: String!) { r0: repository(owner: $o, name: $n) { nameWithOwner } }', { o: 'o', n: 'r' }),
    ).rejects.toMatchObject({
      data: { r0: null },
      errors: [{ type: 'NOT_FOUND', path: ['r0'], locations: [{ line: 1, column: 35 }], message: "Could not resolve to a Repository with the name 'o/r'." }],
    });
  });
});
