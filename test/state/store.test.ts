import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DELIVERY_LEASE_SECONDS, DynamoStateStore } from '../../src/state/store.js';
import type { Logger } from '../../src/log.js';
import { startDynalite, type TestDynalite } from '../support/dynalite.js';

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const ignore = () => undefined;
  return {
    warnings,
    debug: ignore,
    info: ignore,
    error: ignore,
    warn: (details: object | string, message?: string) => {
      warnings.push(typeof details === 'string' ? details : (message ?? ''));
    },
  };
}

describe('DynamoStateStore', () => {
  let db: TestDynalite;
  let now: number;
  let store: DynamoStateStore;

  beforeEach(async () => {
    db = await startDynalite();
    now = 1_700_000_000_000;
    store = new DynamoStateStore({ client: db.doc, tableName: db.tableName, now: () => now });
  });
  afterEach(() => db.stop());

  it('claims a delivery once, even when two claims race', async () => {
    const other = new DynamoStateStore({ client: db.doc, tableName: db.tableName, now: () => now });
    const claims = await Promise.all([store.claimDelivery('d-1'), other.claimDelivery('d-1'), store.claimDelivery('d-1')]);
    expect(claims.filter(Boolean)).toHaveLength(1);
    expect(await store.claimDelivery('d-2')).toBe(true);
  });

  it('lets a redelivery take over a claim abandoned past the lease, never a completed one', async () => {
    expect(await store.claimDelivery('crashed')).toBe(true);
    expect(await store.claimDelivery('done')).toBe(true);
    await store.completeDelivery('done');
    now += (DELIVERY_LEASE_SECONDS - 1) * 1000;
    expect(await store.claimDelivery('crashed')).toBe(false);
    now += 2000;
    expect(await store.claimDelivery('crashed')).toBe(true);
    expect(await store.claimDelivery('done')).toBe(false);
  });

  it('gives a failed claim back at once, but never a completed one', async () => {
    expect(await store.claimDelivery('failed')).toBe(true);
    await store.releaseDelivery('failed');
    expect(await store.claimDelivery('failed')).toBe(true);
    await store.completeDelivery('failed');
    await store.releaseDelivery('failed');
    expect(await store.claimDelivery('failed')).toBe(false);
  });

  it('orders evaluations of a subject and says which head the newest is at', async () => {
    const first = await store.beginEvaluation('octo-org/app#7', 'a'.repeat(40));
    const second = await store.beginEvaluation('octo-org/app#7', 'b'.repeat(40));
    const elsewhere = await store.beginEvaluation('octo-org/app#8', 'c'.repeat(40));
    expect([first, second, elsewhere]).toEqual([1, 2, 1]);
    expect(await store.newerEvaluation('octo-org/app#7', first)).toEqual({ head: 'b'.repeat(40) });
    expect(await store.newerEvaluation('octo-org/app#7', second)).toBeUndefined();
  });

  it('keeps the refs of the previous evaluation', async () => {
    expect(await store.previousRefs('octo-org/app#7')).toBeUndefined();
    await store.saveRefs('octo-org/app#7', { 'octo-org/shared@v1': 'a'.repeat(40) });
    expect(await store.previousRefs('octo-org/app#7')).toEqual({ 'octo-org/shared@v1': 'a'.repeat(40) });
  });

  it('degrades without failing when the table is gone, and says so', async () => {
    const logger = recordingLogger();
    const broken = new DynamoStateStore({ client: DynamoDBDocumentClient.from(db.client), tableName: 'no-such-table', logger });
    expect(await broken.claimDelivery('d-1')).toBe(true);
    await broken.completeDelivery('d-1');
    await broken.releaseDelivery('d-1');
    expect(await broken.beginEvaluation('s', 'a'.repeat(40))).toBe(0);
    expect(await broken.newerEvaluation('s', 0)).toBeUndefined();
    expect(await broken.previousRefs('s')).toBeUndefined();
    await broken.saveRefs('s', {});
    expect(logger.warnings).toEqual([
      'state store unavailable: processing the delivery without the duplicate check',
      'state store unavailable: delivery not marked handled',
      'state store unavailable: delivery claim not released',
      'state store unavailable: evaluations of this subject are not ordered',
      'state store unavailable: moved refs cannot be reported',
      'state store unavailable: resolved refs not saved',
    ]);
  });
});
