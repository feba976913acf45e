// `workflow-warden graph`: the resolved call graph as Mermaid, DOT and JSON, of a checkout (remote calls
// through the GitHub imitation) or of a repository on GitHub.
import nock from 'nock';
import { GRAPH_HELP } from '../../src/cli/graph.js';
import type { GraphPicture } from '../../src/report/graph-picture.js';
import { FakeGitHub } from '../support/fake-github.js';
import { addSharedDeploy, checkout, cleanCheckouts, HEAD, run, SHARED_DEPLOY as DEPLOY } from './harness.js';

const ORIGIN = 'https://github.com/my-org/app.git';
const TOKEN_ENV = { GITHUB_TOKEN: 'test-token', GITHUB_API_URL: 'https://api.github.com' };

/** ci.yml → ./release.yml → octo-org/shared deploy.yml@v1: three levels, and a call into a repository that does not exist. */
const THREE_LEVELS = {
  '.github/workflows/ci.yml': 'on: push\njobs:\n  release:\n    uses: ./.github/workflows/release.yml\n  lint:\n    uses: octo-org/missing/.github/workflows/lint.yml@v2\n',
  '.github/workflows/release.yml': `on: workflow_call\njobs:\n  deploy:\n    uses: octo-org/shared/${DEPLOY}@v1\n`,
};

/** What `graph` draws of THREE_LEVELS, from a checkout or from GitHub. */
const THREE_LEVELS_MERMAID = [
  'flowchart LR',
  '  n0[".github/workflows/ci.yml"]',
  '  n1[".github/workflows/release.yml"]',
  '  n2[/"octo-org/missing/.github/workflows/lint.yml@v2 (repository not found)"/]',
  '  n3["octo-org/shared/.github/workflows/deploy.yml@v1"]',
  '  n0 -->|"release"| n1',
  '  n0 -->|"lint"| n2',
  '  n1 -->|"deploy"| n3',
  '  style n0,n1 stroke-width:3px',
  '',
].join('\n');

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(async () => {
  nock.cleanAll();
  await cleanCheckouts();
});

afterAll(() => {
  nock.enableNetConnect();
});

describe('workflow-warden graph of a checkout', () => {
  it('draws a three-level graph as Mermaid: top-level files bold, each call labelled with its job, an unreadable callee dashed with the reason', async () => {
    const gh = new FakeGitHub();
    addSharedDeploy(gh);
    gh.intercept();
    const root = await checkout(undefined, { head: HEAD, origin: ORIGIN }, THREE_LEVELS);

    const result = await run(['graph', root], { env: TOKEN_ENV });

    expect(result).toEqual({ code: 0, stderr: '', stdout: THREE_LEVELS_MERMAID });
  });

  it('draws the same graph as DOT and JSON', async () => {
    const gh = new FakeGitHub();
    const v1 = addSharedDeploy(gh);
    gh.intercept();
    const root = await checkout(undefined, { head: HEAD, origin: ORIGIN }, THREE_LEVELS);

    const dot = await run(['graph', root, '--format', 'dot'], { env: TOKEN_ENV });
    const json = await run(['graph', root, '--format', 'json'], { env: TOKEN_ENV });

    expect(dot.stdout).toBe(
      [
        'digraph "call graph" {',
        '  rankdir=LR;',
        '  n0 [label=".github/workflows/ci.yml", shape="box", style="bold"];',
        '  n1 [label=".github/workflows/release.yml", shape="box", style="bold"];',
        '  n2 [label="octo-org/missing/.github/workflows/lint.yml@v2 (repository not found)", shape="box", style="dashed"];',
        '  n3 [label="octo-org/shared/.github/workflows/deploy.yml@v1", shape="box"];',
        '  n0 -> n1 [label="release"];',
        '  n0 -> n2 [label="lint"];',
        '  n1 -> n3 [label="deploy"];',
        '}',
        '',
      ].join('\n'),
    );
    const picture = JSON.parse(json.stdout) as GraphPicture;
    expect(picture.nodes.map((node) => [node.id, node.kind, node.root, node.key])).toEqual([
      ['n0', 'workflow', true, `my-org/app/.github/workflows/ci.yml@${HEAD}`],
      ['n1', 'workflow', true, `my-org/app/.github/workflows/release.yml@${HEAD}`],
      ['n2', 'unread', false, null],
      ['n3', 'workflow', false, `octo-org/shared/${DEPLOY}@${v1}`],
    ]);
    expect(picture.edges).toEqual([
      { from: 'n0', to: 'n1', kind: 'workflow', label: 'release', uses: './.github/workflows/release.yml', line: 4 },
      { from: 'n0', to: 'n2', kind: 'workflow', label: 'lint', uses: 'octo-org/missing/.github/workflows/lint.yml@v2', line: 6 },
      { from: 'n1', to: 'n3', kind: 'workflow', label: 'deploy', uses: `octo-org/shared/${DEPLOY}@v1`, line: 4 },
    ]);
    expect(picture.host).toBe('github.com');
  });

  it('escapes what would end or change a label: quotes, entity marks, backslashes', async () => {
    const root = await checkout(undefined, { head: HEAD, origin: ORIGIN }, {
      '.github/workflows/we"ird#1\\.yml': 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n',
    });

    const mermaid = await run(['graph', root]);
    const dot = await run(['graph', root, '--format', 'dot']);

    expect(mermaid.stdout).toContain('  n0[".github/workflows/we#quot;ird#35;1\\.yml"]\n');
    expect(dot.stdout).toContain('  n0 [label=".github/workflows/we\\"ird#1\\\\.yml", shape="box", style="bold"];\n');
    expect(mermaid.stderr).toBe('workflow-warden graph: GITHUB_TOKEN is not set: calls into other repositories are not read, and are drawn as not read.\n');
  });
});

describe('workflow-warden graph owner/repo', () => {
  it("reads the repository's workflows at its default branch through GitHub, then draws their calls", async () => {
    const gh = new FakeGitHub();
    addSharedDeploy(gh);
    gh.addRepo('my-org/app', { visibility: 'private' });
    gh.commit('my-org/app', THREE_LEVELS, { branch: 'main' });
    gh.intercept();

    const result = await run(['graph', 'my-org/app'], { env: TOKEN_ENV });

    expect(result.stdout).toBe(THREE_LEVELS_MERMAID);
    // The head and the directory, one query for the level below the top-level files, and the check that the missing repository was not renamed.
    expect(gh.requests.map((request) => request.route)).toEqual(['POST /graphql', 'POST /graphql', 'POST /graphql', 'GET /repos/{owner}/{repo}']);
    expect(result.code).toBe(0);
  });

  it('exits 2 without a token, for a repository GitHub does not give, and for a ref it does not have', async () => {
    const gh = new FakeGitHub();
    gh.addRepo('my-org/app');
    gh.commit('my-org/app', THREE_LEVELS, { branch: 'main' });
    gh.intercept();

    expect(await run(['graph', 'my-org/app'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'workflow-warden graph: drawing my-org/app reads it through the GitHub API: set GITHUB_TOKEN\n',
    });
    expect(await run(['graph', 'my-org/nothing'], { env: TOKEN_ENV })).toEqual({
      code: 2,
      stdout: '',
      stderr: 'workflow-warden graph: my-org/nothing does not exist, or GITHUB_TOKEN cannot read it\n',
    });
    expect(await run(['graph', 'my-org/app', '--ref', 'v9'], { env: TOKEN_ENV })).toEqual({
      code: 2,
      stdout: '',
      stderr: 'workflow-warden graph: my-org/app has no ref "v9"\n',
    });
    expect(await run(['graph', 'no-such-dir'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'workflow-warden graph: no-such-dir is neither a directory, a workflow file nor owner/repo\n',
    });
  });

  it('prints its help', async () => {
    expect(await run(['graph', '--help'])).toEqual({ code: 0, stdout: GRAPH_HELP, stderr: '' });
  });
});
