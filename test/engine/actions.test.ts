// The whole supply chain, end to end through the engine: the actions of every workflow of the graph (and of composite
// actions) judged by the same rules and options as reusable workflows, with online facts from the GraphQL imitation.
import nock from 'nock';
import { runEvaluation } from '../../src/engine/run.js';
import type { RepoMetadata } from '../../src/graph/types.js';
import { FakeGitHub } from '../support/fake-github.js';
import { findingView, nodeAt, type FindingView } from '../support/findings.js';
import { buildWorld, githubSource, repoId, type RepoSpec } from '../support/graph.js';
import { policyFrom } from '../support/policy.js';
import { action, steps, wf, workflow } from '../support/workflows.js';

const APP = 'octo-org/app';
const SHARED = 'octo-org/shared';
const CI = wf('ci');
const DEPLOY = wf('deploy');
const NOW = new Date('2026-08-01T00:00:00Z');

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

interface Scenario {
  gh: FakeGitHub;
  commits: Record<string, string>;
}

/** Libraries first (callers pin their commits), then `app(commits)`: octo-org/app's files. */
function scenario(libraries: Record<string, RepoSpec>, app: (commits: Record<string, string>) => Record<string, string>, visibility: RepoMetadata['visibility'] = 'private'): Scenario {
  const gh = new FakeGitHub();
  const libs = buildWorld(libraries, gh).commits;
  const own = buildWorld({ [APP]: { visibility, files: app(libs) } }, gh).commits;
  return { gh, commits: { ...libs, ...own } };
}

async function evaluate(s: Scenario, policy: string): Promise<FindingView[]> {
  s.gh.intercept();
  const repository: RepoMetadata = { repo: repoId(APP), visibility: s.gh.repo(APP).visibility, archived: false, defaultBranch: 'main' };
  const { evaluation } = await runEvaluation({
    roots: [{ repo: repoId(APP), path: CI, commit: s.commits[APP]! }],
    repository,
    policy: policyFrom(policy),
    source: githubSource(),
    now: NOW,
  });
  return evaluation.findings.map(findingView);
}

const PIN = 'version: 1\nrules:\n  pinning: { require: sha, scope: external, verify: true }\n';
const RERUN = 'a re-run of all jobs runs whatever it points to then.';
const TOOL = (extra: Partial<RepoSpec> = {}): RepoSpec => ({ files: { 'action.yml': action() }, tags: { v1: {}, 'v1.2.0': {} }, ...extra });

describe('actions under the same rules as reusable workflows', () => {
  it('an unpinned action inside a SHA-pinned remote workflow fails at the line of the PR that leads to it, with the chain and the callee to fix', async () => {
    const s = scenario(
      {
        'tj-actions/changed-files': TOOL(),
        [SHARED]: { files: { [DEPLOY]: workflow('on: workflow_call\n', { deploy: steps('tj-actions/changed-files@v1') }) } },
      },
      (c) => ({ [CI]: workflow('on: pull_request\n', { call: `uses: ${SHARED}/${DEPLOY}@${c[SHARED]} # v3\n` }) }),
    );
    const findings = await evaluate(s, PIN);
    const deploy = nodeAt(s.commits, SHARED, DEPLOY);
    expect(findings).toEqual([
      {
        ruleId: 'pinning',
        severity: 'error',
        message: `tj-actions/changed-files@v1 (step 1 of job deploy in ${SHARED}/${DEPLOY}@${s.commits[SHARED]!.slice(0, 7)}) is not pinned to a full 40-character commit SHA: the tag v1 can be moved to other code by anyone who can push to tj-actions/changed-files, and ${RERUN}`,
        location: { node: deploy, jobId: 'deploy', step: 0, key: 'uses' },
        chain: [`${SHARED}/${DEPLOY}@${s.commits[SHARED]}`, 'tj-actions/changed-files@v1'],
        fix: { kind: 'replace-step-uses', node: deploy, jobId: 'deploy', step: 0, uses: `tj-actions/changed-files@${s.commits['tj-actions/changed-files']}`, comment: 'v1.2.0' },
        mentions: [APP, SHARED, 'tj-actions/changed-files'],
      },
    ]);
  });

  it('a composite action two levels deep running a denied action is blocked, transitively', async () => {
    const s = scenario(
      {
        'evil/exfiltrate': TOOL(),
        'octo-org/inner': { files: { 'action.yml': action('evil/exfiltrate@v1') }, tags: { v1: {} } },
        'octo-org/setup': { files: { 'action.yml': action('octo-org/inner@v1') }, tags: { v1: {} } },
      },
      () => ({ [CI]: workflow('on: pull_request\n', { build: steps('octo-org/setup@v1') }) }),
    );
    const findings = await evaluate(s, 'version: 1\nrules:\n  allowed-sources: { allow: ["octo-org/*"], deny: ["evil/*"] }\n');
    const inner = nodeAt(s.commits, 'octo-org/inner', 'action.yml');
    expect(findings).toEqual([
      {
        ruleId: 'allowed-sources',
        severity: 'error',
        message: `evil/exfiltrate@v1 (step 1 in octo-org/inner@v1) is blocked by the deny pattern "evil/*" in rules.allowed-sources: the organization does not allow this action to run.`,
        location: { node: inner, step: 0, key: 'uses' },
        chain: ['octo-org/setup@v1', 'octo-org/inner@v1', 'evil/exfiltrate@v1'],
        mentions: [APP, 'octo-org/setup', 'octo-org/inner', 'evil/exfiltrate'],
      },
    ]);
  });

  it('an action pinned to an impostor commit from its fork network fails closed', async () => {
    const gh = new FakeGitHub();
    const libs = buildWorld({ 'other/tool': TOOL() }, gh).commits;
    const impostor = gh.impostor('other/tool', { 'action.yml': action() });
    const own = buildWorld({ [APP]: { files: { [CI]: workflow('on: pull_request\n', { build: steps(`other/tool@${impostor}`) }) } } }, gh).commits;
    const findings = await evaluate({ gh, commits: { ...libs, ...own } }, PIN);
    expect(findings).toEqual([
      expect.objectContaining({
        ruleId: 'pinning',
        severity: 'error',
        message: `other/tool@${impostor} pins a commit that is not reachable from any branch or tag of other/tool: it can be an impostor commit from a fork, which GitHub serves under the parent repository's name too.`,
        location: { node: nodeAt(own, APP, CI), jobId: 'build', step: 0, key: 'uses' },
      }),
    ]);
  });

  it('a # v1 comment naming a tag at another commit is reported, with the comment of the pinned commit as the fix', async () => {
    const gh = new FakeGitHub();
    const libs = buildWorld({ 'other/tool': TOOL() }, gh).commits;
    const newer = gh.commit('other/tool', { 'action.yml': action(), 'CHANGES.md': 'v2\n' }, { branch: 'main' });
    gh.tag('other/tool', 'v2.0.0', newer);
    gh.tag('other/tool', 'v1', newer);
    const pinned = libs['other/tool']!;
    const own = buildWorld({ [APP]: { files: { [CI]: workflow('on: pull_request\n', { build: steps(`other/tool@${pinned} # v1`) }) } } }, gh).commits;
    const findings = await evaluate({ gh, commits: { ...libs, ...own } }, PIN);
    const ci = nodeAt(own, APP, CI);
    expect(findings).toEqual([
      {
        ruleId: 'pinning',
        severity: 'error',
        message: `other/tool@${pinned} has the version comment v1, but the tag v1 of other/tool is not at that commit (tags at it: v1.2.0): the comment misleads reviewers about the version that runs.`,
        location: { node: ci, jobId: 'build', step: 0, key: 'uses' },
        chain: [`other/tool@${pinned}`],
        fix: { kind: 'replace-step-uses', node: ci, jobId: 'build', step: 0, uses: `other/tool@${pinned}`, comment: 'v1.2.0' },
        mentions: [APP, 'other/tool'],
      },
    ]);
  });

  it('a docker:// image by tag under require sha, and a digest that passes', async () => {
    const digest = `docker://alpine@sha256:${'a'.repeat(64)}`;
    const s = scenario({}, () => ({ [CI]: workflow('on: pull_request\n', { build: steps('docker://alpine:3.20', digest) }) }));
    const findings = await evaluate(s, PIN);
    expect(findings).toEqual([
      {
        ruleId: 'pinning',
        severity: 'error',
        message:
          'docker://alpine:3.20 is not pinned to an image digest: the tag 3.20 can be pushed to with other content, and every run pulls whatever it names then. Pin it as docker://<image>@sha256:<digest>.',
        location: { node: nodeAt(s.commits, APP, CI), jobId: 'build', step: 0, key: 'uses' },
        chain: ['docker://alpine:3.20'],
        mentions: [APP],
      },
    ]);
  });

  it('a ./ action inside a remote workflow is read from the caller’s checkout, and judged there', async () => {
    const s = scenario(
      {
        'actions/checkout': TOOL(),
        'evil/tool': TOOL(),
        [SHARED]: { files: { [DEPLOY]: workflow('on: workflow_call\n', { deploy: steps(`actions/checkout@${'0'.repeat(40)}`, './.github/actions/build') }) } },
      },
      (c) => ({
        [CI]: workflow('on: pull_request\n', { call: `uses: ${SHARED}/${DEPLOY}@${c[SHARED]}\n` }),
        '.github/actions/build/action.yml': action('evil/tool@v1'),
      }),
    );
    // The checkout's pin is no commit of actions/checkout: only the action read from the caller's own repository matters here.
    const findings = (await evaluate(s, 'version: 1\nrules:\n  allowed-sources: { allow: ["octo-org/*", "actions/*"] }\n')).filter((finding) => finding.ruleId === 'allowed-sources');
    expect(findings).toEqual([
      {
        ruleId: 'allowed-sources',
        severity: 'error',
        message: `evil/tool@v1 (step 1 in ${APP}/.github/actions/build@${s.commits[APP]!.slice(0, 7)}) matches no pattern in rules.allowed-sources.allow: only actions the organization allows may run, transitive uses included.`,
        location: { node: nodeAt(s.commits, APP, '.github/actions/build/action.yml'), step: 0, key: 'uses' },
        chain: [`${SHARED}/${DEPLOY}@${s.commits[SHARED]}`, './.github/actions/build', 'evil/tool@v1'],
        fix: { kind: 'edit-policy', file: '.github/workflow-policy.yml', suggestion: 'Add "evil/tool@*" to rules.allowed-sources.allow.' },
        mentions: [APP, SHARED, 'evil/tool'],
      },
    ]);
  });

  it('a missing action.yml is a resolution error at the step', async () => {
    const s = scenario({ 'other/empty': { files: { 'README.md': 'nothing\n' }, tags: { v1: {} } } }, () => ({
      [CI]: workflow('on: pull_request\n', { build: steps('other/empty/sub@v1') }),
    }));
    const findings = await evaluate(s, 'version: 1\n');
    expect(findings).toEqual([
      expect.objectContaining({
        ruleId: 'resolution',
        severity: 'error',
        message: 'other/empty/sub@v1: there is no action.yml, action.yaml or Dockerfile in sub of other/empty at v1, so GitHub cannot run this step.',
        location: { node: nodeAt(s.commits, APP, CI), jobId: 'build', step: 0, key: 'uses' },
      }),
    ]);
  });

  it('a loop of composite actions fails as GitHub would', async () => {
    const s = scenario(
      {
        'other/a': { files: { 'action.yml': action('other/b@v1') }, tags: { v1: {} } },
        'other/b': { files: { 'action.yml': action('other/a@v1') }, tags: { v1: {} } },
      },
      () => ({ [CI]: workflow('on: pull_request\n', { build: steps('other/a@v1') }) }),
    );
    const findings = await evaluate(s, 'version: 1\n');
    expect(findings).toEqual([
      {
        ruleId: 'platform-limits',
        severity: 'error',
        message:
          "other/a@v1 leads into a loop: other/a@v1 → other/b@v1 → other/a@v1. A composite action that runs itself, directly or through others, nests until the Actions runner's limit of 9 and fails the job.",
        location: { node: nodeAt(s.commits, APP, CI), jobId: 'build', step: 0, key: 'uses' },
        chain: ['other/a@v1', 'other/b@v1', 'other/a@v1'],
        mentions: [APP, 'other/a', 'other/b'],
      },
    ]);
  });

  it('an exception covers an action pattern, and applies-to keeps a rule to reusable workflows', async () => {
    const s = scenario({ 'other/tool': TOOL() }, () => ({ [CI]: workflow('on: pull_request\n', { build: steps('other/tool@v1') }) }));
    const waived = `${PIN}exceptions:\n  - uses: "other/tool@*"\n    rules: [pinning]\n    reason: vendored, reviewed by hand\n`;
    expect(await evaluate(s, waived)).toEqual([]);
    expect(await evaluate(s, 'version: 1\nrules:\n  pinning: { require: sha, applies-to: [reusable-workflows] }\n')).toEqual([]);
  });
});
