// The durable cache against a real DynamoDB-compatible server (dynalite on loopback): no SDK mocks.
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import nock from 'nock';
import { createDynamoClient, DynamoCacheStore, dynamoClientConfig } from '../../src/cache/dynamo.js';
import { ensureTable, localClientOptions, startEmbeddedStore } from '../../src/cache/embedded.js';
import { LayeredCacheStore } from '../../src/cache/layered.js';
import {
  encodeCacheKey,
  type CacheEntry,
  type CacheKey,
  type CacheNamespace,
  type CacheStore,
  type CacheValues,
} from '../../src/cache/port.js';
import type { ResolvedRef } from '../../src/graph/types.js';
import type { Logger } from '../../src/log.js';
import { startDynalite, type TestDynalite } from '../support/dynalite.js';

const HOST = 'github.com';
const SHA = 'a'.repeat(40);
const T0 = 1_700_000_000_000;
const T0_SECONDS = 1_700_000_000;

interface LogCall {
  level: keyof Logger;
  details?: object;
  message?: string;
}

function recordingLogger(): { logger: Logger; calls: LogCall[] } {
  const calls: LogCall[] = [];
  const at = (level: keyof Logger) => (detailsOrMessage: string | object, message?: string) => {
    calls.push(typeof detailsOrMessage === 'string' ? { level, message: detailsOrMessage } : { level, details: detailsOrMessage, message });
  };
  return { logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') }, calls };
}

function key(partition: string, sort: string): CacheKey {
  return { host: HOST, partition, sort };
}

function tag(name: string, commit = SHA): ResolvedRef {
  return { name, kind: 'tag', commit };
}

/** A fresh partition per test, so tests sharing a table cannot see each other's items. */
let partitions = 0;
function partition(prefix = 'octo/lib'): string {
  partitions += 1;
  return `${prefix}${partitions}`;
}

async function valueOf<N extends CacheNamespace>(store: CacheStore, ns: N, cacheKey: CacheKey): Promise<CacheValues[N] | undefined> {
  return (await store.getMany(ns, [cacheKey])).get(encodeCacheKey(ns, cacheKey));
}

async function rawItem(db: TestDynalite, pk: string, sk: string): Promise<Record<string, unknown> | undefined> {
  return (await db.doc.send(new GetCommand({ TableName: db.tableName, Key: { pk, sk } }))).Item;
}

interface RecordedRequest {
  command: string;
  size: number;
}

/** A client of its own that records each request's command and batch size, for chunking assertions. */
function recordingClient(db: TestDynalite): { doc: DynamoDBDocumentClient; client: DynamoDBClient; requests: RecordedRequest[] } {
  const client = new DynamoDBClient(dynamoClientConfig(localClientOptions(db.endpoint)));
  const requests: RecordedRequest[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      requests.push({ command: String(context.commandName), size: batchSize(args.input) });
      return next(args);
    },
    { step: 'initialize' },
  );
  return { doc: DynamoDBDocumentClient.from(client), client, requests };
}

function batchSize(input: unknown): number {
  if (typeof input !== 'object' || input === null || !('RequestItems' in input)) return 0;
  const perTable: unknown = Object.values(input.RequestItems as Record<string, unknown>)[0];
  if (Array.isArray(perTable)) return perTable.length;
  const keys = (perTable as { Keys?: unknown[] }).Keys;
  return keys?.length ?? 0;
}

function sizesOf(requests: RecordedRequest[], command: string): number[] {
  return requests.filter((request) => request.command === command).map((request) => request.size);
}

/** A port on loopback where nothing listens: connections are refused at once. */
async function closedPort(): Promise<string> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

/** Random base64: gzip cannot shrink it much, so its stored size is predictable. */
function incompressibleText(bytes: number): string {
  return randomBytes(Math.ceil((bytes * 3) / 4)).toString('base64').slice(0, bytes);
}

let db: TestDynalite;

beforeAll(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  db = await startDynalite();
});

afterAll(async () => {
  await db.stop();
  nock.cleanAll();
  nock.enableNetConnect();
});

describe('DynamoCacheStore', () => {
  it('round-trips every namespace in the documented item layout', async () => {
    const store = new DynamoCacheStore({ client: db.doc, tableName: db.tableName, now: () => T0 });
    const repo = partition();
    const wfPartition = `${repo}@${SHA}`;
    const wf = key(wfPartition, '.github/workflows/build.yml');
    const gone = key(wfPartition, '.github/workflows/gone.yml');
    const notFound = { error: { kind: 'file-not-found' as const, message: 'Not Found', status: 404 } };
    const meta = { repo: { owner: 'Octo', name: 'Lib' }, visibility: 'internal' as const, archived: false, defaultBranch: 'main' };

    await store.putMany('workflow', [
      { key: wf, value: { text: 'on: workflow_call\n' } },
      { key: gone, value: notFound },
    ]);
    await store.putMany('ref', [{ key: key(repo, 'v1'), value: { ...tag('v1'), tagObject: 'b'.repeat(40) } }]);
    await store.putMany('repo', [{ key: key(repo, 'meta'), value: meta }]);
    await store.putMany('access', [{ key: key(repo, 'access'), value: 'enterprise' }]);

    expect(await store.getMany('workflow', [wf, gone, key(wfPartition, 'missing.yml')])).toEqual(
      new Map<string, unknown>([
        [encodeCacheKey('workflow', wf), { text: 'on: workflow_call\n' }],
        [encodeCacheKey('workflow', gone), notFound],
      ]),
    );
    expect(await valueOf(store, 'ref', key(repo, 'v1'))).toEqual({ ...tag('v1'), tagObject: 'b'.repeat(40) });
    expect(await valueOf(store, 'repo', key(repo, 'meta'))).toEqual(meta);
    expect(await valueOf(store, 'access', key(repo, 'access'))).toBe('enterprise');

    expect(await rawItem(db, `ref#${HOST}#${repo}`, 'v1')).toEqual({
      pk: `ref#${HOST}#${repo}`,
      sk: 'v1',
      ttl: T0_SECONDS + 300,
      v: JSON.stringify({ ...tag('v1'), tagObject: 'b'.repeat(40) }),
    });
    expect(await rawItem(db, `workflow#${HOST}#${wfPartition}`, '.github/workflows/build.yml')).toEqual({
      pk: `workflow#${HOST}#${wfPartition}`,
      sk: '.github/workflows/build.yml',
      ttl: T0_SECONDS + 30 * 24 * 3600,
      v: '{"text":"on: workflow_call\\n"}',
    });
  });

  it('treats an item whose ttl has passed as missing although it is still in the table', async () => {
    const repo = partition();
    const writer = new DynamoCacheStore({ client: db.doc, tableName: db.tableName, now: () => T0, ttlSeconds: { ref: 60 } });
    await writer.putMany('ref', [{ key: key(repo, 'main'), value: tag('main') }]);

    const justBefore = new DynamoCacheStore({ client: db.doc, tableName: db.tableName, now: () => T0 + 59_999 });
    const atExpiry = new DynamoCacheStore({ client: db.doc, tableName: db.tableName, now: () => T0 + 60_000 });
    expect(await valueOf(justBefore, 'ref', key(repo, 'main'))).toEqual(tag('main'));
    expect(await valueOf(atExpiry, 'ref', key(repo, 'main'))).toBeUndefined();
    expect(await rawItem(db, `ref#${HOST}#${repo}`, 'main')).toMatchObject({ ttl: T0_SECONDS + 60 });
  });

  it('keeps the first value of a workflow key, unless that item has expired', async () => {
    let now = T0;
    const store = new DynamoCacheStore({ client: db.doc, tableName: db.tableName, now: () => now });
    const wf = key(`${partition()}@${SHA}`, 'w.yml');
    await store.putMany('workflow', [
      { key: wf, value: { text: 'first' } },
      { key: wf, value: { text: 'same call, second' } },
    ]);
    await store.putMany('workflow', [{ key: wf, value: { text: 'second' } }]);
    expect(await valueOf(store, 'workflow', wf)).toEqual({ text: 'first' });

    now = T0 + 30 * 24 * 3600 * 1000;
    await store.putMany('workflow', [{ key: wf, value: { text: 'after expiry' } }]);
    expect(await valueOf(store, 'workflow', wf)).toEqual({ text: 'after expiry' });
  });

  it('lets two writers race on the same keys: first writer wins for workflows, last for refs', async () => {
    const one = new DynamoCacheStore({ client: db.doc, tableName: db.tableName });
    const two = new DynamoCacheStore({ client: db.doc, tableName: db.tableName });
    const wfPartition = `${partition()}@${SHA}`;
    const repo = partition();
    const wfKeys = Array.from({ length: 30 }, (_, i) => key(wfPartition, `w${i}.yml`));
    const refKeys = Array.from({ length: 30 }, (_, i) => key(repo, `v${i}`));
    const workflows = (writer: string) => wfKeys.map((k) => ({ key: k, value: { text: `${writer}:${k.sort}` } }));
    const refs = (commit: string) => refKeys.map((k) => ({ key: k, value: tag(k.sort, commit) }));

    await Promise.all([
      one.putMany('workflow', workflows('one')),
      two.putMany('workflow', workflows('two')),
      one.putMany('ref', refs('1'.repeat(40))),
      two.putMany('ref', refs('2'.repeat(40))),
    ]);
    const raced = await one.getMany('workflow', wfKeys);
    expect(raced.size).toBe(30);
    for (const k of wfKeys) {
      expect([{ text: `one:${k.sort}` }, { text: `two:${k.sort}` }]).toContainEqual(raced.get(encodeCacheKey('workflow', k)));
    }
    expect(await two.getMany('workflow', wfKeys)).toEqual(raced);
    const racedRefs = await two.getMany('ref', refKeys);
    for (const k of refKeys) expect(['1'.repeat(40), '2'.repeat(40)]).toContain(racedRefs.get(encodeCacheKey('ref', k))?.commit);

    await two.putMany('workflow', workflows('late'));
    await one.putMany('ref', refs('3'.repeat(40)));
    expect(await two.getMany('workflow', wfKeys)).toEqual(raced);
    expect([...(await two.getMany('ref', refKeys)).values()].map((ref) => ref.commit)).toEqual(
      Array.from({ length: 30 }, () => '3'.repeat(40)),
    );
  });

  it('invalidates one key, then a whole partition, leaving other partitions and namespaces', async () => {
    const store = new DynamoCacheStore({ client: db.doc, tableName: db.tableName });
    const repo = partition();
    const neighbour = `${repo}0`;
    await store.putMany('ref', [
      { key: key(repo, 'v1'), value: tag('v1') },
      { key: key(repo, 'v2'), value: tag('v2') },
      { key: key(repo, 'main'), value: tag('main') },
      { key: key(neighbour, 'v1'), value: tag('v1') },
    ]);
    await store.putMany('access', [{ key: key(repo, 'access'), value: 'user' }]);
    const names = async (p: string) =>
      [...(await store.getMany('ref', ['v1', 'v2', 'main'].map((sort) => key(p, sort)))).values()].map((ref) => ref.name).sort();

    await store.invalidate('ref', HOST, repo, 'v1');
    expect(await names(repo)).toEqual(['main', 'v2']);
    await store.invalidate('ref', HOST, repo);
    expect(await names(repo)).toEqual([]);
    expect(await names(neighbour)).toEqual(['v1']);
    expect(await valueOf(store, 'access', key(repo, 'access'))).toBe('user');
  });

  it('splits reads into BatchGetItem calls of 100 keys and writes into BatchWriteItem calls of 25', async () => {
    const { doc, client, requests } = recordingClient(db);
    const store = new DynamoCacheStore({ client: doc, tableName: db.tableName });
    const repo = partition();
    const entries = Array.from({ length: 130 }, (_, i) => ({ key: key(repo, `v${i}`), value: tag(`v${i}`) }));
    await store.putMany('ref', entries);
    const wanted = [...entries.map((entry) => entry.key), ...Array.from({ length: 20 }, (_, i) => key(repo, `absent${i}`))];
    const found = await store.getMany('ref', [...wanted, entries[0]!.key]);

    expect(found).toEqual(new Map(entries.map((entry) => [encodeCacheKey('ref', entry.key), entry.value])));
    expect(sizesOf(requests, 'BatchWriteItemCommand')).toEqual([25, 25, 25, 25, 25, 5]);
    expect(sizesOf(requests, 'BatchGetItemCommand').sort((a, b) => b - a)).toEqual([100, 50]);

    requests.length = 0;
    await store.invalidate('ref', HOST, repo);
    expect(sizesOf(requests, 'QueryCommand')).toEqual([0]);
    expect(sizesOf(requests, 'BatchWriteItemCommand')).toEqual([25, 25, 25, 25, 25, 5]);
    expect((await store.getMany('ref', wanted)).size).toBe(0);
    client.destroy();
  });

  it('gzips a large workflow text into a binary attribute and reads it back exactly', async () => {
    const store = new DynamoCacheStore({ client: db.doc, tableName: db.tableName });
    const wfPartition = `${partition()}@${SHA}`;
    const text = Array.from({ length: 4000 }, (_, i) => `  job${i}:\n    uses: octo/lib/.github/workflows/w.yml@v1\n`).join('');
    await store.putMany('workflow', [{ key: key(wfPartition, 'big.yml'), value: { text } }]);

    expect(await valueOf(store, 'workflow', key(wfPartition, 'big.yml'))).toEqual({ text });
    const stored = (await rawItem(db, `workflow#${HOST}#${wfPartition}`, 'big.yml'))?.v;
    expect(stored).toBeInstanceOf(Uint8Array);
    expect((stored as Uint8Array).byteLength).toBeLessThan(text.length / 20);
  });

  it('skips an item over the 400 KB limit with a debug log, and stores the rest of the call', async () => {
    const { logger, calls } = recordingLogger();
    const store = new DynamoCacheStore({ client: db.doc, tableName: db.tableName, logger });
    const wfPartition = `${partition()}@${SHA}`;
    await store.putMany('workflow', [
      { key: key(wfPartition, 'huge.yml'), value: { text: incompressibleText(600_000) } },
      { key: key(wfPartition, 'small.yml'), value: { text: 'on: push\n' } },
    ]);

    expect(await valueOf(store, 'workflow', key(wfPartition, 'huge.yml'))).toBeUndefined();
    expect(await rawItem(db, `workflow#${HOST}#${wfPartition}`, 'huge.yml')).toBeUndefined();
    expect(await valueOf(store, 'workflow', key(wfPartition, 'small.yml'))).toEqual({ text: 'on: push\n' });
    expect(calls).toEqual([
      {
        level: 'debug',
        details: { pk: `workflow#${HOST}#${wfPartition}`, sk: 'huge.yml', size: expect.any(Number) },
        message: 'cache item over DynamoDB item limit, not cached',
      },
    ]);
    expect((calls[0]?.details as { size: number }).size).toBeGreaterThan(400 * 1024);
  });

  it('retries the keys a size-capped BatchGetItem leaves unprocessed, and pages a partition delete', async () => {
    const { doc, client, requests } = recordingClient(db);
    const { logger, calls } = recordingLogger();
    const store = new DynamoCacheStore({ client: doc, tableName: db.tableName, logger });
    const wfPartition = `${partition()}@${SHA}`;
    // About 230 KB each after gzip: one response holds a few, so the rest come back unprocessed.
    const entries = Array.from({ length: 12 }, (_, i) => ({
      key: key(wfPartition, `w${i}.yml`),
      value: { text: incompressibleText(300_000) },
    }));
    await store.putMany('workflow', entries);

    const found = await store.getMany('workflow', entries.map((entry) => entry.key));
    expect(found).toEqual(new Map(entries.map((entry) => [encodeCacheKey('workflow', entry.key), entry.value])));
    const gets = sizesOf(requests, 'BatchGetItemCommand');
    expect(gets[0]).toBe(12);
    expect(gets.length).toBeGreaterThan(1);

    requests.length = 0;
    await store.invalidate('workflow', HOST, wfPartition);
    expect(sizesOf(requests, 'QueryCommand').length).toBeGreaterThan(1);
    expect(sizesOf(requests, 'BatchWriteItemCommand')).toEqual([12]);
    expect((await store.getMany('workflow', entries.map((entry) => entry.key))).size).toBe(0);
    expect(calls).toEqual([]);
    client.destroy();
  });

  it("leaves the endpoint to the SDK's own AWS_ENDPOINT_URL_DYNAMODB when none is given", async () => {
    const saved = process.env.AWS_ENDPOINT_URL_DYNAMODB;
    process.env.AWS_ENDPOINT_URL_DYNAMODB = db.endpoint;
    try {
      const { region, credentials } = localClientOptions(db.endpoint);
      const store = new DynamoCacheStore({ client: createDynamoClient({ region, credentials }), tableName: db.tableName });
      const repo = partition();
      await store.putMany('access', [{ key: key(repo, 'access'), value: 'organization' }]);
      expect(await rawItem(db, `access#${HOST}#${repo}`, 'access')).toMatchObject({ v: '"organization"' });
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_DYNAMODB;
      else process.env.AWS_ENDPOINT_URL_DYNAMODB = saved;
    }
  });

  it('fails fast, with an error, when nothing listens at the endpoint', async () => {
    const doc = createDynamoClient(localClientOptions(await closedPort()));
    const store = new DynamoCacheStore({ client: doc, tableName: 'absent' });
    await expect(store.getMany('ref', [key('octo/lib', 'v1')])).rejects.toThrow(/ECONNREFUSED/);
  });
});

/** Delegates to a real store and records which keys each read asked it for. */
class ReadRecordingStore implements CacheStore {
  readonly reads: string[][] = [];
  constructor(private readonly inner: CacheStore) {}
  getMany<N extends CacheNamespace>(ns: N, keys: CacheKey[]): Promise<Map<string, CacheValues[N]>> {
    this.reads.push(keys.map((k) => k.sort));
    return this.inner.getMany(ns, keys);
  }
  putMany<N extends CacheNamespace>(ns: N, entries: CacheEntry<N>[]): Promise<void> {
    return this.inner.putMany(ns, entries);
  }
  invalidate(ns: CacheNamespace, host: string, p: string, sort?: string): Promise<void> {
    return this.inner.invalidate(ns, host, p, sort);
  }
}

describe('LayeredCacheStore', () => {
  const degradedWarning = 'durable cache failed; this evaluation continues with its in-memory cache only';

  it('reads memory first and asks the durable store only for misses, filling memory', async () => {
    const durable = new DynamoCacheStore({ client: db.doc, tableName: db.tableName });
    const repo = partition();
    await durable.putMany('ref', [{ key: key(repo, 'v1'), value: tag('v1') }]);
    const recording = new ReadRecordingStore(durable);
    const layered = new LayeredCacheStore({ durable: recording });

    const first = await layered.getMany('ref', [key(repo, 'v1'), key(repo, 'v2'), key(repo, 'v2')]);
    expect(first).toEqual(new Map([[encodeCacheKey('ref', key(repo, 'v1')), tag('v1')]]));
    const second = await layered.getMany('ref', [key(repo, 'v1'), key(repo, 'v2')]);
    expect(second).toEqual(first);
    expect(recording.reads).toEqual([['v1', 'v2'], ['v2']]);
    expect(layered.stats).toEqual({ hits: 2, misses: 2, durableErrors: 0 });
  });

  it('writing behind: memory holds the entry at once, the durable write lands by settled(), and an invalidation waits for it', async () => {
    const durable = new DynamoCacheStore({ client: db.doc, tableName: db.tableName });
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => (release = resolve));
    // The durable write is held until the test lets it go.
    const slow: CacheStore = {
      getMany: (ns, keys) => durable.getMany(ns, keys),
      putMany: async (ns, entries) => {
        await gate;
        await durable.putMany(ns, entries);
      },
      invalidate: (ns, host, partitionKey, sort) => durable.invalidate(ns, host, partitionKey, sort),
    };
    const layered = new LayeredCacheStore({ durable: slow, writeBehind: true });
    const repo = partition();
    await layered.putMany('ref', [{ key: key(repo, 'v1'), value: tag('v1') }]);
    expect(await layered.getMany('ref', [key(repo, 'v1')])).toEqual(new Map([[encodeCacheKey('ref', key(repo, 'v1')), tag('v1')]]));
    expect(await valueOf(durable, 'ref', key(repo, 'v1'))).toBeUndefined();
    const invalidated = layered.invalidate('ref', HOST, repo, 'v1');
    release();
    await invalidated;
    await layered.settled();
    // The write landed before the invalidation, not after it.
    expect(await valueOf(durable, 'ref', key(repo, 'v1'))).toBeUndefined();
    await layered.putMany('ref', [{ key: key(repo, 'v2'), value: tag('v2') }]);
    await layered.settled();
    expect(await valueOf(durable, 'ref', key(repo, 'v2'))).toEqual(tag('v2'));
  });

  it('writes and invalidates through to the durable store', async () => {
    const durable = new DynamoCacheStore({ client: db.doc, tableName: db.tableName });
    const layered = new LayeredCacheStore({ durable });
    const repo = partition();
    await layered.putMany('ref', [
      { key: key(repo, 'v1'), value: tag('v1') },
      { key: key(repo, 'v2'), value: tag('v2') },
    ]);
    expect(await valueOf(durable, 'ref', key(repo, 'v2'))).toEqual(tag('v2'));

    await layered.invalidate('ref', HOST, repo, 'v2');
    expect(await valueOf(durable, 'ref', key(repo, 'v2'))).toBeUndefined();
    expect(await valueOf(layered, 'ref', key(repo, 'v2'))).toBeUndefined();
    await layered.invalidate('ref', HOST, repo);
    expect(await valueOf(durable, 'ref', key(repo, 'v1'))).toBeUndefined();
    expect(await valueOf(layered, 'ref', key(repo, 'v1'))).toBeUndefined();
  });

  it('degrades to memory, warning once, when the durable store stops mid-evaluation', async () => {
    const own = await startDynalite();
    const { logger, calls } = recordingLogger();
    const durable = new DynamoCacheStore({ client: own.doc, tableName: own.tableName });
    const layered = new LayeredCacheStore({ durable, logger });
    const repo = partition();
    await layered.putMany('ref', [{ key: key(repo, 'v1'), value: tag('v1') }]);
    await own.stop();

    await layered.putMany('ref', [{ key: key(repo, 'v2'), value: tag('v2') }]);
    const found = await layered.getMany('ref', [key(repo, 'v1'), key(repo, 'v2'), key(repo, 'v3')]);
    await layered.invalidate('ref', HOST, repo, 'v1');
    const after = await layered.getMany('ref', [key(repo, 'v1'), key(repo, 'v2')]);

    expect(found).toEqual(
      new Map([
        [encodeCacheKey('ref', key(repo, 'v1')), tag('v1')],
        [encodeCacheKey('ref', key(repo, 'v2')), tag('v2')],
      ]),
    );
    expect(after).toEqual(new Map([[encodeCacheKey('ref', key(repo, 'v2')), tag('v2')]]));
    expect(calls.map(({ level, message }) => ({ level, message }))).toEqual([{ level: 'warn', message: degradedWarning }]);
    expect(calls[0]?.details).toMatchObject({ operation: 'putMany' });
    expect(layered.stats).toEqual({ hits: 3, misses: 2, durableErrors: 1 });
  });

  it('resolves every call when the durable store was never reachable', async () => {
    const { logger, calls } = recordingLogger();
    const durable = new DynamoCacheStore({ client: createDynamoClient(localClientOptions(await closedPort())), tableName: 't' });
    const layered = new LayeredCacheStore({ durable, logger });
    const wf = key(`octo/lib@${SHA}`, 'w.yml');

    expect((await layered.getMany('workflow', [wf])).size).toBe(0);
    await layered.putMany('workflow', [{ key: wf, value: { text: 'on: push\n' } }]);
    await layered.invalidate('ref', HOST, 'octo/lib');
    expect(await valueOf(layered, 'workflow', wf)).toEqual({ text: 'on: push\n' });
    expect(calls.map(({ level, message }) => ({ level, message }))).toEqual([{ level: 'warn', message: degradedWarning }]);
    expect(calls[0]?.details).toMatchObject({ operation: 'getMany', err: expect.any(Error) });
    expect(layered.stats).toEqual({ hits: 1, misses: 1, durableErrors: 1 });
  });
});

describe('embedded store', () => {
  it('keeps items across a restart on the same data directory', async () => {
    const base = await mkdtemp(join(tmpdir(), 'warden-embedded-'));
    const dataDir = join(base, 'nested', '.data');
    const wf = key(`octo/lib@${SHA}`, 'w.yml');
    try {
      const { logger, calls } = recordingLogger();
      const first = await startEmbeddedStore({ dataDir, logger });
      expect(first.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(first.tableName).toBe('workflow-warden-cache');
      expect(calls.map((call) => call.message)).toEqual(['embedded DynamoDB store started']);
      const writer = new DynamoCacheStore({ client: createDynamoClient(localClientOptions(first.endpoint)), tableName: first.tableName });
      await writer.putMany('workflow', [{ key: wf, value: { text: 'persisted' } }]);
      await first.close();
      await first.close();

      const second = await startEmbeddedStore({ dataDir, tableName: first.tableName });
      try {
        const reader = new DynamoCacheStore({ client: createDynamoClient(localClientOptions(second.endpoint)), tableName: second.tableName });
        expect(await valueOf(reader, 'workflow', wf)).toEqual({ text: 'persisted' });
      } finally {
        await second.close();
      }
    } finally {
      await rm(base, { recursive: true, force: true });
    }
  });

  it('lets two processes ensure the same table at once', async () => {
    const other = new DynamoDBClient(dynamoClientConfig(localClientOptions(db.endpoint)));
    try {
      await Promise.all([ensureTable(db.client, 'raced-table'), ensureTable(other, 'raced-table')]);
      const store = new DynamoCacheStore({ client: db.doc, tableName: 'raced-table' });
      await store.putMany('access', [{ key: key('octo/lib', 'access'), value: 'none' }]);
      expect(await valueOf(store, 'access', key('octo/lib', 'access'))).toBe('none');
    } finally {
      other.destroy();
    }
  });
});
