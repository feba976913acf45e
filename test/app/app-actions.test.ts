// Actions through the whole app: a pull request's own steps get annotations, suggestions and "Pin all" like its
// calls; an action deep in a called workflow is annotated on the PR's line with its chain; a private callee's
// actions stay hidden on a public repository.
import { APP, CHECK_RUN, checkRunPayload, CI, createPull, expectSettled, pullRequestPayload, REVIEWS, startHarness, type AppHarness, type FakeCheckRun } from '../support/app.js';
import { action } from '../support/workflows.js';

const CHECKOUT = 'actions/checkout';
const SHARED = 'octo-org/shared';
const DEPLOY = '.github/workflows/deploy.yml';

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

/** actions/checkout with one commit tagged v4 and v4.2.2 (a JavaScript action). */
function addCheckout(): string {
  h.gh.addRepo(CHECKOUT);
  const sha = h.gh.commit(CHECKOUT, { 'action.yml': action() }, { branch: 'main' });
  h.gh.tag(CHECKOUT, 'v4', sha);
  h.gh.tag(CHECKOUT, 'v4.2.2', sha);
  return sha;
}

const BUILD_JOB = 'on: pull_request\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - run: make\n';

describe('a pull request’s own steps', () => {
  it('an unpinned action under the recommended preset: annotated on the step’s line, suggested, and pinned by Pin all', async () => {
    const sha = addCheckout();
    h.gh.addRepo(APP);
    const pull = createPull(h.gh, { repo: APP, base: { 'README.md': 'app\n' }, head: { [CI]: BUILD_JOB } });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run.conclusion).toBe('failure');
    const pinned = `      - uses: actions/checkout@${sha} # v4.2.2`;
    expect(run.annotations).toEqual([
      {
        path: CI,
        start_line: 6,
        end_line: 6,
        start_column: 15,
        end_column: 33,
        annotation_level: 'failure',
        title: 'pinning: action not pinned to a verified commit',
        message:
          'actions/checkout@v4 is not pinned to a full 40-character commit SHA: the tag v4 can be moved to other code by anyone who can push to actions/checkout, and a re-run of all jobs runs whatever it points to then.' +
          `\n\nFix: Replace the uses: of step 1 of job "build" with actions/checkout@${sha} # v4.2.2.\n\nuses: actions/checkout@${sha} # v4.2.2`,
      },
    ]);
    expect(run.output.summary).toContain(`- ❌ \`build\` step 1: \`actions/checkout@v4\` → \`${sha.slice(0, 7)}\``);
    const [review] = h.gh.requests.filter((entry) => entry.route === REVIEWS);
    expect((review?.body as { comments: { line: number; body: string }[] }).comments).toEqual([
      expect.objectContaining({ line: 6, body: expect.stringContaining(`\`\`\`suggestion\n${pinned}\n\`\`\``) }),
    ]);
    expect(run.actions).toEqual([{ label: 'Pin all', description: 'Commit every pin to this branch', identifier: 'pin-all' }]);

    await h.receive('check_run', checkRunPayload(h.gh, 'requested_action', run));
    const branch = h.gh.repo(APP).branches.get(pull.headRef)!;
    expect(h.gh.repo(APP).commits.get(branch)?.get(CI)).toBe(BUILD_JOB.replace('      - uses: actions/checkout@v4', pinned));
    expect(h.gh.count(CHECK_RUN)).toBeGreaterThan(1);
  });
});

describe('actions deep in the graph', () => {
  /** A PR calling octo-org/shared's deploy.yml (private, shared with the organization), which runs secret-vendor/deployer@v2. */
  async function deployPull(visibility: 'public' | 'private'): Promise<{ shared: string }> {
    addCheckout();
    h.gh.addRepo(SHARED, { visibility: 'private', accessLevel: 'organization' });
    const shared = h.gh.commit(SHARED, { [DEPLOY]: 'on: workflow_call\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: secret-vendor/deployer@v2\n' }, { branch: 'main' });
    h.gh.addRepo('secret-vendor/deployer');
    const vendor = h.gh.commit('secret-vendor/deployer', { 'action.yml': action() }, { branch: 'main' });
    h.gh.tag('secret-vendor/deployer', 'v2', vendor);
    h.gh.addRepo(APP, { visibility });
    const pull = createPull(h.gh, { repo: APP, base: { 'README.md': 'app\n' }, head: { [CI]: `on: pull_request\njobs:\n  deploy:\n    uses: ${SHARED}/${DEPLOY}@${shared}\n` } });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    return { shared };
  }

  it('an unpinned action of a called workflow is annotated on the PR’s line, with its chain and the place to fix it', async () => {
    const { shared } = await deployPull('private');
    const run = onlyRun();
    expect(run.annotations.map((annotation) => [annotation.start_line, annotation.title])).toEqual([[4, 'pinning: action not pinned to a verified commit (in a called workflow)']]);
    const message = run.annotations[0]?.message ?? '';
    expect(message).toContain(`Call chain: ci.yml → ${SHARED}/${DEPLOY}@${shared} → secret-vendor/deployer@v2`);
    expect(message).toContain(`Found in ${SHARED}/${DEPLOY}@${shared.slice(0, 7)}, line 6.`);
    expect(message).toContain('Fix: Replace the uses: of step 1 of job "deploy" with secret-vendor/deployer@');
    // The pin belongs in octo-org/shared, which this pull request does not change: no suggestion, no Pin all.
    expect(h.gh.count(REVIEWS)).toBe(0);
    expect(run.actions).toEqual([]);
  });

  it('on a public repository, a private callee’s actions are not named', async () => {
    await deployPull('public');
    const run = onlyRun();
    const everything = JSON.stringify({ summary: run.output.summary, text: run.output.text, annotations: run.annotations });
    expect(everything).not.toContain('secret-vendor');
    expect(everything).not.toContain('deployer');
    // A public repository cannot call a private workflow at all; what that workflow runs is not described either.
    expect(run.annotations.map((annotation) => [annotation.start_line, annotation.title])).toEqual([
      [4, 'visibility: called workflow not accessible to this repository'],
      [4, 'pinning: action not pinned to a verified commit (in a called workflow)'],
    ]);
    expect(run.annotations[1]?.message).toContain('A workflow this call reaches breaks the pinning rule. It is in a private or internal repository');
  });
});
