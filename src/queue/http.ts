// `npm start`'s HTTP server: GitHub's webhooks at WEBHOOK_PATH go through the shared intake (signature, shape,
// queue, 202) and nothing else happens in the request; `GET /ping` answers for health checks.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from '../log.js';
import type { WebhookHandler } from './intake.js';

/** GitHub caps webhook payloads at 25 MB. */
const MAX_BODY_BYTES = 25 * 1024 * 1024;

export interface WebhookServerOptions {
  intake: WebhookHandler;
  /** Where GitHub posts, `/api/github/webhooks` by default. */
  path: string;
  log: Logger;
}

function readBody(request: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve(undefined);
        request.destroy();
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(Buffer.concat(chunks)));
    request.on('error', reject);
  });
}

function reply(response: ServerResponse, status: number, body: string, type = 'application/json'): void {
  response.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  response.end(body);
}

export function createWebhookServer(options: WebhookServerOptions): Server {
  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const path = (request.url ?? '/').split('?')[0];
    if (request.method === 'GET' && path === '/ping') return reply(response, 200, 'PONG', 'text/plain');
    if (path !== options.path) return reply(response, 404, JSON.stringify({ message: 'not found' }));
    if (request.method !== 'POST') return reply(response, 405, JSON.stringify({ message: 'webhooks are POSTed' }));
    const body = await readBody(request);
    if (!body) return reply(response, 413, JSON.stringify({ message: 'payload too large' }));
    const headers = Object.fromEntries(Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value]));
    // The exact bytes GitHub signed, as API Gateway hands over a binary body.
    const answer = await options.intake({ headers, body: body.toString('base64'), isBase64Encoded: true });
    reply(response, answer.statusCode ?? 500, typeof answer.body === 'string' ? answer.body : '');
  };
  return createServer((request, response) => {
    handle(request, response).catch((error: unknown) => {
      options.log.error({ err: error }, 'webhook request failed');
      if (!response.headersSent) reply(response, 500, JSON.stringify({ message: 'internal error' }));
    });
  });
}
