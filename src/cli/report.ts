// One check of a local checkout, rendered once for every output format: each finding placed on a line of
// its top-level file (as the check run annotates it), its chain, its fix as text, and a fingerprint that
// survives edits elsewhere in the file. The formats (text, JSON, SARIF) only lay this out.
import { createHash } from 'node:crypto';
import type { Conclusion, Evaluation, Finding, FindingSeverity } from '../engine/types.js';
import { repoKey, type CallGraph, type RepoMetadata } from '../graph/types.js';
import type { RuleId, RuleSettings } from '../policy/types.js';
import { chainCalls, repoOfNodeKey } from '../report/chain.js';
import { annotationTitle } from '../report/check-run.js';
import { nodePath } from '../report/locate.js';
import { presentFinding } from '../report/present.js';
import { createRedactor, inactiveRedactor, type Redactor } from '../report/redact.js';
import type { SourceRange } from '../workflow/model.js';

/** 1-based; `endColumn` is exclusive (the column after the last character), as SARIF counts. */
export interface ReportLocation {
  path: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
}

export interface ReportFinding {
  ruleId: RuleId;
  severity: FindingSeverity;
  /** The rule id and what kind of problem it is, as the check run's annotation titles it. */
  title: string;
  message: string;
  /** In the top-level file: the problem itself, or the call that leads to it. */
  location: ReportLocation;
  /** Where the problem is when that is in a called workflow (`owner/repo/path@ref`), else null. */
  site: { workflow: string; line: number; column: number; endLine: number; endColumn: number } | null;
  /** The calls from the top-level file to the one the finding is about, as written in their `uses:`. */
  chain: string[];
  /** `ci.yml → org/a/...@v1 → ...`, for chains of more than one call (one call is the annotated line itself). */
  chainText: string | null;
  fix: { summary: string; text: string | null } | null;
  /** What the finding is about, independent of line numbers and commits: alerts keep their identity across runs. */
  fingerprint: string;
}

export type PolicyChoice =
  | { kind: 'file'; name: string; origin: 'option' | 'repository' }
  | { kind: 'preset'; name: string };

export interface CheckReport {
  tool: { name: string; version: string };
  /** `owner/name`, or null when the checkout's repository is unknown. */
  repository: string | null;
  /** The checkout's HEAD commit, or `working-tree`. */
  commit: string;
  policy: PolicyChoice;
  /** The rules' settings under the policy in force (their severities describe the rules in SARIF). */
  rules: RuleSettings;
  /** What was assumed or applied, one sentence each. */
  notes: string[];
  /** The top-level workflow files evaluated. */
  workflows: string[];
  findings: ReportFinding[];
  conclusion: Conclusion;
}

export interface ReportInput {
  tool: CheckReport['tool'];
  repository: string | null;
  commit: string;
  policy: PolicyChoice;
  rules: RuleSettings;
  notes: string[];
  workflows: string[];
  graph?: CallGraph;
  evaluation?: Evaluation;
  /** Findings below it are left out (and counted in a note). */
  minSeverity: FindingSeverity;
  /**
   * Set when the report lands where anyone who can see this repository can read it (a GitHub Actions log,
   * code scanning): a public repository's report then hides private repositories as its check run does.
   */
  publicSurfaceOf?: RepoMetadata;
}

export function buildReport(input: ReportInput): CheckReport {
  const { graph, evaluation } = input;
  const redactor = graph === undefined || input.publicSurfaceOf === undefined ? inactiveRedactor() : reportRedactor(graph, input.publicSurfaceOf);
  const shown = (evaluation?.findings ?? []).filter((finding) => finding.severity === 'error' || input.minSeverity === 'warning');
  const findings = graph === undefined ? [] : shown.map((finding) => reportFinding(graph, redactor, finding));
  const left = (evaluation?.findings.length ?? 0) - shown.length;
  const leftOut = left === 0 ? [] : [`${left} warning${left === 1 ? ' is' : 's are'} not shown (--min-severity error).`];
  return {
    tool: input.tool,
    repository: input.repository,
    commit: input.commit,
    policy: input.policy,
    rules: input.rules,
    notes: [...input.notes, ...(evaluation === undefined ? [] : exceptionNotes(evaluation)), ...leftOut].map((note) => redactor.scrub(note)),
    workflows: input.workflows,
    findings: distinctFingerprints(sortByPlace(findings)),
    conclusion: evaluation?.conclusion ?? 'success',
  };
}

function reportRedactor(graph: CallGraph, repository: RepoMetadata): Redactor {
  const rootTexts = graph.roots.flatMap((root) => graph.nodes.get(root)?.text ?? []);
  return createRedactor({ graph, repository, rootTexts });
}

function reportFinding(graph: CallGraph, redactor: Redactor, finding: Finding): ReportFinding {
  // Always in the top-level file, as check run annotations are: the site itself or the call leading to it.
  const shown = presentFinding(graph, redactor, finding);
  return {
    ruleId: finding.ruleId,
    severity: finding.severity,
    title: annotationTitle(finding),
    message: shown.message,
    location: { path: shown.path, ...positions(shown.range) },
    site: shown.site === undefined ? null : { workflow: shown.site.workflow, ...positions(shown.site.range) },
    chain: chainCalls(graph, finding, redactor.chainOptions).map((call) => redactor.scrub(call, finding.mentions)),
    chainText: shown.chain ?? null,
    fix: shown.fix === undefined ? null : { summary: shown.fix.summary, text: shown.fix.text ?? null },
    fingerprint: fingerprint(graph, finding),
  };
}

/** Plain text for CI surfaces (SARIF, workflow-command annotations): the message, the chain, where below the file, the fix. */
export function findingText(finding: ReportFinding): string {
  const parts = [finding.message];
  if (finding.chainText !== null) parts.push(`Call chain: ${finding.chainText}`);
  if (finding.site !== null) parts.push(`Found in ${finding.site.workflow}, line ${finding.site.line}.`);
  if (finding.fix !== null) parts.push(finding.fix.text === null ? `Fix: ${finding.fix.summary}` : `Fix: ${finding.fix.summary}\n\n${finding.fix.text}`);
  return parts.join('\n\n');
}

function positions(range: SourceRange): Omit<ReportLocation, 'path'> {
  return { line: range.start.line, column: range.start.column, endLine: range.end.line, endColumn: range.end.column };
}

/** The rule, the files (without commits), the job, key and name, and the calls as written: no line, no SHA of the checkout. */
function fingerprint(graph: CallGraph, finding: Finding): string {
  const { node, jobId, key, name } = finding.location;
  const identity = [
    finding.ruleId,
    nodePath(graph, finding.root),
    repoKey(graph.nodes.get(node)?.address.repo ?? repoOfNodeKey(node)),
    nodePath(graph, node),
    jobId ?? '',
    key ?? '',
    name ?? '',
    ...finding.chain.map((edge) => edge.uses.raw),
  ];
  return createHash('sha256').update(JSON.stringify(identity)).digest('hex');
}

/**
 * Two findings of one rule about the same thing (a call not pinned, and its misleading version comment)
 * must stay two alerts: later ones get their rank among equals mixed in, in the report's stable order.
 */
function distinctFingerprints(findings: ReportFinding[]): ReportFinding[] {
  const seen = new Map<string, number>();
  return findings.map((finding) => {
    const rank = seen.get(finding.fingerprint) ?? 0;
    seen.set(finding.fingerprint, rank + 1);
    if (rank === 0) return finding;
    return { ...finding, fingerprint: createHash('sha256').update(`${finding.fingerprint}#${rank}`).digest('hex') };
  });
}

/** By file, then position; findings on the same spot keep the engine's order (GitHub's own failures first). */
function sortByPlace(findings: ReportFinding[]): ReportFinding[] {
  return [...findings].sort(
    (a, b) =>
      (a.location.path < b.location.path ? -1 : a.location.path > b.location.path ? 1 : 0) ||
      a.location.line - b.location.line ||
      a.location.column - b.location.column,
  );
}

function exceptionNotes(evaluation: Evaluation): string[] {
  const used = evaluation.exceptionsUsed.map(({ exception, waived }) => {
    const at = `${exception.file}:${exception.range.start.line}:${exception.range.start.column}`;
    return `${at}: the exception for ${exception.uses} waived ${waived.length} finding${waived.length === 1 ? '' : 's'} (${exception.reason}).`;
  });
  const expired = evaluation.exceptionsExpired.map((exception) => {
    const at = `${exception.file}:${exception.range.start.line}:${exception.range.start.column}`;
    return `${at}: the exception for ${exception.uses} expired on ${exception.expires} and no longer applies.`;
  });
  return [...used, ...expired];
}

export function countSeverities(findings: readonly ReportFinding[]): { errors: number; warnings: number } {
  const errors = findings.filter((finding) => finding.severity === 'error').length;
  return { errors, warnings: findings.length - errors };
}
