// The `worker` Lambda function: reads verified deliveries from the queue and hands each to the app, loaded
// once per Lambda instance. A record that fails is reported in `batchItemFailures`, so SQS retries only that
// one (after the queue's visibility timeout) and moves it to the dead-letter queue after maxReceiveCount.
// Redelivered messages are harmless: the app claims each delivery id once in DynamoDB.
import { createPrivateKey } from 'node:crypto';
import type { SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { createProbot, type Probot } from 'probot';
import { createWardenApp } from '../app/index.js';
import { readConfig } from '../config.js';
import type { Logger } from '../log.js';
import { createServices } from '../services.js';
import { jsonLogger } from './log.js';
import { decodeDelivery, DELIVERY_ATTRIBUTE, EVENT_ATTRIBUTE } from '../queue/message.js';
import { WardenOctokit } from '../octokit.js';

/** What the worker needs of Probot. */
export type DeliveryReceiver = Pick<Probot, 'receive'>;
export type ReceivedEvent = Parameters<Probot['receive']>[0];
export type WorkerHandler = (event: Pick<SQSEvent, 'Records'>) => Promise<SQSBatchResponse>;

/**
 * The app's private key as PEM. GitHub hands out PEM files; a base64 of one is accepted too (it fits an
 * environment variable on one line), and so are literal `\n`s. The key itself never appears in an error.
 */
export function readPrivateKey(value: string): string {
  const pem = (value.includes('-----BEGIN') ? value : Buffer.from(value, 'base64').toString('utf8')).replace(/\\n/g, '\n');
  try {
    createPrivateKey(pem);
  } catch {
    throw new Error('PRIVATE_KEY is neither a PEM private key nor the base64 of one');
  }
  return pem;
}

function required(env: NodeJS.ProcessEnv, name: string): string {
  const value = env[name];
  if (!value) throw new Error(`${name} must be set`);
  return value;
}

/**
 * Probot with the app loaded, from the function's environment: APP_ID, PRIVATE_KEY, DYNAMODB_TABLE, the app's
 * own settings (config.ts), and GHE_HOST/GHE_PROTOCOL for GitHub Enterprise Server, as `npm start` reads them.
 * The worker never checks signatures (the webhook function did), so it is not given the webhook secret.
 */
export async function loadWardenProbot(env: NodeJS.ProcessEnv): Promise<Probot> {
  const config = readConfig(env);
  if (!config.dynamoTable) throw new Error('DYNAMODB_TABLE must be set: the worker has no embedded store');
  const appId = Number(required(env, 'APP_ID'));
  if (!Number.isInteger(appId) || appId <= 0) throw new Error('APP_ID must be the GitHub App’s numeric id');
  const privateKey = readPrivateKey(required(env, 'PRIVATE_KEY'));
  const probot = createProbot({ env, overrides: { appId, privateKey, Octokit: WardenOctokit } });
  await probot.ready();
  const services = await createServices(config, probot.log.child({ name: 'warden' }));
  await probot.load(createWardenApp(services));
  return probot;
}

function stringAttributes(record: SQSRecord): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(record.messageAttributes).map(([name, attribute]) => [name, attribute.stringValue]));
}

/** Hands one record to the app; throws when it should be retried. */
async function receiveRecord(receiver: DeliveryReceiver, record: SQSRecord): Promise<void> {
  const decoded = decodeDelivery({ body: record.body, attributes: stringAttributes(record) });
  // Not retried into success, but kept: after maxReceiveCount it waits in the dead-letter queue for a person.
  if (!decoded.ok) throw new Error(`unreadable message: ${decoded.reason}`);
  const { id, name, body } = decoded.delivery;
  const payload: unknown = JSON.parse(body);
  await receiver.receive({ id, name, payload } as ReceivedEvent);
}

/**
 * The batch handler. `load` is called on every invocation and should memoize; if it fails the whole
 * batch fails (the instance could not handle any record) and is retried.
 */
export function createWorkerHandler(load: () => Promise<DeliveryReceiver>, log: Logger): WorkerHandler {
  return async (event) => {
    const receiver = await load();
    // Side by side: one slow evaluation does not hold back the rest of the batch.
    const outcomes = await Promise.allSettled(event.Records.map((record) => receiveRecord(receiver, record)));
    const batchItemFailures = outcomes.flatMap((outcome, index) => {
      const record = event.Records[index];
      if (outcome.status === 'fulfilled' || !record) return [];
      log.error(
        {
          err: outcome.reason,
          messageId: record.messageId,
          delivery: record.messageAttributes[DELIVERY_ATTRIBUTE]?.stringValue,
          event: record.messageAttributes[EVENT_ATTRIBUTE]?.stringValue,
          receiveCount: record.attributes.ApproximateReceiveCount,
        },
        'delivery failed; the queue will retry it',
      );
      return [{ itemIdentifier: record.messageId }];
    });
    return { batchItemFailures };
  };
}

let loading: Promise<DeliveryReceiver> | undefined;

/** Probot and the app, once per instance; a failed start is tried again on the next invocation. */
function loadOnce(): Promise<DeliveryReceiver> {
  loading ??= loadWardenProbot(process.env).catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

/** The Lambda entry point (`src/lambda/worker.handler`). */
export const handler: WorkerHandler = createWorkerHandler(loadOnce, jsonLogger({ level: process.env.LOG_LEVEL }));
