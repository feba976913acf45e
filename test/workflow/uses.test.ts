import fc from 'fast-check';
import { formatUses, isFullSha, parseUses } from '../../src/workflow/uses.js';
import type { InvalidUsesReason, UsesReference } from '../../src/workflow/uses.js';

const SHA = '8f4b7f84864484a7bf31766abe9204da3cbe65b3';

describe('parseUses: valid job references (reusable workflows)', () => {
  const cases: [string, UsesReference][] = [
    [
      'octo-org/example-repo/.github/workflows/workflow-A.yml@v1',
      { kind: 'remote-workflow', owner: 'octo-org', repo: 'example-repo', path: '.github/workflows/workflow-A.yml', ref: 'v1', refKind: 'named' },
    ],
    [
      `octo-org/shared/.github/workflows/build.yml@${SHA}`,
      { kind: 'remote-workflow', owner: 'octo-org', repo: 'shared', path: '.github/workflows/build.yml', ref: SHA, refKind: 'sha' },
    ],
    [
      `Octo-Org/repo.js/.github/workflows/deploy.yaml@${SHA.toUpperCase()}`,
      { kind: 'remote-workflow', owner: 'Octo-Org', repo: 'repo.js', path: '.github/workflows/deploy.yaml', ref: SHA.toUpperCase(), refKind: 'sha' },
    ],
    [
      'octo/my_repo-2/.github/workflows/ci.yml@8f4b7f8',
      { kind: 'remote-workflow', owner: 'octo', repo: 'my_repo-2', path: '.github/workflows/ci.yml', ref: '8f4b7f8', refKind: 'named' },
    ],
    [
      'octo/repo/.github/workflows/ci.yml@release/v1.2',
      { kind: 'remote-workflow', owner: 'octo', repo: 'repo', path: '.github/workflows/ci.yml', ref: 'release/v1.2', refKind: 'named' },
    ],
    [
      `${'a'.repeat(39)}/r/.github/workflows/x.yml@main`,
      { kind: 'remote-workflow', owner: 'a'.repeat(39), repo: 'r', path: '.github/workflows/x.yml', ref: 'main', refKind: 'named' },
    ],
    // A 41-character hex string is a (strange) name, not a commit.
    [
      `o/r/.github/workflows/x.yml@${SHA}a`,
      { kind: 'remote-workflow', owner: 'o', repo: 'r', path: '.github/workflows/x.yml', ref: `${SHA}a`, refKind: 'named' },
    ],
    ['./.github/workflows/ci.yml', { kind: 'local-workflow', syntax: './', path: '.github/workflows/ci.yml' }],
    ['$/.github/workflows/deploy.yaml', { kind: 'local-workflow', syntax: '$/', path: '.github/workflows/deploy.yaml' }],
  ];

  it.each(cases)('%s', (raw, reference) => {
    expect(parseUses(raw, 'job')).toEqual({ raw, reference });
  });
});

describe('parseUses: valid step references (actions)', () => {
  const cases: [string, UsesReference][] = [
    ['actions/checkout@v4', { kind: 'action', owner: 'actions', repo: 'checkout', ref: 'v4', refKind: 'named' }],
    [`actions/checkout@${SHA}`, { kind: 'action', owner: 'actions', repo: 'checkout', ref: SHA, refKind: 'sha' }],
    ['github/codeql-action/init@v3', { kind: 'action', owner: 'github', repo: 'codeql-action', subpath: 'init', ref: 'v3', refKind: 'named' }],
    [
      `octo/monorepo/actions/deploy@${SHA}`,
      { kind: 'action', owner: 'octo', repo: 'monorepo', subpath: 'actions/deploy', ref: SHA, refKind: 'sha' },
    ],
    ['./.github/actions/deploy', { kind: 'local-action', syntax: './', path: '.github/actions/deploy' }],
    ['./', { kind: 'local-action', syntax: './', path: '' }],
    ['$/.github/actions/deploy', { kind: 'local-action', syntax: '$/', path: '.github/actions/deploy' }],
    ['$/lib/helper/', { kind: 'local-action', syntax: '$/', path: 'lib/helper/' }],
    ['docker://alpine:3.19', { kind: 'docker', image: 'alpine:3.19' }],
    ['docker://ghcr.io/octo/tool@sha256:0123abcd', { kind: 'docker', image: 'ghcr.io/octo/tool@sha256:0123abcd' }],
  ];

  it.each(cases)('%s', (raw, reference) => {
    expect(parseUses(raw, 'step')).toEqual({ raw, reference });
  });
});

describe('parseUses: invalid job references', () => {
  const cases: [string, InvalidUsesReason][] = [
    ['', 'empty'],
    ['   ', 'empty'],
    ['${{ inputs.workflow }}', 'expression'],
    ['octo/repo/.github/workflows/x.yml@${{ inputs.ref }}', 'expression'],
    ['./.github/workflows/${{ inputs.file }}', 'expression'],
    ['octo/repo/.github/workflows/sub/x.yml@v1', 'subdirectory'],
    ['./.github/workflows/sub/x.yml', 'subdirectory'],
    ['$/.github/workflows/a/b/x.yml', 'subdirectory'],
    ['octo/repo@v1', 'not-a-workflow-path'],
    ['octo/repo/path/x.yml@v1', 'not-a-workflow-path'],
    ['octo/repo/.github/workflows/x.json@v1', 'not-a-workflow-path'],
    ['octo/repo/.github/workflows/.yml@v1', 'not-a-workflow-path'],
    ['octo/repo/.github/x.yml@v1', 'not-a-workflow-path'],
    ['octo/repo/.github/workflows//x.yml@v1', 'not-a-workflow-path'],
    ['docker://alpine:3.19', 'not-a-workflow-path'],
    ['./ci.yml', 'not-a-workflow-path'],
    ['./.github/actions/build', 'not-a-workflow-path'],
    ['octo', 'not-a-workflow-path'],
    ['./.github/workflows/x.yml@v1', 'ref-on-local'],
    ['$/.github/workflows/x.yml@main', 'ref-on-local'],
    ['octo/repo/.github/workflows/x.yml', 'missing-ref'],
    ['octo/repo/.github/workflows/x.yml@', 'empty-ref'],
    ['octo/repo/.github/workflows/../x.yml@v1', 'path-traversal'],
    ['octo/../.github/workflows/x.yml@v1', 'path-traversal'],
    ['./.github/workflows/../../secrets.yml', 'path-traversal'],
    ['-octo/repo/.github/workflows/x.yml@v1', 'bad-characters'],
    ['octo-/repo/.github/workflows/x.yml@v1', 'bad-characters'],
    ['oc--to/repo/.github/workflows/x.yml@v1', 'bad-characters'],
    ['oc_to/repo/.github/workflows/x.yml@v1', 'bad-characters'],
    [`${'a'.repeat(40)}/repo/.github/workflows/x.yml@v1`, 'bad-characters'],
    ['/repo/.github/workflows/x.yml@v1', 'bad-characters'],
    ['octo/re po/.github/workflows/x.yml@v1', 'bad-characters'],
    ['octo/re$po/.github/workflows/x.yml@v1', 'bad-characters'],
    ['octo/./.github/workflows/x.yml@v1', 'bad-characters'],
    ['octo/repo/.github/workflows/my file.yml@v1', 'bad-characters'],
    ['./.github/workflows/tab\tfile.yml', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@v1 2', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@v1~1', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@v1^', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@a:b', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@v?', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@v*', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@v[1', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@v\\1', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@v1\u0007', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@v1..2', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@v1@{0}', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@@', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@/v1', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@v1/', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@a//b', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@v1.', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@v1.lock', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@.hidden', 'bad-characters'],
    ['octo/repo/.github/workflows/x.yml@a/.b', 'bad-characters'],
  ];

  it.each(cases)('%j is %s', (raw, reason) => {
    const { reference } = parseUses(raw, 'job');
    expect(reference).toEqual({ kind: 'invalid', reason, message: expect.any(String) });
  });
});

describe('parseUses: invalid step references', () => {
  const cases: [string, InvalidUsesReason][] = [
    ['', 'empty'],
    ['docker://', 'empty'],
    ['actions/checkout@${{ inputs.version }}', 'expression'],
    ['actions/checkout', 'missing-ref'],
    ['actions/checkout@', 'empty-ref'],
    ['checkout@v4', 'not-a-workflow-path'],
    ['actions//checkout@v4', 'not-a-workflow-path'],
    ['actions/../checkout@v4', 'path-traversal'],
    ['bad owner/checkout@v4', 'bad-characters'],
    ['actions/checkout/sub dir@v4', 'bad-characters'],
    ['actions/checkout@v4~1', 'bad-characters'],
    ['docker://alpine 3', 'bad-characters'],
    ['./../outside', 'path-traversal'],
    ['$/.github/../../etc', 'path-traversal'],
    ['./actions/my action', 'bad-characters'],
    ['$/.github/actions/setup@v1', 'ref-on-local'],
  ];

  it.each(cases)('%j is %s', (raw, reason) => {
    const { reference } = parseUses(raw, 'step');
    expect(reference).toEqual({ kind: 'invalid', reason, message: expect.any(String) });
  });
});

describe('parseUses: messages name the problem and the fix', () => {
  const message = (raw: string, context: 'job' | 'step' = 'job'): string => {
    const { reference } = parseUses(raw, context);
    return reference.kind === 'invalid' ? reference.message : '';
  };

  it('explains each reason', () => {
    expect(message('octo/repo@v1')).toBe(
      'A job-level uses must name a workflow file in .github/workflows: write owner/repo/.github/workflows/<file>.yml@<ref>, ' +
        './.github/workflows/<file>.yml or $/.github/workflows/<file>.yml. To run an action, call it from a step.',
    );
    expect(message('octo/repo/.github/workflows/sub/x.yml@v1')).toBe(
      'Reusable workflows must sit directly in .github/workflows; GitHub does not support subdirectories: move the file to .github/workflows/x.yml.',
    );
    expect(message('./.github/workflows/x.yml@v1')).toBe(
      'A ./ reference runs the workflow at the caller\'s own commit and takes no @ref: remove "@v1".',
    );
    expect(message('$/.github/workflows/x.yml@main')).toBe(
      'A $/ reference runs the workflow at the caller\'s own commit and takes no @ref: remove "@main".',
    );
    expect(message('octo/repo/.github/workflows/x.yml')).toBe(
      'A reusable workflow in another repository needs a ref: append @<full commit SHA> (or a tag or branch).',
    );
    expect(message('actions/checkout', 'step')).toBe('An action needs a ref: append @<full commit SHA> (or a tag or branch).');
    expect(message('octo/repo/.github/workflows/x.yml@')).toBe(
      'Nothing follows the @: write the ref, preferably a full 40-character commit SHA.',
    );
    expect(message('${{ inputs.workflow }}')).toBe(
      'GitHub does not evaluate ${{ }} expressions in uses: write the reference literally.',
    );
    expect(message('octo/repo/.github/workflows/../x.yml@v1')).toBe(
      "The reference contains a '..' path segment, which GitHub does not resolve: remove it.",
    );
    expect(message(' ')).toBe(
      'uses is empty: write owner/repo/.github/workflows/<file>.yml@<ref>, ./.github/workflows/<file>.yml or $/.github/workflows/<file>.yml.',
    );
    expect(message('checkout@v4', 'step')).toBe(
      "A step's uses must be owner/repo[/path]@<ref>, ./path/to/action, $/path/to/action or docker://image.",
    );
  });

  it('names the offending part for bad characters, cut short', () => {
    expect(message('oc_to/repo/.github/workflows/x.yml@v1')).toBe(
      '"oc_to" is not a GitHub account name: use letters, digits and single hyphens (not first or last), at most 39 characters.',
    );
    expect(message('octo/re po/.github/workflows/x.yml@v1')).toBe(
      '"re po" is not a repository name: use letters, digits, \'.\', \'-\' and \'_\'.',
    );
    expect(message('octo/repo/.github/workflows/my file.yml@v1')).toBe(
      'The path ".github/workflows/my file.yml" contains whitespace, a control character or a backslash: remove them.',
    );
    expect(message('octo/repo/.github/workflows/x.yml@v1~1')).toBe(
      'The ref "v1~1" is not a valid git ref: it contains a space, a control character or one of ~ ^ : ? * [ \\.',
    );
    expect(message('octo/repo/.github/workflows/x.yml@v1.lock')).toBe(
      "The ref \"v1.lock\" is not a valid git ref: it has a component that starts with '.' or ends with '.lock'.",
    );
    expect(message(`${'a'.repeat(100)}/r/.github/workflows/x.yml@v1`)).toBe(
      `"${'a'.repeat(60)}…" is not a GitHub account name: use letters, digits and single hyphens (not first or last), at most 39 characters.`,
    );
  });
});

describe('parseUses: version comments', () => {
  const cases: [string, string | undefined][] = [
    ['v1.2.3', 'v1.2.3'],
    ['1.2.3', '1.2.3'],
    ['v4', 'v4'],
    ['v1.2.3-rc.1', 'v1.2.3-rc.1'],
    ['v4.1.1 (latest)', 'v4.1.1'],
    ['  v2.0.0  ', 'v2.0.0'],
    ['tag=v1.2.3', 'v1.2.3'],
    ['TAG=v2', 'v2'],
    ['ref=v1', 'v1'],
    ['pin@v1.2.3', 'v1.2.3'],
    ['tag=release-candidate then words', 'release-candidate'],
    ['main', 'main'],
    ['release/2024-06', 'release/2024-06'],
    ['TODO pin this later', undefined],
    ['TODO', undefined],
    ['fixme', undefined],
    ['TODO: pin', undefined],
    ['pinned by renovate', undefined],
    ['main branch', undefined],
    ['tag=', undefined],
    ['v1..2', undefined],
    ['', undefined],
  ];

  it.each(cases)('%j names %j', (comment, version) => {
    const parsed = parseUses('octo/repo/.github/workflows/x.yml@v1', 'job', comment);
    expect(parsed.versionComment).toBe(version);
    expect('versionComment' in parsed).toBe(version !== undefined);
  });

  it('reads the comment the same way for steps and invalid references', () => {
    expect(parseUses(`actions/checkout@${SHA}`, 'step', 'v4.1.1').versionComment).toBe('v4.1.1');
    expect(parseUses('octo/repo@v1', 'job', 'v1.0.0').versionComment).toBe('v1.0.0');
  });

  it('has no version without a comment', () => {
    expect(parseUses('octo/repo/.github/workflows/x.yml@v1', 'job')).toEqual({
      raw: 'octo/repo/.github/workflows/x.yml@v1',
      reference: { kind: 'remote-workflow', owner: 'octo', repo: 'repo', path: '.github/workflows/x.yml', ref: 'v1', refKind: 'named' },
    });
  });
});

describe('isFullSha', () => {
  it.each([
    [SHA, true],
    [SHA.toUpperCase(), true],
    ['8f4b7f8', false],
    [`${SHA}0`, false],
    [SHA.slice(1), false],
    [`${SHA.slice(1)}g`, false],
    ['v1.2.3', false],
    ['', false],
  ])('%j → %s', (ref, expected) => {
    expect(isFullSha(ref)).toBe(expected);
  });
});

describe('formatUses', () => {
  const valid: [string, 'job' | 'step'][] = [
    ['octo-org/example-repo/.github/workflows/workflow-A.yml@v1', 'job'],
    [`octo-org/shared/.github/workflows/build.yaml@${SHA}`, 'job'],
    ['octo/repo/.github/workflows/ci.yml@release/v1.2', 'job'],
    ['./.github/workflows/ci.yml', 'job'],
    ['$/.github/workflows/deploy.yaml', 'job'],
    ['actions/checkout@v4', 'step'],
    [`github/codeql-action/init@${SHA}`, 'step'],
    ['./.github/actions/deploy', 'step'],
    ['./', 'step'],
    ['docker://alpine:3.19', 'step'],
  ];

  it.each(valid)('round-trips %s (%s)', (raw, context) => {
    const { reference } = parseUses(raw, context);
    const text = formatUses(reference);
    expect(text).toBe(raw);
    expect(parseUses(text, context).reference).toEqual(reference);
  });

  it('writes a pin from a parsed reference', () => {
    const { reference } = parseUses('octo/shared/.github/workflows/build.yml@v1.4.0', 'job');
    if (reference.kind !== 'remote-workflow') {
      throw new Error(`expected a remote workflow, got ${reference.kind}`);
    }
    expect(formatUses({ ...reference, ref: SHA, refKind: 'sha' })).toBe(`octo/shared/.github/workflows/build.yml@${SHA}`);
  });

  it('has no text for an invalid reference', () => {
    expect(formatUses({ kind: 'invalid', reason: 'empty', message: 'x' })).toBe('');
  });

  it('round-trips generated remote workflow references', () => {
    const alnum = fc.constantFrom(...'abcXYZ019'.split(''));
    const word = fc.array(alnum, { minLength: 1, maxLength: 8 }).map((chars) => chars.join(''));
    const owner = fc.array(word, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('-'));
    const repo = fc.tuple(word, fc.constantFrom('', '.js', '_x', '-y')).map(([name, suffix]) => name + suffix);
    const file = fc.tuple(word, fc.constantFrom('.yml', '.yaml')).map(([name, extension]) => name + extension);
    const ref = fc.oneof(
      fc.array(word, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/')),
      fc.stringMatching(/^[0-9a-f]{40}$/),
    );
    fc.assert(
      fc.property(owner, repo, file, ref, (o, r, f, g) => {
        const raw = `${o}/${r}/.github/workflows/${f}@${g}`;
        const { reference } = parseUses(raw, 'job');
        expect(reference).toEqual({
          kind: 'remote-workflow',
          owner: o,
          repo: r,
          path: `.github/workflows/${f}`,
          ref: g,
          refKind: isFullSha(g) ? 'sha' : 'named',
        });
        expect(formatUses(reference)).toBe(raw);
      }),
      { numRuns: 300 },
    );
  });
});

describe('parseUses on hostile input', () => {
  // Each of these would take minutes with a backtracking pattern; linear checks return at once.
  const hundredKb = 100_000;
  it.each([
    ['slashes then at-signs', '/'.repeat(hundredKb / 2) + '@'.repeat(hundredKb / 2), 'not-a-workflow-path', 'not-a-workflow-path'],
    ['at-signs', '@'.repeat(hundredKb), 'not-a-workflow-path', 'not-a-workflow-path'],
    ['alternating', 'a/@'.repeat(hundredKb / 3), 'not-a-workflow-path', 'not-a-workflow-path'],
    ['a long owner', `${'a-'.repeat(hundredKb / 2)}!/r/.github/workflows/x.yml@v1`, 'bad-characters', 'bad-characters'],
    ['a long ref', `o/r/.github/workflows/x.yml@${'v1.'.repeat(hundredKb / 3)}~`, 'bad-characters', 'bad-characters'],
    ['slash-dots', `o/r/.github/workflows/x.yml@${'/.'.repeat(hundredKb / 2)}`, 'bad-characters', 'bad-characters'],
  ])('%s', (_label, raw, jobReason, stepReason) => {
    expect(parseUses(raw, 'job').reference).toMatchObject({ kind: 'invalid', reason: jobReason });
    expect(parseUses(raw, 'step').reference).toMatchObject({ kind: 'invalid', reason: stepReason });
  });

  it('reads a path of 50,000 segments', () => {
    const raw = `o/r/${'./'.repeat(hundredKb / 2)}x.yml@v1`;
    expect(parseUses(raw, 'job').reference).toMatchObject({ kind: 'invalid', reason: 'not-a-workflow-path' });
    expect(parseUses(raw, 'step').reference).toMatchObject({ kind: 'action', owner: 'o', repo: 'r', ref: 'v1' });
  });

  it('reads a 100 KB comment', () => {
    expect(parseUses('o/r/.github/workflows/x.yml@v1', 'job', `${'12.'.repeat(33_000)}! and more`).versionComment).toBeUndefined();
    expect(parseUses('o/r/.github/workflows/x.yml@v1', 'job', `v${'1.'.repeat(50_000)}1`).versionComment).toBe(`v${'1.'.repeat(50_000)}1`);
  });
});
