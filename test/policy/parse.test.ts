import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { formatPolicyDiagnostic, MAX_POLICY_CHARS, parsePolicy } from '../../src/policy/parse.js';
import type { PolicyDiagnostic } from '../../src/policy/types.js';

const FILE = '.github/workflow-policy.yml';

function diag(line: number, column: number, endLine: number, endColumn: number, message: string): PolicyDiagnostic {
  return { file: FILE, line, column, endLine, endColumn, message };
}

function diagnosticsOf(text: string): PolicyDiagnostic[] {
  const result = parsePolicy(text, FILE);
  expect(result.policy).toBeUndefined();
  return result.diagnostics;
}

const RULE_KEYS =
  '"allowed-sources", "visibility", "pinning", "max-depth", "secrets-inherit", "permissions", "contract", "caller-impact", "platform-limits", "resolution"';
const EXEMPTIBLE = '"allowed-sources", "visibility", "pinning", "max-depth", "secrets-inherit", "permissions", "contract"';

describe('parsePolicy: schema errors at the offending node', () => {
  const cases: [string, string, PolicyDiagnostic[]][] = [
    [
      'unknown rule, close to a known one',
      'version: 1\nenforcement: block\nrules:\n  pinning: {}\n  max-depth: {}\n  secrets-inherit: {}\n  pinnning:\n    require: sha\n',
      [diag(7, 3, 7, 11, 'unknown key "pinnning" in rules; did you mean "pinning"?')],
    ],
    [
      'unknown top-level key',
      'version: 1\nenforcment: block\n',
      [diag(2, 1, 2, 11, 'unknown key "enforcment" in the policy; did you mean "enforcement"?')],
    ],
    [
      'unknown key with no close match lists the allowed keys',
      'version: 1\nrules:\n  zzzzzz: {}\n',
      [diag(3, 3, 3, 9, `unknown key "zzzzzz" in rules; allowed keys: ${RULE_KEYS}`)],
    ],
    [
      'unknown option of a rule (transposed letters)',
      'version: 1\nrules:\n  pinning:\n    reqiure: sha\n',
      [diag(4, 5, 4, 12, 'unknown key "reqiure" in rules.pinning; did you mean "require"?')],
    ],
    [
      'unknown visibility key in a flow mapping',
      'version: 1\nrules:\n  visibility:\n    allow: { privat: [private] }\n',
      [diag(4, 14, 4, 20, 'unknown key "privat" in rules.visibility.allow; did you mean "private"?')],
    ],
    [
      'wrong type',
      'version: 1\nrules:\n  max-depth:\n    levels: three\n',
      [diag(4, 13, 4, 18, 'rules.max-depth.levels must be an integer; got "three"')],
    ],
    [
      'boolean expected',
      'version: 1\nrules:\n  pinning: { verify: "yes" }\n',
      [diag(3, 22, 3, 27, 'rules.pinning.verify must be true or false; got "yes"')],
    ],
    [
      'empty rule section: points at the key and says how to write an empty mapping',
      'version: 1\nrules:\n  pinning:\n',
      [diag(3, 3, 3, 10, 'rules.pinning must be a mapping; got an empty value; write `pinning: {}` for an empty mapping')],
    ],
    [
      'bad enum with a close value',
      'version: 1\nenforcement: blok\n',
      [diag(2, 14, 2, 18, 'invalid value "blok" for enforcement; allowed values: "block", "warn", "off"; did you mean "block"?')],
    ],
    [
      'bad enum without a close value',
      'version: 1\nrules:\n  pinning:\n    require: tag-or-sha\n',
      [diag(4, 14, 4, 24, 'invalid value "tag-or-sha" for rules.pinning.require; allowed values: "sha", "ref", "any"')],
    ],
    [
      'non-string enum value',
      'version: 1\nrepo-policy: 3\n',
      [diag(2, 14, 2, 15, 'invalid value 3 for repo-policy; allowed values: "none", "tighten-only", "override"')],
    ],
    [
      'platform-limits cannot be turned off',
      'version: 1\nrules:\n  platform-limits: { severity: off }\n',
      [diag(3, 32, 3, 35, 'invalid value "off" for rules.platform-limits.severity; allowed values: "error"')],
    ],
    [
      'an exception cannot waive resolution, and a typo gets a hint',
      'version: 1\nexceptions:\n  - uses: a/b/*\n    rules: [resolution, pining]\n    reason: r\n',
      [
        diag(4, 13, 4, 23, `invalid value "resolution" for exceptions[0].rules[0]; allowed values: ${EXEMPTIBLE}`),
        diag(4, 25, 4, 31, `invalid value "pining" for exceptions[0].rules[1]; allowed values: ${EXEMPTIBLE}; did you mean "pinning"?`),
      ],
    ],
    [
      'impossible date',
      'version: 1\nexceptions:\n  - uses: "a/b/*"\n    rules: [pinning]\n    reason: x\n    expires: 2027-02-30\n',
      [diag(6, 14, 6, 24, 'invalid date "2027-02-30" for exceptions[0].expires; expected a calendar date as YYYY-MM-DD, such as 2027-06-30')],
    ],
    [
      'date not in YYYY-MM-DD form, and a timestamp',
      'version: 1\nexceptions:\n  - uses: a/b/*\n    rules: [pinning]\n    reason: x\n    expires: 2027-6-30\n  - uses: a/c/*\n    rules: [pinning]\n    reason: x\n    expires: 2027-06-30T00:00:00Z\n',
      [
        diag(6, 14, 6, 23, 'invalid date "2027-6-30" for exceptions[0].expires; expected a calendar date as YYYY-MM-DD, such as 2027-06-30'),
        diag(10, 14, 10, 34, 'invalid date "2027-06-30T00:00:00Z" for exceptions[1].expires; expected a calendar date as YYYY-MM-DD, such as 2027-06-30'),
      ],
    ],
    [
      'missing required keys point at the item',
      'version: 1\nexceptions:\n  - uses: "a/b/*"\n    expires: 2027-06-30\n',
      [
        diag(3, 5, 5, 1, 'missing required key "rules" in exceptions[0]'),
        diag(3, 5, 5, 1, 'missing required key "reason" in exceptions[0]'),
      ],
    ],
    ['wrong version', 'version: 2\n', [diag(1, 10, 1, 11, 'version must be 1; got 2')]],
    ['version as a string', 'version: "1"\n', [diag(1, 10, 1, 13, 'version must be 1; got "1"')]],
    ['missing version', 'enforcement: warn\n', [diag(1, 1, 2, 1, 'missing required key "version" in the policy')]],
    ['a scalar instead of a mapping', 'hello\n', [diag(1, 1, 1, 6, 'the policy must be a mapping; got "hello"')]],
    ['a list instead of a mapping', '- version: 1\n', [diag(1, 1, 2, 1, 'the policy must be a mapping; got a list')]],
    [
      '`!` inside deny, and spaces',
      'version: 1\nrules:\n  allowed-sources:\n    deny: ["!x/y", "a b"]\n',
      [
        diag(4, 12, 4, 18, 'invalid value "!x/y" for rules.allowed-sources.deny[0]; expected a pattern such as `my-org/legacy/*`: no spaces and no `!` (every entry of `deny` already blocks)'),
        diag(4, 20, 4, 25, 'invalid value "a b" for rules.allowed-sources.deny[1]; expected a pattern such as `my-org/legacy/*`: no spaces and no `!` (every entry of `deny` already blocks)'),
      ],
    ],
    [
      '`!` in the middle of an allow pattern',
      'version: 1\nrules:\n  allowed-sources:\n    allow: ["my-org/!x"]\n',
      [
        diag(4, 13, 4, 24, 'invalid value "my-org/!x" for rules.allowed-sources.allow[0]; expected a pattern such as `my-org/*` or `my-org/repo/.github/workflows/deploy.yml@*`: no spaces, and `!` only as the first character'),
      ],
    ],
    ['extends of the wrong type', 'version: 1\nextends: 5\n', [diag(2, 10, 2, 11, 'extends must be a string or a list; got 5')]],
    ['extends list with a number', 'version: 1\nextends: [recommended, 5]\n', [diag(2, 24, 2, 25, 'extends[1] must be a string; got 5')]],
    [
      'extends with a path',
      'version: 1\nextends: ../secrets\n',
      [diag(2, 10, 2, 20, 'invalid value "../secrets" for extends; expected a preset name: letters, digits, `.`, `_` and `-`, such as `recommended`')],
    ],
    ['empty extends list', 'version: 1\nextends: []\n', [diag(2, 10, 2, 12, 'extends must not be empty')]],
    [
      'duplicate list entry points at the repeat',
      'version: 1\nrules:\n  allowed-sources:\n    allow: [a/*, b/*, a/*]\n',
      [diag(4, 23, 4, 26, 'duplicate entry "a/*" in rules.allowed-sources.allow')],
    ],
    [
      'a tag-required callee written with a ref, an unknown form and no reason',
      'version: 1\nrules:\n  pinning:\n    tag-required:\n      - { uses: "a/b/.github/workflows/x.yml@v1", ref: v1, reason: r }\n      - { uses: "a/c/*" }\n',
      [
        diag(5, 17, 5, 49, 'invalid value "a/b/.github/workflows/x.yml@v1" for rules.pinning.tag-required[0].uses; expected a pattern without a ref, such as `slsa-framework/slsa-github-generator/.github/workflows/*`: no spaces, no `!` and no `@`'),
        diag(5, 56, 5, 58, 'invalid value "v1" for rules.pinning.tag-required[0].ref; allowed values: "vX.Y.Z"'),
        diag(6, 9, 6, 26, 'missing required key "reason" in rules.pinning.tag-required[1]'),
      ],
    ],
    ['below the minimum', 'version: 1\nplatform: { max-levels: 0 }\n', [diag(2, 25, 2, 26, 'platform.max-levels must be at least 1; got 0')]],
    [
      'empty strings and lists',
      'version: 1\nexceptions:\n  - uses: a/b/*\n    rules: []\n    reason: ""\n',
      [diag(4, 12, 4, 14, 'exceptions[0].rules must not be empty'), diag(5, 13, 5, 15, 'exceptions[0].reason must not be empty')],
    ],
    [
      'an error inside an alias is reported where the anchored value is written, once per use',
      'version: 1\nrepositories:\n  - match: [a/*]\n    rules: &shared { pinning: { require: sha1 } }\n  - match: [b/*]\n    rules: *shared\n',
      [
        diag(4, 42, 4, 46, 'invalid value "sha1" for repositories[0].rules.pinning.require; allowed values: "sha", "ref", "any"; did you mean "sha"?'),
        diag(4, 42, 4, 46, 'invalid value "sha1" for repositories[1].rules.pinning.require; allowed values: "sha", "ref", "any"; did you mean "sha"?'),
      ],
    ],
    [
      'several errors come back in line order',
      'version: 1\nrules:\n  pinning: { scope: everything }\nenforcement: stop\nrepo-policy: lax\n',
      [
        diag(3, 21, 3, 31, 'invalid value "everything" for rules.pinning.scope; allowed values: "external", "all"'),
        diag(4, 14, 4, 18, 'invalid value "stop" for enforcement; allowed values: "block", "warn", "off"'),
        diag(5, 14, 5, 17, 'invalid value "lax" for repo-policy; allowed values: "none", "tighten-only", "override"'),
      ],
    ],
  ];

  it.each(cases)('%s', (_name, text, expected) => {
    expect(diagnosticsOf(text)).toEqual(expected);
  });
});

describe('parsePolicy: YAML problems', () => {
  const cases: [string, string, PolicyDiagnostic[]][] = [
    [
      'duplicate keys are errors, at the second key',
      'version: 1\nrules:\n  pinning: {}\n  pinning: { scope: all }\n',
      [diag(4, 3, 4, 10, 'duplicate key "pinning"; a key may appear only once in a mapping')],
    ],
    [
      'syntax error',
      'version: 1\nrules:\n  pinning: { scope: all\nenforcement: warn\n',
      [diag(4, 1, 4, 2, 'YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }')],
    ],
    ['tab indentation', 'version: 1\nrules:\n\tpinning: {}\n', [diag(3, 1, 3, 2, 'YAML syntax error: Tabs are not allowed as indentation')]],
    [
      'an unquoted `!pattern` is a YAML tag, which would silently drop the block',
      'version: 1\nrules:\n  allowed-sources:\n    allow:\n      - my-org/*\n      - !my-org/legacy/*\n',
      [diag(6, 9, 6, 25, 'unknown YAML tag "!my-org/legacy/*"; a value that starts with "!" must be quoted, as in "!my-org/legacy/*"')],
    ],
    ['an unknown standard tag', 'version: 1\nenforcement: !!mode block\n', [diag(2, 14, 2, 20, 'unknown YAML tag "tag:yaml.org,2002:mode"')]],
    ['unknown alias', 'version: 1\nenforcement: *mode\n', [diag(2, 14, 2, 19, 'unknown YAML alias "*mode"')]],
    ['non-string key', 'version: 1\n? [a, b]\n: 1\n', [diag(2, 3, 2, 9, 'keys must be plain strings')]],
    [
      'two documents',
      'version: 1\n---\nversion: 1\n',
      [diag(2, 1, 4, 1, 'YAML syntax error: Source contains multiple documents; please use YAML.parseAllDocuments()')],
    ],
    ['empty file', '', [diag(1, 1, 1, 1, 'policy file is empty; it needs at least `version: 1`')]],
    ['comments only', '# policy\n# to do\n', [diag(1, 1, 1, 1, 'policy file is empty; it needs at least `version: 1`')]],
    [
      'alias expansion beyond the cap',
      `version: 1\nx: &a [1, 2, 3]\ny: [${Array.from({ length: 120 }, () => '*a').join(', ')}]\n`,
      [diag(1, 1, 1, 1, 'too many YAML aliases (more than 100 expansions)')],
    ],
  ];

  it.each(cases)('%s', (_name, text, expected) => {
    expect(diagnosticsOf(text)).toEqual(expected);
  });

  it('counts lines the same with CRLF line ends', () => {
    expect(diagnosticsOf('version: 1\r\nrules:\r\n  pinnning: {}\r\n')).toEqual([
      diag(3, 3, 3, 11, 'unknown key "pinnning" in rules; did you mean "pinning"?'),
    ]);
  });

  it('never throws, whatever the text', () => {
    const yamlish = fc.string({
      unit: fc.constantFrom('version', ': ', '1', '\n', '  ', '- ', 'rules', 'pinning', '{', '}', '[', ']', ',', '&a', '*a', '!', '"', "'", '#', '?', '\t', 'x'),
      maxLength: 40,
    });
    fc.assert(
      fc.property(fc.oneof(yamlish, fc.string()), (text) => {
        const result = parsePolicy(text, FILE);
        return (result.policy === undefined) === result.diagnostics.length > 0;
      }),
      { numRuns: 1500 },
    );
  });

  it('refuses a file over the size cap before parsing it', () => {
    const text = `version: 1\n#${'x'.repeat(MAX_POLICY_CHARS)}\n`;
    expect(diagnosticsOf(text)).toEqual([
      diag(1, 1, 1, 1, `policy file is too large (${text.length} characters; the limit is ${MAX_POLICY_CHARS})`),
    ]);
  });

  const MERGE_KEY = 'YAML merge keys (<<) are not supported; write the keys out';
  it.each([
    ['a plain << without a directive', '', '<<: *p', 5],
    ['a plain << under %YAML 1.1', '%YAML 1.1\n---\n', '<<: *p', 7],
    ['a !!merge << (which yaml merges even under the core schema)', '', '!!merge <<: *p', 5],
  ])('%s: one diagnostic at the << key, and nothing merged', (_name, directive, key, line) => {
    const text = `${directive}version: 1\nrules:\n  pinning: &p\n    require: sha\n  max-depth:\n    ${key}\n    levels: 3\n`;
    const column = key.indexOf('<<') + 5;
    // Merged, `require` would land in max-depth; the only diagnostic is the merge key's own.
    expect(diagnosticsOf(text)).toEqual([diag(line + 1, column, line + 1, column + 2, MERGE_KEY)]);
  });

  it('a quoted "<<" is an ordinary key, which the schema then judges', () => {
    expect(diagnosticsOf('version: 1\nrules:\n  max-depth:\n    "<<": 3\n')).toEqual([
      diag(4, 5, 4, 9, 'unknown key "<<" in rules.max-depth; allowed keys: "severity", "levels"'),
    ]);
  });

  it('reads YAML 1.2 even under a %YAML 1.1 directive (dates stay strings)', () => {
    const result = parsePolicy(
      '%YAML 1.1\n---\nversion: 1\nexceptions:\n  - uses: a/b/*\n    rules: [pinning]\n    reason: r\n    expires: 2027-06-30\n',
      FILE,
    );
    expect(result.diagnostics).toEqual([]);
    expect(result.policy?.value.exceptions?.[0]?.expires).toBe('2027-06-30');
  });
});

describe('parsePolicy: valid files', () => {
  it('returns the document as written and locates its nodes', () => {
    const text = readFileSync(new URL('../fixtures/policies/product-example.yml', import.meta.url), 'utf8');
    const result = parsePolicy(text, FILE);
    expect(result.diagnostics).toEqual([]);
    const policy = result.policy;
    expect(policy?.file).toBe(FILE);
    expect(policy?.value.extends).toBe('recommended');
    expect(policy?.value.platform).toEqual({ 'max-levels': 4, 'max-unique': 20 });
    expect(policy?.value.rules?.['allowed-sources']).toEqual({
      allow: ['my-org/*', 'octo-org/shared/.github/workflows/deploy.yml@*'],
      deny: ['my-org/legacy/*'],
    });
    expect(policy?.value.exceptions).toEqual([
      {
        uses: 'slsa-framework/slsa-github-generator/.github/workflows/*@v*',
        rules: ['pinning'],
        repos: ['my-org/*'],
        reason: 'the SLSA generator must be called by tag',
        expires: '2027-06-30',
      },
    ]);
    expect(policy?.locate(['exceptions', 0, 'expires'])).toEqual({ start: { line: 26, column: 14 }, end: { line: 26, column: 24 } });
    expect(policy?.locate(['rules', 'allowed-sources', 'deny', 0])).toEqual({ start: { line: 9, column: 13 }, end: { line: 9, column: 30 } });
    // Absent paths fall back to the nearest ancestor that exists.
    expect(policy?.locate(['rules', 'pinning', 'nothing-here'])).toEqual({ start: { line: 14, column: 5 }, end: { line: 17, column: 1 } });
  });

  it('formats a diagnostic as file:line:column: message', () => {
    const [first] = diagnosticsOf('version: 1\nrules:\n  pinning: {}\n  max-depth: {}\n  secrets-inherit: {}\n  permissions: {}\n  pinnning: {}\n');
    expect(first && formatPolicyDiagnostic(first)).toBe(
      '.github/workflow-policy.yml:7:3: unknown key "pinnning" in rules; did you mean "pinning"?',
    );
  });

  it('accepts a `!` block pattern in allow lists when quoted', () => {
    const result = parsePolicy('version: 1\nrules:\n  allowed-sources:\n    allow: ["my-org/*", "!my-org/legacy/*"]\n', FILE);
    expect(result.diagnostics).toEqual([]);
    expect(result.policy?.value.rules?.['allowed-sources']?.allow).toEqual(['my-org/*', '!my-org/legacy/*']);
  });
});
