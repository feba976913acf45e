// A tiny Amazon SQS on loopback for tests: it answers `SendMessage` in the AWS JSON 1.0 protocol that the
// v3 SDK speaks (`X-Amz-Target: AmazonSQS.SendMessage`), with SQS's own checks and checksums (the SDK
// verifies MD5OfMessageBody), and hands the stored messages out as the records of a Lambda SQS event.
import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';

export interface FakeSqsMessage {
  messageId: string;
  queueUrl: string;
  body: string;
  /** String attributes by name. */
  attributes: Record<string, string>;
  md5OfBody: string;
  sentTimestamp: number;
  /** How often `receive` handed the message out. */
  receiveCount: number;
}

/** An SQS error answer: HTTP status, `__type`, the `x-amzn-query-error` code and the message. */
class SqsError {
  constructor(
    readonly status: number,
    readonly type: string,
    readonly queryError: string,
    readonly message: string,
  ) {}
}

const REGION = 'us-east-1';
const ACCOUNT = '000000000000';
const MAX_MESSAGE_BYTES = 256 * 1024;
const REFUSED_CHARACTERS = /[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

function md5(data: string | Buffer): string {
  return createHash('md5').update(data).digest('hex');
}

/** SQS's MD5OfMessageAttributes: per attribute, sorted by name, length-prefixed name, type, transport byte 1 and value. */
export function md5OfAttributes(attributes: Record<string, string>): string {
  const hash = createHash('md5');
  const field = (text: string) => {
    const bytes = Buffer.from(text, 'utf8');
    const length = Buffer.alloc(4);
    length.writeUInt32BE(bytes.length);
    hash.update(length).update(bytes);
  };
  for (const name of Object.keys(attributes).sort()) {
    field(name);
    field('String');
    hash.update(Buffer.from([1]));
    field(attributes[name] ?? '');
  }
  return hash.digest('hex');
}

function error(status: number, type: string, queryError: string, message: string): SqsError {
  return new SqsError(status, type, queryError, message);
}

export class FakeSqs {
  readonly messages: FakeSqsMessage[] = [];
  /** Every request, as `target status` (e.g. `AmazonSQS.SendMessage 200`). */
  readonly log: string[] = [];
  private readonly queues = new Set<string>();
  private failures: SqsError[] = [];
  private endpointUrl = '';

  /** The endpoint for AWS_ENDPOINT_URL_SQS (or the client's `endpoint`); set by `listen`. */
  get endpoint(): string {
    return this.endpointUrl;
  }

  /** A queue's URL, as SQS forms it. Call after `listen`. */
  createQueue(name: string): string {
    const url = `${this.endpointUrl}/${ACCOUNT}/${name}`;
    this.queues.add(url);
    return url;
  }

  /** The next `times` requests fail as SQS fails when it throttles. */
  throttle(times = 1): void {
    for (let count = 0; count < times; count++) this.failures.push(error(400, 'com.amazonaws.sqs#RequestThrottled', 'RequestThrottled;Sender', 'Request is throttled.'));
  }

  /**
   * The queue's messages as one Lambda SQS event, each counted as received once more. They stay in the
   * queue (nothing here deletes), so a second call redelivers them, as SQS does after a failed attempt.
   */
  receive(queueUrl: string): SQSEvent {
    const records = this.messages.filter((message) => message.queueUrl === queueUrl).map((message) => toRecord(message));
    return { Records: records };
  }

  async listen(): Promise<{ close(): Promise<void> }> {
    const server = createServer((request, response) => void this.serve(request, response));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    this.endpointUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    return {
      close: async () => {
        server.closeAllConnections();
        await new Promise<void>((resolve, reject) => server.close((problem) => (problem ? reject(problem) : resolve())));
      },
    };
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const target = String(request.headers['x-amz-target'] ?? '');
    const outcome = this.answer(request, target, Buffer.concat(chunks).toString('utf8'));
    if (outcome instanceof SqsError) {
      this.log.push(`${target} ${outcome.status}`);
      response.writeHead(outcome.status, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-query-error': outcome.queryError });
      response.end(JSON.stringify({ __type: outcome.type, message: outcome.message }));
      return;
    }
    this.log.push(`${target} 200`);
    response.writeHead(200, { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() });
    response.end(JSON.stringify(outcome));
  }

  private answer(request: IncomingMessage, target: string, text: string): Record<string, string> | SqsError {
    if (!String(request.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256 ')) {
      return error(400, 'com.amazonaws.sqs#MissingAuthenticationToken', 'MissingAuthenticationToken;Sender', 'Request is missing Authentication Token');
    }
    const failure = this.failures.shift();
    if (failure) return failure;
    if (target !== 'AmazonSQS.SendMessage') return error(400, 'com.amazonaws.sqs#UnsupportedOperation', 'AWS.SimpleQueueService.UnsupportedOperation;Sender', `FakeSqs: ${target} is not implemented`);
    let input: { QueueUrl?: unknown; MessageBody?: unknown; MessageAttributes?: unknown };
    try {
      input = JSON.parse(text) as typeof input;
    } catch {
      return error(400, 'com.amazonaws.sqs#InvalidParameterValue', 'InvalidParameterValue;Sender', 'Request body is not JSON');
    }
    if (typeof input.QueueUrl !== 'string' || !this.queues.has(input.QueueUrl)) {
      return error(400, 'com.amazonaws.sqs#QueueDoesNotExist', 'AWS.SimpleQueueService.NonExistentQueue;Sender', 'The specified queue does not exist.');
    }
    if (typeof input.MessageBody !== 'string' || input.MessageBody === '' || REFUSED_CHARACTERS.test(input.MessageBody)) {
      return error(400, 'com.amazonaws.sqs#InvalidMessageContents', 'InvalidMessageContents;Sender', 'Invalid characters found in the message body.');
    }
    const attributes = stringAttributes(input.MessageAttributes);
    if (!attributes) return error(400, 'com.amazonaws.sqs#InvalidAttributeValue', 'InvalidAttributeValue;Sender', 'Only String message attributes are supported here.');
    const size = Buffer.byteLength(input.MessageBody) + Object.entries(attributes).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + 'String'.length + Buffer.byteLength(value), 0);
    if (size > MAX_MESSAGE_BYTES) {
      return error(400, 'com.amazonaws.sqs#InvalidParameterValue', 'InvalidParameterValue;Sender', `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`);
    }
    const message: FakeSqsMessage = {
      messageId: randomUUID(),
      queueUrl: input.QueueUrl,
      body: input.MessageBody,
      attributes,
      md5OfBody: md5(input.MessageBody),
      sentTimestamp: Date.now(),
      receiveCount: 0,
    };
    this.messages.push(message);
    return {
      MessageId: message.messageId,
      MD5OfMessageBody: message.md5OfBody,
      ...(Object.keys(attributes).length > 0 && { MD5OfMessageAttributes: md5OfAttributes(attributes) }),
    };
  }
}

function stringAttributes(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null) return undefined;
  const attributes: Record<string, string> = {};
  for (const [name, attribute] of Object.entries(value as Record<string, unknown>)) {
    const { DataType: type, StringValue: text } = (attribute ?? {}) as { DataType?: unknown; StringValue?: unknown };
    if (type !== 'String' || typeof text !== 'string') return undefined;
    attributes[name] = text;
  }
  return attributes;
}

/** A message as Lambda's SQS event source hands it to a function. */
function toRecord(message: FakeSqsMessage): SQSRecord {
  message.receiveCount += 1;
  const queueName = message.queueUrl.split('/').pop() ?? '';
  const messageAttributes: SQSMessageAttributes = Object.fromEntries(
    Object.entries(message.attributes).map(([name, value]) => [name, { stringValue: value, stringListValues: [], binaryListValues: [], dataType: 'String' }]),
  );
  return {
    messageId: message.messageId,
    receiptHandle: Buffer.from(`${message.messageId}#${message.receiveCount}`).toString('base64'),
    body: message.body,
    attributes: {
      ApproximateReceiveCount: String(message.receiveCount),
      SentTimestamp: String(message.sentTimestamp),
      SenderId: 'AROAFAKEWEBHOOKROLE:workflow-warden-test-webhook',
      ApproximateFirstReceiveTimestamp: String(message.sentTimestamp),
    },
    messageAttributes,
    md5OfBody: message.md5OfBody,
    ...(Object.keys(message.attributes).length > 0 && { md5OfMessageAttributes: md5OfAttributes(message.attributes) }),
    eventSource: 'aws:sqs',
    eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:${queueName}`,
    awsRegion: REGION,
  };
}
