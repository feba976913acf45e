// Delivery guarantees through probot.receive: a delivery id is processed once (the claim is a conditional write
// in DynamoDB), and overlapping evaluations of one pull request end with the newest result.
import {
  APP,
  CALLABLE,
  calling,
  CHECK_RUN,
  CHECK_RUNS,
  CI,
  createPull,
  expectSettled,
  LIB,
  LIB_WF,
  POLICY_REPO,
  PULL_FILES,
  pullRequestPayload,
  pushPayload,
  REVIEWS,
  startHarness,
  until,
  type AppHarness,
  type PullInfo,
} from '../support/app.js';


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

function unpinnedPull(): PullInfo {
  h.gh.addRepo(LIB);
  const lib = h.gh.commit(LIB, { '.github/workflows/x.yml': CALLABLE }, { branch: 'main' });
  h.gh.tag(LIB, 'v1', lib);
  h.gh.addRepo(APP);
  return createPull(h.gh, { repo: APP, base: { 'README.md': 'app\n' }, head: { [CI]: calling({ call: `${LIB_WF}@main` }) } });
}


describe('one delivery id, one evaluation', () => {
  it('the same delivery twice at once: one check run, and the delivery is recorded as done', async () => {
    const pull = unpinnedPull();
    const payload = pullRequestPayload(h.gh, 'opened', pull);
    await Promise.all([h.receive('pull_request', payload, 'delivery-1'), h.receive('pull_request', payload, 'delivery-1')]);
    expect(h.gh.count(CHECK_RUNS)).toBe(1);
    const deliveries = (await h.table()).filter((item) => String(item.pk).startsWith('delivery#'));
    expect(deliveries.map((item) => [item.pk, item.state])).toEqual([['delivery#delivery-1', 'done']]);
  });

  it('a redelivery after the first completed: ignored', async () => {
    const pull = unpinnedPull();
    const payload = pullRequestPayload(h.gh, 'opened', pull);
    await h.receive('pull_request', payload, 'delivery-2');
    const requests = h.gh.requests.length;
    await h.receive('pull_request', payload, 'delivery-2');
    expect(h.gh.requests.length).toBe(requests);
    expect(h.gh.checkRuns.map((run) => run.conclusion)).toEqual(['failure']);
  });

  it('a delivery whose handling failed is processed when it comes again, without waiting out the lease', async () => {
    const pull = unpinnedPull();
    const payload = pullRequestPayload(h.gh, 'opened', pull);
    h.gh.inject(CHECK_RUNS, { status: 500, times: 1 });
    await expect(h.receive('pull_request', payload, 'delivery-5')).rejects.toThrow();
    expect((await h.table()).filter((item) => String(item.pk).startsWith('delivery#'))).toEqual([]);
    await h.receive('pull_request', payload, 'delivery-5');
    expect(h.gh.checkRuns.map((run) => run.conclusion)).toEqual(['failure']);
    const deliveries = (await h.table()).filter((item) => String(item.pk).startsWith('delivery#'));
    expect(deliveries.map((item) => [item.pk, item.state])).toEqual([['delivery#delivery-5', 'done']]);
  });

  it('two deliveries of one event with different ids (GitHub sends a new id per event): both evaluate', async () => {
    const pull = unpinnedPull();
    const payload = pullRequestPayload(h.gh, 'opened', pull);
    await h.receive('pull_request', payload, 'delivery-3');
    await h.receive('pull_request', payload, 'delivery-4');
    expect(h.gh.checkRuns.map((run) => run.conclusion)).toEqual(['failure', 'failure']);
    // The second evaluation's suggestion is already on the PR: no second review.
    expect(h.gh.count(REVIEWS)).toBe(1);
  });
});

const SAME_HEAD_PULLS = 'GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls';
const PULL_COMMENTS = 'GET /repos/{owner}/{repo}/pulls/{pull_number}/comments';

describe('a head evaluated before (warm means zero)', () => {
  /** The routes of the requests made since `from`, GraphQL ones by operation name. */
  const routesSince = (from: number) => h.gh.requests.slice(from).map((entry) => (entry.graphql ? /query (\w+)/.exec(entry.graphql.query)?.[1] : entry.route));

  it('a new delivery for the same head reads no content: the directory, the policy and the call graph come from the cache', async () => {
    const pull = unpinnedPull();
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull), 'delivery-1');
    const first = h.gh.requests.length;
    await h.receive('pull_request', pullRequestPayload(h.gh, 'reopened', pull), 'delivery-2');
    // REST metadata and the check only: the review's existing comments are read to not repeat a suggestion.
    expect(routesSince(first).sort()).toEqual([CHECK_RUNS, PULL_FILES, SAME_HEAD_PULLS, PULL_COMMENTS, CHECK_RUN].sort());
    expect(h.gh.checkRuns.map((run) => run.conclusion)).toEqual(['failure', 'failure']);
  });

  it('a push to the organization policy repository: the next evaluation reads the organization policy again, and only it', async () => {
    h.gh.addRepo(POLICY_REPO);
    const policy = h.gh.commit(POLICY_REPO, { '.github/workflow-policy.yml': 'extends: recommended\n' }, { branch: 'main' });
    const pull = unpinnedPull();
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull), 'delivery-1');
    const moved = h.gh.commit(POLICY_REPO, { '.github/workflow-policy.yml': 'extends: strict\n' }, { branch: 'main' });
    await h.receive('push', pushPayload(h.gh, POLICY_REPO, { ref: 'refs/heads/main', before: policy, after: moved }), 'delivery-push');
    const first = h.gh.requests.length;
    await h.receive('pull_request', pullRequestPayload(h.gh, 'reopened', pull), 'delivery-2');
    expect(routesSince(first).sort()).toEqual([CHECK_RUNS, PULL_FILES, SAME_HEAD_PULLS, 'WardenPolicyFiles', CHECK_RUN].sort());
  });
});

describe('concurrent evaluations of one installation (single flight)', () => {
  it('two pull requests calling lib@main at once: one GraphQL read of lib, both checks hold its verdict', async () => {
    const pull = unpinnedPull();
    const OTHER = 'octo-org/web';
    h.gh.addRepo(OTHER);
    const other = createPull(h.gh, { repo: OTHER, number: 8, base: { 'README.md': 'web\n' }, head: { [CI]: calling({ call: `${LIB_WF}@main` }) } });
    // The first read of lib answers late, so the second evaluation reaches lib while it is in flight.
    h.gh.faultGraphql('WardenLevel', { delayMs: 400 }, { about: LIB });
    await Promise.all([h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull)), h.receive('pull_request', pullRequestPayload(h.gh, 'opened', other))]);
    const libReads = h.gh.requests.filter((entry) => entry.graphql?.query.includes('query WardenLevel') === true && JSON.stringify(entry.graphql.variables).includes('"lib"'));
    expect(libReads).toHaveLength(1);
    expect(h.gh.checkRuns.map((run) => [run.head_sha, run.conclusion, run.output?.title])).toEqual([
      [pull.headSha, 'failure', '1 policy violation in 1 workflow'],
      [other.headSha, 'failure', '1 policy violation in 1 workflow'],
    ]);
  });

  it('two pull requests calling different workflows at once: one GraphQL level query reads both callees', async () => {
    // The two evaluations reach their level apart by what they read before it (here, on a shared machine, some
    // 100 ms): a window that long lets the first level wait for the second.
    await h.close();
    h = await startHarness({ env: { WARDEN_BATCH_WINDOW_MS: '1000' } });
    const TOOLS = 'other-org/tools';
    const pull = unpinnedPull();
    h.gh.addRepo(TOOLS);
    h.gh.commit(TOOLS, { '.github/workflows/y.yml': CALLABLE }, { branch: 'main' });
    const OTHER = 'octo-org/web';
    h.gh.addRepo(OTHER);
    const other = createPull(h.gh, { repo: OTHER, number: 8, base: { 'README.md': 'web\n' }, head: { [CI]: calling({ call: `${TOOLS}/.github/workflows/y.yml@main` }) } });
    await Promise.all([h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull)), h.receive('pull_request', pullRequestPayload(h.gh, 'opened', other))]);
    const levels = h.gh.requests.filter((entry) => entry.graphql?.query.includes('query WardenLevel') === true);
    // Alone, each evaluation reads its callee in a query of its own: two. Batched, one query asks for both.
    expect(levels.map((entry) => Object.values(entry.graphql!.variables).filter((value) => value === 'lib' || value === 'tools').sort())).toEqual([['lib', 'tools']]);
    expect(h.gh.checkRuns.map((run) => [run.head_sha, run.conclusion, run.output?.title])).toEqual([
      [pull.headSha, 'failure', '1 policy violation in 1 workflow'],
      [other.headSha, 'failure', '1 policy violation in 1 workflow'],
    ]);
  });
});

describe('evaluation slots', () => {
  it('with one slot, a second pull request waits for the first evaluation to complete, then completes too', async () => {
    await h.close();
    h = await startHarness({ env: { WARDEN_CONCURRENCY: '1' } });
    const pull = unpinnedPull();
    const other = createPull(h.gh, { repo: APP, number: 8, headRef: 'other', base: { 'README.md': 'app\n' }, head: { [CI]: calling({ call: `${LIB_WF}@v1` }) } });
    h.gh.inject(PULL_FILES, { delayMs: 100 });
    await Promise.all([h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull)), h.receive('pull_request', pullRequestPayload(h.gh, 'opened', other))]);
    // Both check runs are created at once; the second evaluation reads nothing before the first one completed.
    const routes = h.gh.requests.map((entry) => entry.route);
    const fileLists = routes.flatMap((route, index) => (route === PULL_FILES ? [index] : []));
    expect(routes.slice(0, routes.indexOf(CHECK_RUN)).filter((route) => route === CHECK_RUNS)).toHaveLength(2);
    expect(fileLists).toHaveLength(2);
    expect(fileLists[1]).toBeGreaterThan(routes.indexOf(CHECK_RUN));
    expect(h.gh.checkRuns.map((run) => run.conclusion)).toEqual(['failure', 'failure']);
  });
});

describe('overlapping evaluations of one pull request', () => {
  it('the older, slowed down, completes as cancelled; the newer one, on the new head, holds the result', async () => {
    const pull = unpinnedPull();
    const libMain = h.gh.repo(LIB).branches.get('main')!;
    // The first evaluation's PR files answer late.
    h.gh.inject(PULL_FILES, { delayMs: 300 });
    const first = h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    await until(() => h.gh.count(PULL_FILES) === 1);
    h.gh.clearFaults();
    // Meanwhile the author pushes: the new head pins the call by tag instead.
    const newHead = h.gh.commit(APP, { [CI]: calling({ call: `${LIB_WF}@v1` }) }, { parents: [pull.headSha], branch: pull.headRef });
    h.gh.movePull(APP, 7, newHead);
    await h.receive('pull_request', pullRequestPayload(h.gh, 'synchronize', { ...pull, headSha: newHead }));
    await first;
    const [older, newer] = h.gh.checkRuns;
    expect(older).toMatchObject({
      head_sha: pull.headSha,
      status: 'completed',
      conclusion: 'cancelled',
      output: { title: 'Superseded by a newer evaluation', summary: 'A newer evaluation of this pull request started while this one ran; its check run holds the result.' },
      annotations: [],
      actions: [],
    });
    expect(newer).toMatchObject({ head_sha: newHead, status: 'completed', conclusion: 'failure', output: { title: '1 policy violation in 1 workflow' } });
    // Only the newest evaluation posts suggestions: none for the old head's line.
    const reviews = h.gh.requests.filter((entry) => entry.route === REVIEWS).map((entry) => entry.body as { commit_id: string; comments: { body: string }[] });
    expect(reviews.map((review) => review.commit_id)).toEqual([newHead]);
    expect(reviews[0]?.comments[0]?.body).toContain(`\`\`\`suggestion\n    uses: ${LIB_WF}@${libMain} # v1\n\`\`\``);
    // The sequence of evaluations of the PR is kept in the table.
    const sequence = (await h.table()).find((item) => item.pk === 'subject#octo-org/app#7' && item.sk === 'sequence');
    expect(sequence?.seq).toBe(2);
  });

  it('the older event’s check-run create answers late: it still counts as the older one', async () => {
    const pull = unpinnedPull();
    h.gh.inject(CHECK_RUNS, { delayMs: 300 });
    const first = h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    await until(() => h.gh.count(CHECK_RUNS) === 1);
    h.gh.clearFaults();
    const newHead = h.gh.commit(APP, { [CI]: calling({ call: `${LIB_WF}@v1` }) }, { parents: [pull.headSha], branch: pull.headRef });
    h.gh.movePull(APP, 7, newHead);
    await h.receive('pull_request', pullRequestPayload(h.gh, 'synchronize', { ...pull, headSha: newHead }));
    await first;
    const byHead = new Map(h.gh.checkRuns.map((run) => [run.head_sha, run.conclusion]));
    expect(byHead).toEqual(new Map([[pull.headSha, 'cancelled'], [newHead, 'failure']]));
  });
});

describe('a burst of pull requests on one installation (writes a second apart)', () => {
  /** The app as production runs it, writes 1.5 s apart, after one pull request (so the token and callee are known). */
  async function warmApp() {
    const { generatePrivateKey, productionProbot, serveTokenExchange } = await import('../support/production-probot.js');
    serveTokenExchange(h.gh);
    const probot = await productionProbot({ services: h.services, privateKey: generatePrivateKey(), writeSpacingMs: 1500 });
    const receive = (pull: PullInfo) => probot.receive({ id: `burst-${pull.number}`, name: 'pull_request', payload: pullRequestPayload(h.gh, 'opened', pull) } as Parameters<typeof probot.receive>[0]);
    h.gh.addRepo(LIB);
    const lib = h.gh.commit(LIB, { '.github/workflows/x.yml': CALLABLE }, { branch: 'main' });
    h.gh.addRepo(APP);
    const pull = (number: number, calls: Record<string, string> = { call: `${LIB_WF}@${lib}` }) => createPull(h.gh, { repo: APP, number, headRef: `change-${number}`, base: { 'README.md': 'app\n' }, head: { [CI]: calling(calls) } });
    await receive(pull(6));
    return { receive, pull };
  }

  it('a check whose verdict is ready before its turn to write is created completed: one write, not two', async () => {
    const { receive, pull } = await warmApp();
    const before = h.gh.checkRuns.length;
    await Promise.all([7, 8, 9].map((number) => receive(pull(number))));
    // The first one's create had its turn at once: in progress, then completed.
    expect(h.gh.checkRuns.map((run) => run.requests.map((body) => body.status))).toEqual([['in_progress', 'completed'], ['completed'], ['completed'], ['completed']]);
    // The burst's creates waited for their turns (1.5 s after the write before each), by which time their verdicts
    // were ready: each is one create that completes the run.
    const runs = h.gh.checkRuns.slice(before);
    expect(runs.map((run) => [run.status, run.conclusion, run.output.title])).toEqual(Array.from({ length: 3 }, () => ['completed', 'success', 'Workflow policy passed']));
    for (const run of runs) {
      expect(run.requests[0]).toEqual({
        name: 'Workflow policy',
        head_sha: run.head_sha,
        status: 'completed',
        conclusion: 'success',
        started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        completed_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
        external_id: expect.stringMatching(/^\{"pull":[789]\}$/),
        output: { title: 'Workflow policy passed', summary: expect.stringContaining('1 workflow checked: every call follows the policy.') },
      });
    }
    expect([h.gh.count(CHECK_RUNS), h.gh.count(CHECK_RUN)]).toEqual([4, 1]);
  });

  it('a run created late with 120 annotations: the create carries the first 50 in progress, the last update completes it', async () => {
    const { receive, pull } = await warmApp();
    const jobs = Object.fromEntries(Array.from({ length: 120 }, (_, index) => [`j${index}`, `${LIB_WF}@main`]));
    await receive(pull(7, jobs));
    const run = h.gh.checkRuns.at(-1)!;
    const bodies = run.requests as { status?: string; conclusion?: string; output: { annotations?: unknown[] } }[];
    expect(bodies.map((body) => [body.status, body.conclusion, body.output.annotations?.length])).toEqual([
      ['in_progress', undefined, 50],
      [undefined, undefined, 50],
      ['completed', 'failure', 20],
    ]);
    expect(run.annotations).toHaveLength(120);
    expect([run.status, run.output.title]).toEqual(['completed', '120 policy violations in 1 workflow']);
  });
});

describe('the grace before a check run shows in progress (WARDEN_CHECK_RUN_GRACE_MS)', () => {
  beforeEach(async () => {
    await h.close();
    h = await startHarness({ env: { WARDEN_CHECK_RUN_GRACE_MS: '1000' } });
  });

  it('a verdict ready within the grace: the run is created completed, one write', async () => {
    h.gh.addRepo(APP);
    const pull = createPull(h.gh, { repo: APP, base: { 'README.md': 'a\n' }, head: { 'README.md': 'b\n' } });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    expect(h.gh.checkRuns.map((run) => [run.requests.map((body) => body.status), run.conclusion, run.output.title])).toEqual([[['completed'], 'success', 'No workflow changes']]);
    expect([h.gh.count(CHECK_RUNS), h.gh.count(CHECK_RUN)]).toEqual([1, 0]);
  });

  it('an evaluation outlasting the grace: in progress after it, then completed', async () => {
    const pull = unpinnedPull();
    h.gh.inject(PULL_FILES, { delayMs: 1500 });
    const sent = Date.now();
    const receiving = h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    await until(() => h.gh.checkRuns.length > 0);
    const shown = Date.now();
    await receiving;
    const [run] = h.gh.checkRuns;
    expect(run?.requests.map((body) => body.status)).toEqual(['in_progress', 'completed']);
    expect(shown - sent).toBeGreaterThanOrEqual(1000);
    expect(run?.conclusion).toBe('failure');
  });
});
