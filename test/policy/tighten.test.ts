import fc from 'fast-check';
import { collectPolicyLayers, formatPolicyDiagnostic, parsePolicy } from '../../src/policy/parse.js';
import { matchesPattern, patternCovers } from '../../src/policy/patterns.js';
import { shippedPresets } from '../../src/policy/presets.js';
import { tightenPolicy, type TightenResult } from '../../src/policy/tighten.js';
import type { Policy } from '../../src/policy/types.js';
import { BOTH_KINDS, policyFrom } from '../support/policy.js';

const ORG_FILE = 'octo-org/.github:.github/workflow-policy.yml';
const REPO_FILE = 'octo-org/app:.github/workflow-policy.yml';

/** Strict where a repository could try to loosen it. */
const STRONG_ORG = policyFrom(
  `version: 1
enforcement: block
platform: { max-levels: 6, max-unique: 30 }
rules:
  allowed-sources:
    allow: ["octo-org/*", "actions-org/reusable/*", "!octo-org/legacy/*"]
    deny: ["evil/*"]
  visibility: {}
  pinning: { severity: error, require: sha, scope: all, verify: true }
  max-depth: { levels: 3 }
  secrets-inherit: { allow: ["octo-org/*"], allow-same-owner: false }
  contract: { severity: error }
`,
  ORG_FILE,
);

/** Loose where a repository could tighten it. */
const WEAK_ORG = policyFrom(
  `version: 1
enforcement: warn
rules:
  pinning: { severity: warning, require: ref, scope: external, verify: false }
  visibility: { check-access-setting: false }
  secrets-inherit: { allow: ["octo-org/*", "partner/*"], allow-same-owner: true }
  permissions: { severity: off }
`,
  ORG_FILE,
);

/** The repository file (after `version: 1`) applied over `org` with its presets, as the loader does. */
function tighten(org: Policy, body: string): TightenResult {
  const parsed = parsePolicy(`version: 1\n${body}`, REPO_FILE);
  expect(parsed.diagnostics).toEqual([]);
  const { layers, diagnostics } = collectPolicyLayers(parsed.policy!, shippedPresets);
  expect(diagnostics).toEqual([]);
  return tightenPolicy(org, layers);
}

function notesOf(result: TightenResult): string[] {
  return result.notes.map(formatPolicyDiagnostic);
}

describe('tightenPolicy: a repository cannot loosen the organization policy', () => {
  // [attempt, repository file after `version: 1`, the note it gets]
  type Row = [string, string, string[]];
  const loosen = (key: string, value: string, current: string, order: string): string =>
    `${key} ${value} ignored; it is looser than ${current} in force, and a repository policy may only tighten (${order})`;
  const rows: Row[] = [
    ['a lower severity', 'rules:\n  pinning:\n    severity: warning\n', [`${REPO_FILE}:4:15: ${loosen('rules.pinning.severity', '"warning"', '"error"', 'off < warning < error')}`]],
    ['a rule switched off', 'rules:\n  contract: { severity: off }\n', [`${REPO_FILE}:3:25: ${loosen('rules.contract.severity', '"off"', '"error"', 'off < warning < error')}`]],
    ['enforcement warn', 'enforcement: warn\n', [`${REPO_FILE}:2:14: ${loosen('enforcement', '"warn"', '"block"', 'off < warn < block')}`]],
    ['enforcement off', 'enforcement: off\n', [`${REPO_FILE}:2:14: ${loosen('enforcement', '"off"', '"block"', 'off < warn < block')}`]],
    ['pinning require any', 'rules:\n  pinning:\n    require: any\n', [`${REPO_FILE}:4:14: ${loosen('rules.pinning.require', '"any"', '"sha"', 'any < ref < sha')}`]],
    ['pinning require ref', 'rules:\n  pinning: { require: ref }\n', [`${REPO_FILE}:3:23: ${loosen('rules.pinning.require', '"ref"', '"sha"', 'any < ref < sha')}`]],
    ['pinning scope external', 'rules:\n  pinning:\n    scope: external\n', [`${REPO_FILE}:4:12: ${loosen('rules.pinning.scope', '"external"', '"all"', 'external < all')}`]],
    [
      'pinning verify false',
      'rules:\n  pinning:\n    verify: false\n',
      [`${REPO_FILE}:4:13: rules.pinning.verify false ignored; the policy in force sets it to true, and a repository policy may only switch it on`],
    ],
    [
      'pinning applies-to without actions',
      'rules:\n  pinning:\n    applies-to: [reusable-workflows]\n',
      [`${REPO_FILE}:4:17: rules.pinning.applies-to without actions ignored for those; the policy in force judges them, and a repository policy may only add kinds`],
    ],
    [
      'pinning tag-required: a callee the organization does not list',
      'rules:\n  pinning:\n    tag-required: [{ uses: "stranger/builder/*", reason: "by tag" }]\n',
      [
        `${REPO_FILE}:4:20: rules.pinning.tag-required entry "stranger/builder/*" ignored; it lets a callee be called by a tag instead of a SHA, and a repository policy may only tighten: tag requirements belong in the organization policy`,
      ],
    ],
    [
      'allowed-sources allow adding a source',
      'rules:\n  allowed-sources:\n    allow: ["octo-org/*", "actions-org/reusable/*", "stranger/*"]\n',
      [
        `${REPO_FILE}:4:53: rules.allowed-sources.allow entry "stranger/*" ignored; it is not within the list in force ("octo-org/*", "actions-org/reusable/*"), and a repository policy may only narrow that list`,
      ],
    ],
    ['allowed-sources allow everything', 'rules:\n  allowed-sources: { allow: ["*"] }\n', []],
    ['allowed-sources deny emptied', 'rules:\n  allowed-sources: { deny: [] }\n', []],
    ['secrets-inherit allow everything', 'rules:\n  secrets-inherit: { allow: ["*"] }\n', []],
    [
      'secrets-inherit allow-same-owner true',
      'rules:\n  secrets-inherit:\n    allow-same-owner: true\n',
      [`${REPO_FILE}:4:23: rules.secrets-inherit.allow-same-owner true ignored; the policy in force sets it to false, and a repository policy may only switch it off`],
    ],
    [
      'visibility allow widened',
      'rules:\n  visibility:\n    allow: { public: [public, private] }\n',
      [
        `${REPO_FILE}:4:31: rules.visibility.allow.public "private" ignored; the policy in force does not let public repositories call private ones, and a repository policy may only narrow the list`,
      ],
    ],
    [
      'visibility access setting off',
      'rules:\n  visibility:\n    check-access-setting: false\n',
      [`${REPO_FILE}:4:27: rules.visibility.check-access-setting false ignored; the policy in force sets it to true, and a repository policy may only switch it on`],
    ],
    [
      'a bigger max-depth',
      'rules:\n  max-depth: { levels: 5 }\n',
      [`${REPO_FILE}:3:24: rules.max-depth.levels 5 ignored; it is higher than 3 in force, and a repository policy may only lower it`],
    ],
    [
      'a higher platform limit',
      'platform:\n  max-levels: 8\n  max-unique: 30\n',
      [`${REPO_FILE}:3:15: platform.max-levels 8 ignored; it is higher than 6 in force, and a repository policy may only lower it`],
    ],
    [
      'exceptions',
      'exceptions:\n  - uses: "stranger/*"\n    rules: [allowed-sources, pinning]\n    reason: we need it\n',
      [
        `${REPO_FILE}:3:3: exceptions ignored; a repository policy cannot exempt its own repository: exceptions belong in the organization policy`,
      ],
    ],
    [
      'repositories',
      'repositories:\n  - match: ["octo-org/app"]\n    enforcement: off\n',
      [`${REPO_FILE}:3:3: repositories ignored; overrides for groups of repositories are decided by the organization policy`],
    ],
    [
      'repo-policy override',
      'repo-policy: override\n',
      [`${REPO_FILE}:2:14: repo-policy "override" ignored; only the organization policy decides what a repository policy may do ("tighten-only")`],
    ],
  ];

  it.each(rows)('%s leaves the organization value in place', (_, body, notes) => {
    const result = tighten(STRONG_ORG, body);
    expect(notesOf(result)).toEqual(notes);
    // Everything but the list of files merged is the organization policy, unchanged.
    expect({ ...result.policy, sources: STRONG_ORG.sources }).toEqual(STRONG_ORG);
    expect(result.policy.sources).toEqual([ORG_FILE, REPO_FILE]);
  });

  it("keeps the organization's blocks when the repository allows exactly what they block", () => {
    const result = tighten(STRONG_ORG, 'rules:\n  allowed-sources: { allow: ["octo-org/legacy/*"] }\n');
    expect(notesOf(result)).toEqual([]);
    expect(result.policy.rules['allowed-sources']).toEqual({
      severity: 'error',
      allow: ['octo-org/legacy/*', '!octo-org/legacy/*'],
      deny: ['evil/*'],
      appliesTo: BOTH_KINDS,
    });
    expect(allowedBy(result.policy.rules['allowed-sources'].allow ?? [], 'octo-org/legacy/.github/workflows/x.yml@v1')).toBe(false);
  });

  it('ignores a looser preset named by extends, pointing at the preset line', () => {
    const result = tighten(STRONG_ORG, 'extends: recommended\n');
    expect({ ...result.policy, sources: STRONG_ORG.sources }).toEqual(STRONG_ORG);
    expect(result.policy.sources).toEqual([ORG_FILE, 'policies/recommended.yml', REPO_FILE]);
    expect(notesOf(result)).toEqual([
      `policies/recommended.yml:24:12: ${loosen('rules.pinning.scope', '"external"', '"all"', 'external < all')}`,
      `policies/recommended.yml:34:9: ${SLSA_IGNORED}`,
      'policies/recommended.yml:48:23: rules.secrets-inherit.allow-same-owner true ignored; the policy in force sets it to false, and a repository policy may only switch it off',
    ]);
  });
});

const SLSA_IGNORED =
  'rules.pinning.tag-required entry "slsa-framework/slsa-github-generator/.github/workflows/*" ignored; it lets a callee be called by a tag instead of a SHA, and a repository policy may only tighten: tag requirements belong in the organization policy';

/** GitHub's semantics for one allow list: matches an entry, no `!` entry. */
function allowedBy(list: readonly string[], target: string): boolean {
  const blocks = list.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const allows = list.filter((p) => !p.startsWith('!'));
  return !blocks.some((p) => matchesPattern(p, target)) && allows.some((p) => matchesPattern(p, target));
}

describe('tightenPolicy: what a repository may tighten', () => {
  // [what, organization policy, repository file after `version: 1`, select, expected, notes]
  type Row = [string, Policy, string, (policy: Policy) => unknown, unknown, string[]];
  const rows: Row[] = [
    ['enforcement warn → block', WEAK_ORG, 'enforcement: block\n', (p) => p.enforcement, 'block', []],
    ['severity warning → error', WEAK_ORG, 'rules:\n  pinning: { severity: error }\n', (p) => p.rules.pinning.severity, 'error', []],
    ['a rule that is off, listed, is turned on', WEAK_ORG, 'rules:\n  permissions: {}\n', (p) => p.rules.permissions, { severity: 'error' }, []],
    ['a listed rule keeps its severity', WEAK_ORG, 'rules:\n  pinning: { scope: all }\n', (p) => p.rules.pinning.severity, 'warning', []],
    [
      'pinning require, scope and verify',
      WEAK_ORG,
      'rules:\n  pinning: { require: sha, scope: all, verify: true }\n',
      (p) => p.rules.pinning,
      { severity: 'warning', require: 'sha', scope: 'all', verify: true, tagRequired: [], appliesTo: BOTH_KINDS },
      [],
    ],
    ['max-depth where none is set', WEAK_ORG, 'rules:\n  max-depth: { levels: 5 }\n', (p) => p.rules['max-depth'], { severity: 'error', levels: 5 }, []],
    ['max-depth lowered', STRONG_ORG, 'rules:\n  max-depth: { levels: 2 }\n', (p) => p.rules['max-depth'], { severity: 'error', levels: 2 }, []],
    [
      'allowed-sources: a repository list where none is set',
      WEAK_ORG,
      'rules:\n  allowed-sources: { allow: ["octo-org/*"] }\n',
      (p) => p.rules['allowed-sources'],
      { severity: 'error', allow: ['octo-org/*'], deny: [], appliesTo: BOTH_KINDS },
      [],
    ],
    [
      'allowed-sources: a narrower list and more blocks',
      STRONG_ORG,
      'rules:\n  allowed-sources: { allow: ["octo-org/shared/*", "!octo-org/shared/.github/workflows/old.yml@*"], deny: ["octo-org/x/*"] }\n',
      (p) => p.rules['allowed-sources'],
      {
        severity: 'error',
        allow: ['octo-org/shared/*', '!octo-org/legacy/*', '!octo-org/shared/.github/workflows/old.yml@*'],
        deny: ['evil/*', 'octo-org/x/*'],
        appliesTo: BOTH_KINDS,
      },
      [],
    ],
    [
      'allowed-sources: a pattern that only partly overlaps is dropped (stricter)',
      STRONG_ORG,
      'rules:\n  allowed-sources: { allow: ["*/shared/*", "octo-org/ci/*"] }\n',
      (p) => p.rules['allowed-sources'].allow,
      ['octo-org/ci/*', '!octo-org/legacy/*'],
      [
        `${REPO_FILE}:3:30: rules.allowed-sources.allow entry "*/shared/*" ignored; it is not within the list in force ("octo-org/*", "actions-org/reusable/*"), and a repository policy may only narrow that list`,
      ],
    ],
    [
      'allowed-sources: a wider pattern keeps the organization entries it covers',
      STRONG_ORG,
      'rules:\n  allowed-sources: { allow: ["actions-org/*"] }\n',
      (p) => p.rules['allowed-sources'].allow,
      ['actions-org/reusable/*', '!octo-org/legacy/*'],
      [],
    ],
    [
      'secrets-inherit: allow intersected, same owner withdrawn',
      WEAK_ORG,
      'rules:\n  secrets-inherit: { allow: ["partner/*", "octo-org/shared/*", "else/*"], allow-same-owner: false }\n',
      (p) => p.rules['secrets-inherit'],
      { severity: 'error', allow: ['partner/*', 'octo-org/shared/*'], allowSameOwner: false },
      [
        `${REPO_FILE}:3:64: rules.secrets-inherit.allow entry "else/*" ignored; it is not within the list in force ("octo-org/*", "partner/*"), and a repository policy may only narrow that list`,
      ],
    ],
    [
      'visibility: a narrower table and the access setting on',
      WEAK_ORG,
      'rules:\n  visibility: { allow: { private: [private] }, check-access-setting: true }\n',
      (p) => p.rules.visibility,
      {
        severity: 'error',
        allow: { public: ['public'], internal: ['internal', 'public'], private: ['private'] },
        checkAccessSetting: true,
      },
      [],
    ],
    ['platform lowered below the value in force', STRONG_ORG, 'platform: { max-levels: 4 }\n', (p) => p.platform, { maxLevels: 4, maxUnique: 30 }, []],
    ['platform set within every host limit', WEAK_ORG, 'platform: { max-levels: 3, max-unique: 20 }\n', (p) => p.platform, { maxLevels: 3, maxUnique: 20 }, []],
    [
      'platform above some host limit, with no value in force',
      WEAK_ORG,
      'platform: { max-levels: 8 }\n',
      (p) => p.platform,
      {},
      [
        `${REPO_FILE}:2:25: platform.max-levels 8 ignored; the host's own limit is in force, and above 4 (the lowest limit of any host) a figure could hide a run GitHub fails; rules.max-depth limits nesting freely`,
      ],
    ],
    [
      'extends strict applies what strict demands',
      WEAK_ORG,
      'extends: strict\n',
      (p) => [p.enforcement, p.rules.pinning, p.rules['max-depth'], p.rules['secrets-inherit']],
      [
        'block',
        { severity: 'error', require: 'sha', scope: 'all', verify: true, tagRequired: [], appliesTo: BOTH_KINDS },
        { severity: 'error', levels: 3 },
        { severity: 'error', allow: [], allowSameOwner: false },
      ],
      // The organization policy lists no tag-required callee: the preset's would let SLSA's builders be called by tag.
      [`policies/recommended.yml:34:9: ${SLSA_IGNORED}`],
    ],
  ];

  it.each(rows)('%s', (_, org, body, select, expected, notes) => {
    const result = tighten(org, body);
    expect(select(result.policy)).toEqual(expected);
    expect(notesOf(result)).toEqual(notes);
  });

  it('keeps exceptions and repo-policy of the organization as they are', () => {
    const org = policyFrom(
      'version: 1\nexceptions:\n  - uses: "x/y/.github/workflows/z.yml@v1"\n    rules: [pinning]\n    reason: r\n    expires: 2020-01-01\nrepo-policy: tighten-only\n',
      ORG_FILE,
    );
    const result = tighten(org, 'rules:\n  pinning: {}\n');
    expect(result.policy.exceptions).toEqual(org.exceptions);
    expect(result.policy.exceptions[0]?.expires).toBe('2020-01-01');
    expect(result.policy.repoPolicy).toBe('tighten-only');
  });
});

describe('patternCovers', () => {
  it.each([
    ['octo-org/*', 'octo-org/shared/*', true],
    ['octo-org/shared/*', 'octo-org/*', false],
    ['*', 'anything/*', true],
    ['x/y', '*', false],
    ['a*b', 'a*b', true],
    ['a*', '*a', false],
    ['*a', 'b*a', true],
    ['a**', 'a*', true],
    ['octo-org/*@v*', 'octo-org/r/.github/workflows/x.yml@v1', true],
    ['octo-org/*@v*', 'octo-org/r/.github/workflows/x.yml@*', false],
    // Exact comparison: a case difference answers "not covered", the stricter answer.
    ['Octo-Org/*', 'octo-org/*', false],
  ])('%s covers %s: %s', (outer, inner, expected) => {
    expect(patternCovers(outer, inner)).toBe(expected);
  });

  const pattern = fc.string({ unit: fc.constantFrom('a', 'B', 'b', '/', '@', '*'), maxLength: 7 });
  const target = fc.string({ unit: fc.constantFrom('a', 'A', 'b', 'B', '/', '@'), maxLength: 9 });

  it('is sound: whatever the inner pattern matches, the outer one matches too', () => {
    fc.assert(
      fc.property(pattern, pattern, target, (outer, inner, t) => {
        if (patternCovers(outer, inner) && matchesPattern(inner, t)) expect(matchesPattern(outer, t)).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });

  it('is exact up to case: when it answers no, a target of the inner pattern escapes the outer one', () => {
    fc.assert(
      fc.property(pattern, pattern, (outer, inner) => {
        if (patternCovers(outer, inner)) return;
        const witness = inner.replace(/\*/g, '#');
        expect(matchesPattern(inner, witness)).toBe(true);
        // `#` is in no pattern, so only a star of `outer` could take it; case folding may still match.
        if (matchesPattern(outer, witness)) expect(outer.toLowerCase() !== outer || inner.toLowerCase() !== inner).toBe(true);
      }),
      { numRuns: 3000 },
    );
  });
});
