// `npm run load`: the app as `npm start` runs it — a Probot HTTP server on loopback (Probot's own webhook
// middleware, signature checked), GitHub App authentication with a generated key, Octokit's retry and throttling
// plugins as Probot configures them, and the embedded DynamoDB-compatible store in a temporary WARDEN_DATA_DIR —
// pointed at the tests' GitHub imitation (test/support/app-github.ts) served as a GitHub Enterprise Server on
// another loopback port, in a child process, so the app's memory and CPU are measured alone. A burst of signed
// webhooks (pull_request opened/synchronize across ~100 PRs in 10 repositories, merge_group, push, and exact
// duplicates by delivery id) is sent over HTTP; the run waits until every expected check run is completed and
// prints throughput, latency from delivery to completed check, peak memory, GitHub requests, and the lost and
// duplicated results. `--no-throttle` turns the throttling plugin off to show the app's own capacity.
// `--realistic`: GitHub as an organization meets it — 50 repositories, 200 pull requests opened within 10 s on one
// installation, every request answered after 100 ms, and GitHub's secondary limit (403 with `retry-after` once more
// than --max-concurrent requests are in flight); it prints delivery→ack and delivery→completed check percentiles,
// requests per check, and one check alone against its round-trip limit.
// Options: --no-throttle, --realistic, --deliveries N (default 500), --deadline-min M (default 60), --seed S,
// --latency-ms L (default 100 with --realistic, else 0), --max-concurrent C (default 20, with --realistic),
// --warm-probes N (checks alone in the warm process, default 3, with --realistic), --probes-only (no burst after them).
import { fork, type ChildProcess } from 'node:child_process';
import { createHmac, generateKeyPairSync } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pLimit from 'p-limit';
import { pino } from 'pino';
import { Probot, ProbotOctokit } from 'probot';
import { WardenOctokit } from '../src/octokit.js';
import { createWardenApp } from '../src/app/index.js';
import { readConfig } from '../src/config.js';
import { startWardenServer } from '../src/server.js';
import { createServices } from '../src/services.js';
import type { AppGitHub, FakeCheckRun } from '../test/support/app-github.js';
import type { FakeOutcome, FakeRequest } from '../test/support/fake-github.js';

const SECRET = 'load-test-webhook-secret';
const APP_ID = 4242;
/** Deliveries in flight at once, as GitHub's senders keep several connections to one app. */
const SENDERS = 50;

// ---- the plan ------------------------------------------------------------------------------------

interface PlannedDelivery {
  id: string;
  name: string;
  body: string;
  /** `owner/repo@sha` of the check run this delivery must produce; none for push. */
  check?: string;
}

interface RunState {
  id: number;
  key: string;
  status: string;
  conclusion: string | null;
  title: string | null;
  /** When the fake received the write that completed it (epoch ms). */
  completedAt?: number;
}

interface RequestCounts {
  total: number;
  graphql: number;
  restReads: number;
  writes: number;
  tokenExchanges: number;
  failed: number;
}

type ChildMessage =
  | { type: 'ready'; url: string; plan: PlannedDelivery[]; probes?: PlannedDelivery[] }
  | { type: 'status'; runs: RunState[]; requests: RequestCounts; rssBytes: number; lastRequestAt: number; busyMs: number; limited: number };

/** How the imitation behaves: its latency, and GitHub's secondary limit on concurrent requests (0: none). */
interface GitHubBehaviour {
  latencyMs: number;
  maxConcurrent: number;
}
type ParentMessage = { type: 'status' } | { type: 'stop' };

/** A small seeded generator (mulberry32): the same plan on every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ---- the GitHub imitation (child process) ------------------------------------------------------------

/**
 * The world: other-org/lib (a callable workflow tagged v1), octo-org/shared (calling it pinned), the org policy,
 * and ten repositories of ten pull requests each. Head A calls lib@main (fails, with a suggested pin), head B pins
 * it (passes), head C also calls octo-org/shared (passes, two levels). 70% of the deliveries are the PRs' events
 * (opened A, synchronize B and C), 10% merge groups, 10% pushes, 20% of the rest exact duplicates.
 */
interface Activity {
  /** When each check run was completed (epoch ms), as GitHub would timestamp it. */
  completedAt: Map<number, number>;
  /** When the last request arrived. */
  lastRequestAt: number;
  /** When each answered request arrived and was answered. */
  intervals: [number, number][];
  /** Requests refused by the secondary limit. */
  limited: number;
}

/** The union of request intervals: how long GitHub itself was answering something. */
function busyTime(intervals: [number, number][]): number {
  const sorted = [...intervals].sort((a, b) => a[0] - b[0]);
  let total = 0;
  let end = -Infinity;
  for (const [from, to] of sorted) {
    if (from > end) {
      total += to - from;
      end = to;
    } else if (to > end) {
      total += to - end;
      end = to;
    }
  }
  return total;
}

async function buildWorld(total: number, seed: number, behaviour: GitHubBehaviour, realistic: boolean, warmProbes: number): Promise<{ gh: AppGitHub; plan: PlannedDelivery[]; probes?: PlannedDelivery[]; activity: Activity }> {
  const world = await import('../test/support/app-github.js');
  const activity: Activity = { completedAt: new Map(), lastRequestAt: 0, intervals: [], limited: 0 };
  const { completedAt } = activity;
  let inFlight = 0;
  class TimedGitHub extends world.AppGitHub {
    override async handle(request: FakeRequest, origin: string): Promise<FakeOutcome> {
      activity.lastRequestAt = Date.now();
      // GitHub's secondary limit on concurrency: it answers at once, asking the app to wait a second.
      if (behaviour.maxConcurrent > 0 && inFlight >= behaviour.maxConcurrent) {
        activity.limited += 1;
        return {
          kind: 'respond',
          response: { status: 403, headers: { 'retry-after': '1' }, body: { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' } },
        };
      }
      const started = Date.now();
      inFlight += 1;
      if (behaviour.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, behaviour.latencyMs));
      const outcome = await super.handle(request, origin).finally(() => {
        inFlight -= 1;
      });
      activity.intervals.push([started, Date.now()]);
      // Completed by an update, or created completed (a verdict ready before its create's turn to write).
      if (request.method !== 'GET' && /\/check-runs(\/\d+)?$/.test(request.path.split('?')[0] ?? '')) {
        for (const run of this.checkRuns) if (run.status === 'completed' && !completedAt.has(run.id)) completedAt.set(run.id, Date.now());
      }
      return outcome;
    }
  }
  const gh = new TimedGitHub();
  gh.route('POST', '/app/installations/{installation_id}/access_tokens', () => ({
    status: 201,
    body: { token: `ghs_load${Date.now()}`, expires_at: new Date(Date.now() + 3600_000).toISOString(), permissions: { checks: 'write', contents: 'write', pull_requests: 'write', metadata: 'read' }, repository_selection: 'all' },
  }));
  const lib = 'other-org/lib';
  const libWf = `${lib}/.github/workflows/x.yml`;
  gh.addRepo(lib);
  const libSha = gh.commit(lib, { '.github/workflows/x.yml': world.CALLABLE }, { branch: 'main' });
  gh.tag(lib, 'v1', libSha);
  gh.addRepo('octo-org/shared');
  const sharedSha = gh.commit('octo-org/shared', { '.github/workflows/deploy.yml': world.calling({ build: `${libWf}@${libSha} # v1` }, 'workflow_call') }, { branch: 'main' });
  gh.addRepo(world.POLICY_REPO);
  gh.commit(world.POLICY_REPO, { [world.POLICY_PATH]: 'version: 1\nextends: recommended\n' }, { branch: 'main' });

  if (realistic) return { gh, activity, ...realisticPlan(world, gh, total, libWf, libSha, warmProbes) };
  const repos = Array.from({ length: 10 }, (_, index) => `octo-org/service-${index}`);
  const unique = Math.round(total / 1.2);
  const merges = Math.round(unique / 8);
  const pushes = Math.round(unique / 8);
  const pulls = Math.max(1, Math.floor((unique - merges - pushes) / 3));
  const plan: PlannedDelivery[] = [];
  let next = 0;
  const add = (name: string, payload: object, check?: string): void => void plan.push({ id: `load-${++next}`, name, body: JSON.stringify(payload), ...(check && { check }) });
  for (const repo of repos) gh.addRepo(repo);
  for (let index = 0; index < pulls; index++) {
    const repo = repos[index % repos.length]!;
    const number = 100 + index;
    const a = world.createPull(gh, { repo, number, headRef: `pr-${number}`, base: { 'README.md': `${repo}\n` }, head: { [world.CI]: world.calling({ call: `${libWf}@main` }) } });
    const b = gh.commit(repo, { [world.CI]: world.calling({ call: `${libWf}@${libSha} # v1` }) }, { parents: [a.headSha], branch: a.headRef });
    const c = gh.commit(repo, { [world.CI]: world.calling({ call: `${libWf}@${libSha} # v1`, deploy: `octo-org/shared/.github/workflows/deploy.yml@${sharedSha}` }) }, { parents: [b], branch: a.headRef });
    gh.movePull(repo, number, c);
    add('pull_request', world.pullRequestPayload(gh, 'opened', a), `${repo}@${a.headSha}`);
    add('pull_request', world.pullRequestPayload(gh, 'synchronize', { ...a, headSha: b }), `${repo}@${b}`);
    add('pull_request', world.pullRequestPayload(gh, 'synchronize', { ...a, headSha: c }), `${repo}@${c}`);
  }
  for (let index = 0; index < merges; index++) {
    const repo = repos[index % repos.length]!;
    const base = gh.repo(repo).branches.get('main') ?? '';
    const head = gh.commit(repo, { 'README.md': `${repo}\n`, [world.CI]: world.calling({ call: `${libWf}@${libSha} # v1` }) }, { parents: [base] });
    add('merge_group', world.mergeGroupPayload(gh, repo, { headSha: head, baseSha: base, headRef: `gh-readonly-queue/main/pr-${index}-${head.slice(0, 8)}`, baseRef: 'refs/heads/main' }), `${repo}@${head}`);
  }
  for (let index = 0; index < pushes; index++) {
    const repo = index % 2 === 0 ? lib : repos[index % repos.length]!;
    const head = gh.repo(repo).branches.get('main') ?? '';
    add('push', world.pushPayload(gh, repo, { ref: 'refs/heads/main', before: head, after: head }));
  }
  const next01 = random(seed);
  // A burst arrives in no particular order: shuffled, then exact duplicates (same id, same bytes) spread through it.
  for (let index = plan.length - 1; index > 0; index--) {
    const other = Math.floor(next01() * (index + 1));
    [plan[index], plan[other]] = [plan[other]!, plan[index]!];
  }
  while (plan.length < total) {
    const original = plan[Math.floor(next01() * plan.length)]!;
    plan.splice(Math.floor(next01() * (plan.length + 1)), 0, { ...original });
  }
  return { gh, plan: plan.slice(0, total), activity };
}

/**
 * The realistic burst: `total` pull requests opened across 50 repositories, one `opened` each. Half call lib@v1
 * (a tag: the recommended preset asks for a pin, so they fail with a suggestion), half pin it (they pass). The
 * probe is one more pull request, evaluated alone first, to compare one check with its round-trip limit.
 */
function realisticPlan(world: typeof import('../test/support/app-github.js'), gh: AppGitHub, total: number, libWf: string, libSha: string, warmProbes: number): { plan: PlannedDelivery[]; probes: PlannedDelivery[] } {
  const repos = Array.from({ length: 50 }, (_, index) => `octo-org/repo-${index}`);
  for (const repo of repos) gh.addRepo(repo);
  const open = (repo: string, number: number, id: string): PlannedDelivery => {
    const call = number % 2 === 0 ? `${libWf}@v1` : `${libWf}@${libSha} # v1`;
    const pull = world.createPull(gh, { repo, number, headRef: `pr-${number}`, base: { 'README.md': `${repo}\n` }, head: { [world.CI]: world.calling({ call }) } });
    return { id, name: 'pull_request', body: JSON.stringify(world.pullRequestPayload(gh, 'opened', pull)), check: `${repo}@${pull.headSha}` };
  };
  // Odd numbers pin lib: a passing check (no review), in a repository of its own so the burst's order is untouched.
  const probeRepo = 'octo-org/probe';
  gh.addRepo(probeRepo);
  const probes = [open(probeRepo, 97, 'probe-cold'), ...Array.from({ length: warmProbes }, (_, index) => open(probeRepo, 99 + 2 * index, `probe-warm-${index + 1}`))];
  const plan = Array.from({ length: total }, (_, index) => open(repos[index % repos.length]!, 100 + index, `load-${index + 1}`));
  return { plan, probes };
}

function countRequests(gh: AppGitHub): RequestCounts {
  const counts: RequestCounts = { total: gh.requests.length, graphql: 0, restReads: 0, writes: 0, tokenExchanges: 0, failed: 0 };
  for (const entry of gh.requests) {
    if (entry.graphql !== undefined) counts.graphql += 1;
    else if (entry.path.endsWith('/access_tokens')) counts.tokenExchanges += 1;
    else if (entry.method === 'GET') counts.restReads += 1;
    else counts.writes += 1;
    if (typeof entry.outcome !== 'number' || entry.outcome >= 400) counts.failed += 1;
  }
  return counts;
}

async function serveGitHub(total: number, seed: number, behaviour: GitHubBehaviour, realistic: boolean, warmProbes: number): Promise<void> {
  const { gh, plan, probes, activity } = await buildWorld(total, seed, behaviour, realistic, warmProbes);
  const server = await gh.listen();
  const send = (message: ChildMessage): void => void process.send?.(message);
  const state = (run: FakeCheckRun): RunState => {
    const completedAt = activity.completedAt.get(run.id);
    return { id: run.id, key: `${run.repo}@${run.head_sha}`, status: run.status, conclusion: run.conclusion, title: run.output.title, ...(completedAt !== undefined && { completedAt }) };
  };
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') {
      void server.close().then(() => process.exit(0));
      return;
    }
    // A request still being answered counts as activity now.
    const lastRequestAt = gh.busy > 0 ? Date.now() : activity.lastRequestAt;
    send({ type: 'status', runs: gh.checkRuns.map(state), requests: countRequests(gh), rssBytes: process.memoryUsage().rss, lastRequestAt, busyMs: busyTime(activity.intervals), limited: activity.limited });
  });
  send({ type: 'ready', url: server.url, plan, ...(probes && { probes }) });
}

// ---- the app and the burst (parent process) -----------------------------------------------------------

interface Options {
  throttle: boolean;
  realistic: boolean;
  deliveries: number;
  deadlineMs: number;
  seed: number;
  behaviour: GitHubBehaviour;
  /** Checks evaluated alone in the warm process before the burst (realistic case). */
  warmProbes: number;
  probesOnly: boolean;
}

function parseOptions(argv: string[]): Options {
  const value = (flag: string, fallback: number): number => {
    const index = argv.indexOf(flag);
    const parsed = index === -1 ? fallback : Number(argv[index + 1]);
    if (!Number.isFinite(parsed) || parsed <= 0) throw new Error(`${flag} needs a positive number`);
    return parsed;
  };
  const realistic = argv.includes('--realistic');
  const latencyMs = argv.includes('--latency-ms') ? value('--latency-ms', 100) : realistic ? 100 : 0;
  return {
    throttle: !argv.includes('--no-throttle'),
    realistic,
    deliveries: value('--deliveries', realistic ? 200 : 500),
    deadlineMs: value('--deadline-min', 60) * 60_000,
    seed: value('--seed', 7),
    behaviour: { latencyMs, maxConcurrent: realistic ? value('--max-concurrent', 20) : 0 },
    warmProbes: value('--warm-probes', 3),
    probesOnly: argv.includes('--probes-only'),
  };
}

class GitHubChild {
  private waiting: ((message: ChildMessage) => void)[] = [];

  constructor(readonly process: ChildProcess) {
    process.on('message', (message: ChildMessage) => this.waiting.shift()?.(message));
  }

  static async start(options: Options): Promise<{ child: GitHubChild; url: string; plan: PlannedDelivery[]; probes?: PlannedDelivery[] }> {
    const script = fileURLToPath(import.meta.url);
    const args = ['--github', String(options.deliveries), String(options.seed), String(options.behaviour.latencyMs), String(options.behaviour.maxConcurrent), options.realistic ? 'realistic' : 'mixed', String(options.warmProbes)];
    const child = new GitHubChild(fork(script, args, { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }));
    const ready = await child.next();
    if (ready.type !== 'ready') throw new Error('the GitHub imitation did not start');
    return { child, url: ready.url, plan: ready.plan, ...(ready.probes && { probes: ready.probes }) };
  }

  next(): Promise<ChildMessage> {
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  async status(): Promise<Extract<ChildMessage, { type: 'status' }>> {
    const answer = this.next();
    this.process.send({ type: 'status' } satisfies ParentMessage);
    const message = await answer;
    if (message.type !== 'status') throw new Error('unexpected message from the GitHub imitation');
    return message;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.process.once('exit', () => resolve());
      this.process.send({ type: 'stop' } satisfies ParentMessage);
    });
  }
}

/** Without throttling (the retry plugin stays): the function form has the last word over Probot's options. */
const UnthrottledOctokit = ProbotOctokit.defaults((options: ConstructorParameters<typeof ProbotOctokit>[0] = {}) => ({
  ...options,
  throttle: { ...options.throttle, enabled: false },
}));

async function startApp(githubUrl: string, options: Options, dataDir: string): Promise<{ url: string; close(): Promise<void>; logFile: string }> {
  const host = new URL(githubUrl).host;
  const logFile = join(dataDir, 'app.log');
  const log = pino({ level: 'warn', name: 'probot' }, pino.destination({ dest: logFile, sync: false }));
  const privateKey = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
  const probot = new Probot({
    appId: APP_ID,
    privateKey,
    secret: SECRET,
    baseUrl: `http://${host}/api/v3`,
    log,
    // As production runs it (src/main.ts, the Lambda worker): WardenOctokit's pace, or none at all.
    Octokit: options.throttle ? WardenOctokit : UnthrottledOctokit,
  });
  const config = readConfig({ GHE_HOST: host, GHE_PROTOCOL: 'http', WARDEN_DATA_DIR: join(dataDir, 'store') });
  const services = await createServices(config, log.child({ name: 'warden' }));
  await probot.load(createWardenApp(services));
  // As `npm start` serves: the intake answers 202 once the work item is written, the worker loop evaluates.
  const server = await startWardenServer({ probot, services, secret: SECRET, port: 0, host: '127.0.0.1', log: log.child({ name: 'warden' }) });
  return {
    url: `${server.url}/api/github/webhooks`,
    logFile,
    close: async () => {
      await server.stop();
      await services.close();
      log.flush();
    },
  };
}

interface Sent {
  /** When the first copy of each delivery id was sent (epoch ms). */
  sentAt: Map<string, number>;
  /** Each delivery's time from sending to the app's answer (ms). */
  ackMs: number[];
  statuses: Map<number, number>;
  firstSentAt: number;
  lastAnsweredAt: number;
}

/** The HTTP status of one delivery, or -1 when the connection failed. */
async function post(url: string, delivery: PlannedDelivery, signature: string): Promise<number> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-github-event': delivery.name, 'x-github-delivery': delivery.id, 'x-hub-signature-256': signature },
      body: delivery.body,
    });
    await response.text();
    return response.status;
  } catch {
    return -1;
  }
}

/** Sends the plan, 50 at a time; spread evenly over `spreadMs` when given (pull requests opened over 10 s). */
async function sendBurst(url: string, plan: PlannedDelivery[], spreadMs = 0): Promise<Sent> {
  const limit = pLimit(SENDERS);
  const start = Date.now();
  const sent: Sent = { sentAt: new Map(), ackMs: [], statuses: new Map(), firstSentAt: start, lastAnsweredAt: 0 };
  await Promise.all(
    plan.map((delivery, index) =>
      limit(async () => {
        const due = start + (spreadMs * index) / Math.max(1, plan.length);
        if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
        const sentAt = Date.now();
        if (!sent.sentAt.has(delivery.id)) sent.sentAt.set(delivery.id, sentAt);
        const signature = `sha256=${createHmac('sha256', SECRET).update(delivery.body).digest('hex')}`;
        const status = await post(url, delivery, signature);
        sent.ackMs.push(Date.now() - sentAt);
        sent.statuses.set(status, (sent.statuses.get(status) ?? 0) + 1);
        sent.lastAnsweredAt = Date.now();
      }),
    ),
  );
  return sent;
}

/**
 * One check alone (the probe): delivery→completed against its round-trip limit — the time GitHub itself spent
 * answering (the union of its requests' intervals), and at least the one-second spacing of its writes when it made
 * more than one (a verdict ready within the app's grace is one create).
 */
async function probeOne(child: GitHubChild, url: string, probe: PlannedDelivery, latencyMs: number, label: string): Promise<number> {
  // Alone means alone: the previous check's last write must not set this one's first write back.
  await new Promise((resolve) => setTimeout(resolve, 2 * WRITE_SPACING_MS));
  const before = await child.status();
  const sent = await sendBurst(url, [probe]);
  let status: typeof before;
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    status = await child.status();
    if (status.runs.some((run) => run.key === probe.check && run.status === 'completed')) break;
  }
  const run = status.runs.find((each) => each.key === probe.check);
  const took = (run?.completedAt ?? NaN) - (sent.sentAt.get(probe.id) ?? NaN);
  const requests = status.requests.total - before.requests.total;
  const busy = status.busyMs - before.busyMs;
  const writes = status.requests.writes - before.requests.writes;
  const limit = writes > 1 ? Math.max(busy, (writes - 1) * WRITE_SPACING_MS + 2 * latencyMs) : busy;
  console.log(
    `Single check alone (${label}): ${seconds(took)} delivery→completed (ack ${sent.ackMs[0] ?? NaN} ms); ${requests} GitHub requests, GitHub busy ${seconds(busy)} ` +
      `(${(busy / Math.max(1, latencyMs)).toFixed(1)} round trips of ${latencyMs} ms); round-trip limit ${seconds(limit)} (${writes > 1 ? `its ${writes} writes 1.05 s apart` : `${writes} write`}) → ${(took / limit).toFixed(2)}× the limit`,
  );
  return took / limit;
}

/** The app's spacing of writes per installation (src/octokit.ts). */
const WRITE_SPACING_MS = 1050;

/** Warnings and errors the app logged, by message, most frequent first. */
async function logSummary(file: string): Promise<string> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const counts = new Map<string, number>();
  for (const line of text.split('\n').filter((each) => each !== '')) {
    const entry = JSON.parse(line) as { level?: number; msg?: string };
    const label = `${entry.level === 40 ? 'warn' : 'error'}: ${(entry.msg ?? '').slice(0, 90)}`;
    counts.set(label, (counts.get(label) ?? 0) + 1);
  }
  if (counts.size === 0) return 'no warnings or errors';
  return [...counts].sort((a, b) => b[1] - a[1]).slice(0, 6).map(([label, count]) => `${count}× ${label}`).join('; ');
}

function subtractCounts(after: RequestCounts, before: RequestCounts): RequestCounts {
  return {
    total: after.total - before.total,
    graphql: after.graphql - before.graphql,
    restReads: after.restReads - before.restReads,
    writes: after.writes - before.writes,
    tokenExchanges: after.tokenExchanges - before.tokenExchanges,
    failed: after.failed - before.failed,
  };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MB`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function run(options: Options): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'warden-load-'));
  const baseline = process.memoryUsage().rss;
  let peakRss = baseline;
  let peakHeap = process.memoryUsage().heapUsed;
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakHeap = Math.max(peakHeap, usage.heapUsed);
  }, 100);
  const { child, url: githubUrl, plan, probes = [] } = await GitHubChild.start(options);
  const app = await startApp(githubUrl, options, dataDir);
  // One check alone, twice: the first in a fresh process (token exchange, first policy compile), then one warm.
  const warmRatios: number[] = [];
  for (const [index, probe] of probes.entries()) {
    const ratio = await probeOne(child, app.url, probe, options.behaviour.latencyMs, index === 0 ? 'cold process' : `warm process, ${index} of ${probes.length - 1}`);
    if (index > 0) warmRatios.push(ratio);
  }
  if (warmRatios.length > 1) {
    const sorted = warmRatios.sort((a, b) => a - b);
    console.log(`Single check alone, warm: ${sorted.map((ratio) => `${ratio.toFixed(2)}×`).join(', ')} the limit (median ${percentile(sorted, 50).toFixed(2)}×)`);
  }
  if (options.probesOnly) {
    await app.close();
    await child.stop();
    clearInterval(sampler);
    await rm(dataDir, { recursive: true, force: true });
    return;
  }
  const beforeBurst = await child.status();
  const startRss = process.memoryUsage().rss;
  const expected = new Map<string, string>();
  for (const delivery of plan) if (delivery.check !== undefined) expected.set(delivery.check, delivery.id);
  console.log(
    `Load: ${plan.length} deliveries (${new Set(plan.map((delivery) => delivery.id)).size} unique ids, ${expected.size} check runs expected), throttling ${options.throttle ? 'ON (as in production)' : 'OFF'}` +
      (options.realistic ? `; GitHub imitation answering after ${options.behaviour.latencyMs} ms, 403 secondary limit above ${options.behaviour.maxConcurrent} concurrent requests; opened within 10 s` : ''),
  );

  const burstStart = Date.now();
  const burst = sendBurst(app.url, plan, options.realistic ? 10_000 : 0);
  const deadline = Date.now() + options.deadlineMs;
  let status = await child.status();
  let childPeakRss = status.rssBytes;
  let answered: Sent | undefined;
  void burst.then((sent) => (answered = sent));
  // Done when every expected check run is completed and GitHub has heard nothing for 2 s (late doubles show by then).
  let progressAt = Date.now();
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, 250));
    status = await child.status();
    childPeakRss = Math.max(childPeakRss, status.rssBytes);
    const completed = new Set(status.runs.filter((each) => each.status === 'completed' && expected.has(each.key)).map((each) => each.key));
    if (Date.now() - progressAt >= 30_000) {
      progressAt = Date.now();
      console.log(`  … ${seconds(progressAt - burstStart)}: ${completed.size}/${expected.size} check runs completed, ${status.requests.total} GitHub requests`);
    }
    const allDone = answered !== undefined && [...expected.keys()].every((key) => completed.has(key));
    if ((allDone && Date.now() - status.lastRequestAt > 2000) || Date.now() > deadline) break;
  }
  const sent = answered ?? (await burst);
  clearInterval(sampler);
  // What stays once the burst is over (`node --expose-gc`, as `npm run load` runs it): growth here would be a leak.
  globalThis.gc?.();
  const settled = process.memoryUsage();

  const runsByKey = new Map<string, RunState[]>();
  for (const each of status.runs) runsByKey.set(each.key, [...(runsByKey.get(each.key) ?? []), each]);
  const lost = [...expected.keys()].filter((key) => !(runsByKey.get(key) ?? []).some((each) => each.status === 'completed'));
  const duplicated = [...runsByKey].filter(([, runs]) => runs.length > 1).map(([key]) => key);
  const unexpected = [...runsByKey.keys()].filter((key) => !expected.has(key) && !probes.some((probe) => probe.check === key));
  const latencies = [...expected]
    .map(([key, id]) => {
      const done = (runsByKey.get(key) ?? []).map((each) => each.completedAt ?? Infinity).reduce((a, b) => Math.min(a, b), Infinity);
      return done - (sent.sentAt.get(id) ?? Infinity);
    })
    .filter(Number.isFinite)
    .sort((a, b) => a - b);
  const lastCompleted = Math.max(...status.runs.map((each) => each.completedAt ?? 0));
  const elapsed = lastCompleted - sent.firstSentAt;
  const conclusions = new Map<string, number>();
  for (const each of status.runs.filter((run) => expected.has(run.key))) {
    // Failures that are not verdicts say why in their title ("Not evaluated: …").
    const label = `${each.conclusion ?? each.status}${each.title?.startsWith('Not evaluated: ') ? ` (${each.title.slice('Not evaluated: '.length)})` : ''}`;
    conclusions.set(label, (conclusions.get(label) ?? 0) + 1);
  }
  const requests = options.realistic ? subtractCounts(status.requests, beforeBurst.requests) : status.requests;
  const acks = [...sent.ackMs].sort((a, b) => a - b);

  console.log(`Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, load average ${loadavg().map((value) => value.toFixed(2)).join(' ')}`);
  console.log(`Throughput: ${(plan.length / (elapsed / 1000)).toFixed(1)} deliveries/s (${plan.length} deliveries, last check completed ${seconds(elapsed)} after the first was sent); HTTP answers ${[...sent.statuses].map(([code, count]) => `${count}×${code}`).join(', ')} within ${seconds(sent.lastAnsweredAt - sent.firstSentAt)}`);
  console.log(`Ack, delivery sent → HTTP answer: p50 ${percentile(acks, 50)} ms, p95 ${percentile(acks, 95)} ms, max ${acks.at(-1) ?? NaN} ms`);
  if (options.realistic) console.log(`Secondary-limit answers (403, retry-after: 1) during the run: ${status.limited - beforeBurst.limited}`);
  console.log(`Latency, delivery sent → check run completed: p50 ${seconds(percentile(latencies, 50))}, p95 ${seconds(percentile(latencies, 95))}, max ${seconds(latencies.at(-1) ?? NaN)} (${latencies.length} check runs)`);
  console.log(`Memory (app process: Probot, app, embedded store): RSS ${mb(baseline)} at start, ${mb(startRss)} serving, peak ${mb(peakRss)}; peak heap ${mb(peakHeap)}; after the burst${globalThis.gc ? ' and a full GC' : ''}: RSS ${mb(settled.rss)}, heap ${mb(settled.heapUsed)}. GitHub imitation (child): peak RSS ${mb(childPeakRss)}`);
  console.log(`GitHub requests: ${requests.total} (${requests.graphql} GraphQL, ${requests.restReads} REST reads, ${requests.writes} writes, ${requests.tokenExchanges} token exchanges; ${requests.failed} answered ≥ 400), ${(requests.total / Math.max(1, expected.size)).toFixed(1)} per check run`);
  console.log(`Conclusions (the burst's check runs): ${[...conclusions].map(([name, count]) => `${count} ${name}`).join(', ')}`);
  console.log(`Lost (expected check runs never completed): ${lost.length}; duplicated (more than one check run for a delivery id): ${duplicated.length}; unexpected check runs: ${unexpected.length}${Date.now() > deadline ? ' — DEADLINE REACHED' : ''}`);
  await app.close();
  console.log(`App log: ${await logSummary(app.logFile)}`);
  await child.stop();
  await rm(dataDir, { recursive: true, force: true });
  if (lost.length > 0 || duplicated.length > 0) process.exitCode = 1;
}

if (process.argv[2] === '--github') {
  await serveGitHub(Number(process.argv[3]), Number(process.argv[4]), { latencyMs: Number(process.argv[5]), maxConcurrent: Number(process.argv[6]) }, process.argv[7] === 'realistic', Number(process.argv[8]));
} else {
  await run(parseOptions(process.argv.slice(2)));
}
