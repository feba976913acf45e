import fc from 'fast-check';
import { touchedLines, type PullRequestFile } from '../../src/app/diff.js';

// Patches as GitHub's PR files API returns them: `git diff` output from the first hunk header on.
const lines = (rows: string[]): string => rows.join('\n');

function only(file: PullRequestFile): number[] {
  return [...(touchedLines([file]).get(file.filename) ?? new Set<number>())];
}

describe('touchedLines', () => {
  it('takes the added and changed lines of a hunk, not its context or removed lines', () => {
    const patch = lines([
      '@@ -5,5 +5,12 @@ jobs:',
      '     uses: octo-org/shared/.github/workflows/build.yml@v1',
      '     with:',
      '       target: linux',
      '+  deploy:',
      '+    uses: other-org/deploy/.github/workflows/deploy.yml@main',
      '+    secrets: inherit',
      '   lint:',
      '-    uses: octo-org/shared/.github/workflows/lint.yml@v1',
      '+    uses: octo-org/shared/.github/workflows/lint.yml@v2',
      '+  test:',
      '+    uses: ./.github/workflows/test.yml',
      '+    runs-on: ubuntu-latest',
      '+    timeout-minutes: 10',
    ]);
    expect(only({ filename: '.github/workflows/ci.yml', status: 'modified', patch })).toEqual([8, 9, 10, 12, 13, 14, 15, 16]);
  });

  it('follows line numbers across several hunks, with a section name after the header', () => {
    const patch = lines([
      '@@ -1,6 +1,6 @@',
      ' line 1',
      ' line 2',
      '-line 3',
      '+line three',
      ' line 4',
      ' line 5',
      ' line 6',
      '@@ -18,11 +18,11 @@ line 17',
      ' line 18',
      ' line 19',
      ' line 20',
      '+inserted after 20',
      ' line 21',
      ' line 22',
      ' line 23',
      ' line 24',
      '-line 25',
      ' line 26',
      ' line 27',
      ' line 28',
    ]);
    expect(only({ filename: 'long.txt', status: 'modified', patch })).toEqual([3, 21]);
  });

  it('reads `\\ No newline at end of file` as no line of either side', () => {
    const patch = lines(['@@ -1,3 +1,4 @@', ' a', ' b', '-c', '\\ No newline at end of file', '+c', '+d', '\\ No newline at end of file']);
    expect(only({ filename: 'f.yml', status: 'modified', patch })).toEqual([3, 4]);
  });

  it('reads a header without counts (one line) and a new file', () => {
    expect(only({ filename: 'one.yml', status: 'added', patch: lines(['@@ -0,0 +1 @@', '+x']) })).toEqual([1]);
    expect(only({ filename: 'two.yml', status: 'modified', patch: lines(['@@ -3 +3 @@', '-old', '+new']) })).toEqual([3]);
  });

  it('counts a blank context row whose leading space was stripped, and ignores rows after the last hunk', () => {
    const patch = lines(['@@ -1,3 +1,4 @@', ' a', '', '+b', ' c', '']);
    expect(only({ filename: 'f.yml', status: 'modified', patch })).toEqual([3]);
  });

  it('keeps a CRLF file’s rows apart (the carriage return stays in the row)', () => {
    const patch = ['@@ -1,2 +1,2 @@', ' on: push\r', '-jobs: {}\r', '+jobs:\r'].join('\n');
    expect(only({ filename: 'crlf.yml', status: 'modified', patch })).toEqual([2]);
  });

  it('keys a renamed file by its new name; a rename without changes and a binary file have no lines', () => {
    const touched = touchedLines([
      { filename: 'new.yml', previous_filename: 'old.yml', status: 'renamed', patch: lines(['@@ -1,2 +1,2 @@', ' on: push', '-x: 1', '+x: 2']) },
      { filename: 'moved.yml', previous_filename: 'was.yml', status: 'renamed' },
      { filename: 'logo.png', status: 'modified' },
      { filename: 'gone.yml', status: 'removed', patch: lines(['@@ -1 +0,0 @@', '-on: push']) },
    ]);
    expect([...touched.keys()]).toEqual(['new.yml', 'moved.yml', 'logo.png']);
    expect([...(touched.get('new.yml') ?? [])]).toEqual([2]);
    expect(touched.get('moved.yml')?.size).toBe(0);
    expect(touched.get('logo.png')?.size).toBe(0);
    expect(touched.has('old.yml')).toBe(false);
  });

  it('never throws on a malformed patch', () => {
    for (const patch of ['', 'not a diff', '@@ -a +b @@\n+x', '@@ -1,1 +1,1 @@\n+a\n+b\n+c', '\\ No newline at end of file']) {
      expect(() => touchedLines([{ filename: 'f', status: 'modified', patch }])).not.toThrow();
    }
    expect(only({ filename: 'f', status: 'modified', patch: '@@ -1,1 +1,1 @@\n+a\n+b' })).toEqual([1]);
  });

  it('numbers the added rows of any edit script as the head file has them', () => {
    const op = fc.constantFrom<' ' | '-' | '+'>(' ', '-', '+');
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 500 }), (ops, start) => {
        const oldCount = ops.filter((kind) => kind !== '+').length;
        const newCount = ops.filter((kind) => kind !== '-').length;
        const expected: number[] = [];
        let line = start;
        for (const kind of ops) {
          if (kind === '+') expected.push(line);
          if (kind !== '-') line += 1;
        }
        const rows = ops.map((kind, index) => `${kind}row ${index}`);
        const patch = lines([`@@ -${start},${oldCount} +${start},${newCount} @@`, ...rows]);
        expect(only({ filename: 'f.yml', status: 'modified', patch })).toEqual(expected);
      }),
    );
  });
});
