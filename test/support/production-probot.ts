// Probot built as production builds it, for the tests that need what the Jest harness turns off: GitHub App
// authentication (an app id and a generated private key, exchanged for installation tokens at FakeGitHub),
// Octokit's retry and throttling plugins enabled (with their waits shortened, so a test takes milliseconds), and
// every line Probot and the app log, captured at trace level through pino — the logger Probot itself uses.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import { Probot, ProbotOctokit } from 'probot';
import { createWardenApp } from '../../src/app/index.js';
import { createWardenOctokit } from '../../src/octokit.js';
import type { WardenServices } from '../../src/services.js';
import type { FakeGitHub } from './fake-github.js';

export const APP_ID = 4242;
export const TOKEN_EXCHANGE = 'POST /app/installations/{installation_id}/access_tokens';

/** Every log line, as pino wrote it (JSON), in order. */
export interface LogCapture {
  logger: Logger;
  lines: string[];
}

/** A pino logger at trace level whose lines are kept in memory instead of written to stdout. */
export function captureLogs(): LogCapture {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...chunk.toString('utf8').split('\n').filter((line) => line !== ''));
      done();
    },
  });
  return { logger: pino({ level: 'trace', name: 'probot' }, sink), lines };
}

/** A private key as GitHub hands it out: RSA, PKCS#1 PEM. */
export function generatePrivateKey(): string {
  return generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
}

export interface TokenExchange {
  /** The installation tokens handed out, in order. */
  issued: string[];
}

/**
 * Serves `POST /app/installations/{id}/access_tokens` as GitHub does: a fresh `ghs_` token valid for an hour.
 * Faults injected on TOKEN_EXCHANGE apply (a 404 is what an uninstalled app gets).
 */
export function serveTokenExchange(gh: FakeGitHub): TokenExchange {
  const exchange: TokenExchange = { issued: [] };
  gh.route('POST', '/app/installations/{installation_id}/access_tokens', () => {
    const token = `ghs_${randomBytes(18).toString('base64url')}`;
    exchange.issued.push(token);
    return {
      status: 201,
      body: {
        token,
        expires_at: new Date(Date.now() + 3600_000).toISOString(),
        permissions: { checks: 'write', contents: 'write', pull_requests: 'write', metadata: 'read' },
        repository_selection: 'all',
      },
    };
  });
  return exchange;
}

/**
 * The app's own Octokit (src/octokit.ts: Probot's retry and throttling plugins, the app's limit handlers and write
 * spacing) with every wait a thousand times shorter: a `retry-after: 2` waits 2 ms, the retry plugin's 1 s, 4 s,
 * 9 s backoff waits 1, 4, 9 ms, and the one-second spacing of writes is 1 ms.
 */
export const ShortWaitOctokit = shortWaitOctokit(1);

/** ShortWaitOctokit with writes `writeSpacingMs` apart, for tests about what waits for a turn to write. */
export function shortWaitOctokit(writeSpacingMs: number) {
  return createWardenOctokit({ writeSpacingMs, secondMs: 1 }).defaults((options: ConstructorParameters<typeof ProbotOctokit>[0] = {}) => ({
    ...options,
    retry: { ...options.retry, enabled: true, retryAfterBaseValue: 1 },
  }));
}

export interface ProductionProbotOptions {
  services: WardenServices;
  /** App authentication with this key (and APP_ID); a fixed `githubToken` without it. */
  privateKey?: string;
  log?: Logger;
  /** Webhook secret, for `probot.webhooks.verifyAndReceive` and the HTTP middleware. */
  secret?: string;
  /** The spacing of writes per installation (1 ms unless given); it applies with app authentication only. */
  writeSpacingMs?: number;
}

/** Probot with the retry and throttling plugins on, the app loaded on the given services. */
export async function productionProbot(options: ProductionProbotOptions): Promise<Probot> {
  const auth = options.privateKey === undefined ? { githubToken: 'test' } : { appId: APP_ID, privateKey: options.privateKey };
  const probot = new Probot({
    ...auth,
    Octokit: options.writeSpacingMs === undefined ? ShortWaitOctokit : shortWaitOctokit(options.writeSpacingMs),
    ...(options.log === undefined ? { logLevel: 'fatal' as const } : { log: options.log }),
    ...(options.secret !== undefined && { secret: options.secret }),
  });
  await probot.load(createWardenApp(options.services));
  return probot;
}
