// `--format text`: for people in a terminal. Findings grouped by top-level file, each on a line editors
// and terminals link (`path:line:col  severity  rule-id  message`), its chain and fix indented below.
// Colour only when the reader is a terminal and NO_COLOR is not set (no-color.org): the caller decides.
import { styleText } from 'node:util';
import { WORKING_TREE } from './checkout.js';
import { countSeverities, type CheckReport, type PolicyChoice, type ReportFinding } from './report.js';

const DETAIL = '    ';
const FIX_TEXT = '        ';

export interface FormatOptions {
  /** ANSI colours (text only). */
  colour: boolean;
  /** Prepended to repository-relative paths where a reader resolves them elsewhere (`sub/dir/`), or ''. */
  workspacePrefix: string;
}

type Style = Parameters<typeof styleText>[0];

export function formatText(report: CheckReport, options: FormatOptions): string {
  // The caller has checked the stream; styleText's own check would look at this process's stdout instead.
  const paint = (style: Style, text: string): string => (options.colour ? styleText(style, text, { validateStream: false }) : text);
  const lines = [
    `${report.tool.name} ${report.tool.version}: ${report.repository ?? 'an unknown repository'} at ${commitLabel(report.commit)}`,
    `Policy: ${policyLabel(report.policy)}`,
    ...report.notes.map((note) => `Note: ${note}`),
  ];
  for (const [path, findings] of byFile(report.findings)) {
    lines.push('', paint('bold', path), ...findings.flatMap((finding) => findingLines(finding, paint)));
  }
  const conclusion = report.conclusion === 'failure' ? 'red' : report.conclusion === 'neutral' ? 'yellow' : 'green';
  lines.push('', paint(conclusion, summaryLine(report)));
  return `${lines.join('\n')}\n`;
}

/** `2 errors and 1 warning in 3 workflow files: failure`. */
export function summaryLine(report: CheckReport): string {
  const { errors, warnings } = countSeverities(report.findings);
  const files = plural(report.workflows.length, 'workflow file');
  const found = errors + warnings === 0 ? 'No findings' : `${plural(errors, 'error')} and ${plural(warnings, 'warning')}`;
  return `${found} in ${files}: ${report.conclusion}`;
}

function commitLabel(commit: string): string {
  return commit === WORKING_TREE ? 'the working tree (no commit found in .git)' : commit.slice(0, 7);
}

export function policyLabel(policy: PolicyChoice): string {
  if (policy.kind === 'preset') return `the shipped "${policy.name}" preset (no policy file given, and none in the checkout)`;
  return policy.origin === 'option' ? `${policy.name} (--policy)` : `${policy.name} (the repository's policy file)`;
}

function byFile(findings: readonly ReportFinding[]): Map<string, ReportFinding[]> {
  const groups = new Map<string, ReportFinding[]>();
  for (const finding of findings) {
    const group = groups.get(finding.location.path) ?? [];
    group.push(finding);
    groups.set(finding.location.path, group);
  }
  return groups;
}

function findingLines(finding: ReportFinding, paint: (style: Style, text: string) => string): string[] {
  const { path, line, column } = finding.location;
  const severity = paint(finding.severity === 'error' ? 'red' : 'yellow', finding.severity);
  const lines = [`${path}:${line}:${column}  ${severity}  ${paint('dim', finding.ruleId)}  ${finding.message}`];
  if (finding.chainText !== null) lines.push(`${DETAIL}Call chain: ${finding.chainText}`);
  if (finding.site !== null) lines.push(`${DETAIL}Found in ${finding.site.workflow}, line ${finding.site.line}.`);
  if (finding.fix !== null) {
    lines.push(`${DETAIL}Fix: ${finding.fix.summary}`);
    if (finding.fix.text !== null) lines.push(...finding.fix.text.split('\n').map((text) => `${FIX_TEXT}${text}`));
  }
  return lines;
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`;
}
