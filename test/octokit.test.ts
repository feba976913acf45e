// The app's Octokit (src/octokit.ts) against nock: GraphQL reads are not paced, REST writes are spaced per
// installation, and a spent budget announced in `x-ratelimit-*` headers makes the next request wait for the reset.
import nock from 'nock';
import { createWardenOctokit, rateBudgets, WITHDRAW, WriteWithdrawn } from '../src/octokit.js';

const API = 'https://api.github.com';

/** An installation's client as Probot builds one (`auth.installationId`), with a token that needs no exchange. */
function client(Octokit: ReturnType<typeof createWardenOctokit>, installationId: number) {
  const authStrategy = () => Object.assign(async () => ({ type: 'token', token: 'ghs_test' }), { hook: (request: (route: string, parameters?: object) => Promise<unknown>, route: string, parameters?: object) => request(route, parameters) });
  const log = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  return new Octokit({ auth: { installationId }, authStrategy, log, throttle: { enabled: true, onRateLimit: () => false, onSecondaryRateLimit: () => false }, retry: { enabled: false } });
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

/** Records when each request reached GitHub (epoch ms), by route. */
function arrivals(): Record<string, number[]> {
  const seen: Record<string, number[]> = {};
  const record = (key: string) => () => {
    (seen[key] ??= []).push(Date.now());
    return [200, { data: {} }];
  };
  nock(API).persist().post('/graphql').reply(record('graphql'));
  nock(API).persist().post('/repos/acme/app/check-runs').reply(record('write'));
  return seen;
}

it('three GraphQL reads go out at once; three check-run writes go out at least a second apart', async () => {
  const octokit = client(createWardenOctokit(), 101);
  const seen = arrivals();
  const started = Date.now();
  await Promise.all([1, 2, 3].map(() => octokit.graphql('query { viewer { login } }')));
  const reads = seen.graphql ?? [];
  expect(reads).toHaveLength(3);
  expect(Math.max(...reads) - started).toBeLessThan(900);
  await Promise.all([1, 2, 3].map(() => octokit.request('POST /repos/{owner}/{repo}/check-runs', { owner: 'acme', repo: 'app', name: 'x', head_sha: 'a'.repeat(40) })));
  const writes = seen.write ?? [];
  expect(writes).toHaveLength(3);
  expect(writes.slice(1).map((at, index) => at - (writes[index] ?? 0) >= 1000)).toEqual([true, true]);
});

it('writes of two installations are spaced separately', async () => {
  const Octokit = createWardenOctokit();
  const seen = arrivals();
  const started = Date.now();
  await Promise.all([201, 202].map((id) => client(Octokit, id).request('POST /repos/{owner}/{repo}/check-runs', { owner: 'acme', repo: 'app', name: 'x', head_sha: 'a'.repeat(40) })));
  expect((seen.write ?? []).map((at) => at - started < 900)).toEqual([true, true]);
});

it('a budget announced as spent makes the next request wait for its reset, and is remembered per installation', async () => {
  const octokit = client(createWardenOctokit(), 301);
  const resetAt = Math.ceil(Date.now() / 1000) + 2;
  nock(API)
    .get('/repos/acme/app')
    .reply(200, { name: 'app' }, { 'x-ratelimit-remaining': '3', 'x-ratelimit-limit': '5000', 'x-ratelimit-reset': String(resetAt), 'x-ratelimit-resource': 'core' });
  await octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'app' });
  expect(rateBudgets('301')).toEqual([{ resource: 'core', remaining: 3, limit: 5000, resetAt: resetAt * 1000 }]);
  let arrived = 0;
  nock(API)
    .get('/repos/acme/app')
    .reply(() => {
      arrived = Date.now();
      return [200, { name: 'app' }, { 'x-ratelimit-remaining': '5000', 'x-ratelimit-limit': '5000', 'x-ratelimit-reset': String(resetAt + 3600), 'x-ratelimit-resource': 'core' }];
    });
  await octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'app' });
  expect(arrived).toBeGreaterThanOrEqual(resetAt * 1000);
  expect(rateBudgets('301')).toEqual([{ resource: 'core', remaining: 5000, limit: 5000, resetAt: (resetAt + 3600) * 1000 }]);
  expect(rateBudgets('302')).toEqual([]);
});

it('a write withdrawn while it waits for its turn is never sent and takes no turn: the next one goes out in its place', async () => {
  const octokit = client(createWardenOctokit(), 401);
  const seen = arrivals();
  const write = (request?: object) => octokit.request('POST /repos/{owner}/{repo}/check-runs', { owner: 'acme', repo: 'app', name: 'x', head_sha: 'a'.repeat(40), ...(request && { request }) });
  const withdraw = new AbortController();
  const first = write();
  const second = write({ [WITHDRAW]: withdraw.signal });
  const third = write();
  await first;
  withdraw.abort();
  await expect(second).rejects.toBeInstanceOf(WriteWithdrawn);
  await third;
  const writes = seen.write ?? [];
  // Two writes reached GitHub, a second apart: the third took the withdrawn one's turn, not the one after it.
  expect(writes).toHaveLength(2);
  expect((writes[1] ?? 0) - (writes[0] ?? 0)).toBeGreaterThanOrEqual(1000);
  expect((writes[1] ?? 0) - (writes[0] ?? 0)).toBeLessThan(1900);
});

it('a write withdrawn once its turn came is sent all the same: the signal never cuts a request short', async () => {
  const octokit = client(createWardenOctokit(), 402);
  const seen = arrivals();
  const withdraw = new AbortController();
  const sent = octokit.request('POST /repos/{owner}/{repo}/check-runs', { owner: 'acme', repo: 'app', name: 'x', head_sha: 'a'.repeat(40), request: { [WITHDRAW]: withdraw.signal } });
  await new Promise((resolve) => setTimeout(resolve, 50));
  withdraw.abort();
  await expect(sent).resolves.toMatchObject({ status: 200 });
  expect(seen.write).toHaveLength(1);
});

it('check runs take their turn before other writes: a queued review waits for the verdicts queued after it', async () => {
  const octokit = client(createWardenOctokit(), 403);
  const order: string[] = [];
  const answer = (label: (body: { name?: string }) => string) => (_uri: string, body: nock.Body) => {
    order.push(label(body as { name?: string }));
    return [200, { id: 7 }] as [number, object];
  };
  nock(API).persist().post('/repos/acme/app/check-runs').reply(answer((body) => `create ${body.name ?? ''}`));
  nock(API).persist().patch('/repos/acme/app/check-runs/7').reply(answer(() => 'update'));
  nock(API).persist().post('/repos/acme/app/pulls/1/reviews').reply(answer(() => 'review'));
  const create = (name: string) => octokit.request('POST /repos/{owner}/{repo}/check-runs', { owner: 'acme', repo: 'app', name, head_sha: 'a'.repeat(40) });
  const review = () => octokit.request('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews', { owner: 'acme', repo: 'app', pull_number: 1, event: 'COMMENT', body: 'x' });
  // The first write takes the free turn; the others queue behind it in this order.
  await Promise.all([create('a'), review(), review(), create('b'), octokit.request('PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}', { owner: 'acme', repo: 'app', check_run_id: 7, status: 'completed', conclusion: 'success' })]);
  expect(order).toEqual(['create a', 'create b', 'update', 'review', 'review']);
}, 15_000);

it('a secondary-limit answer is waited out for its retry-after and asked again: the caller gets the second answer', async () => {
  const octokit = client(createWardenOctokit({ secondMs: 20 }), 501);
  const asked: number[] = [];
  nock(API)
    .get('/repos/acme/app')
    .reply(() => {
      asked.push(Date.now());
      return [403, { message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' }, { 'retry-after': '2' }];
    })
    .get('/repos/acme/app')
    .reply(() => {
      asked.push(Date.now());
      return [200, { full_name: 'acme/app' }];
    });
  const { data } = await octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'app' });
  expect(data).toEqual({ full_name: 'acme/app' });
  expect(asked).toHaveLength(2);
  // retry-after: 2, a second being 20 ms here.
  expect((asked[1] ?? 0) - (asked[0] ?? 0)).toBeGreaterThanOrEqual(38);
});

it('a secondary-limit answer asking for longer than an evaluation may wait is not retried: the caller gets the 403', async () => {
  const octokit = client(createWardenOctokit({ secondMs: 1 }), 502);
  nock(API).get('/repos/acme/app').reply(403, { message: 'You have exceeded a secondary rate limit.' }, { 'retry-after': '60' });
  await expect(octokit.request('GET /repos/{owner}/{repo}', { owner: 'acme', repo: 'app' })).rejects.toMatchObject({ status: 403 });
  expect(nock.isDone()).toBe(true);
});

it('one installation has at most 10 requests in flight; the eleventh and twelfth go out as answers come back', async () => {
  const octokit = client(createWardenOctokit(), 503);
  let inFlight = 0;
  let most = 0;
  nock(API)
    .persist()
    .get(/\/repos\/acme\/app\/contents\/.*/)
    .reply(async () => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 30));
      inFlight -= 1;
      return [200, {}];
    });
  await Promise.all(Array.from({ length: 12 }, (_, index) => octokit.request('GET /repos/{owner}/{repo}/contents/{path}', { owner: 'acme', repo: 'app', path: `f${index}` })));
  expect(most).toBe(10);
});
