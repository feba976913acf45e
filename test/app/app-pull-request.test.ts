// Full flows of pull_request deliveries through probot.receive: which actions evaluate, the check run's
// lifecycle, findings on the exact lines, suggested changes, transitive and local calls, forks, batches.
import { MAX_SUGGESTIONS } from '../../src/app/review.js';
import {
  addLib,
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
  pullRequestPayload,
  REVIEWS,
  startHarness,
  type AppHarness,
  type FakeCheckRun,
  type PullInfo,
} from '../support/app.js';

const SHARED = 'octo-org/shared';
const DEPLOY = '.github/workflows/deploy.yml';
const BUILD = '.github/workflows/build.yml';
const RELEASE = '.github/workflows/release.yml';

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


/** octo-org/app with a PR whose head adds ci.yml calling other-org/lib@main on line 4. */
function unpinnedPull(options: { fork?: string } = {}): PullInfo {
  addLib(h.gh);
  h.gh.addRepo(APP);
  if (options.fork !== undefined) h.gh.addRepo(options.fork);
  return createPull(h.gh, {
    repo: APP,
    base: { 'README.md': 'app\n' },
    head: { 'README.md': 'app\n', [CI]: calling({ call: `${LIB_WF}@main` }) },
    ...(options.fork !== undefined && { fork: options.fork }),
  });
}

function onlyRun(): FakeCheckRun {
  expect(h.gh.checkRuns).toHaveLength(1);
  return h.gh.checkRuns[0]!;
}

function pinSuggestion(sha: string): string {
  return `    uses: ${LIB_WF}@${sha} # main`;
}

describe('which pull_request actions evaluate', () => {
  it.each(['opened', 'synchronize', 'reopened', 'ready_for_review'] as const)('%s: a check created in progress on the head SHA, then completed', async (action) => {
    const pull = unpinnedPull();
    await h.receive('pull_request', pullRequestPayload(h.gh, action, pull));
    const run = onlyRun();
    expect(run.requests[0]).toEqual({
      name: 'Workflow policy',
      head_sha: pull.headSha,
      status: 'in_progress',
      started_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      external_id: '{"pull":7}',
    });
    expect(run).toMatchObject({ head_sha: pull.headSha, status: 'completed', conclusion: 'failure', output: { title: '1 policy violation in 1 workflow' } });
    expect(run.requests).toHaveLength(2);
    // The create goes out with the first reads, not after the evaluation; the verdict is written before the
    // review of suggested changes, which is the last request of the delivery.
    const routes = h.gh.requests.map((entry) => entry.route);
    expect(routes.indexOf(CHECK_RUNS)).toBeLessThan(routes.indexOf('POST /graphql'));
    expect(routes.slice(routes.indexOf(CHECK_RUN))).toEqual([CHECK_RUN, 'GET /app', 'GET /repos/{owner}/{repo}/pulls/{pull_number}/comments', 'POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews']);
  });

  it('edited with a new base: evaluated', async () => {
    const pull = unpinnedPull();
    await h.receive('pull_request', pullRequestPayload(h.gh, 'edited', pull, { base: { ref: { from: 'develop' }, sha: { from: pull.baseSha } } }));
    expect(onlyRun()).toMatchObject({ head_sha: pull.headSha, status: 'completed', conclusion: 'failure' });
  });

  it('edited without a base change (title, body): nothing happens', async () => {
    const pull = unpinnedPull();
    await h.receive('pull_request', pullRequestPayload(h.gh, 'edited', pull, { title: { from: 'Old title' } }));
    expect(h.gh.requests).toEqual([]);
  });

  it('closed: nothing happens', async () => {
    const pull = unpinnedPull();
    await h.receive('pull_request', pullRequestPayload(h.gh, 'closed', pull));
    expect(h.gh.requests).toEqual([]);
  });
});

describe('what the check says', () => {
  it('a pull request that touches no workflow: success, "No workflow changes"', async () => {
    h.gh.addRepo(APP);
    const pull = createPull(h.gh, { repo: APP, base: { 'README.md': 'a\n', [CI]: calling({ call: `${LIB_WF}@main` }) }, head: { 'README.md': 'b\n', [CI]: calling({ call: `${LIB_WF}@main` }) } });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: 'No workflow changes', text: null }, annotations: [] });
    expect(run.output.summary).toBe("### ✅ No workflow changes\n\nThis pull request adds or changes no workflow file and no action's `action.yml`, so there is nothing to check.");
    // Nothing read beyond the PR's files: no GraphQL, no review.
    expect(h.gh.requests.map((entry) => entry.route).sort()).toEqual([
      'GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls',
      'GET /repos/{owner}/{repo}/pulls/{pull_number}/files',
      CHECK_RUN,
      CHECK_RUNS,
    ]);
  });

  it('an unpinned external call under the recommended preset: failure, annotated on the uses: line, one review with the pin as a suggestion', async () => {
    const pull = unpinnedPull();
    const libMain = h.gh.repo(LIB).branches.get('main')!;
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run.conclusion).toBe('failure');
    expect(run.output.title).toBe('1 policy violation in 1 workflow');
    expect(run.output.summary).toContain('**Policy:** the recommended preset (no organization policy)');
    const fixLine = `uses: ${LIB_WF}@${libMain} # main`;
    expect(run.annotations).toEqual([
      {
        path: CI,
        start_line: 4,
        end_line: 4,
        start_column: 11,
        end_column: 52,
        annotation_level: 'failure',
        title: 'pinning: reusable workflow not pinned to a verified commit',
        message:
          `${LIB_WF}@main is not pinned to a full 40-character commit SHA: the branch main can be moved to other code by anyone who can push to ${LIB}, and a re-run of all jobs runs whatever it points to then.` +
          `\n\nFix: Replace the uses: of job "call" with ${LIB_WF}@${libMain} # main.\n\n${fixLine}`,
      },
    ]);
    expect(run.actions).toEqual([{ label: 'Pin all', description: 'Commit every pin to this branch', identifier: 'pin-all' }]);
    const reviews = h.gh.requests.filter((entry) => entry.route === REVIEWS);
    expect(reviews.map((entry) => entry.body)).toEqual([
      {
        commit_id: pull.headSha,
        event: 'COMMENT',
        body: '1 workflow policy finding on lines this pull request changes has a fix: commit it from the suggestion below.',
        comments: [
          {
            path: CI,
            line: 4,
            side: 'RIGHT',
            body:
              `**pinning** (error): ${LIB_WF}@main is not pinned to a full 40-character commit SHA: the branch main can be moved to other code by anyone who can push to ${LIB}, and a re-run of all jobs runs whatever it points to then.` +
              `\n\nReplace the uses: of job "call" with ${LIB_WF}@${libMain} # main.\n\n\`\`\`suggestion\n${pinSuggestion(libMain)}\n\`\`\``,
          },
        ],
      },
    ]);
  });

  it('a transitive violation (PR → octo-org/shared@sha → other-org/lib@main): annotated on the PR’s line with the chain, no suggestion', async () => {
    addLib(h.gh);
    h.gh.addRepo(SHARED);
    const shared = h.gh.commit(SHARED, { [DEPLOY]: calling({ inner: `${LIB_WF}@main` }, 'workflow_call') }, { branch: 'main' });
    h.gh.addRepo(APP);
    const pull = createPull(h.gh, { repo: APP, base: { 'README.md': 'app\n' }, head: { [CI]: calling({ deploy: `${SHARED}/${DEPLOY}@${shared}` }) } });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run.conclusion).toBe('failure');
    expect(run.annotations.map((annotation) => [annotation.path, annotation.start_line, annotation.title])).toEqual([
      [CI, 4, 'pinning: reusable workflow not pinned to a verified commit (in a called workflow)'],
    ]);
    expect(run.annotations[0]?.message).toContain(`Call chain: ci.yml → ${SHARED}/${DEPLOY}@${shared} → ${LIB_WF}@main`);
    expect(run.annotations[0]?.message).toContain(`Found in ${SHARED}/${DEPLOY}@${shared.slice(0, 7)}, line 4.`);
    // The pin belongs in octo-org/shared, which this PR does not change: nothing to suggest, no review.
    expect(h.gh.count(REVIEWS)).toBe(0);
    expect(run.actions).toEqual([]);
  });

  it('a workflow the PR does not change, calling a changed one through ./, is evaluated too', async () => {
    addLib(h.gh);
    h.gh.addRepo(APP);
    const release = calling({ build: `./${BUILD}` }, 'push');
    const pull = createPull(h.gh, {
      repo: APP,
      base: { [RELEASE]: release, [BUILD]: CALLABLE },
      head: { [RELEASE]: release, [BUILD]: calling({ inner: `${LIB_WF}@main` }, 'workflow_call') },
    });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run.output.title).toBe('2 policy violations in 2 workflows');
    expect(run.annotations.map((annotation) => [annotation.path, annotation.start_line, annotation.title])).toEqual([
      [BUILD, 4, 'pinning: reusable workflow not pinned to a verified commit'],
      [RELEASE, 4, 'pinning: reusable workflow not pinned to a verified commit (in a called workflow)'],
    ]);
    expect(run.annotations[1]?.message).toContain(`Call chain: release.yml → ./${BUILD} → ${LIB_WF}@main`);
  });

  it('a workflow the PR removes, still called through ./ by one it keeps: the caller is evaluated and fails', async () => {
    h.gh.addRepo(APP);
    const release = calling({ build: `./${BUILD}` }, 'push');
    const pull = createPull(h.gh, { repo: APP, base: { [RELEASE]: release, [BUILD]: CALLABLE }, head: { [RELEASE]: release } });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run.conclusion).toBe('failure');
    expect(run.annotations.map((annotation) => [annotation.path, annotation.start_line, annotation.title])).toEqual([[RELEASE, 4, 'resolution: called workflow could not be read']]);
    expect(run.annotations[0]?.message).toBe(`./${BUILD}: ${BUILD} does not exist in octo-org/app at ${pull.headSha.slice(0, 7)}, so GitHub cannot run this call.`);
  });

  it('the PR files API is read page by page: a workflow on the second page is found', async () => {
    addLib(h.gh);
    h.gh.addRepo(APP);
    const docs = Object.fromEntries(Array.from({ length: 150 }, (_, index) => [`.aaa/doc-${String(index).padStart(3, '0')}.md`, `doc ${index}\n`]));
    const pull = createPull(h.gh, { repo: APP, base: { 'README.md': 'app\n' }, head: { ...docs, [CI]: calling({ call: `${LIB_WF}@main` }) } });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    expect(h.gh.requests.filter((entry) => entry.route === 'GET /repos/{owner}/{repo}/pulls/{pull_number}/files').map((entry) => entry.query)).toEqual([
      { per_page: '100' },
      { per_page: '100', page: '2' },
    ]);
    expect(onlyRun().annotations.map((annotation) => [annotation.path, annotation.start_line])).toEqual([[CI, 4]]);
  });

  it('a fork’s pull request: content read at the head SHA through the base repository, never the fork', async () => {
    const pull = unpinnedPull({ fork: 'contributor/app' });
    const libMain = h.gh.repo(LIB).branches.get('main')!;
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run).toMatchObject({ repo: APP, head_sha: pull.headSha, conclusion: 'failure' });
    expect(run.annotations.map((annotation) => [annotation.path, annotation.start_line])).toEqual([[CI, 4]]);
    const directory = h.gh.requests.find((entry) => entry.graphql?.query.includes('query WardenWorkflows'));
    expect(directory?.graphql?.variables).toEqual({
      owner: 'octo-org',
      name: 'app',
      head: `${pull.headSha}:.github/workflows`,
      reference: `${pull.headSha}:.github/workflows`,
      withReference: false,
    });
    const named = h.gh.requests.flatMap((entry) => [entry.path, ...Object.values(entry.graphql?.variables ?? {}).map(String)]);
    expect(named.filter((text) => /contributor/i.test(text))).toEqual([]);
    // Suggestions go to the base repository's pull request; a fork cannot take a commit, so they matter most here.
    const review = h.gh.requests.find((entry) => entry.route === REVIEWS);
    expect(review?.path).toBe('/repos/octo-org/app/pulls/7/reviews');
    expect(JSON.stringify(review?.body)).toContain(pinSuggestion(libMain));
  });
});

describe('a commit’s verdict cannot be laundered', () => {
  it('a second pull request with the same head, against a branch that already holds the change, still fails', async () => {
    addLib(h.gh);
    h.gh.addRepo(APP);
    const main = h.gh.commit(APP, { 'README.md': 'app\n' }, { branch: 'main' });
    // B2 already carries the unpinned call; X adds only a README line on top of it.
    const b2 = h.gh.commit(APP, { 'README.md': 'app\n', [CI]: calling({ call: `${LIB_WF}@main` }) }, { parents: [main], branch: 'b2' });
    const x = h.gh.commit(APP, { 'README.md': 'app, edited\n', [CI]: calling({ call: `${LIB_WF}@main` }) }, { parents: [b2], branch: 'feature' });
    h.gh.openPull(APP, { number: 1, base: { ref: 'main', sha: main }, head: { ref: 'feature', sha: x } });
    h.gh.openPull(APP, { number: 2, base: { ref: 'b2', sha: b2 }, head: { ref: 'feature', sha: x } });
    const second: PullInfo = { repo: APP, number: 2, baseSha: b2, headSha: x, baseRef: 'b2', headRef: 'feature', headRepo: APP };
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', second));
    const run = h.gh.checkRuns.at(-1)!;
    // Its own diff is README only, but pull request #1 shares the head commit and adds ci.yml.
    expect(run).toMatchObject({ head_sha: x, conclusion: 'failure' });
    expect(run.annotations.map((annotation) => [annotation.path, annotation.start_line, annotation.title?.split(':')[0]])).toEqual([[CI, 4, 'pinning']]);
  });

  it('a file list GitHub cut short: the workflow directories are compared instead, and the change is evaluated', async () => {
    addLib(h.gh);
    h.gh.addRepo(APP);
    const base = h.gh.commit(APP, { 'README.md': 'app\n' }, { branch: 'main' });
    const head = h.gh.commit(APP, { 'README.md': 'app, edited\n', [CI]: calling({ call: `${LIB_WF}@main` }) }, { parents: [base], branch: 'feature' });
    // GitHub lists at most 3,000 files: this list shows the README only, while the PR changes 3,001 files.
    h.gh.openPull(APP, { number: 9, base: { ref: 'main', sha: base }, head: { ref: 'feature', sha: head }, files: [{ filename: 'README.md', status: 'modified' }], changedFiles: 3_001 });
    const pull: PullInfo = { repo: APP, number: 9, baseSha: base, headSha: head, baseRef: 'main', headRef: 'feature', headRepo: APP };
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = h.gh.checkRuns.at(-1)!;
    expect(run).toMatchObject({ head_sha: head, conclusion: 'failure' });
    expect(run.annotations.map((annotation) => [annotation.path, annotation.start_line])).toEqual([[CI, 4]]);
    const directory = h.gh.requests.find((entry) => entry.graphql?.query.includes('query WardenWorkflows'));
    expect(directory?.graphql?.variables).toMatchObject({ reference: `${base}:.github/workflows`, withReference: true });
  });
});

describe('annotations past GitHub’s 50 per request', () => {
  it('120 findings: three updates of 50, 50 and 20 annotations, the last one completing the run', async () => {
    addLib(h.gh);
    h.gh.addRepo(APP);
    const jobs = Object.fromEntries(Array.from({ length: 120 }, (_, index) => [`j${index}`, `${LIB_WF}@main`]));
    const pull = createPull(h.gh, { repo: APP, base: { 'README.md': 'app\n' }, head: { [CI]: calling(jobs) } });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    const updates = run.requests.slice(1) as { status?: string; conclusion?: string; output: { annotations?: unknown[] } }[];
    expect(updates.map((body) => [body.status, body.conclusion, body.output.annotations?.length])).toEqual([
      [undefined, undefined, 50],
      [undefined, undefined, 50],
      ['completed', 'failure', 20],
    ]);
    expect(run.output.title).toBe('120 policy violations in 1 workflow');
    expect(run.annotations.map((annotation) => annotation.start_line)).toEqual(Array.from({ length: 120 }, (_, index) => 4 + 2 * index));
    // One review, with as many suggestions as a review carries.
    expect(h.gh.count(REVIEWS)).toBe(1);
    const review = h.gh.requests.find((entry) => entry.route === REVIEWS)?.body as { comments: { line: number }[] };
    expect(review.comments.map((comment) => comment.line)).toEqual(Array.from({ length: MAX_SUGGESTIONS }, (_, index) => 4 + 2 * index));
  });
});
