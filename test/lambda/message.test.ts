import { randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { decodeDelivery, encodeDelivery, SQS_MESSAGE_LIMIT_BYTES } from '../../src/queue/message.js';

const ID = '72d3162e-cc78-11e3-81ab-4c9367dc0958';

describe('encodeDelivery', () => {
  it('keeps an ordinary payload as written, with the delivery id and event as attributes', () => {
    const body = '{"action":"opened","title":"Ünïcode ✓"}';
    expect(encodeDelivery({ id: ID, name: 'pull_request', body })).toEqual({
      body,
      attributes: { 'github-delivery': ID, 'github-event': 'pull_request' },
    });
  });

  it('gzips a payload larger than a queue message, and the worker reads it back exactly', () => {
    const body = JSON.stringify({ commits: Array.from({ length: 6000 }, (_, index) => ({ id: index, message: `commit number ${index} of a large push` })) });
    expect(Buffer.byteLength(body)).toBeGreaterThan(SQS_MESSAGE_LIMIT_BYTES);
    const message = encodeDelivery({ id: ID, name: 'push', body });
    expect(message?.attributes).toEqual({ 'github-delivery': ID, 'github-event': 'push', 'content-encoding': 'gzip' });
    expect(Buffer.byteLength(message?.body ?? '')).toBeLessThan(SQS_MESSAGE_LIMIT_BYTES);
    expect(decodeDelivery({ body: message?.body ?? '', attributes: message?.attributes ?? {} })).toEqual({ ok: true, delivery: { id: ID, name: 'push', body } });
  });

  it('gzips a payload holding characters SQS refuses in a body', () => {
    const body = '{"title":"\uFFFF"}';
    const message = encodeDelivery({ id: ID, name: 'issues', body });
    expect(message?.attributes['content-encoding']).toBe('gzip');
    expect(decodeDelivery({ body: message?.body ?? '', attributes: message?.attributes ?? {} })).toEqual({ ok: true, delivery: { id: ID, name: 'issues', body } });
  });

  it('gives up on a payload that does not fit even gzipped', () => {
    const body = JSON.stringify({ noise: randomBytes(300 * 1024).toString('base64') });
    expect(encodeDelivery({ id: ID, name: 'push', body })).toBeUndefined();
  });
});

describe('decodeDelivery', () => {
  it('says why a message carries no delivery', () => {
    expect(decodeDelivery({ body: '{}', attributes: { 'github-event': 'push' } })).toEqual({ ok: false, reason: 'message lacks the github-delivery or github-event attribute' });
    expect(decodeDelivery({ body: '{}', attributes: { 'github-delivery': ID, 'github-event': 'push', 'content-encoding': 'br' } })).toEqual({ ok: false, reason: 'unknown content-encoding "br"' });
    expect(decodeDelivery({ body: 'bm90IGd6aXA=', attributes: { 'github-delivery': ID, 'github-event': 'push', 'content-encoding': 'gzip' } })).toEqual({
      ok: false,
      reason: 'gzip body could not be decompressed',
    });
  });

  it('reads a gzipped body written by another producer', () => {
    const body = gzipSync('{"zen":"Keep it logically awesome."}').toString('base64');
    expect(decodeDelivery({ body, attributes: { 'github-delivery': ID, 'github-event': 'ping', 'content-encoding': 'gzip' } })).toEqual({
      ok: true,
      delivery: { id: ID, name: 'ping', body: '{"zen":"Keep it logically awesome."}' },
    });
  });
});
