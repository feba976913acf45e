// Single flight (src/source/single-flight.ts) over a source whose answers the test releases: concurrent levels
// needing the same file at the same ref make one read, a read that fails is read again by who joined it, and
// installations (cache scopes) never share.
import { repoKey, type RepoId, type RepoMetadata } from '../../src/graph/types.js';
import type { LevelRequest, LevelResult, WorkflowFileRequest, WorkflowSource } from '../../src/source/port.js';
import { flightsInProgress, SingleFlightSource } from '../../src/source/single-flight.js';

const LIB: RepoId = { owner: 'other-org', name: 'lib' };
const TOOLS: RepoId = { owner: 'other-org', name: 'tools' };
const X_AT_V1: WorkflowFileRequest = { repo: LIB, path: '.github/workflows/x.yml', ref: { kind: 'named', name: 'v1' } };
const Y_AT_MAIN: WorkflowFileRequest = { repo: TOOLS, path: '.github/workflows/y.yml', ref: { kind: 'named', name: 'main' } };

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
    this.held[0]!.fail(new Error('GitHub answered 502'));
  }
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

it('two levels needing x.yml@v1 at once: one read of it; the second asks only for what it alone needs', async () => {
  const inner = new HeldSource();
  const first = new SingleFlightSource(inner, 'github.com#1').fetchLevel({ files: [X_AT_V1], repos: [] });
  const second = new SingleFlightSource(inner, 'github.com#1').fetchLevel({ files: [X_AT_V1, Y_AT_MAIN], repos: [] });
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
  await tick();
  expect(inner.asked).toHaveLength(2);
  inner.release(0);
  inner.release(1);
  await Promise.all([first, other]);
});

it('the read a level joined fails as a whole: the joiner reads the file itself; the first sees the failure', async () => {
  const inner = new HeldSource();
  const first = new SingleFlightSource(inner, 'github.com#1').fetchLevel({ files: [X_AT_V1], repos: [] });
  const second = new SingleFlightSource(inner, 'github.com#1').fetchLevel({ files: [X_AT_V1], repos: [LIB] });
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
