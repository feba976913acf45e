import { generateKeyPairSync } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { SQSRecord } from 'aws-lambda';
import nock from 'nock';
import { jsonLogger } from '../../src/lambda/log.js';
import { encodeDelivery } from '../../src/queue/message.js';
import { createWorkerHandler, loadWardenProbot, readPrivateKey, type DeliveryReceiver, type ReceivedEvent } from '../../src/lambda/worker.js';
import { startDynalite, type TestDynalite } from '../support/dynalite.js';

const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
const PKCS1 = keys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
const PKCS8 = keys.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

let nextId = 0;

/** A record as Lambda's SQS event source delivers it, for a message the webhook function wrote. */
function record(name: string, payload: object, id = `delivery-${++nextId}`): SQSRecord {
  const message = encodeDelivery({ id, name, body: JSON.stringify(payload) });
  if (!message) throw new Error('payload too large');
  return {
    messageId: `message-${id}`,
    receiptHandle: 'handle',
    body: message.body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1', SenderId: 'webhook', ApproximateFirstReceiveTimestamp: '1' },
    messageAttributes: Object.fromEntries(Object.entries(message.attributes).map(([key, value]) => [key, { stringValue: value, dataType: 'String' }])),
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:deliveries',
    awsRegion: 'us-east-1',
  };
}

function receiver(fail: (event: ReceivedEvent) => boolean = () => false): DeliveryReceiver & { received: ReceivedEvent[] } {
  const received: ReceivedEvent[] = [];
  return {
    received,
    receive: async (event) => {
      received.push(event);
      if (fail(event)) {
        const failure = Object.assign(new Error('Bad Gateway'), { status: 502, request: { headers: { authorization: 'token ghs_secret' } } });
        throw new AggregateError([failure], 'handler failed');
      }
    },
  };
}

describe('readPrivateKey', () => {
  it('accepts the PEM GitHub hands out, its base64, and PEMs with literal \\n', () => {
    expect(readPrivateKey(PKCS1)).toBe(PKCS1);
    expect(readPrivateKey(PKCS8)).toBe(PKCS8);
    expect(readPrivateKey(Buffer.from(PKCS1).toString('base64'))).toBe(PKCS1);
    expect(readPrivateKey(PKCS1.replace(/\n/g, '\\n'))).toBe(PKCS1);
  });

  it('refuses anything else without repeating it', () => {
    const garbage = '-----BEGIN RSA PRIVATE KEY-----\nc2VjcmV0LWJ1dC1ub3QtYS1rZXk=\n-----END RSA PRIVATE KEY-----\n';
    expect(() => readPrivateKey(garbage)).toThrow(new Error('PRIVATE_KEY is neither a PEM private key nor the base64 of one'));
    expect(() => readPrivateKey('hunter2')).toThrow(new Error('PRIVATE_KEY is neither a PEM private key nor the base64 of one'));
  });
});

describe('worker batch handler', () => {
  it('hands each record to the app with its delivery id, event name and parsed payload', async () => {
    const app = receiver();
    const handler = createWorkerHandler(async () => app, jsonLogger({ write: () => undefined }));
    const push = record('push', { ref: 'refs/heads/main' }, 'a1');
    const big = record('pull_request', { action: 'opened', body: 'x'.repeat(300_000) }, 'b2');
    await expect(handler({ Records: [push, big] })).resolves.toEqual({ batchItemFailures: [] });
    expect(app.received.map(({ id, name }) => [id, name])).toEqual([['a1', 'push'], ['b2', 'pull_request']]);
    expect(app.received[0]?.payload).toEqual({ ref: 'refs/heads/main' });
    // The large payload travelled gzipped and arrives whole.
    expect((app.received[1]?.payload as { body: string }).body).toHaveLength(300_000);
  });

  it('reports only the records that failed, so SQS retries those alone', async () => {
    const lines: Record<string, unknown>[] = [];
    const app = receiver((event) => event.id === 'fails');
    const handler = createWorkerHandler(async () => app, jsonLogger({ write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }));
    const ok = record('push', { ref: 'refs/heads/main' }, 'ok');
    const failing = record('pull_request', { action: 'opened' }, 'fails');
    const unreadable: SQSRecord = { ...record('push', {}, 'unread'), messageAttributes: {} };
    const notJson: SQSRecord = { ...record('push', {}, 'not-json'), body: '{"truncated":' };
    const result = await handler({ Records: [ok, failing, unreadable, notJson] });
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: 'message-fails' }, { itemIdentifier: 'message-unread' }, { itemIdentifier: 'message-not-json' }] });
    // Neither the message without attributes nor the one whose body is not JSON reached the app.
    expect(app.received.map((event) => event.id)).toEqual(['ok', 'fails']);
    expect(lines.map((line) => [line.level, line.messageId, line.delivery, line.receiveCount, line.msg])).toEqual([
      ['error', 'message-fails', 'fails', '1', 'delivery failed; the queue will retry it'],
      ['error', 'message-unread', undefined, '1', 'delivery failed; the queue will retry it'],
      ['error', 'message-not-json', 'not-json', '1', 'delivery failed; the queue will retry it'],
    ]);
    expect(lines[0]?.err).toEqual({ name: 'AggregateError', message: 'handler failed', errors: [{ name: 'Error', message: 'Bad Gateway', status: 502 }] });
    expect(lines[1]?.err).toEqual({ name: 'Error', message: 'unreadable message: message lacks the github-delivery or github-event attribute' });
    expect(JSON.stringify(lines)).not.toContain('ghs_secret');
  });

  it('fails the whole batch when the app cannot be loaded', async () => {
    const handler = createWorkerHandler(async () => Promise.reject(new Error('APP_ID must be set')), jsonLogger({ write: () => undefined }));
    await expect(handler({ Records: [record('push', {})] })).rejects.toThrow('APP_ID must be set');
  });
});

describe('loadWardenProbot', () => {
  let dynamo: TestDynalite;

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    dynamo = await startDynalite();
  });

  afterAll(async () => {
    await dynamo.stop();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  const env = (overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => ({
    APP_ID: '4242',
    PRIVATE_KEY: Buffer.from(PKCS1).toString('base64'),
    DYNAMODB_TABLE: dynamo.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    GHE_HOST: 'github.example.com',
    LOG_LEVEL: 'silent',
    ...overrides,
  });

  it.each([
    [{ DYNAMODB_TABLE: undefined }, 'DYNAMODB_TABLE must be set: the worker has no embedded store'],
    [{ APP_ID: undefined }, 'APP_ID must be set'],
    [{ APP_ID: 'my-app' }, 'APP_ID must be the GitHub App’s numeric id'],
    [{ PRIVATE_KEY: undefined }, 'PRIVATE_KEY must be set'],
    [{ PRIVATE_KEY: 'not-a-key' }, 'PRIVATE_KEY is neither a PEM private key nor the base64 of one'],
  ])('refuses to start with %p', async (overrides, message) => {
    await expect(loadWardenProbot(env(overrides))).rejects.toThrow(new Error(message));
  });

  it('loads the app on the configured table and host: a push forgets the cached commit of its branch', async () => {
    const saved = process.env;
    process.env = { ...saved };
    // The DynamoDB client reads the SDK's own variables, as on Lambda.
    Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint });
    try {
      // Cache keys carry the installation (1, in the push below).
      const key = { pk: 'ref#github.example.com#1#octo-org/app', sk: 'main' };
      await dynamo.doc.send(new PutCommand({ TableName: dynamo.tableName, Item: { ...key, ttl: Math.floor(Date.now() / 1000) + 3600, v: '"0123"' } }));
      const probot = await loadWardenProbot(env());
      const handler = createWorkerHandler(async () => probot, jsonLogger({ write: () => undefined }));
      const push = record('push', { ref: 'refs/heads/main', repository: { name: 'app', owner: { login: 'octo-org' } }, installation: { id: 1 } });
      await expect(handler({ Records: [push] })).resolves.toEqual({ batchItemFailures: [] });
      const left = await dynamo.doc.send(new GetCommand({ TableName: dynamo.tableName, Key: key }));
      expect(left.Item).toBeUndefined();
    } finally {
      process.env = saved;
    }
  });
});
