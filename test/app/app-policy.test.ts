// Full flows about the policy in force and what the check may show: the organization policy read from the
// default branch of octo-org/.github only, an invalid one failing closed with its place, a pull request to the
// policy file itself (validation and dry run), and privacy on a public repository.
import {
  addLib,
  APP,
  CALLABLE,
  calling,
  CI,
  createPull,
  expectSettled,
  LIB_WF,
  POLICY_PATH,
  POLICY_REPO,
  pullRequestPayload,
  REVIEWS,
  startHarness,
  type AppHarness,
  type FakeCheckRun,
} from '../support/app.js';


const TAGS_ALLOWED = 'version: 1\nextends: recommended\nrules:\n  pinning:\n    require: ref\n    verify: false\n';
const SHA_REQUIRED = 'version: 1\nextends: recommended\n';

let h: AppHarness;

beforeEach(async () => {
  h = await startHarness();
});

afterEach(async () => {
  try {
    await h.settle();
    expectSettled(h);
  } finally {
    await h.close();
  }
});

function onlyRun(): FakeCheckRun {
  expect(h.gh.checkRuns).toHaveLength(1);
  return h.gh.checkRuns[0]!;
}

/** other-org/lib with a callable workflow tagged v1. */

describe('the organization policy', () => {
  it('is read from the default branch of octo-org/.github; a policy on another branch is not used', async () => {
    addLib(h.gh, { tagV1: true });
    h.gh.addRepo(POLICY_REPO, { defaultBranch: 'trunk' });
    const trunk = h.gh.commit(POLICY_REPO, { [POLICY_PATH]: TAGS_ALLOWED }, { branch: 'trunk' });
    // Newer, and on a branch named like a usual default: it must not matter.
    const main = h.gh.commit(POLICY_REPO, { [POLICY_PATH]: SHA_REQUIRED }, { branch: 'main', parents: [trunk] });
    h.gh.addRepo(APP);
    const pull = createPull(h.gh, { repo: APP, base: { 'README.md': 'app\n' }, head: { [CI]: calling({ call: `${LIB_WF}@v1` }) } });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run).toMatchObject({ conclusion: 'success', output: { title: 'Workflow policy passed' }, annotations: [] });
    expect(run.output.summary).toContain(`**Policy:** octo-org/.github@${trunk.slice(0, 7)} .github/workflow-policy.yml`);
    expect(run.output.summary).not.toContain(main.slice(0, 7));
    // Asked for the default branch by name of nothing but the repository: no ref, no branch name in the query.
    const policyQuery = h.gh.requests.find((entry) => entry.graphql?.query.includes('query WardenPolicyFiles'));
    expect(policyQuery?.graphql?.query).toContain('defaultBranchRef');
    expect(Object.values(policyQuery?.graphql?.variables ?? {})).not.toContain('main');
  });

  it('the same pull request fails under a default-branch policy requiring SHA pins', async () => {
    addLib(h.gh, { tagV1: true });
    h.gh.addRepo(POLICY_REPO);
    const policy = h.gh.commit(POLICY_REPO, { [POLICY_PATH]: SHA_REQUIRED }, { branch: 'main' });
    h.gh.addRepo(APP);
    const pull = createPull(h.gh, { repo: APP, base: { 'README.md': 'app\n' }, head: { [CI]: calling({ call: `${LIB_WF}@v1` }) } });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run.conclusion).toBe('failure');
    expect(run.annotations.map((annotation) => [annotation.start_line, annotation.title])).toEqual([[4, 'pinning: reusable workflow not pinned to a verified commit']]);
    expect(run.output.summary).toContain(`**Policy:** octo-org/.github@${policy.slice(0, 7)} .github/workflow-policy.yml`);
  });

  it('an invalid organization policy fails the check closed, naming octo-org/.github:<path>:line:column', async () => {
    addLib(h.gh, { tagV1: true });
    h.gh.addRepo(POLICY_REPO);
    h.gh.commit(POLICY_REPO, { [POLICY_PATH]: 'version: 1\nrules:\n  pinning:\n    require: always\n' }, { branch: 'main' });
    h.gh.addRepo(APP);
    const pull = createPull(h.gh, { repo: APP, base: { 'README.md': 'app\n' }, head: { [CI]: calling({ call: `${LIB_WF}@v1` }) } });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run).toMatchObject({ conclusion: 'failure', annotations: [], actions: [] });
    expect(run.output.title).toBe('Not evaluated: The workflow policy is invalid, so nothing was evaluated (the check fails closed).');
    expect(run.output.summary).toContain(
      '```text\nocto-org/.github:.github/workflow-policy.yml:4:14: invalid value "always" for rules.pinning.require; allowed values: "sha", "ref", "any"\n```',
    );
    // Nothing was resolved: no level query, no review.
    expect(h.gh.requests.filter((entry) => entry.graphql?.query.includes('query WardenLevel'))).toEqual([]);
    expect(h.gh.count(REVIEWS)).toBe(0);
  });
});

describe('a pull request to the organization policy file', () => {
  function policyWorld(): { current: string } {
    addLib(h.gh, { tagV1: true });
    h.gh.addRepo(POLICY_REPO);
    const current = h.gh.commit(POLICY_REPO, { [POLICY_PATH]: TAGS_ALLOWED, 'README.md': 'policy\n' }, { branch: 'main' });
    h.gh.addRepo(APP);
    h.gh.commit(APP, { [CI]: calling({ call: `${LIB_WF}@v1` }) }, { branch: 'main' });
    h.gh.installation({ repositories: [POLICY_REPO, APP] });
    return { current };
  }

  it('an invalid proposal: annotations at its bad line with rule id policy, the check fails', async () => {
    policyWorld();
    const pull = createPull(h.gh, {
      repo: POLICY_REPO,
      base: { [POLICY_PATH]: TAGS_ALLOWED, 'README.md': 'policy\n' },
      head: { [POLICY_PATH]: 'version: 1\nextends: recommended\nrules:\n  pinning:\n    require: always\n', 'README.md': 'policy\n' },
    });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run.conclusion).toBe('failure');
    expect(run.output.title).toBe('Invalid workflow policy: 1 problem');
    const message = 'invalid value "always" for rules.pinning.require; allowed values: "sha", "ref", "any"';
    expect(run.annotations).toEqual([{ path: POLICY_PATH, start_line: 5, end_line: 5, annotation_level: 'failure', title: 'policy: invalid workflow policy', message }]);
    expect(run.output.summary).toContain('### Proposed workflow policy');
    expect(run.output.summary).toContain(`**Invalid:** 1 problem in \`.github/workflow-policy.yml\`; no dry run was made.\n\n\`\`\`text\n${POLICY_PATH}:5:14: ${message}\n\`\`\``);
  });

  it('a valid proposal: the dry run says which repositories would newly fail', async () => {
    policyWorld();
    const pull = createPull(h.gh, {
      repo: POLICY_REPO,
      base: { [POLICY_PATH]: TAGS_ALLOWED, 'README.md': 'policy\n' },
      head: { [POLICY_PATH]: SHA_REQUIRED, 'README.md': 'policy\n' },
    });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run).toMatchObject({ conclusion: 'success', output: { title: 'Proposed policy is valid: 1 would newly fail, 0 newly pass' }, annotations: [] });
    expect(run.output.summary).toContain(`**Valid:** \`.github/workflow-policy.yml\` at ${pull.headSha.slice(0, 7)} has no problems.`);
    expect(run.output.summary).toContain(
      '**Dry run** (default branches, current policy → proposed): 1 repository would newly fail / 0 would newly pass / 0 unchanged / evaluated 1 of 1',
    );
    expect(run.output.summary).toContain('Would newly fail:\n- `octo-org/app` — pinning');
  });

  it('a valid proposal from a fork: validated, but no dry run tells its author about the organization’s repositories', async () => {
    policyWorld();
    h.gh.addRepo('outsider/.github');
    const pull = createPull(h.gh, {
      repo: POLICY_REPO,
      base: { [POLICY_PATH]: TAGS_ALLOWED, 'README.md': 'policy\n' },
      head: { [POLICY_PATH]: SHA_REQUIRED, 'README.md': 'policy\n' },
      fork: 'outsider/.github',
    });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run).toMatchObject({ conclusion: 'success', output: { title: 'Proposed policy is valid (no dry run)' }, annotations: [] });
    expect(run.output.summary).toContain(`**Valid:** \`.github/workflow-policy.yml\` at ${pull.headSha.slice(0, 7)} has no problems.`);
    expect(run.output.summary).toContain('A pull request from a fork gets the validation only');
    expect(h.gh.count('GET /installation/repositories')).toBe(0);
  });
});

describe('privacy on a public repository', () => {
  it('a private workflow reached through a public one is never named in any check run or review request', async () => {
    h.gh.addRepo('octo-org/secret-lib', { visibility: 'private', accessLevel: 'organization' });
    const secret = h.gh.commit('octo-org/secret-lib', { '.github/workflows/x.yml': CALLABLE }, { branch: 'main' });
    h.gh.addRepo('octo-org/shared');
    const shared = h.gh.commit('octo-org/shared', { '.github/workflows/deploy.yml': calling({ inner: 'octo-org/secret-lib/.github/workflows/x.yml@main' }, 'workflow_call') }, { branch: 'main' });
    addLib(h.gh, { tagV1: true });
    h.gh.addRepo(APP);
    const pull = createPull(h.gh, {
      repo: APP,
      base: { 'README.md': 'app\n' },
      head: { [CI]: calling({ deploy: `octo-org/shared/.github/workflows/deploy.yml@${shared}`, lint: `${LIB_WF}@main` }) },
    });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run.conclusion).toBe('failure');
    expect(run.annotations.map((annotation) => [annotation.start_line, annotation.title?.split(':')[0]])).toEqual([
      [4, 'visibility'],
      [6, 'pinning'],
    ]);
    const sent = h.gh.requests.filter((entry) => entry.method !== 'GET' && entry.graphql === undefined);
    expect(sent.map((entry) => entry.route)).toEqual(expect.arrayContaining(['POST /repos/{owner}/{repo}/check-runs', 'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', REVIEWS]));
    for (const entry of sent) {
      expect(JSON.stringify(entry.body)).not.toMatch(/secret-lib/i);
      expect(JSON.stringify(entry.body)).not.toContain(secret.slice(0, 7));
    }
  });

  it('a private workflow called directly: its name (written in the PR) shows, its contents never, not even in suggestions', async () => {
    h.gh.addRepo('octo-org/private-deploy', { visibility: 'private', accessLevel: 'organization' });
    const callee = 'on: workflow_call\njobs:\n  ship-it:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: write\n      id-token: write\n    steps:\n      - run: echo\n';
    const sha = h.gh.commit('octo-org/private-deploy', { '.github/workflows/deploy.yml': callee }, { branch: 'main' });
    h.gh.addRepo(APP);
    const ci = `on: pull_request\njobs:\n  deploy:\n    permissions:\n      contents: read\n    uses: octo-org/private-deploy/.github/workflows/deploy.yml@${sha}\n`;
    const pull = createPull(h.gh, { repo: APP, base: { 'README.md': 'app\n' }, head: { [CI]: ci } });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run.annotations.map((annotation) => [annotation.start_line, annotation.title, annotation.message])).toEqual([
      [4, 'permissions: called workflow needs more permissions than granted', 'The workflow this call names breaks the permissions rule. It is in a private or internal repository (or one the app cannot read), so its details are not shown in this public repository.'],
      [6, 'visibility: called workflow not accessible to this repository', expect.stringContaining('is in a private repository, which a top-level workflow in a public repository cannot call.')],
    ]);
    // The permissions fix is on lines the PR wrote, but it spells out the private workflow's job and permissions: no review.
    expect(h.gh.count(REVIEWS)).toBe(0);
    for (const entry of h.gh.requests.filter((each) => each.method !== 'GET' && each.graphql === undefined)) {
      expect(JSON.stringify(entry.body)).not.toMatch(/ship-it|id-token/);
    }
  });
});
