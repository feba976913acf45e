// Reads one workflow file into the typed model of ./model.ts, with the source range of every node a
// finding may point at. Never throws: whatever is wrong with the file becomes a diagnostic, and the
// parts that can still be read are kept.
//
// Ranges are 1-based; `end` is the position just after the last character (columns count UTF-16
// code units). `Located` values carry the range of the value itself; `permissions`, `concurrency`,
// `with` and `secrets` blocks carry the range from their key to the end of their value, so an edit
// can replace the whole block. A value reached through a YAML alias carries the range of the anchored
// node, where its text is.
import { Composer, Lexer, LineCounter, Parser, isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Alias, CST, Document, Pair, ParsedNode, Scalar, YAMLMap, YAMLSeq } from 'yaml';
import type {
  ActionInput,
  ActionManifest,
  ActionRuns,
  Concurrency,
  Diagnostic,
  DiagnosticCode,
  Job,
  JobSecrets,
  Located,
  PermissionLevel,
  Permissions,
  SourcePosition,
  SourceRange,
  Step,
  Triggers,
  UsesValue,
  Workflow,
  WorkflowCallInput,
  WorkflowCallOutput,
  WorkflowCallSecret,
  WorkflowCallTrigger,
} from './model.js';
import { githubSchemaDiagnostics } from './github-schema.js';

/** GitHub does not run workflow files above 1 MiB; they are reported, not parsed. */
export const MAX_WORKFLOW_BYTES = 1_048_576;
/**
 * Deepest collection nesting read. yaml composes recursively: thousands of levels exhaust the stack,
 * and V8 can abort the whole process when it compiles a regular expression at that depth. Real
 * workflows nest about ten levels.
 */
const MAX_NESTING = 100;
/** Alias dereferences allowed when the document is fully expanded, as yaml's `maxAliasCount`. */
const MAX_ALIAS_COUNT = 100;
/**
 * Nodes the aliases may add once expanded: a few aliases of one large anchored mapping pass the count above, but
 * every reader that expands them (GitHub's parser, in ./github-schema.ts) reads that mapping again at each.
 */
const MAX_ALIAS_NODES = 10_000;
/** Diagnostics kept per file (and syntax errors read): past a few, more only repeat the same breakage. */
const MAX_DIAGNOSTICS = 100;

const FILE_START: SourceRange = { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };
const PERMISSION_LEVELS: ReadonlySet<string> = new Set<PermissionLevel>(['read', 'write', 'none']);
const FLOW_SCALAR_TYPES: ReadonlySet<string> = new Set(['PLAIN', 'QUOTE_DOUBLE', 'QUOTE_SINGLE']);
/**
 * The keys GitHub's workflow schema takes at the top level (`workflow-root` of @actions/workflow-parser's
 * workflow-v1.0.json); any other key is "Unexpected value". `description` is in that schema too.
 */
const TOP_LEVEL_KEYS: readonly string[] = ['name', 'description', 'run-name', 'on', 'permissions', 'env', 'defaults', 'concurrency', 'jobs'];
const WORKFLOW_KEYS: ReadonlySet<string> = new Set(TOP_LEVEL_KEYS);
const TOP_LEVEL_TEXT = 'name, description, run-name, on, permissions, env, defaults, concurrency and jobs';
/** Job ids as GitHub accepts them ("IDs may only contain alphanumeric characters, '_', and '-'"). */
const JOB_ID = /^[A-Za-z_][A-Za-z0-9_-]*$/;

type Value = ParsedNode | null;
type Item = ParsedNode | Pair<ParsedNode, ParsedNode | null>;

interface Entry {
  key: string;
  keyNode: ParsedNode;
  value: Value;
}

export interface ParseOptions {
  /**
   * Whether to run GitHub's own schema over a clean file (the default). Off where only the model is read and no
   * verdict depends on the diagnostics: which local calls a file makes, a file's version before a change.
   */
  githubSchema?: boolean;
}

export function parseWorkflow(content: string | Uint8Array, path: string, options: ParseOptions = {}): Workflow {
  const workflow: Workflow = { path, jobs: [], diagnostics: [] };
  readFile(content, workflow.diagnostics, (reader, text) => {
    reader.readWorkflow(workflow);
    // GitHub's own rules, for what this parser does not model; ./github-schema.ts says why only on a clean file.
    if (options.githubSchema !== false && workflow.diagnostics.length === 0) workflow.diagnostics.push(...githubSchemaDiagnostics(text, workflow));
  });
  return workflow;
}

/**
 * Reads an action's metadata file (`action.yml`), with the same limits and positions as a workflow. Only what
 * the graph and its callers need is modelled: `name`, `inputs` (what a step may pass), and `runs` (a composite
 * action's steps, a container's image, a JavaScript runtime). Never throws.
 */
export function parseActionManifest(content: string | Uint8Array, path: string): ActionManifest {
  const action: ActionManifest = { path, diagnostics: [] };
  readFile(content, action.diagnostics, (reader) => reader.readAction(action));
  return action;
}

function readFile(content: string | Uint8Array, diagnostics: Diagnostic[], read: (reader: WorkflowReader, text: string) => void): void {
  try {
    const text = decode(content, diagnostics);
    if (text !== undefined) {
      read(new WorkflowReader(text, diagnostics), text);
    }
  } catch (error) {
    // The last guard of "never throws": a defect in this module must not fail a whole evaluation.
    const reason = error instanceof Error ? error.message : String(error);
    diagnostics.push(diagnostic('yaml-syntax', `The file could not be read: ${reason}`, FILE_START));
  }
}

function diagnostic(code: DiagnosticCode, message: string, range: SourceRange): Diagnostic {
  return { code, message, range };
}

/** The text to parse, or undefined (with a diagnostic) for files too large or not text. */
function decode(content: string | Uint8Array, diagnostics: Diagnostic[]): string | undefined {
  if (byteLength(content) > MAX_WORKFLOW_BYTES) {
    diagnostics.push(
      diagnostic('too-large', `The file is larger than ${MAX_WORKFLOW_BYTES} bytes (1 MiB); it was not parsed.`, FILE_START),
    );
    return undefined;
  }
  const text = typeof content === 'string' ? content : decodeUtf8(content);
  if (text === undefined || text.includes('\0')) {
    diagnostics.push(diagnostic('binary', 'The file is not UTF-8 text; it was not parsed.', FILE_START));
    return undefined;
  }
  // A byte order mark is not part of the first line's columns.
  return text.startsWith('\uFEFF') ? text.slice(1) : text;
}

function byteLength(content: string | Uint8Array): number {
  if (typeof content !== 'string') {
    return content.byteLength;
  }
  // Each UTF-16 unit takes at least one UTF-8 byte, so long strings are too large without counting.
  return content.length > MAX_WORKFLOW_BYTES ? content.length : Buffer.byteLength(content, 'utf8');
}

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** One pass over one document: each part of the model is read from its own subtree, once. */
class WorkflowReader {
  private readonly lineCounter = new LineCounter();
  /** Alias → anchored node; filled only when the text can hold aliases. */
  private readonly aliasTargets = new Map<Alias, ParsedNode>();
  private aliasesResolve = true;
  /** yaml reported syntax errors: what it recovered is not what GitHub reads, which stops at the first. */
  private hasSyntaxErrors = false;

  constructor(
    private readonly source: string,
    private readonly diagnostics: Diagnostic[],
  ) {}

  readWorkflow(workflow: Workflow): void {
    const root = this.rootMapping('A workflow file must be a YAML mapping with `on` and `jobs`.');
    if (root !== undefined) {
      this.readRoot(workflow, root);
    }
  }

  readAction(action: ActionManifest): void {
    const root = this.rootMapping('An action file must be a YAML mapping with `runs`.');
    if (root !== undefined) {
      this.readActionRoot(action, root);
    }
  }

  /** The document's top-level mapping, checked (duplicate keys, aliases); undefined when there is none. */
  private rootMapping(notAMapping: string): YAMLMap.Parsed | undefined {
    const doc = this.compose();
    if (doc === undefined) {
      return undefined;
    }
    if (doc.contents !== null) {
      new DocumentCheck(this).walk(doc.contents);
    }
    const root = this.deref(doc.contents);
    if (!isMap(root)) {
      const range = root === null ? FILE_START : this.range(root);
      this.report('not-a-mapping', notAMapping, range);
      return undefined;
    }
    return root;
  }

  // ---- YAML -----------------------------------------------------------------------------------

  /**
   * yaml's parseDocument, driven token by token so that hostile input stops early: nesting before
   * yaml recurses into it, a flood of syntax errors before each costs an exception object.
   * Duplicate keys are checked by DocumentCheck: yaml compares every key with every other.
   * The core schema whatever `%YAML` directive the file declares: yaml's 1.1 schema merges `<<` keys
   * even with `merge: false`, and GitHub does not merge them (DocumentCheck reports each one).
   */
  private compose(): Document.Parsed | undefined {
    let stoppedAt: { offset: number; message: string } | undefined;
    const parser = new Parser(this.lineCounter.addNewLine);
    this.lineCounter.addNewLine(0);
    const text = this.source;
    function* tokens(): Generator<CST.Token> {
      let errors = 0;
      for (const lexeme of new Lexer().lex(text)) {
        for (const token of parser.next(lexeme)) {
          errors += token.type === 'error' ? 1 : 0;
          yield token;
        }
        if (parser.stack.length > MAX_NESTING) {
          stoppedAt = { offset: parser.offset, message: `The YAML nests deeper than ${MAX_NESTING} levels; the file was not read.` };
          return;
        }
        if (errors > MAX_DIAGNOSTICS) {
          stoppedAt = { offset: parser.offset, message: `More than ${MAX_DIAGNOSTICS} YAML syntax errors; the rest was not read.` };
          return;
        }
      }
      yield* parser.end();
    }
    let doc: Document.Parsed | undefined;
    for (const composed of new Composer({ uniqueKeys: false, merge: false, schema: 'core' }).compose(tokens(), true, text.length)) {
      if (doc === undefined) {
        doc = composed;
        continue;
      }
      const second = this.offsetRange(composed.range[0], composed.range[0]);
      this.report('yaml-syntax', 'A workflow file holds one YAML document; this starts a second one.', second);
      break;
    }
    if (doc !== undefined) {
      this.reportSyntaxErrors(doc);
    }
    if (stoppedAt !== undefined) {
      // Past the cap of report(): why the file was left unread must always be said.
      const range = this.offsetRange(stoppedAt.offset, stoppedAt.offset);
      this.diagnostics.push(diagnostic('yaml-syntax', stoppedAt.message, range));
      return undefined;
    }
    return doc;
  }

  private reportSyntaxErrors(doc: Document.Parsed): void {
    this.hasSyntaxErrors = doc.errors.length > 0;
    for (const error of doc.errors.slice(0, MAX_DIAGNOSTICS)) {
      const [start, end] = error.pos;
      this.report('yaml-syntax', `YAML syntax error: ${error.message}`, this.offsetRange(start, end));
    }
  }

  /** Follows an alias to its anchored node (not at all once aliases proved unsafe). */
  deref(node: Value): Value {
    if (node === null) {
      return null;
    }
    if (!isAlias(node)) {
      return node;
    }
    return this.aliasesResolve ? (this.aliasTargets.get(node) ?? null) : null;
  }

  setAliasTarget(alias: Alias, target: ParsedNode): void {
    this.aliasTargets.set(alias, target);
  }

  stopResolvingAliases(): void {
    this.aliasesResolve = false;
  }

  // ---- Positions --------------------------------------------------------------------------------

  private position(offset: number): SourcePosition {
    const { line, col } = this.lineCounter.linePos(offset);
    return { line, column: col };
  }

  offsetRange(start: number, end: number): SourceRange {
    return { start: this.position(start), end: this.position(end) };
  }

  /** From the node's first character to its last, leaving out trailing comments and blank lines. */
  range(node: ParsedNode): SourceRange {
    return this.offsetRange(node.range[0], this.contentEnd(node));
  }

  /** From a key to the end of its value: the whole block, as an edit would replace it. */
  private pairRange(keyNode: ParsedNode, value: Value): SourceRange {
    const end = value === null ? keyNode.range[1] : Math.max(keyNode.range[1], this.contentEnd(value));
    return this.offsetRange(keyNode.range[0], end);
  }

  private contentEnd(node: ParsedNode): number {
    // A block collection's own range runs on over the comments after its last item.
    const last = (isMap(node) || isSeq(node)) && !node.flow ? lastNode(node) : null;
    if (last !== null) {
      return this.contentEnd(last);
    }
    let end = node.range[1];
    while (end > node.range[0] && /\s/.test(this.source.charAt(end - 1))) {
      end -= 1;
    }
    return end;
  }

  report(code: DiagnosticCode, message: string, range: SourceRange): void {
    if (this.diagnostics.length < MAX_DIAGNOSTICS) {
      this.diagnostics.push(diagnostic(code, message, range));
    }
  }

  private invalidValue(node: ParsedNode, message: string): void {
    this.report('invalid-value', message, this.range(node));
  }

  // ---- Generic readers --------------------------------------------------------------------------

  /** A mapping's entries with string keys; later duplicates are skipped (yaml reports them). */
  private entries(map: YAMLMap.Parsed): Entry[] {
    const entries: Entry[] = [];
    const seen = new Set<string>();
    for (const pair of map.items) {
      const keyNode = this.deref(pair.key);
      if (!isScalar(keyNode) || keyNode.value === null || typeof keyNode.value === 'object') {
        if (keyNode !== null) {
          this.invalidValue(keyNode, 'Keys in a workflow must be plain strings.');
        }
        continue;
      }
      const key = scalarText(keyNode);
      if (!seen.has(key)) {
        seen.add(key);
        entries.push({ key, keyNode, value: pair.value });
      }
    }
    return entries;
  }

  /** Every key of a mapping as written, duplicates included. */
  private keys(map: YAMLMap.Parsed): Located<string>[] {
    const keys: Located<string>[] = [];
    for (const pair of map.items) {
      const keyNode = this.deref(pair.key);
      if (isScalar(keyNode) && keyNode.value !== null && typeof keyNode.value !== 'object') {
        keys.push({ value: scalarText(keyNode), range: this.range(keyNode) });
      }
    }
    return keys;
  }

  /** A scalar as text (numbers and booleans as written); absent for null, reported for collections. */
  private text(value: Value, what: string): Located<string> | undefined {
    const node = this.deref(value);
    if (isScalar(node) && node.value !== null && typeof node.value !== 'object') {
      return { value: scalarText(node), range: this.range(node) };
    }
    if (node !== null && !isScalar(node)) {
      this.invalidValue(node, `${what} must be a string.`);
    }
    return undefined;
  }

  private boolean(value: Value, what: string): Located<boolean> | undefined {
    const node = this.deref(value);
    if (isScalar(node) && typeof node.value === 'boolean') {
      return { value: node.value, range: this.range(node) };
    }
    if (node !== null) {
      this.invalidValue(node, `${what} must be true or false.`);
    }
    return undefined;
  }

  /** The node as plain data, for values the model keeps opaque (`with` values, `strategy`, defaults). */
  private located(value: Value): Located<unknown> | undefined {
    const node = this.deref(value);
    return node === null ? undefined : { value: this.plain(node), range: this.range(node) };
  }

  private plain(node: Value): unknown {
    const resolved = this.deref(node);
    if (isScalar(resolved)) {
      return resolved.value;
    }
    if (isSeq(resolved)) {
      return resolved.items.map((item: Item) => (isPairItem(item) ? this.plainPair(item.key, item.value) : this.plain(item)));
    }
    if (isMap(resolved)) {
      const object: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
      for (const pair of resolved.items) {
        object[this.keyText(pair.key)] = this.plain(pair.value);
      }
      return object;
    }
    return null;
  }

  private keyText(key: Value): string {
    const node = this.deref(key);
    return isScalar(node) ? scalarText(node) : String(this.plain(node));
  }

  private plainPair(key: Value, value: Value): Record<string, unknown> {
    const object: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
    object[this.keyText(key)] = this.plain(value);
    return object;
  }

  /** A mapping, or a report (`message`) that the value should have been one; null means "nothing". */
  private mapping(value: Value, message: string): YAMLMap.Parsed | undefined {
    const node = this.deref(value);
    if (isMap(node)) {
      return node;
    }
    if (!isNullish(node)) {
      this.invalidValue(node as ParsedNode, message);
    }
    return undefined;
  }

  // ---- Workflow ---------------------------------------------------------------------------------

  private readRoot(workflow: Workflow, root: YAMLMap.Parsed): void {
    const entries = this.entries(root);
    // After a YAML syntax error the keys yaml recovered (a tab-indented job read as a top-level key) are not the
    // file's; GitHub reports only the syntax error, and so does this.
    const checkKeys = !this.hasSyntaxErrors;
    for (const { key, keyNode, value } of entries) {
      // A `<<` here is already a merge-key diagnostic.
      if (checkKeys && !WORKFLOW_KEYS.has(key) && !isMergeKey(keyNode)) {
        this.invalidValue(keyNode, `Unexpected value '${key}'. A workflow's top level takes only ${TOP_LEVEL_TEXT}; GitHub rejects any other key.`);
      }
      switch (key) {
        case 'name':
          setDefined(workflow, 'name', this.text(value, '`name`'));
          break;
        case 'on':
          setDefined(workflow, 'on', this.triggers(keyNode, value));
          break;
        case 'permissions':
          setDefined(workflow, 'permissions', this.permissions(keyNode, value));
          break;
        case 'concurrency':
          setDefined(workflow, 'concurrency', this.concurrency(keyNode, value));
          break;
        case 'jobs':
          workflow.jobs = this.readJobs(value);
          break;
      }
    }
    if (!checkKeys) {
      return;
    }
    // GitHub's "Required property is missing", at the document's first key (the file's start when it has none).
    const first = root.items[0]?.key;
    const at = first ? this.range(this.deref(first) ?? first) : this.range(root);
    if (!entries.some((entry) => entry.key === 'on')) {
      this.report('invalid-value', 'Required property is missing: on. A workflow needs on: the events that run it (workflow_call for a reusable workflow).', at);
    }
    if (!entries.some((entry) => entry.key === 'jobs')) {
      this.report('invalid-value', 'Required property is missing: jobs. A workflow needs jobs: at least one job to run.', at);
    }
  }

  private triggers(keyNode: ParsedNode, value: Value): Triggers | undefined {
    const node = this.deref(value);
    const range = this.range(keyNode);
    if (isScalar(node) && typeof node.value === 'string') {
      const event = { value: node.value, range: this.range(node) };
      return withDefined<Triggers, 'workflowCall'>({ form: 'string', range, events: [event] }, 'workflowCall', this.eventTrigger(event));
    }
    if (isSeq(node)) {
      const events = node.items.flatMap((item: Item) => {
        const event = this.text(isPairItem(item) ? item.key : item, 'An event in `on`');
        return event ? [event] : [];
      });
      const call = events.map((event) => this.eventTrigger(event)).find((trigger) => trigger !== undefined);
      return withDefined<Triggers, 'workflowCall'>({ form: 'list', range, events }, 'workflowCall', call);
    }
    if (!isMap(node)) {
      this.invalidValue(node ?? keyNode, '`on` must name an event, a list of events or a mapping of events.');
      return undefined;
    }
    const triggers: Triggers = { form: 'map', range, events: [] };
    for (const entry of this.entries(node)) {
      triggers.events.push({ value: entry.key, range: this.range(entry.keyNode) });
      if (entry.key === 'workflow_call') {
        triggers.workflowCall = this.workflowCall(entry.keyNode, entry.value);
      }
    }
    return triggers;
  }

  private eventTrigger(event: Located<string>): WorkflowCallTrigger | undefined {
    return event.value === 'workflow_call' ? { range: event.range, inputs: [], secrets: [], outputs: [] } : undefined;
  }

  private workflowCall(keyNode: ParsedNode, value: Value): WorkflowCallTrigger {
    const trigger: WorkflowCallTrigger = { range: this.range(keyNode), inputs: [], secrets: [], outputs: [] };
    const map = this.mapping(value, '`workflow_call` must be a mapping of inputs, secrets and outputs.');
    for (const { key, value: section } of map ? this.entries(map) : []) {
      if (key === 'inputs') {
        trigger.inputs = this.declarations(section, 'inputs', (name, range, fields) => this.input(name, range, fields));
      } else if (key === 'secrets') {
        trigger.secrets = this.declarations(section, 'secrets', (name, range, fields) => this.secret(name, range, fields));
      } else if (key === 'outputs') {
        trigger.outputs = this.declarations(section, 'outputs', (name, range, fields) => this.output(name, range, fields));
      }
    }
    return trigger;
  }

  /** `inputs`, `secrets` or `outputs` of workflow_call: a mapping of names to their fields. */
  private declarations<T>(section: Value, what: string, read: (name: string, range: SourceRange, fields: Entry[]) => T): T[] {
    const map = this.mapping(section, `\`workflow_call.${what}\` must be a mapping of names to definitions.`);
    const declarations: T[] = [];
    for (const { key, keyNode, value } of map ? this.entries(map) : []) {
      const node = this.deref(value);
      if (isMap(node)) {
        declarations.push(read(key, this.range(keyNode), this.entries(node)));
      } else if (isNullish(node)) {
        declarations.push(read(key, this.range(keyNode), []));
      } else if (node !== null) {
        this.invalidValue(node, `\`${what}.${key}\` must be a mapping.`);
      }
    }
    return declarations;
  }

  private input(name: string, range: SourceRange, fields: Entry[]): WorkflowCallInput {
    const input: WorkflowCallInput = { name, range, required: false };
    for (const { key, value } of fields) {
      if (key === 'type') {
        setDefined(input, 'type', this.text(value, `The type of input "${name}"`));
      } else if (key === 'required') {
        input.required = this.boolean(value, `\`required\` of input "${name}"`)?.value ?? false;
      } else if (key === 'default') {
        setDefined(input, 'default', this.located(value));
      } else if (key === 'description') {
        setDefined(input, 'description', this.text(value, `The description of input "${name}"`)?.value);
      }
    }
    return input;
  }

  private secret(name: string, range: SourceRange, fields: Entry[]): WorkflowCallSecret {
    const secret: WorkflowCallSecret = { name, range, required: false };
    for (const { key, value } of fields) {
      if (key === 'required') {
        secret.required = this.boolean(value, `\`required\` of secret "${name}"`)?.value ?? false;
      } else if (key === 'description') {
        setDefined(secret, 'description', this.text(value, `The description of secret "${name}"`)?.value);
      }
    }
    return secret;
  }

  private output(name: string, range: SourceRange, fields: Entry[]): WorkflowCallOutput {
    const output: WorkflowCallOutput = { name, range };
    for (const { key, value } of fields) {
      if (key === 'value') {
        setDefined(output, 'value', this.text(value, `The value of output "${name}"`));
      } else if (key === 'description') {
        setDefined(output, 'description', this.text(value, `The description of output "${name}"`)?.value);
      }
    }
    return output;
  }

  private permissions(keyNode: ParsedNode, value: Value): Permissions | undefined {
    const node = this.deref(value);
    const range = this.pairRange(keyNode, node);
    if (isScalar(node) && (node.value === 'read-all' || node.value === 'write-all')) {
      return { kind: node.value, range };
    }
    if (!isMap(node)) {
      const at = node ?? keyNode;
      this.invalidValue(at, '`permissions` must be read-all, write-all, {} or a mapping of scopes to read, write or none.');
      return undefined;
    }
    const scopes: Record<string, Located<PermissionLevel>> = Object.create(null) as Record<string, Located<PermissionLevel>>;
    for (const entry of this.entries(node)) {
      const level = this.deref(entry.value);
      if (isScalar(level) && typeof level.value === 'string' && PERMISSION_LEVELS.has(level.value)) {
        scopes[entry.key] = { value: level.value as PermissionLevel, range: this.range(level) };
      } else {
        this.invalidValue(level ?? entry.keyNode, `Permission "${entry.key}" must be read, write or none.`);
      }
    }
    return { kind: 'map', scopes, range };
  }

  private concurrency(keyNode: ParsedNode, value: Value): Concurrency | undefined {
    const node = this.deref(value);
    const range = this.pairRange(keyNode, node);
    if (isScalar(node) && node.value !== null && typeof node.value !== 'object') {
      return withDefined<Concurrency, 'group'>({ range }, 'group', this.text(node, '`concurrency`'));
    }
    const map = this.mapping(node, '`concurrency` must be a group name or a mapping with `group`.');
    if (map === undefined) {
      return undefined;
    }
    const concurrency: Concurrency = { range };
    for (const entry of this.entries(map)) {
      if (entry.key === 'group') {
        setDefined(concurrency, 'group', this.text(entry.value, '`concurrency.group`'));
      } else if (entry.key === 'cancel-in-progress') {
        setDefined(concurrency, 'cancelInProgress', this.cancelInProgress(entry.value));
      }
    }
    return concurrency;
  }

  /** `true`, `false` or an expression string. */
  private cancelInProgress(value: Value): Located<boolean | string> | undefined {
    const node = this.deref(value);
    if (isScalar(node) && typeof node.value === 'boolean') {
      return { value: node.value, range: this.range(node) };
    }
    return this.text(node, '`cancel-in-progress`');
  }

  // ---- Jobs -------------------------------------------------------------------------------------

  private readJobs(value: Value): Job[] {
    const node = this.deref(value);
    const jobs: Job[] = [];
    if (!isMap(node)) {
      if (node !== null) {
        this.report('not-a-mapping', '`jobs` must be a mapping of job ids to jobs.', this.range(node));
      }
      return jobs;
    }
    for (const { key, keyNode, value: jobValue } of this.entries(node)) {
      this.checkJobId(key, keyNode);
      const jobNode = this.deref(jobValue);
      if (isMap(jobNode)) {
        jobs.push(this.job(key, keyNode, jobNode));
      } else {
        const range = jobNode === null ? this.range(keyNode) : this.range(jobNode);
        this.report('not-a-mapping', `Job "${key}" must be a mapping of keywords (runs-on and steps, or uses).`, range);
      }
    }
    return jobs;
  }

  /**
   * GitHub rejects a file whose job ids are not identifiers. Invisible characters (a right-to-left
   * override, a zero-width space) are written out as escapes, so the reader sees what makes the id invalid.
   */
  private checkJobId(id: string, keyNode: ParsedNode): void {
    if (JOB_ID.test(id)) {
      return;
    }
    const cut = id.length > 60 ? `${id.slice(0, 60)}…` : id;
    const shown = cut.replace(/[^\x20-\x7e…]/gu, (char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16)}}`);
    this.invalidValue(keyNode, `Job id "${shown}" is not valid: GitHub requires a letter or _ first, then only letters, digits, - and _.`);
  }

  private job(id: string, keyNode: ParsedNode, map: YAMLMap.Parsed): Job {
    const job: Job = { id, idRange: this.range(keyNode), range: this.range(map), keys: this.keys(map), steps: [] };
    for (const { key, keyNode: fieldKey, value } of this.entries(map)) {
      this.readJobField(job, key, fieldKey, value);
    }
    // GitHub's schema: a job either runs on a runner or calls a workflow. Both at once is the `contract` rule's
    // "keyword not allowed beside uses".
    if (!job.keys.some(({ value }) => value === 'runs-on' || value === 'uses')) {
      this.invalidValue(keyNode, `Required property is missing: runs-on. Job "${id}" needs runs-on (a runner for its steps) or uses (a reusable workflow to call).`);
    }
    return job;
  }

  private readJobField(job: Job, key: string, keyNode: ParsedNode, value: Value): void {
    switch (key) {
      case 'name':
        return setDefined(job, 'name', this.text(value, `The name of job "${job.id}"`));
      case 'uses':
        return setDefined(job, 'uses', this.uses(value, keyNode));
      case 'with':
        return setDefined(job, 'with', this.withBlock(keyNode, value));
      case 'secrets':
        return setDefined(job, 'secrets', this.jobSecrets(keyNode, value));
      case 'strategy':
        return setDefined(job, 'strategy', this.located(value));
      case 'needs':
        return setDefined(job, 'needs', this.needs(value));
      case 'if':
        return setDefined(job, 'if', this.condition(value));
      case 'concurrency':
        return setDefined(job, 'concurrency', this.concurrency(keyNode, value));
      case 'permissions':
        return setDefined(job, 'permissions', this.permissions(keyNode, value));
      case 'steps':
        job.steps = this.steps(value);
    }
  }

  /** A `uses` string with the comment that ends its line (`# v1.2.3` → `v1.2.3`). */
  private uses(value: Value, keyNode: ParsedNode): UsesValue | undefined {
    const node = this.deref(value);
    if (!isScalar(node) || typeof node.value !== 'string') {
      this.invalidValue(node ?? keyNode, '`uses` must be a string naming a workflow or an action.');
      return undefined;
    }
    const comment = FLOW_SCALAR_TYPES.has(node.type ?? '') ? this.commentAfter(node.range[1]) : undefined;
    return withDefined<UsesValue, 'comment'>({ value: node.value, range: this.range(node) }, 'comment', comment);
  }

  /** The comment on the rest of the line after `offset`, trimmed and without `#`. */
  private commentAfter(offset: number): string | undefined {
    const text = this.source;
    let index = offset;
    while (text[index] === ' ' || text[index] === '\t') {
      index += 1;
    }
    if (text[index] !== '#') {
      return undefined;
    }
    let end = index + 1;
    while (end < text.length && text[end] !== '\n' && text[end] !== '\r') {
      end += 1;
    }
    const comment = text.slice(index + 1, end).trim();
    return comment === '' ? undefined : comment;
  }

  private withBlock(keyNode: ParsedNode, value: Value): Job['with'] {
    const node = this.deref(value);
    const map = this.mapping(node, '`with` must be a mapping of input names to values.');
    if (map === undefined && !isNullish(node)) {
      return undefined;
    }
    const entries: Record<string, Located<unknown>> = Object.create(null) as Record<string, Located<unknown>>;
    for (const entry of map ? this.entries(map) : []) {
      const located = this.located(entry.value) ?? { value: null, range: this.range(entry.keyNode) };
      entries[entry.key] = located;
    }
    return { range: this.pairRange(keyNode, node), entries };
  }

  private jobSecrets(keyNode: ParsedNode, value: Value): JobSecrets | undefined {
    const node = this.deref(value);
    const range = this.pairRange(keyNode, node);
    if (isScalar(node) && node.value === 'inherit') {
      return { kind: 'inherit', range };
    }
    const map = this.mapping(node, '`secrets` must be `inherit` or a mapping of secret names to values.');
    if (map === undefined && !isNullish(node)) {
      return undefined;
    }
    const entries: Record<string, Located<string>> = Object.create(null) as Record<string, Located<string>>;
    for (const entry of map ? this.entries(map) : []) {
      const secret = this.text(entry.value, `Secret "${entry.key}"`);
      if (secret) {
        entries[entry.key] = secret;
      }
    }
    return { kind: 'map', range, entries };
  }

  private needs(value: Value): Located<string[]> | undefined {
    const node = this.deref(value);
    if (isSeq(node)) {
      const ids = node.items.flatMap((item: Item) => {
        const id = this.text(isPairItem(item) ? item.key : item, 'A job id in `needs`');
        return id ? [id.value] : [];
      });
      return { value: ids, range: this.range(node) };
    }
    if (isMap(node)) {
      this.invalidValue(node, '`needs` must be a job id or a list of job ids.');
      return undefined;
    }
    const id = this.text(node, '`needs`');
    return id ? { value: [id.value], range: id.range } : undefined;
  }

  private condition(value: Value): Located<string | boolean> | undefined {
    const node = this.deref(value);
    if (isScalar(node) && typeof node.value === 'boolean') {
      return { value: node.value, range: this.range(node) };
    }
    return this.text(node, '`if`');
  }

  private steps(value: Value): Step[] {
    const node = this.deref(value);
    if (!isSeq(node)) {
      if (!isNullish(node)) {
        this.invalidValue(node as ParsedNode, '`steps` must be a list of steps.');
      }
      return [];
    }
    const steps: Step[] = [];
    node.items.forEach((item: Item, index) => {
      const stepNode = isPairItem(item) ? null : this.deref(item);
      if (!isMap(stepNode)) {
        const at = stepNode ?? (isPairItem(item) ? this.deref(item.key) : null);
        this.report('not-a-mapping', `Step ${index + 1} must be a mapping (uses or run, …).`, at ? this.range(at) : FILE_START);
        return;
      }
      steps.push(this.step(index, stepNode));
    });
    return steps;
  }

  private step(index: number, map: YAMLMap.Parsed): Step {
    const step: Step = { index, range: this.range(map) };
    for (const { key, keyNode, value } of this.entries(map)) {
      if (key === 'uses') {
        setDefined(step, 'uses', this.uses(value, keyNode));
      } else if (key === 'with') {
        setDefined(step, 'with', this.withBlock(keyNode, value));
      }
    }
    return step;
  }

  // ---- Actions ----------------------------------------------------------------------------------

  private readActionRoot(action: ActionManifest, root: YAMLMap.Parsed): void {
    const entries = this.entries(root);
    for (const { key, keyNode, value } of entries) {
      if (key === 'name') {
        setDefined(action, 'name', this.text(value, '`name`'));
      } else if (key === 'runs') {
        setDefined(action, 'runs', this.runs(keyNode, value));
      } else if (key === 'inputs') {
        setDefined(action, 'inputs', this.actionInputs(value));
      }
    }
    if (!entries.some((entry) => entry.key === 'runs')) {
      this.report('not-a-mapping', 'An action file must say how the action runs: `runs` is missing.', FILE_START);
    }
  }

  /**
   * `inputs`: read for what callers pass, never reported — how strictly the runner reads the fields is not the
   * graph's concern. `required` counts only when it is `true`.
   */
  private actionInputs(value: Value): ActionInput[] | undefined {
    const map = this.deref(value);
    if (!isMap(map)) return undefined;
    return this.entries(map).map(({ key, keyNode, value: fields }) => {
      const input: ActionInput = { name: key, range: this.range(keyNode), required: false };
      const node = this.deref(fields);
      for (const field of isMap(node) ? this.entries(node) : []) {
        if (field.key === 'required') input.required = this.plain(field.value) === true;
        else if (field.key === 'default') setDefined(input, 'default', this.located(field.value));
      }
      return input;
    });
  }

  /** `runs.using`: `composite` with `steps`, `docker` with `image`, or a JavaScript runtime (`node20`, `node24`). */
  private runs(keyNode: ParsedNode, value: Value): ActionRuns | undefined {
    const map = this.mapping(value, '`runs` must be a mapping with `using`.');
    if (map === undefined) {
      if (isNullish(this.deref(value))) this.invalidValue(keyNode, '`runs` must be a mapping with `using`.');
      return undefined;
    }
    const range = this.range(map);
    const fields = new Map(this.entries(map).map((entry) => [entry.key, entry]));
    const using = this.text(fields.get('using')?.value ?? null, '`runs.using`');
    if (using === undefined) {
      this.invalidValue(fields.get('using')?.keyNode ?? keyNode, '`runs.using` must be composite, docker or a JavaScript runtime such as node24.');
      return undefined;
    }
    if (using.value === 'composite') {
      return { using: 'composite', range, steps: this.steps(fields.get('steps')?.value ?? null) };
    }
    if (using.value === 'docker') {
      return withDefined<ActionRuns & { using: 'docker' }, 'image'>({ using: 'docker', range }, 'image', this.text(fields.get('image')?.value ?? null, '`runs.image`'));
    }
    if (/^node\d+$/.test(using.value)) {
      return { using: 'node', range, runtime: using };
    }
    this.report('invalid-value', `\`runs.using\` ${JSON.stringify(using.value)} is not one GitHub runs: write composite, docker or a JavaScript runtime such as node24.`, using.range);
    return undefined;
  }
}

/** Sets an optional property only when there is a value, so absent stays absent (not `undefined`). */
function setDefined<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) {
    target[key] = value;
  }
}

function withDefined<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): T {
  setDefined(target, key, value);
  return target;
}

/** The last item of a block collection: where its content ends. */
function lastNode(collection: YAMLMap.Parsed | YAMLSeq.Parsed): ParsedNode | null {
  const item: Item | undefined = collection.items[collection.items.length - 1];
  if (item === undefined) {
    return null;
  }
  return isPair(item) ? (item.value ?? item.key) : item;
}

function isPairItem(item: Item): item is Pair<ParsedNode, ParsedNode | null> {
  return isPair(item);
}

function isNullish(node: Value): boolean {
  return node === null || (isScalar(node) && node.value === null);
}

/** A plain `<<` key (or one tagged `!!merge`): a YAML 1.1 merge key. */
function isMergeKey(keyNode: ParsedNode): boolean {
  return isScalar(keyNode) && ((keyNode.source === '<<' && keyNode.type === 'PLAIN') || keyNode.tag === 'tag:yaml.org,2002:merge');
}

/** A scalar key or value as the workflow author wrote it (`1.0` stays `1.0`, not `1`). */
function scalarText(node: Scalar.Parsed): string {
  return typeof node.value === 'string' ? node.value : (node.source ?? String(node.value));
}

/**
 * One walk over the whole document for what yaml checks too slowly or not at all. Duplicate keys:
 * yaml compares every key of a mapping with every other, quadratic in a hostile file; here a set per
 * mapping. Aliases: resolved the way yaml does (the last anchor of that name before the alias);
 * documents whose full expansion needs more than MAX_ALIAS_COUNT dereferences (the "billion laughs")
 * or that hold an alias inside the node it names are refused. Recursion is bounded by MAX_NESTING.
 */
class DocumentCheck {
  private readonly anchors = new Map<string, ParsedNode>();
  /** Dereferences needed to expand each anchored node; -1 while it is being walked. */
  private readonly expansions = new Map<ParsedNode, number>();
  private total = 0;
  private aliasesFailed = false;
  /** Nodes walked so far, aliases counted as the nodes they expand to; and of those, the ones aliases added. */
  private nodes = 0;
  private aliasNodes = 0;
  /** The expanded size, in nodes, of each anchored node. */
  private readonly sizes = new Map<ParsedNode, number>();

  constructor(private readonly reader: WorkflowReader) {}

  /** Checks `node` and returns the alias dereferences needed to expand it fully. */
  walk(node: ParsedNode): number {
    if (isAlias(node)) {
      return this.alias(node);
    }
    if (node.anchor) {
      this.anchors.set(node.anchor, node);
      this.expansions.set(node, -1);
    }
    const before = this.nodes++;
    let count = 0;
    if (isSeq(node)) {
      for (const item of node.items as Item[]) {
        count += isPairItem(item) ? this.walkPair(item) : this.walk(item);
      }
    } else if (isMap(node)) {
      const keys = new Set<string>();
      for (const pair of node.items) {
        count += this.walkPair(pair);
        this.checkMergeKey(pair.key);
        this.checkUnique(pair.key, keys);
      }
    }
    if (node.anchor) {
      this.expansions.set(node, count);
      this.sizes.set(node, this.nodes - before);
    }
    return count;
  }

  private walkPair(pair: Pair<ParsedNode, ParsedNode | null>): number {
    return this.walk(pair.key) + (pair.value === null ? 0 : this.walk(pair.value));
  }

  /**
   * A plain `<<` key (or one tagged `!!merge`) is a YAML 1.1 merge key. GitHub supports anchors and aliases but
   * not merge keys, so it rejects the file; this parser never merges them, so what it reads is not what a
   * merging reader would run either way.
   */
  private checkMergeKey(keyNode: ParsedNode): void {
    if (isMergeKey(keyNode)) {
      const message = 'YAML merge keys (<<) are not supported by GitHub, which rejects the file: write the keys out (anchors and aliases of whole values work).';
      this.reader.report('merge-key', message, this.reader.range(keyNode));
    }
  }

  private checkUnique(keyNode: ParsedNode, keys: Set<string>): void {
    const key = this.reader.deref(keyNode);
    if (!isScalar(key) || key.value === null || typeof key.value === 'object') {
      return;
    }
    const text = scalarText(key);
    if (keys.has(text)) {
      const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
      const message = `Duplicate key ${JSON.stringify(shown)}: GitHub rejects repeated keys; keep one.`;
      this.reader.report('duplicate-key', message, this.reader.range(keyNode));
    }
    keys.add(text);
  }

  private alias(alias: Alias.Parsed): number {
    if (this.aliasesFailed) {
      return 0;
    }
    const target = this.anchors.get(alias.source);
    if (target === undefined) {
      this.fail('yaml-syntax', `Alias *${alias.source} names no anchor before it.`, alias);
      return 0;
    }
    const inner = this.expansions.get(target) ?? 0;
    if (inner === -1) {
      this.fail('alias-limit', `Alias *${alias.source} sits inside the node it names; it would expand forever.`, alias);
      return 0;
    }
    this.reader.setAliasTarget(alias, target);
    const count = 1 + inner;
    this.total += count;
    if (this.total > MAX_ALIAS_COUNT) {
      const message = `The YAML aliases expand to more than ${MAX_ALIAS_COUNT} copies (an alias bomb); they were not expanded.`;
      this.fail('alias-limit', message, alias);
      return 0;
    }
    const size = this.sizes.get(target) ?? 0;
    this.nodes += size;
    this.aliasNodes += size;
    if (this.aliasNodes > MAX_ALIAS_NODES) {
      const message = `The YAML aliases expand to more than ${MAX_ALIAS_NODES.toLocaleString('en-US')} nodes (an alias bomb); they were not expanded.`;
      this.fail('alias-limit', message, alias);
      return 0;
    }
    return count;
  }

  private fail(code: DiagnosticCode, message: string, alias: Alias.Parsed): void {
    this.aliasesFailed = true;
    this.reader.stopResolvingAliases();
    this.reader.report(code, message, this.reader.range(alias));
  }
}
