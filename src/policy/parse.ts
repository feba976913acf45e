// Reading a policy file: YAML with positions → schema validation with line-accurate messages →
// presets (`extends`) merged and defaults applied. Pure: presets come through a loader.
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import {
  isAlias,
  isMap,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  parseDocument,
  Parser,
  visit,
  type Document,
  type Node as YamlNode,
  type Pair,
} from 'yaml';
import schema from '../../policies/schema.json' with { type: 'json' };
import type { Visibility } from '../graph/types.js';
import type { SourceRange } from '../workflow/model.js';
import type {
  Enforcement,
  Policy,
  PolicyDiagnostic,
  PolicyException,
  PolicyFile,
  RepoPolicyMode,
  RepositoryOverride,
  RuleSettings,
  RulesFile,
  Severity,
  TagRequirement,
  TagRequirementFile,
} from './types.js';
import { USES_KINDS } from './types.js';

/** Policy files are a few kilobytes; anything this large is a mistake or an attack. */
export const MAX_POLICY_CHARS = 256 * 1024;
/** Aliases in a policy are rare; a cap stops "billion laughs" expansion. */
export const MAX_POLICY_ALIASES = 100;
/** `extends` chains deeper than this are certainly a mistake. */
export const MAX_EXTENDS_DEPTH = 8;
/**
 * Deepest YAML nesting read. A valid policy nests about ten levels at most; yaml composes recursively,
 * and a few thousand levels (ten bytes of `[` each) make V8 abort the whole process while compiling a
 * regular expression, which no try/catch can stop.
 */
export const MAX_POLICY_NESTING = 64;

export type PolicyPath = readonly (string | number)[];

/** A schema-valid policy file with a way back to positions in its text. */
export interface RawPolicyDocument {
  file: string;
  value: PolicyFile;
  /** Range of the value at `path` (or of its key when the value is empty; or of the nearest existing ancestor). */
  locate(path: PolicyPath): SourceRange;
}

export interface ParsePolicyResult {
  /** Present only when there is no diagnostic. */
  policy?: RawPolicyDocument;
  diagnostics: PolicyDiagnostic[];
}

export interface CompilePolicyResult {
  /** Present only when there is no diagnostic. */
  policy?: Policy;
  diagnostics: PolicyDiagnostic[];
}

export interface PresetSource {
  file: string;
  text: string;
}

export interface ResolveOptions {
  /** Returns a preset's text by name, or undefined when there is no such preset. Called synchronously. */
  loadPreset: (name: string) => PresetSource | undefined;
  /** Known preset names, for "did you mean" hints. */
  presetNames?: readonly string[];
}

/** `file:line:column: message`, the form editors and CI logs link. */
export function formatPolicyDiagnostic(diagnostic: PolicyDiagnostic): string {
  return `${diagnostic.file}:${diagnostic.line}:${diagnostic.column}: ${diagnostic.message}`;
}

// ---------------------------------------------------------------------------------------------
// Parsing and validation

/** Parses and validates one policy file. Never throws; every problem is a diagnostic. */
export function parsePolicy(text: string, file: string): ParsePolicyResult {
  const lineCounter = new LineCounter();
  const at = (start: number, end: number, message: string): PolicyDiagnostic =>
    diagnosticAt(file, lineCounter, start, end, message);
  if (text.length > MAX_POLICY_CHARS) {
    const message = `policy file is too large (${text.length} characters; the limit is ${MAX_POLICY_CHARS})`;
    return { diagnostics: [{ file, line: 1, column: 1, endLine: 1, endColumn: 1, message }] };
  }
  const tooDeep = nestingLimitCrossed(text);
  if (tooDeep !== undefined) {
    const message = `the YAML nests deeper than ${MAX_POLICY_NESTING} levels; the file was not read`;
    return { diagnostics: [diagnosticAt(file, tooDeep.lineCounter, tooDeep.offset, tooDeep.offset, message)] };
  }
  const doc = parseDocument(text, {
    lineCounter,
    prettyErrors: false,
    uniqueKeys: true,
    version: '1.2',
    schema: 'core',
  });
  const yamlProblems = yamlDiagnostics(doc, at);
  if (yamlProblems.length > 0) return { diagnostics: sortDiagnostics(yamlProblems) };
  if (doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)) {
    return { diagnostics: [at(0, 0, 'policy file is empty; it needs at least `version: 1`')] };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: MAX_POLICY_ALIASES });
  } catch {
    // The only throw left after the checks above is yaml's alias-expansion guard.
    return { diagnostics: [at(0, 0, `too many YAML aliases (more than ${MAX_POLICY_ALIASES} expansions)`)] };
  }
  const locate = (path: PolicyPath): SourceRange => toSourceRange(lineCounter, nodeSpan(doc, path));
  const validate = policyValidator();
  if (validate(value)) return { policy: { file, value: value as PolicyFile, locate }, diagnostics: [] };
  const diagnostics = (validate.errors ?? []).map((error) => schemaDiagnostic(error, doc, at));
  return { diagnostics: sortDiagnostics(dedupe(diagnostics)) };
}

type At = (start: number, end: number, message: string) => PolicyDiagnostic;

/**
 * Where the text first nests deeper than MAX_POLICY_NESTING, before anything composes it: yaml's token
 * parser keeps its own stack instead of recursing, so this pass is safe at any depth.
 */
function nestingLimitCrossed(text: string): { offset: number; lineCounter: LineCounter } | undefined {
  const lineCounter = new LineCounter();
  lineCounter.addNewLine(0);
  const parser = new Parser(lineCounter.addNewLine);
  for (const lexeme of new Lexer().lex(text)) {
    // Only the parser's depth matters here; its tokens are dropped.
    for (const token of parser.next(lexeme)) void token;
    if (parser.stack.length > MAX_POLICY_NESTING) return { offset: parser.offset, lineCounter };
  }
  return undefined;
}

function yamlDiagnostics(doc: Document, at: At): PolicyDiagnostic[] {
  const problems = doc.errors.map((error) => {
    const [start, end] = error.pos;
    const duplicate = error.code === 'DUPLICATE_KEY' ? keyStartingAt(doc, start) : undefined;
    if (duplicate !== undefined) {
      return at(...duplicate.span, `duplicate key ${JSON.stringify(duplicate.key)}; a key may appear only once in a mapping`);
    }
    return at(start, end, `YAML syntax error: ${error.message}`);
  });
  for (const warning of doc.warnings) {
    // An unquoted `!my-org/x` is a YAML tag, not a string: the block pattern would silently vanish.
    if (warning.code !== 'TAG_RESOLVE_FAILED') continue;
    const [start, end] = warning.pos;
    const tag = warning.message.replace(/^Unresolved tag: /, '');
    const local = tag.startsWith('!') && !tag.startsWith('!!');
    const hint = local ? `; a value that starts with "!" must be quoted, as in "${tag}"` : '';
    problems.push(at(start, end, `unknown YAML tag ${JSON.stringify(tag)}${hint}`));
  }
  visit(doc, {
    Pair(_, pair) {
      if (pair.key !== null && !isScalar(pair.key)) {
        const [start, end] = spanOf(pair.key as YamlNode);
        problems.push(at(start, end, 'keys must be plain strings'));
      }
      // Reported before anything is converted, so a merge key is never merged (yaml merges a `!!merge <<` even
      // under the core schema), whatever `%YAML` directive the file declares.
      if (isMergeKey(pair.key)) {
        const [start, end] = spanOf(pair.key);
        problems.push(at(start, end, 'YAML merge keys (<<) are not supported; write the keys out'));
      }
    },
    Alias(_, alias) {
      if (alias.resolve(doc) === undefined) {
        const [start, end] = spanOf(alias);
        problems.push(at(start, end, `unknown YAML alias "*${alias.source}"`));
      }
    },
  });
  return problems;
}

/** A plain `<<` key, or one tagged `!!merge`: a YAML 1.1 merge key (a quoted "<<" is an ordinary key). */
function isMergeKey(key: unknown): key is YamlNode {
  return isScalar(key) && ((key.source === '<<' && key.type === 'PLAIN') || key.tag === 'tag:yaml.org,2002:merge');
}

/** The scalar key a duplicate-key error points at (yaml reports only its first character). */
function keyStartingAt(doc: Document, offset: number): { key: string; span: [number, number] } | undefined {
  let found: { key: string; span: [number, number] } | undefined;
  visit(doc, {
    Pair(_, pair) {
      if (isScalar(pair.key) && pair.key.range?.[0] === offset) found = { key: String(pair.key.value), span: spanOf(pair.key) };
    },
  });
  return found;
}

let compiled: ValidateFunction | undefined;

/** Compiled once per process: compiling the schema costs far more than validating a policy. */
function policyValidator(): ValidateFunction {
  if (compiled !== undefined) return compiled;
  const ajv = new Ajv({ allErrors: true, verbose: true, strict: true, allowUnionTypes: true });
  // Annotation read by editors (yaml-language-server) and by the messages below.
  ajv.addKeyword({ keyword: 'patternErrorMessage', schemaType: 'string' });
  ajv.addFormat('date', { type: 'string', validate: isCalendarDate });
  compiled = ajv.compile(schema);
  return compiled;
}

/** `YYYY-MM-DD` naming a real day (no 2027-02-30). */
export function isCalendarDate(value: string): boolean {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (match === null) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  if (month < 1 || month > 12 || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

// ---------------------------------------------------------------------------------------------
// ajv errors → messages at the offending node

function schemaDiagnostic(error: ErrorObject, doc: Document, at: At): PolicyDiagnostic {
  const path = pointerToPath(error.instancePath);
  const where = describePath(path);
  const params = error.params as Record<string, unknown>;
  const span = (p: PolicyPath, key = false): [number, number] => nodeSpan(doc, p, key);
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const properties = schemaField(error.parentSchema, 'properties');
      const allowed = typeof properties === 'object' && properties !== null ? Object.keys(properties) : [];
      const message = `unknown key ${JSON.stringify(key)} in ${where}; ${suggestion(key, allowed, 'allowed keys')}`;
      return at(...span([...path, key], true), message);
    }
    case 'required':
      return at(...span(path), `missing required key ${JSON.stringify(params.missingProperty)} in ${where}`);
    case 'type':
      return at(...span(path), typeMessage(where, path, params.type, error.data));
    case 'enum': {
      const allowed = (params.allowedValues as unknown[]).map(String);
      const got = JSON.stringify(error.data);
      const hint =
        typeof error.data === 'string' ? suggestion(error.data, allowed, 'allowed values', true) : `allowed values: ${quoteAll(allowed)}`;
      return at(...span(path), `invalid value ${got} for ${where}; ${hint}`);
    }
    case 'const':
      return at(...span(path), `${where} must be ${JSON.stringify(params.allowedValue)}; got ${describeValue(error.data)}`);
    case 'format':
      return at(...span(path), `invalid date ${JSON.stringify(error.data)} for ${where}; ${DATE_EXPECTED}`);
    case 'pattern': {
      const expected = schemaField(error.parentSchema, 'patternErrorMessage');
      const described = typeof expected === 'string' ? expected : `text matching ${String(params.pattern)}`;
      return at(...span(path), `invalid value ${JSON.stringify(error.data)} for ${where}; expected ${described}`);
    }
    case 'minimum':
      return at(...span(path), `${where} must be at least ${String(params.limit)}; got ${describeValue(error.data)}`);
    case 'minItems':
    case 'minLength':
      return at(...span(path), `${where} must not be empty`);
    case 'uniqueItems': {
      const later = Number(params.i);
      const items = Array.isArray(error.data) ? error.data : [];
      return at(...span([...path, later]), `duplicate entry ${JSON.stringify(items[later])} in ${where}`);
    }
    default:
      return at(...span(path), `${where} ${error.message ?? 'is invalid'}`);
  }
}

const DATE_EXPECTED = 'expected a calendar date as YYYY-MM-DD, such as 2027-06-30';

function pointerToPath(pointer: string): (string | number)[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((segment) => (/^(0|[1-9]\d*)$/.test(segment) ? Number(segment) : segment));
}

/** `rules.max-depth.levels`, `exceptions[0].expires`. */
function describePath(path: PolicyPath): string {
  if (path.length === 0) return 'the policy';
  return path
    .map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : index === 0 ? segment : `.${segment}`))
    .join('');
}

const TYPE_NAMES: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  integer: 'an integer',
  number: 'a number',
  boolean: 'true or false',
  null: 'empty',
};

function typeMessage(where: string, path: PolicyPath, expected: unknown, data: unknown): string {
  const types = (Array.isArray(expected) ? expected : [expected]).map((type) => TYPE_NAMES[String(type)] ?? String(type));
  const message = `${where} must be ${types.join(' or ')}; got ${describeValue(data)}`;
  const last = path[path.length - 1];
  if (data === null && expected === 'object' && typeof last === 'string') {
    return `${message}; write \`${last}: {}\` for an empty mapping`;
  }
  return message;
}

function describeValue(data: unknown): string {
  if (data === null || data === undefined) return 'an empty value';
  if (Array.isArray(data)) return 'a list';
  if (typeof data === 'object') return 'a mapping';
  return JSON.stringify(data);
}

/** A field of a schema object from ajv's verbose errors (typed `unknown` there). */
function schemaField(schemaObject: unknown, key: string): unknown {
  if (typeof schemaObject !== 'object' || schemaObject === null) return undefined;
  return (schemaObject as Record<string, unknown>)[key];
}

function quoteAll(values: readonly string[]): string {
  return values.map((value) => JSON.stringify(value)).join(', ');
}

/** "did you mean" when a candidate is close enough, the full list otherwise (or always, with `listAlways`). */
function suggestion(word: string, candidates: readonly string[], label: string, listAlways = false): string {
  const close = closest(word, candidates);
  const list = `${label}: ${quoteAll(candidates)}`;
  if (close === undefined) return list;
  return listAlways ? `${list}; did you mean ${JSON.stringify(close)}?` : `did you mean ${JSON.stringify(close)}?`;
}

/** The nearest candidate by edit distance, if within a third of its length (at least 1, at most 3). */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(word.toLowerCase(), candidate.toLowerCase());
    const limit = Math.min(3, Math.max(1, Math.floor(candidate.length / 3)));
    if (distance <= limit && distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best;
}

/** Levenshtein distance with transpositions (optimal string alignment): `pinnign` is one edit from `pinning`. */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d: number[] = new Array<number>(rows * cols).fill(0);
  const cell = (i: number, j: number): number => d[i * cols + j] ?? 0;
  for (let i = 0; i < rows; i += 1) d[i * cols] = i;
  for (let j = 0; j < cols; j += 1) d[j] = j;
  for (let i = 1; i < rows; i += 1) {
    for (let j = 1; j < cols; j += 1) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(cell(i - 1, j) + 1, cell(i, j - 1) + 1, cell(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, cell(i - 2, j - 2) + 1);
      d[i * cols + j] = value;
    }
  }
  return cell(a.length, b.length);
}

// ---------------------------------------------------------------------------------------------
// Positions

/** Offsets of the node at `path` (its key with `key`), following aliases; nearest ancestor if absent. */
function nodeSpan(doc: Document, path: PolicyPath, key = false): [number, number] {
  let node: unknown = doc.contents;
  let span = spanOf(node);
  for (let index = 0; index < path.length; index += 1) {
    const segment = path[index];
    if (isAlias(node)) node = node.resolve(doc);
    let pair: Pair | undefined;
    if (isMap(node)) {
      pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === String(segment));
      if (pair === undefined) return span;
      const last = index === path.length - 1;
      if (last && key) return spanOf(pair.key);
      node = pair.value;
      // `pinning:` with nothing after it: point at the key, not at an empty spot.
      span = isEmptyScalar(node) ? spanOf(pair.key) : spanOf(node);
    } else if (isSeq(node) && typeof segment === 'number' && segment < node.items.length) {
      node = node.items[segment];
      span = spanOf(node);
    } else {
      return span;
    }
  }
  return span;
}

function isEmptyScalar(node: unknown): boolean {
  return node === null || (isScalar(node) && node.value === null && node.range?.[0] === node.range?.[1]);
}

function spanOf(node: unknown): [number, number] {
  const range = (node as YamlNode | null)?.range;
  if (range === undefined || range === null) return [0, 0];
  return [range[0], range[1]];
}

function toSourceRange(lineCounter: LineCounter, [start, end]: [number, number]): SourceRange {
  const from = lineCounter.linePos(start);
  const to = lineCounter.linePos(end);
  return { start: { line: from.line, column: from.col }, end: { line: to.line, column: to.col } };
}

function diagnosticAt(file: string, lineCounter: LineCounter, start: number, end: number, message: string): PolicyDiagnostic {
  return diagnosticFromRange(file, toSourceRange(lineCounter, [start, Math.max(start, end)]), message);
}

function sortDiagnostics(diagnostics: PolicyDiagnostic[]): PolicyDiagnostic[] {
  return [...diagnostics].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.column - b.column);
}

function dedupe(diagnostics: PolicyDiagnostic[]): PolicyDiagnostic[] {
  const seen = new Set<string>();
  return diagnostics.filter((diagnostic) => {
    const key = `${diagnostic.line}:${diagnostic.column}:${diagnostic.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// ---------------------------------------------------------------------------------------------
// Presets (`extends`) and defaults

/** Parses and resolves a policy file in one step (what the app and the CLI call). */
export function compilePolicy(text: string, file: string, options: ResolveOptions): CompilePolicyResult {
  const parsed = parsePolicy(text, file);
  if (parsed.policy === undefined) return { diagnostics: parsed.diagnostics };
  return resolvePolicy(parsed.policy, options);
}

/**
 * Applies `extends` and defaults. The merge semantics, layer by layer (each preset named in
 * `extends`, left to right and with its own `extends` applied first, then the file itself):
 *
 * - Settings (`enforcement`, `repo-policy`, `platform.*`, a rule's `severity` and options): the later
 *   layer wins where it sets them; what it leaves out is kept. Maps (`platform`, `rules`, each rule,
 *   `visibility.allow`) therefore merge key by key.
 * - `allow` lists (`allowed-sources.allow`, `secrets-inherit.allow`, each `visibility.allow` entry)
 *   are replaced: an allow-list is a complete statement of what is trusted, and the only way to
 *   narrow a preset's list is to restate it. A forgotten entry fails closed (calls get reported).
 * - `deny` lists add up: a later layer can add blocks and never remove one, so restating `deny` to
 *   add an entry cannot silently drop a block (which would fail open).
 * - `pinning.tag-required` entries add up: they state what a callee's maintainers require, which no layer
 *   makes untrue; a later entry for the same `uses` replaces the earlier one.
 * - `exceptions` and `repositories` add up, earlier layers' entries first; among `repositories`
 *   entries matching the same repository, later ones win.
 * - A rule listed without `severity` is turned on: `error` if it was off, otherwise it keeps its
 *   severity. Rules never mentioned keep their defaults: `visibility`, `permissions`, `contract`,
 *   `platform-limits` and `resolution` are errors (GitHub fails those runs); `allowed-sources`,
 *   `pinning`, `max-depth` and `secrets-inherit` are off. Defaults: `enforcement: block`,
 *   `repo-policy: tighten-only`.
 *
 * Unknown presets, circular or too deep chains and invalid presets are diagnostics at the `extends`
 * entry that names them. A preset reached twice (two presets extending a third) is applied once.
 */
export function resolvePolicy(doc: RawPolicyDocument, options: ResolveOptions): CompilePolicyResult {
  const { layers, diagnostics } = collectPolicyLayers(doc, options);
  if (diagnostics.length > 0) return { diagnostics };
  return { policy: mergePolicyLayers(layers), diagnostics: [] };
}

/**
 * The documents a policy is made of, in merge order (presets named by `extends` first, the file itself
 * last), or the diagnostics of its `extends`. A repository policy under `repo-policy: tighten-only` is
 * applied layer by layer from these (src/policy/tighten.ts), so what each layer wrote stays visible.
 */
export function collectPolicyLayers(
  doc: RawPolicyDocument,
  options: ResolveOptions,
): { layers: RawPolicyDocument[]; diagnostics: PolicyDiagnostic[] } {
  const diagnostics: PolicyDiagnostic[] = [];
  const layers: RawPolicyDocument[] = [];
  collectLayers(doc, [], options, layers, diagnostics);
  return { layers, diagnostics: sortDiagnostics(dedupe(diagnostics)) };
}

function collectLayers(
  doc: RawPolicyDocument,
  chain: readonly string[],
  options: ResolveOptions,
  layers: RawPolicyDocument[],
  diagnostics: PolicyDiagnostic[],
): void {
  const written = doc.value.extends;
  const names = written === undefined ? [] : typeof written === 'string' ? [written] : written;
  names.forEach((name, index) => {
    const path = typeof written === 'string' ? ['extends'] : ['extends', index];
    const report = (message: string): void => {
      diagnostics.push(diagnosticFromRange(doc.file, doc.locate(path), message));
    };
    if (chain.includes(name)) return report(`circular extends: ${[...chain, name].join(' → ')}`);
    if (chain.length >= MAX_EXTENDS_DEPTH) return report(`extends nested more than ${MAX_EXTENDS_DEPTH} presets deep`);
    const source = options.loadPreset(name);
    if (source === undefined) return report(unknownPresetMessage(name, options.presetNames ?? []));
    const preset = parseCached(source);
    if (preset.policy === undefined) {
      diagnostics.push(...preset.diagnostics);
      return report(`preset ${JSON.stringify(name)} (${source.file}) is invalid`);
    }
    if (!layers.includes(preset.policy)) collectLayers(preset.policy, [...chain, name], options, layers, diagnostics);
  });
  layers.push(doc);
}

function unknownPresetMessage(name: string, known: readonly string[]): string {
  const message = `unknown preset ${JSON.stringify(name)}`;
  if (known.length === 0) return message;
  return `${message}; ${suggestion(name, known, 'available presets')}`;
}

const presetCache = new Map<string, ParsePolicyResult>();

/** Presets are parsed once per text, so compiling a policy that extends one stays cheap. */
function parseCached(source: PresetSource): ParsePolicyResult {
  const key = `${source.file}\n${source.text}`;
  const cached = presetCache.get(key);
  if (cached !== undefined) return cached;
  if (presetCache.size >= 32) presetCache.clear();
  const parsed = parsePolicy(source.text, source.file);
  presetCache.set(key, parsed);
  return parsed;
}

/** Merges layers from collectPolicyLayers with the semantics documented on resolvePolicy. */
export function mergePolicyLayers(layers: readonly RawPolicyDocument[]): Policy {
  let enforcement: Enforcement = 'block';
  let repoPolicy: RepoPolicyMode = 'tighten-only';
  const platform: Policy['platform'] = {};
  let rules = defaultRules();
  const exceptions: PolicyException[] = [];
  const repositories: RepositoryOverride[] = [];
  for (const layer of layers) {
    const value = layer.value;
    enforcement = value.enforcement ?? enforcement;
    repoPolicy = value['repo-policy'] ?? repoPolicy;
    const maxLevels = value.platform?.['max-levels'];
    const maxUnique = value.platform?.['max-unique'];
    if (maxLevels !== undefined) platform.maxLevels = maxLevels;
    if (maxUnique !== undefined) platform.maxUnique = maxUnique;
    rules = applyRules(rules, value.rules);
    (value.exceptions ?? []).forEach((exception, index) => {
      const location = { file: layer.file, range: layer.locate(['exceptions', index]) };
      exceptions.push({
        uses: exception.uses,
        rules: [...exception.rules],
        ...(exception.repos !== undefined ? { repos: [...exception.repos] } : {}),
        reason: exception.reason,
        ...(exception.expires !== undefined ? { expires: exception.expires } : {}),
        location,
      });
    });
    (value.repositories ?? []).forEach((override, index) => {
      const location = { file: layer.file, range: layer.locate(['repositories', index]) };
      repositories.push({
        match: [...override.match],
        ...(override.enforcement !== undefined ? { enforcement: override.enforcement } : {}),
        ...(override.rules !== undefined ? { rules: structuredClone(override.rules) } : {}),
        location,
      });
    });
  }
  const sources = [...new Set(layers.map((layer) => layer.file))];
  return { version: 1, enforcement, platform, rules, exceptions, repositories, repoPolicy, sources };
}

/** GitHub's own table: which callee visibilities a caller of each visibility may use. */
export function githubVisibilityTable(): Record<Visibility, Visibility[]> {
  return { public: ['public'], internal: ['internal', 'public'], private: ['private', 'internal', 'public'] };
}

/** Settings of every rule when no policy mentions it. */
export function defaultRules(): RuleSettings {
  return {
    'allowed-sources': { severity: 'off', deny: [], appliesTo: [...USES_KINDS] },
    visibility: { severity: 'error', allow: githubVisibilityTable(), checkAccessSetting: true },
    pinning: { severity: 'off', require: 'sha', scope: 'external', verify: true, tagRequired: [], appliesTo: [...USES_KINDS] },
    'max-depth': { severity: 'off' },
    'secrets-inherit': { severity: 'off', allow: [], allowSameOwner: false },
    permissions: { severity: 'error' },
    contract: { severity: 'error' },
    'caller-impact': { severity: 'error' },
    'platform-limits': { severity: 'error' },
    resolution: { severity: 'error' },
  };
}

/**
 * Applies one `rules:` mapping over resolved settings, with the semantics documented on
 * resolvePolicy. Also what a `repositories` entry's `rules` do to the policy's rules.
 */
export function applyRules(base: RuleSettings, fragment: RulesFile | undefined): RuleSettings {
  if (fragment === undefined) return base;
  const next: RuleSettings = { ...base };
  const sources = fragment['allowed-sources'];
  if (sources !== undefined) {
    const current = base['allowed-sources'];
    const allow = sources.allow ?? current.allow;
    next['allowed-sources'] = {
      severity: turnedOn(current.severity, sources.severity),
      ...(allow !== undefined ? { allow: [...allow] } : {}),
      deny: union(current.deny, sources.deny ?? []),
      appliesTo: [...(sources['applies-to'] ?? current.appliesTo)],
    };
  }
  const visibility = fragment.visibility;
  if (visibility !== undefined) {
    const current = base.visibility;
    next.visibility = {
      severity: turnedOn(current.severity, visibility.severity),
      allow: {
        public: [...(visibility.allow?.public ?? current.allow.public)],
        internal: [...(visibility.allow?.internal ?? current.allow.internal)],
        private: [...(visibility.allow?.private ?? current.allow.private)],
      },
      checkAccessSetting: visibility['check-access-setting'] ?? current.checkAccessSetting,
    };
  }
  const pinning = fragment.pinning;
  if (pinning !== undefined) {
    const current = base.pinning;
    next.pinning = {
      severity: turnedOn(current.severity, pinning.severity),
      require: pinning.require ?? current.require,
      scope: pinning.scope ?? current.scope,
      verify: pinning.verify ?? current.verify,
      tagRequired: mergeTagRequirements(current.tagRequired, pinning['tag-required'] ?? []),
      appliesTo: [...(pinning['applies-to'] ?? current.appliesTo)],
    };
  }
  const depth = fragment['max-depth'];
  if (depth !== undefined) {
    const current = base['max-depth'];
    const levels = depth.levels ?? current.levels;
    next['max-depth'] = { severity: turnedOn(current.severity, depth.severity), ...(levels !== undefined ? { levels } : {}) };
  }
  const inherit = fragment['secrets-inherit'];
  if (inherit !== undefined) {
    const current = base['secrets-inherit'];
    next['secrets-inherit'] = {
      severity: turnedOn(current.severity, inherit.severity),
      allow: [...(inherit.allow ?? current.allow)],
      allowSameOwner: inherit['allow-same-owner'] ?? current.allowSameOwner,
    };
  }
  if (fragment.permissions !== undefined) {
    next.permissions = { severity: turnedOn(base.permissions.severity, fragment.permissions.severity) };
  }
  if (fragment.contract !== undefined) {
    next.contract = { severity: turnedOn(base.contract.severity, fragment.contract.severity) };
  }
  if (fragment['caller-impact'] !== undefined) {
    next['caller-impact'] = { severity: turnedOn(base['caller-impact'].severity, fragment['caller-impact'].severity) };
  }
  return next;
}

/**
 * Tag requirements add up layer by layer: they state what a callee's maintainers require, which no layer makes
 * untrue. A later entry for the same `uses` pattern replaces the earlier one (a corrected reason or link).
 */
function mergeTagRequirements(current: readonly TagRequirement[], written: readonly TagRequirementFile[]): TagRequirement[] {
  const merged = new Map(current.map((entry) => [entry.uses, entry]));
  for (const entry of written) {
    merged.set(entry.uses, { uses: entry.uses, ref: entry.ref ?? 'vX.Y.Z', reason: entry.reason, ...(entry.url !== undefined && { url: entry.url }) });
  }
  return [...merged.values()];
}

/** Listing a rule turns it on unless it says otherwise. */
function turnedOn(current: Severity, given: Severity | undefined): Severity {
  return given ?? (current === 'off' ? 'error' : current);
}

function union(first: readonly string[], second: readonly string[]): string[] {
  return [...new Set([...first, ...second])];
}

/** A diagnostic (or a note) at a range of a policy file. */
export function diagnosticFromRange(file: string, range: SourceRange, message: string): PolicyDiagnostic {
  return {
    file,
    line: range.start.line,
    column: range.start.column,
    endLine: range.end.line,
    endColumn: range.end.column,
    message,
  };
}
