// `check` with GITHUB_TOKEN: remote calls resolve through the GitHub API (FakeGitHub behind nock).
import nock from 'nock';
import type { JsonReport } from '../../src/cli/format-json.js';
import { FakeGitHub } from '../support/fake-github.js';
import { addSharedDeploy, checkout, cleanCheckouts, HEAD, run, SHARED_DEPLOY as DEPLOY } from './harness.js';

const ORIGIN = 'git@github.com:my-org/app.git';
const TOKEN_ENV = { GITHUB_TOKEN: 'test-token', GITHUB_API_URL: 'https://api.github.com' };

interface World {
  gh: FakeGitHub;
  v1: string;
}

function world(gh = new FakeGitHub()): World {
  const v1 = addSharedDeploy(gh);
  gh.addRepo('my-org/app', { visibility: 'private' });
  gh.commit('my-org/app', { README: 'app' }, { branch: 'main' });
  return { gh, v1 };
}

function json(stdout: string): JsonReport {
  return JSON.parse(stdout) as JsonReport;
}

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

describe('workflow-warden check with GITHUB_TOKEN', () => {
  it('resolves remote calls: the pin to write (annotated tag peeled), a verified pin passes, a missing repository fails closed', async () => {
    const { gh, v1 } = world();
    gh.intercept();
    const missing = `octo-org/missing/.github/workflows/lint.yml@${'a'.repeat(40)}`;
    const root = await checkout('remote', { head: HEAD, origin: ORIGIN }, {
      '.github/workflows/verified.yml': `on: push\njobs:\n  deploy:\n    uses: octo-org/shared/${DEPLOY}@${v1} # v1\n    with:\n      environment: production\n`,
      '.github/workflows/lint.yml': `on: push\njobs:\n  lint:\n    uses: ${missing}\n`,
    });

    const result = await run(['check', root, '--format', 'json'], { env: TOKEN_ENV });

    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const report = json(result.stdout);
    // The repository's visibility came from GitHub: nothing was assumed.
    expect(report.notes).toEqual([]);
    expect(report.workflows).toEqual([DEPLOY, '.github/workflows/lint.yml', '.github/workflows/verified.yml']);
    expect(report.findings).toEqual([
      {
        ruleId: 'pinning',
        severity: 'error',
        message:
          'octo-org/shared/.github/workflows/deploy.yml@v1 is not pinned to a full 40-character commit SHA: the tag v1 can be moved to other code by anyone who can push to octo-org/shared, ' +
          'and a re-run of all jobs runs whatever it points to then.',
        location: { path: DEPLOY, line: 8, column: 11, endLine: 8, endColumn: 58 },
        site: null,
        chain: ['octo-org/shared/.github/workflows/deploy.yml@v1'],
        fix: {
          summary: `Replace the uses: of job "deploy" with octo-org/shared/.github/workflows/deploy.yml@${v1} # v1.`,
          text: `uses: octo-org/shared/.github/workflows/deploy.yml@${v1} # v1`,
        },
      },
      {
        ruleId: 'resolution',
        severity: 'error',
        message:
          `${missing}: the repository octo-org/missing does not exist or the app cannot see it. ` +
          'If it is private or internal, install the app on it (or grant the app access to it); until then the call cannot be checked and the check fails closed.',
        location: { path: '.github/workflows/lint.yml', line: 4, column: 11, endLine: 4, endColumn: 11 + missing.length },
        site: null,
        chain: [missing],
        fix: null,
      },
    ]);
    expect(gh.requests.filter((request) => request.outcome !== 200).map((request) => [request.route, request.outcome])).toEqual([['GET /repos/{owner}/{repo}', 404]]);
  });

  it('exits 0 when every remote call resolves and passes', async () => {
    const { gh, v1 } = world();
    gh.intercept();
    const root = await checkout(undefined, { head: HEAD, origin: ORIGIN }, {
      [DEPLOY]: `on: push\njobs:\n  deploy:\n    uses: octo-org/shared/${DEPLOY}@${v1} # v1\n    with:\n      environment: production\n`,
    });

    const result = await run(['check', root, '--visibility', 'private'], { env: TOKEN_ENV });

    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'Workflow Warden 0.1.0: my-org/app at 0123456',
        'Policy: the shipped "recommended" preset (no policy file given, and none in the checkout)',
        '',
        'No findings in 1 workflow file: success',
        '',
      ].join('\n'),
    });
  });

  it('follows a remote composite action at its commit: its own tag and an unpinned action inside it, each at the step that leads to it', async () => {
    const { gh } = world();
    gh.addRepo('octo-org/setup-tool', { visibility: 'public' });
    const v2 = gh.commit('octo-org/setup-tool', { 'action.yml': 'runs:\n  using: composite\n  steps:\n    - uses: third-org/cache-thing@v1\n    - run: make\n      shell: bash\n' }, { branch: 'main' });
    gh.tag('octo-org/setup-tool', 'v2', v2);
    gh.addRepo('third-org/cache-thing', { visibility: 'public' });
    const cacheV1 = gh.commit('third-org/cache-thing', { 'action.yml': 'runs:\n  using: node24\n  main: index.js\n' }, { branch: 'main' });
    gh.tag('third-org/cache-thing', 'v1', cacheV1);
    gh.intercept();
    const root = await checkout(undefined, { head: HEAD, origin: ORIGIN }, {
      '.github/workflows/ci.yml': `on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: octo-org/setup-tool@${v2} # v2\n      - uses: octo-org/setup-tool@v2\n`,
    });

    const result = await run(['check', root, '--format', 'json', '--visibility', 'private'], { env: TOKEN_ENV });

    expect(result.code).toBe(1);
    const report = json(result.stdout);
    expect(report.findings.map((finding) => [finding.ruleId, finding.severity, finding.location.path, finding.location.line, finding.chain, finding.fix?.text ?? null])).toEqual([
      // The action inside is one edge of the graph (both steps reach the same commit): reported once, at the first step to it.
      ['pinning', 'error', '.github/workflows/ci.yml', 6, [`octo-org/setup-tool@${v2}`, 'third-org/cache-thing@v1'], `uses: third-org/cache-thing@${cacheV1} # v1`],
      ['pinning', 'error', '.github/workflows/ci.yml', 7, ['octo-org/setup-tool@v2'], `uses: octo-org/setup-tool@${v2} # v2`],
    ]);
    // The fix is to the action's own file, which the report names with its line.
    expect(report.findings[0]!.site).toEqual({ workflow: 'octo-org/setup-tool/action.yml@v2', line: 4, column: 13, endLine: 4, endColumn: 37 });
    expect(report.findings[0]!.fix?.summary).toBe(`Replace the uses: of step 1 of the action with third-org/cache-thing@${cacheV1} # v1.`);
    expect(report.findings[0]!.message).toBe(
      `third-org/cache-thing@v1 (step 1 in octo-org/setup-tool@${v2.slice(0, 7)}) is not pinned to a full 40-character commit SHA: the tag v1 can be moved to other code by anyone who can push to third-org/cache-thing, ` +
        'and a re-run of all jobs runs whatever it points to then.',
    );
  });

  it('talks to GitHub Enterprise Server at GITHUB_API_URL, under its own platform limits', async () => {
    const { gh } = world();
    gh.intercept('https://ghe.example.com');
    const level = (trigger: string, next: number): string => `on: ${trigger}\njobs:\n  next:\n    uses: ./.github/workflows/level-${next}.yml\n`;
    const root = await checkout(undefined, { head: HEAD, origin: ORIGIN }, {
      '.github/workflows/level-1.yml': level('push', 2),
      '.github/workflows/level-2.yml': level('workflow_call', 3),
      '.github/workflows/level-3.yml': level('workflow_call', 4),
      '.github/workflows/level-4.yml': level('workflow_call', 5),
      '.github/workflows/level-5.yml': 'on: workflow_call\njobs:\n  done:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n',
    });

    const result = await run(['check', root, '--format', 'json'], { env: { GITHUB_TOKEN: 'test-token', GITHUB_API_URL: 'https://ghe.example.com/api/v3' } });

    const report = json(result.stdout);
    // The repository's metadata was read from the server (one GraphQL request), so nothing was assumed.
    expect(report.notes).toEqual([]);
    expect(gh.requests.map((request) => [request.path, request.outcome])).toEqual([['/graphql', 200]]);
    // Enterprise Server allows 4 levels (github.com 10): level-1 → 2 → 3 → 4 → 5 is five.
    expect(report.findings.map((finding) => [finding.ruleId, finding.location.path, finding.location.line])).toEqual([
      ['platform-limits', '.github/workflows/level-1.yml', 4],
    ]);
    expect(result.code).toBe(1);
  });
});
