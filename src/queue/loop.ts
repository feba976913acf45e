// The worker loop of `npm start`: takes work items as slots free up, hands each delivery to the app, renews the
// lease while the app works, and completes the item or gives it back for a retry with backoff. A delivery the
// intake accepts while a slot is free is written already held by this loop and worked on at once; otherwise it is
// queued and taken when a slot frees. The loop polls too (due retries, the items of a process that died).
import type { Logger } from '../log.js';
import { decodeDelivery, type Delivery, type QueueMessage } from './message.js';
import type { WorkItem, WorkQueue } from './port.js';

export interface WorkLoopOptions {
  queue: WorkQueue;
  /** Hands a delivery to the app (probot.receive); throws when it should be retried. */
  receive(delivery: Delivery, item: WorkItem): Promise<void>;
  /** Deliveries in hand at once. */
  concurrency: number;
  /** How often an idle loop looks for items (due retries, expired leases). */
  pollMs: number;
  /** How often a held item's lease is renewed: well within the lease. */
  renewMs: number;
  /** When to take an item again after its n-th failed attempt. */
  retryDelayMs?: (attempts: number) => number;
  /** Epoch ms until which a delivery should wait (its installation's rate limit is spent), if it should. */
  deferUntil?: (delivery: Delivery) => number | undefined;
  now?: () => number;
  log: Logger;
}

export interface WorkLoop {
  /**
   * Queues a delivery the intake accepted: held by this loop at once when it has a free slot (no look at the queue,
   * no take), else queued for whichever worker is free first. Resolves once the item is written (the 202 can go).
   */
  accept(message: QueueMessage): Promise<void>;
  /** Looks for work now. */
  wake(): void;
  /**
   * Takes no more work, and resolves when the work in hand is done — or at once with `abandon` (a process going
   * down hard): its leases are no longer renewed, so another process takes the items over when they run out.
   */
  stop(options?: { abandon?: boolean }): Promise<void>;
  /** Deliveries in hand. */
  readonly busy: number;
}

/** 2 s, 4 s, 8 s … capped at a minute: a failing GitHub is asked again soon, never hammered. */
const backoff = (attempts: number) => Math.min(60_000, 1000 * 2 ** attempts);

export function startWorkLoop(options: WorkLoopOptions): WorkLoop {
  const { queue, log } = options;
  const now = options.now ?? Date.now;
  const retryDelay = options.retryDelayMs ?? backoff;
  let running = true;
  let busy = 0;
  let timer: NodeJS.Timeout | undefined;
  let looking: Promise<void> | undefined;
  let again = false;
  const inHand = new Set<Promise<void>>();
  const renewals = new Set<NodeJS.Timeout>();

  const work = async (item: WorkItem): Promise<void> => {
    const decoded = decodeDelivery({ body: item.message.body, attributes: item.message.attributes });
    if (!decoded.ok) {
      // Not retried into success: kept aside for a person, as the dead-letter queue keeps it.
      log.error({ delivery: item.id, reason: decoded.reason }, 'unreadable work item; kept aside');
      await queue.setAside(item);
      return;
    }
    const wait = options.deferUntil?.(decoded.delivery);
    if (wait !== undefined && wait > now()) {
      log.info({ delivery: item.id, untilMs: wait }, 'installation rate limit spent: the delivery waits for its reset');
      await queue.giveBack(item, wait - now(), false);
      return;
    }
    const renewal = setInterval(() => void queue.renew(item).catch((error: unknown) => log.warn({ err: error, delivery: item.id }, 'could not renew a work item lease')), options.renewMs);
    renewals.add(renewal);
    try {
      await options.receive(decoded.delivery, item);
      await queue.complete(item);
    } catch (error) {
      const outcome = await queue.giveBack(item, retryDelay(item.attempts));
      log.error({ err: error, delivery: item.id, event: decoded.delivery.name, attempts: item.attempts, outcome }, outcome === 'dead' ? 'delivery failed too often; kept aside' : 'delivery failed; it will be retried');
    } finally {
      clearInterval(renewal);
      renewals.delete(renewal);
    }
  };

  /** Works on an item whose slot is already counted in `busy`. */
  const start = (item: WorkItem): void => {
    const done = work(item)
      .catch((error: unknown) => log.error({ err: error, delivery: item.id }, 'work item left for a retry after its lease'))
      .finally(() => {
        busy -= 1;
        inHand.delete(done);
        wake();
      });
    inHand.add(done);
  };

  const look = async (): Promise<void> => {
    do {
      again = false;
      const free = options.concurrency - busy;
      if (!running || free <= 0) return;
      // The slots are counted while the take is out, so a delivery accepted meanwhile does not take one of them.
      busy += free;
      let items: WorkItem[];
      try {
        items = await queue.take(free);
      } catch (error) {
        busy -= free;
        log.warn({ err: error }, 'could not take work items; trying again shortly');
        return;
      }
      busy -= free - items.length;
      for (const item of items) start(item);
      if (items.length === free) again = true;
    } while (again && running);
  };

  const accept = async (message: QueueMessage): Promise<void> => {
    if (!running || busy >= options.concurrency) {
      await queue.enqueue(message);
      wake();
      return;
    }
    busy += 1;
    let item: WorkItem | undefined;
    try {
      item = await queue.enqueueHeld(message);
    } finally {
      if (item === undefined) busy -= 1;
    }
    if (item === undefined) return;
    if (running) start(item);
    else {
      // Stopped while the item was written: it waits for its lease to run out, then any worker takes it.
      busy -= 1;
    }
  };

  const wake = (): void => {
    if (!running) return;
    if (looking) {
      again = true;
      return;
    }
    looking = look().finally(() => {
      looking = undefined;
      if (again) wake();
    });
  };

  const poll = (): void => {
    timer = setTimeout(() => {
      wake();
      if (running) poll();
    }, options.pollMs);
    timer.unref();
  };

  wake();
  poll();
  return {
    accept,
    wake,
    get busy() {
      return busy;
    },
    async stop(stopping = {}) {
      running = false;
      clearTimeout(timer);
      if (stopping.abandon) {
        for (const renewal of renewals) clearInterval(renewal);
        return;
      }
      await looking;
      await Promise.all([...inHand]);
    },
  };
}
