// The resolved call graph — reusable workflows and the actions their steps run — and the facts the policy rules
// read from it.
import type { ActionManifest, SourceRange, Workflow } from '../workflow/model.js';
import type { ParsedUses } from '../workflow/uses.js';

/** A repository on the evaluation's host. Names keep GitHub's spelling; keys compare case-insensitively. */
export interface RepoId {
  readonly owner: string;
  readonly name: string;
}

export function repoKey(repo: RepoId): string {
  return `${repo.owner}/${repo.name}`.toLowerCase();
}

/**
 * Whether two ids name one repository, without building their keys. GitHub's names are ASCII, so ASCII case folding
 * is exact for them; for anything else it can only answer "different" where `repoKey` folds more.
 */
export function sameRepo(a: RepoId, b: RepoId): boolean {
  return a === b || (sameName(a.owner, b.owner) && sameName(a.name, b.name));
}

function sameName(a: string, b: string): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i += 1) if (asciiLower(a.charCodeAt(i)) !== asciiLower(b.charCodeAt(i))) return false;
  return true;
}

function asciiLower(code: number): number {
  return code >= 0x41 && code <= 0x5a ? code + 0x20 : code;
}

export function repoFullName(repo: RepoId): string {
  return `${repo.owner}/${repo.name}`;
}

/** What to read a file at: a full commit SHA, or a tag/branch name still to be resolved. */
export type RefRequest = { kind: 'commit'; sha: string } | { kind: 'named'; name: string };

/** A named ref resolved to the commit that runs (annotated tags peeled). */
export interface ResolvedRef {
  name: string;
  kind: 'tag' | 'branch';
  commit: string;
  /** The tag object's SHA for annotated tags: not runnable, never suggest it as a pin. */
  tagObject?: string;
}

export type ResolutionErrorKind =
  /** Missing, or not visible to the app: GitHub answers both the same way. */
  | 'repo-not-found'
  /** The repository was renamed or transferred; GitHub Actions follows no redirects. */
  | 'repo-renamed'
  | 'ref-not-found'
  | 'commit-not-found'
  | 'file-not-found'
  | 'too-large'
  | 'binary'
  | 'rate-limited'
  | 'server-error'
  | 'timeout'
  | 'network';

export interface ResolutionError {
  kind: ResolutionErrorKind;
  message: string;
  status?: number;
  /** For `repo-renamed`: the repository's current name. */
  renamedTo?: RepoId;
}

export type Visibility = 'public' | 'private' | 'internal';

/** `GET /repos/{owner}/{repo}/actions/permissions/access`: who outside the repository may use its workflows. */
export type ActionsAccessLevel = 'none' | 'user' | 'organization' | 'enterprise';

export interface RepoMetadata {
  /** The repository as GitHub names it now. */
  repo: RepoId;
  visibility: Visibility;
  archived: boolean;
  defaultBranch?: string;
}

/** `${repoKey}/${path}@${commit}`: one workflow file, or one action's metadata file, at one commit. */
export type NodeKey = string;

/** A file at a commit: a workflow (`.github/workflows/x.yml`) or an action's metadata (`dir/action.yml`). */
export interface WorkflowAddress {
  repo: RepoId;
  path: string;
  commit: string;
}

export function nodeKey(address: WorkflowAddress): NodeKey {
  return `${repoKey(address.repo)}/${address.path}@${address.commit}`;
}

/** The two kinds of code a `uses:` runs, in GitHub's words: reusable workflows and actions. */
export type NodeKind = 'workflow' | 'action';

export interface GraphNode {
  key: NodeKey;
  kind: NodeKind;
  address: WorkflowAddress;
  /** A workflow node's file, when it was read; its diagnostics say whether it parsed. */
  workflow?: Workflow;
  /** An action node's metadata, when it was read (a directory with only a Dockerfile reads as a container action). */
  action?: ActionManifest;
  text?: string;
  error?: ResolutionError;
}

interface EdgeBase {
  from: NodeKey;
  uses: ParsedUses;
  /** Range of the `uses:` value in the calling file. */
  range: SourceRange;
  /** The named ref as it resolved, for re-run hazard checks and pins. */
  resolvedRef?: ResolvedRef;
  /** What the `uses:` runs, once its commit is known. */
  to?: NodeKey;
  /** Why what it runs could not be read. */
  error?: ResolutionError;
}

/** One `jobs.<id>.uses:` call from a workflow to a reusable workflow. */
export interface WorkflowCall extends EdgeBase {
  kind: 'workflow';
  jobId: string;
}

/**
 * One step's `uses:` of an action: in a workflow's job, or in a composite action's `runs.steps`. An action in a
 * called workflow runs as part of the top-level caller's job, so a `./` action reads the job's workspace.
 */
export interface ActionUse extends EdgeBase {
  kind: 'action';
  /** The step's job in a workflow; absent for a composite action's step. */
  jobId?: string;
  /** The step's index in its job's (or composite action's) steps. */
  step: number;
  /** A `./` action whose workspace cannot be known statically: why (no checkout, another repository or ref). */
  workspaceUnknown?: string;
}

export type GraphEdge = WorkflowCall | ActionUse;

export interface PlatformLimits {
  maxLevels: number;
  maxUnique: number;
}

/** Per top-level file: GitHub's limits apply to each top-level caller separately. */
export interface RootStats {
  root: NodeKey;
  /** Longest chain of workflows, counting the top-level caller. */
  levels: number;
  /** Unique reusable workflows in the whole tree, the top-level caller excluded (actions do not count). */
  unique: number;
  /** Deepest nesting of composite actions below a step of the tree (a composite action run by a step is 1). */
  compositeDepth: number;
  /** Every workflow and action of this root's tree, the root first. */
  nodes: NodeKey[];
  /** Each loop as the chain of node keys, its first node repeated at the end: workflows, or composite actions. */
  loops: NodeKey[][];
  /** Calls not followed because a platform limit was reached: the graph below them is unknown. */
  cuts: LimitCut[];
}

export type LimitCut = { edge: WorkflowCall; reason: 'max-levels' | 'max-unique' } | { edge: ActionUse; reason: 'max-composite-depth' };

export interface CallGraph {
  host: string;
  /** The platform limits the graph was resolved under (the host's, with any override). */
  limits: PlatformLimits;
  roots: NodeKey[];
  nodes: Map<NodeKey, GraphNode>;
  edges: GraphEdge[];
  repos: Map<string, RepoMetadata | ResolutionError>;
  access: Map<string, ActionsAccessLevel | ResolutionError>;
  stats: Map<NodeKey, RootStats>;
}
