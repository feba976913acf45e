// Properties of the parsers and the pattern matcher on generated input (fast-check 4). Each property runs
// with a fixed seed, so a run is reproducible; on failure fast-check prints the seed, the path and the
// shrunk counterexample. The reference matcher below is the documented semantics written as plainly as
// possible, so a disagreement points at the fast matcher.
import fc from 'fast-check';
import { parsePolicy, compilePolicy } from '../../src/policy/parse.js';
import { compilePatterns, matchesPattern } from '../../src/policy/patterns.js';
import { shippedPresets } from '../../src/policy/presets.js';
import { parseWorkflow } from '../../src/workflow/parse.js';
import { formatUses, isFullSha, parseUses, type UsesReference } from '../../src/workflow/uses.js';

const SEED = 20_260_701;
const runs = (numRuns: number): { seed: number; numRuns: number } => ({ seed: SEED, numRuns });

// ---- Generators ------------------------------------------------------------------------------------------

const chars = (alphabet: string): fc.Arbitrary<string> => fc.constantFrom(...alphabet.split(''));
const word = (alphabet: string, maxLength = 8): fc.Arbitrary<string> => fc.string({ unit: chars(alphabet), minLength: 1, maxLength });

const ALNUM = 'abcxyzABCXYZ0189';
/** GitHub account names: alphanumerics and single inner hyphens, at most 39 characters. */
const owner = fc.array(word(ALNUM, 6), { minLength: 1, maxLength: 4 }).map((parts) => parts.join('-')).filter((name) => name.length <= 39);
/** Repository names: letters, digits, `.`, `-`, `_`, never `.` or `..`. */
const repo = word(`${ALNUM}._-`, 10).filter((name) => name !== '.' && name !== '..');
/** A file name directly in .github/workflows: no `/`, `@`, whitespace or backslash, not `.`/`..`. */
const workflowFile = fc
  .tuple(word(`${ALNUM}._-+é`, 10), fc.constantFrom('.yml', '.yaml'))
  .map(([stem, extension]) => stem + extension);
/** One component of a git ref name (git check-ref-format), non-ASCII included. */
const refComponent = fc
  .tuple(word(`${ALNUM}_-+é`, 1), fc.string({ unit: chars(`${ALNUM}._-+é@`), maxLength: 8 }), word(`${ALNUM}_é`, 1))
  .map(([first, middle, last]) => first + middle + last)
  .filter((component) => !component.includes('..') && !component.includes('@{') && !component.endsWith('.lock'));
const namedRef = fc.array(refComponent, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'));
const fullSha = fc.string({ unit: chars('0123456789abcdefABCDEF'), minLength: 40, maxLength: 40 });
const ref = fc.oneof(namedRef, fullSha);
const pathSegment = word(`${ALNUM}._-é`, 8).filter((segment) => segment !== '..');

/** A valid reference of every kind `parseUses` produces, with the context it is written in. */
const validReference: fc.Arbitrary<{ context: 'job' | 'step'; reference: UsesReference }> = fc.oneof(
  fc.record({ owner, repo, file: workflowFile, ref }).map(({ owner: o, repo: r, file, ref: g }) => ({
    context: 'job' as const,
    reference: { kind: 'remote-workflow', owner: o, repo: r, path: `.github/workflows/${file}`, ref: g, refKind: isFullSha(g) ? 'sha' : 'named' } as const,
  })),
  fc.record({ syntax: fc.constantFrom('./' as const, '$/' as const), file: workflowFile }).map(({ syntax, file }) => ({
    context: 'job' as const,
    reference: { kind: 'local-workflow', syntax, path: `.github/workflows/${file}` } as const,
  })),
  fc.record({ owner, repo, subpath: fc.option(fc.array(pathSegment, { minLength: 1, maxLength: 3 }), { nil: undefined }), ref }).map(
    ({ owner: o, repo: r, subpath, ref: g }) => ({
      context: 'step' as const,
      reference: {
        kind: 'action',
        owner: o,
        repo: r,
        ...(subpath && { subpath: subpath.join('/') }),
        ref: g,
        refKind: isFullSha(g) ? 'sha' : 'named',
      } as const,
    }),
  ),
  fc.tuple(fc.constantFrom('./' as const, '$/' as const), fc.array(pathSegment, { minLength: 1, maxLength: 4 })).map(([syntax, segments]) => ({
    context: 'step' as const,
    reference: { kind: 'local-action', syntax, path: segments.join('/') } as const,
  })),
  fc.tuple(word(`${ALNUM}./_-`, 12), fc.constantFrom('', ':latest', ':1.2', '@sha256:0a1b')).map(([image, tag]) => ({
    context: 'step' as const,
    reference: { kind: 'docker', image: image + tag } as const,
  })),
);

/** Strings built from the grammar's own alphabet and pieces, so the parser's branches are all reached. */
const grammarPiece = fc.constantFrom(
  './', '$/', '../', '.github/', 'workflows/', '.github/workflows/', 'x.yml', 'y.yaml', '@', '@v1', '@main', '@{', '/', '//',
  '..', '.', 'octo-org', 'repo', '-', '_', 'docker://', '${{', '}}', ' ', '\t', '\\', '~', '^', ':', '?', '*', '[', '.lock',
  'é', '\u202e', '\u200b', '\0', '0123456789abcdef0123456789abcdef01234567', '#',
);
const grammarString = fc.array(grammarPiece, { maxLength: 24 }).map((pieces) => pieces.join(''));
const anyString = fc.string({ unit: 'binary', maxLength: 120 });

// ---- parseUses ---------------------------------------------------------------------------------------------

describe('parseUses', () => {
  const total = (raw: string, comment: string | undefined): void => {
    for (const context of ['job', 'step'] as const) {
      const parsed = parseUses(raw, context, comment);
      expect(parsed.raw).toBe(raw);
      if (parsed.reference.kind === 'invalid') expect(parsed.reference.message.length).toBeGreaterThan(0);
    }
  };

  it('never throws on arbitrary strings (any code point, lone surrogates included) — 1,000 runs', () => {
    fc.assert(fc.property(anyString, fc.option(anyString, { nil: undefined }), total), runs(1_000));
  });

  it("never throws on strings made of the grammar's own pieces — 1,000 runs", () => {
    fc.assert(fc.property(grammarString, fc.option(grammarString, { nil: undefined }), total), runs(1_000));
  });

  it('parse(format(x)) is x for valid references of every kind — 1,000 runs', () => {
    fc.assert(
      fc.property(validReference, ({ context, reference }) => {
        const text = formatUses(reference);
        expect(parseUses(text, context).reference).toEqual(reference);
        expect(formatUses(parseUses(text, context).reference)).toBe(text);
      }),
      runs(1_000),
    );
  });

  it("refKind is 'sha' exactly when the ref is 40 hexadecimal digits — 1,000 runs", () => {
    const nearSha = fc.oneof(
      fullSha,
      fc.string({ unit: chars('0123456789abcdefABCDEF'), minLength: 39, maxLength: 39 }),
      fc.string({ unit: chars('0123456789abcdefABCDEF'), minLength: 41, maxLength: 41 }),
      fc.tuple(fullSha, fc.nat(39), chars('gGxz')).map(([sha, at, letter]) => sha.slice(0, at) + letter + sha.slice(at + 1)),
      namedRef,
    );
    fc.assert(
      fc.property(owner, repo, workflowFile, nearSha, (o, r, file, g) => {
        const isSha = /^[0-9a-f]{40}$/i.test(g);
        const job = parseUses(`${o}/${r}/.github/workflows/${file}@${g}`, 'job').reference;
        const step = parseUses(`${o}/${r}@${g}`, 'step').reference;
        for (const reference of [job, step]) {
          if (reference.kind !== 'remote-workflow' && reference.kind !== 'action') throw new Error(`not parsed: ${JSON.stringify(reference)}`);
          expect(reference.refKind).toBe(isSha ? 'sha' : 'named');
        }
      }),
      runs(1_000),
    );
  });
});

// ---- The pattern matcher against a reference implementation ---------------------------------------------

/**
 * Where a target's `owner/repo` ends, by the documented rule: before the second `/` or the first `@`,
 * whichever comes first. Written independently of patterns.ts.
 */
function ownerRepoLength(target: string): number {
  const secondSlash = target.split('/', 2).join('/').length;
  const at = target.indexOf('@');
  return Math.min(secondSlash, at === -1 ? target.length : at);
}

/**
 * The documented semantics as a table: `*` matches any run of characters (`/` and `@` included), every other
 * character itself; owner and repository compare ASCII-case-insensitively, the rest exactly; the whole
 * target must match. matches[i][j]: pattern[i..] matches target[j..].
 */
function referenceMatch(pattern: string, target: string): boolean {
  const folded = ownerRepoLength(target);
  const asciiLetter = /^[A-Za-z]$/;
  const same = (p: string, t: string, j: number): boolean =>
    p === t || (j < folded && asciiLetter.test(p) && asciiLetter.test(t) && p.toLowerCase() === t.toLowerCase());
  const matches: boolean[][] = Array.from({ length: pattern.length + 1 }, () => new Array<boolean>(target.length + 1).fill(false));
  matches[pattern.length]![target.length] = true;
  for (let i = pattern.length - 1; i >= 0; i -= 1) {
    for (let j = target.length; j >= 0; j -= 1) {
      const p = pattern[i]!;
      matches[i]![j] =
        p === '*'
          ? matches[i + 1]![j]! || (j < target.length && matches[i]![j + 1]!)
          : j < target.length && same(p, target[j]!, j) && matches[i + 1]![j + 1]!;
    }
  }
  return matches[0]![0]!;
}

/** compilePatterns' documented decision: entries trimmed, `!` blocks (and always wins), empty entries ignored. */
function referenceDecide(patterns: readonly string[], target: string): 'allowed' | 'blocked' | 'unmatched' {
  const trimmed = patterns.map((pattern) => pattern.trim()).filter((pattern) => pattern !== '' && pattern !== '!');
  if (trimmed.some((pattern) => pattern.startsWith('!') && referenceMatch(pattern.slice(1), target))) return 'blocked';
  if (trimmed.some((pattern) => !pattern.startsWith('!') && referenceMatch(pattern, target))) return 'allowed';
  return 'unmatched';
}

// Small alphabets make matches frequent; both cases of letters exercise the owner/repo folding.
const patternText = fc.string({ unit: chars('aAbB/@.*'), maxLength: 14 });
const targetText = fc.string({ unit: chars('aAbB/@.'), maxLength: 18 });
/** Targets shaped like real calls, with case changes in every part. */
const callTarget = fc
  .tuple(word('aAbB', 3), word('aAbB', 3), word('aAbB/', 4), word('aAbB.', 3))
  .map(([o, r, path, g]) => `${o}/${r}/${path}@${g}`);
/** Patterns cut from a call target with stars spliced in, so many of them match it or nearly do. */
const patternFor = (target: string): fc.Arbitrary<string> =>
  fc.array(fc.tuple(fc.nat(target.length), fc.nat(target.length), fc.boolean()), { maxLength: 3 }).map((cuts) =>
    cuts.reduce((pattern, [from, to, flip]) => {
      const start = Math.min(from, to, pattern.length);
      const end = Math.min(Math.max(from, to), pattern.length);
      const middle = flip ? pattern.slice(start, end).toUpperCase() : '*';
      return pattern.slice(0, start) + middle + pattern.slice(end);
    }, target),
  );

describe('matchesPattern and compilePatterns', () => {
  it('never throw on arbitrary strings — 1,000 runs', () => {
    fc.assert(
      fc.property(fc.array(anyString, { maxLength: 5 }), anyString, (patterns, target) => {
        const set = compilePatterns(patterns);
        expect(['allowed', 'blocked', 'unmatched']).toContain(set.decide(target));
        for (const pattern of patterns) expect(typeof matchesPattern(pattern, target)).toBe('boolean');
      }),
      runs(1_000),
    );
  });

  it('agree with the reference matcher on random patterns and targets — 5,000 runs', () => {
    fc.assert(
      fc.property(patternText, targetText, (pattern, target) => {
        expect(matchesPattern(pattern, target)).toBe(referenceMatch(pattern, target));
      }),
      runs(5_000),
    );
  });

  it('agree with the reference matcher on call-shaped targets and patterns cut from them — 3,000 runs', () => {
    fc.assert(
      fc.property(
        callTarget.chain((target) => fc.tuple(fc.constant(target), patternFor(target))),
        ([target, pattern]) => {
          expect(matchesPattern(pattern, target)).toBe(referenceMatch(pattern, target));
        },
      ),
      runs(3_000),
    );
  });

  it('agree with the reference decision for pattern lists with blocks — 2,000 runs', () => {
    const entry = fc.oneof(patternText, patternText.map((pattern) => `!${pattern}`), fc.constantFrom('', ' ', '!', ' !a*'));
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 6 }), targetText, (patterns, target) => {
        expect(compilePatterns(patterns).decide(target)).toBe(referenceDecide(patterns, target));
      }),
      runs(2_000),
    );
  });

  it('a matching block always wins, wherever it sits and whatever is allowed (even `*`) — 2,000 runs', () => {
    fc.assert(
      fc.property(
        callTarget.chain((target) => fc.tuple(fc.constant(target), patternFor(target))),
        fc.array(patternText, { maxLength: 4 }),
        fc.nat(),
        ([target, block], allows, position) => {
          fc.pre(matchesPattern(block, target));
          const allowed = ['*', target, ...allows];
          const at = position % (allowed.length + 1);
          const patterns = [...allowed.slice(0, at), `!${block}`, ...allowed.slice(at)];
          expect(compilePatterns(patterns).decide(target)).toBe('blocked');
          expect(compilePatterns(patterns).matches(target)).toBe(false);
        },
      ),
      runs(2_000),
    );
  });
});

// ---- Parsers never throw ---------------------------------------------------------------------------------

/** YAML-ish text: the tokens workflows and policies are made of, in any order. */
const yamlToken = fc.constantFrom(
  'on:', 'jobs:', 'uses:', 'with:', 'secrets:', 'permissions:', 'steps:', 'version: 1', 'extends:', 'rules:', 'allow:', 'deny:',
  'exceptions:', 'repositories:', 'pinning:', 'severity:', 'recommended', 'strict', '  ', '    ', '\n', '- ', ': ', '[', ']', '{',
  '}', ',', '&a ', '*a', '&b ', '*b', '"', "'", '#', '|', '>', '? ', '!!str ', '!x ', '%YAML 1.1\n', '---\n', '...\n', 'workflow_call',
  './.github/workflows/x.yml', 'o/r/.github/workflows/x.yml@v1', '"my-org/*"', '"!my-org/x"', '\t', '\uFEFF', '\0', 'é', '\u202e', '\r\n',
);
const yamlText = fc.array(yamlToken, { maxLength: 80 }).map((tokens) => tokens.join(''));

describe('parseWorkflow', () => {
  const readsOrReports = (content: string | Uint8Array): void => {
    const workflow = parseWorkflow(content, 'x.yml');
    expect(workflow.path).toBe('x.yml');
    for (const diagnostic of workflow.diagnostics) {
      expect(diagnostic.range.start.line).toBeGreaterThanOrEqual(1);
      expect(diagnostic.range.start.column).toBeGreaterThanOrEqual(1);
    }
  };

  it('never throws on arbitrary strings — 500 runs', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), readsOrReports), runs(500));
  });

  it('never throws on arbitrary bytes — 1,000 runs', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), readsOrReports), runs(1_000));
  });

  it('never throws on YAML-shaped text — 800 runs', () => {
    fc.assert(fc.property(yamlText, readsOrReports), runs(800));
  });
});

describe('parsePolicy and compilePolicy', () => {
  const validatesOrReports = (text: string): void => {
    const parsed = parsePolicy(text, 'p.yml');
    // Exactly one of the two: a policy, or the reasons there is none.
    expect(parsed.policy === undefined).toBe(parsed.diagnostics.length > 0);
    for (const diagnostic of parsed.diagnostics) {
      expect(diagnostic.file).toBe('p.yml');
      expect(diagnostic.line).toBeGreaterThanOrEqual(1);
      expect(diagnostic.column).toBeGreaterThanOrEqual(1);
      expect(diagnostic.message.length).toBeGreaterThan(0);
    }
    const compiled = compilePolicy(text, 'p.yml', shippedPresets);
    expect(compiled.policy === undefined).toBe(compiled.diagnostics.length > 0);
  };

  it('never throw on arbitrary strings — 400 runs', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), validatesOrReports), runs(400));
  });

  it('never throw on YAML-shaped text — 400 runs', () => {
    fc.assert(fc.property(yamlText, validatesOrReports), runs(400));
  });

  it('never throw on policies built from their own keys — 200 runs', () => {
    const value: fc.Arbitrary<unknown> = fc.oneof(
      fc.constantFrom('error', 'warning', 'off', 'block', 'sha', 'all', 'recommended', 'my-org/*', '!x', '2027-02-30', 1, 0, -1, 2.5, true, null),
      fc.array(fc.constantFrom('my-org/*', 'public', 'pinning', 1, null), { maxLength: 3 }),
    );
    const keys = ['version', 'extends', 'enforcement', 'platform', 'rules', 'exceptions', 'repositories', 'repo-policy', 'pinning', 'allow', 'severity', 'unknown'];
    const document: fc.Arbitrary<unknown> = fc.letrec<{ node: unknown }>((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, value, fc.dictionary(fc.constantFrom(...keys), tie('node'), { maxKeys: 4 }), fc.array(tie('node'), { maxLength: 3 })),
    })).node;
    fc.assert(
      fc.property(fc.dictionary(fc.constantFrom(...keys), document, { maxKeys: 6 }), (policy) => validatesOrReports(JSON.stringify({ version: 1, ...policy }))),
      runs(200),
    );
  });
});
