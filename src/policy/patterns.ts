// GitHub's "allowed actions and reusable workflows" pattern syntax, used by `allowed-sources`,
// `secrets-inherit`, exceptions and repository matching.
//
// Semantics (GitHub Docs, "Allowing select actions and reusable workflows to run", and the changelog
// "GitHub Actions policy now supports blocking and SHA pinning actions", 2025-08-15):
// - A pattern names what a workflow calls, in the syntax of the call: `OWNER/REPOSITORY@REF` for an
//   action, `OWNER/REPOSITORY/PATH/FILENAME@REF` for a reusable workflow.
// - `*` matches any run of characters, `/` and `@` included (the documented `space-org*/*` allows
//   every action and reusable workflow of those organizations). `**` is the same as `*`. No other
//   character is special: there is no `?`, class or escape.
// - The whole target must match: `octo-org/repo@*` names actions at the root of that repository and
//   never matches a reusable workflow (`octo-org/repo/.github/workflows/x.yml@v1`); use `octo-org/repo/*`.
// - A leading `!` blocks. Blocks are evaluated last and override any allow, so a block always wins.
// - Owner and repository names compare case-insensitively (GitHub resolves them that way, so a
//   case change must not slip past a block); the file path and the ref compare exactly, as Git does.
//
// Matching is the two-pointer glob algorithm that remembers only the last `*`: O(n·m) at worst,
// never exponential, and no RegExp is ever built from policy text.

export type PatternDecision = 'allowed' | 'blocked' | 'unmatched';

export interface PatternSet {
  /** Patterns that allow, as written. */
  readonly allow: readonly string[];
  /** Patterns that block, without their `!`. */
  readonly block: readonly string[];
  /** True when the target is allowed and not blocked. */
  matches(target: string): boolean;
  decide(target: string): PatternDecision;
}

/** Compiles a pattern list; `!`-prefixed entries block. Empty entries match nothing. */
export function compilePatterns(patterns: readonly string[]): PatternSet {
  const allow: string[] = [];
  const block: string[] = [];
  for (const raw of patterns) {
    const pattern = raw.trim();
    if (pattern.startsWith('!')) {
      const blocked = pattern.slice(1);
      if (blocked !== '') block.push(blocked);
    } else if (pattern !== '') {
      allow.push(pattern);
    }
  }
  const decide = (target: string): PatternDecision => {
    const foldEnd = repositoryEnd(target);
    if (block.some((pattern) => matchesUpTo(pattern, target, foldEnd))) return 'blocked';
    if (allow.some((pattern) => matchesUpTo(pattern, target, foldEnd))) return 'allowed';
    return 'unmatched';
  };
  return { allow, block, decide, matches: (target) => decide(target) === 'allowed' };
}

/** Whether one pattern (without `!`) matches the whole target. */
export function matchesPattern(pattern: string, target: string): boolean {
  return matchesUpTo(pattern, target, repositoryEnd(target));
}

/** `matchesPattern` with the end of the target's case-insensitive `owner/repo` part already found. */
function matchesUpTo(pattern: string, target: string, foldEnd: number): boolean {
  return globMatch(pattern, target.length, (code, t) => sameChar(code, target.charCodeAt(t), t < foldEnd));
}

/**
 * Whether every target `inner` matches is also matched by `outer` (both without `!`). Decided by matching
 * `outer` against the text of `inner` in which each `*` is a symbol only a `*` of `outer` can consume:
 * if that matches, whatever `inner`'s stars stand for, `outer`'s stars can stand for it too; if it does
 * not, the text with a fresh character for each star is a target of `inner` that `outer` misses.
 * Characters compare exactly (no case folding): a pair that differs only in an owner's case is answered
 * "not covered", which can only make the caller stricter, never looser.
 */
export function patternCovers(outer: string, inner: string): boolean {
  return globMatch(outer, inner.length, (code, t) => inner.charCodeAt(t) !== STAR && code === inner.charCodeAt(t));
}

/**
 * `*` glob matching of the whole text (`length` characters, compared through `same`) with the classic
 * two-pointer algorithm: O(n·m) at worst, no backtracking blow-up, no RegExp built from policy text.
 */
function globMatch(pattern: string, length: number, same: (patternCode: number, textIndex: number) => boolean): boolean {
  let p = 0;
  let t = 0;
  let starP = -1;
  let starT = 0;
  while (t < length) {
    if (p < pattern.length && pattern.charCodeAt(p) === STAR) {
      starP = p;
      starT = t;
      p += 1;
    } else if (p < pattern.length && same(pattern.charCodeAt(p), t)) {
      p += 1;
      t += 1;
    } else if (starP >= 0) {
      // Let the last `*` swallow one more character and retry from there. Earlier stars never
      // need revisiting (a later star can absorb whatever they would have), hence O(n·m).
      p = starP + 1;
      starT += 1;
      t = starT;
    } else {
      return false;
    }
  }
  while (p < pattern.length && pattern.charCodeAt(p) === STAR) p += 1;
  return p === pattern.length;
}

const STAR = 0x2a;
const SLASH = 0x2f;
const AT = 0x40;

/** End of the `owner/repo` part of a target: the second `/`, the `@`, or the end. */
function repositoryEnd(target: string): number {
  let slashes = 0;
  for (let i = 0; i < target.length; i += 1) {
    const code = target.charCodeAt(i);
    if (code === AT) return i;
    if (code === SLASH) {
      slashes += 1;
      if (slashes === 2) return i;
    }
  }
  return target.length;
}

/** GitHub owner and repository names are ASCII, so ASCII case folding is exact for them. */
function sameChar(a: number, b: number, foldCase: boolean): boolean {
  if (a === b) return true;
  return foldCase && asciiLower(a) === asciiLower(b);
}

function asciiLower(code: number): number {
  return code >= 0x41 && code <= 0x5a ? code + 0x20 : code;
}
