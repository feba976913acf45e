// The real Lambda bundles, end to end: built with serverless.yml's esbuild settings, laid out as their zips,
// and run in child processes (scripts/invoke-handler.mjs) as the Lambda runtime would run them, against a
// GitHub imitation on loopback (as a GitHub Enterprise Server: GHE_HOST/GHE_PROTOCOL), a dynalite table and
// an SQS imitation. A signed delivery is queued and evaluated into a completed check run; a bad signature
// creates nothing.
import { createHmac, generateKeyPairSync, randomUUID, verify, type KeyObject } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import nock from 'nock';
import { buildLambdaBundles, type LambdaBundle } from '../../bench/lambda-bundle.js';
import { startDynalite, type TestDynalite } from '../support/dynalite.js';
import { FakeGitHub, type RouteContext } from '../support/fake-github.js';
import { FakePulls } from '../support/fake-github-pulls.js';
import { FakeSqs } from '../support/fake-sqs.js';
import { validateRequest } from '../support/openapi.js';

const SECRET = 'e2e-webhook-secret';
const APP_ID = 4242;
const INSTALLATION_ID = 31_337;
const CI = '.github/workflows/ci.yml';
const CALLED = 'other-org/shared/.github/workflows/build.yml@v1';
const CI_TEXT = `name: ci\non: pull_request\njobs:\n  build:\n    uses: ${CALLED}\n`;
const CALLABLE = 'on: workflow_call\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo building\n';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Invocation {
  result: unknown;
  importMs: number;
  invokeMs: number;
  /** What the handler logged (stdout), for a failing test's message. */
  output: string;
}

/** Runs `handler` of a bundle in a fresh `node`, with only `env` as its environment. */
function invoke(bundle: string, event: unknown, env: Record<string, string>): Promise<Invocation> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join('scripts', 'invoke-handler.mjs'), bundle], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('@@result '));
      if (code !== 0 || !line) {
        reject(new Error(`handler exited with ${String(code)}\n${stdout}\n${stderr}`));
        return;
      }
      resolve({ ...(JSON.parse(line.slice('@@result '.length)) as Omit<Invocation, 'output'>), output: stdout });
    });
    child.stdin.end(JSON.stringify(event));
  });
}

function sign(body: string, secret = SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** An API Gateway HTTP API (payload 2.0) event for GitHub's POST; HTTP API lower-cases header names. */
function apiGatewayEvent(body: string, headers: Record<string, string>): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /api/github/webhooks',
    rawPath: '/api/github/webhooks',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', 'user-agent': 'GitHub-Hookshot/e2e', ...headers },
    requestContext: {
      accountId: '000000000000',
      apiId: 'e2e',
      domainName: 'e2e.execute-api.us-east-1.amazonaws.com',
      domainPrefix: 'e2e',
      http: { method: 'POST', path: '/api/github/webhooks', protocol: 'HTTP/1.1', sourceIp: '140.82.112.1', userAgent: 'GitHub-Hookshot/e2e' },
      requestId: randomUUID(),
      routeKey: 'POST /api/github/webhooks',
      stage: '$default',
      time: new Date().toUTCString(),
      timeEpoch: Date.now(),
    },
    body,
    isBase64Encoded: false,
  };
}

/** Verifies an app JWT (RS256) with the public key: proof the worker signed with the PRIVATE_KEY it was given. */
function appIdOfJwt(authorization: string | undefined, publicKey: KeyObject): number | undefined {
  const [header, claims, signature] = (authorization ?? '').replace(/^bearer /i, '').split('.');
  if (!header || !claims || !signature) return undefined;
  const valid = verify('RSA-SHA256', Buffer.from(`${header}.${claims}`), publicKey, Buffer.from(signature, 'base64url'));
  return valid ? Number((JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as { iss?: unknown }).iss) : undefined;
}

interface CheckRun {
  id: number;
  created: JsonObject;
  updates: JsonObject[];
}

/** The GitHub App routes the worker needs on top of FakeGitHub: installation tokens, the app itself, check runs, PR files. */
function appRoutes(gh: FakeGitHub, publicKey: KeyObject, pullFiles: JsonObject[]): { checkRuns: CheckRun[]; tokensIssued: number[] } {
  const checkRuns: CheckRun[] = [];
  const tokensIssued: number[] = [];
  const invalid = (context: RouteContext, template: string, body: unknown) => {
    const errors = validateRequest(context.request.method, template, body);
    return errors.length > 0 ? { status: 422, body: { message: 'Invalid request.', errors } } : undefined;
  };
  gh.route('POST', '/app/installations/{installation_id}/access_tokens', (context) => {
    if (appIdOfJwt(context.request.headers.authorization, publicKey) !== APP_ID) return { status: 401, body: { message: 'A JSON web token could not be decoded' } };
    tokensIssued.push(Number(context.params.installation_id));
    return {
      status: 201,
      body: { token: 'ghs_e2einstallationtoken', expires_at: new Date(Date.now() + 3_600_000).toISOString(), permissions: { checks: 'write', contents: 'read', pull_requests: 'write' }, repository_selection: 'all' },
    };
  });
  gh.route('GET', '/app', (context) => {
    if (appIdOfJwt(context.request.headers.authorization, publicKey) !== APP_ID) return { status: 401, body: { message: 'A JSON web token could not be decoded' } };
    return { status: 200, body: { id: APP_ID, slug: 'workflow-warden', name: 'Workflow Warden', node_id: 'A_e2e', owner: null, description: '', external_url: '', html_url: '', created_at: '2026-01-01T00:00:00Z', updated_at: '2026-01-01T00:00:00Z', permissions: {}, events: [] } };
  });
  gh.repoRoute('POST', '/check-runs', (repo, context) => {
    const body = JSON.parse(context.request.body) as JsonObject;
    const refused = invalid(context, '/repos/{owner}/{repo}/check-runs', body);
    if (refused) return refused;
    const run: CheckRun = { id: 9000 + checkRuns.length, created: body, updates: [] };
    checkRuns.push(run);
    return { status: 201, body: { id: run.id, head_sha: body.head_sha, name: body.name, status: body.status, external_id: body.external_id, url: `${context.apiBase}/repos/${repo.owner}/${repo.name}/check-runs/${run.id}` } };
  });
  gh.repoRoute('PATCH', '/check-runs/{check_run_id}', (_repo, context) => {
    const run = checkRuns.find((candidate) => String(candidate.id) === context.params.check_run_id);
    if (!run) return { status: 404, body: { message: 'Not Found' } };
    const body = JSON.parse(context.request.body) as JsonObject;
    const refused = invalid(context, '/repos/{owner}/{repo}/check-runs/{check_run_id}', body);
    if (refused) return refused;
    run.updates.push(body);
    return { status: 200, body: { id: run.id, ...run.created, ...body } };
  });
  gh.repoRoute('GET', '/pulls/{pull_number}/files', () => ({ status: 200, body: pullFiles }));
  return { checkRuns, tokensIssued };
}

function pullRequestOpened(headSha: string, baseSha: string): JsonObject {
  const examples = createRequire(import.meta.url)('@octokit/webhooks-examples') as { name: string; examples: JsonObject[] }[];
  const example = examples.find((entry) => entry.name === 'pull_request')?.examples.find((entry) => entry.action === 'opened');
  if (!example) throw new Error('no pull_request.opened example');
  const payload = structuredClone(example);
  const repository = { ...(payload.repository as JsonObject), name: 'app', full_name: 'octo-org/app', owner: { ...((payload.repository as JsonObject).owner as JsonObject), login: 'octo-org' }, private: false, visibility: 'public', default_branch: 'main' };
  const pull = payload.pull_request as JsonObject;
  return {
    ...payload,
    number: 7,
    pull_request: { ...pull, number: 7, head: { ...(pull.head as JsonObject), ref: 'add-ci', sha: headSha, repo: repository }, base: { ...(pull.base as JsonObject), ref: 'main', sha: baseSha, repo: repository } },
    repository,
    installation: { id: INSTALLATION_ID, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMzEzMzc=' },
  };
}

describe('Lambda bundles end to end', () => {
  let bundles: LambdaBundle[];
  let outDir: string;
  let gh: FakeGitHub;
  let github: { url: string; close(): Promise<void> };
  let dynamo: TestDynalite;
  let sqs: FakeSqs;
  let sqsServer: { close(): Promise<void> };
  let queueUrl: string;
  let world: ReturnType<typeof appRoutes>;
  let headSha: string;
  let privateKeyPem: string;
  let publicKey: KeyObject;
  let pullPayload: JsonObject;

  const baseEnv = (): Record<string, string> => ({
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'e2e',
    AWS_SECRET_ACCESS_KEY: 'e2e',
    AWS_EC2_METADATA_DISABLED: 'true',
    LOG_LEVEL: 'warn',
  });
  const bundle = (name: string): string => {
    const found = bundles.find((candidate) => candidate.name === name);
    if (!found) throw new Error(`no bundle for ${name}`);
    return found.path;
  };
  const webhookEnv = () => ({ ...baseEnv(), WEBHOOK_SECRET: SECRET, QUEUE_URL: queueUrl, AWS_ENDPOINT_URL_SQS: sqs.endpoint });
  const workerEnv = () => ({
    ...baseEnv(),
    APP_ID: String(APP_ID),
    // The base64 of the PEM, as one line: the form that fits an SSM parameter or a .env file best.
    PRIVATE_KEY: Buffer.from(privateKeyPem).toString('base64'),
    DYNAMODB_TABLE: dynamo.tableName,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    GHE_HOST: new URL(github.url).host,
    GHE_PROTOCOL: 'http',
    LOG_FORMAT: 'json',
  });

  beforeAll(async () => {
    nock.disableNetConnect();
    nock.enableNetConnect('127.0.0.1');
    outDir = join('dist', 'lambda-e2e', randomUUID());
    await mkdir(outDir, { recursive: true });
    const keys = generateKeyPairSync('rsa', { modulusLength: 2048 });
    privateKeyPem = keys.privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    publicKey = keys.publicKey;

    gh = new FakeGitHub();
    gh.addRepo('other-org/shared', { visibility: 'public' });
    gh.tag('other-org/shared', 'v1', gh.commit('other-org/shared', { '.github/workflows/build.yml': CALLABLE }, { branch: 'main' }));
    gh.addRepo('octo-org/app', { visibility: 'public' });
    const baseSha = gh.commit('octo-org/app', { 'README.md': '# app\n' }, { branch: 'main' });
    headSha = gh.commit('octo-org/app', { 'README.md': '# app\n', [CI]: CI_TEXT }, { parents: [baseSha] });
    gh.branch('octo-org/app', 'add-ci', headSha);
    const patch = `@@ -0,0 +1,5 @@\n${CI_TEXT.trimEnd().split('\n').map((line) => `+${line}`).join('\n')}`;
    const file = { sha: 'f'.repeat(40), filename: CI, status: 'added', additions: 5, deletions: 0, changes: 5, blob_url: '', raw_url: '', contents_url: '', patch };
    new FakePulls(gh).addPull('octo-org/app', { number: 7, headSha, files: [{ filename: CI, status: 'added', patch }] });
    world = appRoutes(gh, publicKey, [file]);
    pullPayload = pullRequestOpened(headSha, baseSha);

    [bundles, github, dynamo] = await Promise.all([buildLambdaBundles(outDir), gh.listen(), startDynalite()]);
    sqs = new FakeSqs();
    sqsServer = await sqs.listen();
    queueUrl = sqs.createQueue('workflow-warden-e2e-deliveries');
  }, 30_000);

  afterAll(async () => {
    await Promise.all([github?.close(), dynamo?.stop(), sqsServer?.close(), rm(outDir, { recursive: true, force: true })]);
    nock.cleanAll();
    nock.enableNetConnect();
  });

  it('queues a signed delivery at once, and the worker completes its check run exactly once', async () => {
    const body = JSON.stringify(pullPayload);
    const delivery = randomUUID();

    const accepted = await invoke(bundle('webhook'), apiGatewayEvent(body, { 'x-github-event': 'pull_request', 'x-github-delivery': delivery, 'x-hub-signature-256': sign(body) }), webhookEnv());
    expect(accepted.result).toEqual({ statusCode: 202, headers: { 'content-type': 'application/json' }, body: '{"message":"queued"}' });
    expect(sqs.messages.map((message) => ({ body: message.body, attributes: message.attributes }))).toEqual([
      { body, attributes: { 'github-delivery': delivery, 'github-event': 'pull_request' } },
    ]);
    // The webhook function never talks to GitHub: it only queues.
    expect(gh.requests).toEqual([]);

    const event = sqs.receive(queueUrl);
    const processed = await invoke(bundle('worker'), event, workerEnv());
    expect(processed.result).toEqual({ batchItemFailures: [] });

    expect(world.tokensIssued).toEqual([INSTALLATION_ID]);
    expect(world.checkRuns).toHaveLength(1);
    const [run] = world.checkRuns;
    // Created in progress, or created completed when the verdict was ready within the grace (WARDEN_CHECK_RUN_GRACE_MS).
    expect(run?.created).toMatchObject({ name: 'Workflow policy', head_sha: headSha, status: run?.updates.length === 0 ? 'completed' : 'in_progress', external_id: '{"pull":7}' });
    const completion = (run?.updates.at(-1) ?? run?.created) as { status?: string; conclusion?: string; output?: { title?: string; summary?: string; annotations?: JsonObject[] } };
    expect(completion.status).toBe('completed');
    // The recommended preset (read from the policies/ shipped beside the bundle) requires SHA pins across owners.
    expect(completion.conclusion).toBe('failure');
    expect(completion.output?.summary).toContain('the recommended preset (no organization policy)');
    expect(completion.output?.annotations?.map((annotation) => [annotation.path, annotation.start_line, annotation.annotation_level, String(annotation.title).split(':')[0]])).toContainEqual([
      CI, 5, 'failure', 'pinning',
    ]);
    const claim = await dynamo.doc.send(new GetCommand({ TableName: dynamo.tableName, Key: { pk: `delivery#${delivery}`, sk: '-' } }));
    expect(claim.Item?.state).toBe('done');

    // SQS delivers at least once: the same message again, beside a message the webhook never wrote.
    const again = sqs.receive(queueUrl);
    const [record] = again.Records;
    if (!record) throw new Error('no record');
    const foreign = { ...record, messageId: randomUUID(), messageAttributes: {} };
    const retried = await invoke(bundle('worker'), { Records: [record, foreign] } satisfies SQSEvent, workerEnv());
    // Only the unreadable record goes back to the queue (and on to the dead-letter queue); no second check run.
    expect(retried.result).toEqual({ batchItemFailures: [{ itemIdentifier: foreign.messageId }] });
    expect(world.checkRuns).toHaveLength(1);
  }, 30_000);

  it('answers 401 to a bad signature and queues nothing, so no check run is created', async () => {
    const body = JSON.stringify(pullPayload);
    const queued = sqs.messages.length;
    const runs = world.checkRuns.length;
    const requests = gh.requests.length;

    const refused = await invoke(
      bundle('webhook'),
      apiGatewayEvent(body, { 'x-github-event': 'pull_request', 'x-github-delivery': randomUUID(), 'x-hub-signature-256': sign(body, 'not-the-secret') }),
      webhookEnv(),
    );
    expect(refused.result).toMatchObject({ statusCode: 401 });
    expect(sqs.messages).toHaveLength(queued);
    expect(sqs.log.filter((entry) => entry.startsWith('AmazonSQS.SendMessage'))).toHaveLength(queued);
    expect(world.checkRuns).toHaveLength(runs);
    expect(gh.requests).toHaveLength(requests);
  }, 30_000);
});
