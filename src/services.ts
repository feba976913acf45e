// The app's long-lived parts, built once per process (server or Lambda instance) from the config.
import { DynamoCacheStore, createDynamoClient } from './cache/dynamo.js';
import type { CacheStore } from './cache/port.js';
import { DynamoCallerIndex } from './callers/dynamo.js';
import type { CallerIndex } from './callers/port.js';
import type { WardenConfig } from './config.js';
import type { Logger } from './log.js';
import { DynamoWorkQueue } from './queue/dynamo.js';
import type { WorkQueue } from './queue/port.js';
import { DynamoStateStore, type StateStore } from './state/store.js';

export interface WardenServices {
  config: WardenConfig;
  /** The durable cache; each evaluation puts its own memory layer in front. */
  cache: CacheStore;
  state: StateStore;
  /** The reverse index of calls: who calls a workflow or action (the callee side of a change). */
  callers: CallerIndex;
  /** The deliveries `npm start` accepted and has not finished (Lambda queues in SQS instead). */
  queue: WorkQueue;
  now: () => Date;
  /** Stops what the services started (the embedded store). */
  close(): Promise<void>;
}

/** A work item's lease: renewed every third of it while the app works, so only a dead process loses it. */
export const WORK_LEASE_MS = 60_000;

export async function createServices(config: WardenConfig, logger: Logger): Promise<WardenServices> {
  // Loaded only without a table: the Lambda bundle never needs dynalite.
  const embedded = config.dynamoTable
    ? undefined
    : await import('./cache/embedded.js').then(async ({ startEmbeddedStore, localClientOptions }) => {
        const store = await startEmbeddedStore({ dataDir: config.dataDir, logger });
        return { store, clientOptions: localClientOptions(store.endpoint) };
      });
  const tableName = config.dynamoTable ?? embedded?.store.tableName ?? '';
  const client = createDynamoClient(embedded?.clientOptions);
  return {
    config,
    cache: new DynamoCacheStore({ client, tableName, logger }),
    state: new DynamoStateStore({ client, tableName, logger }),
    callers: new DynamoCallerIndex({ client, tableName, logger }),
    queue: new DynamoWorkQueue({ client, tableName, leaseMs: WORK_LEASE_MS, logger }),
    now: () => new Date(),
    close: async () => {
      client.destroy();
      await embedded?.store.close();
    },
  };
}
