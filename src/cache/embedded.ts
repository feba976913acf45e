// The embedded DynamoDB-compatible store for `npm start` without DYNAMODB_TABLE: dynalite on loopback,
// persisted under a local data directory, so a developer has nothing else to install.
import { mkdir } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { silentLogger, type Logger } from '../log.js';
import { dynamoClientConfig, isAwsError, type DynamoClientOptions } from './dynamo.js';

export const DEFAULT_TABLE_NAME = 'workflow-warden-cache';

export interface EmbeddedStore {
  endpoint: string;
  tableName: string;
  close(): Promise<void>;
}

export interface EmbeddedStoreOptions {
  dataDir: string;
  tableName?: string;
  logger?: Logger;
}

/**
 * Client options for a store on loopback: dynalite checks no signature, but the SDK must sign, so it
 * gets dummy credentials and a region rather than looking for real ones.
 */
export function localClientOptions(endpoint: string): DynamoClientOptions {
  return { endpoint, region: 'local', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}

export async function startEmbeddedStore(options: EmbeddedStoreOptions): Promise<EmbeddedStore> {
  const tableName = options.tableName ?? DEFAULT_TABLE_NAME;
  const logger = options.logger ?? silentLogger;
  await mkdir(options.dataDir, { recursive: true });
  const { endpoint, close } = await listenDynalite(options.dataDir);
  const client = new DynamoDBClient(dynamoClientConfig(localClientOptions(endpoint)));
  try {
    await ensureTable(client, tableName);
  } catch (error) {
    await close();
    throw error;
  } finally {
    client.destroy();
  }
  logger.info({ endpoint, tableName, dataDir: options.dataDir }, 'embedded DynamoDB store started');
  return { endpoint, tableName, close };
}

/** Creates the cache table if it is missing and waits until it is usable. */
export async function ensureTable(client: DynamoDBClient, tableName: string): Promise<void> {
  if (!(await tableExists(client, tableName))) {
    try {
      await client.send(
        new CreateTableCommand({
          TableName: tableName,
          AttributeDefinitions: [
            { AttributeName: 'pk', AttributeType: 'S' },
            { AttributeName: 'sk', AttributeType: 'S' },
          ],
          KeySchema: [
            { AttributeName: 'pk', KeyType: 'HASH' },
            { AttributeName: 'sk', KeyType: 'RANGE' },
          ],
          BillingMode: 'PAY_PER_REQUEST',
        }),
      );
    } catch (error) {
      // Another process created it between our check and our create: it is the same table.
      if (!isAwsError(error, 'ResourceInUseException')) throw error;
    }
  }
  // The waiter's default first delay is 20 s, and even 1 s is most of a start: dynalite often answers
  // the first DescribeTable with CREATING and is ACTIVE a tick later. Delays are in (fractional) seconds.
  await waitUntilTableExists({ client, maxWaitTime: 60, minDelay: 0.05, maxDelay: 2 }, { TableName: tableName });
}

async function tableExists(client: DynamoDBClient, tableName: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: tableName }));
    return true;
  } catch (error) {
    if (isAwsError(error, 'ResourceNotFoundException')) return false;
    throw error;
  }
}

/**
 * Starts dynalite on a free loopback port, persisted under `path` or in memory without it. Tables are
 * usable at once (no CREATING delay). `close()` stops the server and closes its store; calling it
 * again is harmless.
 */
export async function listenDynalite(path?: string): Promise<{ endpoint: string; close(): Promise<void> }> {
  const server = dynalite({
    ...(path === undefined ? {} : { path }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const endpoint = await listenOnLoopback(server);
  let closing: Promise<void> | undefined;
  return { endpoint, close: () => (closing ??= closeServer(server)) };
}

function listenOnLoopback(server: Server): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    // Port 0: the system picks a free one, so two instances (or test workers) never collide.
    server.listen(0, '127.0.0.1', () => {
      server.off('error', reject);
      const { port } = server.address() as AddressInfo;
      resolve(`http://127.0.0.1:${port}`);
    });
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    server.close((error) => (error ? reject(error) : resolve()));
  });
}
