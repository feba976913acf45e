// The DynamoDB work queue (src/queue/dynamo.ts) on dynalite, with a clock the test moves.
import { DynamoWorkQueue } from '../../src/queue/dynamo.js';
import { encodeDelivery, type QueueMessage } from '../../src/queue/message.js';
import type { WorkItem } from '../../src/queue/port.js';
import { startDynalite, type TestDynalite } from '../support/dynalite.js';

let db: TestDynalite;
let clock = 1_000_000;
const queueOf = (maxAttempts = 3) => new DynamoWorkQueue({ client: db.doc, tableName: db.tableName, leaseMs: 1000, maxAttempts, now: () => clock });
const message = (id: string): QueueMessage => encodeDelivery({ id, name: 'pull_request', body: `{"n":"${id}"}` })!;

beforeEach(async () => {
  db = await startDynalite();
  clock = 1_000_000;
});
afterEach(() => db.stop());

it('oldest first, each item to one taker; a redelivered id is queued once', async () => {
  const queue = queueOf();
  await queue.enqueue(message('a'));
  clock += 1;
  await queue.enqueue(message('b'));
  await queue.enqueue(message('a'));
  const [first] = await queue.take(1);
  expect(first).toMatchObject({ id: 'a', attempts: 1, takenOver: false, message: message('a') });
  expect((await queue.take(5)).map((item) => item.id)).toEqual(['b']);
  expect(await queue.take(5)).toEqual([]);
});

/** Item `a`'s 1 s lease runs out and a second take has it; the first holder can no longer complete it. */
async function expectTakenOverFrom(queue: DynamoWorkQueue, held: WorkItem | undefined): Promise<void> {
  clock += 999;
  expect(await queue.take(1)).toEqual([]);
  clock += 2;
  const [taken] = await queue.take(1);
  expect(taken).toMatchObject({ id: 'a', attempts: 2, takenOver: true });
  await queue.complete(held!);
  clock += 5000;
  expect((await queue.take(1)).map((item) => item.id)).toEqual(['a']);
}

it('a lease that runs out is taken over; the late holder can no longer complete it', async () => {
  const queue = queueOf();
  await queue.enqueue(message('a'));
  const [held] = await queue.take(1);
  await expectTakenOverFrom(queue, held);
});

it('a renewed lease holds; a completed item is gone', async () => {
  const queue = queueOf();
  await queue.enqueue(message('a'));
  const [held] = await queue.take(1);
  clock += 900;
  await queue.renew(held!);
  clock += 900;
  expect(await queue.take(1)).toEqual([]);
  await queue.complete(held!);
  clock += 10_000;
  expect(await queue.take(1)).toEqual([]);
});

it('given back: taken again after the delay; after maxAttempts kept aside; a wait does not count as an attempt', async () => {
  const queue = queueOf(2);
  await queue.enqueue(message('a'));
  const [one] = await queue.take(1);
  expect(await queue.giveBack(one!, 500, false)).toBe('retried');
  clock += 500;
  const [two] = await queue.take(1);
  expect(two!.attempts).toBe(1);
  expect(await queue.giveBack(two!, 100)).toBe('retried');
  clock += 100;
  const [three] = await queue.take(1);
  expect(three!.attempts).toBe(2);
  expect(await queue.giveBack(three!, 100)).toBe('dead');
  clock += 1_000_000;
  expect(await queue.take(1)).toEqual([]);
});

it('queued already held: no other taker gets it until its lease runs out; a redelivered id is not held twice', async () => {
  const queue = queueOf();
  const held = await queue.enqueueHeld(message('a'));
  expect(held).toMatchObject({ id: 'a', attempts: 1, takenOver: false, message: message('a') });
  expect(await queue.enqueueHeld(message('a'))).toBeUndefined();
  await queue.enqueue(message('a'));
  await expectTakenOverFrom(queue, held);
});
