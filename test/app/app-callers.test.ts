// The callee side through the whole app: a push to a default branch indexes its calls; a pull request to a shared
// workflow sees the callers it would break; a tag that callers name moving gets their default branches evaluated
// again, with a check run on each head that says why.
import type { CallerRecord } from '../../src/callers/port.js';
import { CALLABLE, createPull, expectSettled, installationPayload, POLICY_PATH, POLICY_REPO, pullRequestPayload, pushPayload, startHarness, until, type AppHarness, type HarnessOptions } from '../support/app.js';
import type { LoggedRequest } from '../support/fake-github.js';

const SHARED = 'octo-org/shared';
const WEB = 'octo-org/web';
const DEPLOY = '.github/workflows/deploy.yml';
const CI = '.github/workflows/ci.yml';
const ZERO = '0'.repeat(40);
/** The installation of every payload the harness builds. */
const SCOPE = 'github.com#31337';

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

/** A request as `GET /path` or `graphql Operation`. */
function label(entry: LoggedRequest): string {
  if (entry.graphql !== undefined) return `graphql ${entry.graphql.operationName ?? /query\s+(\w+)/.exec(entry.graphql.query)?.[1] ?? '?'}`;
  return `${entry.method} ${entry.path.split('?')[0] ?? ''}`;
}

/** The records of the callers of octo-org/shared, as [caller, file, job, line, ref, commit, source], in caller order. */
async function sharedCallers(): Promise<(string | number)[][]> {
  const records = await h.services.callers.callersOfRepository(SCOPE, { owner: 'octo-org', name: 'shared' });
  return records
    .map((record: CallerRecord) => [`${record.caller.repo.owner}/${record.caller.repo.name}`, record.caller.path, record.caller.jobId, record.caller.line, record.ref, record.caller.commit, record.caller.source])
    .sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

describe('the backfill of an installation’s callers index', () => {
  /** octo-org/shared, and each of `names` calling its deploy.yml `@main` from ci.yml on its default branch; the installation lists them all. */
  function installationOf(names: string[]): Map<string, string> {
    h.gh.addRepo(SHARED);
    h.gh.commit(SHARED, { [DEPLOY]: CALLABLE }, { branch: 'main' });
    const heads = new Map<string, string>();
    for (const name of names) {
      h.gh.addRepo(name);
      heads.set(name, h.gh.commit(name, { [CI]: `on: push\njobs:\n  deploy:\n    uses: ${SHARED}/${DEPLOY}@main\n` }, { branch: 'main' }));
    }
    h.gh.installation({ repositories: [SHARED, ...names] });
    return heads;
  }

  /** A later delivery of the same installation that costs GitHub nothing itself: a push to a branch nobody calls. */
  async function laterDelivery(): Promise<string[]> {
    const before = h.gh.requests.length;
    await h.receive('push', pushPayload(h.gh, SHARED, { ref: 'refs/heads/topic', before: ZERO, after: 'a'.repeat(40) }));
    return h.gh.requests.slice(before).map(label);
  }

  async function restart(options: HarnessOptions): Promise<void> {
    await h.close();
    h = await startHarness(options);
  }

  const caller = (name: string, head: string) => [name, CI, 'deploy', 4, 'main', head, 'default-branch'];

  it('stops at a repository GitHub fails for, and a later delivery of the installation resumes it there and completes it', async () => {
    const heads = installationOf(['octo-org/a', 'octo-org/b', 'octo-org/c']);
    h.gh.failRepository('octo-org/b', 500);
    await h.receive('installation', installationPayload('installation', 'created'));
    // octo-org/a indexed, octo-org/b answered 500: the cursor waits there.
    expect(await h.services.callers.readCursor(SCOPE)).toEqual({ after: 'octo-org/a', indexed: 1, failed: { repository: 'octo-org/b', attempts: 1 }, complete: false });
    expect(await sharedCallers()).toEqual([caller('octo-org/a', heads.get('octo-org/a')!)]);

    h.gh.restoreRepository('octo-org/b');
    // The next delivery lists the repositories and reads those left, from the cursor on: octo-org/a is not read again.
    expect(await laterDelivery()).toEqual(['GET /installation/repositories', ...Array.from({ length: 3 }, () => 'graphql WardenDefaultBranch')]);
    expect(h.gh.graphqlRequests().slice(-3).map((entry) => entry.graphql?.variables.name)).toEqual(['b', 'c', 'shared']);
    expect(await h.services.callers.readCursor(SCOPE)).toEqual({ after: 'octo-org/shared', indexed: 4, complete: true });
    expect(await sharedCallers()).toEqual([caller('octo-org/a', heads.get('octo-org/a')!), caller('octo-org/b', heads.get('octo-org/b')!), caller('octo-org/c', heads.get('octo-org/c')!)]);

    // Complete: later deliveries cost GitHub nothing for it.
    expect(await laterDelivery()).toEqual([]);
  });

  it('an installation with more repositories than one chunk is indexed a chunk per delivery, until complete', async () => {
    await restart({ env: { WARDEN_BACKFILL_PER_RUN: '2' } });
    const names = ['octo-org/a', 'octo-org/b', 'octo-org/c', 'octo-org/d'];
    const heads = installationOf(names);
    const chunk = (repositories: number) => ['GET /installation/repositories', ...Array.from({ length: repositories }, () => 'graphql WardenDefaultBranch')];

    const before = h.gh.requests.length;
    await h.receive('installation', installationPayload('installation', 'created'));
    expect(h.gh.requests.slice(before).map(label)).toEqual(chunk(2));
    expect(await h.services.callers.readCursor(SCOPE)).toEqual({ after: 'octo-org/b', indexed: 2, complete: false });

    expect(await laterDelivery()).toEqual(chunk(2));
    expect(await h.services.callers.readCursor(SCOPE)).toEqual({ after: 'octo-org/d', indexed: 4, complete: false });
    // octo-org/shared, last in name order, is the third chunk's one repository.
    expect(await laterDelivery()).toEqual(chunk(1));
    expect(await h.services.callers.readCursor(SCOPE)).toEqual({ after: 'octo-org/shared', indexed: 5, complete: true });
    expect(await sharedCallers()).toEqual(names.map((name) => caller(name, heads.get(name)!)));

    expect(await laterDelivery()).toEqual([]);
    expect(await laterDelivery()).toEqual([]);
  });

  it('runs one chunk at a time per installation: a delivery arriving while one runs leaves it alone', async () => {
    installationOf(['octo-org/a', 'octo-org/b']);
    h.gh.slowRepository('octo-org/a', 150);
    const created = h.receive('installation', installationPayload('installation', 'created'));
    await until(() => h.gh.count('GET /installation/repositories') === 1);
    await laterDelivery();
    await created;
    expect(h.gh.requests.map(label)).toEqual(['GET /installation/repositories', 'graphql WardenDefaultBranch', 'graphql WardenDefaultBranch', 'graphql WardenDefaultBranch']);
    expect(await h.services.callers.readCursor(SCOPE)).toEqual({ after: 'octo-org/shared', indexed: 3, complete: true });
  });

  it('a pull request’s verdict is never held up by the backfill: the chunk starts once its check run is completed', async () => {
    await restart({ env: { WARDEN_BACKFILL_PER_RUN: '1' } });
    installationOf(['octo-org/a', 'octo-org/b']);
    await h.receive('installation', installationPayload('installation', 'created'));
    const pull = createPull(h.gh, { repo: SHARED, base: { [DEPLOY]: CALLABLE }, head: { [DEPLOY]: NEEDS_TARGET }, number: 12 });
    const before = h.gh.requests.length;
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const requests = h.gh.requests.slice(before).map((entry) => entry.route ?? label(entry));
    const completed = requests.lastIndexOf('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}');
    expect(completed).toBeGreaterThan(-1);
    expect(requests.slice(completed + 1)).toEqual(['GET /installation/repositories', 'POST /graphql']);
    expect(await h.services.callers.readCursor(SCOPE)).toEqual({ after: 'octo-org/b', indexed: 2, complete: false });
  });
});

describe('an evaluation writes the index', () => {
  const SETUP = 'name: setup\nruns:\n  using: composite\n  steps:\n    - run: echo\n      shell: bash\n';
  const BASE_CI = 'on: pull_request\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n';

  it('a pull request’s evaluation records its calls as pull/<n>, resolved; a later evaluation of the same pull request replaces them', async () => {
    h.gh.addRepo(SHARED);
    const tagged = h.gh.commit(SHARED, { [DEPLOY]: NEEDS_TARGET }, { branch: 'main' });
    h.gh.tag(SHARED, 'v1', tagged);
    const main = h.gh.commit(SHARED, { [DEPLOY]: NEEDS_TARGET, 'setup/action.yml': SETUP }, { parents: [tagged], branch: 'main' });
    h.gh.addRepo(WEB, { visibility: 'private' });
    const head = [
      'on: pull_request',
      'jobs:',
      '  build:',
      '    runs-on: ubuntu-latest',
      '    steps:',
      `      - uses: ${SHARED}/setup@main`,
      '  deploy:',
      `    uses: ${SHARED}/${DEPLOY}@v1`,
      '    with:',
      '      target: production',
      '',
    ].join('\n');
    const pull = createPull(h.gh, { repo: WEB, base: { [CI]: BASE_CI }, head: { [CI]: head }, number: 5, headRef: 'release' });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    expect(h.gh.checkRuns.map((run) => [run.head_sha, run.conclusion])).toEqual([[pull.headSha, 'success']]);

    const caller = { repo: { owner: 'octo-org', name: 'web' }, visibility: 'private', path: CI, commit: pull.headSha, branch: 'release', source: 'pull/5' };
    const records = async () =>
      (await h.services.callers.callersOfRepository(SCOPE, { owner: 'octo-org', name: 'shared' })).sort((a, b) => a.callee.kind.localeCompare(b.callee.kind));
    expect(await records()).toEqual([
      {
        callee: { kind: 'action', repo: { owner: 'octo-org', name: 'shared' }, path: 'setup' },
        caller: { ...caller, jobId: 'build', step: 0, line: 6 },
        ref: 'main',
        refKind: 'named',
        resolved: main,
        inputs: {},
      },
      {
        callee: { kind: 'workflow', repo: { owner: 'octo-org', name: 'shared' }, path: DEPLOY },
        caller: { ...caller, jobId: 'deploy', line: 8 },
        ref: 'v1',
        refKind: 'named',
        resolved: tagged,
        inputs: { target: 'string' },
      },
    ]);

    // The pull request moves on: its new head calls the workflow by its SHA and no action any more.
    const next = h.gh.commit(WEB, { [CI]: `on: pull_request\njobs:\n  ship:\n    uses: ${SHARED}/${DEPLOY}@${main}\n    with:\n      target: staging\n` }, { parents: [pull.headSha], branch: 'release' });
    h.gh.movePull(WEB, 5, next);
    await h.receive('pull_request', pullRequestPayload(h.gh, 'synchronize', { ...pull, headSha: next }));
    expect(await records()).toEqual([
      {
        callee: { kind: 'workflow', repo: { owner: 'octo-org', name: 'shared' }, path: DEPLOY },
        caller: { ...caller, commit: next, jobId: 'ship', line: 4 },
        ref: main,
        refKind: 'sha',
        resolved: main,
        inputs: { target: 'string' },
      },
    ]);
  });
});

describe('a caller’s own policy, loaded as the app loads it', () => {
  it('a new third-party call that only one caller’s tightened allowed-sources forbids (repo-policy: tighten-only) is a caller-impact warning naming that caller', async () => {
    // The organization allows its own workflows and stranger/*, and lets repositories tighten that for themselves.
    h.gh.addRepo(POLICY_REPO);
    h.gh.commit(POLICY_REPO, { [POLICY_PATH]: 'version: 1\nrepo-policy: tighten-only\nrules:\n  allowed-sources:\n    allow: ["octo-org/*", "stranger/*"]\n' }, { branch: 'main' });
    h.gh.addRepo('stranger/tool');
    const tool = h.gh.commit('stranger/tool', { 'action.yml': 'name: tool\nruns:\n  using: composite\n  steps:\n    - run: echo\n      shell: bash\n' }, { branch: 'main' });
    h.gh.addRepo(SHARED);
    h.gh.commit(SHARED, { [DEPLOY]: CALLABLE }, { branch: 'main' });
    const calls = `on: push\njobs:\n  deploy:\n    uses: ${SHARED}/${DEPLOY}@main\n`;
    // octo-org/web allows only the organization's own sources; octo-org/lax has no policy of its own.
    h.gh.addRepo(WEB);
    const web = h.gh.commit(WEB, { [CI]: calls, [POLICY_PATH]: 'version: 1\nrules:\n  allowed-sources:\n    allow: ["octo-org/*"]\n' }, { branch: 'main' });
    h.gh.addRepo('octo-org/lax');
    const lax = h.gh.commit('octo-org/lax', { [CI]: calls }, { branch: 'main' });
    await h.receive('push', pushPayload(h.gh, WEB, { ref: 'refs/heads/main', before: ZERO, after: web }));
    await h.receive('push', pushPayload(h.gh, 'octo-org/lax', { ref: 'refs/heads/main', before: ZERO, after: lax }));

    // The callee's pull request adds a step running stranger/tool, pinned: the organization's policy allows it.
    const head = `on: workflow_call\njobs:\n  run:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: stranger/tool@${tool}\n`;
    const pull = createPull(h.gh, { repo: SHARED, base: { [DEPLOY]: CALLABLE }, head: { [DEPLOY]: head }, number: 14 });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = h.gh.checkRuns.find((entry) => entry.head_sha === pull.headSha)!;
    const annotations = run.annotations.map((annotation) => [annotation.title, annotation.path, annotation.start_line, annotation.annotation_level]);
    // Nothing but the impact: the change passes the organization's policy.
    expect(annotations).toEqual([['caller-impact: change breaks or weakens callers of this workflow or action', DEPLOY, 6, 'warning']]);
    const [impact] = run.annotations;
    expect(impact!.message).toContain(`stranger/tool@${tool} matches no pattern in rules.allowed-sources.allow`);
    expect(impact!.message).toContain(`which hurts 1 caller: ${WEB} ${CI}:4 (job deploy, @main)`);
    expect(JSON.stringify(run.annotations)).not.toContain('octo-org/lax');
    expect(run.conclusion).not.toBe('failure');
  });
});

describe('a pull request to an action (its action.yml)', () => {
  const SETUP = 'setup/action.yml';
  const BASE_SETUP = "name: setup\ninputs:\n  verbose:\n    default: 'false'\nruns:\n  using: composite\n  steps:\n    - run: make\n      shell: bash\n";
  /** The check-run routes of GitHub's REST API the app completes a run with. */
  const CHECK_RUN_WRITES = ['POST /repos/{owner}/{repo}/check-runs', 'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}'];

  /**
   * octo-org/shared with setup/action.yml on main; octo-org/web running it `@main` passing verbose (with its own
   * `webPolicy`, if given), octo-org/pinned by its SHA; both indexed by a push.
   */
  async function indexedSteps(webPolicy?: string): Promise<string> {
    h.gh.addRepo(SHARED);
    const shared = h.gh.commit(SHARED, { [SETUP]: BASE_SETUP }, { branch: 'main' });
    const step = (ref: string, inputs: string) => `on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ${SHARED}/setup@${ref}\n${inputs}`;
    for (const [name, text] of [
      [WEB, step('main', '        with:\n          verbose: true\n')],
      ['octo-org/pinned', step(shared, '')],
    ] as const) {
      h.gh.addRepo(name);
      const head = h.gh.commit(name, { [CI]: text, ...(name === WEB && webPolicy !== undefined && { [POLICY_PATH]: webPolicy }) }, { branch: 'main' });
      await h.receive('push', pushPayload(h.gh, name, { ref: 'refs/heads/main', before: ZERO, after: head }));
    }
    return shared;
  }

  it('an input made required and one removed: warnings at the action’s lines naming the step that breaks; the SHA-pinned step counted', async () => {
    await indexedSteps();
    const head = BASE_SETUP.replace("  verbose:\n    default: 'false'\n", '  token:\n    required: true\n');
    const pull = createPull(h.gh, { repo: SHARED, base: { [SETUP]: BASE_SETUP }, head: { [SETUP]: head }, number: 21 });
    const before = h.gh.requests.length;
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const writes = h.gh.requests.slice(before).filter((entry) => CHECK_RUN_WRITES.includes(entry.route ?? ''));
    const completed = writes.at(-1)!.body as { head_sha?: string; status: string; conclusion: string; output: { title: string; summary: string; annotations: Record<string, unknown>[] } };
    // Warnings only: the runner enforces no action input, so nothing here fails a caller's run.
    expect([completed.status, completed.conclusion]).toEqual(['completed', 'neutral']);
    expect(completed.output.title).toBe('2 warnings');
    expect(completed.output.summary).toContain('Passed with 2 warnings in 1 file\n');
    const title = 'caller-impact: change breaks or weakens callers of this workflow or action';
    expect(completed.output.annotations).toEqual([
      {
        path: SETUP,
        start_line: 1,
        end_line: 1,
        start_column: 1,
        end_column: 1,
        annotation_level: 'warning',
        title,
        message:
          `Input verbose is no longer declared, but is passed, which hurts 1 caller: ${WEB} ${CI}:6 (job build, @main). ` +
          'The runner warns of an unexpected input and the action ignores it, once this merges into main.',
      },
      {
        path: SETUP,
        start_line: 3,
        end_line: 3,
        start_column: 3,
        end_column: 7,
        annotation_level: 'warning',
        title,
        message:
          `Input token is now required and has no default, but is not passed, which hurts 1 caller: ${WEB} ${CI}:6 (job build, @main). ` +
          "GitHub's runner does not fail a step for a missing action input: it is the action's own code that fails without it, once this merges into main.",
      },
    ]);
    expect(completed.output.summary).toContain('- `setup/action.yml`: 2 steps from other repositories — 1 reached when this merges into `main`, 1 pinned to a commit SHA (not reached).');
    expect(JSON.stringify(completed.output)).not.toContain('octo-org/pinned');
  });

  it('an action.yml that no other repository runs (a test fixture, broken on purpose) is not a top-level file; one that is run still is', async () => {
    await indexedSteps();
    const FIXTURE = 'test/fixtures/broken/action.yml';
    const head = BASE_SETUP.replace("  verbose:\n    default: 'false'\n", '  token:\n    required: true\n');
    const pull = createPull(h.gh, { repo: SHARED, base: { [SETUP]: BASE_SETUP }, head: { [SETUP]: head, [FIXTURE]: 'runs:\n  using: nonsense\n' }, number: 23 });
    const before = h.gh.requests.length;
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const writes = h.gh.requests.slice(before).filter((entry) => CHECK_RUN_WRITES.includes(entry.route ?? ''));
    const completed = writes.at(-1)!.body as { conclusion: string; output: { annotations: { path: string; annotation_level: string }[] } };
    expect(completed.conclusion).toBe('neutral');
    expect(completed.output.annotations.map((annotation) => [annotation.path, annotation.annotation_level])).toEqual([
      [SETUP, 'warning'],
      [SETUP, 'warning'],
    ]);
  });

  it('a pull request touching only an action.yml nobody runs has nothing to check, even under a broken policy', async () => {
    h.gh.addRepo(POLICY_REPO);
    h.gh.commit(POLICY_REPO, { [POLICY_PATH]: 'version: 1\nrules: [broken\n' }, { branch: 'main' });
    await indexedSteps();
    const pull = createPull(h.gh, { repo: SHARED, base: { [SETUP]: BASE_SETUP }, head: { [SETUP]: BASE_SETUP, 'examples/demo/action.yml': 'runs:\n  using: nonsense\n' }, number: 24 });
    const before = h.gh.requests.length;
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const writes = h.gh.requests.slice(before).filter((entry) => CHECK_RUN_WRITES.includes(entry.route ?? ''));
    const completed = writes.at(-1)!.body as { status: string; conclusion: string; output: { title: string; annotations?: unknown[] } };
    expect([completed.status, completed.conclusion, completed.output.annotations ?? []]).toEqual(['completed', 'success', []]);
    expect(completed.output.title).toBe('No workflow changes');
  });

  it('an action only its own repository runs is checked through the workflows running it by ./ when it changes', async () => {
    h.gh.addRepo(SHARED);
    h.gh.addRepo('stranger/tool');
    const tool = h.gh.commit('stranger/tool', { 'action.yml': 'name: tool\nruns:\n  using: node24\n  main: index.js\n' }, { branch: 'main' });
    h.gh.tag('stranger/tool', 'v1', tool);
    h.gh.addRepo('actions/checkout');
    const checkout = h.gh.commit('actions/checkout', { 'action.yml': 'name: checkout\nruns:\n  using: node24\n  main: index.js\n' }, { branch: 'main' });
    h.gh.tag('actions/checkout', 'v4', checkout);
    const ci = `on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@${checkout} # v4\n      - uses: ./setup\n`;
    const head = BASE_SETUP.replace('      shell: bash\n', '      shell: bash\n    - uses: stranger/tool@v1\n');
    const pull = createPull(h.gh, { repo: SHARED, base: { [SETUP]: BASE_SETUP, [CI]: ci }, head: { [SETUP]: head, [CI]: ci }, number: 25 });
    const before = h.gh.requests.length;
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const writes = h.gh.requests.slice(before).filter((entry) => CHECK_RUN_WRITES.includes(entry.route ?? ''));
    const completed = writes.at(-1)!.body as { conclusion: string; output: { annotations: { path: string; start_line: number; title: string }[] } };
    // The unpinned action the change adds to ./setup, at the step of ci.yml that runs it.
    expect(completed.conclusion).toBe('failure');
    expect(completed.output.annotations.map((annotation) => [annotation.path, annotation.start_line, annotation.title])).toEqual([
      [CI, 7, 'pinning: action not pinned to a verified commit (in an action it runs)'],
    ]);
  });

  it('a composite action’s new third-party step that one caller’s own policy forbids is a caller-impact warning naming that caller', async () => {
    h.gh.addRepo(POLICY_REPO);
    h.gh.commit(POLICY_REPO, { [POLICY_PATH]: 'version: 1\nrepo-policy: tighten-only\nrules:\n  allowed-sources:\n    allow: ["octo-org/*", "stranger/*"]\n' }, { branch: 'main' });
    h.gh.addRepo('stranger/tool');
    const tool = h.gh.commit('stranger/tool', { 'action.yml': 'name: tool\nruns:\n  using: node24\n  main: index.js\n' }, { branch: 'main' });
    // octo-org/web allows only the organization's own sources; octo-org/pinned is not reached at all.
    await indexedSteps('version: 1\nrules:\n  allowed-sources:\n    allow: ["octo-org/*"]\n');

    const head = BASE_SETUP.replace('      shell: bash\n', `      shell: bash\n    - uses: stranger/tool@${tool}\n`);
    const pull = createPull(h.gh, { repo: SHARED, base: { [SETUP]: BASE_SETUP }, head: { [SETUP]: head }, number: 22 });
    const before = h.gh.requests.length;
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const writes = h.gh.requests.slice(before).filter((entry) => CHECK_RUN_WRITES.includes(entry.route ?? ''));
    const completed = writes.at(-1)!.body as { conclusion: string; output: { annotations: Record<string, unknown>[] } };
    expect(completed.conclusion).toBe('neutral');
    expect(completed.output.annotations).toEqual([
      {
        path: SETUP,
        start_line: 10,
        end_line: 10,
        start_column: 13,
        end_column: 12 + `stranger/tool@${tool}`.length,
        annotation_level: 'warning',
        title: 'caller-impact: change breaks or weakens callers of this workflow or action',
        message:
          `A call this change adds breaks the callers' own allowed-sources rule (stranger/tool@${tool} matches no pattern in rules.allowed-sources.allow: only actions the organization allows may run, transitive uses included), ` +
          `which hurts 1 caller: ${WEB} ${CI}:6 (job build, @main). Their own policy reports it once this merges into main.`,
      },
    ]);
  });
});
