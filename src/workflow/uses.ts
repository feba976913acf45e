// The grammar of `uses:` strings, job level (reusable workflows) and step level (actions).

/** A full 40-hex commit SHA pins; anything else (tag, branch, short SHA) is a named ref. */
export type RefKind = 'sha' | 'named';

export type InvalidUsesReason =
  | 'empty'
  | 'expression'
  | 'missing-ref'
  | 'empty-ref'
  | 'subdirectory'
  | 'not-a-workflow-path'
  | 'bad-characters'
  | 'path-traversal'
  | 'ref-on-local';

export type UsesReference =
  /** `owner/repo/.github/workflows/file.yml@ref` */
  | {
      kind: 'remote-workflow';
      owner: string;
      repo: string;
      path: string;
      ref: string;
      refKind: RefKind;
    }
  /** `./.github/workflows/file.yml` or `$/.github/workflows/file.yml`: the containing repository at its commit. */
  | { kind: 'local-workflow'; syntax: './' | '$/'; path: string }
  /** Step level `owner/repo[/path]@ref`. */
  | { kind: 'action'; owner: string; repo: string; subpath?: string; ref: string; refKind: RefKind }
  /**
   * Step level `./path/to/action` (relative to the job's workspace: whatever the job checked out) or `$/path/to/action`
   * (the containing file's repository at its commit: GitHub's self-repository syntax, July 2026). `path` as written.
   */
  | { kind: 'local-action'; syntax: './' | '$/'; path: string }
  /** Step level `docker://image:tag`. */
  | { kind: 'docker'; image: string }
  | { kind: 'invalid'; reason: InvalidUsesReason; message: string };

export interface ParsedUses {
  raw: string;
  reference: UsesReference;
  /** The version named in a trailing comment (`# v1.2.3` → `v1.2.3`), if any. */
  versionComment?: string;
}

/** Where a reusable workflow must live: directly in this folder of its repository. */
const WORKFLOWS_DIR = '.github/workflows';
const WORKFLOW_EXTENSIONS = ['.yml', '.yaml'];
const FULL_SHA = /^[0-9a-f]{40}$/i;
/** GitHub logins and organization names: alphanumerics and single inner hyphens, at most 39 long. */
const OWNER = /^[A-Za-z0-9]+(?:-[A-Za-z0-9]+)*$/;
const OWNER_MAX_LENGTH = 39;
const REPO_NAME = /^[A-Za-z0-9._-]+$/;
/** Characters git check-ref-format rejects anywhere in a ref (besides control characters). */
const REF_FORBIDDEN = /[ ~^:?*[\\]/;
/** Whitespace and backslashes never belong in a path inside `uses` (nor control characters). */
const PATH_FORBIDDEN = /[\s\\]/;
const QUOTE_LIMIT = 60;

const JOB_FORMS =
  'owner/repo/.github/workflows/<file>.yml@<ref>, ./.github/workflows/<file>.yml or $/.github/workflows/<file>.yml';
const STEP_FORMS = 'owner/repo[/path]@<ref>, ./path/to/action, $/path/to/action or docker://image';

type Invalid = Extract<UsesReference, { kind: 'invalid' }>;

/**
 * Parses a `uses:` value by GitHub's grammar for its context: a job calls a reusable workflow, a step
 * runs an action. Never throws: anything GitHub would reject becomes an `invalid` reference whose
 * message names the problem and the fix. `comment` is the trailing comment on the line (without `#`).
 */
export function parseUses(raw: string, context: 'job' | 'step', comment?: string): ParsedUses {
  const reference = context === 'job' ? parseJobUses(raw) : parseStepUses(raw);
  const versionComment = comment === undefined ? undefined : versionInComment(comment);
  return versionComment === undefined ? { raw, reference } : { raw, reference, versionComment };
}

/**
 * The text of a reference, the inverse of `parseUses` (used to write pins). An `invalid` reference
 * has no text form and gives the empty string; callers format only references they parsed as valid.
 */
export function formatUses(reference: UsesReference): string {
  switch (reference.kind) {
    case 'remote-workflow':
      return `${reference.owner}/${reference.repo}/${reference.path}@${reference.ref}`;
    case 'local-workflow':
      return `${reference.syntax}${reference.path}`;
    case 'action': {
      const subpath = reference.subpath === undefined ? '' : `/${reference.subpath}`;
      return `${reference.owner}/${reference.repo}${subpath}@${reference.ref}`;
    }
    case 'local-action':
      return `${reference.syntax}${reference.path}`;
    case 'docker':
      return `docker://${reference.image}`;
    case 'invalid':
      return '';
  }
}

/** A full 40-hex commit SHA (either case): the only ref that pins. */
export function isFullSha(ref: string): boolean {
  return FULL_SHA.test(ref);
}

function refKind(ref: string): RefKind {
  return isFullSha(ref) ? 'sha' : 'named';
}

function invalid(reason: InvalidUsesReason, message: string): Invalid {
  return { kind: 'invalid', reason, message };
}

/** Quotes a user-written fragment for a message, cut short so hostile input cannot bloat it. */
function quote(fragment: string): string {
  const cut = fragment.length > QUOTE_LIMIT ? `${fragment.slice(0, QUOTE_LIMIT)}…` : fragment;
  return JSON.stringify(cut);
}

/** The checks every context shares, in order: nothing written, then an expression. */
function checkWritten(raw: string, forms: string): Invalid | undefined {
  if (raw.trim() === '') {
    return invalid('empty', `uses is empty: write ${forms}.`);
  }
  if (raw.includes('${{')) {
    return invalid(
      'expression',
      'GitHub does not evaluate ${{ }} expressions in uses: write the reference literally.',
    );
  }
  return undefined;
}

function checkTraversal(segments: string[]): Invalid | undefined {
  if (!segments.includes('..')) {
    return undefined;
  }
  return invalid('path-traversal', "The reference contains a '..' path segment, which GitHub does not resolve: remove it.");
}

// ---- Job level: reusable workflows -------------------------------------------------------------

function parseJobUses(raw: string): UsesReference {
  const written = checkWritten(raw, JOB_FORMS);
  if (written) {
    return written;
  }
  if (raw.startsWith('./') || raw.startsWith('$/')) {
    return parseLocalWorkflow(raw.startsWith('./') ? './' : '$/', raw.slice(2));
  }
  return parseRemoteWorkflow(raw);
}

function parseLocalWorkflow(syntax: './' | '$/', rest: string): UsesReference {
  const at = rest.indexOf('@');
  const path = at === -1 ? rest : rest.slice(0, at);
  const pathProblem = checkWorkflowPath(path.split('/'));
  if (pathProblem) {
    return pathProblem;
  }
  if (at !== -1) {
    return invalid(
      'ref-on-local',
      `A ${syntax} reference runs the workflow at the caller's own commit and takes no @ref: remove ${quote(rest.slice(at))}.`,
    );
  }
  return checkPathCharacters(path) ?? { kind: 'local-workflow', syntax, path };
}

function parseRemoteWorkflow(raw: string): UsesReference {
  const at = raw.indexOf('@');
  const segments = (at === -1 ? raw : raw.slice(0, at)).split('/');
  const traversal = checkTraversal(segments);
  if (traversal) {
    return traversal;
  }
  const [owner = '', repo = '', ...pathSegments] = segments;
  const pathProblem = segments.length < 3 ? notAWorkflowPath() : checkWorkflowPath(pathSegments);
  if (pathProblem) {
    return pathProblem;
  }
  const ref = checkRefPresent(raw, at, 'A reusable workflow in another repository');
  if (typeof ref !== 'string') {
    return ref;
  }
  const path = pathSegments.join('/');
  const characters = checkRepository(owner, repo) ?? checkPathCharacters(path) ?? checkRef(ref);
  return characters ?? { kind: 'remote-workflow', owner, repo, path, ref, refKind: refKind(ref) };
}

function notAWorkflowPath(): Invalid {
  return invalid(
    'not-a-workflow-path',
    `A job-level uses must name a workflow file in ${WORKFLOWS_DIR}: write ${JOB_FORMS}. ` +
      'To run an action, call it from a step.',
  );
}

/** `.github/workflows/<file>.yml|.yaml`, nothing deeper: GitHub does not support subdirectories. */
function checkWorkflowPath(segments: string[]): Invalid | undefined {
  const traversal = checkTraversal(segments);
  if (traversal) {
    return traversal;
  }
  const file = segments[segments.length - 1] ?? '';
  const inWorkflowsDir = segments[0] === '.github' && segments[1] === 'workflows';
  const wellFormed = segments.every((segment) => segment !== '' && segment !== '.');
  if (!inWorkflowsDir || !wellFormed || segments.length < 3 || !isWorkflowFileName(file)) {
    return notAWorkflowPath();
  }
  if (segments.length > 3) {
    return invalid(
      'subdirectory',
      `Reusable workflows must sit directly in ${WORKFLOWS_DIR}; GitHub does not support subdirectories: ` +
        `move the file to ${WORKFLOWS_DIR}/${file}.`,
    );
  }
  return undefined;
}

function isWorkflowFileName(file: string): boolean {
  return WORKFLOW_EXTENSIONS.some((extension) => file.length > extension.length && file.endsWith(extension));
}

/** The ref after the first `@`, or why there is none. */
function checkRefPresent(raw: string, at: number, what: string): string | Invalid {
  if (at === -1) {
    return invalid('missing-ref', `${what} needs a ref: append @<full commit SHA> (or a tag or branch).`);
  }
  const ref = raw.slice(at + 1);
  if (ref === '') {
    return invalid('empty-ref', 'Nothing follows the @: write the ref, preferably a full 40-character commit SHA.');
  }
  return ref;
}

function checkRepository(owner: string, repo: string): Invalid | undefined {
  if (owner.length > OWNER_MAX_LENGTH || !OWNER.test(owner)) {
    return invalid(
      'bad-characters',
      `${quote(owner)} is not a GitHub account name: use letters, digits and single hyphens ` +
        `(not first or last), at most ${OWNER_MAX_LENGTH} characters.`,
    );
  }
  if (!REPO_NAME.test(repo) || repo === '.') {
    return invalid(
      'bad-characters',
      `${quote(repo)} is not a repository name: use letters, digits, '.', '-' and '_'.`,
    );
  }
  return undefined;
}

function checkPathCharacters(path: string): Invalid | undefined {
  if (!hasForbiddenPathCharacter(path)) {
    return undefined;
  }
  return invalid(
    'bad-characters',
    `The path ${quote(path)} contains whitespace, a control character or a backslash: remove them.`,
  );
}

/** git check-ref-format, as GitHub applies it to the ref after `@`. */
function checkRef(ref: string): Invalid | undefined {
  const problem = refProblem(ref);
  return problem === undefined
    ? undefined
    : invalid('bad-characters', `The ref ${quote(ref)} is not a valid git ref: it ${problem}.`);
}

function hasForbiddenPathCharacter(path: string): boolean {
  return PATH_FORBIDDEN.test(path) || hasControlCharacter(path);
}

function hasControlCharacter(text: string): boolean {
  for (let index = 0; index < text.length; index += 1) {
    const code = text.charCodeAt(index);
    if (code < 0x20 || code === 0x7f) {
      return true;
    }
  }
  return false;
}

function refProblem(ref: string): string | undefined {
  if (REF_FORBIDDEN.test(ref) || hasControlCharacter(ref)) {
    return 'contains a space, a control character or one of ~ ^ : ? * [ \\';
  }
  if (ref === '@' || ref.includes('@{')) {
    return "is '@' or contains '@{'";
  }
  if (ref.includes('..') || ref.includes('//') || ref.startsWith('/') || ref.endsWith('/') || ref.endsWith('.')) {
    return "contains '..' or '//', or starts or ends with '/', or ends with '.'";
  }
  if (ref.split('/').some((component) => component.startsWith('.') || component.endsWith('.lock'))) {
    return "has a component that starts with '.' or ends with '.lock'";
  }
  return undefined;
}

// ---- Step level: actions -----------------------------------------------------------------------

function parseStepUses(raw: string): UsesReference {
  const written = checkWritten(raw, STEP_FORMS);
  if (written) {
    return written;
  }
  if (raw.startsWith('./') || raw.startsWith('$/')) {
    return parseLocalAction(raw.startsWith('./') ? './' : '$/', raw.slice(2));
  }
  if (raw.startsWith('docker://')) {
    return parseDocker(raw.slice('docker://'.length));
  }
  return parseAction(raw);
}

/** A directory of the workspace or of the containing repository: no `..`, no @ref (the commit is implied). */
function parseLocalAction(syntax: './' | '$/', path: string): UsesReference {
  const traversal = checkTraversal(path.split('/'));
  if (traversal) {
    return traversal;
  }
  const at = path.indexOf('@');
  if (syntax === '$/' && at !== -1) {
    return invalid('ref-on-local', `A $/ reference runs the action at the containing file's own commit and takes no @ref: remove ${quote(path.slice(at))}.`);
  }
  return checkPathCharacters(path) ?? { kind: 'local-action', syntax, path };
}

function parseDocker(image: string): UsesReference {
  if (image === '') {
    return invalid('empty', 'docker:// names no image: write docker://image:tag or docker://image@sha256:<digest>.');
  }
  if (hasForbiddenPathCharacter(image)) {
    return invalid('bad-characters', `The image ${quote(image)} contains whitespace or a control character.`);
  }
  return { kind: 'docker', image };
}

function parseAction(raw: string): UsesReference {
  const at = raw.indexOf('@');
  const segments = (at === -1 ? raw : raw.slice(0, at)).split('/');
  const traversal = checkTraversal(segments);
  if (traversal) {
    return traversal;
  }
  if (segments.length < 2 || segments.some((segment) => segment === '')) {
    // No dedicated reason for steps: the shape is wrong in the same way as a job's non-workflow path.
    return invalid('not-a-workflow-path', `A step's uses must be ${STEP_FORMS}.`);
  }
  const ref = checkRefPresent(raw, at, 'An action');
  if (typeof ref !== 'string') {
    return ref;
  }
  const [owner = '', repo = '', ...subpathSegments] = segments;
  const subpath = subpathSegments.length === 0 ? undefined : subpathSegments.join('/');
  const characters =
    checkRepository(owner, repo) ?? (subpath === undefined ? undefined : checkPathCharacters(subpath)) ?? checkRef(ref);
  if (characters) {
    return characters;
  }
  return subpath === undefined
    ? { kind: 'action', owner, repo, ref, refKind: refKind(ref) }
    : { kind: 'action', owner, repo, subpath, ref, refKind: refKind(ref) };
}

// ---- Version comments --------------------------------------------------------------------------

/** Markers that open prose comments (`# TODO`), never refs. */
const PROSE_MARKERS = new Set(['todo', 'fixme', 'xxx', 'hack', 'note']);
/** Prefixes pinning tools write before the version: `tag=v1`, `ref=v1` (Renovate), `pin@v1`. */
const VERSION_PREFIXES = ['tag=', 'ref=', 'pin@'];
/** `v1`, `1.2.3`, `v1.2.3-rc.1`, `v2.0.0+build`: a version number, optionally with a suffix. */
const VERSION = /^[vV]?\d+(?:\.\d+)*(?:[-+][0-9A-Za-z][0-9A-Za-z.+-]*)?$/;

/**
 * The version a trailing comment names. The rule, on the first whitespace-separated token:
 * 1. a `tag=`, `ref=` or `pin@` prefix (any case) is dropped and the rest names the version;
 * 2. a version number (`v1.2.3`, `1.2.3`, `v4`, `v1.2.3-rc.1`) names it, whatever words follow;
 * 3. a comment that is one ref-like token (`main`, `release/2024-06`) names that ref, unless it is a
 *    prose marker such as TODO or FIXME;
 * otherwise the comment is prose (`TODO pin this later`) and names nothing. The result is always a
 * valid git ref name.
 */
function versionInComment(comment: string): string | undefined {
  const text = comment.trim();
  const space = text.search(/\s/);
  const token = space === -1 ? text : text.slice(0, space);
  const prefix = VERSION_PREFIXES.find((candidate) => token.toLowerCase().startsWith(candidate));
  const candidate = prefix === undefined ? token : token.slice(prefix.length);
  if (candidate === '' || refProblem(candidate) !== undefined) {
    return undefined;
  }
  const singleToken = space === -1 && !PROSE_MARKERS.has(candidate.toLowerCase());
  return prefix !== undefined || VERSION.test(candidate) || singleToken ? candidate : undefined;
}
