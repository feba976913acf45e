// The committed bundle is what a fresh build of the sources makes, byte for byte: it cannot go stale.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ACTION_BUNDLE, buildActionBundle } from '../../scripts/action-bundle.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

describe('action/index.mjs', () => {
  it('is the fresh build of src/action.ts (run `npm run build:action` after changing the sources)', async () => {
    const fresh = await buildActionBundle(ROOT);
    const committed = await readFile(join(ROOT, ACTION_BUNDLE), 'utf8');

    // Their digests: a diff of two half-megabyte lines helps nobody.
    expect(sha256(committed)).toBe(sha256(fresh));
    // GitHub's workflow parser and its schema (@actions/workflow-parser) take about 190 KB of it.
    expect(Buffer.byteLength(fresh)).toBeLessThan(750_000);
  });
});
