// Security properties of the whole app, each tried the way an attacker or an accident would: forged webhooks
// through both entry points (Probot's HTTP middleware on a loopback port, and the Lambda webhook function feeding
// the worker), a pull request that edits the policy that judges it, private names reaching a public repository's
// check, secrets reaching the logs, and `uses:` values that point at other hosts.
import { createHmac, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSRecord } from 'aws-lambda';
import nock from 'nock';
import { createNodeMiddleware, Probot } from 'probot';
import { createWardenApp } from '../../src/app/index.js';
import { DynamoCacheStore, createDynamoClient } from '../../src/cache/dynamo.js';
import { jsonLogger } from '../../src/lambda/log.js';
import type { QueueMessage } from '../../src/queue/message.js';
import { createWebhookHandler } from '../../src/lambda/webhook.js';
import { createWorkerHandler } from '../../src/lambda/worker.js';
import type { WardenServices } from '../../src/services.js';
import { DynamoStateStore } from '../../src/state/store.js';
import {
  addLib,
  APP,
  calling,
  CHECK_RUNS,
  CI,
  createPull,
  expectSettled,
  LIB_WF,
  POLICY_PATH,
  POLICY_REPO,
  PULL_FILES,
  pullRequestPayload,
  startHarness,
  type AppHarness,
  type FakeCheckRun,
  type PullInfo,
} from '../support/app.js';
import type { LoggedRequest } from '../support/fake-github.js';
import { captureLogs, generatePrivateKey, productionProbot, serveTokenExchange, ShortWaitOctokit, TOKEN_EXCHANGE } from '../support/production-probot.js';

const SECRET = 'warden-webhook-secret-9f8e7d';

let h: AppHarness;

beforeEach(async () => {
  h = await startHarness();
});

afterEach(async () => {
  try {
    await h.settle();
    expectSettled(h);
  } finally {
    await h.close();
  }
});


function pinnedPull(): PullInfo {
  const sha = addLib(h.gh, { tagV1: true });
  h.gh.addRepo(APP);
  return createPull(h.gh, { repo: APP, base: { 'README.md': 'app\n' }, head: { [CI]: calling({ call: `${LIB_WF}@${sha} # v1` }) } });
}

function onlyRun(): FakeCheckRun {
  expect(h.gh.checkRuns).toHaveLength(1);
  return h.gh.checkRuns[0]!;
}

function sign(body: string, algorithm: 'sha256' | 'sha1', secret = SECRET): string {
  return `${algorithm}=${createHmac(algorithm, secret).update(body).digest('hex')}`;
}

/** Writes to GitHub (everything but reads): what a public repository's readers can end up seeing. */
function writes(): LoggedRequest[] {
  return h.gh.requests.filter((entry) => entry.method !== 'GET' && entry.graphql === undefined);
}

describe('webhooks without a valid X-Hub-Signature-256 are refused, through both entry points', () => {
  type Headers = Record<string, string>;
  const forged: [string, (body: string) => Headers][] = [
    ['no signature', () => ({})],
    ['a wrong signature (another secret)', (body) => ({ 'x-hub-signature-256': sign(body, 'sha256', 'guessed') })],
    ['a signature of another body', () => ({ 'x-hub-signature-256': sign('{}', 'sha256') })],
    ['only the old SHA-1 X-Hub-Signature, correct for the body', (body) => ({ 'x-hub-signature': sign(body, 'sha1') })],
  ];

  /** The app behind Probot's own HTTP middleware, served on a loopback port. */
  async function probotServer(): Promise<{ url: string; close(): Promise<void> }> {
    const probot = new Probot({ githubToken: 'test', secret: SECRET, Octokit: ShortWaitOctokit, logLevel: 'fatal' });
    const middleware = await createNodeMiddleware(createWardenApp(h.services), { probot });
    const server: Server = createServer((request, response) => void middleware(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
    return { url, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  /** The Lambda pair: the webhook function, whose queue feeds the worker function running the app. */
  function lambda(): { send(headers: Headers, body: string): Promise<number> } {
    const queued: QueueMessage[] = [];
    const webhook = createWebhookHandler({ secret: SECRET, log: jsonLogger({ write: () => undefined }), enqueue: async (message) => void queued.push(message) });
    const worker = createWorkerHandler(async () => h.probot, jsonLogger({ write: () => undefined }));
    return {
      send: async (headers, body) => {
        const answer = await webhook({ headers, body, isBase64Encoded: false });
        const records = queued.splice(0).map(sqsRecord);
        if (records.length > 0) await worker({ Records: records });
        return answer.statusCode ?? 0;
      },
    };
  }

  async function postTo(url: string, headers: Headers, body: string): Promise<number> {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
    await response.text();
    return response.status;
  }

  function delivery(pull: PullInfo): { body: string; headers: Headers } {
    return { body: JSON.stringify(pullRequestPayload(h.gh, 'opened', pull)), headers: { 'x-github-event': 'pull_request', 'x-github-delivery': randomUUID() } };
  }

  it.each(forged)('through Probot’s HTTP server: %s is answered 400/401 and reaches nothing', async (_name, signature) => {
    const server = await probotServer();
    try {
      const pull = pinnedPull();
      const { body, headers } = delivery(pull);
      const status = await postTo(server.url, { ...headers, ...signature(body) }, body);
      expect([400, 401]).toContain(status);
      expect(h.gh.requests).toEqual([]);
      expect(await h.table()).toEqual([]);
      // The same bytes, signed: evaluated, so the refusal above was the signature's doing.
      expect(await postTo(server.url, { ...headers, 'x-hub-signature-256': sign(body, 'sha256') }, body)).toBe(200);
      expect(onlyRun()).toMatchObject({ status: 'completed', conclusion: 'success' });
    } finally {
      await server.close();
    }
  });

  it.each(forged)('through the Lambda webhook function: %s is answered 401 and nothing is queued or evaluated', async (_name, signature) => {
    const pull = pinnedPull();
    const entry = lambda();
    const { body, headers } = delivery(pull);
    expect(await entry.send({ ...headers, ...signature(body) }, body)).toBe(401);
    expect(h.gh.requests).toEqual([]);
    expect(await h.table()).toEqual([]);
    expect(await entry.send({ ...headers, 'x-hub-signature-256': sign(body, 'sha256') }, body)).toBe(202);
    expect(onlyRun()).toMatchObject({ status: 'completed', conclusion: 'success' });
  });
});

describe('a pull request cannot change the policy that judges it', () => {
  /** Every request that reads the policy path at the given commit: the only way the head's policy could be read. */
  function policyReadsAt(commit: string): LoggedRequest[] {
    return h.gh.requests.filter((entry) => {
      const text = JSON.stringify(entry.body ?? '') + entry.path;
      return text.includes('workflow-policy.yml') && text.includes(commit);
    });
  }

  it('the repository’s own policy: the head loosens it, the verdict is the base policy’s and the head’s file is never read', async () => {
    const sha = addLib(h.gh, { tagV1: true });
    h.gh.addRepo(APP);
    const strict = 'version: 1\nrules:\n  allowed-sources:\n    allow: ["octo-org/*"]\n';
    const pull = createPull(h.gh, {
      repo: APP,
      base: { [POLICY_PATH]: strict, 'README.md': 'app\n' },
      head: { [POLICY_PATH]: 'version: 1\n', 'README.md': 'app\n', [CI]: calling({ call: `${LIB_WF}@${sha} # v1` }) },
    });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run).toMatchObject({ conclusion: 'failure', output: { title: '1 policy violation in 1 workflow' } });
    expect(run.annotations.map((annotation) => [annotation.start_line, annotation.title?.split(':')[0]])).toEqual([[4, 'allowed-sources']]);
    expect(run.output.summary).toContain(`tightened by octo-org/app@${pull.baseSha.slice(0, 7)} ${POLICY_PATH}`);
    expect(policyReadsAt(pull.headSha)).toEqual([]);
    expect(policyReadsAt(pull.baseSha)).toHaveLength(1);
  });

  it('the organization policy, in a PR to octo-org/.github: validated, but the verdict is the default branch’s', async () => {
    addLib(h.gh, { tagV1: true });
    h.gh.addRepo(POLICY_REPO);
    const current = 'version: 1\nextends: recommended\n';
    const loosened = 'version: 1\nextends: recommended\nrules:\n  pinning:\n    require: any\n';
    h.gh.addRepo(APP);
    h.gh.commit(APP, { 'README.md': 'app\n' }, { branch: 'main' });
    h.gh.installation({ repositories: [POLICY_REPO, APP] });
    // The same PR loosens the policy and adds a workflow that only the loosened policy would let through.
    const pull = createPull(h.gh, {
      repo: POLICY_REPO,
      base: { [POLICY_PATH]: current },
      head: { [POLICY_PATH]: loosened, [CI]: calling({ call: `${LIB_WF}@main` }) },
    });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run).toMatchObject({ conclusion: 'failure', output: { title: '1 policy violation in 1 workflow' } });
    expect(run.annotations.map((annotation) => [annotation.path, annotation.start_line, annotation.title?.split(':')[0]])).toEqual([[CI, 4, 'pinning']]);
    expect(run.output.summary).toContain(`**Policy:** octo-org/.github@${pull.baseSha.slice(0, 7)} ${POLICY_PATH}`);
    // The proposal is read at the head once, by the validation that reports on it and never decides the verdict.
    expect(run.output.summary).toContain(`**Valid:** \`${POLICY_PATH}\` at ${pull.headSha.slice(0, 7)} has no problems.`);
    const headReads = policyReadsAt(pull.headSha);
    expect(headReads.map((entry) => /query (\w+)/.exec(entry.graphql?.query ?? '')?.[1])).toEqual(['WardenPolicyFiles']);
    expect(h.gh.requests.indexOf(headReads[0]!)).toBeGreaterThan(h.gh.requests.findIndex((entry) => entry.graphql?.query.includes('query WardenLevel') === true));
  });
});

describe('private repository names never appear in a public repository’s check', () => {
  it('several private and internal callees, two levels down, with violations and a read failure: no write names them', async () => {
    const privateRepos = ['octo-org/hidden-alpha', 'octo-org/hidden-beta', 'octo-org/hidden-gamma'];
    for (const repo of privateRepos) h.gh.addRepo(repo, { visibility: 'private', accessLevel: 'organization' });
    h.gh.addRepo('octo-org/hidden-delta', { visibility: 'internal', accessLevel: 'organization' });
    const secretJob = 'on: workflow_call\njobs:\n  hidden-deploy-job:\n    runs-on: ubuntu-latest\n    permissions:\n      id-token: write\n    steps:\n      - run: echo\n';
    const gamma = h.gh.commit('octo-org/hidden-gamma', { '.github/workflows/g.yml': secretJob }, { branch: 'main' });
    const alpha = h.gh.commit('octo-org/hidden-alpha', { '.github/workflows/a.yml': calling({ deeper: 'octo-org/hidden-gamma/.github/workflows/g.yml@main' }, 'workflow_call') }, { branch: 'main' });
    const beta = h.gh.commit('octo-org/hidden-beta', { '.github/workflows/b.yml': secretJob }, { branch: 'main' });
    const delta = h.gh.commit('octo-org/hidden-delta', { '.github/workflows/d.yml': secretJob }, { branch: 'main' });
    h.gh.addRepo('octo-org/shared');
    const shared = h.gh.commit(
      'octo-org/shared',
      {
        '.github/workflows/deploy.yml': calling(
          {
            one: 'octo-org/hidden-alpha/.github/workflows/a.yml@main',
            two: `octo-org/hidden-beta/.github/workflows/b.yml@${beta}`,
            three: 'octo-org/hidden-delta/.github/workflows/d.yml@v9',
          },
          'workflow_call',
        ),
      },
      { branch: 'main' },
    );
    h.gh.addRepo(APP);
    const pull = createPull(h.gh, { repo: APP, base: { 'README.md': 'app\n' }, head: { [CI]: calling({ deploy: `octo-org/shared/.github/workflows/deploy.yml@${shared}` }) } });
    // GitHub fails while reading hidden-beta: its error message must not name it either.
    h.gh.faultGraphql('WardenLevel', { status: 502 }, { about: 'octo-org/hidden-beta' });
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    const run = onlyRun();
    expect(run.conclusion).toBe('failure');
    expect(run.annotations.length).toBeGreaterThanOrEqual(2);
    expect(run.annotations.every((annotation) => annotation.path === CI && annotation.start_line === 4)).toBe(true);
    // Every byte the app sent to be shown: check-run bodies, reviews, and the paths they were sent to.
    const sent = writes().map((entry) => `${entry.path} ${JSON.stringify(entry.body ?? '')}`);
    expect(sent.length).toBeGreaterThanOrEqual(2);
    const secrets = [/hidden-/i, /hidden-deploy-job/, /id-token/, ...[alpha, beta, gamma, delta].flatMap((sha) => [new RegExp(sha), new RegExp(sha.slice(0, 7))])];
    for (const text of sent) for (const secret of secrets) expect({ text, found: secret.test(text) }).toEqual({ text, found: false });
  });
});

describe('tokens and private keys never appear in logs', () => {
  it('a full run at trace level — token exchange refused, then evaluations, a GitHub failure, a failed create, DynamoDB gone — leaks none', async () => {
    const capture = captureLogs();
    const privateKey = generatePrivateKey();
    const dynamoSecret = 'wardenDynamoSecretAccessKey0123456789abcd';
    const client = createDynamoClient({ endpoint: h.db.endpoint, region: 'local', credentials: { accessKeyId: 'AKIAWARDENTESTKEY01', secretAccessKey: dynamoSecret } });
    const logger = capture.logger.child({ name: 'warden' });
    const services: WardenServices = {
      ...h.services,
      cache: new DynamoCacheStore({ client, tableName: h.db.tableName, logger }),
      state: new DynamoStateStore({ client, tableName: h.db.tableName, logger }),
    };
    const exchange = serveTokenExchange(h.gh);
    const probot = await productionProbot({ services, privateKey, log: capture.logger });
    const pull = pinnedPull();
    const payload = pullRequestPayload(h.gh, 'opened', pull);
    const receive = (id: string) => probot.receive({ id, name: 'pull_request', payload } as Parameters<Probot['receive']>[0]);

    h.gh.inject(TOKEN_EXCHANGE, { status: 404 });
    await expect(receive('log-1')).rejects.toThrow();
    await receive('log-2');
    h.gh.inject(PULL_FILES, { status: 500, times: 4 });
    await receive('log-3');
    // Retried three times by the retry plugin, then given up: the handler throws and Probot logs the error.
    h.gh.inject(CHECK_RUNS, { status: 500, times: 4 });
    await expect(receive('log-4')).rejects.toThrow();
    await h.db.stop();
    await receive('log-5');
    client.destroy();

    expect(h.gh.checkRuns.map((run) => run.conclusion)).toEqual(['success', 'failure', 'success']);
    expect(exchange.issued).toHaveLength(1);
    const log = capture.lines.join('\n');
    // The capture holds what was logged: debug request lines, the failures with their errors, DynamoDB's warnings.
    expect(capture.lines.length).toBeGreaterThan(20);
    expect(log).toContain('GitHub request: POST https://api.github.com/repos/octo-org/app/check-runs - 201');
    expect(log).toContain('evaluation failed; completing the check as failed');
    expect(log).toContain('state store unavailable');
    const pemBody = privateKey.split('\n').filter((line) => line !== '' && !line.startsWith('-----'));
    const leaks = [...exchange.issued, ...pemBody, dynamoSecret, SECRET].filter((secret) => log.includes(secret));
    expect(leaks).toEqual([]);
    // Nor any token or signed JWT in any form.
    expect(log).not.toMatch(/ghs_[A-Za-z0-9_-]{10}/);
    expect(log).not.toMatch(/eyJ[A-Za-z0-9_-]{10,}\.eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/);
    expect(log).not.toContain('PRIVATE KEY');
  });
});

describe('uses: values naming other hosts or docker:// are never fetched', () => {
  it('job-level and step-level docker://, URLs and a metadata address: no request leaves for another host, none names them', async () => {
    const unmatched: string[] = [];
    const onNoMatch = (request: { href?: string; host?: string; path?: string }): void => void unmatched.push(request.href ?? `${request.host ?? ''}${request.path ?? ''}`);
    nock.emitter.on('no match', onNoMatch);
    try {
      const sha = addLib(h.gh, { tagV1: true });
      h.gh.addRepo(APP);
      const workflow = [
        'on: pull_request',
        'jobs:',
        '  container:',
        '    uses: docker://evil.example/image:latest',
        '  url:',
        '    uses: https://evil.example/owner/repo/.github/workflows/x.yml@v1',
        '  metadata:',
        '    uses: http://169.254.169.254/latest/meta-data/x.yml@v1',
        '  hosted:',
        '    uses: evil.example/owner/repo/.github/workflows/x.yml@v1',
        '  steps:',
        '    runs-on: ubuntu-latest',
        '    steps:',
        '      - uses: docker://evil.example/step-image:1',
        '      - uses: https://evil.example/action@v1',
        '      - uses: actions/checkout@v4',
        '  fine:',
        `    uses: ${LIB_WF}@${sha} # v1`,
        '',
      ].join('\n');
      const pull = createPull(h.gh, { repo: APP, base: { 'README.md': 'app\n' }, head: { [CI]: workflow } });
      await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
      const run = onlyRun();
      expect(run.conclusion).toBe('failure');
      // Each job-level one is a contract error at its line, and so is the step's URL; the step's image is judged by its
      // tag, never pulled; actions/checkout is read from GitHub's API like any action (this imitation has none).
      expect(run.annotations.map((annotation) => [annotation.start_line, annotation.title?.split(':')[0]])).toEqual([
        [4, 'contract'],
        [6, 'contract'],
        [8, 'contract'],
        [10, 'contract'],
        [14, 'pinning'],
        [15, 'contract'],
        [16, 'resolution'],
        [16, 'pinning'],
      ]);
      // Only the DynamoDB server on loopback is reached outside nock's interception of GitHub.
      expect(unmatched.filter((href) => new URL(href).origin !== h.db.endpoint)).toEqual([]);
      const asked = h.gh.requests.map((entry) => `${entry.path} ${JSON.stringify(entry.graphql?.variables ?? {})}`);
      for (const text of asked) expect({ text, named: /evil\.example|169\.254|docker:/.test(text) }).toEqual({ text, named: false });
    } finally {
      nock.emitter.removeListener('no match', onNoMatch);
    }
  });
});

/** A record as Lambda's SQS event source delivers a message the webhook function queued. */
function sqsRecord(message: QueueMessage, index: number): SQSRecord {
  return {
    messageId: `message-${index}`,
    receiptHandle: 'handle',
    body: message.body,
    attributes: { ApproximateReceiveCount: '1', SentTimestamp: '1', SenderId: 'webhook', ApproximateFirstReceiveTimestamp: '1' },
    messageAttributes: Object.fromEntries(Object.entries(message.attributes).map(([key, value]) => [key, { stringValue: value, dataType: 'String' }])),
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:deliveries',
    awsRegion: 'us-east-1',
  };
}
