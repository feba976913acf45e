import { readConfig, webhookSecretProblem } from '../../src/config.js';

describe('readConfig', () => {
  it('reads the runtime contract with its defaults', () => {
    expect(readConfig({})).toEqual({
      checkName: 'Workflow policy',
      orgPolicyRepo: '.github',
      policyPath: '.github/workflow-policy.yml',
      host: 'github.com',
      limits: {},
      evaluationTimeoutMs: 60_000,
      maxConcurrentEvaluations: 8,
      checkRunGraceMs: 500,
      backfillRepositoriesPerRun: 200,
      dataDir: '.data',
    });
    expect(
      readConfig({ GHE_HOST: 'github.example.com', DYNAMODB_TABLE: 'warden', WARDEN_MAX_LEVELS: '6', WARDEN_TIMEOUT_MS: '30000', WARDEN_CHECK_NAME: 'Policy' }),
    ).toMatchObject({ host: 'github.example.com', dynamoTable: 'warden', limits: { maxLevels: 6 }, evaluationTimeoutMs: 30_000, checkName: 'Policy' });
    expect(readConfig({ WARDEN_BATCH_WINDOW_MS: '0' }).batchWindowMs).toBe(0);
    expect(readConfig({ WARDEN_BATCH_WINDOW_MS: '20' }).batchWindowMs).toBe(20);
    expect(readConfig({ WARDEN_CHECK_RUN_GRACE_MS: '0' }).checkRunGraceMs).toBe(0);
    expect(readConfig({ WARDEN_BACKFILL_PER_RUN: '3' }).backfillRepositoriesPerRun).toBe(3);
  });

  it('refuses numbers that are not positive integers, naming the variable', () => {
    expect(() => readConfig({ WARDEN_MAX_UNIQUE: '0' })).toThrow('WARDEN_MAX_UNIQUE must be a positive integer, got "0"');
    expect(() => readConfig({ WARDEN_TIMEOUT_MS: 'soon' })).toThrow('WARDEN_TIMEOUT_MS must be a positive integer, got "soon"');
    expect(() => readConfig({ WARDEN_CONCURRENCY: '-2' })).toThrow('WARDEN_CONCURRENCY must be a positive integer, got "-2"');
    expect(() => readConfig({ WARDEN_BATCH_WINDOW_MS: '-1' })).toThrow('WARDEN_BATCH_WINDOW_MS must be a non-negative integer, got "-1"');
    expect(() => readConfig({ WARDEN_BACKFILL_PER_RUN: '0' })).toThrow('WARDEN_BACKFILL_PER_RUN must be a positive integer, got "0"');
    expect(() => readConfig({ WARDEN_CHECK_RUN_GRACE_MS: '1s' })).toThrow('WARDEN_CHECK_RUN_GRACE_MS must be a non-negative integer, got "1s"');
  });
});

describe('webhookSecretProblem', () => {
  it('lets setup mode start without a secret, and a configured app only with a real one', () => {
    expect(webhookSecretProblem({})).toBeUndefined();
    expect(webhookSecretProblem({ APP_ID: '1', WEBHOOK_SECRET: 'a-real-secret' })).toBeUndefined();
    expect(webhookSecretProblem({ APP_ID: '1' })).toBe("WEBHOOK_SECRET is not set: set it to the GitHub App's webhook secret.");
    expect(webhookSecretProblem({ APP_ID: '1', WEBHOOK_SECRET: 'development' })).toBe(
      'WEBHOOK_SECRET is Probot\'s stand-in "development", which anyone can sign with: set the GitHub App\'s webhook secret.',
    );
  });
});
