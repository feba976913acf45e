// `npm start`'s runtime once the app is registered: the HTTP intake answers each verified delivery with 202 as soon
// as it is recorded as a work item in DynamoDB, and a worker loop in the same process hands the items to Probot.
// A process that dies mid-evaluation leaves its item leased; the next process to look takes it over when the lease
// runs out, and completes the same check run (the delivery remembered it). Lambda does the same with SQS.
import type { AddressInfo } from 'node:net';
import type { Probot } from 'probot';
import type { Logger } from './log.js';
import { rateBudgets } from './octokit.js';
import { createWebhookServer } from './queue/http.js';
import { createWebhookHandler } from './queue/intake.js';
import { startWorkLoop, type WorkLoop } from './queue/loop.js';
import type { Delivery } from './queue/message.js';
import { WORK_LEASE_MS, type WardenServices } from './services.js';

export interface WardenServerOptions {
  probot: Pick<Probot, 'receive'>;
  services: WardenServices;
  secret: string;
  port: number;
  host?: string;
  path?: string;
  log: Logger;
  /** How often an idle worker looks for due retries and expired leases. */
  pollMs?: number;
  /** A work item's lease (renewed while held); the services' queue was built with it. */
  leaseMs?: number;
}

export interface WardenServer {
  url: string;
  loop: WorkLoop;
  /** Stops accepting deliveries, then waits for the work in hand (unless abandoned: see WorkLoop.stop). */
  stop(options?: { abandon?: boolean }): Promise<void>;
}

/** Below this many requests left, an installation's deliveries wait for its reset instead of failing. */
const RESERVE = 50;

/** The installation a delivery is for, from its payload. */
function installationOf(delivery: Delivery): string | undefined {
  const match = /"installation"\s*:\s*\{\s*"id"\s*:\s*(\d+)/.exec(delivery.body);
  return match?.[1];
}

export async function startWardenServer(options: WardenServerOptions): Promise<WardenServer> {
  const { services, log } = options;
  const leaseMs = options.leaseMs ?? WORK_LEASE_MS;
  const loop = startWorkLoop({
    queue: services.queue,
    // Twice the evaluation slots: an item whose verdict is written gives its slot back and finishes its review
    // while the next item evaluates, so in a burst the write turns go to verdicts first (src/octokit.ts).
    concurrency: 2 * services.config.maxConcurrentEvaluations,
    pollMs: options.pollMs ?? 1000,
    renewMs: Math.max(1, Math.floor(leaseMs / 3)),
    log,
    receive: async (delivery, item) => {
      // The previous holder died holding the delivery's claim too: it is given back, so this attempt may claim it.
      if (item.takenOver) await services.state.releaseDelivery(delivery.id);
      await options.probot.receive({ id: delivery.id, name: delivery.name, payload: JSON.parse(delivery.body) } as Parameters<Probot['receive']>[0]);
    },
    deferUntil: (delivery) => {
      const installation = installationOf(delivery);
      const spent = installation === undefined ? [] : rateBudgets(installation).filter((budget) => budget.remaining < RESERVE && budget.resetAt > Date.now());
      return spent.length > 0 ? Math.max(...spent.map((budget) => budget.resetAt)) : undefined;
    },
  });
  const server = createWebhookServer({
    intake: createWebhookHandler({ secret: options.secret, log, enqueue: (message) => loop.accept(message) }),
    path: options.path ?? '/api/github/webhooks',
    log,
  });
  await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${options.host ?? 'localhost'}:${port}`,
    loop,
    stop: async (stopping) => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await loop.stop(stopping);
    },
  };
}
