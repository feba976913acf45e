// One check of a local checkout, rendered once for every output format: each finding placed on a line of
// its top-level file (as the check run annotates it), its chain, its fix as text, and a fingerprint that
// survives edits elsewhere in the file. The formats (text, JSON, SARIF) only lay this out.
import { createHash } from 'node:crypto';
import type { Conclusion, Evaluation, Finding, FindingSeverity } from '../engine/types.js';
import { repoKey, type CallGraph } from '../graph/types.js';
import type { RuleId, RuleSettings } from '../policy/types.js';
import { describeNode, formatChain, repoOfNodeKey } from '../report/chain.js';
import { renderFix } from '../report/fix-text.js';
import { locateFinding, nodePath } from '../report/locate.js';
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
  repository: string;
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
  repository: string;
  commit: string;
  policy: PolicyChoice;
  rules: RuleSettings;
  notes: string[];
  workflows: string[];
  graph?: CallGraph;
  evaluation?: Evaluation;
}

export function buildReport(input: ReportInput): CheckReport {
  const { graph, evaluation } = input;
  const findings = graph === undefined || evaluation === undefined ? [] : evaluation.findings.map((finding) => reportFinding(graph, finding));
  return {
    tool: input.tool,
    repository: input.repository,
    commit: input.commit,
    policy: input.policy,
    rules: input.rules,
    notes: [...input.notes, ...(evaluation === undefined ? [] : exceptionNotes(evaluation))],
    workflows: input.workflows,
    findings: distinctFingerprints(sortByPlace(findings)),
    conclusion: evaluation?.conclusion ?? 'success',
  };
}

function reportFinding(graph: CallGraph, finding: Finding): ReportFinding {
  // Always in the top-level file, as check run annotations are: the site itself or the call leading to it.
  const place = locateFinding(graph, finding);
  const below = place.site.node !== finding.root;
  const fix = finding.fix === undefined ? undefined : renderFix(graph, finding.fix, { edit: false });
  return {
    ruleId: finding.ruleId,
    severity: finding.severity,
    message: finding.message,
    location: { path: place.path, ...positions(place.range) },
    site: below ? { workflow: describeNode(graph, place.site.node), ...positions(place.site.range) } : null,
    chain: finding.chain.map((edge) => edge.uses.raw),
    chainText: finding.chain.length > 1 ? formatChain(graph, finding) : null,
    fix: fix === undefined ? null : { summary: fix.summary, text: fix.text ?? null },
    fingerprint: fingerprint(graph, finding),
  };
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
