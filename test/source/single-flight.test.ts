// Single flight (src/source/single-flight.ts) over a source whose answers the test releases: concurrent levels
// needing the same file at the same ref make one read, a read that fails is read again by who joined it, levels
// asked within a batch window are read as one level (each getting only its own answer), and installations
// (cache scopes) never share.
import { repoKey, type RepoId, type RepoMetadata } from '../../src/graph/types.js';
import type { LevelRequest, LevelResult, WorkflowFileRequest, WorkflowSource } from '../../src/source/port.js';
import nock from 'nock';
import { ProbotOctokit } from 'probot';
import { GitHubSource } from '../../src/source/github.js';
import { flightsInProgress, SingleFlightSource } from '../../src/source/single-flight.js';
import { FakeGitHub } from '../support/fake-github.js';

const LIB: RepoId = { owner: 'other-org', name: 'lib' };
const TOOLS: RepoId = { owner: 'other-org', name: 'tools' };
const X_AT_V1: WorkflowFileRequest = { repo: LIB, path: '.github/workflows/x.yml', ref: { kind: 'named', name: 'v1' } };
const Y_AT_MAIN: WorkflowFileRequest = { repo: TOOLS, path: '.github/workflows/y.yml', ref: { kind: 'named', name: 'main' } };
const DEPLOY: RepoId = { owner: 'other-org', name: 'deploy' };
const Z_AT_SHA: WorkflowFileRequest = { repo: DEPLOY, path: '.github/workflows/z.yml', ref: { kind: 'commit', sha: 'c'.repeat(40) } };
const SETUP: RepoId = { owner: 'other-org', name: 'setup' };

const metadata = (repo: RepoId): RepoMetadata => ({ repo, visibility: 'public', archived: false, defaultBranch: 'main' });

/** A source that records each level asked and answers it when the test says so (or fails it). */
class HeldSource implements WorkflowSource {
  readonly host = 'github.com';
  readonly asked: LevelRequest[] = [];
  private readonly held: { request: LevelRequest; answer: (result: LevelResult) => void; fail: (error: Error) => void }[] = [];

  fetchLevel(request: LevelRequest): Promise<LevelResult> {
    this.asked.push(request);
    return new Promise((resolve, reject) => this.held.push({ request, answer: resolve, fail: reject }));
  }

  async fetchActionsAccess() {
    return new Map();
  }

  release(index = 0): void {
    const { request, answer } = this.held[index]!;
    const repos = new Map([...request.files.map((file) => file.repo), ...request.repos].map((repo) => [repoKey(repo), metadata(repo)]));
    answer({ files: request.files.map((file) => ({ ok: true, commit: 'a'.repeat(40), text: `read ${file.path}` })), repos });
  }

  failFirst(): void {
    this.fail(0);
  }

  fail(index: number): void {
    this.held[index]!.fail(new Error('GitHub answered 502'));
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const read = (file: WorkflowFileRequest) => ({ ok: true, commit: 'a'.repeat(40), text: `read ${file.path}` });
/** Single flight with batches sent after one event-loop turn: a level asked after a `tick` finds the one before in flight. */
const unbatched = (inner: WorkflowSource, scope = 'github.com#1') => new SingleFlightSource(inner, scope, { batchWindowMs: 0 });

it('two levels needing x.yml@v1 at once: one read of it; the second asks only for what it alone needs', async () => {
  const inner = new HeldSource();
  const first = unbatched(inner).fetchLevel({ files: [X_AT_V1], repos: [] });
  await tick();
  const second = unbatched(inner).fetchLevel({ files: [X_AT_V1, Y_AT_MAIN], repos: [] });
  await tick();
  expect(inner.asked).toEqual([{ files: [X_AT_V1], repos: [] }, { files: [Y_AT_MAIN], repos: [] }]);
  inner.release(0);
  inner.release(1);
  const [a, b] = await Promise.all([first, second]);
  expect(a.files).toEqual([{ ok: true, commit: 'a'.repeat(40), text: 'read .github/workflows/x.yml' }]);
  expect(b.files).toEqual([a.files[0], { ok: true, commit: 'a'.repeat(40), text: 'read .github/workflows/y.yml' }]);
  expect([...b.repos.keys()].sort()).toEqual(['other-org/lib', 'other-org/tools']);
  expect(flightsInProgress('github.com#1')).toBe(0);
});

it('another installation reads for itself: nothing read for one is handed to the other', async () => {
  const inner = new HeldSource();
  const first = new SingleFlightSource(inner, 'github.com#1').fetchLevel({ files: [X_AT_V1], repos: [] });
  const other = new SingleFlightSource(inner, 'github.com#2').fetchLevel({ files: [X_AT_V1], repos: [] });
  await sleep(10);
  expect(inner.asked).toEqual([{ files: [X_AT_V1], repos: [] }, { files: [X_AT_V1], repos: [] }]);
  inner.release(0);
  inner.release(1);
  await Promise.all([first, other]);
});

it('the read a level joined fails as a whole: the joiner reads the file itself; the first sees the failure', async () => {
  const inner = new HeldSource();
  const first = unbatched(inner).fetchLevel({ files: [X_AT_V1], repos: [] });
  await tick();
  const second = unbatched(inner).fetchLevel({ files: [X_AT_V1], repos: [LIB] });
  await tick();
  // The file joins the first read; the repository, asked for by the second level alone, is read by it.
  expect(inner.asked).toEqual([{ files: [X_AT_V1], repos: [] }, { files: [], repos: [LIB] }]);
  inner.failFirst();
  await expect(first).rejects.toThrow('GitHub answered 502');
  inner.release(1);
  await tick();
  expect(inner.asked[2]).toEqual({ files: [X_AT_V1], repos: [] });
  inner.release(2);
  expect((await second).files).toEqual([{ ok: true, commit: 'a'.repeat(40), text: 'read .github/workflows/x.yml' }]);
  expect(flightsInProgress('github.com#1')).toBe(0);
});

describe('one batched read across concurrent levels', () => {
  afterEach(() => {
    // Every test ends with nothing in flight and no batch waiting: a leftover would join the next test's levels.
    expect([flightsInProgress('github.com#1'), flightsInProgress('github.com#2')]).toEqual([0, 0]);
  });

  it('two levels reading different files within the window: one read of both; each gets its own files and repositories only', async () => {
    const inner = new HeldSource();
    const first = new SingleFlightSource(inner, 'github.com#1', { batchWindowMs: 20 }).fetchLevel({ files: [X_AT_V1], repos: [] });
    const second = new SingleFlightSource(inner, 'github.com#1', { batchWindowMs: 20 }).fetchLevel({ files: [Z_AT_SHA, Y_AT_MAIN], repos: [SETUP] });
    await tick();
    // Nothing is sent before the window closes.
    expect(inner.asked).toEqual([]);
    await sleep(30);
    expect(inner.asked).toEqual([{ files: [X_AT_V1, Z_AT_SHA, Y_AT_MAIN], repos: [SETUP] }]);
    inner.release(0);
    const [a, b] = await Promise.all([first, second]);
    expect(a.files).toEqual([read(X_AT_V1)]);
    expect([...a.repos]).toEqual([['other-org/lib', metadata(LIB)]]);
    expect(b.files).toEqual([read(Z_AT_SHA), read(Y_AT_MAIN)]);
    expect([...b.repos.keys()].sort()).toEqual(['other-org/deploy', 'other-org/setup', 'other-org/tools']);
    expect(flightsInProgress('github.com#1')).toBe(0);
  });

  it('what two levels of the batch both need is asked once, and both get it', async () => {
    const inner = new HeldSource();
    const first = unbatched(inner).fetchLevel({ files: [X_AT_V1, Y_AT_MAIN], repos: [SETUP] });
    const second = unbatched(inner).fetchLevel({ files: [Y_AT_MAIN, Z_AT_SHA], repos: [SETUP, LIB] });
    await tick();
    expect(inner.asked).toEqual([{ files: [X_AT_V1, Y_AT_MAIN, Z_AT_SHA], repos: [SETUP, LIB] }]);
    inner.release(0);
    const [a, b] = await Promise.all([first, second]);
    expect(a.files).toEqual([read(X_AT_V1), read(Y_AT_MAIN)]);
    expect([...a.repos.keys()].sort()).toEqual(['other-org/lib', 'other-org/setup', 'other-org/tools']);
    expect(b.files).toEqual([read(Y_AT_MAIN), read(Z_AT_SHA)]);
    expect([...b.repos.keys()].sort()).toEqual(['other-org/deploy', 'other-org/lib', 'other-org/setup', 'other-org/tools']);
  });

  it('the batch is read through the source of the level that opened it', async () => {
    const opener = new HeldSource();
    const other = new HeldSource();
    const first = unbatched(opener).fetchLevel({ files: [X_AT_V1], repos: [] });
    const second = unbatched(other).fetchLevel({ files: [Y_AT_MAIN], repos: [] });
    await tick();
    expect(opener.asked).toEqual([{ files: [X_AT_V1, Y_AT_MAIN], repos: [] }]);
    expect(other.asked).toEqual([]);
    opener.release(0);
    expect((await second).files).toEqual([read(Y_AT_MAIN)]);
    await first;
  });

  it('a level asked while the batch is in flight joins it', async () => {
    const inner = new HeldSource();
    const first = unbatched(inner).fetchLevel({ files: [X_AT_V1], repos: [] });
    const second = unbatched(inner).fetchLevel({ files: [Y_AT_MAIN], repos: [] });
    await tick();
    const late = unbatched(inner).fetchLevel({ files: [Y_AT_MAIN], repos: [] });
    await tick();
    expect(inner.asked).toEqual([{ files: [X_AT_V1, Y_AT_MAIN], repos: [] }]);
    inner.release(0);
    expect((await late).files).toEqual([read(Y_AT_MAIN)]);
    expect([...(await late).repos.keys()]).toEqual(['other-org/tools']);
    await Promise.all([first, second]);
  });

  it('a batch that reaches the size of one query is sent at once; a level that would overflow it starts the next batch', async () => {
    const inner = new HeldSource();
    const options = { batchWindowMs: 20, maxBatchSize: 3 };
    const level = (files: WorkflowFileRequest[], repos: RepoId[] = []) => new SingleFlightSource(inner, 'github.com#1', options).fetchLevel({ files, repos });
    const at = (repo: RepoId, name: string): WorkflowFileRequest => ({ repo, path: `.github/workflows/${name}.yml`, ref: { kind: 'named', name: 'main' } });
    const levels = [level([X_AT_V1, Y_AT_MAIN]), level([Z_AT_SHA])];
    // Three files fill the batch: it leaves without waiting for its window.
    expect(inner.asked).toEqual([{ files: [X_AT_V1, Y_AT_MAIN, Z_AT_SHA], repos: [] }]);
    levels.push(level([at(SETUP, 'a')]), level([at(SETUP, 'b')], [LIB]));
    expect(inner.asked).toHaveLength(1);
    // Two more files do not fit beside the open batch's two: it is sent, and they wait in the next one.
    levels.push(level([at(TOOLS, 'c'), at(TOOLS, 'd')]));
    expect(inner.asked.slice(1)).toEqual([{ files: [at(SETUP, 'a'), at(SETUP, 'b')], repos: [LIB] }]);
    await sleep(30);
    expect(inner.asked.slice(2)).toEqual([{ files: [at(TOOLS, 'c'), at(TOOLS, 'd')], repos: [] }]);
    inner.release(0);
    inner.release(1);
    inner.release(2);
    const answers = await Promise.all(levels);
    expect(answers.map((answer) => answer.files)).toEqual([
      [read(X_AT_V1), read(Y_AT_MAIN)],
      [read(Z_AT_SHA)],
      [read(at(SETUP, 'a'))],
      [read(at(SETUP, 'b'))],
      [read(at(TOOLS, 'c')), read(at(TOOLS, 'd'))],
    ]);
    expect([...answers[3]!.repos.keys()].sort()).toEqual(['other-org/lib', 'other-org/setup']);
    expect(flightsInProgress('github.com#1')).toBe(0);
  });

  it('a batch full of repositories is sent at once too', async () => {
    const inner = new HeldSource();
    const options = { batchWindowMs: 10_000, maxBatchSize: 2 };
    const first = new SingleFlightSource(inner, 'github.com#1', options).fetchLevel({ files: [X_AT_V1], repos: [] });
    const second = new SingleFlightSource(inner, 'github.com#1', options).fetchLevel({ files: [], repos: [TOOLS] });
    expect(inner.asked).toEqual([{ files: [X_AT_V1], repos: [TOOLS] }]);
    inner.release(0);
    expect([...(await second).repos.keys()]).toEqual(['other-org/tools']);
    expect((await first).files).toEqual([read(X_AT_V1)]);
  });

  it('a level that fills a query by itself is read alone at once, leaving the open batch to its window', async () => {
    const inner = new HeldSource();
    const options = { batchWindowMs: 20, maxBatchSize: 2 };
    const small = new SingleFlightSource(inner, 'github.com#1', options).fetchLevel({ files: [X_AT_V1], repos: [] });
    const big = new SingleFlightSource(inner, 'github.com#1', options).fetchLevel({ files: [Y_AT_MAIN, Z_AT_SHA], repos: [] });
    expect(inner.asked).toEqual([{ files: [Y_AT_MAIN, Z_AT_SHA], repos: [] }]);
    await sleep(30);
    expect(inner.asked[1]).toEqual({ files: [X_AT_V1], repos: [] });
    inner.release(0);
    inner.release(1);
    expect((await big).files).toEqual([read(Y_AT_MAIN), read(Z_AT_SHA)]);
    expect((await small).files).toEqual([read(X_AT_V1)]);
  });

  it('a batch that fails as a whole: each level reads its own part alone, once; one failing again does not fail the other', async () => {
    const inner = new HeldSource();
    const first = unbatched(inner).fetchLevel({ files: [X_AT_V1], repos: [] });
    const second = unbatched(inner).fetchLevel({ files: [Y_AT_MAIN], repos: [SETUP] });
    await tick();
    expect(inner.asked).toEqual([{ files: [X_AT_V1, Y_AT_MAIN], repos: [SETUP] }]);
    inner.fail(0);
    await tick();
    expect(inner.asked.slice(1)).toEqual([
      { files: [X_AT_V1], repos: [] },
      { files: [Y_AT_MAIN], repos: [SETUP] },
    ]);
    // Those reads are offered like any other: a level arriving now joins them.
    const third = unbatched(inner).fetchLevel({ files: [Y_AT_MAIN], repos: [] });
    await tick();
    inner.fail(1);
    inner.release(2);
    await expect(first).rejects.toThrow('GitHub answered 502');
    const b = await second;
    expect(b.files).toEqual([read(Y_AT_MAIN)]);
    expect((await third).files).toEqual([read(Y_AT_MAIN)]);
    expect([...b.repos.keys()].sort()).toEqual(['other-org/setup', 'other-org/tools']);
    expect(inner.asked).toHaveLength(3);
    expect(flightsInProgress('github.com#1')).toBe(0);
  });

  it('a batch of one level that fails: the level fails as it would have alone, without a second read', async () => {
    const inner = new HeldSource();
    const only = unbatched(inner).fetchLevel({ files: [X_AT_V1], repos: [] });
    await tick();
    inner.fail(0);
    await expect(only).rejects.toThrow('GitHub answered 502');
    expect(inner.asked).toEqual([{ files: [X_AT_V1], repos: [] }]);
  });

  it('levels of two installations within one window: one batch each', async () => {
    const inner = new HeldSource();
    const one = [X_AT_V1, Y_AT_MAIN].map((file) => unbatched(inner, 'github.com#1').fetchLevel({ files: [file], repos: [] }));
    const two = [Y_AT_MAIN, Z_AT_SHA].map((file) => unbatched(inner, 'github.com#2').fetchLevel({ files: [file], repos: [] }));
    await tick();
    expect(inner.asked).toEqual([
      { files: [X_AT_V1, Y_AT_MAIN], repos: [] },
      { files: [Y_AT_MAIN, Z_AT_SHA], repos: [] },
    ]);
    inner.release(0);
    inner.release(1);
    expect((await Promise.all([...one, ...two])).map((level) => level.files)).toEqual([[read(X_AT_V1)], [read(Y_AT_MAIN)], [read(Y_AT_MAIN)], [read(Z_AT_SHA)]]);
  });
});

describe('a batch read by GitHubSource', () => {
  const NoRetryOctokit = ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } });
  const CALLABLE = 'on: workflow_call\njobs: {}\n';
  let gh: FakeGitHub;
  let lib: string;

  beforeAll(() => nock.disableNetConnect());
  afterAll(() => nock.enableNetConnect());
  beforeEach(() => {
    gh = new FakeGitHub();
    gh.addRepo('other-org/lib', { visibility: 'public' });
    lib = gh.commit('other-org/lib', { '.github/workflows/x.yml': CALLABLE });
    gh.tag('other-org/lib', 'v1', lib);
    gh.intercept();
  });
  afterEach(() => nock.cleanAll());

  const level = (request: LevelRequest) =>
    new SingleFlightSource(new GitHubSource({ octokit: new NoRetryOctokit({ auth: { token: 'test' } }), host: 'github.com' }), 'github.com#1', { batchWindowMs: 0 }).fetchLevel(request);

  it("one level's missing repository is an error on its own alias: the other level's file reads, in the same query", async () => {
    const [found, missing] = await Promise.all([level({ files: [X_AT_V1], repos: [] }), level({ files: [Y_AT_MAIN], repos: [] })]);
    expect(gh.count('POST /graphql')).toBe(1);
    expect(found.files).toEqual([{ ok: true, commit: lib, resolvedRef: { name: 'v1', kind: 'tag', commit: lib }, text: CALLABLE }]);
    expect([...found.repos.keys()]).toEqual(['other-org/lib']);
    expect(missing.files).toMatchObject([{ ok: false, error: { kind: 'repo-not-found' } }]);
    expect([...missing.repos.keys()]).toEqual(['other-org/tools']);
  });

  it('a query that fails as a whole (a 502) is answered per item, as each level alone would have been: no second query', async () => {
    gh.inject('POST /graphql', { status: 502 });
    const answers = await Promise.all([level({ files: [X_AT_V1], repos: [] }), level({ files: [Y_AT_MAIN], repos: [] })]);
    expect(gh.count('POST /graphql')).toBe(1);
    expect(answers.map((answer) => answer.files.map((file) => !file.ok && file.error.kind))).toEqual([['server-error'], ['server-error']]);
  });
});
