// The queue message that carries one verified webhook delivery from the webhook function to the worker.
// The body is the payload exactly as GitHub sent it; the delivery id and event name travel as message
// attributes, so a message in the queue or the dead-letter queue can be told apart without opening it.
import { gunzipSync, gzipSync } from 'node:zlib';

/** A webhook delivery whose signature was checked: what the worker hands to Probot. */
export interface Delivery {
  /** `X-GitHub-Delivery`: the same for every redelivery of one event, so the app claims it once. */
  id: string;
  /** `X-GitHub-Event`, e.g. `pull_request`. */
  name: string;
  /** The JSON payload's text. */
  body: string;
}

export const DELIVERY_ATTRIBUTE = 'github-delivery';
export const EVENT_ATTRIBUTE = 'github-event';
/** Present (value `gzip`) when the body is the base64 of the gzipped payload. */
export const ENCODING_ATTRIBUTE = 'content-encoding';

/** SQS's limit on one message: body and attributes (names, types and values) together. */
export const SQS_MESSAGE_LIMIT_BYTES = 256 * 1024;

export interface QueueMessage {
  body: string;
  /** String attributes only. */
  attributes: Record<string, string>;
}

// SQS refuses bodies with characters outside XML's set (JSON text may hold U+FFFE, U+FFFF or control characters).
const SQS_REFUSED_CHARACTERS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function messageBytes(message: QueueMessage): number {
  let bytes = Buffer.byteLength(message.body);
  for (const [name, value] of Object.entries(message.attributes)) bytes += Buffer.byteLength(name) + 'String'.length + Buffer.byteLength(value);
  return bytes;
}

/**
 * The message for a delivery. Payloads too large for a queue message (large pushes) or holding characters
 * SQS refuses are gzipped: webhook JSON shrinks about tenfold. Undefined when even that does not fit.
 */
export function encodeDelivery(delivery: Delivery): QueueMessage | undefined {
  const attributes = { [DELIVERY_ATTRIBUTE]: delivery.id, [EVENT_ATTRIBUTE]: delivery.name };
  const plain: QueueMessage = { body: delivery.body, attributes };
  if (messageBytes(plain) <= SQS_MESSAGE_LIMIT_BYTES && !SQS_REFUSED_CHARACTERS.test(delivery.body)) return plain;
  const zipped: QueueMessage = {
    body: gzipSync(delivery.body).toString('base64'),
    attributes: { ...attributes, [ENCODING_ATTRIBUTE]: 'gzip' },
  };
  return messageBytes(zipped) <= SQS_MESSAGE_LIMIT_BYTES ? zipped : undefined;
}

export type DecodedMessage = { ok: true; delivery: Delivery } | { ok: false; reason: string };

/** The delivery a message carries, or why it carries none (a message this code did not write). */
export function decodeDelivery(message: { body: string; attributes: Record<string, string | undefined> }): DecodedMessage {
  const id = message.attributes[DELIVERY_ATTRIBUTE];
  const name = message.attributes[EVENT_ATTRIBUTE];
  if (!id || !name) return { ok: false, reason: `message lacks the ${DELIVERY_ATTRIBUTE} or ${EVENT_ATTRIBUTE} attribute` };
  const encoding = message.attributes[ENCODING_ATTRIBUTE];
  if (encoding === undefined) return { ok: true, delivery: { id, name, body: message.body } };
  if (encoding !== 'gzip') return { ok: false, reason: `unknown ${ENCODING_ATTRIBUTE} ${JSON.stringify(encoding)}` };
  try {
    return { ok: true, delivery: { id, name, body: gunzipSync(Buffer.from(message.body, 'base64')).toString('utf8') } };
  } catch {
    return { ok: false, reason: 'gzip body could not be decompressed' };
  }
}
