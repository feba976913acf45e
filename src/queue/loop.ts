// The worker loop of `npm start`: takes work items as slots free up, hands each delivery to the app, renews the
// lease while the app works, and completes the item or gives it back for a retry with backoff. It wakes at once
// when the intake queues a delivery, and polls otherwise (to take over the items of a process that died).
import type { Logger } from '../log.js';
import { decodeDelivery, type Delivery } from './message.js';
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
  /** Looks for work now (the intake just queued some). */
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

  const look = async (): Promise<void> => {
    do {
      again = false;
      const free = options.concurrency - busy;
      if (!running || free <= 0) return;
      let items: WorkItem[];
      try {
        items = await queue.take(free);
      } catch (error) {
        log.warn({ err: error }, 'could not take work items; trying again shortly');
        return;
      }
      for (const item of items) {
        busy += 1;
        const done = work(item)
          .catch((error: unknown) => log.error({ err: error, delivery: item.id }, 'work item left for a retry after its lease'))
          .finally(() => {
            busy -= 1;
            inHand.delete(done);
            wake();
          });
        inHand.add(done);
      }
      if (items.length === free) again = true;
    } while (again && running);
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
