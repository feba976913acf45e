// `npm start`: the app as a Probot server (webhooks at /api/github/webhooks on PORT, default 3000). With no
// DYNAMODB_TABLE it starts an embedded DynamoDB-compatible store under WARDEN_DATA_DIR, so nothing else is needed.
// Without APP_ID and PRIVATE_KEY, Probot serves its setup page to register the app from app.yml.
import { existsSync } from 'node:fs';
import { run } from 'probot';
import { createWardenApp } from './app/index.js';
import { readConfig, webhookSecretProblem } from './config.js';
import { silentLogger } from './log.js';
import { WardenOctokit } from './octokit.js';
import { createServices } from './services.js';

// Probot reads .env inside `run`; read it first so the secret check sees what Probot will use.
if (existsSync('.env')) process.loadEnvFile('.env');
const problem = webhookSecretProblem(process.env);
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
const server = await run(createWardenApp(services), { Octokit: WardenOctokit });

const stop = async () => {
  await server.stop();
  await services.close();
  process.exit(0);
};
process.once('SIGTERM', () => void stop());
process.once('SIGINT', () => void stop());
