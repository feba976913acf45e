// Which lines a pull request wrote, per file, on the head side — read from the unified-diff `patch` of each
// entry of the PR files API. GitHub takes review comments only on lines of the diff; suggestions are offered
// only on the lines the author added or changed there (context lines are in the diff but are not theirs).

/** An entry of `GET /repos/{owner}/{repo}/pulls/{pull_number}/files`, as far as this module reads it. */
export interface PullRequestFile {
  /** The head-side path (the new name of a renamed file). */
  filename: string;
  /** `added`, `removed`, `modified`, `renamed`, `copied`, `changed` or `unchanged`. */
  status: string;
  /** The unified diff's hunks; absent for binary files and diffs too large to show. */
  patch?: string;
  previous_filename?: string;
}

/** Head-side path → the 1-based line numbers the pull request added or changed there. */
export type TouchedLines = ReadonlyMap<string, ReadonlySet<number>>;

/** `@@ -old[,count] +new[,count] @@ section`: a count left out is 1. */
const HUNK_HEADER = /^@@ -\d+(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/**
 * Every file still present at the head, with the lines the PR wrote: empty when the patch is absent (a
 * binary file, a diff too large, a rename without changes), since no line of it can take a suggestion.
 */
export function touchedLines(files: readonly PullRequestFile[]): TouchedLines {
  const touched = new Map<string, ReadonlySet<number>>();
  for (const file of files) {
    if (file.status === 'removed') continue;
    touched.set(file.filename, file.patch === undefined ? new Set() : addedLines(file.patch));
  }
  return touched;
}

/** Where the walk through a hunk stands: the next head-side line, and the rows each side still expects. */
interface HunkState {
  nextLine: number;
  oldLeft: number;
  newLeft: number;
}

/**
 * The head-side numbers of `+` rows. Hunk counts tell where a hunk ends, so a blank context row (from a
 * diff whose trailing spaces were stripped) still counts, and text after the last hunk is ignored.
 */
function addedLines(patch: string): Set<number> {
  const lines = new Set<number>();
  let hunk: HunkState = { nextLine: 0, oldLeft: 0, newLeft: 0 };
  for (const row of patch.split('\n')) {
    const header = HUNK_HEADER.exec(row);
    if (header !== null) {
      hunk = { nextLine: Number(header[2]), oldLeft: count(header[1]), newLeft: count(header[3]) };
      continue;
    }
    if (hunk.oldLeft <= 0 && hunk.newLeft <= 0) continue;
    hunk = step(hunk, row, lines);
  }
  return lines;
}

/** One row of a hunk; a row beyond what the header announces for its side is no line of that side. */
function step(hunk: HunkState, row: string, lines: Set<number>): HunkState {
  switch (row.charAt(0)) {
    case '+':
      if (hunk.newLeft <= 0) return hunk;
      lines.add(hunk.nextLine);
      return { ...hunk, nextLine: hunk.nextLine + 1, newLeft: hunk.newLeft - 1 };
    case '-':
      return { ...hunk, oldLeft: hunk.oldLeft - 1 };
    case '\\':
      // `\ No newline at end of file` describes the row before it; it is no line of either side.
      return hunk;
    default:
      return { nextLine: hunk.nextLine + 1, oldLeft: hunk.oldLeft - 1, newLeft: hunk.newLeft - 1 };
  }
}

function count(written: string | undefined): number {
  return written === undefined ? 1 : Number(written);
}
