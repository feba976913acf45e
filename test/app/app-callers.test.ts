// The callee side through the whole app: a push to a default branch indexes its calls; a pull request to a shared
// workflow sees the callers it would break; a tag that callers name moving gets their default branches evaluated
// again, with a check run on each head that says why.
import { CALLABLE, createPull, expectSettled, pullRequestPayload, pushPayload, startHarness, type AppHarness } from '../support/app.js';

const SHARED = 'octo-org/shared';
const WEB = 'octo-org/web';
const DEPLOY = '.github/workflows/deploy.yml';
const CI = '.github/workflows/ci.yml';
const ZERO = '0'.repeat(40);

const NEEDS_TARGET = 'on:\n  workflow_call:\n    inputs:\n      target:\n        type: string\n        required: true\njobs:\n  run:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n';

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

/** octo-org/shared with deploy.yml on main tagged v1; octo-org/web calling it `@ref` from its default branch, indexed by a push. */
async function indexedCaller(ref: string, visibility: 'public' | 'private' = 'public'): Promise<{ shared: string; web: string }> {
  h.gh.addRepo(SHARED);
  const shared = h.gh.commit(SHARED, { [DEPLOY]: CALLABLE }, { branch: 'main' });
  h.gh.tag(SHARED, 'v1', shared);
  h.gh.addRepo(WEB, { visibility });
  const web = h.gh.commit(WEB, { [CI]: `on: push\njobs:\n  deploy:\n    uses: ${SHARED}/${DEPLOY}@${ref}\n` }, { branch: 'main' });
  await h.receive('push', pushPayload(h.gh, WEB, { ref: 'refs/heads/main', before: ZERO, after: web }));
  return { shared, web };
}

describe('callers through the app', () => {
  it('a push to a default branch indexes its calls under the callee, replacing what was there', async () => {
    const { web } = await indexedCaller('main');
    const first = await h.services.callers.callersOfRepository('github.com#31337', { owner: 'octo-org', name: 'shared' });
    expect(first.map((record) => [record.caller.path, record.caller.line, record.caller.jobId, record.ref, record.caller.commit, record.caller.source])).toEqual([
      [CI, 4, 'deploy', 'main', web, 'default-branch'],
    ]);
    const next = h.gh.commit(WEB, { [CI]: `on: push\njobs:\n  ship:\n    uses: ${SHARED}/${DEPLOY}@v1\n` }, { parents: [web], branch: 'main' });
    await h.receive('push', pushPayload(h.gh, WEB, { ref: 'refs/heads/main', before: web, after: next }));
    const second = await h.services.callers.callersOfRepository('github.com#31337', { owner: 'octo-org', name: 'shared' });
    expect(second.map((record) => [record.caller.jobId, record.ref, record.caller.commit])).toEqual([['ship', 'v1', next]]);
  });

  it('a pull request adding a required input fails, naming the caller that does not pass it at its file and line', async () => {
    await indexedCaller('main');
    const pull = createPull(h.gh, { repo: SHARED, base: { [DEPLOY]: CALLABLE }, head: { [DEPLOY]: NEEDS_TARGET }, number: 12 });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = h.gh.checkRuns.find((entry) => entry.head_sha === pull.headSha)!;
    expect(run.conclusion).toBe('failure');
    const impact = run.annotations.filter((annotation) => (annotation.title ?? '').startsWith('caller-impact'));
    expect(impact.map((annotation) => [annotation.path, annotation.start_line, annotation.annotation_level])).toEqual([[DEPLOY, 4, 'failure']]);
    expect(impact[0]!.message).toContain(`${WEB} ${CI}:4 (job deploy, @main)`);
    expect(impact[0]!.message).toContain('GitHub fails their runs once this merges into main');
  });

  it('on a public callee a private caller is counted, never named', async () => {
    await indexedCaller('main', 'private');
    const pull = createPull(h.gh, { repo: SHARED, base: { [DEPLOY]: CALLABLE }, head: { [DEPLOY]: NEEDS_TARGET }, number: 12 });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = h.gh.checkRuns.find((entry) => entry.head_sha === pull.headSha)!;
    expect(run.conclusion).toBe('failure');
    const impact = run.annotations.filter((annotation) => (annotation.title ?? '').startsWith('caller-impact'));
    expect(impact.map((annotation) => annotation.message)).toEqual([
      'Input target (string) is required and has no default, but is not passed, which hurts 1 caller: none named and 1 more (1 in repositories this one may not name). GitHub fails their runs once this merges into main.',
    ]);
    expect(JSON.stringify(h.gh.checkRuns)).not.toContain('octo-org/web');
  });

  it('a tag its callers name moves: the caller’s default branch is evaluated again, the check run says why', async () => {
    const { shared, web } = await indexedCaller('v1');
    expect(h.gh.checkRuns).toEqual([]);
    const moved = h.gh.commit(SHARED, { [DEPLOY]: NEEDS_TARGET }, { parents: [shared], branch: 'main' });
    h.gh.tag(SHARED, 'v1', moved);
    await h.receive('push', pushPayload(h.gh, SHARED, { ref: 'refs/tags/v1', before: shared, after: moved }));
    expect(h.gh.checkRuns.map((run) => [run.head_sha, run.name, run.status])).toEqual([[web, 'Workflow policy', 'completed']]);
    const [run] = h.gh.checkRuns;
    expect((run!.output.summary ?? '').split('\n')[0]).toBe(
      `**Evaluated again because ${SHARED}@v1 moved to ${moved.slice(0, 7)}.** This branch did not change: a ref its workflows call did, so what runs here changed with it.`,
    );
    // The moved callee now needs an input the caller does not pass: GitHub would fail this run.
    expect(run!.conclusion).toBe('failure');
  });
});
