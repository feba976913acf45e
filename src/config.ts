// The runtime contract (PRODUCT.md §4): everything the app reads from its environment, in one place.
import type { PlatformLimits } from './graph/types.js';

export interface WardenConfig {
  /** The check run's name; a ruleset requires it by this name. */
  checkName: string;
  /** The org repository holding the org policy (read from its default branch only). */
  orgPolicyRepo: string;
  /** Path of the policy file in the org policy repository and in each repository. */
  policyPath: string;
  /** The host calls resolve on: github.com, a GHE.com subdomain or a GitHub Enterprise Server. */
  host: string;
  /** Operator override of the host's platform limits (for hosts that change them). */
  limits: Partial<PlatformLimits>;
  /** An evaluation that takes longer completes its check as failed with a timeout explanation. */
  evaluationTimeoutMs: number;
  /**
   * Evaluations one process runs at once; later ones wait for a slot before their timeout starts. GitHub
   * requests of one installation go one at a time, so a burst started all at once would all time out.
   */
  maxConcurrentEvaluations: number;
  /**
   * How long single flight gathers concurrent level reads of one installation into one GraphQL query
   * (`WARDEN_BATCH_WINDOW_MS`, 0: one event-loop turn); unset: its default (`SingleFlightOptions`).
   */
  batchWindowMs?: number;
  /**
   * How long a check run's create waits before it goes out in progress (`WARDEN_CHECK_RUN_GRACE_MS`): a verdict
   * ready by then (a pull request that changes no workflow, a head evaluated before) is created completed, one
   * write instead of two — writes are what GitHub limits most (content-creating requests a second apart).
   */
  checkRunGraceMs: number;
  /**
   * Repositories one chunk of an installation's callers-index backfill indexes at most (`WARDEN_BACKFILL_PER_RUN`):
   * a chunk runs after a delivery of an installation whose backfill is not complete, so each stays bounded.
   */
  backfillRepositoriesPerRun: number;
  /** DynamoDB table; unset locally: the embedded store. */
  dynamoTable?: string;
  /** Where the embedded store keeps its data. */
  dataDir: string;
}

function positiveInteger(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed <= 0) throw new Error(`${name} must be a positive integer, got ${JSON.stringify(value)}`);
  return parsed;
}

function nonNegativeInteger(value: string | undefined, name: string): number | undefined {
  if (value === undefined || value === '') return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new Error(`${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  return parsed;
}

export function readConfig(env: NodeJS.ProcessEnv = process.env): WardenConfig {
  const maxLevels = positiveInteger(env.WARDEN_MAX_LEVELS, 'WARDEN_MAX_LEVELS');
  const maxUnique = positiveInteger(env.WARDEN_MAX_UNIQUE, 'WARDEN_MAX_UNIQUE');
  const batchWindowMs = nonNegativeInteger(env.WARDEN_BATCH_WINDOW_MS, 'WARDEN_BATCH_WINDOW_MS');
  return {
    checkName: env.WARDEN_CHECK_NAME || 'Workflow policy',
    orgPolicyRepo: env.WARDEN_POLICY_REPO || '.github',
    policyPath: env.WARDEN_POLICY_PATH || '.github/workflow-policy.yml',
    host: env.GHE_HOST || 'github.com',
    limits: { ...(maxLevels && { maxLevels }), ...(maxUnique && { maxUnique }) },
    evaluationTimeoutMs: positiveInteger(env.WARDEN_TIMEOUT_MS, 'WARDEN_TIMEOUT_MS') ?? 60_000,
    maxConcurrentEvaluations: positiveInteger(env.WARDEN_CONCURRENCY, 'WARDEN_CONCURRENCY') ?? 8,
    ...(batchWindowMs !== undefined && { batchWindowMs }),
    checkRunGraceMs: nonNegativeInteger(env.WARDEN_CHECK_RUN_GRACE_MS, 'WARDEN_CHECK_RUN_GRACE_MS') ?? 500,
    backfillRepositoriesPerRun: positiveInteger(env.WARDEN_BACKFILL_PER_RUN, 'WARDEN_BACKFILL_PER_RUN') ?? 200,
    ...(env.DYNAMODB_TABLE && { dynamoTable: env.DYNAMODB_TABLE }),
    dataDir: env.WARDEN_DATA_DIR || '.data',
  };
}

/**
 * Why the server must not start, if it must not: Probot accepts webhooks signed with "development" when
 * no secret is set, so anyone could forge events. Setup mode (no APP_ID yet) registers the app and writes
 * a real secret, so only a configured app is checked.
 */
export function webhookSecretProblem(env: NodeJS.ProcessEnv): string | undefined {
  if (!env.APP_ID) return undefined;
  if (!env.WEBHOOK_SECRET) return 'WEBHOOK_SECRET is not set: set it to the GitHub App\'s webhook secret.';
  if (env.WEBHOOK_SECRET === 'development') return 'WEBHOOK_SECRET is Probot\'s stand-in "development", which anyone can sign with: set the GitHub App\'s webhook secret.';
  return undefined;
}
