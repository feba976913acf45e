// The check run's content: the developers' interface (PRODUCT.md §3). A verdict, a findings table, the
// resolved call graph with a status per call, the policy source, exceptions and moved refs in the summary;
// per-finding details with the fixes to copy in the text; one annotation per finding on the exact line of
// the top-level file. Pure: the app sends what this returns (annotations in batches of 50).
//
// Everything shown passes through the redactor first: on a public repository, private and internal
// repositories are neither named nor described (see redact.ts).
import type { CallerImpactFacts, Conclusion, Evaluation, Finding, FindingSeverity } from '../engine/types.js';
import type { CallGraph, GraphEdge, LimitCut, NodeKey, RepoId, RepoMetadata, ResolutionErrorKind, RootStats } from '../graph/types.js';
import { repoKey } from '../graph/types.js';
import type { RuleId } from '../policy/types.js';
import type { SourceRange } from '../workflow/model.js';
import { isFullSha } from '../workflow/uses.js';
import { calledRepo, REDACTED_CALL, repoOfNodeKey } from './chain.js';
import { locateFinding, nodePath, pathOfNodeKey } from './locate.js';
import { inTopLevelFile, presentFinding, type PresentedFinding } from './present.js';
import { createRedactor, type Redactor } from './redact.js';

/** GitHub's check-run annotation object (`output.annotations[]`). */
export interface CheckAnnotation {
  /** Always a top-level file of the checked repository. */
  path: string;
  start_line: number;
  end_line: number;
  /** Only when the annotation is on one line, as GitHub requires. */
  start_column?: number;
  end_column?: number;
  annotation_level: 'notice' | 'warning' | 'failure';
  title: string;
  message: string;
  raw_details?: string;
}

export interface CheckRunReport {
  conclusion: Conclusion;
  title: string;
  summary: string;
  text?: string;
  annotations: CheckAnnotation[];
}

/** A tag or branch that resolved to another commit than at the last evaluation of the same PR. */
export interface MovedRef {
  /** The call as written, e.g. `octo-org/shared/.github/workflows/deploy.yml@v1`. */
  call: string;
  from: string;
  to: string;
}

export interface CheckRunInput {
  graph: CallGraph;
  evaluation: Evaluation;
  /** The repository the check is posted on. */
  repository: RepoMetadata;
  /** Where the policy came from: `octo-org/.github@1a2b3c4 .github/workflow-policy.yml`, or the preset. */
  policy: { description: string };
  movedRefs?: MovedRef[];
  /** Policy notes, e.g. loosening keys a repository policy may not use and that were ignored. */
  notes?: string[];
  /** The callee side: who calls the top-level files from other repositories (counted, never named here). */
  impact?: CallerImpactFacts;
}

export interface EvaluationFailure {
  /** What went wrong, in a sentence. */
  reason: string;
  /** The particulars: the policy file's `file:line: message`, GitHub's answer… */
  detail?: string;
}

/**
 * GitHub's limits, in UTF-8 bytes: the summary and text take 65,535 characters and an annotation title 255;
 * messages and raw details take "64 KB". Counting bytes (and 64,000 of them) stays within every way those
 * figures can be read: a character is at least one byte, a UTF-16 unit at most as many as its bytes.
 */
export const CHECK_RUN_LIMITS = {
  summary: 65_535,
  text: 65_535,
  title: 255,
  message: 64_000,
  rawDetails: 64_000,
  annotationsPerRequest: 50,
  /**
   * Annotations per check run: not GitHub's limit but ours, so a hostile change cannot cost hundreds of
   * update requests (10 at 50 each). The rest stay in the findings table and the details.
   */
  annotations: 500,
} as const;

const SHORT_SHA_LENGTH = 7;
/** Thousands separators (`1,200`); built on first use, since building a formatter costs the Lambda's cold start. */
let numberFormat: Intl.NumberFormat | undefined;
function formatNumber(value: number): string {
  numberFormat ??= new Intl.NumberFormat('en-US');
  return numberFormat.format(value);
}

const MARK = { pass: '✅', error: '❌', warning: '⚠️', unread: '⛔', cut: '✂️', expired: '⏰' } as const;
const LEGEND = `${MARK.pass} passes · ${MARK.error} error · ${MARK.warning} warning · ${MARK.unread} not read · ${MARK.cut} not followed past a platform limit`;

/** Annotation titles of the rules that judge actions too, for a finding about an action. */
const ACTION_TITLES: Partial<Record<RuleId, string>> = {
  'allowed-sources': 'action from a source the policy does not allow',
  visibility: 'action not accessible to this repository',
  pinning: 'action not pinned to a verified commit',
  contract: 'step uses an action GitHub rejects',
  'platform-limits': "beyond GitHub's limits for composite actions",
  resolution: 'action could not be read',
};

/** Annotation titles: the rule id first, then what kind of problem it is. */
const RULE_TITLES: Record<RuleId, string> = {
  'allowed-sources': 'reusable workflow from a source the policy does not allow',
  visibility: 'called workflow not accessible to this repository',
  pinning: 'reusable workflow not pinned to a verified commit',
  'max-depth': 'call chain deeper than the policy allows',
  'secrets-inherit': 'secrets: inherit to a workflow not allowed to receive them',
  permissions: 'called workflow needs more permissions than granted',
  contract: "call does not match the called workflow's contract",
  'caller-impact': 'change breaks or weakens callers of this workflow or action',
  'platform-limits': "beyond GitHub's limits for reusable workflows",
  resolution: 'called workflow could not be read',
  policy: 'invalid policy file',
};

/** The limit a call was not followed past, as the tree names it. */
const CUT_LIMITS: Record<LimitCut['reason'], string> = {
  'max-levels': 'max-levels',
  'max-unique': 'max-unique',
  'max-composite-depth': 'composite-action nesting',
};

/** Why a call's target was not read, in a few words: the tree's marks and the picture's nodes. */
export const UNREAD_REASONS: Record<ResolutionErrorKind, string> = {
  'repo-not-found': 'repository not found',
  'repo-renamed': 'repository renamed',
  'ref-not-found': 'no such tag or branch',
  'commit-not-found': 'no such commit',
  'file-not-found': 'no such file',
  'too-large': 'file too large',
  binary: 'binary file',
  'rate-limited': 'rate limited',
  'server-error': 'GitHub error',
  timeout: 'timed out',
  network: 'GitHub unreachable',
};

// ---- Public API -------------------------------------------------------------------------------------

export function renderCheckRun(input: CheckRunInput): CheckRunReport {
  const { graph, evaluation } = input;
  const rootTexts = graph.roots.flatMap((root) => graph.nodes.get(root)?.text ?? []);
  const publicRepositories = [...(input.impact?.callers.values() ?? [])].flat().flatMap((record) => (record.caller.visibility === 'public' ? [record.caller.repo] : []));
  const redactor = createRedactor({ graph, repository: input.repository, rootTexts, publicRepositories });
  const rendered = sortFindings(evaluation.findings.map((finding) => renderFinding(graph, redactor, finding)));
  const title = verdictTitle(evaluation);
  const summary = fitBlocks(
    [
      { items: [verdictLine(evaluation, graph.roots)] },
      findingsTable(rendered),
      callGraphBlock(graph, redactor, evaluation.findings),
      { items: [`**Policy:** ${md(input.policy.description)}`] },
      ...exceptionBlocks(graph, redactor, evaluation),
      ...movedRefBlocks(redactor, input.movedRefs ?? []),
      ...callerBlocks(graph, input.impact),
      ...listBlock('Notes', [
        ...(input.notes ?? []).map((note) => md(redactor.scrub(note))),
        ...(rendered.length > CHECK_RUN_LIMITS.annotations
          ? [`Only the first ${formatNumber(CHECK_RUN_LIMITS.annotations)} of ${formatNumber(rendered.length)} findings are annotated on their lines; the others are listed here and in the details.`]
          : []),
      ]),
    ],
    CHECK_RUN_LIMITS.summary,
    'the summary',
  );
  const text = rendered.length === 0 ? undefined : detailsText(rendered);
  const annotations = rendered.slice(0, CHECK_RUN_LIMITS.annotations).map(annotationOf);
  const report: CheckRunReport = { conclusion: evaluation.conclusion, title, summary, annotations };
  return scrubReport(redactor, evaluation, text === undefined ? report : { ...report, text });
}

/** An evaluation that could not finish fails the check (closed), saying what went wrong and what to do. */
export function renderFailure(failure: EvaluationFailure): CheckRunReport {
  const reason = failure.reason.trim() === '' ? 'the evaluation stopped' : failure.reason.trim();
  const lines = [
    `### ${MARK.error} The workflow policy could not be evaluated`,
    `**What went wrong:** ${md(reason)}`,
    ...(failure.detail === undefined || failure.detail.trim() === '' ? [] : [fenced(failure.detail.trim(), 'text')]),
    '**What to do:** fix the cause named above if it is in your hands — for a policy file, edit it at the file and line given — ' +
      'then re-run this check (**Re-run** on the Checks tab) or push a new commit. If GitHub failed or was slow, re-running is enough.',
    'This check fails closed: a change that could not be checked must not merge.',
  ];
  return {
    conclusion: 'failure',
    title: clampText(`Not evaluated: ${firstLine(reason)}`, CHECK_RUN_LIMITS.title, titleNote),
    summary: clampText(lines.join('\n\n'), CHECK_RUN_LIMITS.summary, markdownNote('the summary')),
    annotations: [],
  };
}

/** Every pull request gets a completed check, so a required check never hangs. */
export function renderNoWorkflowChanges(): CheckRunReport {
  return {
    conclusion: 'success',
    title: 'No workflow changes',
    summary: `### ${MARK.pass} No workflow changes\n\nThis pull request adds or changes no workflow file and no action's \`action.yml\`, so there is nothing to check.`,
    annotations: [],
  };
}

/** GitHub takes at most 50 annotations per request; later requests append to the earlier ones. */
export function annotationBatches(annotations: readonly CheckAnnotation[], size: number = CHECK_RUN_LIMITS.annotationsPerRequest): CheckAnnotation[][] {
  const step = Number.isInteger(size) && size >= 1 ? Math.min(size, CHECK_RUN_LIMITS.annotationsPerRequest) : CHECK_RUN_LIMITS.annotationsPerRequest;
  const batches: CheckAnnotation[][] = [];
  for (let start = 0; start < annotations.length; start += step) {
    batches.push(annotations.slice(start, start + step));
  }
  return batches;
}

// ---- Findings, redacted once for every place that shows them ----------------------------------------

/** A finding as this check shows it: annotated on its top-level file, which the PR shows. */
type RenderedFinding = PresentedFinding;

function renderFinding(graph: CallGraph, redactor: Redactor, finding: Finding): RenderedFinding {
  const presented = presentFinding(graph, redactor, finding);
  // A site elsewhere is named in the message; the annotation stays on the top-level file.
  return inTopLevelFile(graph, presented) ? presented : { ...presented, path: nodePath(graph, finding.root), range: firstLineRange() };
}

/** Errors first, then by file and position, so the table and the annotations read top-down. */
function sortFindings(findings: RenderedFinding[]): RenderedFinding[] {
  const rank = (severity: FindingSeverity): number => (severity === 'error' ? 0 : 1);
  return [...findings].sort(
    (a, b) =>
      rank(a.finding.severity) - rank(b.finding.severity) ||
      compareText(a.path, b.path) ||
      a.range.start.line - b.range.start.line ||
      a.range.start.column - b.range.start.column,
  );
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function severityMark(severity: FindingSeverity): string {
  return severity === 'error' ? MARK.error : MARK.warning;
}

function where(finding: RenderedFinding): string {
  return `${finding.path}:${finding.range.start.line}`;
}

// ---- Annotations ------------------------------------------------------------------------------------

function annotationOf(rendered: RenderedFinding): CheckAnnotation {
  const { start, end } = rendered.range;
  const line = Math.max(1, start.line);
  const endLine = Math.max(line, end.line);
  return {
    path: rendered.path,
    start_line: line,
    end_line: endLine,
    // Ranges end after their last character; GitHub's end column is that character's.
    ...(line === endLine && { start_column: Math.max(1, start.column), end_column: Math.max(1, start.column, end.column - 1) }),
    annotation_level: rendered.finding.severity === 'error' ? 'failure' : 'warning',
    title: annotationTitle(rendered.finding),
    message: clampText(annotationMessage(rendered), CHECK_RUN_LIMITS.message, plainNote('this message')),
  };
}

/** The rule id first, then what kind of problem it is: check run annotations and the CLI's CI annotations alike. */
export function annotationTitle(finding: Finding): string {
  const below = finding.location.node === finding.root ? '' : pathOfNodeKey(finding.location.node).startsWith('.github/workflows/') ? ' (in a called workflow)' : ' (in an action it runs)';
  return clampText(`${finding.ruleId}: ${ruleTitle(finding)}${below}`, CHECK_RUN_LIMITS.title, titleNote);
}

/** What kind of problem a finding is, by its rule and by what its last call runs (a workflow or an action). */
function ruleTitle(finding: Finding): string {
  const action = finding.chain.at(-1)?.kind === 'action' ? ACTION_TITLES[finding.ruleId] : undefined;
  return action ?? RULE_TITLES[finding.ruleId];
}

/** Plain text: GitHub shows annotation messages as written. */
function annotationMessage(rendered: RenderedFinding): string {
  const parts = [rendered.message];
  const context = [
    ...(rendered.chain === undefined ? [] : [`Call chain: ${rendered.chain}`]),
    ...(rendered.site === undefined ? [] : [`Found in ${rendered.site.workflow}, line ${rendered.site.range.start.line}.`]),
  ];
  if (context.length > 0) parts.push(context.join('\n'));
  if (rendered.fix !== undefined) {
    parts.push(rendered.fix.text === undefined ? `Fix: ${rendered.fix.summary}` : `Fix: ${rendered.fix.summary}\n\n${rendered.fix.text}`);
  }
  return parts.join('\n\n');
}

// ---- Verdict ----------------------------------------------------------------------------------------

interface Counts {
  errors: number;
  warnings: number;
  /** Top-level files with at least one error. */
  errorFiles: number;
  warningFiles: number;
  /** What those files are called: `workflow`, or `file` once an action's metadata file is among them. */
  noun: string;
}

function countFindings(findings: readonly Finding[]): Counts {
  const errors = findings.filter((finding) => finding.severity === 'error');
  const warnings = findings.filter((finding) => finding.severity === 'warning');
  return {
    errors: errors.length,
    warnings: warnings.length,
    errorFiles: new Set(errors.map((finding) => finding.root)).size,
    warningFiles: new Set(warnings.map((finding) => finding.root)).size,
    noun: fileNoun(findings.map((finding) => finding.root)),
  };
}

/** `workflow` when every top-level file is one, else `file` (a pull request changing an `action.yml`). */
function fileNoun(roots: readonly NodeKey[]): string {
  return roots.every((root) => pathOfNodeKey(root).startsWith('.github/workflows/')) ? 'workflow' : 'file';
}

function plural(count: number, word: string): string {
  return `${formatNumber(count)} ${word}${count === 1 ? '' : 's'}`;
}

function violationsText(counts: Counts): string {
  return `${plural(counts.errors, 'policy violation')} in ${plural(counts.errorFiles, counts.noun)}`;
}

function verdictTitle(evaluation: Evaluation): string {
  const counts = countFindings(evaluation.findings);
  if (counts.errors === 0) {
    return counts.warnings === 0 ? 'Workflow policy passed' : plural(counts.warnings, 'warning');
  }
  const warnings = counts.warnings === 0 ? '' : `, ${plural(counts.warnings, 'warning')}`;
  const enforcement = evaluation.conclusion === 'failure' ? '' : evaluation.conclusion === 'neutral' ? ' (not blocking)' : ' (not enforced)';
  return `${violationsText(counts)}${warnings}${enforcement}`;
}

function verdictLine(evaluation: Evaluation, roots: readonly NodeKey[]): string {
  const counts = countFindings(evaluation.findings);
  const warnings = counts.warnings === 0 ? '' : ` and ${plural(counts.warnings, 'warning')}`;
  if (counts.errors > 0) {
    switch (evaluation.conclusion) {
      case 'failure':
        return `### ${MARK.error} Blocked: ${violationsText(counts)}${warnings}\n\nFix them before merging: each one is annotated on its line, with the fix to copy where one is known.`;
      case 'neutral':
        return `### ${MARK.warning} Not blocking: ${violationsText(counts)}${warnings}\n\nThe policy's enforcement is \`warn\`, so they do not block the merge — but GitHub may still fail these runs.`;
      case 'success':
        return `### ${MARK.pass} Not enforced: ${violationsText(counts)}${warnings}\n\nThe policy's enforcement is \`off\`, so nothing blocks the merge.`;
    }
  }
  if (counts.warnings > 0) {
    return `### ${MARK.warning} Passed with ${plural(counts.warnings, 'warning')} in ${plural(counts.warningFiles, counts.noun)}\n\nNothing blocks the merge; each warning is annotated on its line.`;
  }
  return `### ${MARK.pass} Passed\n\n${plural(roots.length, fileNoun(roots))} checked: every call follows the policy.`;
}

// ---- Findings table ---------------------------------------------------------------------------------

function findingsTable(findings: readonly RenderedFinding[]): Block {
  if (findings.length === 0) return { items: [] };
  const rows = findings.map(
    (finding) => `| ${severityMark(finding.finding.severity)} | ${cell(code(finding.finding.ruleId))} | ${cell(code(where(finding)))} | ${md(finding.message)} |`,
  );
  return {
    items: ['| | Rule | Where | Finding |', '| :-: | --- | --- | --- |', ...rows],
    keep: 2,
    overflow: (left) => `| … | | | ${plural(left, 'more finding')} not listed here (GitHub limits the summary's size): each is annotated on its line. |`,
  };
}

// ---- The call graph, as a tree per top-level file ---------------------------------------------------

interface TreeContext {
  graph: CallGraph;
  redactor: Redactor;
  outgoing: Map<NodeKey, GraphEdge[]>;
  /** The worst severity of the findings each shown call stands for, by `edgeId`. */
  status: Map<string, FindingSeverity>;
  /** Every call on the chain of a finding, by `edgeId`: never folded away. */
  flagged: Set<string>;
  cuts: Map<string, LimitCut['reason']>;
  lines: string[];
  expanded: Set<NodeKey>;
}

function edgeId(edge: GraphEdge): string {
  return edge.kind === 'workflow' ? `${edge.from}\n${edge.jobId}` : `${edge.from}\n${edge.jobId ?? ''}\n${edge.step}`;
}

/** Passing actions listed under one workflow or composite action; the rest are counted (`actions/checkout` is everywhere). */
const MAX_PASSING_ACTIONS = 5;

function callGraphBlock(graph: CallGraph, redactor: Redactor, findings: readonly Finding[]): Block {
  const outgoing = new Map<NodeKey, GraphEdge[]>();
  for (const edge of graph.edges) {
    outgoing.set(edge.from, [...(outgoing.get(edge.from) ?? []), edge]);
  }
  const lines: string[] = [];
  for (const root of graph.roots) {
    const own = findings.filter((finding) => finding.root === root);
    const stats = graph.stats.get(root);
    const context: TreeContext = {
      graph,
      redactor,
      outgoing,
      status: edgeStatuses(graph, redactor, own),
      flagged: new Set(own.flatMap((finding) => finding.chain.map(edgeId))),
      cuts: new Map((stats?.cuts ?? []).map((cut) => [edgeId(cut.edge), cut.reason])),
      lines,
      expanded: new Set([root]),
    };
    // A blank line ends the previous file's list: otherwise the heading would continue its last item.
    if (lines.length > 0) lines.push('');
    lines.push(rootLine(graph, redactor, root, own, stats));
    walkTree(context, root, 0, [root]);
  }
  if (lines.length === 0) return { items: [] };
  return {
    items: ['#### Call graph', ...lines, '', LEGEND],
    keep: 1,
    overflow: (left) => `\n… ${plural(left, 'more line')} of the call graph not shown (GitHub limits the summary's size).`,
  };
}

function worst(severities: Iterable<FindingSeverity>): FindingSeverity | undefined {
  let result: FindingSeverity | undefined;
  for (const severity of severities) {
    if (severity === 'error') return 'error';
    result = severity;
  }
  return result;
}

/** Each finding marks the deepest call of its chain the tree shows (calls inside hidden workflows are not shown). */
function edgeStatuses(graph: CallGraph, redactor: Redactor, findings: readonly Finding[]): Map<string, FindingSeverity> {
  const status = new Map<string, FindingSeverity>();
  for (const finding of findings) {
    const hiddenAt = finding.chain.findIndex((edge) => redactor.hidesContent(calledRepo(graph, edge)));
    const edge = finding.chain[hiddenAt === -1 ? finding.chain.length - 1 : hiddenAt];
    if (edge === undefined) continue;
    const id = edgeId(edge);
    status.set(id, status.get(id) === 'error' ? 'error' : finding.severity);
  }
  return status;
}

function rootLine(graph: CallGraph, redactor: Redactor, root: NodeKey, findings: readonly Finding[], stats: RootStats | undefined): string {
  const node = graph.nodes.get(root);
  const name = `**${code(nodePath(graph, root))}**`;
  if (node?.error !== undefined) return `${MARK.unread} ${name} — not read: ${UNREAD_REASONS[node.error.kind]}`;
  const mark = statusMark(worst(findings.map((finding) => finding.severity)));
  // The size of a tree that goes through hidden workflows would describe their contents.
  const hides = stats?.nodes.some((key) => redactor.hidesContent(graph.nodes.get(key)?.address.repo ?? repoOfNodeKey(key))) ?? true;
  const actions = stats?.nodes.filter((key) => graph.nodes.get(key)?.kind === 'action').length ?? 0;
  const size =
    stats === undefined || hides
      ? ''
      : ` — ${plural(stats.unique, 'reusable workflow')}, ${plural(stats.levels, 'level')}${actions > 0 ? `, ${plural(actions, 'action')}` : ''}`;
  return `${mark} ${name}${size}`;
}

function statusMark(severity: FindingSeverity | undefined): string {
  return severity === undefined ? MARK.pass : severityMark(severity);
}

/**
 * Depth-first in written order; each workflow's calls and actions are listed once per top-level file, loops not
 * followed. Past the first few, actions that pass (and lead to nothing that fails) are counted, not listed.
 */
function walkTree(context: TreeContext, node: NodeKey, depth: number, path: readonly NodeKey[]): void {
  const indent = '  '.repeat(depth);
  let passing = 0;
  let folded = 0;
  for (const edge of context.outgoing.get(node) ?? []) {
    const quiet = edge.kind === 'action' && !context.flagged.has(edgeId(edge)) && edge.error === undefined && !context.cuts.has(edgeId(edge));
    if (quiet && ++passing > MAX_PASSING_ACTIONS) {
      folded += 1;
      continue;
    }
    const line = edgeLine(context, edge, path);
    context.lines.push(`${indent}- ${line.text}`);
    if (line.follow && edge.to !== undefined) {
      context.expanded.add(edge.to);
      walkTree(context, edge.to, depth + 1, [...path, edge.to]);
    }
  }
  if (folded > 0) context.lines.push(`${indent}- ${MARK.pass} … and ${plural(folded, 'more action')} that pass`);
}

/** How a call is named in the tree: `build:` for a job's call, `build step 2:` for a step, `step 2:` in a composite action. */
function edgeLabel(edge: GraphEdge): string {
  if (edge.kind === 'workflow') return `${code(edge.jobId)}:`;
  const step = `step ${edge.step + 1}`;
  return edge.jobId === undefined ? `${step}:` : `${code(edge.jobId)} ${step}:`;
}

function edgeLine(context: TreeContext, edge: GraphEdge, path: readonly NodeKey[]): { text: string; follow: boolean } {
  const { graph, redactor } = context;
  const callee = calledRepo(graph, edge);
  const job = edgeLabel(edge);
  const cut = context.cuts.get(edgeId(edge));
  const mark = cut !== undefined ? MARK.cut : edge.error !== undefined ? MARK.unread : statusMark(context.status.get(edgeId(edge)));
  if (redactor.hidesName(callee)) {
    return { text: `${mark} ${job} ${REDACTED_CALL}`, follow: false };
  }
  const hidden = redactor.hidesContent(callee);
  const commit = hidden ? undefined : shortCommit(graph, edge);
  const call = `${code(edge.uses.raw)}${commit === undefined ? '' : ` → ${code(commit)}`}`;
  const note = edgeNote(context, edge, path, cut, hidden);
  return { text: `${mark} ${job} ${call}${note === undefined ? '' : ` — ${note}`}`, follow: note === undefined && edge.to !== undefined };
}

/** Why a call's own calls are not listed under it, if they are not. */
function edgeNote(context: TreeContext, edge: GraphEdge, path: readonly NodeKey[], cut: LimitCut['reason'] | undefined, hidden: boolean): string | undefined {
  if (cut !== undefined) return `not followed: ${CUT_LIMITS[cut]} limit reached`;
  if (edge.error !== undefined) return `not read: ${UNREAD_REASONS[edge.error.kind]}`;
  if (edge.kind === 'action' && edge.workspaceUnknown !== undefined) return 'not read: its workspace cannot be known';
  if (hidden) return 'private: its calls are not shown';
  if (edge.to === undefined) return undefined;
  if (path.includes(edge.to)) return edge.kind === 'workflow' ? 'loop: calls a workflow above it' : 'loop: runs an action above it';
  if (context.expanded.has(edge.to) && (context.outgoing.get(edge.to)?.length ?? 0) > 0) return 'its calls are listed above';
  return context.graph.nodes.has(edge.to) ? undefined : 'not read';
}

/** The commit a call runs, short; nothing for a SHA pin, whose `uses:` already shows it. */
function shortCommit(graph: CallGraph, edge: GraphEdge): string | undefined {
  const reference = edge.uses.reference;
  if ((reference.kind === 'remote-workflow' || reference.kind === 'action') && isFullSha(reference.ref)) return undefined;
  const commit = (edge.to === undefined ? undefined : graph.nodes.get(edge.to)?.address.commit) ?? edge.resolvedRef?.commit;
  return commit?.slice(0, SHORT_SHA_LENGTH);
}

// ---- Exceptions, moved refs, notes ------------------------------------------------------------------

function exceptionBlocks(graph: CallGraph, redactor: Redactor, evaluation: Evaluation): Block[] {
  const used = evaluation.exceptionsUsed.map(({ exception, waived }) => {
    const places = waived.map((finding) => {
      const place = locateFinding(graph, finding);
      return `${code(finding.ruleId)} at ${code(`${nodePath(graph, finding.root)}:${place.range.start.line}`)}`;
    });
    const mentions = waived.flatMap((finding) => finding.mentions);
    const pattern = code(redactor.scrub(exception.uses, mentions));
    return `${pattern} (${code(policyPlace(exception))}): “${md(redactor.scrub(exception.reason, mentions))}” — waived ${places.join(', ')}`;
  });
  const expired = evaluation.exceptionsExpired.map(
    (exception) =>
      `${MARK.expired} ${code(redactor.scrub(exception.uses))} expired on **${md(exception.expires)}** (${code(policyPlace(exception))}) and no longer applies: ` +
      `“${md(redactor.scrub(exception.reason))}”. Renew or remove it in the policy file.`,
  );
  return [...listBlock('Exceptions used', used), ...listBlock('Exceptions expired', expired)];
}

function policyPlace(location: { file: string; range: SourceRange }): string {
  return `${location.file}:${location.range.start.line}`;
}

function movedRefBlocks(redactor: Redactor, moved: readonly MovedRef[]): Block[] {
  const items = moved.map((ref) => {
    const call = redactor.scrub(ref.call);
    // A private workflow's commits are its contents too.
    if (call !== ref.call) return 'A ref of a private workflow moved since the last evaluation.';
    return `${code(call)} moved from ${code(short(ref.from))} to ${code(short(ref.to))} since the last evaluation.`;
  });
  if (items.length === 0) return [];
  const intro = 'A re-run of all jobs runs a tag or branch as it is now, not the code checked before: pin these calls to a commit SHA.';
  return listBlock('Refs moved since the last evaluation', items, intro);
}

/**
 * How many callers in other repositories each changed reusable workflow or action has, by how the change reaches
 * them. Counts only: which of them break is in the findings, which name them only where the reader may see them.
 */
function callerBlocks(graph: CallGraph, impact: CallerImpactFacts | undefined): Block[] {
  if (!impact) return [];
  const items = [...impact.callers].map(([key, callers]) => {
    const merge = callers.filter((record) => record.refKind === 'named' && record.ref === impact.branch).length;
    const pinned = callers.filter((record) => record.refKind === 'sha').length;
    const moves = callers.length - merge - pinned;
    const parts = [
      ...(merge > 0 ? [`${formatNumber(merge)} reached when this merges into ${code(impact.branch ?? '')}`] : []),
      ...(moves > 0 ? [`${formatNumber(moves)} reached when the tag or branch they name moves to it`] : []),
      ...(pinned > 0 ? [`${formatNumber(pinned)} pinned to a commit SHA (not reached)`] : []),
    ];
    const uses = graph.nodes.get(key)?.kind === 'action' ? 'step' : 'call';
    return `${code(nodePath(graph, key))}: ${plural(callers.length, uses)} from other repositories — ${parts.join(', ')}.`;
  });
  return listBlock('Callers of the changed workflows and actions', items, 'From the index of the default branches of the repositories this app is installed on, and of their open pull requests.');
}

function short(sha: string): string {
  return isFullSha(sha) ? sha.slice(0, SHORT_SHA_LENGTH) : sha;
}

function listBlock(heading: string, items: readonly string[], intro?: string): Block[] {
  if (items.length === 0) return [];
  return [{ items: [`#### ${heading}`, ...(intro === undefined ? [] : [intro]), ...items.map((item) => `- ${item}`)] }];
}

// ---- Details (the check run's text) -----------------------------------------------------------------

function detailsText(findings: readonly RenderedFinding[]): string {
  const sections = findings.map((finding) => {
    const lines = [`#### ${severityMark(finding.finding.severity)} ${code(finding.finding.ruleId)} at ${code(where(finding))}`, md(finding.message)];
    if (finding.chain !== undefined) lines.push(`Call chain: ${code(finding.chain)}`);
    if (finding.site !== undefined) lines.push(`Found in ${code(finding.site.workflow)}, line ${finding.site.range.start.line}.`);
    if (finding.fix !== undefined) {
      lines.push(`**Fix:** ${md(finding.fix.summary)}`);
      if (finding.fix.text !== undefined) lines.push(fenced(finding.fix.text, 'yaml'));
    }
    return lines.join('\n\n');
  });
  return fitBlocks(
    [
      {
        items: ['### Details', ...sections],
        separator: '\n\n',
        keep: 1,
        overflow: (left) => `… the details of ${plural(left, 'more finding')} are left out (GitHub limits this text's size): each is annotated on its line.`,
      },
    ],
    CHECK_RUN_LIMITS.text,
    'this text',
  );
}

// ---- The last line of defence: no hidden name in anything sent -------------------------------------

function scrubReport(redactor: Redactor, evaluation: Evaluation, report: CheckRunReport): CheckRunReport {
  const all = [...evaluation.findings, ...evaluation.exceptionsUsed.flatMap((use) => use.waived)].flatMap((finding) => finding.mentions);
  const mentions: RepoId[] = [...new Map(all.map((repo) => [repoKey(repo), repo])).values()];
  const scrub = (text: string): string => showInvisible(redactor.active ? redactor.scrub(text, mentions) : text);
  // Scrubbing can lengthen text (a short name becomes "a private repository"): clamp again after it.
  return {
    ...report,
    title: clampText(scrub(report.title), CHECK_RUN_LIMITS.title, titleNote),
    summary: clampText(scrub(report.summary), CHECK_RUN_LIMITS.summary, markdownNote('the summary')),
    ...(report.text !== undefined && { text: clampText(scrub(report.text), CHECK_RUN_LIMITS.text, markdownNote('this text')) }),
    annotations: report.annotations.map((annotation) => ({
      ...annotation,
      title: clampText(scrub(annotation.title), CHECK_RUN_LIMITS.title, titleNote),
      message: clampText(scrub(annotation.message), CHECK_RUN_LIMITS.message, plainNote('this message')),
    })),
  };
}

/**
 * Bidirectional overrides and zero-width characters from workflow text would let a ref or path read
 * differently than it is: shown as visible `[U+202E]` marks instead.
 */
export function showInvisible(text: string): string {
  return text.replace(/[\u200B-\u200F\u202A-\u202E\u2060-\u2064\u2066-\u2069\uFEFF]/g, (char) => `[U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}]`);
}

// ---- Markdown ---------------------------------------------------------------------------------------

/** Text from workflows and messages, inline: no markup of its own, on one line. */
function md(text: string): string {
  return text.replace(/[\\`*_[\]<>|~&#]/g, '\\$&').replace(/\s*\r?\n\s*/g, ' ');
}

/** A code span that its own backticks cannot close. */
function code(text: string): string {
  const flat = text.replace(/\s*\r?\n\s*/g, ' ');
  const longest = Math.max(0, ...(flat.match(/`+/g) ?? []).map((run) => run.length));
  const ticks = '`'.repeat(longest + 1);
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${flat}${pad}${ticks}`;
}

/** Inside a table, a pipe ends the cell even in a code span. */
function cell(text: string): string {
  return text.replace(/\|/g, '\\|');
}

function fenced(text: string, info: string): string {
  const longest = Math.max(0, ...(text.match(/`+/g) ?? []).map((run) => run.length));
  const fence = '`'.repeat(Math.max(3, longest + 1));
  return `${fence}${info}\n${text}\n${fence}`;
}

function firstLine(text: string): string {
  return /^[^\r\n]*/.exec(text)?.[0] ?? text;
}

function firstLineRange(): SourceRange {
  return { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };
}

// ---- Fitting GitHub's limits ------------------------------------------------------------------------

/** A part of a Markdown field. A block with `overflow` may lose its last items, replaced by that note. */
interface Block {
  items: string[];
  /** Between items; a line break unless told. */
  separator?: string;
  /** Leading items always kept (a heading, a table's header). */
  keep?: number;
  overflow?: (left: number) => string;
}

const BLOCK_SEPARATOR = '\n\n';

function byteLength(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

function joinBlock(block: Block): string {
  return block.items.join(block.separator ?? '\n');
}

/** A block's text and size with only its first `count` items (and the overflow note when some are left out). */
interface SizedBlock {
  length: number;
  minimum: number;
  bytes(count: number): number;
  text(count: number): string;
}

function sized(block: Block): SizedBlock {
  const separator = block.separator ?? '\n';
  const prefix = [0];
  for (const item of block.items) prefix.push((prefix.at(-1) ?? 0) + byteLength(item));
  const length = block.items.length;
  const joined = (count: number): number => (prefix[count] ?? 0) + byteLength(separator) * Math.max(0, count - 1);
  const note = (count: number): string => block.overflow?.(length - count) ?? '';
  return {
    length,
    minimum: block.overflow === undefined ? length : Math.min(block.keep ?? 0, length),
    bytes: (count) => (count === length ? joined(count) : count === 0 ? byteLength(note(0)) : joined(count) + byteLength(separator) + byteLength(note(count))),
    text: (count) =>
      count === length ? joinBlock(block) : count === 0 ? note(0) : `${block.items.slice(0, count).join(separator)}${separator}${note(count)}`,
  };
}

/**
 * Joins the blocks within `limit` bytes. When they do not fit, the flexible blocks give up their last
 * items (the findings table is filled before the call graph), each ending with a note saying how many
 * were left out; fixed blocks (verdict, policy, exceptions) always stay. Clamped as a last resort.
 */
function fitBlocks(blocks: readonly Block[], limit: number, field: string): string {
  const parts = blocks.filter((block) => block.items.length > 0).map(sized);
  const counts = parts.map((part) => part.minimum);
  const size = (): number => parts.reduce((sum, part, index) => sum + part.bytes(counts[index] ?? 0), 0) + byteLength(BLOCK_SEPARATOR) * Math.max(0, parts.length - 1);
  let spare = limit - size();
  for (const [index, part] of parts.entries()) {
    let count = counts[index] ?? 0;
    while (count < part.length) {
      const growth = part.bytes(count + 1) - part.bytes(count);
      if (growth > spare) break;
      spare -= growth;
      count += 1;
    }
    counts[index] = count;
  }
  const text = parts.map((part, index) => part.text(counts[index] ?? 0)).join(BLOCK_SEPARATOR);
  return clampText(text, limit, markdownNote(field));
}

type TruncationNote = (leftOut: number) => string;

function markdownNote(field: string): TruncationNote {
  return (leftOut) => `\n\n… ${formatNumber(leftOut)} more characters left out: GitHub limits ${field} to 65,535 characters.`;
}

function plainNote(field: string): TruncationNote {
  return (leftOut) => `\n\n… ${formatNumber(leftOut)} more characters left out: GitHub limits ${field} to 64 KB.`;
}

function titleNote(leftOut: number): string {
  return ` … (${formatNumber(leftOut)} more characters)`;
}

/**
 * `text` within `limit` UTF-8 bytes, cut at a character boundary (at a line break when one is near),
 * closing a code fence left open, and ending with a note saying how many characters were left out.
 */
function clampText(text: string, limit: number, note: TruncationNote): string {
  if (byteLength(text) <= limit) return text;
  const total = countChars(text);
  let budget = limit - byteLength(note(total));
  for (;;) {
    let kept = cutAtBytes(text, budget);
    const lineBreak = kept.lastIndexOf('\n');
    if (lineBreak > kept.length / 2) kept = kept.slice(0, lineBreak);
    const fence = openFence(kept);
    const result = `${kept}${fence === undefined ? '' : `\n${fence}`}${note(total - countChars(kept))}`;
    const over = byteLength(result) - limit;
    if (over <= 0 || budget <= 0) return over <= 0 ? result : cutAtBytes(result, limit);
    budget -= over;
  }
}

/** Characters as people count them: a surrogate pair is one. */
function countChars(text: string): number {
  return text.length - (text.match(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g)?.length ?? 0);
}

/** The longest prefix of `text` within `budget` bytes that ends on a whole character. */
function cutAtBytes(text: string, budget: number): string {
  const bytes = Buffer.from(text, 'utf8');
  let end = Math.min(budget, bytes.length);
  // Back off continuation bytes (10xxxxxx) to the start of a character.
  while (end > 0 && end < bytes.length && ((bytes[end] ?? 0) & 0xc0) === 0x80) end -= 1;
  return bytes.subarray(0, end).toString('utf8');
}

/** The fence of a fenced code block still open at the end of `text`, if any. */
function openFence(text: string): string | undefined {
  let open: string | undefined;
  for (const line of text.split('\n')) {
    const run = /^(`{3,})/.exec(line)?.[1];
    if (run === undefined) continue;
    if (open === undefined) open = run;
    else if (run.length >= open.length && line.trim() === run) open = undefined;
  }
  return open;
}
