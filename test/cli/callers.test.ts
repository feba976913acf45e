// `workflow-warden callers`: who calls a repository's workflows and actions, read from every repository of its owner
// at the default branch (FakeGitHub behind nock, GitHub's REST listing and GraphQL shapes).
import nock from 'nock';
import { FakeGitHub } from '../support/fake-github.js';
import { repositoryJson } from '../support/fake-github-installation.js';
import { run } from './harness.js';

const TOKEN_ENV = { GITHUB_TOKEN: 'test-token', GITHUB_API_URL: 'https://api.github.com' };
const DEPLOY = '.github/workflows/deploy.yml';

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

/** octo-org with shared (the callee), web and api (callers), and empty (no workflows); listed two per page. */
function world(): FakeGitHub {
  const gh = new FakeGitHub();
  for (const name of ['api', 'empty', 'shared', 'web']) gh.addRepo(`octo-org/${name}`, { visibility: name === 'api' ? 'internal' : 'public' });
  gh.commit('octo-org/shared', { [DEPLOY]: 'on: workflow_call\njobs:\n  d:\n    runs-on: x\n    steps:\n      - run: make\n', 'setup/action.yml': 'runs:\n  using: node24\n  main: x.js\n' }, { branch: 'main' });
  gh.commit('octo-org/web', { '.github/workflows/ci.yml': `on: push\njobs:\n  release:\n    uses: octo-org/shared/${DEPLOY}@v1\n  build:\n    runs-on: x\n    steps:\n      - uses: octo-org/shared/setup@main\n` }, { branch: 'main' });
  gh.commit('octo-org/api', { '.github/workflows/deploy.yml': `on: push\njobs:\n  ship:\n    uses: octo-org/shared/${DEPLOY}@${'a'.repeat(40)}\n` }, { branch: 'main' });
  gh.commit('octo-org/empty', { 'README.md': 'nothing\n' }, { branch: 'main' });
  gh.route('GET', '/orgs/{owner}/repos', (context) => {
    const page = Number(context.query.get('page') ?? '1');
    const all = ['octo-org/api', 'octo-org/empty', 'octo-org/shared', 'octo-org/web'].map((name) => repositoryJson(gh.repo(name), context.apiBase));
    return { status: 200, body: all.slice((page - 1) * 100, page * 100) };
  });
  return gh;
}

describe('workflow-warden callers', () => {
  it('lists the callers of one workflow, at their lines, with the ref each names', async () => {
    const gh = world();
    gh.intercept();
    const result = await run(['callers', `octo-org/shared/${DEPLOY}`], { env: TOKEN_ENV });
    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        `octo-org/api .github/workflows/deploy.yml:4  job ship  ${DEPLOY}@${'a'.repeat(40)}`,
        `octo-org/web .github/workflows/ci.yml:4  job release  ${DEPLOY}@v1`,
        '',
        `2 calls of octo-org/shared/${DEPLOY} in 2 repositories (4 read at their default branch)`,
        '',
      ].join('\n'),
    });
    // One listing page, then one GraphQL request per repository.
    expect(gh.count('GET /orgs/{owner}/repos')).toBe(1);
    expect(gh.graphqlRequests()).toHaveLength(4);
  });

  it('lists the users of an action by its directory, as JSON', async () => {
    const gh = world();
    gh.intercept();
    const result = await run(['callers', 'octo-org/shared/setup', '--format', 'json'], { env: TOKEN_ENV });
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { read: number; callers: { caller: { repo: { name: string }; jobId: string; step: number; line: number }; ref: string; callee: { kind: string; path: string } }[] };
    expect(report.read).toBe(4);
    expect(report.callers.map((record) => [record.caller.repo.name, record.caller.jobId, record.caller.step, record.caller.line, record.callee.kind, record.callee.path, record.ref])).toEqual([
      ['web', 'build', 0, 8, 'action', 'setup', 'main'],
    ]);
  });

  it('needs a token', async () => {
    const result = await run(['callers', 'octo-org/shared'], { env: {} });
    expect(result).toEqual({ code: 2, stdout: '', stderr: 'workflow-warden callers: GITHUB_TOKEN is not set: the callers are found by reading repositories through the GitHub API\n' });
  });
});
