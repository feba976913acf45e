import { applyEdits, type LineEdit } from '../../src/report/fix-text.js';

const edit = (startLine: number, endLine: number, ...replacement: string[]): LineEdit => ({ startLine, endLine, replacement });

describe('applyEdits', () => {
  const text = 'one\ntwo\nthree\nfour\nfive\n';

  it('applies edits given in any order against the original line numbers', () => {
    const first = edit(4, 4, 'FOUR', 'FOUR+');
    const second = edit(1, 2, 'ONE-TWO');
    const third = edit(5, 5);
    expect(applyEdits(text, [first, second, third])).toEqual({
      text: 'ONE-TWO\nthree\nFOUR\nFOUR+\n',
      applied: [first, second, third],
      skipped: [],
    });
  });

  it('keeps the first of overlapping edits and reports the rest as skipped', () => {
    const kept = edit(2, 3, 'X');
    const overlapping = edit(3, 4, 'Y');
    const inside = edit(2, 2, 'Z');
    const apart = edit(5, 5, 'W');
    expect(applyEdits(text, [kept, overlapping, inside, apart])).toEqual({
      text: 'one\nX\nfour\nW\n',
      applied: [kept, apart],
      skipped: [overlapping, inside],
    });
  });

  it('skips edits outside the file’s lines or with reversed bounds', () => {
    const bad = [edit(0, 1, 'x'), edit(6, 6, 'x'), edit(3, 2, 'x'), edit(1.5, 2, 'x')];
    expect(applyEdits(text, bad)).toEqual({ text, applied: [], skipped: bad });
  });

  it('writes replacement lines with the file’s CRLF endings', () => {
    expect(applyEdits('a\r\nb\r\nc\r\n', [edit(2, 2, 'B1', 'B2')]).text).toBe('a\r\nB1\r\nB2\r\nc\r\n');
  });

  it('keeps a missing final line break missing', () => {
    expect(applyEdits('a\nb', [edit(2, 2, 'B', 'C')]).text).toBe('a\nB\nC');
    expect(applyEdits('a\nb\nc', [edit(3, 3)]).text).toBe('a\nb');
    expect(applyEdits('a\nb\n', [edit(2, 2)]).text).toBe('a\n');
  });

  it('keeps a byte order mark and counts lines after it', () => {
    expect(applyEdits('\uFEFFon: push\njobs: {}\n', [edit(1, 1, 'on: pull_request')]).text).toBe('\uFEFFon: pull_request\njobs: {}\n');
  });

  it('returns the text unchanged with no edits, and skips every edit of an empty file', () => {
    expect(applyEdits(text, [])).toEqual({ text, applied: [], skipped: [] });
    const any = edit(1, 1, 'x');
    expect(applyEdits('', [any])).toEqual({ text: '', applied: [], skipped: [any] });
  });
});
