// `npm start`: the app as a server (webhooks at /api/github/webhooks on PORT, default 3000). Each verified delivery
// is recorded as a work item and answered 202 at once; a worker loop in this process evaluates (src/server.ts).
// With no DYNAMODB_TABLE it starts an embedded DynamoDB-compatible store under WARDEN_DATA_DIR, so nothing else is
// needed. Without APP_ID and PRIVATE_KEY (or PRIVATE_KEY_PATH), Probot serves its setup page to register the app.
import { existsSync } from 'node:fs';
import { createProbot, run } from 'probot';
import { createWardenApp } from './app/index.js';
import { readConfig, webhookSecretProblem } from './config.js';
import { silentLogger } from './log.js';
import { WardenOctokit } from './octokit.js';
import { startWardenServer } from './server.js';
import { createServices } from './services.js';

// Probot reads .env inside `run`; read it first so the secret check sees what Probot will use.
if (existsSync('.env')) process.loadEnvFile('.env');
const env = process.env;
const registered = Boolean(env.APP_ID && (env.PRIVATE_KEY || env.PRIVATE_KEY_PATH));
const problem = registered ? webhookSecretProblem(env) : undefined;
if (problem) {
  console.error(`Workflow Warden: ${problem} Not starting.`);
  process.exit(1);
}

const config = readConfig();
const services = await createServices(config, silentLogger);
console.log(
  config.dynamoTable
    ? `Workflow Warden: DynamoDB table ${config.dynamoTable}`
    : `Workflow Warden: embedded DynamoDB-compatible store, data in ${config.dataDir}/ (set DYNAMODB_TABLE to use DynamoDB)`,
);

let stopServer: () => Promise<unknown>;
if (registered) {
  const probot = createProbot({ env, overrides: { Octokit: WardenOctokit } });
  await probot.load(createWardenApp(services));
  const server = await startWardenServer({
    probot,
    services,
    secret: env.WEBHOOK_SECRET ?? '',
    port: Number(env.PORT || 3000),
    ...(env.HOST && { host: env.HOST }),
    path: env.WEBHOOK_PATH || '/api/github/webhooks',
    log: probot.log.child({ name: 'warden' }),
  });
  console.log(`Workflow Warden: listening on ${server.url}${env.WEBHOOK_PATH || '/api/github/webhooks'}; deliveries are queued, then evaluated`);
  stopServer = () => server.stop();
} else {
  // Probot's setup: register the GitHub App from app.yml, then restart with its credentials.
  const server = await run(createWardenApp(services), { Octokit: WardenOctokit });
  stopServer = () => server.stop();
}

const stop = async () => {
  await stopServer();
  await services.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
