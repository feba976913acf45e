// A real DynamoDB-compatible server on loopback for tests: in-memory dynalite with the cache table.
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { dynamoClientConfig } from '../../src/cache/dynamo.js';
import { ensureTable, listenDynalite, localClientOptions } from '../../src/cache/embedded.js';

export interface TestDynalite {
  endpoint: string;
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  tableName: string;
  /** Closes the client's sockets and the server, so Jest exits cleanly. Safe to call twice. */
  stop(): Promise<void>;
}

/**
 * Each call starts its own server and table. Suites using nock must still allow loopback:
 * `nock.enableNetConnect('127.0.0.1')`.
 */
export async function startDynalite(): Promise<TestDynalite> {
  const server = await listenDynalite();
  // The product's fail-fast timeouts (1 s to connect) are for a real table; here dynalite shares
  // the test's own process and CPU, so a loaded CI machine can take longer than that to accept.
  const client = new DynamoDBClient({
    ...dynamoClientConfig(localClientOptions(server.endpoint)),
    requestHandler: { connectionTimeout: 15_000, requestTimeout: 15_000, throwOnRequestTimeout: true },
  });
  const tableName = `warden-test-${randomUUID()}`;
  try {
    await ensureTable(client, tableName);
  } catch (error) {
    client.destroy();
    await server.close();
    throw error;
  }
  return {
    endpoint: server.endpoint,
    client,
    doc: DynamoDBDocumentClient.from(client),
    tableName,
    stop: async () => {
      client.destroy();
      await server.close();
    },
  };
}
