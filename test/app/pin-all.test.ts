import nock from 'nock';
import { PIN_ALL_ACTION, pinAll, type PinAllInput, type PinAllPullRequest } from '../../src/app/pin-all.js';
import type { Finding, Fix } from '../../src/engine/types.js';
import type { CallGraph, NodeKey } from '../../src/graph/types.js';
import type { RuleId } from '../../src/policy/types.js';
import { FakePulls } from '../support/fake-github-pulls.js';
import type { FakeGitHub } from '../support/fake-github.js';
import { buildWorld, NoRetryOctokit, resolveWorld } from '../support/graph.js';

const APP = 'octo-org/app';
const CI = '.github/workflows/ci.yml';
const RELEASE = '.github/workflows/release.yml';
const BRANCH = 'feature/pins';
const MESSAGE = 'Pin reusable workflows to commit SHAs';
const GET_REF = 'GET /repos/{owner}/{repo}/git/ref/{ref}';
const GET_COMMIT = 'GET /repos/{owner}/{repo}/git/commits/{commit_sha}';
const TREES = 'POST /repos/{owner}/{repo}/git/trees';
const COMMITS = 'POST /repos/{owner}/{repo}/git/commits';
const UPDATE_REF = 'PATCH /repos/{owner}/{repo}/git/refs/{ref}';

const SHARED_SHA = 'a'.repeat(40);
const LINT_SHA = 'b'.repeat(40);
const DEPLOY_SHA = 'c'.repeat(40);
const callable = 'on: workflow_call\njobs:\n  run:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n';

const CI_TEXT = [
  'on: pull_request',
  'jobs:',
  '  build:',
  '    uses: octo-org/shared/.github/workflows/build.yml@v1',
  '  lint:',
  '    uses: octo-org/shared/.github/workflows/lint.yml@main # main',
  '  flow: { uses: octo-org/shared/.github/workflows/build.yml@v1 }',
  '',
].join('\n');
/** CRLF, as a file written on Windows: the commit must keep it CRLF. */
const RELEASE_TEXT = ['on: push', 'jobs:', '  release:', '    uses: other-org/deploy/.github/workflows/deploy.yml@v3', ''].join('\r\n');

interface Setup {
  gh: FakeGitHub;
  pulls: FakePulls;
  graph: CallGraph;
  headSha: string;
  ci: NodeKey;
  release: NodeKey;
  nested: NodeKey;
}

/** octo-org/app's PR branch `feature/pins` (one commit over main), evaluated at its head. */
async function setup(): Promise<Setup> {
  const world = buildWorld({
    [APP]: { files: { 'README.md': 'app\n' } },
    'octo-org/shared': { files: { '.github/workflows/build.yml': callable, '.github/workflows/lint.yml': callable } },
    'other-org/deploy': { files: { '.github/workflows/deploy.yml': 'on: workflow_call\njobs:\n  inner:\n    uses: other-org/deploy/.github/workflows/inner.yml@main\n', '.github/workflows/inner.yml': callable }, tags: { v3: {} } },
  });
  const headSha = world.gh.commit(APP, { 'README.md': 'app\n', [CI]: CI_TEXT, [RELEASE]: RELEASE_TEXT }, { branch: BRANCH });
  world.commits[APP] = headSha;
  const graph = await resolveWorld(world, [`${APP}:${CI}`, `${APP}:${RELEASE}`]);
  const pulls = new FakePulls(world.gh);
  world.gh.clearLog();
  const [ci, release] = graph.roots as [NodeKey, NodeKey];
  const nested = [...graph.nodes.keys()].find((key) => key.startsWith('other-org/deploy/.github/workflows/deploy.yml@'))!;
  return { gh: world.gh, pulls, graph, headSha, ci, release, nested };
}

function finding(ruleId: RuleId, fix: Fix): Finding {
  const node = 'node' in fix ? fix.node : '';
  return { ruleId, severity: 'error', message: `${ruleId} finding`, root: node, location: { node }, chain: [], fix, mentions: [] };
}

function pin(node: NodeKey, jobId: string, uses: string, comment?: string, ruleId: RuleId = 'pinning'): Finding {
  return finding(ruleId, { kind: 'replace-uses', node, jobId, uses, ...(comment !== undefined && { comment }) });
}

/** Every kind of replace-uses fix Pin all meets, and one fix of another kind. */
function findingsOf(s: Setup): Finding[] {
  return [
    pin(s.ci, 'build', `octo-org/shared/.github/workflows/build.yml@${SHARED_SHA}`, 'v1'),
    pin(s.ci, 'lint', `octo-org/shared/.github/workflows/lint.yml@${LINT_SHA}`, 'v2.0.0'),
    // Another rule proposing the very same pin: one pin.
    pin(s.ci, 'build', `octo-org/shared/.github/workflows/build.yml@${SHARED_SHA}`, 'v1', 'allowed-sources'),
    // A different rewrite of an already pinned line.
    pin(s.ci, 'lint', `octo-org/shared/.github/workflows/lint.yml@${LINT_SHA}`, 'v2'),
    pin(s.ci, 'flow', `octo-org/shared/.github/workflows/build.yml@${SHARED_SHA}`, 'v1'),
    pin(s.nested, 'inner', `other-org/deploy/.github/workflows/inner.yml@${DEPLOY_SHA}`),
    pin(s.release, 'release', `other-org/deploy/.github/workflows/deploy.yml@${DEPLOY_SHA}`, 'v3'),
    finding('secrets-inherit', { kind: 'explicit-secrets', node: s.release, jobId: 'release', secrets: [] }),
  ];
}

function pull(headSha: string, headRepo: string | null = APP): PinAllPullRequest {
  return { head: { ref: BRANCH, sha: headSha, repo: headRepo === null ? null : { full_name: headRepo } }, base: { repo: { full_name: APP } } };
}

function input(s: Setup, overrides: Partial<PinAllInput> = {}): PinAllInput {
  return { owner: 'octo-org', repo: 'app', pull: pull(s.headSha), graph: s.graph, findings: findingsOf(s), message: MESSAGE, ...overrides };
}

function octokit(): InstanceType<typeof NoRetryOctokit> {
  return new NoRetryOctokit({ auth: { token: 'test' } });
}

const NEW_CI = [
  'on: pull_request',
  'jobs:',
  '  build:',
  `    uses: octo-org/shared/.github/workflows/build.yml@${SHARED_SHA} # v1`,
  '  lint:',
  `    uses: octo-org/shared/.github/workflows/lint.yml@${LINT_SHA} # v2.0.0`,
  '  flow: { uses: octo-org/shared/.github/workflows/build.yml@v1 }',
  '',
].join('\n');
const NEW_RELEASE = ['on: push', 'jobs:', '  release:', `    uses: other-org/deploy/.github/workflows/deploy.yml@${DEPLOY_SHA} # v3`, ''].join('\r\n');

const EXPECTED_PINS = [
  { path: CI, jobId: 'build', line: 4, text: `    uses: octo-org/shared/.github/workflows/build.yml@${SHARED_SHA} # v1` },
  { path: CI, jobId: 'lint', line: 6, text: `    uses: octo-org/shared/.github/workflows/lint.yml@${LINT_SHA} # v2.0.0` },
  { path: RELEASE, jobId: 'release', line: 4, text: `    uses: other-org/deploy/.github/workflows/deploy.yml@${DEPLOY_SHA} # v3` },
];
const EXPECTED_SKIPPED = [
  { path: CI, jobId: 'flow', text: `uses: octo-org/shared/.github/workflows/build.yml@${SHARED_SHA} # v1`, reason: 'no-edit' },
  { path: '.github/workflows/deploy.yml', jobId: 'inner', text: `uses: other-org/deploy/.github/workflows/inner.yml@${DEPLOY_SHA}`, reason: 'other-repository' },
  { path: CI, jobId: 'lint', text: `uses: octo-org/shared/.github/workflows/lint.yml@${LINT_SHA} # v2`, reason: 'overlap' },
];

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('PIN_ALL_ACTION', () => {
  it("fits GitHub's limits for a check run action", () => {
    expect(PIN_ALL_ACTION.identifier).toBe('pin-all');
    expect(PIN_ALL_ACTION.label.length).toBeLessThanOrEqual(20);
    expect(PIN_ALL_ACTION.description.length).toBeLessThanOrEqual(40);
    expect(PIN_ALL_ACTION.identifier.length).toBeLessThanOrEqual(20);
  });
});

describe('pinAll', () => {
  it('commits every pin of several files in one commit on the PR branch', async () => {
    const s = await setup();
    const result = await pinAll(octokit(), input(s));
    const repo = s.gh.repo(APP);
    const sha = repo.branches.get(BRANCH)!;
    expect(result).toEqual({ kind: 'committed', sha, files: [CI, RELEASE], pins: EXPECTED_PINS, skipped: EXPECTED_SKIPPED });
    expect(s.gh.requests.map((request) => [request.route, request.outcome])).toEqual([
      [GET_REF, 200],
      [GET_COMMIT, 200],
      [TREES, 201],
      [COMMITS, 201],
      [UPDATE_REF, 200],
    ]);
    const [getRef, getCommit, tree, commit, update] = s.gh.requests;
    expect(getRef!.path).toBe('/repos/octo-org/app/git/ref/heads%2Ffeature%2Fpins');
    expect(getCommit!.path).toBe(`/repos/octo-org/app/git/commits/${s.headSha}`);
    expect(tree!.body).toStrictEqual({
      base_tree: s.pulls.treeOf(APP, s.headSha),
      tree: [
        { path: CI, mode: '100644', type: 'blob', content: NEW_CI },
        { path: RELEASE, mode: '100644', type: 'blob', content: NEW_RELEASE },
      ],
    });
    const treeSha = s.pulls.treeOf(APP, sha);
    expect(commit!.body).toStrictEqual({ message: MESSAGE, tree: treeSha, parents: [s.headSha] });
    expect(update!.path).toBe('/repos/octo-org/app/git/refs/heads%2Ffeature%2Fpins');
    expect(update!.body).toStrictEqual({ sha, force: false });
    // The new commit holds the head's other files untouched, and the pinned ones.
    expect(repo.parents.get(sha)).toEqual([s.headSha]);
    expect(Object.fromEntries(repo.commits.get(sha)!)).toEqual({ 'README.md': 'app\n', [CI]: NEW_CI, [RELEASE]: NEW_RELEASE });
  });

  it('explains, without a request, that a fork cannot take the commit, listing the pins to apply by hand', async () => {
    const s = await setup();
    const result = await pinAll(octokit(), input(s, { pull: pull(s.headSha, 'mona/app') }));
    expect(result).toEqual({
      kind: 'fork',
      instructions: [
        "This pull request comes from the fork mona/app, and a GitHub App cannot push to a fork's branch. Apply these pins by hand:",
        '',
        `- \`${CI}\` line 4 (job \`build\`): \`uses: octo-org/shared/.github/workflows/build.yml@${SHARED_SHA} # v1\``,
        `- \`${CI}\` line 6 (job \`lint\`): \`uses: octo-org/shared/.github/workflows/lint.yml@${LINT_SHA} # v2.0.0\``,
        `- \`${RELEASE}\` line 4 (job \`release\`): \`uses: other-org/deploy/.github/workflows/deploy.yml@${DEPLOY_SHA} # v3\``,
        `- \`${CI}\` job \`flow\`: \`uses: octo-org/shared/.github/workflows/build.yml@${SHARED_SHA} # v1\``,
        '',
        "Pins on lines this pull request changes are also in the app's review as suggested changes: commit them from the pull request's page.",
      ].join('\n'),
    });
    expect(s.gh.count()).toBe(0);
  });

  it('does nothing when the evaluation was of an older commit than the PR head', async () => {
    const s = await setup();
    const newer = s.gh.commit(APP, { [CI]: CI_TEXT }, { branch: BRANCH });
    s.gh.clearLog();
    const result = await pinAll(octokit(), input(s, { pull: pull(newer) }));
    expect(result).toEqual({
      kind: 'stale',
      reason: `The pins were computed for commit ${s.headSha.slice(0, 7)}, but the pull request's head is now ${newer.slice(0, 7)}: nothing was committed. Use "Pin all" on the check run of the new head.`,
    });
    expect(s.gh.count()).toBe(0);
  });

  it('does nothing when the branch moved since the evaluation', async () => {
    const s = await setup();
    const pushed = s.gh.commit(APP, { [CI]: CI_TEXT, 'NEW.md': 'x' }, { branch: BRANCH });
    s.gh.clearLog();
    const result = await pinAll(octokit(), input(s));
    expect(result).toEqual({
      kind: 'stale',
      reason: `The branch ${BRANCH} moved since the evaluation (evaluated ${s.headSha.slice(0, 7)}, now ${pushed.slice(0, 7)}): nothing was committed. Use "Pin all" on the check run of the new head.`,
    });
    expect(s.gh.requests.map((request) => request.route)).toEqual([GET_REF]);
    expect(s.gh.repo(APP).branches.get(BRANCH)).toBe(pushed);
  });

  it('leaves the branch alone when a push lands between the commit and the ref update', async () => {
    const s = await setup();
    let pushed = '';
    s.pulls.beforeNext(UPDATE_REF, () => {
      pushed = s.gh.commit(APP, { [CI]: CI_TEXT, 'NEW.md': 'x' }, { branch: BRANCH });
    });
    const result = await pinAll(octokit(), input(s));
    expect(result).toEqual({
      kind: 'stale',
      reason: `The branch ${BRANCH} moved while the pins were being committed: nothing was changed on it. Use "Pin all" on the check run of the new head.`,
    });
    expect(s.gh.requests.map((request) => [request.route, request.outcome])).toEqual([
      [GET_REF, 200],
      [GET_COMMIT, 200],
      [TREES, 201],
      [COMMITS, 201],
      [UPDATE_REF, 422],
    ]);
    expect(s.gh.repo(APP).branches.get(BRANCH)).toBe(pushed);
  });

  it('reports a protected branch as a failure, not as a moved branch', async () => {
    const s = await setup();
    s.gh.inject(UPDATE_REF, { status: 422, body: { message: `Protected branch update failed for refs/heads/${BRANCH}.`, documentation_url: 'https://docs.github.com/rest/git/refs#update-a-reference', status: '422' } });
    const result = await pinAll(octokit(), input(s));
    expect(result).toEqual({
      kind: 'failed',
      reason: `Could not update the branch to commit the pins (GitHub answered 422: Protected branch update failed for refs/heads/${BRANCH}. - https://docs.github.com/rest/git/refs#update-a-reference).`,
    });
    expect(s.gh.repo(APP).branches.get(BRANCH)).toBe(s.headSha);
  });

  it('stops at the first refused write and says what the app lacks', async () => {
    const s = await setup();
    s.gh.inject(TREES, { status: 403, body: { message: 'Resource not accessible by integration', documentation_url: 'https://docs.github.com/rest/git/trees#create-a-tree', status: '403' } });
    const logged: string[] = [];
    const logger = { debug: () => undefined, info: () => undefined, error: () => undefined, warn: (_details: object | string, message?: string) => void logged.push(message ?? '') };
    const result = await pinAll(octokit(), input(s, { logger }));
    const reason =
      'Could not create the tree to commit the pins (GitHub answered 403: Resource not accessible by integration - https://docs.github.com/rest/git/trees#create-a-tree). The app needs write access to the repository contents to push pins.';
    expect(result).toEqual({ kind: 'failed', reason });
    expect(logged).toEqual([reason]);
    expect(s.gh.requests.map((request) => request.route)).toEqual([GET_REF, GET_COMMIT, TREES]);
  });

  it('does nothing when the branch was deleted', async () => {
    const s = await setup();
    s.gh.repo(APP).branches.delete(BRANCH);
    const result = await pinAll(octokit(), input(s));
    expect(result).toEqual({ kind: 'stale', reason: `The branch ${BRANCH} no longer exists: nothing was committed.` });
  });

  it('fails without a request when the fork the PR came from was deleted', async () => {
    const s = await setup();
    const result = await pinAll(octokit(), input(s, { pull: pull(s.headSha, null) }));
    expect(result).toEqual({ kind: 'failed', reason: 'The repository this pull request came from no longer exists, so its branch cannot take a commit.' });
    expect(s.gh.count()).toBe(0);
  });

  it('has nothing to pin without a pin it can apply, and says which pins need a hand', async () => {
    const s = await setup();
    const [, , , , flow, nested, , secrets] = findingsOf(s);
    expect(await pinAll(octokit(), input(s, { findings: [secrets!] }))).toEqual({ kind: 'nothing-to-pin', skipped: [] });
    expect(await pinAll(octokit(), input(s, { findings: [flow!, nested!] }))).toEqual({ kind: 'nothing-to-pin', skipped: EXPECTED_SKIPPED.slice(0, 2) });
    // Asked for another repository than the one evaluated: none of its files may be written there.
    const elsewhere = await pinAll(octokit(), input(s, { repo: 'other-app' }));
    expect(elsewhere.kind).toBe('nothing-to-pin');
    expect(elsewhere.kind === 'nothing-to-pin' && elsewhere.skipped.map((skip) => skip.reason)).toEqual(Array(6).fill('other-repository'));
    expect(s.gh.count()).toBe(0);
  });

  it('commits the pins of the files it could read, leaving the others to a hand', async () => {
    const s = await setup();
    const unread = { ...s.graph, nodes: new Map(s.graph.nodes) };
    unread.nodes.set(s.ci, { ...s.graph.nodes.get(s.ci)!, text: undefined, workflow: undefined });
    const result = await pinAll(octokit(), input(s, { graph: unread }));
    expect(result).toMatchObject({ kind: 'committed', files: [RELEASE], pins: [EXPECTED_PINS[2]] });
    expect(result.kind === 'committed' && result.skipped.map((skip) => [skip.jobId, skip.reason])).toEqual([
      ['build', 'no-edit'],
      ['lint', 'no-edit'],
      ['lint', 'no-edit'],
      ['flow', 'no-edit'],
      ['inner', 'other-repository'],
    ]);
  });

  it('answers a failure, not an exception, when preparing the pins throws', async () => {
    const s = await setup();
    const [first] = findingsOf(s);
    const defective = Object.defineProperty({ ...first! }, 'fix', {
      get: () => {
        throw new Error('boom');
      },
    });
    expect(await pinAll(octokit(), input(s, { findings: [defective] }))).toEqual({ kind: 'failed', reason: 'The pins could not be prepared: boom' });
    expect(s.gh.count()).toBe(0);
  });
});
