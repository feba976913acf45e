import { nodeKey, repoKey } from '../../src/graph/types.js';

describe('graph keys', () => {
  it('compares repositories case-insensitively but keeps paths as written', () => {
    expect(repoKey({ owner: 'Octo-Org', name: 'Shared' })).toBe('octo-org/shared');
    expect(nodeKey({ repo: { owner: 'Octo-Org', name: 'Shared' }, path: '.github/workflows/CI.yml', commit: 'a'.repeat(40) })).toBe(
      `octo-org/shared/.github/workflows/CI.yml@${'a'.repeat(40)}`,
    );
  });
});
