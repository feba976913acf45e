// Turns a finding's symbolic location (node → job → key → name) into a file and a range, late, for
// every renderer (check run annotations, CLI, review suggestions). Never throws: whatever is missing
// from the graph falls back to a coarser place — the job id, then the file's first line.
import type { Finding, FindingLocation } from '../engine/types.js';
import type { CallGraph, GraphNode, NodeKey } from '../graph/types.js';
import type { Job, SourceRange, Step, Workflow } from '../workflow/model.js';

export interface FindingSite {
  node: NodeKey;
  /** Repository-relative path of the file the site is in. */
  path: string;
  range: SourceRange;
}

export interface FindingPlace {
  /** Where to annotate, in the top-level file: the site itself, or the call that leads to it. */
  path: string;
  range: SourceRange;
  /** Where the problem is, possibly in a called workflow. */
  site: FindingSite;
}

export function locateFinding(graph: CallGraph, finding: Finding): FindingPlace {
  const site = locateSite(graph, finding.location);
  if (site.node === finding.root) {
    return { path: site.path, range: site.range, site };
  }
  const first = finding.chain[0];
  if (first !== undefined) {
    return { path: nodePath(graph, first.from), range: first.range, site };
  }
  // A finding about a called file with no chain to it: the top-level file is all that can be shown.
  return { path: nodePath(graph, finding.root), range: firstLine(graph.nodes.get(finding.root)), site };
}

/** The place a symbolic location names, as precisely as the graph allows. */
export function locateSite(graph: CallGraph, location: FindingLocation): FindingSite {
  const node = graph.nodes.get(location.node);
  const path = nodePath(graph, location.node);
  const workflow = node?.workflow;
  const steps = node?.action?.runs?.using === 'composite' ? node.action.runs.steps : undefined;
  const range =
    location.range ??
    (workflow !== undefined ? rangeInWorkflow(workflow, location) : location.step === undefined ? node?.action?.runs?.range : stepRange(steps, location));
  return { node: location.node, path, range: range ?? firstLine(node) };
}

/** A step's `uses:` value (with `key: 'uses'`), else the whole step. */
function stepRange(steps: readonly Step[] | undefined, location: FindingLocation): SourceRange | undefined {
  const step = steps?.find((candidate) => candidate.index === location.step);
  return (location.key === 'uses' ? step?.uses?.range : undefined) ?? step?.range;
}

/** A node's repository-relative path, read from its key when the node is not in the graph. */
export function nodePath(graph: CallGraph, key: NodeKey): string {
  return graph.nodes.get(key)?.address.path ?? pathOfNodeKey(key);
}

/** `owner/repo/<path>@<commit>` → `<path>`: the inverse of `nodeKey`, for keys with no node. */
export function pathOfNodeKey(key: NodeKey): string {
  const withoutRepo = key.split('/').slice(2).join('/');
  const at = withoutRepo.lastIndexOf('@');
  return at === -1 ? withoutRepo : withoutRepo.slice(0, at);
}

function rangeInWorkflow(workflow: Workflow, location: FindingLocation): SourceRange | undefined {
  if (location.jobId === undefined) {
    return location.key === undefined ? undefined : workflowKeyRange(workflow, location.key);
  }
  const job = workflow.jobs.find((candidate) => candidate.id === location.jobId);
  if (job === undefined) {
    return undefined;
  }
  if (location.step !== undefined) {
    return stepRange(job.steps, location) ?? job.idRange;
  }
  if (location.key === undefined) {
    return job.idRange;
  }
  const keyRange = jobKeyRange(job, location.key);
  const nameRange = location.name === undefined ? undefined : jobNameRange(job, location.key, location.name);
  return nameRange ?? keyRange ?? job.idRange;
}

/** Keys of the workflow itself, for findings with no job (`on`, workflow-level `permissions`). */
function workflowKeyRange(workflow: Workflow, key: string): SourceRange | undefined {
  switch (key) {
    case 'on':
      return workflow.on?.range;
    case 'permissions':
      return workflow.permissions?.range;
    case 'concurrency':
      return workflow.concurrency?.range;
    case 'name':
      return workflow.name?.range;
    default:
      return undefined;
  }
}

/** The `uses:` value (the line annotations must hit), a whole block, or the key as written. */
function jobKeyRange(job: Job, key: string): SourceRange | undefined {
  const written = job.keys.find((candidate) => candidate.value === key)?.range;
  switch (key) {
    case 'uses':
      return job.uses?.range ?? written;
    case 'with':
      return job.with?.range ?? written;
    case 'secrets':
      return job.secrets?.range ?? written;
    case 'permissions':
      return job.permissions?.range ?? written;
    case 'concurrency':
      return job.concurrency?.range ?? written;
    default:
      return written;
  }
}

/** An input under `with`, a secret under `secrets`, a scope under `permissions`. */
function jobNameRange(job: Job, key: string, name: string): SourceRange | undefined {
  switch (key) {
    case 'with':
      return job.with?.entries[name]?.range;
    case 'secrets':
      return job.secrets?.kind === 'map' ? job.secrets.entries[name]?.range : undefined;
    case 'permissions':
      return job.permissions?.kind === 'map' ? job.permissions.scopes[name]?.range : undefined;
    default:
      return undefined;
  }
}

/** Line 1, to the end of its text when the text is known. */
function firstLine(node: GraphNode | undefined): SourceRange {
  const text = node?.text?.replace(/^\uFEFF/, '') ?? '';
  const length = /^[^\r\n]*/.exec(text)?.[0].length ?? 0;
  return { start: { line: 1, column: 1 }, end: { line: 1, column: length + 1 } };
}
