// The Octokit the app runs with: Probot's, spending GitHub's real limits instead of a fixed pace.
//
// GitHub's rules for an integration (REST "Best practices", "Rate limits"): no more than 100 concurrent requests,
// content-creating requests at least a second apart, and points per minute and per hour, announced in
// `x-ratelimit-*` headers and enforced with 403/429 answers carrying `retry-after`. Reads are not paced.
// - Octokit's throttling plugin (which Probot loads) keeps the concurrency per installation (10 at once, its
//   default) and turns 403/429 limit answers into waits; the handlers below retry them when the wait is short.
// - The plugin would also queue every GraphQL query with the writes, a second apart: an evaluation is mostly
//   GraphQL reads (one per call-graph level), so that pace — not GitHub — would bound it. Its write group is given
//   no spacing here, and the real writes (REST POST/PATCH/PUT/DELETE) are spaced a second apart by this module.
// - A write still waiting for its turn can be withdrawn (`request: { [WITHDRAW]: signal }`): it is never sent and
//   takes no turn. The app creates a check run in progress that way, and creates it completed instead when the
//   verdict is ready first, so a burst spends one write per check, not two.
// - The installation's remaining budget is read from every answer's `x-ratelimit-remaining`: when it runs out
//   before a near reset, requests wait for it (queueing) instead of failing; `rateBudgets` tells the work queue
//   when an installation should take no new work until a later reset.
import type { Octokit } from '@octokit/core';
import pLimit, { type LimitFunction } from 'p-limit';
import { ProbotOctokit } from 'probot';

type OctokitOptions = NonNullable<ConstructorParameters<typeof ProbotOctokit>[0]>;

/** What the throttling plugin hands its limit handlers. */
interface LimitedRequest {
  method: string;
  url: string;
  request: { retryCount: number };
}

export interface PaceOptions {
  /** Spacing of content-creating requests per installation; GitHub asks for at least a second (timers drift a few ms). */
  writeSpacingMs?: number;
  /** The longest `retry-after` the app waits within an evaluation before it gives up (and says so). */
  maxRetryWaitSeconds?: number;
  /** How long one second of `retry-after` lasts; 1000, shortened by tests. */
  secondMs?: number;
  /** Retries of one request after limit answers. */
  maxRetries?: number;
}

/** Remaining requests (or GraphQL points) an installation may spend before its window resets. */
export interface RateBudget {
  resource: string;
  remaining: number;
  limit: number;
  /** Epoch ms of the reset. */
  resetAt: number;
}

/** The budget GitHub last announced, per installation and resource (core, graphql, search). */
const budgets = new Map<string, RateBudget>();

/** What GitHub last said this installation may still spend, per resource. */
export function rateBudgets(installation: string): RateBudget[] {
  return [...budgets.entries()].filter(([key]) => key.startsWith(`${installation}:`)).map(([, budget]) => budget);
}

/** Requests below this many remaining wait for the reset: the writes that complete checks must still fit. */
const BUDGET_RESERVE = 10;

/** The installation a client acts for, when it acts for one (Probot builds one client per installation). */
function installationOf(options: OctokitOptions): string | undefined {
  const auth: unknown = options.auth;
  const id = typeof auth === 'object' && auth !== null && 'installationId' in auth ? auth.installationId : undefined;
  return typeof id === 'number' || typeof id === 'string' ? String(id) : undefined;
}

function pathOf(url: string): string {
  return new URL(url, 'https://api.github.invalid').pathname;
}

/** The rate-limit resource a request spends (GitHub's `x-ratelimit-resource`). */
function resourceOf(method: string, path: string): string {
  if (path.endsWith('/graphql')) return 'graphql';
  if (method === 'GET' && path.includes('/search/')) return 'search';
  return 'core';
}

/** A content-creating request: a REST write other than the app's own token exchange. */
function isWrite(method: string, path: string): boolean {
  if (method === 'GET' || method === 'HEAD' || path.endsWith('/graphql')) return false;
  return !/\/app\/installations\/[^/]+\/access_tokens$/.test(path);
}

function header(headers: Record<string, unknown> | undefined, name: string): number | undefined {
  const value = headers?.[name];
  const number = typeof value === 'string' || typeof value === 'number' ? Number(value) : NaN;
  return Number.isFinite(number) ? number : undefined;
}

function remember(installation: string, fallbackResource: string, headers: Record<string, unknown> | undefined): void {
  const remaining = header(headers, 'x-ratelimit-remaining');
  const reset = header(headers, 'x-ratelimit-reset');
  if (remaining === undefined || reset === undefined) return;
  const named = headers?.['x-ratelimit-resource'];
  const resource = typeof named === 'string' ? named : fallbackResource;
  budgets.set(`${installation}:${resource}`, { resource, remaining, limit: header(headers, 'x-ratelimit-limit') ?? remaining, resetAt: reset * 1000 });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The request option holding the signal that withdraws a write while it waits for its turn. */
export const WITHDRAW = 'wardenWithdraw';

/** Thrown for a write withdrawn before its turn came: GitHub never received it. */
export class WriteWithdrawn extends Error {
  constructor() {
    super('the write was withdrawn before it was sent');
  }
}

/**
 * One installation's content-creating requests, started one at a time and `spacingMs` apart, first come first served
 * within two lines: check runs, then everything else.
 */
class WriteTurns {
  /** What starts each waiting write, in arrival order: check runs (the verdicts merges wait for) before the rest. */
  private readonly waiting: { first: (() => void)[]; rest: (() => void)[] } = { first: [], rest: [] };
  private lastStart = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly spacingMs: number) {}

  /** Resolves when the write may go out; rejects with WriteWithdrawn if `signal` aborts first (no turn is spent). */
  take(signal: AbortSignal | undefined, first: boolean): Promise<void> {
    if (signal?.aborted) return Promise.reject(new WriteWithdrawn());
    const line = first ? this.waiting.first : this.waiting.rest;
    return new Promise((resolve, reject) => {
      const go = () => {
        signal?.removeEventListener('abort', withdraw);
        resolve();
      };
      const withdraw = () => {
        line.splice(line.indexOf(go), 1);
        reject(new WriteWithdrawn());
      };
      signal?.addEventListener('abort', withdraw, { once: true });
      line.push(go);
      this.next();
    });
  }

  private next(): void {
    const line = this.waiting.first.length > 0 ? this.waiting.first : this.waiting.rest;
    if (this.timer !== undefined || line.length === 0) return;
    const wait = this.lastStart + this.spacingMs - Date.now();
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = undefined;
        this.next();
      }, wait);
      return;
    }
    this.lastStart = Date.now();
    line.shift()!();
    this.next();
  }
}

/** A check run's create or update: the verdict a required check blocks merges on goes out before other writes. */
function isCheckRunWrite(path: string): boolean {
  return /\/check-runs(\/[^/]+)?$/.test(path);
}

/** The signal a request carries under WITHDRAW, if any. */
function withdrawSignal(options: { request?: Record<string, unknown> }): AbortSignal | undefined {
  const signal = options.request?.[WITHDRAW];
  return signal instanceof AbortSignal ? signal : undefined;
}

/**
 * The pace as an Octokit plugin, outside the throttling plugin's own wrapper: it spaces writes and waits for a
 * reset when the budget is spent, and records the budget from every answer (errors included).
 */
function pacePlugin(pace: Required<PaceOptions>, writes: (installation: string) => WriteTurns) {
  return (octokit: Octokit, options: OctokitOptions) => {
    const installation = installationOf(options);
    if (installation === undefined || options.throttle?.enabled === false) return;
    octokit.hook.wrap('request', async (request, requestOptions) => {
      const method = requestOptions.method.toUpperCase();
      const path = pathOf(requestOptions.url);
      const resource = resourceOf(method, path);
      const budget = budgets.get(`${installation}:${resource}`);
      const wait = budget && budget.remaining <= BUDGET_RESERVE ? budget.resetAt - Date.now() : 0;
      // A reset further away than an evaluation may wait is left to the work queue (which defers the work) or to
      // GitHub's answer (which the check reports); a near one is simply waited for.
      if (wait > 0 && wait <= pace.maxRetryWaitSeconds * 1000) {
        octokit.log.warn(`GitHub ${resource} rate limit of installation ${installation} nearly spent (${budget?.remaining ?? 0} left): waiting ${wait} ms for its reset`);
        await sleep(wait);
        budgets.delete(`${installation}:${resource}`);
      }
      if (isWrite(method, path)) await writes(installation).take(withdrawSignal(requestOptions), isCheckRunWrite(path));
      try {
        const response = await request(requestOptions);
        remember(installation, resource, response.headers);
        return response;
      } catch (error) {
        const response = typeof error === 'object' && error !== null && 'response' in error ? (error as { response?: { headers?: Record<string, unknown> } }).response : undefined;
        remember(installation, resource, response?.headers);
        throw error;
      }
    });
  };
}

type Job = (...args: unknown[]) => unknown;

/** Bottleneck's `schedule([options,] job, ...args)`: the job and its arguments, options dropped. */
function jobOf(given: unknown[]): [Job, unknown[]] {
  const [job, ...args] = (typeof given[0] === 'function' ? given : given.slice(1)) as [Job, ...unknown[]];
  return [job, args];
}

/**
 * What the throttling plugin asks of its queues, as Bottleneck offers it: groups keyed by installation
 * (`key(id).schedule(…)`) and a retry limiter whose `failed` listener answers how long to wait before the job runs
 * again (or nothing: the error stands). Bottleneck yields to a timer several times per job — about 4 ms each, and
 * every request passed three of its queues, so 14 ms went by before each request left. The plugin's decisions stay
 * its own (which answers are limits, how long to wait, its handlers' say); only the queues are these, without the
 * timer turns. Its paced search and notification groups stay Bottleneck's.
 */
interface ScheduleGroup {
  key(id: string): { schedule(...given: unknown[]): Promise<unknown> };
}

/** Each key's jobs `concurrency` at a time (no bound when undefined), started at once when there is room. */
function lightGroup(concurrency?: number): ScheduleGroup {
  const limits = new Map<string, LimitFunction>();
  const run = (given: unknown[]): Promise<unknown> => {
    const [job, args] = jobOf(given);
    return Promise.resolve().then(() => job(...args));
  };
  return {
    key(id) {
      if (concurrency === undefined) return { schedule: (...given) => run(given) };
      let limit = limits.get(id);
      if (!limit) limits.set(id, (limit = pLimit(concurrency)));
      const bound = limit;
      return { schedule: (...given) => bound(() => run(given)) };
    },
  };
}

type FailedListener = (error: unknown, info: { args: unknown[]; retryCount: number }) => Promise<number | undefined> | number | undefined;

/** Runs each job at once; when it fails, the `failed` listeners may answer a wait in ms, after which it runs again. */
function retryQueue() {
  const listeners: FailedListener[] = [];
  return {
    on(event: string, listener: FailedListener): void {
      if (event === 'failed') listeners.push(listener);
    },
    async schedule(...given: unknown[]): Promise<unknown> {
      const [job, args] = jobOf(given);
      for (let retryCount = 0; ; retryCount++) {
        try {
          return await job(...args);
        } catch (error) {
          let wait: number | undefined;
          for (const listener of listeners) wait ??= (await listener(error, { args, retryCount })) ?? undefined;
          if (typeof wait !== 'number') throw error;
          await sleep(wait);
        }
      }
    },
  };
}

/** The throttling plugin's own concurrency per installation (its default for `global`). */
const CONCURRENT_REQUESTS = 10;

/** ProbotOctokit with the pace above. */
export function createWardenOctokit(options: PaceOptions = {}) {
  const pace: Required<PaceOptions> = { writeSpacingMs: 1050, maxRetryWaitSeconds: 20, secondMs: 1000, maxRetries: 3, ...options };
  const turns = new Map<string, WriteTurns>();
  const writes = (installation: string) => {
    let queue = turns.get(installation);
    if (!queue) turns.set(installation, (queue = new WriteTurns(pace.writeSpacingMs)));
    return queue;
  };
  // The plugin's own write queue has nothing to do (this module spaces the writes), and its concurrency per
  // installation is a count (see ScheduleGroup).
  const unpaced = lightGroup();
  const concurrent = lightGroup(CONCURRENT_REQUESTS);
  const retryShortWaits = (retryAfter: number, request: LimitedRequest) => retryAfter <= pace.maxRetryWaitSeconds && request.request.retryCount < pace.maxRetries;
  return ProbotOctokit.plugin(pacePlugin(pace, writes)).defaults((given: OctokitOptions = {}) => {
    if (!given.throttle || given.throttle.enabled === false) return given;
    const installation = installationOf(given);
    const log = (given as { log?: { warn(message: string): void } }).log;
    const handler = (kind: string) => (retryAfter: number, request: LimitedRequest) => {
      const retry = retryShortWaits(retryAfter, request);
      log?.warn(`${kind} for ${request.method} ${request.url}: ${retry ? `retrying in ${retryAfter} s` : `not retried (asked to wait ${retryAfter} s)`}`);
      return retry;
    };
    return {
      ...given,
      throttle: {
        ...given.throttle,
        write: unpaced,
        global: concurrent,
        retryLimiter: retryQueue(),
        retryAfterBaseValue: pace.secondMs,
        onRateLimit: handler('GitHub rate limit'),
        onSecondaryRateLimit: handler('GitHub secondary rate limit'),
        ...(installation !== undefined && { id: `installation-${installation}` }),
      },
    };
  });
}

/** Each installation has its own queues (keyed by `throttle.id`), so one busy organization never slows another. */
export const WardenOctokit = createWardenOctokit();
