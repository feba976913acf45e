import { readFileSync } from 'node:fs';
import { compilePolicy, parsePolicy } from '../../src/policy/parse.js';
import { compileShippedPreset, DEFAULT_PRESET, loadShippedPreset, PRESET_NAMES, shippedPresets } from '../../src/policy/presets.js';
import type { Visibility } from '../../src/graph/types.js';
import type { Policy } from '../../src/policy/types.js';
import { BOTH_KINDS, SLSA_TAG_REQUIREMENT } from '../support/policy.js';

const GITHUB_TABLE: Record<Visibility, Visibility[]> = { public: ['public'], internal: ['internal', 'public'], private: ['private', 'internal', 'public'] };

describe('shipped presets', () => {
  it.each(PRESET_NAMES)('%s is valid against the schema on its own', (name) => {
    const source = loadShippedPreset(name);
    expect(source?.file).toBe(`policies/${name}.yml`);
    expect(source?.text.startsWith('# yaml-language-server: $schema=./schema.json\n')).toBe(true);
    expect(parsePolicy(source?.text ?? '', source?.file ?? '').diagnostics).toEqual([]);
  });

  it('recommended resolves to the documented policy', () => {
    const expected: Policy = {
      version: 1,
      enforcement: 'block',
      platform: {},
      rules: {
        'allowed-sources': { severity: 'off', deny: [], appliesTo: BOTH_KINDS },
        visibility: { severity: 'error', allow: GITHUB_TABLE, checkAccessSetting: true },
        pinning: { severity: 'error', require: 'sha', scope: 'external', verify: true, tagRequired: [SLSA_TAG_REQUIREMENT], appliesTo: BOTH_KINDS },
        'max-depth': { severity: 'error' },
        'secrets-inherit': { severity: 'error', allow: [], allowSameOwner: true },
        permissions: { severity: 'error' },
        contract: { severity: 'error' },
        'caller-impact': { severity: 'error' },
        'platform-limits': { severity: 'error' },
        resolution: { severity: 'error' },
      },
      exceptions: [],
      repositories: [],
      repoPolicy: 'tighten-only',
      sources: ['policies/recommended.yml'],
    };
    expect(compileShippedPreset('recommended')).toEqual({ policy: expected, diagnostics: [] });
    expect(DEFAULT_PRESET).toBe('recommended');
  });

  it('strict resolves to recommended with every call pinned, 3 levels and no secrets: inherit', () => {
    const result = compileShippedPreset('strict');
    expect(result.diagnostics).toEqual([]);
    expect(result.policy?.rules).toEqual({
      'allowed-sources': { severity: 'off', deny: [], appliesTo: BOTH_KINDS },
      visibility: { severity: 'error', allow: GITHUB_TABLE, checkAccessSetting: true },
      pinning: { severity: 'error', require: 'sha', scope: 'all', verify: true, tagRequired: [SLSA_TAG_REQUIREMENT], appliesTo: BOTH_KINDS },
      'max-depth': { severity: 'error', levels: 3 },
      'secrets-inherit': { severity: 'error', allow: [], allowSameOwner: false },
      permissions: { severity: 'error' },
      contract: { severity: 'error' },
      'caller-impact': { severity: 'error' },
      'platform-limits': { severity: 'error' },
      resolution: { severity: 'error' },
    });
    expect(result.policy?.enforcement).toBe('block');
    expect(result.policy?.repoPolicy).toBe('tighten-only');
    expect(result.policy?.sources).toEqual(['policies/recommended.yml', 'policies/strict.yml']);
  });

  it('only loads shipped names, so a policy cannot choose a path', () => {
    expect(loadShippedPreset('../package')).toBeUndefined();
    expect(loadShippedPreset('schema')).toBeUndefined();
    expect(loadShippedPreset('nope')).toBeUndefined();
    expect(compileShippedPreset('nope')).toEqual({
      diagnostics: [{ file: 'policies/nope.yml', line: 1, column: 1, endLine: 1, endColumn: 1, message: 'preset "nope" not found' }],
    });
  });

  it('compiles the PRODUCT.md example on top of recommended', () => {
    const text = readFileSync(new URL('../fixtures/policies/product-example.yml', import.meta.url), 'utf8');
    const result = compilePolicy(text, '.github/workflow-policy.yml', shippedPresets);
    expect(result.diagnostics).toEqual([]);
    const policy = result.policy;
    expect(policy?.platform).toEqual({ maxLevels: 4, maxUnique: 20 });
    expect(policy?.rules['allowed-sources']).toEqual({
      severity: 'error',
      allow: ['my-org/*', 'octo-org/shared/.github/workflows/deploy.yml@*'],
      deny: ['my-org/legacy/*'],
      appliesTo: BOTH_KINDS,
    });
    expect(policy?.rules['max-depth']).toEqual({ severity: 'error', levels: 3 });
    // The example's allow list replaces nothing (recommended has none) and keeps allow-same-owner.
    expect(policy?.rules['secrets-inherit']).toEqual({ severity: 'error', allow: ['my-org/*'], allowSameOwner: true });
    expect(policy?.exceptions.map((exception) => [exception.expires, exception.location])).toEqual([
      ['2027-06-30', { file: '.github/workflow-policy.yml', range: { start: { line: 22, column: 5 }, end: { line: 27, column: 1 } } }],
    ]);
    expect(policy?.repositories.map((entry) => [entry.match, entry.enforcement])).toEqual([[['my-org/sandbox-*'], 'warn']]);
    expect(policy?.sources).toEqual(['policies/recommended.yml', '.github/workflow-policy.yml']);
  });

  it('reports typos in a realistic file, each at its line; presets are checked once the file is valid', () => {
    const text = readFileSync(new URL('../fixtures/policies/typos.yml', import.meta.url), 'utf8');
    const messages = (source: string): string[] =>
      compilePolicy(source, 'typos.yml', shippedPresets).diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`);
    expect(messages(text)).toEqual([
      '6:5 unknown key "alow" in rules.allowed-sources; did you mean "allow"?',
      '9:14 invalid value "tag" for rules.pinning.require; allowed values: "sha", "ref", "any"',
      '13:5 unknown key "allow-same-owners" in rules.secrets-inherit; did you mean "allow-same-owner"?',
    ]);
    const fixed = text.replace('alow:', 'allow:').replace('require: tag', 'require: ref').replace('allow-same-owners', 'allow-same-owner');
    expect(messages(fixed)).toEqual(['3:10 unknown preset "strikt"; did you mean "strict"?']);
  });
});

describe('the README’s first policy', () => {
  it('compiles, and needs no exception for SLSA’s builders: recommended calls them by tag', () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('## Write a first policy'));
    const text = /```yaml\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    const { policy, diagnostics } = compilePolicy(text, 'README.md', shippedPresets);
    expect(diagnostics).toEqual([]);
    expect(policy?.rules.pinning.tagRequired).toEqual([SLSA_TAG_REQUIREMENT]);
    expect(policy?.exceptions.map((exception) => exception.uses)).not.toContainEqual(expect.stringContaining('slsa-framework'));
  });
});
