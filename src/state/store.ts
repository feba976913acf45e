// What the app remembers about its own work, in the cache's table: deliveries already taken (so a
// redelivered webhook is processed once), the order of evaluations of a pull request (so the newest
// wins), and the refs each evaluation resolved (so a tag that moved in between is reported).
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { silentLogger, type Logger } from '../log.js';

/** `owner/repo@ref` of a call (as written) → the commit it resolved to. */
export type ResolvedRefs = Record<string, string>;

export interface StateStore {
  /**
   * True when this process may handle the delivery: the first claim, or a claim whose holder never
   * finished within the lease (it crashed or timed out). False for a duplicate of a delivery in hand or done.
   */
  claimDelivery(deliveryId: string): Promise<boolean>;
  /** Marks a claimed delivery handled, so no redelivery is processed again. */
  completeDelivery(deliveryId: string): Promise<void>;
  /** Gives up a claim whose handling failed, so a retry is processed at once instead of after the lease. */
  releaseDelivery(deliveryId: string): Promise<void>;
  /** The check run a delivery created for a target (`subject@head`) before its handling was cut short. */
  checkRunOf(deliveryId: string, target: string): Promise<number | undefined>;
  /** Remembers the check run a delivery created, so a retry of the delivery completes it instead of adding one. */
  rememberCheckRun(deliveryId: string, target: string, checkRunId: number): Promise<void>;
  /** Starts an evaluation of a pull request (or a merge group) at a head commit: its sequence number, higher is newer. */
  beginEvaluation(subject: string, head: string): Promise<number>;
  /** The head commit of the newest evaluation of the subject when one began after `sequence`; undefined when none did. */
  newerEvaluation(subject: string, sequence: number): Promise<{ head: string } | undefined>;
  /** The refs the previous evaluation of the subject resolved, if any. */
  previousRefs(subject: string): Promise<ResolvedRefs | undefined>;
  saveRefs(subject: string, refs: ResolvedRefs): Promise<void>;
}

const DAY_SECONDS = 24 * 3600;
/** Deliveries are redelivered within hours; a week covers manual redeliveries too. */
const DELIVERY_TTL_SECONDS = 7 * DAY_SECONDS;
/** Longer than any evaluation may take: a claim older than this was abandoned. */
export const DELIVERY_LEASE_SECONDS = 15 * 60;
/** Pull requests live for weeks; their records expire a while after the last evaluation. */
const SUBJECT_TTL_SECONDS = 90 * DAY_SECONDS;

export interface DynamoStateOptions {
  client: DynamoDBDocumentClient;
  tableName: string;
  now?: () => number;
  logger?: Logger;
}

/**
 * The DynamoDB state store. A failure of the table never stops an evaluation: a delivery is then
 * processed (better twice than lost), sequencing is skipped and no previous refs are known; each is logged.
 */
export class DynamoStateStore implements StateStore {
  private readonly client: DynamoDBDocumentClient;
  private readonly tableName: string;
  private readonly now: () => number;
  private readonly logger: Logger;

  constructor(options: DynamoStateOptions) {
    this.client = options.client;
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
    this.logger = options.logger ?? silentLogger;
  }

  async claimDelivery(deliveryId: string): Promise<boolean> {
    const now = this.nowSeconds();
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `delivery#${deliveryId}`, sk: '-', state: 'claimed', claimedAt: now, ttl: now + DELIVERY_TTL_SECONDS },
          ConditionExpression: 'attribute_not_exists(pk) OR (#state = :claimed AND claimedAt < :abandoned)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':claimed': 'claimed', ':abandoned': now - DELIVERY_LEASE_SECONDS },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      this.logger.warn({ err: error, deliveryId }, 'state store unavailable: processing the delivery without the duplicate check');
      return true;
    }
  }

  async completeDelivery(deliveryId: string): Promise<void> {
    try {
      await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `delivery#${deliveryId}`, sk: '-' },
          // When the claim could not be written (the table failed then), this creates the record: it must expire too.
          UpdateExpression: 'SET #state = :done, #ttl = if_not_exists(#ttl, :ttl)',
          ExpressionAttributeNames: { '#state': 'state', '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':done': 'done', ':ttl': this.expiry(DELIVERY_TTL_SECONDS) },
        }),
      );
    } catch (error) {
      this.logger.warn({ err: error, deliveryId }, 'state store unavailable: delivery not marked handled');
    }
  }

  async releaseDelivery(deliveryId: string): Promise<void> {
    try {
      await this.client.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: { pk: `delivery#${deliveryId}`, sk: '-' },
          ConditionExpression: '#state = :claimed',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':claimed': 'claimed' },
        }),
      );
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return;
      this.logger.warn({ err: error, deliveryId }, 'state store unavailable: delivery claim not released');
    }
  }

  async checkRunOf(deliveryId: string, target: string): Promise<number | undefined> {
    try {
      const result = await this.client.send(new GetCommand({ TableName: this.tableName, Key: { pk: `check-run#${deliveryId}`, sk: target }, ConsistentRead: true }));
      const id: unknown = result.Item?.checkRunId;
      return typeof id === 'number' ? id : undefined;
    } catch (error) {
      this.logger.warn({ err: error, deliveryId }, 'state store unavailable: a retried delivery creates a new check run');
      return undefined;
    }
  }

  async rememberCheckRun(deliveryId: string, target: string, checkRunId: number): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({ TableName: this.tableName, Item: { pk: `check-run#${deliveryId}`, sk: target, checkRunId, ttl: this.expiry(DELIVERY_TTL_SECONDS) } }),
      );
    } catch (error) {
      this.logger.warn({ err: error, deliveryId }, 'state store unavailable: check run not remembered for a retry');
    }
  }

  async beginEvaluation(subject: string, head: string): Promise<number> {
    try {
      const result = await this.client.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: `subject#${subject}`, sk: 'sequence' },
          UpdateExpression: 'ADD seq :one SET #ttl = :ttl, head = :head',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':one': 1, ':ttl': this.expiry(SUBJECT_TTL_SECONDS), ':head': head },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      const sequence = result.Attributes?.seq;
      return typeof sequence === 'number' ? sequence : 0;
    } catch (error) {
      this.logger.warn({ err: error, subject }, 'state store unavailable: evaluations of this subject are not ordered');
      return 0;
    }
  }

  async newerEvaluation(subject: string, sequence: number): Promise<{ head: string } | undefined> {
    if (sequence === 0) return undefined;
    try {
      const result = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: `subject#${subject}`, sk: 'sequence' }, ConsistentRead: true }),
      );
      const latest: unknown = result.Item?.seq;
      const head: unknown = result.Item?.head;
      return typeof latest === 'number' && latest > sequence ? { head: typeof head === 'string' ? head : '' } : undefined;
    } catch (error) {
      this.logger.warn({ err: error, subject }, 'state store unavailable: assuming this evaluation is the newest');
      return undefined;
    }
  }

  async previousRefs(subject: string): Promise<ResolvedRefs | undefined> {
    try {
      const result = await this.client.send(
        new GetCommand({ TableName: this.tableName, Key: { pk: `subject#${subject}`, sk: 'refs' } }),
      );
      const refs: unknown = result.Item?.refs;
      return isResolvedRefs(refs) ? refs : undefined;
    } catch (error) {
      this.logger.warn({ err: error, subject }, 'state store unavailable: moved refs cannot be reported');
      return undefined;
    }
  }

  async saveRefs(subject: string, refs: ResolvedRefs): Promise<void> {
    try {
      await this.client.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { pk: `subject#${subject}`, sk: 'refs', refs, ttl: this.expiry(SUBJECT_TTL_SECONDS) },
        }),
      );
    } catch (error) {
      this.logger.warn({ err: error, subject }, 'state store unavailable: resolved refs not saved');
    }
  }

  private nowSeconds(): number {
    return Math.floor(this.now() / 1000);
  }

  private expiry(seconds: number): number {
    return this.nowSeconds() + seconds;
  }
}

function isResolvedRefs(value: unknown): value is ResolvedRefs {
  return typeof value === 'object' && value !== null && Object.values(value).every((commit) => typeof commit === 'string');
}
