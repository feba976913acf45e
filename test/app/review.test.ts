import nock from 'nock';
import { touchedLines, type PullRequestFile } from '../../src/app/diff.js';
import { buildSuggestionReview, postSuggestionReview, type SuggestionReview } from '../../src/app/review.js';
import type { Finding, Fix } from '../../src/engine/types.js';
import type { CallGraph, NodeKey, RepoId } from '../../src/graph/types.js';
import type { Logger } from '../../src/log.js';
import type { RuleId } from '../../src/policy/types.js';
import { FakePulls } from '../support/fake-github-pulls.js';
import { graphOf, NoRetryOctokit } from '../support/graph.js';
import type { FakeGitHub } from '../support/fake-github.js';

const CI = '.github/workflows/ci.yml';
const TEST = '.github/workflows/test.yml';
const APP = 'octo-org/app';
const BOT = 'workflow-warden[bot]';
const REVIEWS = 'POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews';
const COMMENTS = 'GET /repos/{owner}/{repo}/pulls/{pull_number}/comments';

const callable = (extra = ''): string => `on:\n  workflow_call:${extra}\njobs:\n  run:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n`;

/** The head of the PR's ci.yml: `deploy` (8–10) and `test` (13–16) added, `lint`'s ref (12) changed. */
const HEAD_CI = [
  'name: CI',
  'on: pull_request',
  'jobs:',
  '  build:',
  '    uses: octo-org/shared/.github/workflows/build.yml@v1',
  '    with:',
  '      target: linux',
  '  deploy:',
  '    uses: other-org/deploy/.github/workflows/deploy.yml@main',
  '    secrets: inherit',
  '  lint:',
  '    uses: octo-org/shared/.github/workflows/lint.yml@v2',
  '  test:',
  '    uses: ./.github/workflows/test.yml',
  '    runs-on: ubuntu-latest',
  '    timeout-minutes: 10',
  '',
].join('\n');

/** `git diff` of the base ci.yml against HEAD_CI, as the PR files API returns it. */
const CI_PATCH = [
  '@@ -5,5 +5,12 @@ jobs:',
  '     uses: octo-org/shared/.github/workflows/build.yml@v1',
  '     with:',
  '       target: linux',
  '+  deploy:',
  '+    uses: other-org/deploy/.github/workflows/deploy.yml@main',
  '+    secrets: inherit',
  '   lint:',
  '-    uses: octo-org/shared/.github/workflows/lint.yml@v1',
  '+    uses: octo-org/shared/.github/workflows/lint.yml@v2',
  '+  test:',
  '+    uses: ./.github/workflows/test.yml',
  '+    runs-on: ubuntu-latest',
  '+    timeout-minutes: 10',
].join('\n');

const FILES: PullRequestFile[] = [
  { filename: CI, status: 'modified', patch: CI_PATCH },
  { filename: 'README.md', status: 'modified', patch: '@@ -1 +1 @@\n-old\n+new' },
];

interface Setup {
  graph: CallGraph;
  gh: FakeGitHub;
  pulls: FakePulls;
  headSha: string;
  ci: NodeKey;
  deployNode: NodeKey;
  deploySha: string;
}

async function setup(): Promise<Setup> {
  const { graph, world } = await graphOf(
    {
      [APP]: { files: { [CI]: HEAD_CI, [TEST]: callable() } },
      'octo-org/shared': { files: { '.github/workflows/build.yml': callable(), '.github/workflows/lint.yml': callable() }, tags: { v1: {}, v2: {} } },
      'other-org/deploy': {
        files: {
          '.github/workflows/deploy.yml': 'on: workflow_call\njobs:\n  inner:\n    uses: other-org/deploy/.github/workflows/inner.yml@main\n',
          '.github/workflows/inner.yml': callable(),
        },
      },
    },
    [`${APP}:${CI}`],
  );
  const ci = graph.roots[0]!;
  const deployNode = [...graph.nodes.keys()].find((key) => key.startsWith('other-org/deploy/.github/workflows/deploy.yml@'))!;
  const pulls = new FakePulls(world.gh);
  const headSha = world.commits[APP]!;
  pulls.addPull(APP, { number: 7, headSha, files: FILES.map((file) => ({ ...file, status: 'modified' as const })) });
  world.gh.clearLog();
  return { graph, gh: world.gh, pulls, headSha, ci, deployNode, deploySha: world.commits['other-org/deploy']! };
}

function finding(ruleId: RuleId, message: string, fix: Fix, mentions: RepoId[] = []): Finding {
  const node = 'node' in fix ? fix.node : '';
  const jobId = 'jobId' in fix ? fix.jobId : undefined;
  return { ruleId, severity: 'error', message, root: node, location: { node, jobId, key: 'uses' }, chain: [], fix, mentions };
}

/** The findings of the PR's ci.yml, in the order rules report them. */
function findingsOf(s: Setup) {
  const pinned = `other-org/deploy/.github/workflows/deploy.yml@${s.deploySha}`;
  return {
    permissions: finding('permissions', 'deploy.yml needs id-token: write, which job "deploy" does not grant.', {
      kind: 'job-permissions',
      node: s.ci,
      jobId: 'deploy',
      permissions: { contents: 'read', 'id-token': 'write' },
    }),
    pinDeploy: finding('pinning', 'The call is not pinned to a full commit SHA.', { kind: 'replace-uses', node: s.ci, jobId: 'deploy', uses: pinned, comment: 'v3.1.0' }),
    secrets: finding('secrets-inherit', 'secrets: inherit passes every secret to other-org/deploy.', { kind: 'explicit-secrets', node: s.ci, jobId: 'deploy', secrets: ['DEPLOY_TOKEN'] }),
    pinBuild: finding('pinning', 'build.yml is not pinned.', { kind: 'replace-uses', node: s.ci, jobId: 'build', uses: `octo-org/shared/.github/workflows/build.yml@${'a'.repeat(40)}`, comment: 'v1' }),
    pinLint: finding('pinning', 'lint.yml is not pinned.', { kind: 'replace-uses', node: s.ci, jobId: 'lint', uses: `octo-org/shared/.github/workflows/lint.yml@${'b'.repeat(40)}`, comment: 'v2' }),
    removeKeys: finding('contract', 'runs-on and timeout-minutes are not allowed beside uses.', { kind: 'remove-keys', node: s.ci, jobId: 'test', keys: ['runs-on', 'timeout-minutes'] }),
    nested: finding('pinning', 'inner.yml is not pinned.', { kind: 'replace-uses', node: s.deployNode, jobId: 'inner', uses: `other-org/deploy/.github/workflows/inner.yml@${'c'.repeat(40)}` }),
  };
}

function bodies(s: Setup): { pinDeploy: string; secrets: string; pinLint: string; removeKeys: string } {
  const pinned = `other-org/deploy/.github/workflows/deploy.yml@${s.deploySha}`;
  return {
    pinDeploy:
      '**pinning** (error): The call is not pinned to a full commit SHA.\n\n' +
      `Replace the uses: of job "deploy" with ${pinned} # v3.1.0.\n\n` +
      '```suggestion\n' +
      `    uses: ${pinned} # v3.1.0\n` +
      '```',
    secrets:
      '**secrets-inherit** (error): secrets: inherit passes every secret to other-org/deploy.\n\n' +
      'Replace secrets: inherit in job "deploy" with the secrets the called workflow declares: DEPLOY_TOKEN.\n\n' +
      '```suggestion\n' +
      '    secrets:\n' +
      '      DEPLOY_TOKEN: ${{ secrets.DEPLOY_TOKEN }}\n' +
      '```',
    pinLint:
      '**pinning** (error): lint.yml is not pinned.\n\n' +
      `Replace the uses: of job "lint" with octo-org/shared/.github/workflows/lint.yml@${'b'.repeat(40)} # v2.\n\n` +
      '```suggestion\n' +
      `    uses: octo-org/shared/.github/workflows/lint.yml@${'b'.repeat(40)} # v2\n` +
      '```',
    removeKeys:
      '**contract** (error): runs-on and timeout-minutes are not allowed beside uses.\n\n' +
      'Remove runs-on, timeout-minutes from job "test": GitHub does not allow them beside uses.\n\n' +
      '```suggestion\n' +
      '```',
  };
}

function fullReview(s: Setup): SuggestionReview {
  return buildSuggestionReview({ graph: s.graph, findings: Object.values(findingsOf(s)), touched: touchedLines(FILES), rootPaths: [CI] });
}

function octokit(): InstanceType<typeof NoRetryOctokit> {
  return new NoRetryOctokit({ auth: { token: 'test' } });
}

function recordingLogger(): Logger & { entries: { level: string; details: unknown; message?: string }[] } {
  const entries: { level: string; details: unknown; message?: string }[] = [];
  const at =
    (level: string) =>
    (details: object | string, message?: string): void => {
      entries.push({ level, details, message });
    };
  return { entries, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('buildSuggestionReview', () => {
  it('suggests each fix on lines the PR wrote, pins first, and says why the others are left out', async () => {
    const s = await setup();
    const f = findingsOf(s);
    const b = bodies(s);
    const review = fullReview(s);
    expect(review.event).toBe('COMMENT');
    expect(review.body).toBe(
      '4 workflow policy findings on lines this pull request changes have fixes: commit them from the suggestions below, one at a time or as a batch.',
    );
    expect(review.comments).toEqual([
      { path: CI, line: 9, side: 'RIGHT', body: b.pinDeploy },
      { path: CI, line: 10, side: 'RIGHT', body: b.secrets },
      { path: CI, line: 12, side: 'RIGHT', body: b.pinLint },
      { path: CI, line: 16, side: 'RIGHT', start_line: 15, start_side: 'RIGHT', body: b.removeKeys },
    ]);
    // The build job is not in the diff at all: its pin is not even a candidate (the cap counts only postable ones).
    expect(review.skipped.map((skip) => [skip.finding, skip.reason, skip.edit.startLine, skip.edit.endLine])).toEqual([[f.permissions, 'overlap', 9, 9]]);
  });

  it('offers the insertion once the pin no longer competes for its anchor line', async () => {
    const s = await setup();
    const f = findingsOf(s);
    const review = buildSuggestionReview({ graph: s.graph, findings: [f.permissions], touched: touchedLines(FILES), rootPaths: [CI] });
    expect(review.body).toBe('1 workflow policy finding on lines this pull request changes has a fix: commit it from the suggestion below.');
    expect(review.comments).toEqual([
      {
        path: CI,
        line: 9,
        side: 'RIGHT',
        body:
          '**permissions** (error): deploy.yml needs id-token: write, which job "deploy" does not grant.\n\n' +
          'Give job "deploy" the permissions the called workflow needs: contents: read, id-token: write.\n\n' +
          '```suggestion\n' +
          '    uses: other-org/deploy/.github/workflows/deploy.yml@main\n' +
          '    permissions:\n' +
          '      contents: read\n' +
          '      id-token: write\n' +
          '```',
      },
    ]);
  });

  it('leaves out an insertion whose anchor line the PR did not write, and files that are not top-level PR files', async () => {
    const s = await setup();
    const f = findingsOf(s);
    const onBuild = finding('permissions', 'build.yml needs more.', { kind: 'job-permissions', node: s.ci, jobId: 'build', permissions: { contents: 'read' } });
    const review = buildSuggestionReview({ graph: s.graph, findings: [onBuild, f.pinLint], touched: touchedLines(FILES), rootPaths: [] });
    expect(review.comments).toEqual([]);
    expect(review.skipped.map((skip) => skip.reason)).toEqual(['not-in-pull-request']);
    // The PR wrote only the build job's `target: linux` line (7): the job is in the diff, its anchor line 5 is not.
    const touched = new Map([[CI, new Set([7])]]);
    const inPr = buildSuggestionReview({ graph: s.graph, findings: [onBuild], touched, rootPaths: [CI] });
    expect(inPr.skipped.map((skip) => [skip.reason, skip.edit.startLine])).toEqual([['unchanged-lines', 5]]);
    // A job the PR did not touch at all is not even considered.
    expect(buildSuggestionReview({ graph: s.graph, findings: [onBuild], touched: touchedLines(FILES), rootPaths: [CI] }).skipped).toEqual([]);
  });

  it('keeps fixes naming a repository the readers may not see out of a public review', async () => {
    const s = await setup();
    const f = findingsOf(s);
    const hidden = { ...f.pinLint, mentions: [{ owner: 'octo-org', name: 'app' }, { owner: 'Octo-Org', name: 'Secret-WF' }] };
    const review = buildSuggestionReview({
      graph: s.graph,
      findings: [hidden, f.pinDeploy],
      touched: touchedLines(FILES),
      rootPaths: [CI],
      redact: (repo) => `${repo.owner}/${repo.name}`.toLowerCase() === 'octo-org/secret-wf',
    });
    expect(review.comments.map((comment) => comment.line)).toEqual([9]);
    expect(review.skipped.map((skip) => [skip.finding, skip.reason])).toEqual([[hidden, 'private']]);
  });

  it('fences a suggestion with more backticks than its text holds', async () => {
    const s = await setup();
    const inputs = finding('contract', 'lint.yml requires the input notes.', {
      kind: 'add-inputs',
      node: s.ci,
      jobId: 'lint',
      inputs: [{ name: 'notes', type: 'string', description: 'a ```json``` block' }],
    });
    const review = buildSuggestionReview({ graph: s.graph, findings: [inputs], touched: touchedLines(FILES), rootPaths: [CI] });
    expect(review.comments).toEqual([
      {
        path: CI,
        line: 12,
        side: 'RIGHT',
        body:
          '**contract** (error): lint.yml requires the input notes.\n\n' +
          'Pass the required inputs notes (string) under with: in job "lint", then fill in the placeholder values.\n\n' +
          '````suggestion\n' +
          '    uses: octo-org/shared/.github/workflows/lint.yml@v2\n' +
          '    with:\n' +
          "      notes: '' # string: a ```json``` block\n" +
          '````',
      },
    ]);
  });
});

describe('postSuggestionReview', () => {
  it('posts one COMMENT review at the head SHA with every suggestion', async () => {
    const s = await setup();
    const review = fullReview(s);
    const outcome = await postSuggestionReview(octokit(), { owner: 'octo-org', repo: 'app', pullNumber: 7, headSha: s.headSha, review, botLogin: BOT });
    const posted = s.gh.requests.filter((request) => request.route === REVIEWS);
    expect(posted).toHaveLength(1);
    expect(posted[0]!.outcome).toBe(200);
    expect(posted[0]!.body).toStrictEqual({
      commit_id: s.headSha,
      event: 'COMMENT',
      body: review.body,
      comments: review.comments,
    });
    const pull = s.pulls.pull(APP, 7);
    expect(outcome).toEqual({
      kind: 'posted',
      reviewId: pull.reviews[0]!.id,
      url: `https://github.com/${APP}/pull/7#pullrequestreview-${String(pull.reviews[0]!.id)}`,
      posted: review.comments,
      alreadyPosted: [],
    });
    expect(pull.comments.map((comment) => [comment.line, comment.start_line, comment.body])).toEqual(
      review.comments.map((comment) => [comment.line, comment.start_line ?? null, comment.body]),
    );
  });

  it('posts nothing on re-evaluation when every suggestion is already there', async () => {
    const s = await setup();
    const input = { owner: 'octo-org', repo: 'app', pullNumber: 7, headSha: s.headSha, botLogin: BOT };
    await postSuggestionReview(octokit(), { ...input, review: fullReview(s) });
    s.gh.clearLog();
    const again = await postSuggestionReview(octokit(), { ...input, review: fullReview(s) });
    expect(again).toEqual({ kind: 'nothing-new', alreadyPosted: fullReview(s).comments });
    expect(s.gh.requests.map((request) => request.route)).toEqual([COMMENTS]);
    expect(s.pulls.pull(APP, 7).reviews).toHaveLength(1);
  });

  it("posts only the new suggestions: another author's copy, an outdated comment, another line or an older text do not count", async () => {
    const s = await setup();
    const b = bodies(s);
    const human = { login: 'mona', type: 'User' as const };
    const bot = { login: 'Workflow-Warden[bot]', type: 'Bot' as const };
    s.pulls.addComment(APP, 7, { path: CI, line: 9, body: b.pinDeploy, user: bot });
    s.pulls.addComment(APP, 7, { path: CI, line: 12, body: b.pinLint, user: human });
    s.pulls.addComment(APP, 7, { path: CI, line: 11, body: b.pinLint, user: bot });
    s.pulls.addComment(APP, 7, { path: CI, line: null, start_line: null, body: b.removeKeys, user: bot });
    s.pulls.addComment(APP, 7, { path: CI, line: 10, body: b.secrets.replace('DEPLOY_TOKEN.', 'TOKEN.'), user: bot });
    const review = fullReview(s);
    const outcome = await postSuggestionReview(octokit(), { owner: 'octo-org', repo: 'app', pullNumber: 7, headSha: s.headSha, review, botLogin: BOT });
    const [deploy, secrets, lint, remove] = review.comments;
    expect(outcome).toMatchObject({ kind: 'posted', posted: [secrets, lint, remove], alreadyPosted: [deploy] });
    const sent = s.gh.requests.find((request) => request.route === REVIEWS)?.body as { body: string; comments: unknown[] };
    expect(sent.body).toBe(
      '3 workflow policy findings on lines this pull request changes have fixes: commit them from the suggestions below, one at a time or as a batch.',
    );
    expect(sent.comments).toEqual([secrets, lint, remove]);
  });

  it('reads every page of review comments', async () => {
    const s = await setup();
    const b = bodies(s);
    for (let index = 0; index < 120; index += 1) s.pulls.addComment(APP, 7, { path: CI, line: 9, body: `note ${index}`, user: { login: 'mona', type: 'User' } });
    s.pulls.addComment(APP, 7, { path: CI, line: 9, body: b.pinDeploy, user: { login: BOT, type: 'Bot' } });
    const review = buildSuggestionReview({ graph: s.graph, findings: [findingsOf(s).pinDeploy], touched: touchedLines(FILES), rootPaths: [CI] });
    const outcome = await postSuggestionReview(octokit(), { owner: 'octo-org', repo: 'app', pullNumber: 7, headSha: s.headSha, review, botLogin: BOT });
    expect(outcome).toEqual({ kind: 'nothing-new', alreadyPosted: review.comments });
    expect(s.gh.requests.map((request) => [request.route, request.query])).toEqual([
      [COMMENTS, { per_page: '100' }],
      [COMMENTS, { per_page: '100', page: '2' }],
    ]);
  });

  it('logs and skips a 422 when the lines left the diff because the branch moved', async () => {
    const s = await setup();
    const review = fullReview(s);
    // A push after the evaluation: the diff now only changes line 3.
    s.pulls.pull(APP, 7).files = [{ filename: CI, status: 'modified', patch: '@@ -1,3 +1,3 @@\n name: CI\n-on: push\n+on: pull_request\n jobs:' }];
    const logger = recordingLogger();
    const outcome = await postSuggestionReview(octokit(), { owner: 'octo-org', repo: 'app', pullNumber: 7, headSha: s.headSha, review, botLogin: BOT, logger });
    expect(outcome.kind).toBe('rejected');
    expect(outcome).toMatchObject({ notPosted: review.comments, alreadyPosted: [] });
    expect(s.gh.requests.find((request) => request.route === REVIEWS)?.outcome).toBe(422);
    expect(logger.entries.map((entry) => [entry.level, entry.details])).toEqual([['warn', { owner: 'octo-org', repo: 'app', pullNumber: 7, headSha: s.headSha }]]);
    expect(logger.entries[0]?.message).toContain("their lines are no longer in the pull request's diff, most likely because the branch moved");
    expect(s.pulls.pull(APP, 7).reviews).toEqual([]);
  });

  it('posts nothing when the existing comments cannot be listed (it could repeat them)', async () => {
    const s = await setup();
    s.gh.inject(COMMENTS, { status: 502, body: { message: 'Server Error' } });
    const review = fullReview(s);
    const outcome = await postSuggestionReview(octokit(), { owner: 'octo-org', repo: 'app', pullNumber: 7, headSha: s.headSha, review, botLogin: BOT });
    expect(outcome).toMatchObject({ kind: 'failed', notPosted: review.comments, alreadyPosted: [] });
    expect(s.gh.count(REVIEWS)).toBe(0);
  });

  it("is checked by a fake that refuses what GitHub's schema refuses", async () => {
    await setup();
    const request = octokit().request('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', {
      owner: 'octo-org',
      repo: 'app',
      pull_number: 7,
      event: 'COMMENTED' as 'COMMENT',
      body: 'x',
    });
    await expect(request).rejects.toMatchObject({ status: 422 });
  });

  it('sends no request for a review without suggestions', async () => {
    const s = await setup();
    const review = buildSuggestionReview({ graph: s.graph, findings: [findingsOf(s).pinBuild], touched: touchedLines(FILES), rootPaths: [CI] });
    const outcome = await postSuggestionReview(octokit(), { owner: 'octo-org', repo: 'app', pullNumber: 7, headSha: s.headSha, review, botLogin: BOT });
    expect(outcome).toEqual({ kind: 'nothing-new', alreadyPosted: [] });
    expect(s.gh.count()).toBe(0);
  });
});
