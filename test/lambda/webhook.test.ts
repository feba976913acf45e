import { createHmac } from 'node:crypto';
import nock from 'nock';
import type { Logger } from '../../src/log.js';
import { jsonLogger } from '../../src/lambda/log.js';
import type { QueueMessage } from '../../src/queue/message.js';
import { createWebhookHandler, verifySignature, webhookFromEnvironment, type WebhookEvent } from '../../src/lambda/webhook.js';
import { FakeSqs } from '../support/fake-sqs.js';

const SECRET = "It's a Secret to Everybody";
const ID = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
const BODY = '{"action":"opened","number":7,"title":"Ünïcode ✓"}';

function sha256(body: string | Buffer, secret = SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

function sha1(body: string, secret = SECRET): string {
  return `sha1=${createHmac('sha1', secret).update(body).digest('hex')}`;
}

function event(headers: Record<string, string>, body = BODY, isBase64Encoded = false): WebhookEvent {
  return { headers, body, isBase64Encoded };
}

function signed(body = BODY, extra: Record<string, string> = {}): WebhookEvent {
  return event({ 'x-github-event': 'pull_request', 'x-github-delivery': ID, 'x-hub-signature-256': sha256(body), ...extra }, body);
}

interface Harness {
  queued: QueueMessage[];
  lines: Record<string, unknown>[];
  log: Logger;
}

function harness(): Harness {
  const lines: Record<string, unknown>[] = [];
  return { queued: [], lines, log: jsonLogger({ write: (line) => lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}

function handlerFor(h: Harness, enqueue?: (message: QueueMessage) => Promise<void>) {
  return createWebhookHandler({ secret: SECRET, log: h.log, enqueue: enqueue ?? (async (message) => void h.queued.push(message)) });
}

const json = (statusCode: number, message: string) => ({ statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message }) });

describe('verifySignature', () => {
  // GitHub's documented example: secret "It's a Secret to Everybody", payload "Hello, World!".
  it('accepts the signature from GitHub’s documentation', () => {
    const header = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';
    expect(verifySignature(SECRET, Buffer.from('Hello, World!'), header)).toBe(true);
    expect(verifySignature(SECRET, Buffer.from('Hello, World?'), header)).toBe(false);
  });

  it('refuses missing, truncated, non-hex and SHA-1 signatures', () => {
    const body = Buffer.from(BODY);
    expect(verifySignature(SECRET, body, undefined)).toBe(false);
    expect(verifySignature(SECRET, body, sha256(BODY).slice(0, -2))).toBe(false);
    expect(verifySignature(SECRET, body, `sha256=${'z'.repeat(64)}`)).toBe(false);
    expect(verifySignature(SECRET, body, sha1(BODY))).toBe(false);
    expect(verifySignature(SECRET, body, sha256(BODY).toUpperCase())).toBe(false);
  });
});

describe('webhook handler', () => {
  it('queues a signed delivery as sent and answers 202', async () => {
    const h = harness();
    await expect(handlerFor(h)(signed())).resolves.toEqual(json(202, 'queued'));
    expect(h.queued).toEqual([{ body: BODY, attributes: { 'github-delivery': ID, 'github-event': 'pull_request' } }]);
    expect(h.lines).toEqual([expect.objectContaining({ level: 'info', delivery: ID, event: 'pull_request', msg: 'delivery queued' })]);
  });

  it('reads headers in any case and base64 bodies, verifying the bytes GitHub signed', async () => {
    const h = harness();
    const bytes = Buffer.from(BODY, 'utf8');
    const result = await handlerFor(h)(
      event({ 'X-GitHub-Event': 'pull_request', 'X-GitHub-Delivery': ID, 'X-Hub-Signature-256': sha256(bytes) }, bytes.toString('base64'), true),
    );
    expect(result.statusCode).toBe(202);
    expect(h.queued.map((message) => message.body)).toEqual([BODY]);
  });

  it.each([
    ['no signature', { 'x-github-event': 'pull_request', 'x-github-delivery': ID }],
    ['only the SHA-1 signature', { 'x-github-event': 'pull_request', 'x-github-delivery': ID, 'x-hub-signature': sha1(BODY) }],
    ['a signature under another secret', { 'x-github-event': 'pull_request', 'x-github-delivery': ID, 'x-hub-signature-256': sha256(BODY, 'guess') }],
    ['a signature of another body', { 'x-github-event': 'pull_request', 'x-github-delivery': ID, 'x-hub-signature-256': sha256('{}') }],
  ])('answers 401 to %s and queues nothing', async (_name, headers) => {
    const h = harness();
    await expect(handlerFor(h)(event(headers))).resolves.toEqual(json(401, 'missing or wrong X-Hub-Signature-256'));
    expect(h.queued).toEqual([]);
    // Logged without the body or the signature.
    expect(h.lines).toEqual([{ level: 'warn', time: expect.any(String), delivery: ID, event: 'pull_request', msg: 'webhook refused: missing or wrong X-Hub-Signature-256' }]);
  });

  it('answers 401 to an unsigned request even when it is malformed too', async () => {
    const h = harness();
    await expect(handlerFor(h)(event({}, 'not json'))).resolves.toMatchObject({ statusCode: 401 });
  });

  it.each([
    ['no event header', { 'x-github-delivery': ID }, BODY, 'missing or malformed X-GitHub-Delivery or X-GitHub-Event'],
    ['no delivery header', { 'x-github-event': 'pull_request' }, BODY, 'missing or malformed X-GitHub-Delivery or X-GitHub-Event'],
    ['an event name GitHub never sends', { 'x-github-event': 'Pull Request!', 'x-github-delivery': ID }, BODY, 'missing or malformed X-GitHub-Delivery or X-GitHub-Event'],
    ['a body that is not JSON', { 'x-github-event': 'pull_request', 'x-github-delivery': ID }, 'payload=%7B%7D', 'the body is not a JSON object (the app’s webhook content type must be application/json)'],
    ['a JSON array', { 'x-github-event': 'pull_request', 'x-github-delivery': ID }, '[1,2]', 'the body is not a JSON object (the app’s webhook content type must be application/json)'],
    ['no body', { 'x-github-event': 'pull_request', 'x-github-delivery': ID }, '', 'the body is not a JSON object (the app’s webhook content type must be application/json)'],
  ])('answers 400 to a signed request with %s', async (_name, headers, body, message) => {
    const h = harness();
    await expect(handlerFor(h)(event({ ...headers, 'x-hub-signature-256': sha256(body) }, body))).resolves.toEqual(json(400, message));
    expect(h.queued).toEqual([]);
  });

  it('answers 500 when the queue refuses, so GitHub records the delivery as failed', async () => {
    const h = harness();
    const handler = handlerFor(h, async () => {
      throw Object.assign(new Error('Request is throttled.'), { name: 'RequestThrottled' });
    });
    await expect(handler(signed())).resolves.toEqual(json(500, 'could not queue the delivery'));
    expect(h.lines).toEqual([
      { level: 'error', time: expect.any(String), err: { name: 'RequestThrottled', message: 'Request is throttled.' }, delivery: ID, event: 'pull_request', msg: 'could not queue the delivery' },
    ]);
  });
});

describe('webhook function configured from its environment', () => {
  let sqs: FakeSqs;
  let server: { close(): Promise<void> };
  const saved = { ...process.env };

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    sqs = new FakeSqs();
    server = await sqs.listen();
    // The SDK's own variables, as Lambda sets them (and AWS_ENDPOINT_URL_SQS for the imitation).
    Object.assign(process.env, { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'test', AWS_SECRET_ACCESS_KEY: 'test', AWS_ENDPOINT_URL_SQS: sqs.endpoint });
  });

  afterAll(async () => {
    process.env = saved;
    await server.close();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('sends the message to the queue with the delivery attributes (the SDK checks the body’s MD5)', async () => {
    const queueUrl = sqs.createQueue('deliveries');
    const handler = webhookFromEnvironment({ WEBHOOK_SECRET: SECRET, QUEUE_URL: queueUrl, LOG_LEVEL: 'error' });
    await expect(handler(signed())).resolves.toMatchObject({ statusCode: 202 });
    expect(sqs.messages.filter((message) => message.queueUrl === queueUrl).map(({ body, attributes }) => ({ body, attributes }))).toEqual([
      { body: BODY, attributes: { 'github-delivery': ID, 'github-event': 'pull_request' } },
    ]);
  });

  it('rides out a throttled SendMessage with the SDK’s retry, within GitHub’s 10 seconds', async () => {
    const queueUrl = sqs.createQueue('throttled');
    sqs.throttle(1);
    const before = sqs.log.length;
    const handler = webhookFromEnvironment({ WEBHOOK_SECRET: SECRET, QUEUE_URL: queueUrl, LOG_LEVEL: 'error' });
    await expect(handler(signed())).resolves.toMatchObject({ statusCode: 202 });
    expect(sqs.log.slice(before)).toEqual(['AmazonSQS.SendMessage 400', 'AmazonSQS.SendMessage 200']);
  });

  it('answers 500 for a queue that does not exist', async () => {
    const handler = webhookFromEnvironment({ WEBHOOK_SECRET: SECRET, QUEUE_URL: `${sqs.endpoint}/000000000000/missing`, LOG_LEVEL: 'fatal' });
    await expect(handler(signed())).resolves.toEqual(json(500, 'could not queue the delivery'));
  });

  it('refuses every delivery when the secret or the queue is not configured', async () => {
    const handler = webhookFromEnvironment({ QUEUE_URL: `${sqs.endpoint}/000000000000/deliveries`, LOG_LEVEL: 'fatal' });
    await expect(handler(signed())).resolves.toEqual(json(500, 'webhook function not configured'));
  });

  it('refuses every delivery when the secret is Probot’s stand-in "development", which anyone can sign with', async () => {
    const queueUrl = sqs.createQueue('development');
    const handler = webhookFromEnvironment({ WEBHOOK_SECRET: 'development', QUEUE_URL: queueUrl, LOG_LEVEL: 'fatal' });
    await expect(handler(signed(BODY, { 'x-hub-signature-256': sha256(BODY, 'development') }))).resolves.toEqual(json(500, 'webhook function not configured'));
    expect(sqs.messages.filter((message) => message.queueUrl === queueUrl)).toEqual([]);
  });
});
