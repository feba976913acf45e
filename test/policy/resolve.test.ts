import { applyRules, compilePolicy, defaultRules, parsePolicy, resolvePolicy, type ResolveOptions } from '../../src/policy/parse.js';
import { BOTH_KINDS } from '../support/policy.js';
import type { Policy, PolicyDiagnostic, RuleSettings } from '../../src/policy/types.js';

const FILE = '.github/workflow-policy.yml';

/** Presets held in memory, named `<name>` in `presets/<name>.yml`. */
function presets(texts: Record<string, string>): ResolveOptions {
  return {
    loadPreset: (name) => (Object.hasOwn(texts, name) ? { file: `presets/${name}.yml`, text: texts[name] ?? '' } : undefined),
    presetNames: Object.keys(texts),
  };
}

function compiled(text: string, options: ResolveOptions): Policy {
  const result = compilePolicy(text, FILE, options);
  expect(result.diagnostics).toEqual([]);
  if (result.policy === undefined) throw new Error('no policy');
  return result.policy;
}

function failures(text: string, options: ResolveOptions): PolicyDiagnostic[] {
  const result = compilePolicy(text, FILE, options);
  expect(result.policy).toBeUndefined();
  return result.diagnostics;
}

describe('resolvePolicy: defaults', () => {
  it('applies the defaults to a policy with nothing but a version', () => {
    expect(compiled('version: 1\n', presets({}))).toEqual({
      version: 1,
      enforcement: 'block',
      platform: {},
      rules: defaultRules(),
      exceptions: [],
      repositories: [],
      repoPolicy: 'tighten-only',
      sources: [FILE],
    });
    expect(defaultRules()).toEqual({
      'allowed-sources': { severity: 'off', deny: [], appliesTo: BOTH_KINDS },
      visibility: {
        severity: 'error',
        allow: { public: ['public'], internal: ['internal', 'public'], private: ['private', 'internal', 'public'] },
        checkAccessSetting: true,
      },
      pinning: { severity: 'off', require: 'sha', scope: 'external', verify: true, tagRequired: [], appliesTo: BOTH_KINDS },
      'max-depth': { severity: 'off' },
      'secrets-inherit': { severity: 'off', allow: [], allowSameOwner: false },
      permissions: { severity: 'error' },
      contract: { severity: 'error' },
      'caller-impact': { severity: 'error' },
      'platform-limits': { severity: 'error' },
      resolution: { severity: 'error' },
    });
  });

  it('turns a listed rule on with its default options', () => {
    const policy = compiled('version: 1\nrules:\n  pinning: {}\n  max-depth: { levels: 5 }\n  allowed-sources: { deny: [x/*] }\n', presets({}));
    expect(policy.rules.pinning).toEqual({ severity: 'error', require: 'sha', scope: 'external', verify: true, tagRequired: [], appliesTo: BOTH_KINDS });
    expect(policy.rules['max-depth']).toEqual({ severity: 'error', levels: 5 });
    expect(policy.rules['allowed-sources']).toEqual({ severity: 'error', deny: ['x/*'], appliesTo: BOTH_KINDS });
  });
});

describe('resolvePolicy: merge semantics (parent preset, child file)', () => {
  // [what, parent (after `version: 1`), child (after `version: 1` and `extends: parent`), select, expected]
  type Row = [string, string, string, (policy: Policy) => unknown, unknown];
  const rows: Row[] = [
    ['scalar kept when the child is silent', 'enforcement: warn\n', '', (p) => p.enforcement, 'warn'],
    ['scalar: the child wins', 'enforcement: warn\n', 'enforcement: off\n', (p) => p.enforcement, 'off'],
    ['repo-policy: the child wins', 'repo-policy: none\n', 'repo-policy: override\n', (p) => p.repoPolicy, 'override'],
    ['platform merges key by key', 'platform: { max-levels: 4 }\n', 'platform: { max-unique: 20 }\n', (p) => p.platform, { maxLevels: 4, maxUnique: 20 }],
    ['platform: the child value wins', 'platform: { max-levels: 4 }\n', 'platform: { max-levels: 6 }\n', (p) => p.platform, { maxLevels: 6 }],
    [
      'allowed-sources.allow is replaced',
      'rules:\n  allowed-sources: { allow: [a/*, b/*] }\n',
      'rules:\n  allowed-sources: { allow: [c/*] }\n',
      (p) => p.rules['allowed-sources'].allow,
      ['c/*'],
    ],
    [
      'allowed-sources.allow kept when the child only adds deny',
      'rules:\n  allowed-sources: { allow: [a/*] }\n',
      'rules:\n  allowed-sources: { deny: [a/old] }\n',
      (p) => p.rules['allowed-sources'],
      { severity: 'error', allow: ['a/*'], deny: ['a/old'], appliesTo: BOTH_KINDS },
    ],
    [
      'deny lists add up (no duplicates), the parent first',
      'rules:\n  allowed-sources: { deny: [x/*, y/*] }\n',
      'rules:\n  allowed-sources: { deny: [z/*, x/*] }\n',
      (p) => p.rules['allowed-sources'].deny,
      ['x/*', 'y/*', 'z/*'],
    ],
    [
      'pinning.tag-required entries add up; the child’s entry for the same pattern replaces the parent’s',
      'rules:\n  pinning:\n    tag-required:\n      - { uses: "a/b/*", reason: "old", url: "https://a.example/b" }\n      - { uses: "c/d/*", reason: "kept" }\n',
      'rules:\n  pinning:\n    tag-required: [{ uses: "a/b/*", reason: "new" }, { uses: "e/f/*", ref: vX.Y.Z, reason: "added" }]\n',
      (p) => p.rules.pinning.tagRequired,
      [
        { uses: 'a/b/*', ref: 'vX.Y.Z', reason: 'new' },
        { uses: 'c/d/*', ref: 'vX.Y.Z', reason: 'kept' },
        { uses: 'e/f/*', ref: 'vX.Y.Z', reason: 'added' },
      ],
    ],
    [
      'applies-to is replaced',
      'rules:\n  pinning: { applies-to: [actions] }\n',
      'rules:\n  pinning: { applies-to: [reusable-workflows] }\n',
      (p) => p.rules.pinning.appliesTo,
      ['reusable-workflows'],
    ],
    [
      'an empty deny in the child removes nothing',
      'rules:\n  allowed-sources: { deny: [x/*] }\n',
      'rules:\n  allowed-sources: { deny: [] }\n',
      (p) => p.rules['allowed-sources'].deny,
      ['x/*'],
    ],
    [
      'secrets-inherit.allow is replaced, allow-same-owner kept',
      'rules:\n  secrets-inherit: { allow: [a/*], allow-same-owner: true }\n',
      'rules:\n  secrets-inherit: { allow: [] }\n',
      (p) => p.rules['secrets-inherit'],
      { severity: 'error', allow: [], allowSameOwner: true },
    ],
    [
      'visibility.allow merges key by key, each list replaced',
      'rules:\n  visibility: { allow: { private: [private] } }\n',
      'rules:\n  visibility: { allow: { public: [] } }\n',
      (p) => p.rules.visibility.allow,
      { public: [], internal: ['internal', 'public'], private: ['private'] },
    ],
    [
      'a rule option changed by the child keeps the parent severity',
      'rules:\n  pinning: { severity: warning, scope: all }\n',
      'rules:\n  pinning: { require: ref }\n',
      (p) => p.rules.pinning,
      { severity: 'warning', require: 'ref', scope: 'all', verify: true, tagRequired: [], appliesTo: BOTH_KINDS },
    ],
    [
      'a rule the parent turned off is turned on when the child configures it',
      'rules:\n  pinning: { severity: off }\n',
      'rules:\n  pinning: { scope: all }\n',
      (p) => p.rules.pinning.severity,
      'error',
    ],
    [
      'the child can turn a rule off',
      'rules:\n  max-depth: { levels: 3 }\n',
      'rules:\n  max-depth: { severity: off }\n',
      (p) => p.rules['max-depth'],
      { severity: 'off', levels: 3 },
    ],
    [
      'exceptions add up, each with its own location',
      'exceptions:\n  - uses: a/b/*\n    rules: [pinning]\n    reason: parent\n',
      'exceptions:\n  - uses: c/d/*\n    rules: [contract]\n    reason: child\n    expires: 2027-01-31\n',
      (p) => p.exceptions,
      [
        {
          uses: 'a/b/*',
          rules: ['pinning'],
          reason: 'parent',
          location: { file: 'presets/parent.yml', range: { start: { line: 3, column: 5 }, end: { line: 6, column: 1 } } },
        },
        {
          uses: 'c/d/*',
          rules: ['contract'],
          reason: 'child',
          expires: '2027-01-31',
          location: { file: FILE, range: { start: { line: 4, column: 5 }, end: { line: 8, column: 1 } } },
        },
      ],
    ],
    [
      'repositories add up, the parent first',
      'repositories:\n  - match: [o/sandbox-*]\n    enforcement: warn\n',
      'repositories:\n  - match: [o/sandbox-prod]\n    enforcement: block\n    rules: { pinning: { scope: all } }\n',
      (p) => p.repositories.map((entry) => [entry.match, entry.enforcement, entry.rules, entry.location.file]),
      [
        [['o/sandbox-*'], 'warn', undefined, 'presets/parent.yml'],
        [['o/sandbox-prod'], 'block', { pinning: { scope: 'all' } }, FILE],
      ],
    ],
  ];

  it.each(rows)('%s', (_what, parent, child, select, expected) => {
    const options = presets({ parent: `version: 1\n${parent}` });
    expect(select(compiled(`version: 1\nextends: parent\n${child}`, options))).toEqual(expected);
  });

  it('applies an extends list left to right, then the file', () => {
    const options = presets({
      a: 'version: 1\nenforcement: warn\nrules:\n  allowed-sources: { allow: [a/*], deny: [a/old] }\n',
      b: 'version: 1\nenforcement: off\nrules:\n  allowed-sources: { deny: [b/old] }\n',
    });
    const policy = compiled('version: 1\nextends: [a, b]\nrules:\n  allowed-sources: { deny: [c/old] }\n', options);
    expect(policy.enforcement).toBe('off');
    expect(policy.rules['allowed-sources']).toEqual({ severity: 'error', allow: ['a/*'], deny: ['a/old', 'b/old', 'c/old'], appliesTo: BOTH_KINDS });
    expect(policy.sources).toEqual(['presets/a.yml', 'presets/b.yml', FILE]);
  });

  it('applies a preset reached twice only once, where it is first reached', () => {
    const options = presets({
      base: 'version: 1\nenforcement: warn\n',
      left: 'version: 1\nextends: base\n',
      right: 'version: 1\nextends: base\nenforcement: off\n',
    });
    const policy = compiled('version: 1\nextends: [left, right]\n', options);
    expect(policy.enforcement).toBe('off');
    expect(policy.sources).toEqual(['presets/base.yml', 'presets/left.yml', 'presets/right.yml', FILE]);
  });

  it('merges repository rules with the same semantics (applyRules)', () => {
    const policy = compiled(
      'version: 1\nrules:\n  allowed-sources: { allow: [o/*], deny: [o/old] }\nrepositories:\n  - match: [o/lab-*]\n    rules:\n      allowed-sources: { allow: [o/*, lab/*], deny: [lab/bad] }\n      pinning: { severity: warning }\n',
      presets({}),
    );
    const [lab] = policy.repositories;
    const rules: RuleSettings = applyRules(policy.rules, lab?.rules);
    expect(rules['allowed-sources']).toEqual({ severity: 'error', allow: ['o/*', 'lab/*'], deny: ['o/old', 'lab/bad'], appliesTo: BOTH_KINDS });
    expect(rules.pinning.severity).toBe('warning');
    expect(policy.rules.pinning.severity).toBe('off');
  });

  it('returns policies that share no arrays with cached presets', () => {
    const options = presets({ parent: 'version: 1\nrules:\n  allowed-sources: { allow: [a/*] }\n' });
    const first = compiled('version: 1\nextends: parent\n', options);
    first.rules['allowed-sources'].allow?.push('mutated/*');
    expect(compiled('version: 1\nextends: parent\n', options).rules['allowed-sources'].allow).toEqual(['a/*']);
  });
});

describe('resolvePolicy: extends errors at the extends line', () => {
  function at(file: string, line: number, column: number, endLine: number, endColumn: number, message: string): PolicyDiagnostic {
    return { file, line, column, endLine, endColumn, message };
  }

  it('reports an unknown preset with a hint', () => {
    expect(failures('version: 1\nextends: recomended\n', presets({ recommended: 'version: 1\n', strict: 'version: 1\n' }))).toEqual([
      at(FILE, 2, 10, 2, 20, 'unknown preset "recomended"; did you mean "recommended"?'),
    ]);
  });

  it('reports an unknown preset in a list at its own entry', () => {
    expect(failures('version: 1\nextends:\n  - strict\n  - nope\n', presets({ recommended: 'version: 1\n', strict: 'version: 1\n' }))).toEqual([
      at(FILE, 4, 5, 4, 9, 'unknown preset "nope"; available presets: "recommended", "strict"'),
    ]);
  });

  it('reports an unknown preset without a hint when no names are known', () => {
    expect(failures('version: 1\nextends: x\n', { loadPreset: () => undefined })).toEqual([at(FILE, 2, 10, 2, 11, 'unknown preset "x"')]);
  });

  it('reports a circular chain where it closes', () => {
    const options = presets({ a: 'version: 1\nextends: b\n', b: 'version: 1\nenforcement: warn\nextends: [a]\n' });
    expect(failures('version: 1\nextends: a\n', options)).toEqual([at('presets/b.yml', 3, 11, 3, 12, 'circular extends: a → b → a')]);
  });

  it('reports a preset extending itself', () => {
    expect(failures('version: 1\nextends: a\n', presets({ a: 'version: 1\nextends: a\n' }))).toEqual([
      at('presets/a.yml', 2, 10, 2, 11, 'circular extends: a → a'),
    ]);
  });

  it('reports an invalid preset at its own line and at the extends line', () => {
    expect(failures('version: 1\nextends: broken\n', presets({ broken: 'version: 1\nenforcement: maybe\n' }))).toEqual([
      at(FILE, 2, 10, 2, 16, 'preset "broken" (presets/broken.yml) is invalid'),
      at('presets/broken.yml', 2, 14, 2, 19, 'invalid value "maybe" for enforcement; allowed values: "block", "warn", "off"'),
    ]);
  });

  it('stops chains deeper than the limit', () => {
    const texts: Record<string, string> = {};
    for (let i = 0; i < 10; i += 1) texts[`p${i}`] = `version: 1\nextends: p${i + 1}\n`;
    texts.p10 = 'version: 1\n';
    expect(failures('version: 1\nextends: p0\n', presets(texts))).toEqual([
      at('presets/p7.yml', 2, 10, 2, 12, 'extends nested more than 8 presets deep'),
    ]);
  });

  it('resolves an already parsed document', () => {
    const parsed = parsePolicy('version: 1\nextends: base\n', FILE);
    if (parsed.policy === undefined) throw new Error('parse failed');
    const result = resolvePolicy(parsed.policy, presets({ base: 'version: 1\nenforcement: warn\n' }));
    expect(result.diagnostics).toEqual([]);
    expect(result.policy?.enforcement).toBe('warn');
  });
});
