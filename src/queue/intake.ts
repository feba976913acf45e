// The webhook intake both runtimes share: GitHub drops a delivery not answered within 10 seconds, so a delivery is
// only checked (the signature first, then the request's shape), put on the queue, and answered 202; workers
// evaluate it later. The Lambda `webhook` function and `npm start`'s HTTP server answer through this handler.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { Logger } from '../log.js';
import { encodeDelivery } from './message.js';
import type { DeliveryQueue } from './port.js';

export type WebhookEvent = Pick<APIGatewayProxyEventV2, 'headers' | 'body' | 'isBase64Encoded'>;
export type WebhookResult = APIGatewayProxyStructuredResultV2;
export type WebhookHandler = (event: WebhookEvent) => Promise<WebhookResult>;

export interface WebhookOptions {
  /** The GitHub App's webhook secret. */
  secret: string;
  /** Puts the message on the queue; throws when the queue did not take it. */
  enqueue: DeliveryQueue['enqueue'];
  log: Logger;
}

const SIGNATURE_PREFIX = 'sha256=';
/** GitHub's event names (`pull_request`, `merge_group`, …) and delivery ids (GUIDs): anything else is not GitHub. */
const EVENT_NAME = /^[a-z][a-z_]{0,63}$/;
const DELIVERY_ID = /^[A-Za-z0-9-]{1,100}$/;

/** Whether `header` is GitHub's `X-Hub-Signature-256` of `body`: `sha256=` and the hex HMAC-SHA256 under the secret. */
export function verifySignature(secret: string, body: Buffer, header: string | undefined): boolean {
  if (header === undefined || !header.startsWith(SIGNATURE_PREFIX)) return false;
  const given = Buffer.from(header.slice(SIGNATURE_PREFIX.length), 'hex');
  const expected = createHmac('sha256', secret).update(body).digest();
  // A comparison whose time does not depend on where the signatures differ; a wrong length is simply wrong.
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function answer(statusCode: number, message: string): WebhookResult {
  return { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ message }) };
}

/** HTTP API already lower-cases header names; a test event or another proxy may not. */
function lowerCaseHeaders(headers: WebhookEvent['headers']): Record<string, string> {
  const lower: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) if (value !== undefined) lower[name.toLowerCase()] = value;
  return lower;
}

/** The bytes GitHub signed: API Gateway passes bodies it does not see as text in base64. */
function rawBody(event: WebhookEvent): Buffer {
  return Buffer.from(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
}

function isJsonObject(text: string): boolean {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value);
  } catch {
    return false;
  }
}

export function createWebhookHandler(options: WebhookOptions): WebhookHandler {
  const { secret, enqueue, log } = options;
  return async (event) => {
    const headers = lowerCaseHeaders(event.headers);
    const body = rawBody(event);
    // The signature first: an unsigned caller learns nothing about what else would be accepted.
    if (!verifySignature(secret, body, headers['x-hub-signature-256'])) {
      log.warn({ delivery: headers['x-github-delivery'], event: headers['x-github-event'] }, 'webhook refused: missing or wrong X-Hub-Signature-256');
      return answer(401, 'missing or wrong X-Hub-Signature-256');
    }
    const id = headers['x-github-delivery'];
    const name = headers['x-github-event'];
    if (!id || !DELIVERY_ID.test(id) || !name || !EVENT_NAME.test(name)) return answer(400, 'missing or malformed X-GitHub-Delivery or X-GitHub-Event');
    const text = body.toString('utf8');
    if (!isJsonObject(text)) return answer(400, 'the body is not a JSON object (the app’s webhook content type must be application/json)');
    const message = encodeDelivery({ id, name, body: text });
    if (!message) {
      log.error({ delivery: id, event: name, bytes: body.length }, 'webhook payload too large for the queue even gzipped; not processed');
      return answer(413, 'payload too large to queue');
    }
    try {
      await enqueue(message);
    } catch (error) {
      // GitHub records the failed delivery; it can be redelivered from the app's settings.
      log.error({ err: error, delivery: id, event: name }, 'could not queue the delivery');
      return answer(500, 'could not queue the delivery');
    }
    log.info({ delivery: id, event: name }, 'delivery queued');
    return answer(202, 'queued');
  };
}

