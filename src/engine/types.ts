// What rules read and what they produce. Rules reason about meaning (edges, jobs, keys); renderers
// (check run, CLI, review suggestions) turn symbolic locations into lines and fixes into text late.
import type { ActionUse, CallGraph, GraphEdge, GraphNode, NodeKey, RepoId, RepoMetadata, Visibility, WorkflowCall } from '../graph/types.js';
import type { Policy, PolicyLocation, RuleId, RuleSettings } from '../policy/types.js';
import type { RefFacts } from '../source/port.js';
import type { CallerRecord } from '../callers/port.js';
import type { Job, PermissionLevel, SourceRange } from '../workflow/model.js';

/** What a finding points at, symbolically. `locateFinding` turns it into a file and a range. */
export interface FindingLocation {
  node: NodeKey;
  jobId?: string;
  /**
   * The key inside the job (`uses`, `secrets`, `with`, `permissions`, or any other key name such as
   * `runs-on`), or `on` for the workflow's triggers. Absent: the job id, or the file's first line.
   */
  key?: string;
  /** A name under the key: an input of `with`, a secret of `secrets`. */
  name?: string;
  /** A step (its index in the job's steps, or in a composite action's `runs.steps`); with `key: 'uses'`, its `uses:`. */
  step?: number;
  /** A place no job or key names (a YAML error, for one): used as is. */
  range?: SourceRange;
}

/** A fix a renderer can turn into text, a suggested change, or a setting to change. */
export type Fix =
  /** Replace the `uses:` value (and its trailing comment) of a calling job. */
  | { kind: 'replace-uses'; node: NodeKey; jobId: string; uses: string; comment?: string }
  /** Replace the `uses:` value (and its trailing comment) of a step: of a job of a workflow, or of a composite action. */
  | { kind: 'replace-step-uses'; node: NodeKey; jobId?: string; step: number; uses: string; comment?: string }
  /** Replace `secrets: inherit` by an explicit map of the callee's declared secrets. */
  | { kind: 'explicit-secrets'; node: NodeKey; jobId: string; secrets: string[] }
  /** Give the calling job the `permissions:` block the callee needs. */
  | { kind: 'job-permissions'; node: NodeKey; jobId: string; permissions: Record<string, PermissionLevel> }
  /** Add the callee's required inputs to the calling job's `with:`. */
  | {
      kind: 'add-inputs';
      node: NodeKey;
      jobId: string;
      inputs: { name: string; type: string; description?: string }[];
    }
  /** Add required secrets to the calling job's `secrets:` map. */
  | { kind: 'add-secrets'; node: NodeKey; jobId: string; secrets: string[] }
  /** Remove keys GitHub does not allow beside `uses:` in a calling job. */
  | { kind: 'remove-keys'; node: NodeKey; jobId: string; keys: string[] }
  /** A repository setting someone must change (Actions access level, for example). */
  | { kind: 'repository-setting'; repo: RepoId; setting: string; value: string; url: string }
  /** The policy file to edit when the call itself is intended. */
  | { kind: 'edit-policy'; file: string; suggestion: string };

export type FindingSeverity = 'error' | 'warning';

export interface Finding {
  ruleId: RuleId;
  severity: FindingSeverity;
  /** One or two sentences: what is wrong and why it matters. Never a repository the reader may not see (see `mentions`). */
  message: string;
  /** The top-level file whose evaluation found it. */
  root: NodeKey;
  /**
   * Where the problem is. When that is not in the top-level file, renderers annotate the first call of
   * `chain` (the line of the top-level file that leads there) and name this place in the message.
   */
  location: FindingLocation;
  /** The calls from the top-level file to the offending one (empty for findings about the file itself). */
  chain: GraphEdge[];
  fix?: Fix;
  /** Repositories the message, chain or fix names, so a renderer can redact private ones in public checks. */
  mentions: readonly RepoId[];
}

/** Online facts (tags, commit reachability): defined by the source port that produces them, gathered by `gatherRefFacts`. */
export type { RefFacts };

/** A top-level file as it was before the change: a workflow, or an action's metadata file. */
export type BaseVersion = Pick<GraphNode, 'workflow' | 'action'>;

/**
 * What the callee side needs (gathered before the rules run, like ref facts): per top-level file that is a reusable
 * workflow or an action's metadata file, who calls it from other repositories and the version of it the change
 * replaces; each caller's own policy and what that policy finds in the changed file's graph.
 */
export interface CallerImpactFacts {
  /** The branch the change merges into: callers naming it are reached by the merge. */
  branch?: string;
  callers: Map<NodeKey, CallerRecord[]>;
  /** The top-level file before the change, when it existed. */
  base: Map<NodeKey, BaseVersion>;
  /** By caller `repoKey`: the findings of `allowed-sources` and `pinning` over this graph under that caller's policy. */
  callerFindings: Map<string, Finding[]>;
  /** By caller `repoKey`: the `max-depth` levels of that caller's policy, when it sets one. */
  callerLevels: Map<string, number>;
}

export interface RuleContext<Id extends keyof RuleSettings = keyof RuleSettings> {
  graph: CallGraph;
  policy: Policy;
  settings: RuleSettings[Id];
  /** The repository under evaluation (the owner of the top-level files). */
  repository: RepoMetadata;
  /** Facts by `repoKey`; absent when they could not be gathered (rules then report what they cannot verify). */
  refFacts: Map<string, RefFacts>;
  /** Absent when the change was not looked at from its callers' side (no index, or nothing calls it). */
  impact?: CallerImpactFacts;
  now: Date;
  report(finding: Omit<Finding, 'ruleId' | 'severity' | 'root'> & { severity?: FindingSeverity }): void;
}

/** What every visit of an edge from one top-level file holds: who makes it and how the top-level file reaches it. */
interface VisitBase {
  root: GraphNode;
  caller: GraphNode;
  /** The node the edge leads to, when it could be read. */
  callee?: GraphNode;
  /** The edges from the root up to and including `edge` (shortest chain). */
  chain: GraphEdge[];
  /** Visibility of the repository of a node, when known. */
  visibilityOf(node: GraphNode): Visibility | undefined;
}

/** One call of a reusable workflow seen from one top-level file. */
export interface EdgeVisit extends VisitBase {
  edge: WorkflowCall;
  callerJob: Job;
}

/** One step's action seen from one top-level file: in a job of a workflow of the tree, or in a composite action. */
export interface ActionVisit extends VisitBase {
  edge: ActionUse;
  /** The step's job; absent for a step of a composite action. */
  callerJob?: Job;
}

export interface RuleMeta {
  id: RuleId;
  description: string;
  /** A paragraph for the docs and the check run's "about this rule". */
  docs: string;
  fixable: boolean;
}

/**
 * One module per rule, as ESLint does: metadata plus checks. The engine calls `checkEdge` once per call of a
 * reusable workflow per top-level file (with the shortest chain), `checkAction` once per step's action likewise,
 * `checkRoot` once per top-level file, and `checkNode` once per workflow or action in a top-level file's tree.
 */
export interface Rule<Id extends keyof RuleSettings = keyof RuleSettings> {
  meta: RuleMeta & { id: Id };
  checkEdge?(context: RuleContext<Id>, visit: EdgeVisit): void;
  checkAction?(context: RuleContext<Id>, visit: ActionVisit): void;
  checkRoot?(context: RuleContext<Id>, root: GraphNode): void;
  checkNode?(context: RuleContext<Id>, node: GraphNode, root: GraphNode, chain: GraphEdge[]): void;
}

export type AnyRule = { [Id in keyof RuleSettings]: Rule<Id> }[keyof RuleSettings];

export interface ExceptionUse {
  exception: PolicyLocation & { uses: string; reason: string };
  waived: Finding[];
}

export type Conclusion = 'success' | 'neutral' | 'failure';

export interface Evaluation {
  findings: Finding[];
  /** Exceptions that waived at least one finding. */
  exceptionsUsed: ExceptionUse[];
  /** Exceptions past their `expires` date: they no longer apply. */
  exceptionsExpired: (PolicyLocation & { uses: string; reason: string; expires: string })[];
  conclusion: Conclusion;
}
