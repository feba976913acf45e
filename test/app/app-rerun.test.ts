// Full flows of the deliveries that evaluate again or act on a check run: merge_group, check_run rerequested,
// check_suite rerequested, and the "Pin all" requested action (same repository, and a fork).
import {
  addLib,
  APP,
  CALLABLE,
  calling,
  CHECK_RUNS,
  checkRunPayload,
  checkSuitePayload,
  CI,
  COMPARE,
  createPull,
  expectSettled,
  GET_CHECK_RUN,
  LIB,
  LIB_WF,
  mergeGroupPayload,
  PULL,
  PULL_FILES,
  pullRequestPayload,
  pushPayload,
  REVIEWS,
  startHarness,
  type AppHarness,
  type PullInfo,
} from '../support/app.js';

const GIT_ROUTES = ['GET /repos/{owner}/{repo}/git/ref/{ref}', 'GET /repos/{owner}/{repo}/git/commits/{commit_sha}', 'POST /repos/{owner}/{repo}/git/trees', 'POST /repos/{owner}/{repo}/git/commits', 'PATCH /repos/{owner}/{repo}/git/refs/{ref}'];

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


/** octo-org/app's PR #7 adding ci.yml with an unpinned call on line 4 (and a pinned-by-tag one on line 6 when asked). */
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

describe('merge_group checks_requested', () => {
  it('evaluates the merge group’s head commit, with the files from the compare API', async () => {
    addLib(h.gh);
    h.gh.addRepo(APP);
    const base = h.gh.commit(APP, { 'README.md': 'app\n' }, { branch: 'main' });
    const head = h.gh.commit(APP, { 'README.md': 'app\n', [CI]: calling({ call: `${LIB_WF}@main` }) }, { parents: [base] });
    const ref = `refs/heads/gh-readonly-queue/main/pr-7-${base}`;
    await h.receive('merge_group', mergeGroupPayload(h.gh, APP, { headSha: head, baseSha: base, headRef: ref, baseRef: 'refs/heads/main' }));
    expect(h.gh.checkRuns).toHaveLength(1);
    const run = h.gh.checkRuns[0]!;
    expect(run).toMatchObject({ head_sha: head, conclusion: 'failure', external_id: JSON.stringify({ mergeGroup: { base, head, ref } }) });
    expect(run.annotations.map((annotation) => [annotation.path, annotation.start_line, annotation.title])).toEqual([[CI, 4, 'pinning: reusable workflow not pinned to a verified commit']]);
    expect(h.gh.requests.filter((entry) => entry.route === COMPARE).map((entry) => entry.path)).toEqual([`/repos/octo-org/app/compare/${base}...${head}`]);
    // No pull request: no files API, no review, no "Pin all".
    expect(h.gh.count(PULL_FILES) + h.gh.count(REVIEWS)).toBe(0);
    expect(run.actions).toEqual([]);
  });

  it('a re-run of the merge group’s check evaluates the same commits again, from its external_id', async () => {
    addLib(h.gh);
    h.gh.addRepo(APP);
    const base = h.gh.commit(APP, { 'README.md': 'app\n' }, { branch: 'main' });
    const head = h.gh.commit(APP, { 'README.md': 'app\n', [CI]: calling({ call: `${LIB_WF}@main` }) }, { parents: [base] });
    const ref = `refs/heads/gh-readonly-queue/main/pr-7-${base}`;
    await h.receive('merge_group', mergeGroupPayload(h.gh, APP, { headSha: head, baseSha: base, headRef: ref, baseRef: 'refs/heads/main' }));
    await h.receive('check_run', checkRunPayload(h.gh, 'rerequested', h.gh.checkRuns[0]!));
    expect(h.gh.checkRuns.map((run) => [run.head_sha, run.conclusion])).toEqual([
      [head, 'failure'],
      [head, 'failure'],
    ]);
    expect(h.gh.count(COMPARE)).toBe(2);
  });
});

describe('check_run rerequested', () => {
  it('evaluates the pull request named in external_id again, at its current head, and reports a ref that moved in between', async () => {
    const pull = unpinnedPull();
    const before = h.gh.repo(LIB).branches.get('main')!;
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    // other-org/lib's main moves; its push clears the cached ref.
    const after = h.gh.commit(LIB, { '.github/workflows/x.yml': CALLABLE.replace('echo', 'echo moved') }, { branch: 'main' });
    await h.receive('push', pushPayload(h.gh, LIB, { ref: 'refs/heads/main', before, after }));
    // GitHub lists no pull request on the event (as for forks): the external_id is what names it.
    await h.receive('check_run', checkRunPayload(h.gh, 'rerequested', h.gh.checkRuns[0]!, { pullRequests: [] }));
    expect(h.gh.checkRuns).toHaveLength(2);
    const rerun = h.gh.checkRuns[1]!;
    expect(rerun).toMatchObject({ head_sha: pull.headSha, conclusion: 'failure', external_id: '{"pull":7}' });
    expect(h.gh.requests.filter((entry) => entry.route === PULL).map((entry) => entry.path)).toEqual(['/repos/octo-org/app/pulls/7']);
    expect(rerun.output.summary).toContain(
      `#### Refs moved since the last evaluation\nA re-run of all jobs runs a tag or branch as it is now, not the code checked before: pin these calls to a commit SHA.\n- \`${LIB_WF}@main\` moved from \`${before.slice(0, 7)}\` to \`${after.slice(0, 7)}\` since the last evaluation.`,
    );
    expect(h.gh.checkRuns[0]!.output.summary).not.toContain('Refs moved');
  });

  it('a check run with no origin of ours and no pull request: nothing is evaluated', async () => {
    const pull = unpinnedPull();
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const foreign = { ...h.gh.checkRuns[0]!, external_id: '' };
    h.gh.clearLog();
    await h.receive('check_run', checkRunPayload(h.gh, 'rerequested', foreign, { pullRequests: [] }));
    expect(h.gh.requests).toEqual([]);
  });
});

describe('check_suite rerequested', () => {
  it('evaluates the suite’s pull request again', async () => {
    const pull = unpinnedPull();
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    await h.receive('check_suite', checkSuitePayload(h.gh, APP, { headSha: pull.headSha, pullRequests: [7] }));
    expect(h.gh.checkRuns.map((run) => [run.head_sha, run.status, run.conclusion])).toEqual([
      [pull.headSha, 'completed', 'failure'],
      [pull.headSha, 'completed', 'failure'],
    ]);
  });

  it('a fork’s suite lists no pull request: the pull request is found from the suite’s own check run', async () => {
    const pull = unpinnedPull({ fork: 'contributor/app' });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    await h.receive('check_suite', checkSuitePayload(h.gh, APP, { headSha: pull.headSha, pullRequests: [] }));
    expect(h.gh.checkRuns.map((run) => [run.head_sha, run.conclusion])).toEqual([
      [pull.headSha, 'failure'],
      [pull.headSha, 'failure'],
    ]);
  });
});

describe('check_run requested_action "Pin all"', () => {
  it('same repository: one commit with the pins on the PR branch, and the check run says so', async () => {
    const pull = unpinnedPull();
    const libMain = h.gh.repo(LIB).branches.get('main')!;
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = h.gh.checkRuns[0]!;
    const details = run.output.text;
    h.gh.clearLog();
    await h.receive('check_run', checkRunPayload(h.gh, 'requested_action', run, { identifier: 'pin-all' }));
    const branch = h.gh.repo(APP).branches.get('feature')!;
    expect(branch).not.toBe(pull.headSha);
    expect(h.gh.repo(APP).parents.get(branch)).toEqual([pull.headSha]);
    expect(h.gh.repo(APP).commits.get(branch)?.get(CI)).toBe(calling({ call: `${LIB_WF}@${libMain} # main` }));
    const commits = h.gh.requests.filter((entry) => entry.route === 'POST /repos/{owner}/{repo}/git/commits');
    expect(commits.map((entry) => (entry.body as { message: string }).message)).toEqual(['Pin reusable workflows and actions to commit SHAs\n\nRequested from the Workflow policy check run.']);
    expect(h.gh.requests.filter((entry) => entry.route === 'PATCH /repos/{owner}/{repo}/git/refs/{ref}').map((entry) => entry.body)).toEqual([{ sha: branch, force: false }]);
    // No new check run from the action itself (the push that follows triggers one); this one's text tells what happened.
    expect(h.gh.count(CHECK_RUNS)).toBe(0);
    expect(h.gh.count(GET_CHECK_RUN)).toBe(1);
    expect(h.gh.checkRuns).toHaveLength(1);
    expect(run.output.text).toBe(
      `### Pin all\nPinned 1 call in 1 file with commit ${branch.slice(0, 7)}. A new evaluation runs on that commit.\n\n---\n\n${details ?? ''}`,
    );
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure' });
    expect(run.annotations).toHaveLength(1);
  });

  it('a fork: no commit, the check run explains what to pin by hand', async () => {
    const pull = unpinnedPull({ fork: 'contributor/app' });
    const libMain = h.gh.repo(LIB).branches.get('main')!;
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = h.gh.checkRuns[0]!;
    h.gh.clearLog();
    await h.receive('check_run', checkRunPayload(h.gh, 'requested_action', run, { identifier: 'pin-all' }));
    expect(h.gh.requests.filter((entry) => entry.route !== undefined && GIT_ROUTES.includes(entry.route))).toEqual([]);
    expect(run.output.text).toContain(
      `### Pin all\nThis pull request comes from the fork contributor/app, and a GitHub App cannot push to a fork's branch. Apply these pins by hand:\n\n- \`${CI}\` line 4 (job \`call\`): \`uses: ${LIB_WF}@${libMain} # main\``,
    );
  });

  it('another action identifier: nothing happens', async () => {
    const pull = unpinnedPull();
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    h.gh.clearLog();
    await h.receive('check_run', checkRunPayload(h.gh, 'requested_action', h.gh.checkRuns[0]!, { identifier: 'something-else' }));
    expect(h.gh.requests).toEqual([]);
  });
});
