// The typed model of one workflow file. Every node a finding may point at carries its source range,
// so rules reason about meaning and renderers turn symbolic locations into lines late.

/** 1-based line and column, as GitHub annotations and editors count them. */
export interface SourcePosition {
  line: number;
  column: number;
}

export interface SourceRange {
  start: SourcePosition;
  end: SourcePosition;
}

export interface Located<T> {
  value: T;
  range: SourceRange;
}

export type DiagnosticCode =
  | 'yaml-syntax'
  | 'duplicate-key'
  | 'alias-limit'
  | 'merge-key'
  | 'too-large'
  | 'binary'
  | 'not-a-mapping'
  | 'invalid-value'
  /** GitHub's own schema and checks (@actions/workflow-parser), on a file this parser found no problem in. */
  | 'github-schema';

/** A problem with the file itself. Parsing never throws; it reports these instead. */
export interface Diagnostic {
  code: DiagnosticCode;
  message: string;
  range: SourceRange;
}

export type PermissionLevel = 'read' | 'write' | 'none';

/**
 * GITHUB_TOKEN permissions as written. `{}` is a map with no scopes (everything `none`).
 * Absent permissions are `undefined` on the owner, which means "the default".
 */
export type Permissions =
  | { kind: 'read-all'; range: SourceRange }
  | { kind: 'write-all'; range: SourceRange }
  | { kind: 'map'; scopes: Record<string, Located<PermissionLevel>>; range: SourceRange };

export type InputType = 'string' | 'number' | 'boolean';

export interface WorkflowCallInput {
  name: string;
  /** Range of the input's key. */
  range: SourceRange;
  type?: Located<string>;
  required: boolean;
  default?: Located<unknown>;
  description?: string;
}

export interface WorkflowCallSecret {
  name: string;
  range: SourceRange;
  required: boolean;
  description?: string;
}

export interface WorkflowCallOutput {
  name: string;
  range: SourceRange;
  value?: Located<string>;
  description?: string;
}

export interface WorkflowCallTrigger {
  /** Range of the `workflow_call` key or list item. */
  range: SourceRange;
  inputs: WorkflowCallInput[];
  secrets: WorkflowCallSecret[];
  outputs: WorkflowCallOutput[];
}

export interface Triggers {
  /** How `on` was written: `on: push`, `on: [push, pull_request]` or a map. */
  form: 'string' | 'list' | 'map';
  /** Range of the `on` key. */
  range: SourceRange;
  events: Located<string>[];
  workflowCall?: WorkflowCallTrigger;
}

export interface Concurrency {
  range: SourceRange;
  group?: Located<string>;
  cancelInProgress?: Located<boolean | string>;
}

/** A `uses:` value with the trailing version comment on its line (`# v1.2.3`), if any. */
export interface UsesValue extends Located<string> {
  comment?: string;
}

export type JobSecrets =
  | { kind: 'inherit'; range: SourceRange }
  | { kind: 'map'; range: SourceRange; entries: Record<string, Located<string>> };

export interface Step {
  index: number;
  range: SourceRange;
  uses?: UsesValue;
  /** The step's inputs, e.g. `repository`, `ref` and `path` of an `actions/checkout` step. */
  with?: { range: SourceRange; entries: Record<string, Located<unknown>> };
}

export interface Job {
  id: string;
  /** Range of the job id key. */
  idRange: SourceRange;
  /** Range of the whole job mapping. */
  range: SourceRange;
  /** Every key present in the job, in order (for "keyword not allowed beside uses"). */
  keys: Located<string>[];
  name?: Located<string>;
  uses?: UsesValue;
  with?: { range: SourceRange; entries: Record<string, Located<unknown>> };
  secrets?: JobSecrets;
  strategy?: Located<unknown>;
  needs?: Located<string[]>;
  if?: Located<string | boolean>;
  concurrency?: Concurrency;
  permissions?: Permissions;
  steps: Step[];
}

export interface Workflow {
  /** Repository-relative path, e.g. `.github/workflows/ci.yml`. */
  path: string;
  name?: Located<string>;
  on?: Triggers;
  permissions?: Permissions;
  concurrency?: Concurrency;
  jobs: Job[];
  diagnostics: Diagnostic[];
}

/** How an action runs (`runs.using`): its own steps, a container, or a JavaScript entry point. */
export type ActionRuns =
  | { using: 'composite'; range: SourceRange; steps: Step[] }
  /** `image` is `docker://…` or a Dockerfile path relative to the action's directory. */
  | { using: 'docker'; range: SourceRange; image?: Located<string> }
  /** `node20`, `node24`, …: as written. */
  | { using: 'node'; range: SourceRange; runtime: Located<string> };

/**
 * An input an action declares. The runner enforces neither `required` nor a default's absence (a step that does not
 * pass a required input still runs; the action's own code may then fail), and warns on a step passing an input the
 * action does not declare ("Unexpected input(s)").
 */
export interface ActionInput {
  name: string;
  /** Range of the input's key. */
  range: SourceRange;
  required: boolean;
  default?: Located<unknown>;
}

/** An action's metadata file (`action.yml` or `action.yaml`), or a directory with only a Dockerfile. */
export interface ActionManifest {
  /** Repository-relative path of the file, e.g. `.github/actions/setup/action.yml`. */
  path: string;
  name?: Located<string>;
  /** The inputs it declares, when the file has an `inputs` mapping. */
  inputs?: ActionInput[];
  runs?: ActionRuns;
  diagnostics: Diagnostic[];
}
