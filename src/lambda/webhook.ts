// The `webhook` Lambda function behind API Gateway's HTTP API (`POST /api/github/webhooks`, payload format
// 2.0): the shared intake (src/queue/intake.ts) with SQS as its queue; the `worker` function evaluates.
// It loads neither Probot nor the app, so that a cold start stays short.
import { SQSClient, type SQSClientConfig } from '@aws-sdk/client-sqs';
import { answer, createWebhookHandler, type WebhookHandler } from '../queue/intake.js';
import { SqsDeliveryQueue } from '../queue/sqs.js';
import { jsonLogger } from './log.js';

export { createWebhookHandler, verifySignature, type WebhookEvent, type WebhookHandler, type WebhookOptions, type WebhookResult } from '../queue/intake.js';

/**
 * Bounded waits: retries and timeouts must fit GitHub's 10 seconds (3 attempts of at most 2 s each, with
 * the SDK's short backoff in between). Endpoint and region come from the SDK's own variables
 * (AWS_REGION, AWS_ENDPOINT_URL_SQS).
 */
export function sqsClientConfig(): SQSClientConfig {
  return { maxAttempts: 3, requestHandler: { connectionTimeout: 1000, requestTimeout: 2000, throwOnRequestTimeout: true } };
}

/** Probot's stand-in when no secret is set: anyone can sign with it. */
export const PROBOT_DEFAULT_SECRET = 'development';

/** The handler configured from the function's environment: WEBHOOK_SECRET and QUEUE_URL. */
export function webhookFromEnvironment(env: NodeJS.ProcessEnv): WebhookHandler {
  const log = jsonLogger({ level: env.LOG_LEVEL });
  const { WEBHOOK_SECRET: secret, QUEUE_URL: queueUrl } = env;
  if (!secret || secret === PROBOT_DEFAULT_SECRET || !queueUrl) {
    return async () => {
      log.error('WEBHOOK_SECRET (not Probot\'s default "development") and QUEUE_URL must be set; refusing every delivery');
      return answer(500, 'webhook function not configured');
    };
  }
  const queue = new SqsDeliveryQueue(new SQSClient(sqsClientConfig()), queueUrl);
  return createWebhookHandler({ secret, log, enqueue: (message) => queue.enqueue(message) });
}

let configured: WebhookHandler | undefined;

/** The Lambda entry point (`src/lambda/webhook.handler`); configured once per instance. */
export const handler: WebhookHandler = (event) => (configured ??= webhookFromEnvironment(process.env))(event);
