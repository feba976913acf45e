// `npm run bench`: GitHub round trips, requests and wall time of call-graph resolution, cold and warm,
// against a local GitHub imitation that answers every request after a fixed delay; plus the CPU cost
// of parsing and resolving with no I/O at all.
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ProbotOctokit } from 'probot';
import { DynamoCacheStore, dynamoClientConfig } from '../src/cache/dynamo.js';
import { ensureTable, listenDynalite, localClientOptions } from '../src/cache/embedded.js';
import { LayeredCacheStore } from '../src/cache/layered.js';
import { MemoryCacheStore } from '../src/cache/memory.js';
import { GITHUB_COM_LIMITS } from '../src/graph/limits.js';
import { resolveCallGraph } from '../src/graph/resolve.js';
import type { RepoId } from '../src/graph/types.js';
import { GitHubSource } from '../src/source/github.js';
import { forgetGithubSchemaResults, githubSchemaDiagnostics } from '../src/workflow/github-schema.js';
import { parseWorkflow } from '../src/workflow/parse.js';
import type { LevelRequest, LevelResult, WorkflowSource } from '../src/source/port.js';
import { CASES, InstantSource, synthesize, type Case } from './synthetic.js';

const DELAY_MS = Number(process.env.BENCH_DELAY_MS ?? 50);

/** Counts the source's round trips: one `fetchLevel` or `fetchActionsAccess` call is one wave of requests. */
class CountingSource implements WorkflowSource {
  roundTrips = 0;
  constructor(private readonly inner: WorkflowSource) {}
  get host(): string {
    return this.inner.host;
  }
  fetchLevel(request: LevelRequest): Promise<LevelResult> {
    this.roundTrips++;
    return this.inner.fetchLevel(request);
  }
  fetchActionsAccess(repos: RepoId[]) {
    this.roundTrips++;
    return this.inner.fetchActionsAccess(repos);
  }
}

async function runCase(spec: Case, durable: DynamoCacheStore): Promise<string[]> {
  const { gh, root, levels } = synthesize(spec);
  gh.inject('*', { delayMs: DELAY_MS });
  const server = await gh.listen();
  const octokit = new (ProbotOctokit.defaults({ throttle: { enabled: false } }))({ auth: { token: 'bench' }, baseUrl: server.url });
  const rows: string[] = [];
  try {
    for (const temperature of ['cold', 'warm'] as const) {
      gh.clearLog();
      const source = new CountingSource(new GitHubSource({ octokit, host: 'github.com' }));
      const cache = new LayeredCacheStore({ durable });
      const started = performance.now();
      const graph = await resolveCallGraph([root], { source, cache, limits: GITHUB_COM_LIMITS });
      const wall = performance.now() - started;
      const stats = graph.stats.get(graph.roots[0]!)!;
      if (stats.unique !== spec.nodes) throw new Error(`${spec.name}: resolved ${stats.unique} workflows, expected ${spec.nodes}`);
      const graphql = gh.graphqlRequests().length;
      const rest = gh.count() - graphql;
      const budget = temperature === 'cold' ? ` (target ≤ ${levels + 2})` : '';
      const actions = [...graph.nodes.values()].filter((node) => node.kind === 'action').length;
      const uses = graph.edges.filter((edge) => edge.kind === 'action').length;
      rows.push(
        [spec.name.padEnd(36), temperature.padEnd(5), `levels ${String(stats.levels).padStart(2)}`, `round trips ${String(source.roundTrips).padStart(2)}${budget.padEnd(13)}`, `requests ${String(gh.count()).padStart(3)} (GraphQL ${graphql}, REST ${rest})`, `${wall.toFixed(0).padStart(5)} ms`, `${uses} action uses, ${actions} unique`].join('  '),
      );
    }
  } finally {
    await server.close();
  }
  return rows;
}

async function cpuCase(spec: Case): Promise<string> {
  const { gh, root } = synthesize(spec);
  const source = new InstantSource(gh);
  const resolve = async (): Promise<void> => {
    await resolveCallGraph([root], { source, cache: new MemoryCacheStore(), limits: GITHUB_COM_LIMITS });
  };
  // Files read for the first time (GitHub's schema pass forgotten before each run), then files the process has
  // checked before (a shared workflow every caller of a burst reads, a head evaluated again).
  const first = await medianCpuAsync(async () => {
    forgetGithubSchemaResults();
    await resolve();
  }, 25);
  const again = await medianCpuAsync(resolve, 25);
  return (
    `${spec.name.padEnd(36)}  parse + resolve CPU, median of 25 after warm-up: ${first.toFixed(2)} ms, files checked before ${again.toFixed(2)} ms ` +
    `(target < 20 ms for 50 workflows; ${spec.steps ?? 2} actions per workflow)`
  );
}

/** `medianCpu` for work that awaits (synchronous here: the source answers at once). */
async function medianCpuAsync(run: () => Promise<void>, runs: number): Promise<number> {
  const samples: number[] = [];
  for (let index = 0; index < runs * 2; index++) {
    const before = process.cpuUsage();
    await run();
    const used = process.cpuUsage(before);
    if (index >= runs) samples.push((used.user + used.system) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

/** The median CPU milliseconds of `run`, after as many runs to warm up the JIT. */
function medianCpu(run: () => void, runs: number): number {
  for (let warm = 0; warm < runs; warm++) run();
  const samples = Array.from({ length: runs }, () => {
    const before = process.cpuUsage();
    run();
    const used = process.cpuUsage(before);
    return (used.user + used.system) / 1000;
  });
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

/**
 * The parser alone over every workflow file of a 50-workflow graph: our parser (YAML, the model, the structural
 * checks GitHub applies before running a file: top-level keys, on and jobs, runs-on or uses, merge keys), then
 * GitHub's own schema and checks (@actions/workflow-parser) on the files it read cleanly — all of them here. The
 * library's pass is also timed on its own over the same files (in place it costs somewhat more: memory, caches).
 */
async function parseCase(spec: Case): Promise<string> {
  const { gh, root } = synthesize(spec);
  const graph = await resolveCallGraph([root], { source: new InstantSource(gh), cache: new MemoryCacheStore(), limits: GITHUB_COM_LIMITS });
  const files = [...graph.nodes.values()].flatMap((node) => (node.kind === 'workflow' && node.text !== undefined ? [{ path: node.address.path, text: node.text }] : []));
  const models = files.map((file) => parseWorkflow(file.text, file.path));
  // The synthetic files are valid workflows: a diagnostic here is a parser defect, not a figure.
  if (models.some((model) => model.diagnostics.length > 0)) throw new Error(`${spec.name}: the synthetic workflows have diagnostics`);
  const runs = 25;
  const total = medianCpu(() => {
    forgetGithubSchemaResults();
    files.forEach((file) => parseWorkflow(file.text, file.path));
  }, runs);
  const schema = medianCpu(() => {
    forgetGithubSchemaResults();
    files.forEach((file, index) => githubSchemaDiagnostics(file.text, models[index]!));
  }, runs);
  const again = medianCpu(() => files.forEach((file) => parseWorkflow(file.text, file.path)), runs);
  const reusable = files.length - 1;
  return (
    `parse+validate ${reusable} workflows: ${total.toFixed(2)} ms CPU, of it GitHub's schema pass ${schema.toFixed(2)} ms timed alone over the same files; ` +
    `${again.toFixed(2)} ms for files the process has checked before ` +
    `(medians of ${runs}; ${spec.name}, with its caller: ${files.length} files, ${spec.steps ?? 2} steps with actions each)`
  );
}

async function main(): Promise<void> {
  const dynalite = await listenDynalite();
  const client = new DynamoDBClient(dynamoClientConfig(localClientOptions(dynalite.endpoint)));
  console.log(`Call-graph resolution against a local GitHub imitation answering after ${DELAY_MS} ms per request,`);
  console.log('with the DynamoDB cache on a local dynalite (cold: empty table; warm: same table, new evaluation).\n');
  try {
    for (const [index, spec] of CASES.entries()) {
      const tableName = `bench-${index}`;
      await ensureTable(client, tableName);
      const durable = new DynamoCacheStore({ client: DynamoDBDocumentClient.from(client), tableName });
      for (const row of await runCase(spec, durable)) console.log(row);
    }
    console.log('');
    const cpuCases = CASES.filter((spec) => spec.nodes >= 50);
    await cpuCase(cpuCases[0]!); // warm-up: JIT and the YAML library's first use
    for (const spec of cpuCases) console.log(await cpuCase(spec));
    console.log(await parseCase(cpuCases[0]!));
  } finally {
    client.destroy();
    await dynalite.close();
  }
}

await main();
