// One evaluation's cache: memory in front of the durable store, so a key is fetched at most once per
// evaluation, and a failing durable store costs the evaluation its speed, never its result.
import { silentLogger, type Logger } from '../log.js';
import { MemoryCacheStore } from './memory.js';
import {
  encodeCacheKey,
  type CacheEntry,
  type CacheKey,
  type CacheNamespace,
  type CacheStore,
  type CacheValues,
} from './port.js';

export interface CacheStats {
  /** Keys found, in memory or in the durable store. */
  hits: number;
  /** Keys found in neither. */
  misses: number;
  /** Durable-store calls that failed. */
  durableErrors: number;
}

export interface LayeredCacheOptions {
  durable: CacheStore;
  logger?: Logger;
  /**
   * Durable writes go on behind the caller (memory holds the entries at once): an evaluation does not wait for
   * them before its verdict, and awaits `settled()` after it.
   */
  writeBehind?: boolean;
}

/** Create one per evaluation: once the durable store fails, it is skipped for the rest of it. */
export class LayeredCacheStore implements CacheStore {
  readonly stats: CacheStats = { hits: 0, misses: 0, durableErrors: 0 };
  private readonly memory = new MemoryCacheStore();
  private readonly durable: CacheStore;
  private readonly logger: Logger;
  private durableFailed = false;
  private readonly writeBehind: boolean;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(options: LayeredCacheOptions) {
    this.durable = options.durable;
    this.logger = options.logger ?? silentLogger;
    this.writeBehind = options.writeBehind ?? false;
  }

  /** Resolves once the durable writes still going on behind (see `writeBehind`) are done; they never reject. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }

  async getMany<N extends CacheNamespace>(ns: N, keys: CacheKey[]): Promise<Map<string, CacheValues[N]>> {
    const found = await this.memory.getMany(ns, keys);
    const missing = uniqueMissing(ns, keys, found);
    if (missing.length > 0) {
      const fromDurable = await this.durably('getMany', () => this.durable.getMany(ns, missing));
      const filled = missing.flatMap((key): CacheEntry<N>[] => {
        const value = fromDurable?.get(encodeCacheKey(ns, key));
        return value === undefined ? [] : [{ key, value }];
      });
      await this.memory.putMany(ns, filled);
      for (const { key, value } of filled) found.set(encodeCacheKey(ns, key), value);
    }
    this.stats.hits += found.size;
    this.stats.misses += new Set(keys.map((key) => encodeCacheKey(ns, key))).size - found.size;
    return found;
  }

  async putMany<N extends CacheNamespace>(ns: N, entries: CacheEntry<N>[]): Promise<void> {
    await this.memory.putMany(ns, entries);
    const write = this.durably('putMany', () => this.durable.putMany(ns, entries));
    if (!this.writeBehind) {
      await write;
      return;
    }
    const tracked = write.finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  async invalidate(ns: CacheNamespace, host: string, partition: string, sort?: string): Promise<void> {
    // A write still going on must not land after the entry it wrote is invalidated.
    await this.settled();
    await this.memory.invalidate(ns, host, partition, sort);
    await this.durably('invalidate', () => this.durable.invalidate(ns, host, partition, sort));
  }

  /** Runs a durable-store call; on failure, warns once and answers undefined from then on. */
  private async durably<T>(operation: string, call: () => Promise<T>): Promise<T | undefined> {
    if (this.durableFailed) return undefined;
    try {
      return await call();
    } catch (error) {
      this.stats.durableErrors += 1;
      // Concurrent calls may fail together: the first one warns.
      if (!this.durableFailed) {
        this.durableFailed = true;
        this.logger.warn(
          { err: error, operation },
          'durable cache failed; this evaluation continues with its in-memory cache only',
        );
      }
      return undefined;
    }
  }
}

function uniqueMissing<N extends CacheNamespace>(
  ns: N,
  keys: CacheKey[],
  found: Map<string, CacheValues[N]>,
): CacheKey[] {
  const missing = new Map<string, CacheKey>();
  for (const key of keys) {
    const encoded = encodeCacheKey(ns, key);
    if (!found.has(encoded)) missing.set(encoded, key);
  }
  return [...missing.values()];
}
