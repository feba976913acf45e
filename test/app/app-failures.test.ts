// Whatever fails, the check run completes with a reason (failure: fail closed) and never stays in progress:
// GitHub errors, a GraphQL outage during resolution, a hang past the evaluation timeout, a check-run update that
// fails, DynamoDB going away, a workflow that is not YAML.
import {
  APP,
  CALLABLE,
  calling,
  CHECK_RUN,
  CI,
  createPull,
  expectSettled,
  LIB,
  LIB_WF,
  PULL_FILES,
  pullRequestPayload,
  REVIEWS,
  startHarness,
  until,
  type AppHarness,
  type FakeCheckRun,
  type PullInfo,
} from '../support/app.js';

const WHAT_TO_DO =
  '**What to do:** fix the cause named above if it is in your hands — for a policy file, edit it at the file and line given — then re-run this check (**Re-run** on the Checks tab) or push a new commit. If GitHub failed or was slow, re-running is enough.';

let h: AppHarness;

afterEach(async () => {
  try {
    await h.settle();
    expectSettled(h);
  } finally {
    await h.close();
  }
});

function unpinnedPull(ci = calling({ call: `${LIB_WF}@main` })): PullInfo {
  h.gh.addRepo(LIB);
  h.gh.commit(LIB, { '.github/workflows/x.yml': CALLABLE }, { branch: 'main' });
  h.gh.addRepo(APP);
  return createPull(h.gh, { repo: APP, base: { 'README.md': 'app\n' }, head: { [CI]: ci } });
}

function onlyRun(): FakeCheckRun {
  expect(h.gh.checkRuns).toHaveLength(1);
  return h.gh.checkRuns[0]!;
}


describe('failures complete the check as failed, with the reason', () => {
  it('GitHub answers 500 for the PR files', async () => {
    h = await startHarness();
    const pull = unpinnedPull();
    h.gh.inject(PULL_FILES, { status: 500 });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure', annotations: [], actions: [] });
    expect(run.output.title).toBe('Not evaluated: The evaluation could not finish: GitHub answered 500.');
    expect(run.output.summary).toBe(
      [
        '### ❌ The workflow policy could not be evaluated',
        '**What went wrong:** The evaluation could not finish: GitHub answered 500.',
        '```text\nNothing was approved. Re-run the check; if it keeps failing, the app’s logs have the details.\n```',
        WHAT_TO_DO,
        'This check fails closed: a change that could not be checked must not merge.',
      ].join('\n\n'),
    );
  });

  it('GraphQL answers 502 while resolving the call graph: a resolution finding, failing closed', async () => {
    h = await startHarness();
    const pull = unpinnedPull();
    h.gh.faultGraphql('WardenLevel', { status: 502 }, { about: LIB });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run.conclusion).toBe('failure');
    expect(run.annotations.map((annotation) => [annotation.start_line, annotation.title])).toEqual([
      [4, 'resolution: called workflow could not be read'],
      [4, 'pinning: reusable workflow not pinned to a verified commit'],
    ]);
    expect(run.annotations[0]?.message).toBe(
      `${LIB_WF}@main could not be read from GitHub (GitHub answered 502), so it and the calls below it were not checked and the check fails closed. Re-run the check.`,
    );
    expect(run.output.summary).toContain(`- ⛔ \`call\`: \`${LIB_WF}@main\` — not read: GitHub error`);
    // Nothing can be pinned from a graph that was not read.
    expect(h.gh.count(REVIEWS)).toBe(0);
  });

  it('an evaluation that hangs past evaluationTimeoutMs: failed with "took longer than", nothing written afterwards', async () => {
    h = await startHarness({ env: { WARDEN_TIMEOUT_MS: '300' } });
    const pull = unpinnedPull();
    h.gh.faultGraphql('WardenLevel', { delayMs: 600 }, { about: LIB });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(run.output.title).toBe('Not evaluated: The evaluation took longer than 300 ms and was stopped.');
    expect(run.output.summary).toContain('GitHub may be slow or rate-limiting the app. Re-run the check.');
    // The abandoned evaluation goes on in the background up to the ref facts, then writes nothing: no review, no refs.
    await until(() => h.gh.requests.some((entry) => entry.graphql?.query.includes('query WardenRefs') === true && entry.outcome === 200));
    await h.settle();
    expect(h.gh.count(REVIEWS)).toBe(0);
    expect(h.gh.count(CHECK_RUN)).toBe(1);
    const refs = (await h.table()).filter((item) => item.sk === 'refs');
    expect(refs).toEqual([]);
  });

  it('the check-run update fails once: the fallback completes it as failed', async () => {
    h = await startHarness();
    const pull = unpinnedPull();
    h.gh.inject(CHECK_RUN, { status: 500, times: 1 });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(h.gh.requests.filter((entry) => entry.route === CHECK_RUN).map((entry) => entry.outcome)).toEqual([500, 200]);
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure', annotations: [] });
    expect(run.output.title).toBe('Not evaluated: The result could not be written to this check run.');
  });

  it('DynamoDB goes away mid-evaluation: the evaluation still completes, with the same verdict', async () => {
    h = await startHarness();
    const pull = unpinnedPull();
    h.gh.inject(PULL_FILES, { delayMs: 100 });
    const delivery = h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    await until(() => h.gh.count(PULL_FILES) === 1);
    await h.db.stop();
    await delivery;
    const run = onlyRun();
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure', output: { title: '1 policy violation in 1 workflow' } });
    expect(run.annotations.map((annotation) => annotation.start_line)).toEqual([4]);
    expect(h.gh.count(REVIEWS)).toBe(1);
  });

  it('DynamoDB is gone before the delivery: processed anyway (better twice than lost)', async () => {
    h = await startHarness();
    const pull = unpinnedPull();
    await h.db.stop();
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    expect(onlyRun()).toMatchObject({ status: 'completed', conclusion: 'failure' });
  });

  it('a called workflow that is not YAML: completed, failing at the calling line', async () => {
    h = await startHarness();
    h.gh.addRepo(LIB);
    const lib = h.gh.commit(LIB, { '.github/workflows/x.yml': 'on: workflow_call\njobs: [unclosed\n' }, { branch: 'main' });
    h.gh.addRepo(APP);
    const pull = createPull(h.gh, { repo: APP, base: { 'README.md': 'app\n' }, head: { [CI]: calling({ call: `${LIB_WF}@${lib}` }) } });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(run.annotations.map((annotation) => [annotation.path, annotation.start_line, annotation.title])).toEqual([
      [CI, 4, "contract: call does not match the called workflow's contract"],
    ]);
    expect(run.annotations[0]?.message).toBe(
      `${LIB_WF}@${lib} cannot be called: GitHub rejects the file it names (line 3: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]; 1 more problem).`,
    );
  });
});
