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
