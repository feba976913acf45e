import fc from 'fast-check';
import { compilePatterns, matchesPattern, type PatternDecision } from '../../src/policy/patterns.js';

const SHA = '172239021f7ba04fe7327647b213799853a9eb89';

describe('compilePatterns: GitHub "allowed actions and reusable workflows" syntax', () => {
  const rows: [string, string[], string, PatternDecision][] = [
    // Examples from GitHub Docs ("Allowing select actions and reusable workflows to run").
    ['reusable workflow at a tag', ['octo-org/another-repo/.github/workflows/workflow.yml@v1'], 'octo-org/another-repo/.github/workflows/workflow.yml@v1', 'allowed'],
    ['… not at another tag', ['octo-org/another-repo/.github/workflows/workflow.yml@v1'], 'octo-org/another-repo/.github/workflows/workflow.yml@v1.1', 'unmatched'],
    ['action at a tag', ['actions/javascript-action@v1.0.1'], 'actions/javascript-action@v1.0.1', 'allowed'],
    ['action at a SHA', [`actions/javascript-action@${SHA}`], `actions/javascript-action@${SHA}`, 'allowed'],
    ['organizations starting with space-org', ['space-org*/*'], 'space-org-east/tools/.github/workflows/build.yml@main', 'allowed'],
    ['… not other organizations', ['space-org*/*'], 'spaceorg/tools/.github/workflows/build.yml@main', 'unmatched'],
    ['repositories starting with octocat, any owner', ['*/octocat**@*'], 'monalisa/octocat-ci/.github/workflows/test.yml@v2', 'allowed'],
    ['… not other repositories', ['*/octocat**@*'], 'monalisa/hubot/.github/workflows/test.yml@v2', 'unmatched'],
    // The forms PRODUCT.md names.
    ['owner/*: every workflow of the owner', ['my-org/*'], 'my-org/shared/.github/workflows/deploy.yml@main', 'allowed'],
    ['owner/* is not a prefix of another owner', ['my-org/*'], 'my-org-fork/shared/.github/workflows/deploy.yml@main', 'unmatched'],
    ['owner/repo/*: every workflow of the repository', ['my-org/shared/*'], 'my-org/shared/.github/workflows/deploy.yml@v3', 'allowed'],
    ['owner/repo/* is not another repository', ['my-org/shared/*'], 'my-org/shared-old/.github/workflows/deploy.yml@v3', 'unmatched'],
    ['one file at any ref', ['octo-org/shared/.github/workflows/deploy.yml@*'], `octo-org/shared/.github/workflows/deploy.yml@${SHA}`, 'allowed'],
    ['one file: another file is not matched', ['octo-org/shared/.github/workflows/deploy.yml@*'], 'octo-org/shared/.github/workflows/build.yml@v1', 'unmatched'],
    ['tags by prefix', ['slsa-framework/slsa-github-generator/.github/workflows/*@v*'], 'slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@v2.1.0', 'allowed'],
    ['tags by prefix: a branch is not matched', ['slsa-framework/slsa-github-generator/.github/workflows/*@v*'], 'slsa-framework/slsa-github-generator/.github/workflows/generator_generic_slsa3.yml@main', 'unmatched'],
    ['owner/repo@* names root actions, never a reusable workflow', ['octo-org/shared@*'], 'octo-org/shared/.github/workflows/deploy.yml@v1', 'unmatched'],
    ['owner/repo@* matches the root action', ['octo-org/shared@*'], 'octo-org/shared@v1', 'allowed'],
    ['* alone matches everything', ['*'], 'anyone/anything/.github/workflows/x.yml@feature/a-b', 'allowed'],
    ['refs with slashes are matched by *', ['my-org/*/.github/workflows/*.yml@release/*'], 'my-org/app/.github/workflows/ci.yml@release/2027.1', 'allowed'],
    ['? is not a wildcard', ['my-org/app?/*'], 'my-org/appx/.github/workflows/ci.yml@v1', 'unmatched'],
    ['? is a literal character', ['my-org/app?/*'], 'my-org/app?/.github/workflows/ci.yml@v1', 'allowed'],
    // Case: owner and repository fold, path and ref do not.
    ['owner and repository compare case-insensitively', ['My-Org/Shared/*'], 'my-org/SHARED/.github/workflows/deploy.yml@v1', 'allowed'],
    ['the path compares exactly', ['my-org/shared/.github/workflows/Deploy.yml@*'], 'my-org/shared/.github/workflows/deploy.yml@v1', 'unmatched'],
    ['the ref compares exactly', ['my-org/shared/.github/workflows/deploy.yml@V1'], 'my-org/shared/.github/workflows/deploy.yml@v1', 'unmatched'],
    ['a * spanning the repository folds only there', ['my-org/*/.GITHUB/*'], 'MY-ORG/x/.github/workflows/a.yml@v1', 'unmatched'],
    ['repository targets fold entirely', ['my-org/sandbox-*'], 'My-Org/Sandbox-Tools', 'allowed'],
    // Blocks.
    ['a block wins over an allow', ['my-org/*', '!my-org/legacy/*'], 'my-org/legacy/.github/workflows/old.yml@v1', 'blocked'],
    ['a block wins whatever the order', ['!my-org/legacy/*', 'my-org/*'], 'my-org/legacy/.github/workflows/old.yml@v1', 'blocked'],
    ['a block leaves the rest allowed', ['my-org/*', '!my-org/legacy/*'], 'my-org/current/.github/workflows/ci.yml@v1', 'allowed'],
    ['a block cannot be dodged by case', ['*', '!Evil-Org/*'], 'evil-org/payload/.github/workflows/x.yml@v1', 'blocked'],
    ['a block of one version', ['tj-actions/*', `!tj-actions/changed-files@${SHA}`], `tj-actions/changed-files@${SHA}`, 'blocked'],
    ['blocks alone allow nothing', ['!my-org/legacy/*'], 'my-org/current/.github/workflows/ci.yml@v1', 'unmatched'],
    ['empty entries and a bare ! match nothing', ['', '!', '  '], 'a/b/.github/workflows/c.yml@v1', 'unmatched'],
    ['surrounding spaces are ignored', ['  my-org/*  '], 'my-org/x/.github/workflows/c.yml@v1', 'allowed'],
  ];

  it.each(rows)('%s', (_what, patterns, target, expected) => {
    const set = compilePatterns(patterns);
    expect(set.decide(target)).toBe(expected);
    expect(set.matches(target)).toBe(expected === 'allowed');
  });

  it('keeps allow and block patterns apart, without the !', () => {
    const set = compilePatterns(['my-org/*', '!my-org/legacy/*', 'octo-org/*']);
    expect(set.allow).toEqual(['my-org/*', 'octo-org/*']);
    expect(set.block).toEqual(['my-org/legacy/*']);
  });
});

describe('matchesPattern: linear time', () => {
  const long = 'a'.repeat(10_000);

  it('rejects a pathological pattern against 10,000 characters without backtracking blow-up', () => {
    expect(matchesPattern('*a*a*a*a*a*a*a*a*b', long)).toBe(false);
    expect(matchesPattern('*a*a*a*a*a*a*a*a*b', `${long}b`)).toBe(true);
    expect(matchesPattern(`${'*a'.repeat(200)}*b`, long)).toBe(false);
    expect(matchesPattern(`o/${'*a'.repeat(50)}*@v1`, `o/${long}@v2`)).toBe(false);
  });

  it('agrees with a regular-expression oracle on random patterns', () => {
    // Lower-case only, so case folding does not matter; the oracle escapes every character.
    const oracle = (pattern: string, target: string): boolean =>
      new RegExp(`^${pattern.split('*').map((part) => part.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('.*')}$`, 's').test(target);
    fc.assert(
      fc.property(
        fc.string({ unit: fc.constantFrom('a', 'b', '/', '@', '*'), maxLength: 12 }),
        fc.string({ unit: fc.constantFrom('a', 'b', '/', '@'), maxLength: 16 }),
        (pattern, target) => matchesPattern(pattern, target) === oracle(pattern, target),
      ),
      { numRuns: 2000 },
    );
  });
});
