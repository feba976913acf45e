// Runs one Lambda handler of a bundle the way the Lambda runtime does, in this fresh process:
//   node scripts/invoke-handler.mjs <bundle.mjs> < event.json
// It imports the bundle, calls its `handler` with the event read from stdin, and prints one line
// `@@result {"result":…,"importMs":…,"invokeMs":…}` after whatever the handler logged.
// With --import-only it imports the bundle and prints the import time alone (the benchmark's cold import).
import { Buffer } from 'node:buffer';
import { performance } from 'node:perf_hooks';
import process from 'node:process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

const args = process.argv.slice(2);
const importOnly = args.includes('--import-only');
const bundle = args.find((arg) => !arg.startsWith('--'));
if (!bundle) {
  process.stderr.write('usage: node scripts/invoke-handler.mjs [--import-only] <bundle.mjs> < event.json\n');
  process.exit(2);
}

const started = performance.now();
const module = await import(pathToFileURL(resolve(bundle)).href);
const importMs = performance.now() - started;
if (importOnly) {
  process.stdout.write(`@@result ${JSON.stringify({ importMs })}\n`);
} else {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const event = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  const invoked = performance.now();
  const result = await module.handler(event, { functionName: 'invoke-handler', awsRequestId: 'local' });
  const invokeMs = performance.now() - invoked;
  process.stdout.write(`\n@@result ${JSON.stringify({ result, importMs, invokeMs })}\n`);
}
