// Work items in the app's DynamoDB table: the queue of `npm start`. Each accepted delivery is one item (partition
// `work`, sort: the delivery id) until a worker completes it; a worker takes an item by a conditional write of its
// lease, renews the lease while it works, and an item whose lease ran out (its process died) is taken by the next
// worker to look. An item that failed too often is kept aside (`dead`), as SQS's dead-letter queue keeps it.
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, paginateQuery, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { silentLogger, type Logger } from '../log.js';
import { DELIVERY_ATTRIBUTE, type QueueMessage } from './message.js';
import type { WorkItem, WorkQueue } from './port.js';

const PARTITION = 'work';
/** Items kept aside are deleted by the table's TTL after a week, like delivery records. */
const TTL_SECONDS = 7 * 24 * 3600;

export interface DynamoWorkQueueOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  /** How long a take holds an item before another worker may take it; renewed while the work goes on. */
  leaseMs: number;
  /** Attempts before an item is kept aside. */
  maxAttempts?: number;
  now?: () => number;
  logger?: Logger;
}

interface StoredWork {
  pk: string;
  sk: string;
  body: string;
  attributes: Record<string, string>;
  enqueuedAt: number;
  /** Epoch ms from which the item may be taken: now when queued, the lease's end while held, later after a failure. */
  visibleAt: number;
  attempts: number;
  /** The current hold, absent when nobody holds it. */
  lease?: string;
  state: 'ready' | 'dead';
}

/** What a look at the queue reads of each item: everything but the payload. */
type QueuedWork = Pick<StoredWork, 'sk' | 'enqueuedAt' | 'visibleAt' | 'attempts' | 'lease' | 'state'>;

export class DynamoWorkQueue implements WorkQueue {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly leaseMs: number;
  private readonly maxAttempts: number;
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(options: DynamoWorkQueueOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.leaseMs = options.leaseMs;
    this.maxAttempts = options.maxAttempts ?? 5;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
  }

  /** A delivery already queued (GitHub's redelivery of it) is not queued twice. */
  async enqueue(message: QueueMessage): Promise<void> {
    await this.put(message);
  }

  async enqueueHeld(message: QueueMessage): Promise<WorkItem | undefined> {
    const lease = randomUUID();
    const stored = await this.put(message, lease);
    return stored && { id: stored.sk, message, attempts: stored.attempts, takenOver: false, lease };
  }

  /** Writes the item, ready for any worker or held under `lease`; undefined when the delivery is already queued. */
  private async put(message: QueueMessage, lease?: string): Promise<StoredWork | undefined> {
    const id = message.attributes[DELIVERY_ATTRIBUTE];
    if (!id) throw new Error(`a work item needs the ${DELIVERY_ATTRIBUTE} attribute`);
    const now = this.now();
    const item: StoredWork = {
      pk: PARTITION,
      sk: id,
      body: message.body,
      attributes: message.attributes,
      enqueuedAt: now,
      ...(lease === undefined ? { visibleAt: now, attempts: 0 } : { visibleAt: now + this.leaseMs, attempts: 1, lease }),
      state: 'ready',
    };
    try {
      await this.client.send(
        new PutCommand({ TableName: this.tableName, Item: { ...item, ttl: Math.floor(now / 1000) + TTL_SECONDS }, ConditionExpression: 'attribute_not_exists(sk)' }),
      );
      return item;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async take(max: number): Promise<WorkItem[]> {
    if (max <= 0) return [];
    const now = this.now();
    const ready = (await this.all()).filter((item) => item.state === 'ready' && item.visibleAt <= now).sort((a, b) => a.enqueuedAt - b.enqueuedAt);
    const items: WorkItem[] = [];
    for (const item of ready) {
      if (items.length >= max) break;
      const lease = randomUUID();
      let taken: Record<string, unknown> | undefined;
      try {
        // Taken only as seen: another worker that took it first changed `visibleAt`. The body comes with the take.
        const result = await this.client.send(
          new UpdateCommand({
            TableName: this.tableName,
            Key: { pk: PARTITION, sk: item.sk },
            UpdateExpression: 'SET visibleAt = :until, lease = :lease, attempts = attempts + :one',
            ConditionExpression: 'visibleAt = :seen AND #state = :ready',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':until': now + this.leaseMs, ':lease': lease, ':one': 1, ':seen': item.visibleAt, ':ready': 'ready' },
            ReturnValues: 'ALL_NEW',
          }),
        );
        taken = result.Attributes;
      } catch (error) {
        if (error instanceof ConditionalCheckFailedException) continue;
        throw error;
      }
      const stored = taken as StoredWork | undefined;
      if (!stored) continue;
      items.push({ id: item.sk, message: { body: stored.body, attributes: stored.attributes }, attempts: stored.attempts, takenOver: item.lease !== undefined, lease });
    }
    return items;
  }

  async renew(item: WorkItem): Promise<void> {
    await this.held(item, 'SET visibleAt = :until', { ':until': this.now() + this.leaseMs });
  }

  async complete(item: WorkItem): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({ TableName: this.tableName, Key: { pk: PARTITION, sk: item.id }, ConditionExpression: 'lease = :lease', ExpressionAttributeValues: { ':lease': item.lease } }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      this.logger.warn({ delivery: item.id }, 'work item completed after its lease was taken over');
    }
  }

  async giveBack(item: WorkItem, delayMs: number, countAttempt = true): Promise<'retried' | 'dead'> {
    const dead = countAttempt && item.attempts >= this.maxAttempts;
    await this.held(item, `SET visibleAt = :until, #state = :state${countAttempt ? '' : ', attempts = attempts - :one'} REMOVE lease`, {
      ':until': this.now() + delayMs,
      ':state': dead ? 'dead' : 'ready',
      ...(!countAttempt && { ':one': 1 }),
    });
    return dead ? 'dead' : 'retried';
  }

  async setAside(item: WorkItem): Promise<void> {
    await this.held(item, 'SET #state = :state REMOVE lease', { ':state': 'dead' });
  }

  /** Every item of the queue (what is waiting or in hand), read consistently, without the payloads. */
  private async all(): Promise<QueuedWork[]> {
    const items: QueuedWork[] = [];
    const pages = paginateQuery(
      { client: this.client },
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk',
        ProjectionExpression: 'sk, enqueuedAt, visibleAt, attempts, lease, #state',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':pk': PARTITION },
        ConsistentRead: true,
      },
    );
    for await (const page of pages) items.push(...((page.Items ?? []) as QueuedWork[]));
    return items;
  }

  /** An update made only while this hold is the item's current one. */
  private async held(item: WorkItem, update: string, values: Record<string, unknown>): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: PARTITION, sk: item.id },
          UpdateExpression: update,
          ConditionExpression: 'lease = :lease',
          ExpressionAttributeNames: update.includes('#state') ? { '#state': 'state' } : undefined,
          ExpressionAttributeValues: { ...values, ':lease': item.lease },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      this.logger.warn({ delivery: item.id }, 'work item no longer held: another worker took it over');
    }
  }
}
