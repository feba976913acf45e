// The reverse index on a real DynamoDB-compatible server: records from workflow files, replaced (never appended) on
// every new default-branch head, gone with a deleted workflow, per installation; and the backfill resuming after a
// failure from its cursor.
import { DynamoCallerIndex } from '../../src/callers/dynamo.js';
import { callerRecords } from '../../src/callers/extract.js';
import { backfill, indexDefaultBranch } from '../../src/callers/indexer.js';
import type { CallerRecord } from '../../src/callers/port.js';
import type { RepoMetadata } from '../../src/graph/types.js';
import type { DefaultBranchSnapshot } from '../../src/source/default-branch.js';
import { parseWorkflow } from '../../src/workflow/parse.js';
import { startDynalite, type TestDynalite } from '../support/dynalite.js';

const DEPLOY = '.github/workflows/deploy.yml';
const SHARED = { owner: 'octo-org', name: 'shared' };
const WEB: RepoMetadata = { repo: { owner: 'octo-org', name: 'web' }, visibility: 'private', archived: false, defaultBranch: 'main' };
const CALLEE = { kind: 'workflow' as const, repo: SHARED, path: DEPLOY };

let db: TestDynalite;
let now = Date.UTC(2026, 10, 1);

beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

function index(): DynamoCallerIndex {
  return new DynamoCallerIndex({ client: db.doc, tableName: db.tableName, now: () => now });
}

const CALLING = `on: push\npermissions: { contents: read }\njobs:\n  release:\n    uses: octo-org/shared/${DEPLOY}@main\n    with:\n      environment: production\n      replicas: 3\n      debug: \${{ inputs.debug }}\n    secrets:\n      token: \${{ secrets.TOKEN }}\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n      - uses: ./.github/actions/local\n      - uses: octo-org/shared/setup@${'a'.repeat(40)}\n        with:\n          node: 20\n          cache: \${{ inputs.cache }}\n          registry: npm\n`;

/** A default branch holding `files` (workflow path → text) at `commit`. */
function snapshot(commit: string, files: Record<string, string>): DefaultBranchSnapshot {
  return { commit, branch: 'main', workflows: Object.entries(files).map(([path, text]) => ({ path, oid: path, text })), policyFile: { found: false, commit } };
}

describe('callerRecords', () => {
  it('records every call and action of another repository with what the job or the step passes; calls within the repository are left out', () => {
    const records = callerRecords({ repo: WEB.repo, visibility: 'private', commit: 'C'.repeat(40), branch: 'main', source: 'default-branch', workflows: [parseWorkflow(CALLING, '.github/workflows/ci.yml')] });
    const caller = { repo: WEB.repo, visibility: 'private', path: '.github/workflows/ci.yml', commit: 'c'.repeat(40), branch: 'main', source: 'default-branch' };
    expect(records).toEqual<CallerRecord[]>([
      {
        callee: CALLEE,
        caller: { ...caller, jobId: 'release', line: 5 } as CallerRecord['caller'],
        ref: 'main',
        refKind: 'named',
        inputs: { environment: 'string', replicas: 'number', debug: 'expression' },
        secrets: ['token'],
        grant: { contents: 'read' },
      },
      { callee: { kind: 'action', repo: { owner: 'actions', name: 'checkout' }, path: '' }, caller: { ...caller, jobId: 'build', step: 0, line: 15 } as CallerRecord['caller'], ref: 'v4', refKind: 'named', inputs: {} },
      {
        callee: { kind: 'action', repo: SHARED, path: 'setup' },
        caller: { ...caller, jobId: 'build', step: 2, line: 17 } as CallerRecord['caller'],
        ref: 'a'.repeat(40),
        refKind: 'sha',
        inputs: { node: 'number', cache: 'expression', registry: 'string' },
      },
    ]);
  });
});

describe('DynamoCallerIndex', () => {
  it('replaces what a repository’s default branch wrote on every new head, drops a deleted workflow’s records, and keeps installations apart', async () => {
    const store = index();
    const scope = 'github.com#1';
    const read = (files: Record<string, string>) => async () => snapshot('1'.repeat(40), files);
    await indexDefaultBranch({ index: store, scope, read: read({ '.github/workflows/ci.yml': CALLING, '.github/workflows/other.yml': CALLING }) }, WEB);
    expect((await store.callersOf(scope, CALLEE)).map((record) => record.caller.path)).toEqual(['.github/workflows/ci.yml', '.github/workflows/other.yml']);

    // The next push deleted other.yml and moved ci.yml's call to @v2: replaced, not appended.
    await indexDefaultBranch({ index: store, scope, read: read({ '.github/workflows/ci.yml': CALLING.replace(`${DEPLOY}@main`, `${DEPLOY}@v2`) }) }, WEB);
    const after = await store.callersOf(scope, CALLEE);
    expect(after.map((record) => [record.caller.path, record.ref])).toEqual([['.github/workflows/ci.yml', 'v2']]);
    expect((await store.callersOfRepository(scope, SHARED)).map((record) => `${record.callee.kind}:${record.callee.path}`)).toEqual(['action:setup', `workflow:${DEPLOY}`]);

    // Another installation sees none of it.
    expect(await store.callersOf('github.com#2', CALLEE)).toEqual([]);
    // Every workflow gone: nothing left.
    await indexDefaultBranch({ index: store, scope, read: read({}) }, WEB);
    expect(await store.callersOfRepository(scope, SHARED)).toEqual([]);
  });

  it('answers 120 callers of one workflow from one partition, and lets a pull request’s records expire', async () => {
    const store = index();
    const scope = 'github.com#3';
    for (let start = 0; start < 120; start += 20) {
      await Promise.all(
        Array.from({ length: 20 }, (_, offset) => {
          const repo = { owner: 'octo-org', name: `caller-${start + offset}` };
          const records = callerRecords({ repo, visibility: 'private', commit: 'd'.repeat(40), source: 'default-branch', workflows: [parseWorkflow(CALLING, '.github/workflows/ci.yml')] });
          return store.replace(scope, repo, 'default-branch', records.filter((record) => record.callee.kind === 'workflow'));
        }),
      );
    }
    const pull = callerRecords({ repo: WEB.repo, visibility: 'private', commit: 'e'.repeat(40), source: 'pull/7', workflows: [parseWorkflow(CALLING, '.github/workflows/ci.yml')] });
    await store.replace(scope, WEB.repo, 'pull/7', pull);
    expect(await store.callersOf(scope, CALLEE)).toHaveLength(121);
    now += 15 * 24 * 3600 * 1000;
    expect(await store.callersOf(scope, CALLEE)).toHaveLength(120);
    // Writes on a loaded CI machine: the 1,000-caller figure is the bench's.
  }, 60_000);
});

describe('backfill', () => {
  const repositories = ['octo-org/a', 'octo-org/b', 'octo-org/c', 'octo-org/d'].map((fullName): RepoMetadata => {
    const [owner = '', name = ''] = fullName.split('/');
    return { repo: { owner, name }, visibility: 'internal', archived: false };
  });

  it('stops at a repository it cannot read, keeps its cursor, and resumes there, never indexing one twice', async () => {
    const store = index();
    const scope = 'github.com#4';
    const read: string[] = [];
    let failing = true;
    const deps = {
      index: store,
      scope,
      list: async () => [...repositories].reverse(),
      maxRepositories: 100,
      deadline: Number.POSITIVE_INFINITY,
      read: async (repo: { owner: string; name: string }) => {
        read.push(repo.name);
        if (repo.name === 'c' && failing) return { error: 'GitHub answered 502' };
        return snapshot('f'.repeat(40), { '.github/workflows/ci.yml': CALLING });
      },
    };
    const stopped = { after: 'octo-org/b', indexed: 2, failed: { repository: 'octo-org/c', attempts: 1 }, complete: false };
    expect(await backfill(deps)).toEqual(stopped);
    expect(await store.readCursor(scope)).toEqual(stopped);
    failing = false;
    expect(await backfill(deps)).toEqual({ after: 'octo-org/d', indexed: 4, complete: true });
    expect(read).toEqual(['a', 'b', 'c', 'c', 'd']);
    expect(new Set((await store.callersOf(scope, CALLEE)).map((record) => record.caller.repo.name))).toEqual(new Set(['a', 'b', 'c', 'd']));
  });

  it('passes over a repository that stopped it in three runs in a row, so the rest is not held up forever', async () => {
    const store = index();
    const scope = 'github.com#6';
    const read: string[] = [];
    const deps = {
      index: store,
      scope,
      list: async () => repositories,
      maxRepositories: 100,
      deadline: Number.POSITIVE_INFINITY,
      read: async (repo: { owner: string; name: string }) => {
        read.push(repo.name);
        return repo.name === 'b' ? { error: 'GitHub answered 502' } : snapshot('f'.repeat(40), { '.github/workflows/ci.yml': CALLING });
      },
    };
    expect(await backfill(deps)).toEqual({ after: 'octo-org/a', indexed: 1, failed: { repository: 'octo-org/b', attempts: 1 }, complete: false });
    expect(await backfill(deps)).toEqual({ after: 'octo-org/a', indexed: 1, failed: { repository: 'octo-org/b', attempts: 2 }, complete: false });
    expect(await backfill(deps)).toEqual({ after: 'octo-org/d', indexed: 3, skipped: 1, complete: true });
    expect(read).toEqual(['a', 'b', 'b', 'b', 'c', 'd']);
    expect(new Set((await store.callersOf(scope, CALLEE)).map((record) => record.caller.repo.name))).toEqual(new Set(['a', 'c', 'd']));
  });

  it('stops at its budget of repositories per run', async () => {
    const store = index();
    const deps = { index: store, scope: 'github.com#5', list: async () => repositories, maxRepositories: 3, deadline: Number.POSITIVE_INFINITY, read: async () => snapshot('f'.repeat(40), {}) };
    expect(await backfill(deps)).toEqual({ after: 'octo-org/c', indexed: 3, complete: false });
    expect(await backfill(deps)).toEqual({ after: 'octo-org/d', indexed: 4, complete: true });
  });
});
