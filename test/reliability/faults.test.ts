// Fault injection through the whole app (probot.receive → createWardenApp → FakeGitHub behind nock, dynalite):
// for each fault, what the user sees on the pull request — the check run's exact conclusion and title, and a
// fragment of its text — and that no result is lost (no check stays in progress) or doubled (check runs and
// reviews counted). Faults that test/app/app-failures.test.ts and app-delivery.test.ts already prove are not
// repeated here (docs/reliability.md lists both).
import { randomUUID } from 'node:crypto';
import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import type { Probot } from 'probot';
import { DynamoCacheStore, createDynamoClient } from '../../src/cache/dynamo.js';
import { localClientOptions } from '../../src/cache/embedded.js';
import { jsonLogger } from '../../src/lambda/log.js';
import type { WardenServices } from '../../src/services.js';
import { DynamoStateStore } from '../../src/state/store.js';
import {
  addLib,
  APP,
  calling,
  CHECK_RUN,
  CHECK_RUNS,
  CI,
  createPull,
  expectSettled,
  LIB,
  LIB_WF,
  mergeGroupPayload,
  PULL_FILES,
  pullRequestPayload,
  pushPayload,
  REVIEWS,
  startHarness,
  until,
  type AppHarness,
  type FakeCheckRun,
  type PullInfo,
} from '../support/app.js';
import { FakeGitHub } from '../support/fake-github.js';
import { generatePrivateKey, productionProbot, serveTokenExchange, TOKEN_EXCHANGE } from '../support/production-probot.js';

const PASSED = 'Workflow policy passed';
const ONE_VIOLATION = '1 policy violation in 1 workflow';
const COULD_NOT_FINISH = (status: number) => `Not evaluated: The evaluation could not finish: GitHub answered ${status}.`;

let h: AppHarness;
/** Set by a test that leaves a request hanging on purpose: `settle` would wait for it forever. */
let hanging = false;
/** The commit of other-org/lib's main, once the test added the repository. */
let libCommit: string | undefined;

beforeEach(async () => {
  hanging = false;
  libCommit = undefined;
  h = await startHarness();
});

afterEach(async () => {
  try {
    if (!hanging) await h.settle();
    expectSettled(h);
  } finally {
    await h.close();
  }
});

/** other-org/lib with a callable workflow on main, tagged v1 (added once per test); returns the commit. */
function addLibOnce(): string {
  if (libCommit !== undefined) return libCommit;
  libCommit = addLib(h.gh, { tagV1: true });
  return libCommit;
}

/** A PR whose call is pinned to v1's commit: it passes when nothing fails. */
function pinnedPull(repo = APP, number = 7): PullInfo {
  const sha = addLibOnce();
  h.gh.addRepo(repo);
  return createPull(h.gh, { repo, number, base: { 'README.md': 'app\n' }, head: { [CI]: calling({ call: `${LIB_WF}@${sha} # v1` }) } });
}

function onlyRun(): FakeCheckRun {
  expect(h.gh.checkRuns).toHaveLength(1);
  return h.gh.checkRuns[0]!;
}

function outcomes(route: string): (number | string)[] {
  return h.gh.requests.filter((entry) => entry.route === route).map((entry) => entry.outcome);
}

function graphqlOutcomes(operation: string): (number | string)[] {
  return h.gh.requests.filter((entry) => entry.graphql?.query.includes(`query ${operation}`) === true).map((entry) => entry.outcome);
}


async function deliveries(): Promise<[unknown, unknown][]> {
  const items = (await h.table()).filter((item) => String(item.pk).startsWith('delivery#'));
  return items.map((item): [unknown, unknown] => [item.pk, item.state]).sort((a, b) => String(a[0]).localeCompare(String(b[0])));
}

function receiveWith(probot: Probot, name: string, payload: object, id: string = randomUUID()): Promise<void> {
  return probot.receive({ id, name, payload } as Parameters<Probot['receive']>[0]);
}

describe('GitHub 5xx in each phase, without retries (the harness turns them off): the check fails closed', () => {
  type Expected = { conclusion: string; title: string; fragment: string };
  const cases: { phase: string; statuses: number[]; inject: (status: number) => void; expected: (status: number) => Expected }[] = [
    {
      // 500 is in app-failures.test.ts.
      phase: 'the PR files (REST)',
      statuses: [502, 504],
      inject: (status) => h.gh.inject(PULL_FILES, { status }),
      expected: (status) => ({ conclusion: 'failure', title: COULD_NOT_FINISH(status), fragment: 'Nothing was approved. Re-run the check' }),
    },
    {
      phase: 'the workflow directory at the head (GraphQL WardenWorkflows)',
      statuses: [500, 502, 504],
      inject: (status) => h.gh.faultGraphql('WardenWorkflows', { status }),
      expected: (status) => ({ conclusion: 'failure', title: COULD_NOT_FINISH(status), fragment: 'This check fails closed: a change that could not be checked must not merge.' }),
    },
    {
      phase: 'the policy files (GraphQL WardenPolicyFiles)',
      statuses: [500, 502, 504],
      inject: (status) => h.gh.faultGraphql('WardenPolicyFiles', { status }),
      expected: (status) => ({
        conclusion: 'failure',
        title: 'Not evaluated: The workflow policy could not be read from GitHub, so nothing was evaluated (the check fails closed). Re-run the check.',
        fragment: `octo-org/.github:.github/workflow-policy.yml:1:1: the organization policy could not be read, so no policy applies: the GraphQL API answered ${status}`,
      }),
    },
    {
      // 502 is in app-failures.test.ts.
      phase: 'a level of the call graph (GraphQL WardenLevel)',
      statuses: [500, 504],
      inject: (status) => h.gh.faultGraphql('WardenLevel', { status }, { about: LIB }),
      expected: (status) => ({
        conclusion: 'failure',
        title: ONE_VIOLATION,
        fragment: `could not be read from GitHub (GitHub answered ${status}), so it and the calls below it were not checked and the check fails closed.`,
      }),
    },
    {
      // The pin cannot be verified: an error, so the check fails closed (an impostor must not pass as a warning).
      phase: 'the ref facts (GraphQL WardenRefs)',
      statuses: [500, 502, 504],
      inject: (status) => h.gh.faultGraphql('WardenRefs', { status }),
      expected: () => ({
        conclusion: 'failure',
        title: ONE_VIOLATION,
        fragment: 'could not be verified: the branches and tags of other-org/lib could not be read from GitHub',
      }),
    },
    {
      // 500 is in app-failures.test.ts.
      phase: 'the check-run update',
      statuses: [502, 504],
      inject: (status) => h.gh.inject(CHECK_RUN, { status, times: 1 }),
      expected: () => ({ conclusion: 'failure', title: 'Not evaluated: The result could not be written to this check run.', fragment: 'Re-run the check.' }),
    },
  ];
  const table = cases.flatMap((entry) => entry.statuses.map((status) => ({ ...entry, status })));

  it.each(table)('$status on $phase', async ({ status, inject, expected }) => {
    const pull = pinnedPull();
    inject(status);
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    const { conclusion, title, fragment } = expected(status);
    expect(run).toMatchObject({ status: 'completed', conclusion, output: { title } });
    expect(`${run.output.summary ?? ''}\n${run.annotations.map((annotation) => annotation.message).join('\n')}`).toContain(fragment);
    // One create, and the result written once (the fallback is the second PATCH only when the first failed).
    expect(h.gh.count(CHECK_RUNS)).toBe(1);
    expect(outcomes(CHECK_RUN).filter((outcome) => outcome === 200)).toHaveLength(1);
    expect(h.gh.count(REVIEWS)).toBe(0);
  });
});

describe('a check-run update GitHub refuses every time', () => {
  it('the update and its fallback both fail (no retries): the run stays in progress until the redelivery completes that same run', async () => {
    const pull = pinnedPull();
    h.gh.inject(CHECK_RUN, { status: 502, times: 2 });
    const payload = pullRequestPayload(h.gh, 'opened', pull);
    await expect(h.receive('pull_request', payload, 'delivery-stuck')).rejects.toThrow();
    expect(h.gh.checkRuns.map((run) => run.status)).toEqual(['in_progress']);
    // The claim was given back, so GitHub's redelivery (or the queue's retry) is evaluated at once.
    expect(await deliveries()).toEqual([]);
    await h.receive('pull_request', payload, 'delivery-stuck');
    // The delivery remembered the run it created: one run, completed, and no second create.
    expect(h.gh.checkRuns.map((run) => [run.status, run.conclusion])).toEqual([['completed', 'success']]);
    expect(h.gh.count(CHECK_RUNS)).toBe(1);
    expect(await deliveries()).toEqual([['delivery#delivery-stuck', 'done']]);
  });
});

describe('with Octokit’s retry and throttling plugins on, as Probot builds them (waits shortened)', () => {
  let probot: Probot;

  beforeEach(async () => {
    probot = await productionProbot({ services: h.services });
  });

  it('a 502 on the PR files is retried: the check holds the real verdict', async () => {
    const pull = pinnedPull();
    h.gh.inject(PULL_FILES, { status: 502 });
    await receiveWith(probot, 'pull_request', pullRequestPayload(h.gh, 'opened', pull));
    expect(onlyRun()).toMatchObject({ conclusion: 'success', output: { title: PASSED } });
    expect(outcomes(PULL_FILES)).toEqual([502, 200]);
  });

  it('a 504 on a GraphQL level read is retried: the check holds the real verdict', async () => {
    const pull = pinnedPull();
    h.gh.faultGraphql('WardenLevel', { status: 504 }, { about: LIB });
    await receiveWith(probot, 'pull_request', pullRequestPayload(h.gh, 'opened', pull));
    expect(onlyRun()).toMatchObject({ conclusion: 'success', output: { title: PASSED } });
    expect(graphqlOutcomes('WardenLevel')).toEqual([504, 200]);
  });

  it('the check-run update fails twice with 502: retried, the verdict is written, not the fallback', async () => {
    const pull = pinnedPull();
    h.gh.inject(CHECK_RUN, { status: 502, times: 2 });
    await receiveWith(probot, 'pull_request', pullRequestPayload(h.gh, 'opened', pull));
    expect(onlyRun()).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: PASSED } });
    expect(outcomes(CHECK_RUN)).toEqual([502, 502, 200]);
  });

  it('a 429 with retry-after on the PR files is retried: the check holds the real verdict', async () => {
    const pull = pinnedPull();
    h.gh.inject(PULL_FILES, FakeGitHub.tooManyRequests(2));
    await receiveWith(probot, 'pull_request', pullRequestPayload(h.gh, 'opened', pull));
    expect(onlyRun()).toMatchObject({ conclusion: 'success', output: { title: PASSED } });
    expect(outcomes(PULL_FILES)).toEqual([429, 200]);
  });

  it('a 403 secondary rate limit asking for a short wait (retry-after: 2) is waited out and retried: the real verdict', async () => {
    const pull = pinnedPull();
    h.gh.inject(PULL_FILES, FakeGitHub.secondaryRateLimit(2));
    await receiveWith(probot, 'pull_request', pullRequestPayload(h.gh, 'opened', pull));
    expect(onlyRun()).toMatchObject({ status: 'completed', conclusion: 'success', output: { title: PASSED } });
    expect(outcomes(PULL_FILES)).toEqual([403, 200]);
  });

  it('a 403 secondary rate limit on the first GraphQL read (retry-after: 5) is retried: the real verdict', async () => {
    const pull = pinnedPull();
    h.gh.inject('POST /graphql', FakeGitHub.secondaryRateLimit(5));
    await receiveWith(probot, 'pull_request', pullRequestPayload(h.gh, 'opened', pull));
    expect(onlyRun()).toMatchObject({ conclusion: 'success', output: { title: PASSED } });
    expect(graphqlOutcomes('WardenWorkflows')).toEqual([403, 200]);
  });

  it('a 403 secondary rate limit (retry-after: 60) is longer than an evaluation may wait: not retried, failed, saying GitHub rate-limited the app', async () => {
    const pull = pinnedPull();
    h.gh.inject(PULL_FILES, FakeGitHub.secondaryRateLimit(60));
    await receiveWith(probot, 'pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure', output: { title: 'Not evaluated: GitHub rate-limited the app (it answered 403).' } });
    expect(run.output.summary).toContain('GitHub asked the app to wait 60 seconds before calling it again. Nothing was approved. Re-run the check after that.');
    // More than the app's 20 s an evaluation may wait: one request, no hammering, and the check says when to re-run.
    expect(outcomes(PULL_FILES)).toEqual([403]);
  });

  it('a 403 secondary rate limit on the first GraphQL read: failed, saying GitHub rate-limited the app', async () => {
    const pull = pinnedPull();
    h.gh.inject('POST /graphql', FakeGitHub.secondaryRateLimit(30));
    await receiveWith(probot, 'pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run).toMatchObject({ conclusion: 'failure', output: { title: 'Not evaluated: GitHub rate-limited the app (it answered 403).' } });
    expect(run.output.summary).toContain('GitHub asked the app to wait 30 seconds before calling it again.');
    expect(graphqlOutcomes('WardenWorkflows')).toEqual([403]);
  });
});

describe('a request that never answers', () => {
  it('the PR files hang past WARDEN_TIMEOUT_MS: failed with "took longer than", nothing written afterwards', async () => {
    await h.close();
    h = await startHarness({ env: { WARDEN_TIMEOUT_MS: '300' } });
    hanging = true;
    const pull = pinnedPull();
    h.gh.inject(PULL_FILES, { hang: true });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run).toMatchObject({ status: 'completed', conclusion: 'failure', output: { title: 'Not evaluated: The evaluation took longer than 300 ms and was stopped.' } });
    expect(run.output.summary).toContain('GitHub may be slow or rate-limiting the app. Re-run the check.');
    expect(outcomes(PULL_FILES)).toEqual(['hang']);
    expect([h.gh.count(CHECK_RUN), h.gh.count(REVIEWS)]).toEqual([1, 0]);
  });
});

describe('the installation token exchange answers 404 (the app was uninstalled, or GitHub failed)', () => {
  it('no check run can be written; the delivery is not claimed, so its redelivery is evaluated once', async () => {
    const privateKey = generatePrivateKey();
    const exchange = serveTokenExchange(h.gh);
    const probot = await productionProbot({ services: h.services, privateKey });
    const pull = pinnedPull();
    h.gh.inject(TOKEN_EXCHANGE, { status: 404, times: 1 });
    const payload = pullRequestPayload(h.gh, 'opened', pull);
    await expect(receiveWith(probot, 'pull_request', payload, 'delivery-token')).rejects.toMatchObject({ errors: [expect.objectContaining({ status: 404 })] });
    // Nothing reached the repository: the PR shows the required check as expected, never as passed.
    expect(h.gh.checkRuns).toEqual([]);
    expect(await deliveries()).toEqual([]);
    // GitHub's redelivery (or the queue's retry) of the same delivery id.
    await receiveWith(probot, 'pull_request', payload, 'delivery-token');
    expect(onlyRun()).toMatchObject({ conclusion: 'success', output: { title: PASSED } });
    expect(outcomes(TOKEN_EXCHANGE)).toEqual([404, 201]);
    expect(exchange.issued).toHaveLength(1);
    expect(await deliveries()).toEqual([['delivery#delivery-token', 'done']]);
  });
});

describe('DynamoDB faults', () => {
  /** Services on the harness's table whose client answers ProvisionedThroughputExceededException for the first `throttled` attempts. */
  function throttledServices(throttled: number, lines: string[]): WardenServices {
    const client = createDynamoClient(localClientOptions(h.db.endpoint));
    let remaining = throttled;
    // In the deserialize step: inside the SDK's retry loop, where a throttled answer from DynamoDB lands.
    client.middlewareStack.add(
      (next) => async (args) => {
        if (remaining > 0) {
          remaining -= 1;
          throw new ProvisionedThroughputExceededException({ message: 'The level of configured provisioned throughput for the table was exceeded.', $metadata: { httpStatusCode: 400 } });
        }
        return next(args);
      },
      { step: 'deserialize', name: 'throttle' },
    );
    const logger = jsonLogger({ level: 'debug', write: (line) => lines.push(line) });
    return {
      ...h.services,
      cache: new DynamoCacheStore({ client, tableName: h.db.tableName, logger }),
      state: new DynamoStateStore({ client, tableName: h.db.tableName, logger }),
      close: async () => client.destroy(),
    };
  }

  it('throttled once: the SDK’s retry absorbs it, the delivery is claimed as usual', async () => {
    const lines: string[] = [];
    const services = throttledServices(1, lines);
    const probot = await productionProbot({ services });
    const pull = pinnedPull();
    const payload = pullRequestPayload(h.gh, 'opened', pull);
    await receiveWith(probot, 'pull_request', payload, 'delivery-throttled-1');
    await receiveWith(probot, 'pull_request', payload, 'delivery-throttled-1');
    expect(onlyRun()).toMatchObject({ conclusion: 'success', output: { title: PASSED } });
    expect(lines).toEqual([]);
    expect(await deliveries()).toEqual([['delivery#delivery-throttled-1', 'done']]);
    await services.close();
  });

  it('throttled past the SDK’s two attempts: the claim fails open (evaluated, warned), and a redelivery is still recognised', async () => {
    const lines: string[] = [];
    const services = throttledServices(2, lines);
    const probot = await productionProbot({ services });
    const pull = pinnedPull();
    const payload = pullRequestPayload(h.gh, 'opened', pull);
    await receiveWith(probot, 'pull_request', payload, 'delivery-throttled-2');
    expect(onlyRun()).toMatchObject({ conclusion: 'success', output: { title: PASSED } });
    expect(lines.map((line) => JSON.parse(line) as { level: string; msg: string; err: { name: string } })).toEqual([
      expect.objectContaining({ level: 'warn', msg: 'state store unavailable: processing the delivery without the duplicate check', err: expect.objectContaining({ name: 'ProvisionedThroughputExceededException' }) }),
    ]);
    // Marking it done wrote the record the claim could not: the redelivery is ignored, and the record expires.
    await receiveWith(probot, 'pull_request', payload, 'delivery-throttled-2');
    expect(h.gh.count(CHECK_RUNS)).toBe(1);
    const record = (await h.table()).find((item) => item.pk === 'delivery#delivery-throttled-2');
    expect(record).toMatchObject({ state: 'done', ttl: expect.any(Number) });
    await services.close();
  });

  it('DynamoDB stops with three evaluations in flight: each completes with its verdict; a redelivery then is evaluated again', async () => {
    const pulls = ['octo-org/app-1', 'octo-org/app-2', 'octo-org/app-3'].map((repo) => pinnedPull(repo));
    h.gh.inject(PULL_FILES, { delayMs: 100 });
    const payloads = pulls.map((pull) => pullRequestPayload(h.gh, 'opened', pull));
    const inFlight = payloads.map((payload, index) => h.receive('pull_request', payload, `outage-${index}`));
    await until(() => h.gh.count(PULL_FILES) === 3);
    await h.db.stop();
    await Promise.all(inFlight);
    // Concurrent evaluations create their runs in whichever order they finish.
    expect(h.gh.checkRuns.map((run) => [run.repo, run.status, run.conclusion, run.output.title]).sort()).toEqual(
      pulls.map((pull) => [pull.repo, 'completed', 'success', PASSED]),
    );
    // With the table gone no duplicate can be recognised: better twice than lost. Same verdict, nothing in progress.
    await h.receive('pull_request', payloads[0]!, 'outage-0');
    expect(h.gh.checkRuns.filter((run) => run.repo === 'octo-org/app-1').map((run) => [run.status, run.conclusion])).toEqual([
      ['completed', 'success'],
      ['completed', 'success'],
    ]);
  });
});

describe('duplicate, out-of-order and concurrent deliveries', () => {
  /** The PR moved from head A (unpinned: fails) to head B (pinned: passes). */
  function movedPull(): { a: PullInfo; b: PullInfo } {
    const sha = addLibOnce();
    h.gh.addRepo(APP);
    const a = createPull(h.gh, { repo: APP, base: { 'README.md': 'app\n' }, head: { [CI]: calling({ call: `${LIB_WF}@main` }) } });
    const headB = h.gh.commit(APP, { [CI]: calling({ call: `${LIB_WF}@${sha} # v1` }) }, { parents: [a.headSha], branch: a.headRef });
    h.gh.movePull(APP, a.number, headB);
    return { a, b: { ...a, headSha: headB } };
  }

  it('synchronize for head B arrives before opened for head A: each head gets its own verdict, the PR’s head B passes', async () => {
    const { a, b } = movedPull();
    await h.receive('pull_request', pullRequestPayload(h.gh, 'synchronize', b));
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', a));
    expect(h.gh.checkRuns.map((run) => [run.head_sha, run.conclusion, run.output.title])).toEqual([
      [b.headSha, 'success', PASSED],
      [a.headSha, 'failure', ONE_VIOLATION],
    ]);
    // Arrival order decides which evaluation is newest, so the late one for head A posts its suggestion on A
    // (an outdated commit; see "Known limits" in docs/reliability.md). The verdict on head B is untouched.
    const reviews = h.gh.requests.filter((entry) => entry.route === REVIEWS).map((entry) => (entry.body as { commit_id: string }).commit_id);
    expect(reviews).toEqual([a.headSha]);
  });

  it('every event sent two or three times at once, out of order: one check run per delivery, each completed', async () => {
    const { a, b } = movedPull();
    const base = h.gh.repo(APP).branches.get('main')!;
    const group = h.gh.commit(APP, { [CI]: calling({ call: `${LIB_WF}@main` }) }, { parents: [base] });
    const sends: [string, object, string][] = [
      ['pull_request', pullRequestPayload(h.gh, 'synchronize', b), 'sync-b'],
      ['merge_group', mergeGroupPayload(h.gh, APP, { headSha: group, baseSha: base, headRef: 'gh-readonly-queue/main/pr-7', baseRef: 'refs/heads/main' }), 'group'],
      ['pull_request', pullRequestPayload(h.gh, 'opened', a), 'opened-a'],
      ['push', pushPayload(h.gh, LIB, { ref: 'refs/heads/main', before: base, after: base }), 'push'],
    ];
    const copies = [3, 2, 2, 2];
    await Promise.all(sends.flatMap(([name, payload, id], index) => Array.from({ length: copies[index]! }, () => h.receive(name, payload, id))));
    const byHead = h.gh.checkRuns.map((run) => run.head_sha).sort();
    expect(byHead).toEqual([a.headSha, b.headSha, group].sort());
    expect(h.gh.checkRuns.every((run) => run.status === 'completed')).toBe(true);
    expect(await deliveries()).toEqual([
      ['delivery#group', 'done'],
      ['delivery#opened-a', 'done'],
      // A push is taken once too: it may index a default branch and evaluate drifted callers.
      ['delivery#push', 'done'],
      ['delivery#sync-b', 'done'],
    ]);
  });

  it('five deliveries for one PR at one head, at once: each completes; every run not superseded holds the same verdict', async () => {
    const pull = pinnedPull();
    const actions = ['opened', 'reopened', 'ready_for_review', 'synchronize', 'synchronize'] as const;
    await Promise.all(actions.map((action) => h.receive('pull_request', pullRequestPayload(h.gh, action, pull))));
    const runs = h.gh.checkRuns;
    expect(runs).toHaveLength(5);
    expect(runs.every((run) => run.status === 'completed' && run.head_sha === pull.headSha)).toBe(true);
    const verdicts = runs.filter((run) => run.conclusion !== 'cancelled');
    expect(verdicts.length).toBeGreaterThanOrEqual(1);
    expect(new Set(verdicts.map((run) => `${run.conclusion} ${run.output.title}`))).toEqual(new Set([`success ${PASSED}`]));
    const cancelled = runs.filter((run) => run.conclusion === 'cancelled').map((run) => run.output.title);
    expect(cancelled).toEqual(cancelled.map(() => 'Superseded by a newer evaluation'));
    const sequence = (await h.table()).find((item) => item.pk === 'subject#octo-org/app#7' && item.sk === 'sequence');
    expect(sequence?.seq).toBe(5);
  });

  it('two deliveries at one head whose check-run creates land in the other order: both runs keep their verdict', async () => {
    const pull = pinnedPull();
    h.gh.inject(CHECK_RUNS, { delayMs: 200 });
    const first = h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    await until(() => h.gh.count(CHECK_RUNS) === 1);
    h.gh.clearFaults();
    await h.receive('pull_request', pullRequestPayload(h.gh, 'ready_for_review', pull));
    await first;
    // GitHub shows (and a ruleset requires) the newest check run of a name on a commit, whichever evaluation
    // created it: evaluations of the same head are never cancelled, so it always holds a verdict.
    expect(h.gh.checkRuns.map((run) => [run.id, run.conclusion, run.output.title])).toEqual([
      [90_001, 'success', PASSED],
      [90_002, 'success', PASSED],
    ]);
    // Only the newest evaluation writes what a pull request keeps: one review at most, refs saved once.
    expect(h.gh.count(REVIEWS)).toBeLessThanOrEqual(1);
  });
});
