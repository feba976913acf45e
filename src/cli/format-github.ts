// `--format github`: GitHub Actions workflow commands, so findings appear as annotations on their lines
// when the CLI runs in a workflow (`::error file=…,line=…,col=…,title=…::message`), and notes as notices.
//
// Escaping is GitHub's (actions/toolkit, core/src/command.ts): in the message `%`, CR and LF become `%25`,
// `%0D` and `%0A`; in property values `:` and `,` become `%3A` and `%2C` as well. `%` goes first, so an
// escape already in the text is not read as one. A finding's text then never spans lines, and no text from
// a workflow file can start a command of its own.
import type { FormatOptions } from './format-text.js';
import { countSeverities, findingText, type CheckReport, type ReportFinding } from './report.js';

/** GitHub annotates at most 10 errors and 10 warnings of a step (actions/toolkit, docs/problem-matchers.md); the rest stay log lines. */
export const ANNOTATIONS_PER_STEP = 10;

export function formatGithub(report: CheckReport, options: FormatOptions): string {
  const lines = [
    ...report.notes.map((note) => command('notice', { title: report.tool.name }, note)),
    ...report.findings.map((finding) => annotation(finding, options.workspacePrefix)),
  ];
  const counts = countSeverities(report.findings);
  const over = [
    ...(counts.errors > ANNOTATIONS_PER_STEP ? [plural(counts.errors, 'error')] : []),
    ...(counts.warnings > ANNOTATIONS_PER_STEP ? [plural(counts.warnings, 'warning')] : []),
  ];
  if (over.length > 0) {
    const message =
      `GitHub annotates only the first ${ANNOTATIONS_PER_STEP} errors and ${ANNOTATIONS_PER_STEP} warnings of a step; this check reported ${over.join(' and ')}. ` +
      'Every one is in this log, and in code scanning when the SARIF is uploaded.';
    lines.push(command('notice', { title: report.tool.name }, message));
  }
  return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}

function annotation(finding: ReportFinding, prefix: string): string {
  const { path, line, column, endLine, endColumn } = finding.location;
  return command(finding.severity, {
    file: `${prefix}${path}`,
    line: String(line),
    endLine: String(endLine),
    // GitHub takes columns only for a range on one line; its end column is the range's last character.
    ...(line === endLine && { col: String(column), endColumn: String(Math.max(column, endColumn - 1)) }),
    title: finding.title,
  }, findingText(finding));
}

function command(name: string, properties: Record<string, string>, message: string): string {
  const props = Object.entries(properties).map(([key, value]) => `${key}=${escapeProperty(value)}`);
  return `::${name}${props.length === 0 ? '' : ` ${props.join(',')}`}::${escapeData(message)}`;
}

export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}
