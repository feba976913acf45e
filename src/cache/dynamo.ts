// The durable cache: one DynamoDB table shared by every Lambda instance (or the embedded dynalite).
//
// Item layout: pk = `${ns}#${host}#${partition}` (S), sk = sort (S), ttl = expiry in epoch seconds (N,
// the table's TTL attribute), v = the value as JSON (S), or gzipped JSON (B) when that is smaller.
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DeleteCommand,
  DynamoDBDocumentClient,
  PutCommand,
  paginateQuery,
  type BatchGetCommandInput,
  type BatchWriteCommandInput,
} from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { silentLogger, type Logger } from '../log.js';
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

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

/** DynamoDB's item size limit: attribute names plus values. */
export const DYNAMO_ITEM_LIMIT_BYTES = 400 * 1024;
/** The largest size DynamoDB counts for a number attribute. */
const NUMBER_ATTRIBUTE_BYTES = 21;
const MAX_PARTITION_KEY_BYTES = 2048;
const MAX_SORT_KEY_BYTES = 1024;
/** Below this, gzip's header costs more than it saves. */
const GZIP_MIN_BYTES = 1024;
const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;
/** Rounds of one batch call, the first included, before leftover unprocessed keys are given up. */
const MAX_BATCH_ROUNDS = 6;
const BASE_BACKOFF_MS = 10;
const MAX_BACKOFF_MS = 200;
const PARALLEL_REQUESTS = 8;

type KeyList = NonNullable<NonNullable<BatchGetCommandInput['RequestItems']>[string]['Keys']>;
export type WriteRequests = NonNullable<BatchWriteCommandInput['RequestItems']>[string];

interface ItemKey {
  pk: string;
  sk: string;
}

interface StoredItem extends ItemKey {
  ttl: number;
  v: string | Uint8Array;
}

export interface DynamoCacheOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  ttlSeconds?: Partial<Record<CacheNamespace, number>>;
  /** Clock in milliseconds; tests move it to expire items. */
  now?: () => number;
  logger?: Logger;
}

export class DynamoCacheStore implements CacheStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly ttlSeconds: Record<CacheNamespace, number>;
  private readonly now: () => number;
  private readonly logger: Logger;
  // Shared by all calls, so one evaluation's fan-out cannot open hundreds of sockets.
  private readonly limit = pLimit(PARALLEL_REQUESTS);

  constructor(options: DynamoCacheOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.ttlSeconds = { ...DEFAULT_TTL_SECONDS, ...options.ttlSeconds };
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
  }

  async getMany<N extends CacheNamespace>(ns: N, keys: CacheKey[]): Promise<Map<string, CacheValues[N]>> {
    // Item identity (`pk\0sk`) -> the caller's encoded key; BatchGetItem rejects duplicate keys.
    const wanted = new Map<string, string>();
    const itemKeys: ItemKey[] = [];
    for (const key of keys) {
      const itemKey = storableKey(ns, key);
      if (!itemKey || wanted.has(itemIdentity(itemKey))) continue;
      wanted.set(itemIdentity(itemKey), encodeCacheKey(ns, key));
      itemKeys.push(itemKey);
    }
    const chunks = await Promise.all(
      chunk(itemKeys, BATCH_GET_LIMIT).map((keysOfChunk) => this.limit(() => this.batchGet(keysOfChunk))),
    );
    const nowSeconds = this.nowSeconds();
    const found = new Map<string, CacheValues[N]>();
    await Promise.all(
      chunks.flat().map(async (raw) => {
        const item = asStoredItem(raw);
        // DynamoDB deletes expired items up to days late (dynalite never does): check on read.
        if (!item || item.ttl <= nowSeconds) return;
        const encoded = wanted.get(itemIdentity(item));
        const value = await this.decode(item);
        // Only putMany writes these items, always with the value type of the namespace in pk.
        if (encoded !== undefined && value !== undefined) found.set(encoded, value as CacheValues[N]);
      }),
    );
    return found;
  }

  async putMany<N extends CacheNamespace>(ns: N, entries: CacheEntry<N>[]): Promise<void> {
    const nowSeconds = this.nowSeconds();
    const ttl = nowSeconds + this.ttlSeconds[ns];
    const items = await Promise.all(this.uniqueEntries(ns, entries).map((entry) => this.encode(ns, entry, ttl)));
    const storable = items.filter((item): item is StoredItem => item !== undefined);
    if (IMMUTABLE_NAMESPACES.has(ns)) {
      await Promise.all(storable.map((item) => this.limit(() => this.putIfAbsent(item, nowSeconds))));
      return;
    }
    await this.batchWrite(storable.map((item) => ({ PutRequest: { Item: item } })));
  }

  async invalidate(ns: CacheNamespace, host: string, partition: string, sort?: string): Promise<void> {
    if (sort !== undefined) {
      const itemKey = storableKey(ns, { host, partition, sort });
      if (itemKey) await this.client.send(new DeleteCommand({ TableName: this.tableName, Key: itemKey }));
      return;
    }
    const keys = await this.partitionKeys(partitionKey(ns, host, partition));
    await this.batchWrite(keys.map((key) => ({ DeleteRequest: { Key: key } })));
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  /** One entry per key: BatchWriteItem rejects duplicates. The first wins where items are immutable. */
  private uniqueEntries<N extends CacheNamespace>(ns: N, entries: CacheEntry<N>[]): CacheEntry<N>[] {
    const byIdentity = new Map<string, CacheEntry<N>>();
    for (const entry of entries) {
      const identity = encodeCacheKey(ns, entry.key);
      if (IMMUTABLE_NAMESPACES.has(ns) && byIdentity.has(identity)) continue;
      byIdentity.set(identity, entry);
    }
    return [...byIdentity.values()];
  }

  /** The item to store, or undefined when DynamoDB could not hold it: the cache then simply misses. */
  private async encode<N extends CacheNamespace>(ns: N, entry: CacheEntry<N>, ttl: number): Promise<StoredItem | undefined> {
    const itemKey = storableKey(ns, entry.key);
    if (!itemKey) {
      this.logger.debug({ ns, key: entry.key }, 'cache key too long or empty for DynamoDB, not cached');
      return undefined;
    }
    const item: StoredItem = { ...itemKey, ttl, v: await encodeValue(entry.value) };
    const size = itemSize(item);
    if (size > DYNAMO_ITEM_LIMIT_BYTES) {
      this.logger.debug({ pk: item.pk, sk: item.sk, size }, 'cache item over DynamoDB item limit, not cached');
      return undefined;
    }
    return item;
  }

  private async decode(item: StoredItem): Promise<unknown> {
    try {
      const json = typeof item.v === 'string' ? item.v : (await gunzipAsync(item.v)).toString('utf8');
      return JSON.parse(json) as unknown;
    } catch (error) {
      this.logger.debug({ pk: item.pk, sk: item.sk, err: error }, 'cache item unreadable, treated as missing');
      return undefined;
    }
  }

  /** First writer wins: the same workflow key always means the same content. An expired item may be replaced. */
  private async putIfAbsent(item: StoredItem, nowSeconds: number): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: item,
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':now': nowSeconds },
        }),
      );
    } catch (error) {
      if (!isAwsError(error, 'ConditionalCheckFailedException')) throw error;
    }
  }

  private async batchGet(keys: ItemKey[]): Promise<Record<string, unknown>[]> {
    return inRounds<KeyList[number], Record<string, unknown>>(this.logger, 'BatchGetItem', keys, async (pending) => {
      const out = await this.client.send(new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: pending } } }));
      return {
        results: out.Responses?.[this.tableName] ?? [],
        unprocessed: out.UnprocessedKeys?.[this.tableName]?.Keys ?? [],
      };
    });
  }

  private async batchWrite(requests: WriteRequests): Promise<void> {
    await writeItems({ client: this.client, tableName: this.tableName, logger: this.logger, limit: this.limit }, requests);
  }

  private async partitionKeys(pk: string): Promise<ItemKey[]> {
    const keys: ItemKey[] = [];
    const pages = paginateQuery({ client: this.client }, { TableName: this.tableName, KeyConditionExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': pk }, ProjectionExpression: 'pk, sk' });
    for await (const page of pages) {
      for (const raw of page.Items ?? []) {
        if (typeof raw.pk === 'string' && typeof raw.sk === 'string') keys.push({ pk: raw.pk, sk: raw.sk });
      }
    }
    return keys;
  }
}

export interface TableAccess {
  client: DynamoDBDocumentClient;
  tableName: string;
  logger: Logger;
  /** Bounds the requests in flight; one per table user, shared by all its calls. */
  limit: ReturnType<typeof pLimit>;
}

/** Puts and deletes in batches of 25, retrying what DynamoDB leaves unprocessed (within bounded rounds). */
export async function writeItems(table: TableAccess, requests: WriteRequests): Promise<void> {
  await Promise.all(
    chunk(requests, BATCH_WRITE_LIMIT).map((requestsOfChunk) =>
      table.limit(() =>
        inRounds<WriteRequests[number], never>(table.logger, 'BatchWriteItem', requestsOfChunk, async (pending) => {
          const out = await table.client.send(new BatchWriteCommand({ RequestItems: { [table.tableName]: pending } }));
          return { results: [], unprocessed: out.UnprocessedItems?.[table.tableName] ?? [] };
        }),
      ),
    ),
  );
}

/**
 * Repeats a batch call for what DynamoDB left unprocessed (throttling, or BatchGetItem's 16 MB
 * response cap), with a short backoff and a bounded number of rounds: a cache gives up rather than
 * hold an evaluation that has a webhook deadline.
 */
async function inRounds<T, R>(logger: Logger, operation: string, first: T[], round: (pending: T[]) => Promise<{ results: R[]; unprocessed: T[] }>): Promise<R[]> {
  const results: R[] = [];
  let pending = first;
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt === MAX_BATCH_ROUNDS) {
      logger.warn({ operation, unprocessed: pending.length }, 'batch left items unprocessed');
      break;
    }
    if (attempt > 0) await sleep(backoffMs(attempt));
    const out = await round(pending);
    results.push(...out.results);
    pending = out.unprocessed;
  }
  return results;
}

export interface DynamoClientOptions {
  /** Unset: the SDK's own resolution (AWS_ENDPOINT_URL_DYNAMODB, then the regional endpoint). */
  endpoint?: string;
  region?: string;
  /** Unset: the SDK's default credential chain. The embedded store needs dummy ones. */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/**
 * Client settings that fail fast: a dead or unreachable DynamoDB must cost an evaluation seconds,
 * not the SDK's default of unbounded waits, since GitHub drops webhooks not answered within 10 s.
 */
export function dynamoClientConfig(options: DynamoClientOptions = {}): DynamoDBClientConfig {
  return {
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    ...(options.region === undefined ? {} : { region: options.region }),
    ...(options.credentials === undefined ? {} : { credentials: options.credentials }),
    maxAttempts: 2,
    // Without throwOnRequestTimeout the SDK only logs a breached requestTimeout and keeps waiting.
    requestHandler: { connectionTimeout: 1000, requestTimeout: 3000, throwOnRequestTimeout: true },
  };
}

export function createDynamoClient(options: DynamoClientOptions = {}): DynamoDBDocumentClient {
  return DynamoDBDocumentClient.from(new DynamoDBClient(dynamoClientConfig(options)));
}

/** AWS SDK errors carry the service's exception name as `name`. */
export function isAwsError(error: unknown, name: string): boolean {
  return error instanceof Error && error.name === name;
}

function partitionKey(ns: CacheNamespace, host: string, partition: string): string {
  return `${ns}#${host}#${partition}`;
}

/** DynamoDB rejects empty key attributes and keys past its size limits. */
function storableKey(ns: CacheNamespace, key: CacheKey): ItemKey | undefined {
  const pk = partitionKey(ns, key.host, key.partition);
  const fits = Buffer.byteLength(pk) <= MAX_PARTITION_KEY_BYTES && Buffer.byteLength(key.sort) <= MAX_SORT_KEY_BYTES;
  return key.sort !== '' && fits ? { pk, sk: key.sort } : undefined;
}

function itemIdentity(key: ItemKey): string {
  return `${key.pk}\u0000${key.sk}`;
}

async function encodeValue(value: unknown): Promise<string | Uint8Array> {
  const json = JSON.stringify(value);
  const bytes = Buffer.byteLength(json);
  if (bytes < GZIP_MIN_BYTES) return json;
  const zipped = await gzipAsync(json);
  return zipped.byteLength < bytes ? zipped : json;
}

/** DynamoDB's own count: UTF-8 bytes of attribute names and values, at most 21 bytes for a number. */
function itemSize(item: StoredItem): number {
  const valueBytes = typeof item.v === 'string' ? Buffer.byteLength(item.v) : item.v.byteLength;
  return (
    'pk'.length + Buffer.byteLength(item.pk) +
    'sk'.length + Buffer.byteLength(item.sk) +
    'ttl'.length + NUMBER_ATTRIBUTE_BYTES +
    'v'.length + valueBytes
  );
}

function asStoredItem(raw: Record<string, unknown>): StoredItem | undefined {
  const { pk, sk, ttl, v } = raw;
  const valueOk = typeof v === 'string' || v instanceof Uint8Array;
  if (typeof pk !== 'string' || typeof sk !== 'string' || typeof ttl !== 'number' || !valueOk) return undefined;
  return { pk, sk, ttl, v };
}

function chunk<T>(items: T[], size: number): T[][] {
  const chunks: T[][] = [];
  for (let start = 0; start < items.length; start += size) chunks.push(items.slice(start, start + size));
  return chunks;
}

function backoffMs(attempt: number): number {
  const ceiling = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** (attempt - 1));
  // Jitter, so two instances throttled together do not retry in step.
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
