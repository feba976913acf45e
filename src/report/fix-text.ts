// Turns a structured fix into what people copy and what GitHub applies: a one-line summary, the exact
// text, and (when it is safe) a whole-line edit of the file — the form GitHub suggested changes take.
//
// Edits replace lines `startLine`..`endLine` (1-based, inclusive) with `replacement`, lines written
// without terminators; `applyEdits` joins them with the file's own line ending, so a CRLF file stays
// CRLF. An insertion repeats the line it follows as the first replacement line, because a suggested
// change can only replace lines. Every edit is proved before it is offered: applied to the file and
// re-parsed, it must add no diagnostic and the job must read as the fix intends; otherwise only the
// text is given. A suggestion must never corrupt a workflow.
import type { Fix } from '../engine/types.js';
import type { CallGraph, GraphNode, NodeKey } from '../graph/types.js';
import { repoFullName } from '../graph/types.js';
import type { Diagnostic, Job, Located, PermissionLevel, SourcePosition, SourceRange, Step, Workflow } from '../workflow/model.js';
import { parseActionManifest, parseWorkflow } from '../workflow/parse.js';

export interface LineEdit {
  /** First line replaced, 1-based. */
  startLine: number;
  /** Last line replaced, inclusive. */
  endLine: number;
  /** The new lines, without line terminators; empty deletes the lines. */
  replacement: string[];
}

export interface FixEdit extends LineEdit {
  node: NodeKey;
  /** Repository-relative path of the edited file. */
  path: string;
}

export interface RenderedFix {
  /** One sentence saying what to do. */
  summary: string;
  /** The lines to write, indented relative to the job's keys: what a person copies. */
  text?: string;
  /** The proved whole-line edit, when the file's layout allows one. */
  edit?: FixEdit;
}

export interface EditResult<T extends LineEdit> {
  text: string;
  applied: T[];
  /** Edits out of the file's line range, or overlapping one listed before them. */
  skipped: T[];
}

type JobFix = Exclude<Fix, { kind: 'repository-setting' } | { kind: 'edit-policy' } | { kind: 'replace-step-uses' }>;
type StepFix = Extract<Fix, { kind: 'replace-step-uses' }>;
type InputSpec = Extract<Fix, { kind: 'add-inputs' }>['inputs'][number];

/** An edit in the making: the lines it replaces and which of its lines are new (the copyable text). */
interface Plan {
  edit: LineEdit;
  written: string[];
}

/** Everything a job fix reads from its file. */
interface JobSource {
  key: NodeKey;
  path: string;
  text: string;
  /** The file's lines without terminators (and without a byte order mark). */
  lines: string[];
  workflow: Workflow;
  job: Job;
  /** One level of indentation, as the job's keys sit under its id. */
  step: string;
}

const DEFAULT_STEP = '  ';
const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_-]*$/;

export interface RenderFixOptions {
  /**
   * Whether to build (and prove, by re-parsing the edited file) the whole-line edit. Off where only the
   * text is shown: proving costs a parse of the file per fix, quadratic over a file with many findings.
   */
  edit?: boolean;
}

export function renderFix(graph: CallGraph, fix: Fix, options: RenderFixOptions = {}): RenderedFix {
  switch (fix.kind) {
    case 'repository-setting':
      return {
        summary: `Set "${fix.setting}" to "${fix.value}" in the settings of ${repoFullName(fix.repo)}.`,
        text: fix.url,
      };
    case 'edit-policy':
      return { summary: `If this call is intended, allow it in the policy file ${fix.file}.`, text: fix.suggestion };
    case 'replace-step-uses':
      return renderStepFix(graph, fix, options.edit ?? true);
    default:
      return renderJobFix(graph, fix, options.edit ?? true);
  }
}

function renderJobFix(graph: CallGraph, fix: JobFix, withEdit: boolean): RenderedFix {
  const summary = summarize(fix);
  const source = jobSource(graph, fix.node, fix.jobId);
  const plan = source === undefined ? undefined : safely(() => planEdit(source, fix));
  if (source === undefined || plan === undefined) {
    const body = textBody(fix, source?.step ?? DEFAULT_STEP);
    return body === undefined ? { summary } : { summary, text: body.join('\n') };
  }
  const pad = leadingSpace(source.lines[jobKeyLine(source.job) - 1] ?? '');
  const text = plan.written.map((line) => (line.startsWith(pad) ? line.slice(pad.length) : line)).join('\n');
  const shown = plan.written.length === 0 ? { summary } : { summary, text };
  if (!withEdit || safely(() => proves(source, fix, plan.edit)) !== true) return shown;
  const edit: FixEdit = { node: source.key, path: source.path, ...plan.edit };
  return { ...shown, edit };
}

// ---- A step's uses: --------------------------------------------------------------------------------

/** The steps a fix can address in a node: a job's in a workflow, or a composite action's. */
function stepsOf(node: Pick<GraphNode, 'workflow' | 'action'> | undefined, jobId: string | undefined): Step[] | undefined {
  if (jobId !== undefined) return node?.workflow?.jobs.find((job) => job.id === jobId)?.steps;
  const runs = node?.action?.runs;
  return runs?.using === 'composite' ? runs.steps : undefined;
}

/** `step 2 of job "build"`, or `step 2 of the action` for a composite action's step. */
function stepName(fix: StepFix): string {
  return `step ${fix.step + 1} of ${fix.jobId === undefined ? 'the action' : `job "${fix.jobId}"`}`;
}

/** The step's `uses:` line, rewritten in place: indentation, `- `, key spelling and quoting kept, comment replaced. */
function renderStepFix(graph: CallGraph, fix: StepFix, withEdit: boolean): RenderedFix {
  const summary = `Replace the uses: of ${stepName(fix)} with ${fix.uses}${commentSuffix(fix.comment)}.`;
  const fallback = { summary, text: `uses: ${fix.uses}${commentSuffix(fix.comment)}` };
  const node = graph.nodes.get(fix.node);
  const step = stepsOf(node, fix.jobId)?.find((candidate) => candidate.index === fix.step);
  const range = step?.uses?.range;
  if (node?.text === undefined || range === undefined || range.start.line !== range.end.line) return fallback;
  const lines = splitLines(node.text.replace(/^\uFEFF/, ''));
  const line = lines[range.start.line - 1];
  // Only a comment may follow the value on its line: anything else (a flow mapping's next key) is left to the text.
  if (line === undefined || !/^[ \t]*(#.*)?$/.test(line.slice(range.end.column - 1))) return fallback;
  const start = range.start.column - 1;
  const written = `${line.slice(0, start)}${quotedLike(line.charAt(start), fix.uses)}${commentSuffix(fix.comment)}`;
  const edit: LineEdit = { startLine: range.start.line, endLine: range.start.line, replacement: [written] };
  if (!withEdit || safely(() => provesStep(node, fix, edit)) !== true) return fallback;
  return { ...fallback, edit: { node: node.key, path: node.address.path, ...edit } };
}

/** The edited file parses with no new diagnostic, reads the same but for this step's uses:, and that says the fix. */
function provesStep(node: GraphNode, fix: StepFix, edit: LineEdit): boolean {
  const result = applyEdits(node.text ?? '', [edit]);
  if (result.skipped.length > 0) return false;
  // Each side is parsed afresh, so taking the step's uses: out of it to compare the rest changes nothing else.
  const parse = (text: string): { diagnostics: Diagnostic[]; rest: string; uses?: Step['uses'] } => {
    const model = node.kind === 'action' ? parseActionManifest(text, node.address.path) : parseWorkflow(text, node.address.path);
    const parsed: Pick<GraphNode, 'workflow' | 'action'> = 'jobs' in model ? { workflow: model } : { action: model };
    const step = stepsOf(parsed, fix.jobId)?.find((candidate) => candidate.index === fix.step);
    const uses = step?.uses;
    if (step) delete step.uses;
    return { diagnostics: model.diagnostics, rest: meaning(model), ...(uses && { uses }) };
  };
  const before = parse(node.text ?? '');
  const after = parse(result.text);
  return (
    after.uses?.value === fix.uses &&
    after.uses.comment === normalizedComment(fix.comment) &&
    !addsDiagnostics(before.diagnostics, after.diagnostics) &&
    before.rest === after.rest
  );
}

/** Planning and proving read user files in many ways; a defect there must cost the edit, not the check. */
function safely<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch {
    return undefined;
  }
}

// ---- Summaries and file-independent text ------------------------------------------------------------

function summarize(fix: JobFix): string {
  const job = `job "${fix.jobId}"`;
  switch (fix.kind) {
    case 'replace-uses':
      return `Replace the uses: of ${job} with ${fix.uses}${commentSuffix(fix.comment)}.`;
    case 'explicit-secrets':
      return fix.secrets.length === 0
        ? `Replace secrets: inherit in ${job} with secrets: {} — the called workflow declares no secrets.`
        : `Replace secrets: inherit in ${job} with the secrets the called workflow declares: ${fix.secrets.join(', ')}.`;
    case 'job-permissions':
      return `Give ${job} the permissions the called workflow needs: ${describePermissions(fix.permissions)}.`;
    case 'add-inputs': {
      const inputs = fix.inputs.map((input) => `${input.name} (${input.type})`).join(', ');
      return `Pass the required inputs ${inputs} under with: in ${job}, then fill in the placeholder values.`;
    }
    case 'add-secrets':
      return `Pass the required secrets ${fix.secrets.join(', ')} under secrets: in ${job}.`;
    case 'remove-keys':
      return `Remove ${fix.keys.join(', ')} from ${job}: GitHub does not allow them beside uses.`;
  }
}

function describePermissions(permissions: Record<string, PermissionLevel>): string {
  const scopes = sortedScopes(permissions).map(([scope, level]) => `${scope}: ${level}`);
  return scopes.length === 0 ? 'none (permissions: {})' : scopes.join(', ');
}

/** The text of a fix with no file to fit it into, written at the job's key level. */
function textBody(fix: JobFix, step: string): string[] | undefined {
  switch (fix.kind) {
    case 'replace-uses':
      return [`uses: ${fix.uses}${commentSuffix(fix.comment)}`];
    case 'explicit-secrets':
      return secretsMap('secrets', fix.secrets, '', step);
    case 'job-permissions':
      return permissionsBlock('permissions', fix.permissions, '', step);
    case 'add-inputs':
      return ['with:', ...fix.inputs.map((input) => inputEntry(input, step))];
    case 'add-secrets':
      return ['secrets:', ...fix.secrets.map((name) => secretEntry(name, step))];
    case 'remove-keys':
      return undefined;
  }
}

// ---- Line builders ----------------------------------------------------------------------------------

function normalizedComment(comment: string | undefined): string | undefined {
  const text = comment?.replace(/^\s*#/, '').replace(/\s+/g, ' ').trim();
  return text === undefined || text === '' ? undefined : text;
}

function commentSuffix(comment: string | undefined): string {
  const text = normalizedComment(comment);
  return text === undefined ? '' : ` # ${text}`;
}

/** Names GitHub allows are plain YAML keys; anything else is quoted rather than trusted. */
function yamlKey(name: string): string {
  return PLAIN_KEY.test(name) ? name : JSON.stringify(name);
}

function secretValue(name: string): string {
  return `\${{ secrets.${name} }}`;
}

function secretEntry(name: string, pad: string): string {
  return `${pad}${yamlKey(name)}: ${secretValue(name)}`;
}

function secretsMap(key: string, names: string[], pad: string, step: string): string[] {
  if (names.length === 0) {
    return [`${pad}${key}: {}`];
  }
  return [`${pad}${key}:`, ...names.map((name) => secretEntry(name, pad + step))];
}

function sortedScopes(permissions: Record<string, PermissionLevel>): [string, PermissionLevel][] {
  return Object.entries(permissions).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function permissionsBlock(key: string, permissions: Record<string, PermissionLevel>, pad: string, step: string): string[] {
  const scopes = sortedScopes(permissions);
  if (scopes.length === 0) {
    return [`${pad}${key}: {}`];
  }
  return [`${pad}${key}:`, ...scopes.map(([scope, level]) => `${pad}${step}${yamlKey(scope)}: ${level}`)];
}

/** `name: <placeholder> # type: description`: a value of the right type the author must replace. */
function inputEntry(input: InputSpec, pad: string): string {
  const placeholder = input.type === 'number' ? '0' : input.type === 'boolean' ? 'false' : "''";
  const description = input.description?.replace(/\s+/g, ' ').trim();
  const comment = description ? `${input.type}: ${description}` : input.type;
  return `${pad}${yamlKey(input.name)}: ${placeholder} # ${comment}`;
}

/** A new value written the way the old one was quoted. */
function quotedLike(opening: string | undefined, value: string): string {
  if (opening === '"') {
    return JSON.stringify(value);
  }
  if (opening === "'") {
    return `'${value.replace(/'/g, "''")}'`;
  }
  return value;
}

// ---- Reading the file -------------------------------------------------------------------------------

function jobSource(graph: CallGraph, key: NodeKey, jobId: string): JobSource | undefined {
  const node = graph.nodes.get(key);
  const workflow = node?.workflow;
  const job = workflow?.jobs.find((candidate) => candidate.id === jobId);
  if (node?.text === undefined || workflow === undefined || job === undefined) {
    return undefined;
  }
  const lines = splitLines(node.text.replace(/^\uFEFF/, ''));
  return { key, path: node.address.path, text: node.text, lines, workflow, job, step: indentStep(job) };
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === '') {
    lines.pop();
  }
  return lines;
}

function indentStep(job: Job): string {
  const first = job.keys[0];
  const width = first === undefined ? 0 : first.range.start.column - job.idRange.start.column;
  return width > 0 ? ' '.repeat(width) : DEFAULT_STEP;
}

function leadingSpace(line: string): string {
  return /^[ \t]*/.exec(line)?.[0] ?? '';
}

function jobKeyLine(job: Job): number {
  return job.keys[0]?.range.start.line ?? job.idRange.start.line;
}

function isBefore(a: SourcePosition, b: SourcePosition): boolean {
  return a.line < b.line || (a.line === b.line && a.column < b.column);
}

/**
 * A job written as an indented block mapping below its id. Flow mappings (`call: { uses: … }`) and jobs
 * reached through an alias (whose text sits elsewhere, shared) cannot take whole-line edits.
 */
function isBlockJob(source: JobSource): boolean {
  const { job, lines } = source;
  const opening = lines[job.range.start.line - 1]?.charAt(job.range.start.column - 1);
  return opening !== '{' && isBefore(job.idRange.end, job.range.start) && job.range.start.line > job.idRange.start.line;
}

function keyOf(job: Job, name: string): Located<string> | undefined {
  return job.keys.find((key) => key.value === name);
}

/** Whether `range` alone fills its lines: indentation before it, at most a comment after it. */
function ownsLines(lines: string[], range: SourceRange): boolean {
  const first = lines[range.start.line - 1];
  const last = lines[range.end.line - 1];
  if (first === undefined || last === undefined || range.end.line < range.start.line) {
    return false;
  }
  return /^[ \t]*$/.test(first.slice(0, range.start.column - 1)) && /^[ \t]*(#.*)?$/.test(last.slice(range.end.column - 1));
}

/** The lines of a `key: value` block of the job, when the block is the key's own (not an alias). */
function blockLines(source: JobSource, name: string, range: SourceRange): { key: Located<string>; line: string } | undefined {
  const key = keyOf(source.job, name);
  if (key === undefined || key.range.start.line !== range.start.line || key.range.start.column !== range.start.column) {
    return undefined;
  }
  const line = source.lines[range.start.line - 1];
  return line !== undefined && ownsLines(source.lines, range) ? { key, line } : undefined;
}

/** The key as written (`uses`, `"uses"`), to keep the author's spelling. */
function keyToken(line: string, key: Located<string>): string {
  return key.range.end.line === key.range.start.line ? line.slice(key.range.start.column - 1, key.range.end.column - 1) : key.value;
}

/** What follows `key:` on its line: '' or a comment for a block value, else the inline value. */
function inlineValue(line: string, key: Located<string>): string {
  const rest = /^[ \t]*:[ \t]*(.*)$/.exec(line.slice(key.range.end.column - 1))?.[1] ?? '?';
  return rest.startsWith('#') ? '' : rest.replace(/[ \t]#.*$/, '').trim();
}

/** The single line holding `uses: <value>` and nothing else, as the anchor of insertions. */
function usesLine(source: JobSource): { line: string; lineNumber: number; key: Located<string>; value: Located<string> } | undefined {
  const key = keyOf(source.job, 'uses');
  const value = source.job.uses;
  if (key === undefined || value === undefined) {
    return undefined;
  }
  const lineNumber = key.range.start.line;
  const line = source.lines[lineNumber - 1];
  const range = { start: key.range.start, end: value.range.end };
  const oneLine = value.range.start.line === lineNumber && value.range.end.line === lineNumber;
  return line !== undefined && oneLine && ownsLines(source.lines, range) ? { line, lineNumber, key, value } : undefined;
}

// ---- Planning edits ---------------------------------------------------------------------------------

function planEdit(source: JobSource, fix: JobFix): Plan | undefined {
  if (!isBlockJob(source)) {
    return undefined;
  }
  switch (fix.kind) {
    case 'replace-uses':
      return planReplaceUses(source, fix.uses, fix.comment);
    case 'explicit-secrets':
      return planExplicitSecrets(source, fix.secrets);
    case 'job-permissions':
      return planPermissions(source, fix.permissions);
    case 'add-inputs':
      return planAppend(source, 'with', source.job.with?.range, (pad) => fix.inputs.map((input) => inputEntry(input, pad)));
    case 'add-secrets':
      return source.job.secrets?.kind === 'inherit'
        ? undefined
        : planAppend(source, 'secrets', source.job.secrets?.range, (pad) => fix.secrets.map((name) => secretEntry(name, pad)));
    case 'remove-keys':
      return planRemoveKeys(source, fix.keys);
  }
}

/** Keeps indentation, key spelling, tags and quoting; drops the old trailing comment. */
function planReplaceUses(source: JobSource, uses: string, comment: string | undefined): Plan | undefined {
  const anchor = usesLine(source);
  if (anchor === undefined) {
    return undefined;
  }
  const start = anchor.value.range.start.column - 1;
  const line = `${anchor.line.slice(0, start)}${quotedLike(anchor.line.charAt(start), uses)}${commentSuffix(comment)}`;
  return { edit: { startLine: anchor.lineNumber, endLine: anchor.lineNumber, replacement: [line] }, written: [line] };
}

function planExplicitSecrets(source: JobSource, names: string[]): Plan | undefined {
  const secrets = source.job.secrets;
  const block = secrets?.kind === 'inherit' ? blockLines(source, 'secrets', secrets.range) : undefined;
  if (secrets === undefined || block === undefined) {
    return undefined;
  }
  const lines = secretsMap(keyToken(block.line, block.key), names, leadingSpace(block.line), source.step);
  return replaceLines(secrets.range, lines);
}

/** Replaces the job's `permissions:` block, or adds one after its `uses:` line. */
function planPermissions(source: JobSource, permissions: Record<string, PermissionLevel>): Plan | undefined {
  const existing = source.job.permissions;
  if (existing !== undefined) {
    const block = blockLines(source, 'permissions', existing.range);
    if (block === undefined) {
      return undefined;
    }
    return replaceLines(existing.range, permissionsBlock(keyToken(block.line, block.key), permissions, leadingSpace(block.line), source.step));
  }
  if (keyOf(source.job, 'permissions') !== undefined) {
    return undefined;
  }
  return insertAfterUses(source, (pad) => permissionsBlock('permissions', permissions, pad, source.step));
}

/**
 * Adds entries to the `with:` or `secrets:` map: after its last line, in place of an empty `{}`, or as
 * a new block after the `uses:` line. A map written inline with entries is left to the text.
 */
function planAppend(source: JobSource, name: 'with' | 'secrets', range: SourceRange | undefined, entries: (pad: string) => string[]): Plan | undefined {
  if (range === undefined) {
    // A key whose value did not parse as a map: adding a second one would duplicate it.
    return keyOf(source.job, name) === undefined ? insertAfterUses(source, (pad) => [`${pad}${name}:`, ...entries(pad + source.step)]) : undefined;
  }
  const block = blockLines(source, name, range);
  if (block === undefined) {
    return undefined;
  }
  const pad = leadingSpace(block.line);
  const inline = inlineValue(block.line, block.key);
  if (inline === '{}') {
    return replaceLines(range, [`${pad}${keyToken(block.line, block.key)}:`, ...entries(pad + source.step)]);
  }
  if (inline !== '') {
    return undefined;
  }
  const written = entries(entryIndent(source.lines, range) ?? pad + source.step);
  const last = source.lines[range.end.line - 1] ?? '';
  return { edit: { startLine: range.end.line, endLine: range.end.line, replacement: [last, ...written] }, written };
}

/** The indentation of a block map's entries: that of its first line that is not blank or a comment. */
function entryIndent(lines: string[], range: SourceRange): string | undefined {
  for (let line = range.start.line + 1; line <= range.end.line; line += 1) {
    const text = lines[line - 1] ?? '';
    if (!/^[ \t]*(#.*)?$/.test(text)) {
      return leadingSpace(text);
    }
  }
  return undefined;
}

/** Deletes contiguous keys, each from its line to the end of its value (comments before the next key stay). */
function planRemoveKeys(source: JobSource, keys: string[]): Plan | undefined {
  const all = source.job.keys;
  const indices = all.flatMap((key, index) => (keys.includes(key.value) ? [index] : []));
  const first = indices[0];
  const last = indices[indices.length - 1];
  if (first === undefined || last === undefined || last - first !== indices.length - 1) {
    return undefined;
  }
  const firstKey = all[first];
  if (firstKey === undefined) {
    return undefined;
  }
  const startLine = firstKey.range.start.line;
  const next = all[last + 1];
  let endLine = next === undefined ? source.job.range.end.line : next.range.start.line - 1;
  while (endLine > startLine && /^[ \t]*(#.*)?$/.test(source.lines[endLine - 1] ?? '')) {
    endLine -= 1;
  }
  const range = { start: firstKey.range.start, end: { line: endLine, column: (source.lines[endLine - 1] ?? '').length + 1 } };
  if (endLine < startLine || !ownsLines(source.lines, range)) {
    return undefined;
  }
  return { edit: { startLine, endLine, replacement: [] }, written: [] };
}

function replaceLines(range: SourceRange, lines: string[]): Plan {
  return { edit: { startLine: range.start.line, endLine: range.end.line, replacement: lines }, written: lines };
}

/** New keys go right after the `uses:` line, at its indentation. */
function insertAfterUses(source: JobSource, block: (pad: string) => string[]): Plan | undefined {
  const anchor = usesLine(source);
  if (anchor === undefined) {
    return undefined;
  }
  const written = block(leadingSpace(anchor.line));
  return { edit: { startLine: anchor.lineNumber, endLine: anchor.lineNumber, replacement: [anchor.line, ...written] }, written };
}

// ---- Proving edits ----------------------------------------------------------------------------------

/**
 * Applies the edit, re-parses, and checks that nothing broke: no new diagnostic, the rest of the file
 * reads the same (an anchor on an edited line would change its aliases too), the job keeps everything
 * the fix does not touch, and it now reads as the fix intends.
 */
function proves(source: JobSource, fix: JobFix, edit: LineEdit): boolean {
  const result = applyEdits(source.text, [edit]);
  if (result.skipped.length > 0) {
    return false;
  }
  const after = parseWorkflow(result.text, source.path);
  const job = after.jobs.find((candidate) => candidate.id === fix.jobId);
  const { touched, added, removed } = scope(fix);
  return (
    job !== undefined &&
    !addsDiagnostics(source.workflow.diagnostics, after.diagnostics) &&
    outsideJob(source.workflow, fix.jobId) === outsideJob(after, fix.jobId) &&
    untouched(source.job, touched) === untouched(job, touched) &&
    sameKeys(source.job, job, added, removed) &&
    intended(fix, source.job, job)
  );
}

/** The job fields a fix changes, and the keys it adds or removes. */
function scope(fix: JobFix): { touched: string[]; added: string[]; removed: string[] } {
  switch (fix.kind) {
    case 'replace-uses':
      return { touched: ['uses'], added: [], removed: [] };
    case 'explicit-secrets':
      return { touched: ['secrets'], added: [], removed: [] };
    case 'job-permissions':
      return { touched: ['permissions'], added: ['permissions'], removed: [] };
    case 'add-inputs':
      return { touched: ['with'], added: ['with'], removed: [] };
    case 'add-secrets':
      return { touched: ['secrets'], added: ['secrets'], removed: [] };
    case 'remove-keys':
      return { touched: fix.keys, added: [], removed: fix.keys };
  }
}

function addsDiagnostics(before: Diagnostic[], after: Diagnostic[]): boolean {
  const counts = new Map<string, number>();
  for (const diagnostic of before) {
    const signature = `${diagnostic.code}\n${diagnostic.message}`;
    counts.set(signature, (counts.get(signature) ?? 0) + 1);
  }
  return after.some((diagnostic) => {
    const signature = `${diagnostic.code}\n${diagnostic.message}`;
    const left = counts.get(signature) ?? 0;
    counts.set(signature, left - 1);
    return left <= 0;
  });
}

/** A model's meaning without its positions, which any edit above them shifts. */
function meaning(value: unknown): string {
  return JSON.stringify(value, (key, inner: unknown) => (key === 'range' || key === 'idRange' ? undefined : inner)) ?? '';
}

function outsideJob(workflow: Workflow, jobId: string): string {
  const { name, on, permissions, concurrency, jobs } = workflow;
  return meaning({ name, on, permissions, concurrency, jobs: jobs.map((job) => (job.id === jobId ? job.id : job)) });
}

function untouched(job: Job, touched: string[]): string {
  const kept = Object.entries(job).filter(([field]) => field !== 'keys' && !touched.includes(field));
  return meaning(Object.fromEntries(kept));
}

/** The job's keys are those it had, plus `added` (when absent before), minus `removed`. */
function sameKeys(before: Job, after: Job, added: string[], removed: string[]): boolean {
  const expected = before.keys.map((key) => key.value).filter((key) => !removed.includes(key));
  for (const key of added) {
    if (!expected.includes(key)) expected.push(key);
  }
  const actual = after.keys.map((key) => key.value);
  return expected.sort().join('\n') === actual.sort().join('\n');
}

/** Whether the changed field now says what the fix means. */
function intended(fix: JobFix, before: Job, after: Job): boolean {
  switch (fix.kind) {
    case 'replace-uses':
      return after.uses?.value === fix.uses && after.uses.comment === normalizedComment(fix.comment);
    case 'explicit-secrets':
      return after.secrets?.kind === 'map' && hasExactly(after.secrets.entries, fix.secrets, secretValue);
    case 'job-permissions':
      return after.permissions?.kind === 'map' && hasExactly(after.permissions.scopes, Object.keys(fix.permissions), (name) => fix.permissions[name]);
    case 'add-inputs':
      return extendsEntries(before.with?.entries, after.with?.entries, fix.inputs.map((input) => input.name));
    case 'add-secrets':
      return extendsEntries(secretEntries(before), secretEntries(after), fix.secrets);
    case 'remove-keys':
      return true;
  }
}

function secretEntries(job: Job): Record<string, Located<string>> | undefined {
  return job.secrets?.kind === 'map' ? job.secrets.entries : undefined;
}

function hasExactly<T>(entries: Record<string, Located<T>>, names: string[], expected: (name: string) => T | undefined): boolean {
  const keys = Object.keys(entries);
  return keys.length === new Set(names).size && names.every((name) => entries[name]?.value === expected(name));
}

/** The entries that were there, unchanged, plus the added names. */
function extendsEntries<T>(before: Record<string, Located<T>> | undefined, after: Record<string, Located<T>> | undefined, added: string[]): boolean {
  if (after === undefined) {
    return false;
  }
  const old = before ?? {};
  const expected = new Set([...Object.keys(old), ...added]);
  const keys = Object.keys(after);
  const kept = Object.entries(old).every(([name, entry]) => meaning(after[name]) === meaning(entry));
  return kept && keys.length === expected.size && keys.every((key) => expected.has(key));
}

// ---- Applying edits ---------------------------------------------------------------------------------

interface TextLine {
  content: string;
  /** The terminator as found: '\n', '\r\n', or '' for a last line without one. */
  end: string;
}

/**
 * Applies non-overlapping line edits, bottom-up so earlier line numbers stay valid. An edit out of the
 * file's lines, or overlapping one kept before it (in the given order), is skipped and reported.
 * Replacement lines take the file's line ending (that of its first line break).
 */
export function applyEdits<T extends LineEdit>(text: string, edits: readonly T[]): EditResult<T> {
  const bom = text.startsWith('\uFEFF') ? '\uFEFF' : '';
  const lines = textLines(text.slice(bom.length));
  const eol = /\r?\n/.exec(text)?.[0] ?? '\n';
  const applied: T[] = [];
  const skipped: T[] = [];
  for (const edit of edits) {
    const fits = Number.isInteger(edit.startLine) && Number.isInteger(edit.endLine) && edit.startLine >= 1 && edit.startLine <= edit.endLine && edit.endLine <= lines.length;
    const overlaps = applied.some((kept) => edit.startLine <= kept.endLine && kept.startLine <= edit.endLine);
    (fits && !overlaps ? applied : skipped).push(edit);
  }
  for (const edit of [...applied].sort((a, b) => b.startLine - a.startLine)) {
    replaceTextLines(lines, edit, eol);
  }
  return { text: bom + lines.map((line) => line.content + line.end).join(''), applied, skipped };
}

function textLines(text: string): TextLine[] {
  const lines: TextLine[] = [];
  const pattern = /\r?\n/g;
  let from = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    lines.push({ content: text.slice(from, match.index), end: match[0] });
    from = match.index + match[0].length;
  }
  if (from < text.length) {
    lines.push({ content: text.slice(from), end: '' });
  }
  return lines;
}

function replaceTextLines(lines: TextLine[], edit: LineEdit, eol: string): void {
  const lastEnd = lines[edit.endLine - 1]?.end ?? eol;
  const count = edit.replacement.length;
  const replaced = edit.replacement.map((content, index) => ({ content, end: index === count - 1 ? lastEnd : eol }));
  lines.splice(edit.startLine - 1, edit.endLine - edit.startLine + 1, ...replaced);
  const before = lines[edit.startLine - 2];
  if (count === 0 && lastEnd === '' && edit.startLine - 1 === lines.length && before !== undefined) {
    // The deleted lines ended the file without a line break: so does the file now.
    before.end = '';
  }
}
