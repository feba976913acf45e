// `npm run bench:lambda`: for each Lambda function, the size of the zip `npm run package` built, and the cold
// import time of its handler — the median of fresh `node` processes each importing it once — bundled (the
// .mjs of serverless.yml's esbuild settings) beside unbundled (tsc's output in dist/, dependencies and the
// AWS SDK from node_modules). "First call" is the import plus the handler's first invocation in the same
// process, which builds what the module defers (the SQS client; Probot, the app and its services), with no
// network involved. Targets: zip under 1 MB, cold import under 150 ms. What each bundle is made of comes
// from esbuild's metafile. Wall-clock times on a shared machine: the load average is printed with them.
import { spawn } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { rm, stat } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { buildLambdaBundles, type LambdaBundle } from './lambda-bundle.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const ZIP_TARGET_BYTES = 1_000_000;
const IMPORT_TARGET_MS = 150;
const RUNNER = join('scripts', 'invoke-handler.mjs');

interface Timing {
  importMs: number;
  /** Import plus the first invocation. */
  firstCallMs: number;
}

/** One fresh process: imports the module and calls its handler once with `event`. */
function measure(modulePath: string, env: NodeJS.ProcessEnv, event: unknown): Promise<Timing> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [RUNNER, modulePath], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => {
      const line = stdout.split('\n').find((candidate) => candidate.startsWith('@@result '));
      if (code !== 0 || !line) {
        reject(new Error(`${modulePath}: exit ${String(code)}\n${stdout}\n${stderr}`));
        return;
      }
      const result = JSON.parse(line.slice('@@result '.length)) as { importMs: number; invokeMs: number };
      resolve({ importMs: result.importMs, firstCallMs: result.importMs + result.invokeMs });
    });
    child.stdin.end(JSON.stringify(event));
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[middle] ?? 0) : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

async function medianTiming(modulePath: string, env: NodeJS.ProcessEnv, event: unknown): Promise<Timing> {
  const timings: Timing[] = [];
  for (let run = 0; run < RUNS; run++) timings.push(await measure(modulePath, env, event));
  return { importMs: median(timings.map((timing) => timing.importMs)), firstCallMs: median(timings.map((timing) => timing.firstCallMs)) };
}

/** The bytes a bundle holds per package (or `src`), largest first. */
function composition(bundle: LambdaBundle): [string, number][] {
  const output = Object.entries(bundle.metafile.outputs).find(([file]) => file.endsWith('.mjs'))?.[1];
  const byPackage = new Map<string, number>();
  for (const [input, { bytesInOutput }] of Object.entries(output?.inputs ?? {})) {
    const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
    const name = match?.[1] ?? input.split('/')[0] ?? input;
    byPackage.set(name, (byPackage.get(name) ?? 0) + bytesInOutput);
  }
  return [...byPackage].sort((a, b) => b[1] - a[1]);
}

const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
const ms = (value: number) => `${value.toFixed(0)} ms`;

/**
 * Environments in which the first call does all its set-up and answers without the network: the webhook
 * refuses an unsigned request (401); the worker loads Probot and the app, then gets an empty batch.
 */
function invocationSetups(): Record<string, { env: NodeJS.ProcessEnv; event: unknown }> {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const aws = { PATH: process.env.PATH, AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'bench', AWS_SECRET_ACCESS_KEY: 'bench', LOG_LEVEL: 'error' } as const;
  return {
    webhook: {
      env: { ...aws, WEBHOOK_SECRET: 'bench', QUEUE_URL: 'http://127.0.0.1:9/000000000000/bench' },
      event: { headers: { 'x-github-event': 'ping', 'x-github-delivery': 'bench' }, body: '{}', isBase64Encoded: false },
    },
    worker: {
      env: { ...aws, APP_ID: '1', PRIVATE_KEY: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString(), DYNAMODB_TABLE: 'bench' },
      event: { Records: [] },
    },
  };
}

async function main(): Promise<void> {
  const outDir = join('dist', 'lambda-bench');
  await rm(outDir, { recursive: true, force: true });
  const bundles = await buildLambdaBundles(outDir);
  const setups = invocationSetups();
  const rows: string[][] = [];
  const verdicts: string[] = [];
  for (const bundle of bundles) {
    const zipBytes = (await stat(join('.serverless', `${bundle.name}.zip`))).size;
    const unbundledPath = join('dist', bundle.entry.replace(/\.ts$/, '.js'));
    const setup = setups[bundle.name];
    if (!setup) throw new Error(`no invocation set up for ${bundle.name}`);
    const bundled = await medianTiming(bundle.path, setup.env, setup.event);
    const unbundled = await medianTiming(unbundledPath, setup.env, setup.event);
    rows.push([bundle.name, kb(zipBytes), kb(bundle.bytes), ms(bundled.importMs), ms(bundled.firstCallMs), ms(unbundled.importMs), ms(unbundled.firstCallMs)]);
    verdicts.push(
      `${bundle.name}: zip ${zipBytes < ZIP_TARGET_BYTES ? 'meets' : 'MISSES'} < 1 MB; cold import ${bundled.importMs < IMPORT_TARGET_MS ? 'meets' : 'MISSES'} < ${IMPORT_TARGET_MS} ms`,
    );
    const top = composition(bundle).slice(0, 8).map(([name, bytes]) => `${name} ${kb(bytes)}`);
    verdicts.push(`  ${bundle.name}.mjs holds: ${top.join(', ')}`);
  }
  const header = ['function', 'zip', 'bundle', 'import (bundled)', 'first call (bundled)', 'import (dist/)', 'first call (dist/)'];
  const widths = header.map((title, column) => Math.max(title.length, ...rows.map((row) => row[column]?.length ?? 0)));
  const line = (cells: string[]) => cells.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ');
  const load = loadavg().map((value) => value.toFixed(1)).join(' ');
  console.log(`Lambda handlers: median of ${RUNS} fresh node ${process.versions.node} processes each (${cpus().length} CPUs, load average ${load})\n`);
  console.log(line(header));
  console.log(line(widths.map((width) => '-'.repeat(width))));
  for (const row of rows) console.log(line(row));
  console.log(`\n${verdicts.join('\n')}`);
}

await main();
