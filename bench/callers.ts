// `npm run bench` (third part): the callee side. The backfill of an installation's 500 repositories into the
// reverse index (DynamoDB on a local dynalite, GitHub imitated on loopback answering after a fixed delay), in
// chunks of 200 from the cursor as the app runs them after deliveries: requests and wall time. Then the impact of
// a change to a workflow with 1,000 callers: DynamoDB queries, CPU of the rule, and the index's size per edge by
// DynamoDB's item-size rule.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, paginateScan } from '@aws-sdk/lib-dynamodb';
import { ProbotOctokit } from 'probot';
import { dynamoClientConfig } from '../src/cache/dynamo.js';
import { readConfig } from '../src/config.js';
import { ensureTable, listenDynalite, localClientOptions } from '../src/cache/embedded.js';
import { MemoryCacheStore } from '../src/cache/memory.js';
import { DynamoCallerIndex } from '../src/callers/dynamo.js';
import { callerRecords } from '../src/callers/extract.js';
import { backfill } from '../src/callers/indexer.js';
import { evaluatePolicy } from '../src/engine/evaluate.js';
import type { CallerImpactFacts } from '../src/engine/types.js';
import { GITHUB_COM_LIMITS } from '../src/graph/limits.js';
import { resolveCallGraph } from '../src/graph/resolve.js';
import type { RepoMetadata } from '../src/graph/types.js';
import { compilePolicy } from '../src/policy/parse.js';
import { shippedPresets } from '../src/policy/presets.js';
import { CallerImpactRule } from '../src/rules/caller-impact.js';
import { readDefaultBranch } from '../src/source/default-branch.js';
import { parseWorkflow } from '../src/workflow/parse.js';
import { InstallationFakeGitHub } from '../test/support/fake-github-installation.js';
import { InstantSource } from './synthetic.js';

const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 50);
const REPOSITORIES = 500;
/** The app's chunk (WARDEN_BACKFILL_PER_RUN's default). */
const CHUNK = readConfig({}).backfillRepositoriesPerRun;
const CALLERS = 1000;
const DEPLOY = '.github/workflows/deploy.yml';
const SCOPE = 'github.com#bench';
/** The impact case's own part of the table: the backfill's callers are not its. */
const IMPACT_SCOPE = 'github.com#bench-impact';

function caller(index: number): string {
  return [
    'on: push',
    'jobs:',
    '  build:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - uses: bench-org/setup@v1',
    '      - run: make',
    '  deploy:',
    `    uses: bench-org/shared/${DEPLOY}@${index % 3 === 0 ? 'v1' : 'main'}`,
    '    with:',
    '      environment: production',
    '    secrets: inherit',
    '',
  ].join('\n');
}

async function backfillCase(client: DynamoDBDocumentClient): Promise<void> {
  const gh = new InstallationFakeGitHub();
  const names = Array.from({ length: REPOSITORIES }, (_, index) => `bench-org/repo-${String(index).padStart(3, '0')}`);
  for (const [index, name] of names.entries()) {
    gh.addRepo(name, { visibility: 'private' });
    gh.commit(name, { '.github/workflows/ci.yml': caller(index), '.github/workflows/lint.yml': 'on: pull_request\njobs:\n  lint:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: bench-org/lint@v2\n' }, { branch: 'main' });
  }
  gh.installation({ repositories: names });
  gh.inject('*', { delayMs: DELAY_MS });
  const server = await gh.listen();
  const octokit = new (ProbotOctokit.defaults({ throttle: { enabled: false } }))({ auth: { token: 'bench' }, baseUrl: server.url });
  const index = new DynamoCallerIndex({ client, tableName: 'bench-callers' });
  try {
    const started = performance.now();
    const deps = {
      index,
      scope: SCOPE,
      read: (repo: RepoMetadata['repo']) => readDefaultBranch(octokit, repo, { policyPath: '.github/workflow-policy.yml', timeoutMs: 10_000 }),
      list: async () => {
        const listed = await octokit.paginate(octokit.rest.apps.listReposAccessibleToInstallation, { per_page: 100 });
        return listed.map((repo): RepoMetadata => ({ repo: { owner: repo.owner.login, name: repo.name }, visibility: 'private', archived: false }));
      },
      maxRepositories: CHUNK,
      deadline: Number.POSITIVE_INFINITY,
    };
    // One chunk per delivery, each from the cursor the previous one left, as the app goes on after deliveries.
    let cursor = await backfill(deps);
    let chunks = 1;
    while (!cursor.complete) {
      cursor = await backfill(deps);
      chunks += 1;
    }
    const wall = performance.now() - started;
    const graphql = gh.graphqlRequests().length;
    console.log(
      `Backfill of ${REPOSITORIES} repositories (GitHub imitation answering after ${DELAY_MS} ms): ${cursor.indexed} indexed in ${chunks} chunks of at most ${CHUNK}, ` +
        `${gh.count()} requests (GraphQL ${graphql}, REST ${gh.count() - graphql}: the listing, 100 a page, once per chunk), ${(wall / 1000).toFixed(1)} s wall, one repository at a time`,
    );
  } finally {
    await server.close();
  }
}

/** A DynamoDB client that counts the Query commands it sends. */
function countingClient(inner: DynamoDBDocumentClient): { client: DynamoDBDocumentClient; queries: () => number } {
  let queries = 0;
  const send = inner.send.bind(inner) as (command: unknown) => Promise<unknown>;
  const client = new Proxy(inner, {
    get(target, property, receiver) {
      if (property !== 'send') return Reflect.get(target, property, receiver) as unknown;
      return (command: { constructor: { name: string } }) => {
        if (command.constructor.name === 'QueryCommand') queries += 1;
        return send(command);
      };
    },
  });
  return { client, queries: () => queries };
}

async function impactCase(client: DynamoDBDocumentClient): Promise<void> {
  const counting = countingClient(client);
  const index = new DynamoCallerIndex({ client: counting.client, tableName: 'bench-callers' });
  let edges = 0;
  for (let start = 0; start < CALLERS; start += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, CALLERS - start) }, async (_, offset) => {
        const i = start + offset;
        const records = callerRecords({ repo: { owner: 'bench-org', name: `caller-${i}` }, visibility: 'private', commit: 'c'.repeat(40), branch: 'main', source: 'default-branch', workflows: [parseWorkflow(caller(i), '.github/workflows/ci.yml')] });
        edges += records.length;
        await index.replace(IMPACT_SCOPE, { owner: 'bench-org', name: `caller-${i}` }, 'default-branch', records);
      }),
    );
  }
  const before = counting.queries();
  const started = performance.now();
  const callers = await index.callersOf(IMPACT_SCOPE, { kind: 'workflow', repo: { owner: 'bench-org', name: 'shared' }, path: DEPLOY });
  const queryMs = performance.now() - started;
  const queries = counting.queries() - before;

  const head = 'on:\n  workflow_call:\n    inputs:\n      environment: { type: string, required: true }\n      region: { type: string, required: true }\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: write\n    steps:\n      - run: make\n';
  const gh = new InstallationFakeGitHub();
  gh.addRepo('bench-org/shared', { visibility: 'private' });
  const commit = gh.commit('bench-org/shared', { [DEPLOY]: head }, { branch: 'main' });
  const graph = await resolveCallGraph([{ repo: { owner: 'bench-org', name: 'shared' }, path: DEPLOY, commit }], { source: new InstantSource(gh), cache: new MemoryCacheStore(), limits: GITHUB_COM_LIMITS });
  const policy = compilePolicy('version: 1\n', 'policy.yml', shippedPresets).policy!;
  const impact: CallerImpactFacts = { branch: 'main', callers: new Map([[graph.roots[0]!, callers]]), base: new Map(), callerFindings: new Map(), callerLevels: new Map() };
  const repository: RepoMetadata = { repo: { owner: 'bench-org', name: 'shared' }, visibility: 'private', archived: false };
  const evaluate = () => evaluatePolicy({ graph, policy, repository, impact, now: new Date() }, [CallerImpactRule]);
  for (let run = 0; run < 20; run++) evaluate();
  const samples = Array.from({ length: 25 }, () => {
    const cpu = process.cpuUsage();
    evaluate();
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / 1000;
  }).sort((a, b) => a - b);
  const findings = evaluate().findings.length;
  const size = await itemSizes(client);
  console.log(
    `Impact of a change to a workflow with ${callers.length} callers: ${queries} DynamoDB Query request${queries === 1 ? '' : 's'} (paginated) in ${queryMs.toFixed(0)} ms, ` +
      `caller-impact rule median ${samples[12]!.toFixed(2)} ms CPU (target < 100 ms), ${findings} findings; index ${size.recordBytes} bytes per edge item (DynamoDB's item size: attribute names and values; the record's JSON alone ${size.jsonBytes}), ` +
      `plus ${size.manifestBytes} bytes per caller repository's manifest item (${(size.manifestTotal / edges).toFixed(0)} per edge here: ${edges} edges from ${size.manifests} repositories)`,
  );
}

/**
 * DynamoDB's size of an item (what capacity and the 400 KB limit count): per attribute, the UTF-8 length of its
 * name plus its value — a string's UTF-8 length, a number's about one byte per two significant digits plus one.
 */
function dynamoItemSize(item: Record<string, unknown>): number {
  return Object.entries(item).reduce((sum, [name, value]) => {
    const valueSize =
      typeof value === 'number' ? Math.ceil(String(Math.abs(value)).replace(/^0+|\.|0+$/g, '').length / 2) + 1 : Buffer.byteLength(typeof value === 'string' ? value : JSON.stringify(value));
    return sum + Buffer.byteLength(name) + valueSize;
  }, 0);
}

/** The impact case's items as stored: edge records and the manifests that let a repository's next write replace them. */
async function itemSizes(client: DynamoDBDocumentClient): Promise<{ recordBytes: number; jsonBytes: number; manifestBytes: number; manifestTotal: number; manifests: number }> {
  const records: number[] = [];
  const json: number[] = [];
  const manifests: number[] = [];
  for await (const page of paginateScan({ client }, { TableName: 'bench-callers' })) {
    for (const item of page.Items ?? []) {
      const pk = String(item.pk);
      if (pk.startsWith(`callers#${IMPACT_SCOPE}#`)) {
        records.push(dynamoItemSize(item));
        json.push(Buffer.byteLength(String(item.v)));
      } else if (pk.startsWith(`called-by#${IMPACT_SCOPE}#`)) manifests.push(dynamoItemSize(item));
    }
  }
  const mean = (values: number[]) => Math.round(values.reduce((sum, value) => sum + value, 0) / Math.max(values.length, 1));
  return { recordBytes: mean(records), jsonBytes: mean(json), manifestBytes: mean(manifests), manifestTotal: manifests.reduce((sum, value) => sum + value, 0), manifests: manifests.length };
}

async function main(): Promise<void> {
  const dynalite = await listenDynalite();
  const raw = new DynamoDBClient(dynamoClientConfig(localClientOptions(dynalite.endpoint)));
  const client = DynamoDBDocumentClient.from(raw);
  try {
    await ensureTable(raw, 'bench-callers');
    await backfillCase(client);
    await impactCase(client);
  } finally {
    raw.destroy();
    await dynalite.close();
  }
}

await main();
