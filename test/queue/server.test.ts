// `npm start`'s runtime (src/server.ts) over HTTP on loopback, with the app on dynalite and the GitHub imitation:
// a delivery is answered 202 while its evaluation is still waiting on GitHub, and a process that dies mid-evaluation
// leaves a work item that the next process completes — one check run, one verdict.
import { createHmac } from 'node:crypto';
import { Probot } from 'probot';
import { createWardenApp } from '../../src/app/index.js';
import { jsonLogger } from '../../src/lambda/log.js';
import { DynamoWorkQueue } from '../../src/queue/dynamo.js';
import type { WorkItem, WorkQueue } from '../../src/queue/port.js';
import { startWardenServer, type WardenServer } from '../../src/server.js';
import type { WardenServices } from '../../src/services.js';
import {
  addLib,
  APP,
  calling,
  CHECK_RUNS,
  CI,
  createPull,
  LIB_WF,
  PULL_FILES,
  pullRequestPayload,
  startHarness,
  TestOctokit,
  type AppHarness,
} from '../support/app.js';

const SECRET = 'server-test-secret';
const quiet = jsonLogger({ write: () => undefined });

let h: AppHarness;
const servers: WardenServer[] = [];

beforeEach(async () => {
  h = await startHarness();
});

afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.stop()));
  await h.close();
});

/** POSTs a delivery as GitHub does, signed; the HTTP status. */
async function deliver(server: WardenServer, id: string, payload: object): Promise<number> {
  const body = JSON.stringify(payload);
  const signature = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
  const response = await fetch(`${server.url}/api/github/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': id, 'x-hub-signature-256': signature },
    body,
  });
  await response.text();
  return response.status;
}

function start(services: WardenServices, probot: Pick<Probot, 'receive'> = h.probot): Promise<WardenServer> {
  return startWardenServer({ probot, services, secret: SECRET, port: 0, host: '127.0.0.1', log: quiet, pollMs: 50, leaseMs: 300 }).then((server) => {
    servers.push(server);
    return server;
  });
}

function pinnedPull() {
  const sha = addLib(h.gh, { tagV1: true });
  h.gh.addRepo(APP);
  return createPull(h.gh, { repo: APP, number: 7, base: { 'README.md': 'app\n' }, head: { [CI]: calling({ call: `${LIB_WF}@${sha} # v1` }) } });
}

/** Waits for a condition (checked every 20 ms). */
async function until(condition: () => boolean | Promise<boolean>): Promise<void> {
  while (!(await condition())) await new Promise((resolve) => setTimeout(resolve, 20));
}

async function workItems(): Promise<Record<string, unknown>[]> {
  return (await h.table()).filter((item) => item.pk === 'work');
}

it('answers 202 while the evaluation still waits on GitHub, then completes the check from the work item', async () => {
  const server = await start(h.services);
  const pull = pinnedPull();
  h.gh.inject(PULL_FILES, { delayMs: 1500 });
  expect(await deliver(server, 'delivery-202', pullRequestPayload(h.gh, 'opened', pull))).toBe(202);
  // Answered before GitHub answered the evaluation's read of the PR's files.
  expect(h.gh.requests.filter((entry) => entry.route === PULL_FILES && entry.outcome === 200)).toHaveLength(0);
  await until(() => h.gh.checkRuns[0]?.status === 'completed');
  expect(h.gh.checkRuns.map((run) => [run.status, run.conclusion, run.output?.title])).toEqual([['completed', 'success', 'Workflow policy passed']]);
  await until(async () => (await workItems()).length === 0);
  // The same delivery again (GitHub's redelivery): accepted, and not evaluated twice.
  h.gh.clearFaults();
  expect(await deliver(server, 'delivery-202', pullRequestPayload(h.gh, 'opened', pull))).toBe(202);
  await until(async () => (await workItems()).length === 0);
  expect(h.gh.count(CHECK_RUNS)).toBe(1);
});

it('refuses a delivery with a wrong signature: 401, nothing queued', async () => {
  const server = await start(h.services);
  const response = await fetch(`${server.url}/api/github/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'pull_request', 'x-github-delivery': 'forged', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` },
    body: '{}',
  });
  expect(response.status).toBe(401);
  expect(await workItems()).toEqual([]);
});

/** A queue whose process died: from `kill` on, nothing it does reaches the table. */
function mortal(queue: WorkQueue): WorkQueue & { kill(): void } {
  let dead = false;
  const unlessDead = <A extends unknown[], T>(call: (...args: A) => Promise<T>, otherwise: T) => (...args: A) => (dead ? new Promise<T>(() => undefined) : call(...args).catch(() => otherwise));
  return {
    enqueue: (message) => queue.enqueue(message),
    enqueueHeld: (message) => queue.enqueueHeld(message),
    take: unlessDead((max: number) => queue.take(max), [] as WorkItem[]),
    renew: unlessDead((item: WorkItem) => queue.renew(item), undefined),
    complete: unlessDead((item: WorkItem) => queue.complete(item), undefined),
    giveBack: unlessDead((item: WorkItem, delayMs: number, count?: boolean) => queue.giveBack(item, delayMs, count), 'retried' as const),
    setAside: unlessDead((item: WorkItem) => queue.setAside(item), undefined),
    kill: () => {
      dead = true;
    },
  };
}

it('a process killed mid-evaluation: the next process takes the work item over and completes the same check run', async () => {
  // Process 1: its queue and its GitHub client stop dead at the kill.
  let killed = false;
  const DyingOctokit = TestOctokit.plugin((octokit) => {
    octokit.hook.wrap('request', (request, options) => (killed ? new Promise<never>(() => undefined) : request(options)));
  });
  const first = mortal(new DynamoWorkQueue({ client: h.db.doc, tableName: h.db.tableName, leaseMs: 300 }));
  const firstProbot = new Probot({ githubToken: 'test', Octokit: DyingOctokit, logLevel: 'fatal' });
  await firstProbot.load(createWardenApp({ ...h.services, queue: first }));
  const one = await start({ ...h.services, queue: first }, firstProbot);
  const pull = pinnedPull();
  h.gh.inject(PULL_FILES, { hang: true });
  expect(await deliver(one, 'delivery-crash', pullRequestPayload(h.gh, 'opened', pull))).toBe(202);
  await until(() => h.gh.requests.some((entry) => entry.route === PULL_FILES));
  // The check run shows in progress, and the delivery remembers it (the create goes out alongside the first reads).
  await until(async () => (await h.services.state.checkRunOf('delivery-crash', `octo-org/app#${pull.number}@${pull.headSha}`)) !== undefined);
  expect(h.gh.checkRuns.map((run) => run.status)).toEqual(['in_progress']);
  killed = true;
  first.kill();
  servers.splice(servers.indexOf(one), 1);
  await one.stop({ abandon: true });

  // Process 2, on the same table: it takes the item once the lease has run out.
  const second = new DynamoWorkQueue({ client: h.db.doc, tableName: h.db.tableName, leaseMs: 300 });
  const secondProbot = new Probot({ githubToken: 'test', Octokit: TestOctokit, logLevel: 'fatal' });
  await secondProbot.load(createWardenApp({ ...h.services, queue: second }));
  await start({ ...h.services, queue: second }, secondProbot);
  await until(() => h.gh.checkRuns[0]?.status === 'completed');
  await until(async () => (await workItems()).length === 0);
  expect(h.gh.checkRuns.map((run) => [run.status, run.conclusion, run.output?.title])).toEqual([['completed', 'success', 'Workflow policy passed']]);
  expect(h.gh.count(CHECK_RUNS)).toBe(1);
});
