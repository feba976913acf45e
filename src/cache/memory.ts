// The cache in a Map: the per-evaluation layer, and the whole cache of tests and the CLI.
import {
  DEFAULT_TTL_SECONDS,
  encodeCacheKey,
  IMMUTABLE_NAMESPACES,
  type CacheEntry,
  type CacheKey,
  type CacheNamespace,
  type CacheStore,
  type CacheValues,
} from './port.js';

export interface MemoryCacheOptions {
  ttlSeconds?: Partial<Record<CacheNamespace, number>>;
  /** Clock in milliseconds; tests move it to expire entries. */
  now?: () => number;
  /** Past this many entries the oldest written are dropped, so a long-lived process stays bounded. */
  maxEntries?: number;
}

export const DEFAULT_MAX_MEMORY_ENTRIES = 10_000;

interface MemoryEntry {
  value: unknown;
  expiresAt: number;
}

export class MemoryCacheStore implements CacheStore {
  // Insertion order is write order, so the first key is the oldest written.
  private readonly entries = new Map<string, MemoryEntry>();
  private readonly ttlSeconds: Record<CacheNamespace, number>;
  private readonly now: () => number;
  private readonly maxEntries: number;

  constructor(options: MemoryCacheOptions = {}) {
    this.ttlSeconds = { ...DEFAULT_TTL_SECONDS, ...options.ttlSeconds };
    this.now = options.now ?? Date.now;
    this.maxEntries = Math.max(1, options.maxEntries ?? DEFAULT_MAX_MEMORY_ENTRIES);
  }

  get size(): number {
    return this.entries.size;
  }

  async getMany<N extends CacheNamespace>(ns: N, keys: CacheKey[]): Promise<Map<string, CacheValues[N]>> {
    const found = new Map<string, CacheValues[N]>();
    for (const key of keys) {
      const encoded = encodeCacheKey(ns, key);
      const entry = this.live(encoded);
      // Only this class writes entries, always with the value type of the namespace in the key.
      if (entry) found.set(encoded, entry.value as CacheValues[N]);
    }
    return found;
  }

  async putMany<N extends CacheNamespace>(ns: N, entries: CacheEntry<N>[]): Promise<void> {
    const expiresAt = this.now() + this.ttlSeconds[ns] * 1000;
    for (const { key, value } of entries) {
      const encoded = encodeCacheKey(ns, key);
      // The same workflow key always means the same content: the first writer wins.
      if (IMMUTABLE_NAMESPACES.has(ns) && this.live(encoded)) continue;
      this.entries.delete(encoded);
      this.entries.set(encoded, { value, expiresAt });
    }
    this.evictOverflow();
  }

  async invalidate(ns: CacheNamespace, host: string, partition: string, sort?: string): Promise<void> {
    if (sort !== undefined) {
      this.entries.delete(encodeCacheKey(ns, { host, partition, sort }));
      return;
    }
    const prefix = encodeCacheKey(ns, { host, partition, sort: '' });
    for (const encoded of [...this.entries.keys()]) {
      if (encoded.startsWith(prefix)) this.entries.delete(encoded);
    }
  }

  private live(encoded: string): MemoryEntry | undefined {
    const entry = this.entries.get(encoded);
    if (entry && entry.expiresAt <= this.now()) {
      this.entries.delete(encoded);
      return undefined;
    }
    return entry;
  }

  private evictOverflow(): void {
    for (const encoded of this.entries.keys()) {
      if (this.entries.size <= this.maxEntries) return;
      this.entries.delete(encoded);
    }
  }
}
