// GitHub's own workflow parser and schema, @actions/workflow-parser, as a second pass over what ./parse.ts read:
// the rules it has that our model does not, in GitHub's words, at their positions.
//
// Loading it, in every runtime this project has: the package imports its schema as
// `import WorkflowSchema from "../workflow-v1.0.min.json"`, without the `with { type: 'json' }` attribute Node
// requires of a JSON module, so Node's own loader refuses it. Bundlers (esbuild: the Lambda functions and the
// action) and Jest read the JSON themselves. Where Node loads the package from node_modules (`npm start` and the
// CLI, run from tsc's output), a load hook adds the attribute to that package's JSON files, and only to them. The
// hook is registered before the package is imported, and the modules that need the package import this one
// statically, so ES module evaluation order puts the hook first.
import { createHash } from 'node:crypto';
import { register } from 'node:module';
import type { MappingToken } from '@actions/workflow-parser/templates/tokens/mapping-token';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import type { Diagnostic, SourceRange, Workflow } from './model.js';
import { isScalar, parseDocument, visit } from 'yaml';
import { Lru } from '../lru.js';
import { parseUses } from './uses.js';

/** Gives the package's own JSON imports the attribute they lack. Source text: a data: URL needs no file beside a bundle. */
const JSON_ATTRIBUTE_HOOK = `
export async function load(url, context, nextLoad) {
  if (url.startsWith('file:') && url.endsWith('.json') && url.includes('/@actions/workflow-parser/') && context.importAttributes?.type === undefined) {
    return nextLoad(url, { ...context, importAttributes: { ...context.importAttributes, type: 'json' } });
  }
  return nextLoad(url, context);
}`;

/**
 * Defined (true) by the esbuild settings of the bundles (scripts/action-bundle.ts, serverless.yml), which inline the
 * package: there is nothing to hook there, and registering would start a loader thread at every cold start. Left
 * undefined anywhere else, where the hook is registered; a bundle that forgot it would only pay that thread.
 */
declare const WARDEN_BUNDLE: boolean | undefined;

if (typeof WARDEN_BUNDLE === 'undefined') {
  register(`data:text/javascript,${encodeURIComponent(JSON_ATTRIBUTE_HOOK)}`);
}

const { NoOperationTraceWriter, convertWorkflowTemplate, isBasicExpression, isMapping, isSequence, isString, parseWorkflow } = await import('@actions/workflow-parser');

/** Past a few, more diagnostics only repeat the same breakage (parse.ts keeps as many). */
const MAX_DIAGNOSTICS = 100;
/** GitHub's messages quote the offending value, which a hostile file can make a megabyte long. */
const MAX_MESSAGE = 300;

/** The answers by path and content, bounded: a diagnostic is a few hundred bytes, most files have none. */
const remembered = new Lru<Diagnostic[]>(2_000);
const MAX_REMEMBERED_DIAGNOSTICS = 5;

/** Forgets every remembered answer, for a benchmark of the pass itself. */
export function forgetGithubSchemaResults(): void {
  remembered.clear();
}

/**
 * What GitHub's own parser rejects in a workflow that ./parse.ts read without a diagnostic: the schema
 * (`parseWorkflow`: every key and value type, the contexts each expression may use, keys equal but for case),
 * then the checks of `convertWorkflowTemplate` (job and step ids, `needs`, cron schedules). Each error becomes a
 * `github-schema` diagnostic at its position, in GitHub's words. Where the library and GitHub differ
 * (docs/workflow-parser.md, "Known differences"), the difference is taken out here.
 *
 * Only a file with no diagnostic of its own is given to the library: one that has some already fails, and the
 * library reports the same node again, elsewhere and in other words (row 5 of that table: the job's mapping, not
 * its id; a merge key as a value at its anchor; the YAML errors once more), so a called file's "N more problems"
 * would count one problem twice. Checking only such files also keeps hostile input away from the library, whose
 * reader expands every alias without a bound.
 */
export function githubSchemaDiagnostics(text: string, workflow: Workflow): Diagnostic[] {
  // The same file at the same path always gets the same answer: a shared workflow every caller in a burst reads,
  // a head evaluated again. The library's pass costs about as much as the rest of the parse, the hash a few µs.
  // Hashed as UTF-16, as JavaScript holds the text: UTF-8 would make every lone surrogate the same character.
  const key = `${workflow.path}\0${createHash('sha256').update(Buffer.from(text, 'utf16le')).digest('base64')}`;
  let known = remembered.get(key);
  if (known === undefined) {
    known = schemaDiagnostics(text, workflow);
    // A file with many problems fails anyway and is seldom read again unchanged: only small answers are kept.
    if (known.length <= MAX_REMEMBERED_DIAGNOSTICS) remembered.set(key, known);
  }
  return known.map((diagnostic) => ({ ...diagnostic, range: { start: { ...diagnostic.range.start }, end: { ...diagnostic.range.end } } }));
}

function schemaDiagnostics(text: string, workflow: Workflow): Diagnostic[] {
  let errors = libraryErrors(text, workflow);
  // An error with no position is the library's reader failing, not a rule of GitHub's: on a key YAML reads as a
  // number, a boolean or null (row 12), which GitHub reads as a string. Such keys are quoted, and the text read again.
  if (errors.some((error) => error.range === undefined)) {
    const quoted = withScalarKeysQuoted(text);
    if (quoted !== undefined) errors = libraryErrors(quoted.text, workflow).map((error) => (error.range === undefined ? error : { ...error, range: quoted.back(error.range) }));
  }
  const contract = reportedByContract(workflow);
  const diagnostics = new Map<string, Diagnostic>();
  for (const error of errors) {
    // Still a reader failure: what it found before it counts.
    if (error.range === undefined) continue;
    const at = positionText(error.range);
    if (contract.uses.has(at) || (contract.callingJobKeys.has(at) && error.rawMessage.startsWith("Unexpected value '"))) continue;
    const message = shown(error.rawMessage);
    // Once per place: the library reads an anchored node again at each of its aliases.
    diagnostics.set(`${at}\n${message}`, { code: 'github-schema', message, range: { start: { ...error.range.start }, end: { ...error.range.end } } });
    if (diagnostics.size === MAX_DIAGNOSTICS) break;
  }
  return [...diagnostics.values()];
}

interface LibraryError {
  rawMessage: string;
  range?: SourceRange;
}

function libraryErrors(text: string, workflow: Workflow): LibraryError[] {
  const parsed = parseWorkflow({ name: workflow.path, content: text }, new NoOperationTraceWriter());
  if (parsed.value !== undefined) {
    withoutEnvExpressions(parsed.value);
    // Without a file provider the conversion never awaits: its errors are all in the context when the call
    // returns, and the promise settles with nothing more to say.
    void convertWorkflowTemplate(parsed.context, parsed.value).catch(() => undefined);
  }
  return parsed.context.errors.getErrors().map((error) => ({ rawMessage: error.rawMessage, ...(error.range !== undefined && { range: error.range }) }));
}

/**
 * The text with every plain mapping key that YAML reads as something other than a string (`1`, `true`, `~`) in
 * single quotes, as GitHub reads it, and the way back from a position in it to one in the text. Undefined when
 * there is no such key, or one spans lines (left to the library as it is).
 */
function withScalarKeysQuoted(text: string): { text: string; back: (range: SourceRange) => SourceRange } | undefined {
  const document = parseDocument(text, { keepSourceTokens: false, uniqueKeys: false });
  const keys: Array<[number, number]> = [];
  visit(document, {
    Pair(_, pair) {
      const key = pair.key;
      if (isScalar(key) && key.type === 'PLAIN' && typeof key.value !== 'string' && key.range && key.range[1] > key.range[0]) keys.push([key.range[0], key.range[1]]);
    },
  });
  if (keys.length === 0 || keys.some(([start, end]) => text.slice(start, end).includes('\n'))) return undefined;
  keys.sort((a, b) => a[0] - b[0]);
  let quoted = '';
  let at = 0;
  // By line: the columns (in the quoted text) where each quoted key starts, and its length with the quotes.
  const byLine = new Map<number, Array<{ column: number; length: number }>>();
  let line = 1;
  let lineStart = 0;
  for (const [start, end] of keys) {
    for (let index = at; index < start; index++) {
      if (text.charCodeAt(index) === 10) {
        line++;
        lineStart = index + 1;
      }
    }
    quoted += `${text.slice(at, start)}'${text.slice(start, end)}'`;
    const before = byLine.get(line) ?? [];
    const shift = before.length * 2;
    before.push({ column: start - lineStart + 1 + shift, length: end - start + 2 });
    byLine.set(line, before);
    at = end;
  }
  quoted += text.slice(at);
  const position = ({ line: row, column }: SourceRange['start']): SourceRange['start'] => {
    let shift = 0;
    for (const key of byLine.get(row) ?? []) {
      if (column >= key.column + key.length) shift += 2;
      else if (column > key.column) shift += 1;
    }
    return { line: row, column: column - shift };
  };
  return { text: quoted, back: (range) => ({ start: position(range.start), end: position(range.end) }) };
}

/**
 * Where the `contract` rule reports the library's error itself, with what to write instead. The keys of a job that
 * calls a workflow: the rule reports each one GitHub does not allow beside `uses:`, with a fix (row 6), where the
 * library reports the same keys, or those of the calling kind. A `uses:` value that is no valid reference (an
 * expression, an empty string): the rule says what a reference looks like.
 */
function reportedByContract(workflow: Workflow): { callingJobKeys: Set<string>; uses: Set<string> } {
  const callingJobKeys = new Set<string>();
  const uses = new Set<string>();
  for (const job of workflow.jobs) {
    if (job.uses !== undefined) {
      for (const key of job.keys) callingJobKeys.add(positionText(key.range));
      if (parseUses(job.uses.value, 'job').reference.kind === 'invalid') uses.add(positionText(job.uses.range));
    }
    for (const step of job.steps) {
      if (step.uses !== undefined && parseUses(step.uses.value, 'step').reference.kind === 'invalid') uses.add(positionText(step.uses.range));
    }
  }
  return { callingJobKeys, uses };
}

/**
 * Row 1: GitHub runs a step or a job whose whole `env:` is one expression (its schema lets `step-env` and `job-env`
 * be one), and evaluates it when the job runs; the library's conversion asserts a mapping there and stops reading
 * the step. The expression is taken out of the tree before conversion, so the rest of that step is still checked.
 */
function withoutEnvExpressions(root: TemplateToken): void {
  const jobs = isMapping(root) ? root.find('jobs') : undefined;
  if (jobs === undefined || !isMapping(jobs)) return;
  for (const { value: job } of jobs) {
    if (!isMapping(job)) continue;
    removeEnvExpression(job);
    const steps = job.find('steps');
    if (steps === undefined || !isSequence(steps)) continue;
    for (const step of steps) if (isMapping(step)) removeEnvExpression(step);
  }
}

function removeEnvExpression(mapping: MappingToken): void {
  for (let index = mapping.count - 1; index >= 0; index--) {
    const { key, value } = mapping.get(index);
    if (isString(key) && key.value === 'env' && isBasicExpression(value)) mapping.remove(index);
  }
}

function positionText(range: SourceRange): string {
  return `${range.start.line}:${range.start.column}`;
}

/** GitHub's message, with invisible and control characters written out (a right-to-left override in a key) and a length bound. */
function shown(message: string): string {
  const visible = message.replace(/[\p{Cc}\p{Cf}]/gu, (char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`);
  return visible.length > MAX_MESSAGE ? `${Array.from(visible).slice(0, MAX_MESSAGE).join('')}…` : visible;
}
