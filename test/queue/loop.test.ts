// The worker loop (src/queue/loop.ts) over the DynamoDB work queue on dynalite: deliveries handed to the app in
// order, a failure given back with its backoff, one that fails too often kept aside, an unreadable item kept aside
// at once, and a delivery whose installation's rate limit is spent waiting for the reset without using an attempt.
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { jsonLogger } from '../../src/lambda/log.js';
import { DynamoWorkQueue } from '../../src/queue/dynamo.js';
import { startWorkLoop, type WorkLoop } from '../../src/queue/loop.js';
import { encodeDelivery, type Delivery } from '../../src/queue/message.js';
import { startDynalite, type TestDynalite } from '../support/dynalite.js';

let db: TestDynalite;
let loop: WorkLoop | undefined;
const lines: Record<string, unknown>[] = [];
const log = jsonLogger({ write: (line) => void lines.push(JSON.parse(line) as Record<string, unknown>) });

beforeEach(async () => {
  db = await startDynalite();
  lines.length = 0;
});
afterEach(async () => {
  await loop?.stop();
  loop = undefined;
  await db.stop();
});

const queueOf = () => new DynamoWorkQueue({ client: db.doc, tableName: db.tableName, leaseMs: 5000, maxAttempts: 2 });
const delivery = (id: string, installation = 1): Delivery => ({ id, name: 'pull_request', body: JSON.stringify({ action: 'opened', installation: { id: installation } }) });

async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 10));
}

async function items(): Promise<Record<string, unknown>[]> {
  const page = await db.doc.send(new ScanCommand({ TableName: db.tableName, ConsistentRead: true }));
  return (page.Items ?? []).filter((item) => item.pk === 'work');
}

it('hands each delivery to the app once and removes it; a failure is retried after its backoff, then succeeds', async () => {
  const queue = queueOf();
  const received: string[] = [];
  let failures = 1;
  await queue.enqueue(encodeDelivery(delivery('a'))!);
  await queue.enqueue(encodeDelivery(delivery('b'))!);
  loop = startWorkLoop({
    queue,
    concurrency: 1,
    pollMs: 20,
    renewMs: 1000,
    retryDelayMs: () => 50,
    log,
    receive: async (each) => {
      received.push(each.id);
      if (each.id === 'a' && failures-- > 0) throw new Error('GitHub answered 502');
    },
  });
  await until(async () => (await items()).length === 0);
  // In order of arrival; `a` once more after its backoff (before or after `b`, as the machine's pace has it).
  expect(received[0]).toBe('a');
  expect([...received].sort()).toEqual(['a', 'a', 'b']);
  expect(lines.filter((line) => line.level === 'error').map((line) => [line.msg, line.delivery, line.attempts])).toEqual([['delivery failed; it will be retried', 'a', 1]]);
});

it('a delivery failing at every attempt is kept aside after maxAttempts; an unreadable item at once', async () => {
  const queue = queueOf();
  await queue.enqueue(encodeDelivery(delivery('bad'))!);
  await queue.enqueue({ body: 'x', attributes: { 'github-delivery': 'unreadable' } });
  let calls = 0;
  loop = startWorkLoop({ queue, concurrency: 2, pollMs: 20, renewMs: 1000, retryDelayMs: () => 20, log, receive: async () => {
      calls += 1;
      throw new Error('broken');
    },
  });
  await until(async () => (await items()).every((item) => item.state === 'dead'));
  expect(calls).toBe(2);
  expect((await items()).map((item) => [item.sk, item.state]).sort()).toEqual([['bad', 'dead'], ['unreadable', 'dead']]);
  expect(lines.filter((line) => line.level === 'error').map((line) => line.msg)).toEqual(expect.arrayContaining(['unreadable work item; kept aside', 'delivery failed too often; kept aside']));
});

it('an installation whose rate limit is spent: its delivery waits for the reset, without spending an attempt', async () => {
  const queue = queueOf();
  await queue.enqueue(encodeDelivery(delivery('limited', 7))!);
  const resetAt = Date.now() + 300;
  const received: number[] = [];
  loop = startWorkLoop({
    queue,
    concurrency: 1,
    pollMs: 20,
    renewMs: 1000,
    log,
    deferUntil: (each) => (each.body.includes('"id":7') && Date.now() < resetAt ? resetAt : undefined),
    receive: async () => void received.push(Date.now()),
  });
  await until(() => received.length === 1);
  expect(received[0]).toBeGreaterThanOrEqual(resetAt);
  await until(async () => (await items()).length === 0);
  expect(lines.filter((line) => line.msg === 'installation rate limit spent: the delivery waits for its reset')).toHaveLength(1);
});

it('an accepted delivery is worked on without a look at the queue while a slot is free; with none free it waits in the queue', async () => {
  const queue = queueOf();
  let takes = 0;
  const take = queue.take.bind(queue);
  queue.take = async (max) => {
    const taken = await take(max);
    takes += 1;
    return taken;
  };
  const received: string[] = [];
  let release: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (release = resolve));
  // No polling within the test: every take is one the loop made for an accepted delivery or a freed slot.
  loop = startWorkLoop({ queue, concurrency: 1, pollMs: 60_000, renewMs: 1000, log, receive: async (each) => {
    received.push(each.id);
    if (each.id === 'a') await held;
  } });
  await until(() => takes === 1);
  await loop.accept(encodeDelivery(delivery('a'))!);
  await until(() => received.length === 1);
  expect(takes).toBe(1);
  // The only slot is busy: `b` is queued, and taken when `a` is done.
  await loop.accept(encodeDelivery(delivery('b'))!);
  expect((await items()).map((item) => item.sk).sort()).toEqual(['a', 'b']);
  release();
  await until(async () => (await items()).length === 0);
  expect(received).toEqual(['a', 'b']);
});
