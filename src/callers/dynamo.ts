// The reverse index in the app's one DynamoDB table. A callee's callers share a partition (one Query per callee, a
// prefix of the sort key; every callee of a repository with the partition alone), so reading the callers of a
// workflow with a thousand of them costs one paginated Query. What one source wrote for a repository (its default
// branch, a pull request's head) is listed in a manifest item, so the next write replaces it instead of adding to it.
import { DeleteCommand, GetCommand, paginateQuery, PutCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import pLimit from 'p-limit';
import { writeItems, type TableAccess, type WriteRequests } from '../cache/dynamo.js';
import { repoKey, type RepoId } from '../graph/types.js';
import { silentLogger, type Logger } from '../log.js';
import type { BackfillCursor, Callee, CallerIndex, CallerRecord, RecordSource } from './port.js';

const DAY_SECONDS = 24 * 3600;
/** A default branch is indexed again on every push to it and by each backfill; records of a quiet one last half a year. */
const DEFAULT_BRANCH_TTL_SECONDS = 180 * DAY_SECONDS;
/** A pull request's head matters while it is open. */
const PULL_TTL_SECONDS = 14 * DAY_SECONDS;

interface ItemKey {
  pk: string;
  sk: string;
}

export interface DynamoCallerIndexOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  now?: () => number;
  logger?: Logger;
}

export class DynamoCallerIndex implements CallerIndex {
  private readonly table: TableAccess;
  private readonly now: () => number;

  constructor(options: DynamoCallerIndexOptions) {
    this.table = { client: options.client, tableName: options.tableName, logger: options.logger ?? silentLogger, limit: pLimit(8) };
    this.now = options.now ?? Date.now;
  }

  async replace(scope: string, repo: RepoId, source: RecordSource, records: CallerRecord[]): Promise<void> {
    const ttl = this.nowSeconds() + (source === 'default-branch' ? DEFAULT_BRANCH_TTL_SECONDS : PULL_TTL_SECONDS);
    const items = records.map((record) => ({ ...recordKey(scope, record), ttl, v: JSON.stringify(record) }));
    const manifest = { pk: `called-by#${scope}#${repoKey(repo)}`, sk: source };
    const before = await this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: manifest }));
    const written = new Set(items.map(identity));
    const stale = manifestKeys(before.Item).filter((key) => !written.has(identity(key)));
    const requests: WriteRequests = [
      ...stale.map((Key) => ({ DeleteRequest: { Key } })),
      ...unique(items).map((Item) => ({ PutRequest: { Item } })),
    ];
    await writeItems(this.table, requests);
    const keys = unique(items).map(({ pk, sk }) => [pk, sk]);
    if (keys.length === 0) await this.table.client.send(new DeleteCommand({ TableName: this.table.tableName, Key: manifest }));
    else await this.table.client.send(new PutCommand({ TableName: this.table.tableName, Item: { ...manifest, ttl, v: JSON.stringify(keys) } }));
  }

  callersOf(scope: string, callee: Callee): Promise<CallerRecord[]> {
    return this.query(partitionOf(scope, callee.repo), calleePrefix(callee));
  }

  callersOfRepository(scope: string, repo: RepoId): Promise<CallerRecord[]> {
    return this.query(partitionOf(scope, repo));
  }

  async readCursor(scope: string): Promise<BackfillCursor | undefined> {
    const out = await this.table.client.send(new GetCommand({ TableName: this.table.tableName, Key: cursorKey(scope) }));
    const value: unknown = typeof out.Item?.v === 'string' ? JSON.parse(out.Item.v) : undefined;
    return isCursor(value) ? value : undefined;
  }

  async writeCursor(scope: string, cursor: BackfillCursor): Promise<void> {
    await this.table.client.send(new PutCommand({ TableName: this.table.tableName, Item: { ...cursorKey(scope), ttl: this.nowSeconds() + DEFAULT_BRANCH_TTL_SECONDS, v: JSON.stringify(cursor) } }));
  }

  /** Every page of a partition (or of the part of it whose sort key starts with `prefix`), expired items left out. */
  private async query(pk: string, prefix?: string): Promise<CallerRecord[]> {
    const records: CallerRecord[] = [];
    const now = this.nowSeconds();
    const pages = paginateQuery(
      { client: this.table.client },
      {
        TableName: this.table.tableName,
        KeyConditionExpression: prefix === undefined ? 'pk = :pk' : 'pk = :pk AND begins_with(sk, :prefix)',
        ExpressionAttributeValues: { ':pk': pk, ...(prefix !== undefined && { ':prefix': prefix }) },
      },
    );
    for await (const page of pages) {
      for (const item of page.Items ?? []) {
        // DynamoDB deletes expired items late: checked on read.
        if (typeof item.ttl === 'number' && item.ttl <= now) continue;
        if (typeof item.v === 'string') records.push(JSON.parse(item.v) as CallerRecord);
      }
    }
    return records;
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }
}

function partitionOf(scope: string, repo: RepoId): string {
  return `callers#${scope}#${repoKey(repo)}`;
}

/** `workflow:.github/workflows/x.yml` or `action:path`, ended so that `a/b` is not a prefix of `a/bc`. */
export function calleePrefix(callee: Callee): string {
  return `${callee.kind}:${callee.path}\u0000`;
}

function recordKey(scope: string, record: CallerRecord): ItemKey {
  const { caller } = record;
  const sk = [calleePrefix(record.callee) + repoKey(caller.repo), caller.source, caller.path, caller.jobId, caller.step ?? ''].join('\u0000');
  return { pk: partitionOf(scope, record.callee.repo), sk };
}

function cursorKey(scope: string): ItemKey {
  return { pk: `backfill#${scope}`, sk: 'cursor' };
}

function identity(key: ItemKey): string {
  return `${key.pk}\u0000\u0000${key.sk}`;
}

/** One item per key: BatchWriteItem rejects a batch naming a key twice (two steps on one line cannot, but be sure). */
function unique<T extends ItemKey>(items: T[]): T[] {
  return [...new Map(items.map((item) => [identity(item), item])).values()];
}

function manifestKeys(item: Record<string, unknown> | undefined): ItemKey[] {
  const parsed: unknown = typeof item?.v === 'string' ? JSON.parse(item.v) : [];
  if (!Array.isArray(parsed)) return [];
  return parsed.flatMap((entry: unknown) => (Array.isArray(entry) && typeof entry[0] === 'string' && typeof entry[1] === 'string' ? [{ pk: entry[0], sk: entry[1] }] : []));
}

function isCursor(value: unknown): value is BackfillCursor {
  return typeof value === 'object' && value !== null && typeof (value as BackfillCursor).indexed === 'number' && typeof (value as BackfillCursor).complete === 'boolean';
}
