import { MemoryCacheStore } from '../../src/cache/memory.js';
import { encodeCacheKey, type CacheKey } from '../../src/cache/port.js';
import type { RepoMetadata, ResolvedRef } from '../../src/graph/types.js';

const HOST = 'github.com';
const SHA = 'a'.repeat(40);
const T0 = 1_700_000_000_000;

function key(partition: string, sort: string): CacheKey {
  return { host: HOST, partition, sort };
}

function tag(name: string, commit = SHA): ResolvedRef {
  return { name, kind: 'tag', commit };
}

function clock(start = T0): { now: () => number; advance: (seconds: number) => void } {
  let current = start;
  return { now: () => current, advance: (seconds) => (current += seconds * 1000) };
}

describe('MemoryCacheStore', () => {
  it('round-trips every namespace and leaves unknown keys absent', async () => {
    const store = new MemoryCacheStore();
    const wf = key(`octo/lib@${SHA}`, '.github/workflows/build.yml');
    const gone = key(`octo/lib@${SHA}`, '.github/workflows/gone.yml');
    const meta: RepoMetadata = { repo: { owner: 'Octo', name: 'Lib' }, visibility: 'private', archived: false };
    await store.putMany('workflow', [
      { key: wf, value: { text: 'on: workflow_call\n' } },
      { key: gone, value: { error: { kind: 'file-not-found', message: 'Not Found', status: 404 } } },
    ]);
    await store.putMany('ref', [{ key: key('octo/lib', 'v1'), value: tag('v1') }]);
    await store.putMany('repo', [{ key: key('octo/lib', 'meta'), value: meta }]);
    await store.putMany('access', [{ key: key('octo/lib', 'access'), value: 'organization' }]);

    expect(await store.getMany('workflow', [wf, gone, key(`octo/lib@${SHA}`, 'other.yml')])).toEqual(
      new Map<string, unknown>([
        [encodeCacheKey('workflow', wf), { text: 'on: workflow_call\n' }],
        [encodeCacheKey('workflow', gone), { error: { kind: 'file-not-found', message: 'Not Found', status: 404 } }],
      ]),
    );
    expect(await store.getMany('ref', [key('octo/lib', 'v1')])).toEqual(
      new Map([[encodeCacheKey('ref', key('octo/lib', 'v1')), tag('v1')]]),
    );
    expect(await store.getMany('repo', [key('octo/lib', 'meta')])).toEqual(
      new Map([[encodeCacheKey('repo', key('octo/lib', 'meta')), meta]]),
    );
    expect(await store.getMany('access', [key('octo/lib', 'access')])).toEqual(
      new Map([[encodeCacheKey('access', key('octo/lib', 'access')), 'organization']]),
    );
    // Namespaces do not share keys.
    expect((await store.getMany('repo', [key('octo/lib', 'v1')])).size).toBe(0);
  });

  it('expires entries after their namespace TTL, overridable per namespace', async () => {
    const time = clock();
    const store = new MemoryCacheStore({ now: time.now, ttlSeconds: { repo: 10 } });
    const wf = key(`octo/lib@${SHA}`, 'w.yml');
    await store.putMany('ref', [{ key: key('octo/lib', 'v1'), value: tag('v1') }]);
    await store.putMany('repo', [
      { key: key('octo/lib', 'meta'), value: { repo: { owner: 'o', name: 'r' }, visibility: 'public', archived: true } },
    ]);
    await store.putMany('workflow', [{ key: wf, value: { text: 'x' } }]);

    time.advance(9);
    expect((await store.getMany('repo', [key('octo/lib', 'meta')])).size).toBe(1);
    time.advance(1);
    expect((await store.getMany('repo', [key('octo/lib', 'meta')])).size).toBe(0);
    time.advance(289);
    expect((await store.getMany('ref', [key('octo/lib', 'v1')])).size).toBe(1);
    time.advance(1);
    expect((await store.getMany('ref', [key('octo/lib', 'v1')])).size).toBe(0);
    expect((await store.getMany('workflow', [wf])).size).toBe(1);
    time.advance(30 * 24 * 3600);
    expect((await store.getMany('workflow', [wf])).size).toBe(0);
  });

  it('never overwrites a live workflow entry, but replaces refs and expired workflows', async () => {
    const time = clock();
    const store = new MemoryCacheStore({ now: time.now });
    const wf = key(`octo/lib@${SHA}`, 'w.yml');
    await store.putMany('workflow', [
      { key: wf, value: { text: 'first' } },
      { key: wf, value: { text: 'same call, second' } },
    ]);
    await store.putMany('workflow', [{ key: wf, value: { text: 'later' } }]);
    expect((await store.getMany('workflow', [wf])).get(encodeCacheKey('workflow', wf))).toEqual({ text: 'first' });

    await store.putMany('ref', [{ key: key('octo/lib', 'main'), value: tag('main', 'b'.repeat(40)) }]);
    await store.putMany('ref', [{ key: key('octo/lib', 'main'), value: tag('main', 'c'.repeat(40)) }]);
    expect((await store.getMany('ref', [key('octo/lib', 'main')])).get(encodeCacheKey('ref', key('octo/lib', 'main')))).toEqual(
      tag('main', 'c'.repeat(40)),
    );

    time.advance(30 * 24 * 3600);
    await store.putMany('workflow', [{ key: wf, value: { text: 'after expiry' } }]);
    expect((await store.getMany('workflow', [wf])).get(encodeCacheKey('workflow', wf))).toEqual({ text: 'after expiry' });
  });

  it('drops the oldest-written entries past maxEntries', async () => {
    const store = new MemoryCacheStore({ maxEntries: 3 });
    const refs = ['a', 'b', 'c', 'd'].map((name) => ({ key: key('octo/lib', name), value: tag(name) }));
    await store.putMany('ref', refs.slice(0, 3));
    // Rewriting `a` makes it the newest, so `b` is the oldest when `d` arrives.
    await store.putMany('ref', [refs[0]!]);
    await store.putMany('ref', [refs[3]!]);
    const found = await store.getMany('ref', refs.map((entry) => entry.key));
    expect([...found.values()].map((ref) => ref.name).sort()).toEqual(['a', 'c', 'd']);
    expect(store.size).toBe(3);
  });

  it('invalidates one key, or a whole partition and nothing beside it', async () => {
    const store = new MemoryCacheStore();
    await store.putMany('ref', [
      { key: key('octo/lib', 'v1'), value: tag('v1') },
      { key: key('octo/lib', 'v2'), value: tag('v2') },
      { key: key('octo/lib', 'main'), value: tag('main') },
      { key: key('octo/lib2', 'v1'), value: tag('v1') },
      { key: { host: 'ghe.example.com', partition: 'octo/lib', sort: 'v1' }, value: tag('v1') },
    ]);
    await store.putMany('access', [{ key: key('octo/lib', 'access'), value: 'user' }]);

    await store.invalidate('ref', HOST, 'octo/lib', 'v1');
    const names = async (partition: string, host = HOST) =>
      [...(await store.getMany('ref', ['v1', 'v2', 'main'].map((sort) => ({ host, partition, sort })))).values()]
        .map((ref) => ref.name)
        .sort();
    expect(await names('octo/lib')).toEqual(['main', 'v2']);

    await store.invalidate('ref', HOST, 'octo/lib');
    expect(await names('octo/lib')).toEqual([]);
    expect(await names('octo/lib2')).toEqual(['v1']);
    expect(await names('octo/lib', 'ghe.example.com')).toEqual(['v1']);
    expect((await store.getMany('access', [key('octo/lib', 'access')])).size).toBe(1);
  });
});
