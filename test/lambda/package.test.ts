// `npm run package` (serverless package) offline, with no AWS credentials and a fresh home directory, and
// what it builds: the CloudFormation template (table, queues, alarm, route, least-privilege IAM, functions)
// and the two zips (one ESM bundle each, the presets beside the worker's, nothing that Lambda lacks).
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inflateRawSync } from 'node:zlib';
import { buildLambdaBundles, type LambdaBundle } from '../../bench/lambda-bundle.js';
import { DELIVERY_LEASE_SECONDS } from '../../src/state/store.js';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Template {
  Resources: Record<string, { Type: string; Properties: Record<string, unknown>; DependsOn?: string[]; Condition?: string }>;
  Outputs: JsonObject;
}

interface Statement {
  Effect: string;
  Action: string[];
  Resource: Json;
}

/** The files of a zip archive by name: enough of the format (stored and deflated entries) for these two zips. */
function readZip(archive: Buffer): Map<string, Buffer> {
  const end = archive.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = archive.readUInt16LE(end + 10);
  let offset = archive.readUInt32LE(end + 16);
  const files = new Map<string, Buffer>();
  for (let index = 0; index < count; index++) {
    const method = archive.readUInt16LE(offset + 10);
    const compressed = archive.readUInt32LE(offset + 20);
    const nameLength = archive.readUInt16LE(offset + 28);
    const local = archive.readUInt32LE(offset + 42);
    const name = archive.toString('utf8', offset + 46, offset + 46 + nameLength);
    const start = local + 30 + archive.readUInt16LE(local + 26) + archive.readUInt16LE(local + 28);
    const data = archive.subarray(start, start + compressed);
    files.set(name, method === 8 ? inflateRawSync(data) : Buffer.from(data));
    offset += 46 + nameLength + archive.readUInt16LE(offset + 30) + archive.readUInt16LE(offset + 32);
  }
  return files;
}

/** What a bundle imports: static `import … from "x"` (with the imported names) and dynamic `import("x")`. */
function bundleImports(code: string): { named: Map<string, string[]>; dynamic: string[] } {
  const named = new Map<string, string[]>();
  for (const match of code.matchAll(/import\s*(?:\{([^}]*)\}|[\w$]+|\*\s*as\s*[\w$]+)?\s*(?:,\s*\{([^}]*)\})?\s*from\s*["']([^"']+)["']/g)) {
    const names = `${match[1] ?? ''},${match[2] ?? ''}`.split(',').map((part) => part.trim().split(/\s+as\s+/)[0] ?? '').filter(Boolean);
    const source = match[3] ?? '';
    named.set(source, [...(named.get(source) ?? []), ...names]);
  }
  const dynamic = [...code.matchAll(/import\(\s*["']([^"']+)["']\s*\)/g)].map((match) => match[1] ?? '');
  return { named, dynamic };
}

/** Document-client commands are named after the item operation; client commands after the action itself. */
const DOCUMENT_COMMANDS: Record<string, string> = { Get: 'GetItem', Put: 'PutItem', Update: 'UpdateItem', Delete: 'DeleteItem', BatchGet: 'BatchGetItem', BatchWrite: 'BatchWriteItem', TransactGet: 'TransactGetItems', TransactWrite: 'TransactWriteItems' };
const SERVICES: Record<string, string> = { '@aws-sdk/lib-dynamodb': 'dynamodb', '@aws-sdk/client-dynamodb': 'dynamodb', '@aws-sdk/client-sqs': 'sqs' };

/**
 * The IAM actions a bundle's own code can call: every `new XCommand(` in the project files esbuild put in the
 * bundle (its metafile), with the SDK package it was imported from. The AWS SDK is bundled, so its imports
 * are not visible in the output.
 */
async function calledActions(bundle: LambdaBundle): Promise<string[]> {
  const output = Object.values(bundle.metafile.outputs).find((entry) => entry.entryPoint !== undefined);
  const sources = Object.keys(output?.inputs ?? {}).filter((input) => input.startsWith('src/'));
  const actions = new Set<string>();
  for (const source of sources) {
    const code = await readFile(source, 'utf8');
    const origin = new Map<string, string>();
    for (const match of code.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*'(@aws-sdk\/[^']+)'/g)) {
      for (const name of (match[1] ?? '').split(',').map((part) => part.trim().split(/\s+as\s+/)[0] ?? '')) origin.set(name, match[2] ?? '');
    }
    // A command sent directly (`new QueryCommand(`), or through the SDK's paginator of it (`paginateQuery(`).
    for (const [, command, paginator, paginated] of code.matchAll(/new\s+(\w+Command)\(|\b(paginate(\w+))\(/g)) {
      const name = command ?? paginator ?? '';
      const service = SERVICES[origin.get(name) ?? ''];
      if (!service) throw new Error(`${source}: ${name} comes from ${origin.get(name) ?? 'nowhere'}; teach this test its IAM action`);
      const operation = paginated ?? name.replace(/Command$/, '');
      actions.add(`${service}:${service === 'dynamodb' ? (DOCUMENT_COMMANDS[operation] ?? operation) : operation}`);
    }
  }
  return [...actions].sort();
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('npm run package', () => {
  let template: Template;
  let zips: Record<'webhook' | 'worker', Map<string, Buffer>>;
  let bundles: LambdaBundle[];
  let home: string;
  let outDir: string;

  beforeAll(async () => {
    home = await mkdtemp(join(tmpdir(), 'warden-sls-home-'));
    outDir = await mkdtemp(join(tmpdir(), 'warden-bundles-'));
    // No AWS variables and an empty home (no ~/.aws): packaging must not need credentials.
    const [{ code, output }, built] = await Promise.all([
      run('npm', ['run', 'package'], { PATH: process.env.PATH, HOME: home, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' }),
      // The same bundles, with esbuild's metafile: which project files each function holds.
      buildLambdaBundles(outDir),
    ]);
    bundles = built;
    if (code !== 0) throw new Error(`npm run package failed:\n${output}`);
    template = JSON.parse(await readFile('.serverless/cloudformation-template-update-stack.json', 'utf8')) as Template;
    zips = { webhook: readZip(await readFile('.serverless/webhook.zip')), worker: readZip(await readFile('.serverless/worker.zip')) };
  }, 120_000);

  afterAll(async () => {
    await Promise.all([rm(home, { recursive: true, force: true }), rm(outDir, { recursive: true, force: true })]);
  });

  const resource = (name: string) => {
    const found = template.Resources[name];
    if (!found) throw new Error(`no resource ${name}; have ${Object.keys(template.Resources).join(', ')}`);
    return found;
  };
  const statements = (role: string): Statement[] => {
    const policies = resource(role).Properties.Policies as { PolicyDocument: { Statement: Statement[] } }[];
    return policies.flatMap((policy) => policy.PolicyDocument.Statement);
  };
  const bundle = (fn: 'webhook' | 'worker'): string => zips[fn].get(`src/lambda/${fn}.mjs`)?.toString('utf8') ?? '';
  const built = (fn: 'webhook' | 'worker'): LambdaBundle => {
    const found = bundles.find((candidate) => candidate.name === fn);
    if (!found) throw new Error(`no bundle ${fn}`);
    return found;
  };

  it('defines the DynamoDB table: pk/sk strings, on-demand, TTL on ttl, point-in-time recovery, encryption', () => {
    expect(resource('CacheTable')).toEqual({
      Type: 'AWS::DynamoDB::Table',
      Properties: {
        TableName: 'workflow-warden-dev',
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
      },
    });
  });

  it('queues deliveries with a dead-letter queue after 5 receives, and a visibility timeout that fits the worker', () => {
    const queue = resource('DeliveryQueue');
    expect(queue.Type).toBe('AWS::SQS::Queue');
    expect(queue.Properties.RedrivePolicy).toEqual({ deadLetterTargetArn: { 'Fn::GetAtt': ['DeadLetterQueue', 'Arn'] }, maxReceiveCount: 5 });
    expect(resource('DeadLetterQueue')).toMatchObject({ Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true } });
    const visibility = Number(queue.Properties.VisibilityTimeout);
    const workerTimeout = Number(resource('WorkerLambdaFunction').Properties.Timeout);
    // AWS: at least six times the function's timeout. The app: a retry must come after an abandoned claim's lease.
    expect(visibility).toBeGreaterThanOrEqual(6 * workerTimeout);
    expect(visibility).toBeGreaterThan(DELIVERY_LEASE_SECONDS + 30);
    expect(resource('WorkerEventSourceMappingSQSDeliveryQueue').Properties).toMatchObject({
      EventSourceArn: { 'Fn::GetAtt': ['DeliveryQueue', 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      BatchSize: 1,
      ScalingConfig: { MaximumConcurrency: 10 },
    });
  });

  it('alarms as soon as the dead-letter queue holds a message', () => {
    expect(resource('DeadLetterAlarm')).toMatchObject({
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': ['DeadLetterQueue', 'QueueName'] } }],
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        AlarmActions: [{ Ref: 'AlarmTopic' }],
      },
    });
  });

  it('routes POST /api/github/webhooks of an HTTP API to the webhook function', () => {
    expect(resource('HttpApiRoutePostApiGithubWebhooks').Properties).toMatchObject({
      RouteKey: 'POST /api/github/webhooks',
      Target: { 'Fn::Join': ['/', ['integrations', { Ref: 'HttpApiIntegrationWebhook' }]] },
    });
    expect(resource('HttpApiIntegrationWebhook').Properties).toMatchObject({ IntegrationType: 'AWS_PROXY', PayloadFormatVersion: '2.0', IntegrationUri: { 'Fn::GetAtt': ['WebhookLambdaFunction', 'Arn'] } });
  });

  it('sizes both functions: nodejs22.x on arm64, a short webhook and a worker above the evaluation timeout', () => {
    const webhook = resource('WebhookLambdaFunction').Properties;
    const worker = resource('WorkerLambdaFunction').Properties;
    expect([webhook.Runtime, webhook.Architectures, webhook.MemorySize, webhook.Timeout, webhook.Handler]).toEqual(['nodejs22.x', ['arm64'], 256, 8, 'src/lambda/webhook.handler']);
    expect([worker.Runtime, worker.Architectures, worker.MemorySize, worker.Timeout, worker.Handler]).toEqual(['nodejs22.x', ['arm64'], 1024, 120, 'src/lambda/worker.handler']);
    const variables = (worker.Environment as { Variables: Record<string, Json> }).Variables;
    expect(Number(worker.Timeout) * 1000).toBeGreaterThan(Number(variables.WARDEN_TIMEOUT_MS) + 30_000);
    expect(variables.DYNAMODB_TABLE).toEqual({ Ref: 'CacheTable' });
    // Offline, the secrets are the placeholders `npm run package` passes; a deploy reads them from SSM.
    expect([variables.APP_ID, variables.PRIVATE_KEY]).toEqual(['set-at-deploy', 'set-at-deploy']);
    // Each function gets only its own secret.
    expect(Object.keys((webhook.Environment as { Variables: JsonObject }).Variables).sort()).toEqual(['LOG_LEVEL', 'QUEUE_URL', 'WEBHOOK_SECRET']);
    expect(variables).not.toHaveProperty('WEBHOOK_SECRET');
    for (const name of ['WebhookLogGroup', 'WorkerLogGroup']) expect(resource(name).Properties.RetentionInDays).toBe(14);
  });

  it('gives each function its own role with exactly the actions its bundle calls, on its own resources', async () => {
    expect(resource('WebhookLambdaFunction').Properties.Role).toEqual({ 'Fn::GetAtt': ['WebhookRole', 'Arn'] });
    expect(resource('WorkerLambdaFunction').Properties.Role).toEqual({ 'Fn::GetAtt': ['WorkerRole', 'Arn'] });
    // No shared default role, and no other policy anywhere.
    expect(Object.values(template.Resources).filter((entry) => entry.Type.startsWith('AWS::IAM::')).length).toBe(2);

    const dynamoActions = await calledActions(built('worker'));
    expect(dynamoActions).toEqual(['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
    // The bundle serverless zipped is the one whose sources were read.
    expect(sha256(bundle('worker'))).toBe(sha256(await readFile(built('worker').path, 'utf8')));

    expect(statements('WebhookRole')).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': ['WebhookLogGroup', 'Arn'] } },
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['DeliveryQueue', 'Arn'] } },
    ]);
    expect(statements('WorkerRole')).toEqual([
      { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: { 'Fn::GetAtt': ['WorkerLogGroup', 'Arn'] } },
      { Effect: 'Allow', Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes'], Resource: { 'Fn::GetAtt': ['DeliveryQueue', 'Arn'] } },
      { Effect: 'Allow', Action: dynamoActions, Resource: { 'Fn::GetAtt': ['CacheTable', 'Arn'] } },
    ]);
    expect(await calledActions(built('webhook'))).toEqual(['sqs:SendMessage']);
    expect(sha256(bundle('webhook'))).toBe(sha256(await readFile(built('webhook').path, 'utf8')));
    for (const statement of [...statements('WebhookRole'), ...statements('WorkerRole')]) {
      expect(statement.Action.filter((action) => action.includes('*'))).toEqual([]);
      expect(JSON.stringify(statement.Resource)).not.toContain('"*"');
    }
  });

  it('zips one ESM bundle per function, with the presets beside the worker and only imports Node provides', async () => {
    expect([...zips.webhook.keys()]).toEqual(['src/lambda/webhook.mjs']);
    expect([...zips.worker.keys()].sort()).toEqual(['policies/recommended.yml', 'policies/strict.yml', 'src/lambda/worker.mjs']);
    for (const preset of ['recommended', 'strict']) {
      expect(zips.worker.get(`policies/${preset}.yml`)?.toString('utf8')).toBe(await readFile(`policies/${preset}.yml`, 'utf8'));
    }
    for (const fn of ['webhook', 'worker'] as const) {
      const code = bundle(fn);
      expect(code.startsWith("import { createRequire as __wardenCreateRequire } from 'node:module'; const require = __wardenCreateRequire(import.meta.url);")).toBe(true);
      const { named, dynamic } = bundleImports(code);
      // Everything is in the bundle (the AWS SDK too) but Node's own modules.
      const unavailable = [...named.keys()].filter((source) => !builtinModules.includes(source.replace(/^node:/, '')));
      expect(unavailable).toEqual([]);
      // The embedded store stays out of the bundle: its import is never reached with DYNAMODB_TABLE set.
      // (The SDK's HTTP handler imports node:http and friends lazily.)
      expect(dynamic.filter((source) => !builtinModules.includes(source.replace(/^node:/, '')))).toEqual(fn === 'worker' ? ['./cache/embedded.js'] : []);
      expect(code).not.toContain('dynalite');
    }
  });
});
