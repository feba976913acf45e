// The whole app under test: createWardenApp loaded into a real Probot, real services on dynalite, and the AppGitHub
// of app-github.ts behind nock, answering every API the app calls. Every check-run, review and Git Data request
// body is validated against GitHub's OpenAPI description; `expectSettled` fails a test that sent an invalid one,
// called an API the fake does not know, or left a check run unfinished.
import { randomUUID } from 'node:crypto';
import { PutCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import nock from 'nock';
import { Probot, ProbotOctokit } from 'probot';
import { createWardenApp } from '../../src/app/index.js';
import { createDynamoClient, DynamoCacheStore } from '../../src/cache/dynamo.js';
import { localClientOptions } from '../../src/cache/embedded.js';
import { readConfig } from '../../src/config.js';
import { DynamoWorkQueue } from '../../src/queue/dynamo.js';
import type { WardenServices } from '../../src/services.js';
import { DynamoCallerIndex } from '../../src/callers/dynamo.js';
import { DynamoStateStore } from '../../src/state/store.js';
import { AppGitHub } from './app-github.js';
import { startDynalite, type TestDynalite } from './dynalite.js';

export * from './app-github.js';

// ---- The harness -----------------------------------------------------------------------------------------------

export interface AppHarness {
  gh: AppGitHub;
  probot: Probot;
  services: WardenServices;
  db: TestDynalite;
  /** Delivers one webhook as Probot would after verifying it; a fresh delivery id unless given. */
  receive(name: string, payload: object, id?: string): Promise<void>;
  /** Every item of the table: the cache and the state store. */
  table(): Promise<Record<string, unknown>[]>;
  /** Writes items (from another harness's `table()`) into this table as they are. */
  load(items: Record<string, unknown>[]): Promise<void>;
  /** Waits until neither FakeGitHub nor DynamoDB has a request in hand for a while (work an evaluation left running). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/**
 * No retries and no throttling, for every client Probot makes. The object form of `defaults` is not enough:
 * Probot builds each installation's client from the app client's options with its own `throttle` settings
 * (enabled), which win over object defaults, and the throttling plugin then spaces writes and GraphQL requests
 * a second apart. A function sees the final options and has the last word.
 */
export const TestOctokit = ProbotOctokit.defaults((options: ConstructorParameters<typeof ProbotOctokit>[0] = {}) => ({
  ...options,
  retry: { enabled: false },
  throttle: { ...options.throttle, enabled: false },
}));

export interface HarnessOptions {
  /** Environment of `readConfig`, e.g. `{ WARDEN_TIMEOUT_MS: '300' }`. */
  env?: Record<string, string>;
}

/** The app as `npm start` builds it, on a fresh dynalite table and a fresh FakeGitHub. */
export async function startHarness(options: HarnessOptions = {}): Promise<AppHarness> {
  nock.disableNetConnect();
  nock.enableNetConnect('127.0.0.1');
  const db = await startDynalite();
  // No grace before a check run's create (WARDEN_CHECK_RUN_GRACE_MS): tests see it in progress first, unless they say.
  const config = readConfig({ DYNAMODB_TABLE: db.tableName, WARDEN_CHECK_RUN_GRACE_MS: '0', ...options.env });
  // The services' own client, as createServices makes one: stopping dynalite leaves it pointing at nothing.
  const client = createDynamoClient(localClientOptions(db.endpoint));
  // Counted, so `settle` knows when work in the background (an abandoned evaluation) has stopped.
  let dynamoInFlight = 0;
  client.middlewareStack.add(
    (next) => async (args) => {
      dynamoInFlight += 1;
      try {
        return await next(args);
      } finally {
        dynamoInFlight -= 1;
      }
    },
    { step: 'initialize', name: 'countInFlight' },
  );
  const services: WardenServices = {
    config,
    cache: new DynamoCacheStore({ client, tableName: db.tableName }),
    state: new DynamoStateStore({ client, tableName: db.tableName }),
    callers: new DynamoCallerIndex({ client, tableName: db.tableName }),
    queue: new DynamoWorkQueue({ client, tableName: db.tableName, leaseMs: 60_000 }),
    now: () => new Date(),
    close: async () => client.destroy(),
  };
  const gh = new AppGitHub();
  gh.intercept();
  const probot = new Probot({ githubToken: 'test', Octokit: TestOctokit, logLevel: 'fatal' });
  await probot.load(createWardenApp(services));
  return {
    gh,
    probot,
    services,
    db,
    receive: (name, payload, id = randomUUID()) => probot.receive({ id, name, payload } as Parameters<Probot['receive']>[0]),
    table: async () => {
      const items: Record<string, unknown>[] = [];
      let start: Record<string, unknown> | undefined;
      do {
        const page = await db.doc.send(new ScanCommand({ TableName: db.tableName, ExclusiveStartKey: start }));
        items.push(...(page.Items ?? []));
        start = page.LastEvaluatedKey;
      } while (start);
      return items;
    },
    load: async (items) => {
      await Promise.all(items.map((item) => db.doc.send(new PutCommand({ TableName: db.tableName, Item: item }))));
    },
    settle: async () => {
      for (let quiet = 0; quiet < 3; quiet = gh.busy + dynamoInFlight === 0 ? quiet + 1 : 0) await new Promise((resolve) => setTimeout(resolve, 10));
    },
    close: async () => {
      nock.cleanAll();
      await services.close();
      await db.stop();
    },
  };
}

/**
 * What every test ends with: each check run completed with a conclusion, no request body GitHub would
 * reject, and no request to an API the fake does not serve.
 */
export function expectSettled(h: AppHarness): void {
  expect(h.gh.checkRuns.filter((run) => run.status !== 'completed' || run.conclusion === null).map((run) => `${run.id} ${run.status}`)).toEqual([]);
  expect(h.gh.invalidBodies).toEqual([]);
  expect(h.gh.requests.filter((entry) => entry.route === undefined).map((entry) => `${entry.method} ${entry.path}`)).toEqual([]);
}
