// The records of the reverse index a set of workflow files gives: every job that calls a reusable workflow in another
// repository and every step that runs an action of one, with what the job or the step passes. Calls within the
// repository (`./`, `$/`) are left out: a change to a workflow is evaluated with its callers in the repository already
// (see app/workflows.ts), and a changed action is evaluated as a top-level file of its own.
import type { RepoId, Visibility } from '../graph/types.js';
import type { Job, Located, Step, Workflow } from '../workflow/model.js';
import { parseUses } from '../workflow/uses.js';
import { actionDirectory } from '../graph/workspace.js';
import type { CallerRecord, PassedValue, PermissionGrant, RecordSource } from './port.js';

export interface CallerFiles {
  repo: RepoId;
  visibility: Visibility;
  commit: string;
  branch?: string;
  source: RecordSource;
  workflows: readonly Workflow[];
}

/** Past this many, a repository's records are cut: one file cannot make the index grow without bound. */
export const MAX_RECORDS_PER_SOURCE = 1000;

export function callerRecords(files: CallerFiles): CallerRecord[] {
  const records: CallerRecord[] = [];
  const caller = (workflow: Workflow, job: Job, line: number, step?: number): CallerRecord['caller'] => ({
    repo: files.repo,
    visibility: files.visibility,
    path: workflow.path,
    jobId: job.id,
    ...(step !== undefined && { step }),
    line,
    commit: files.commit.toLowerCase(),
    ...(files.branch !== undefined && { branch: files.branch }),
    source: files.source,
  });
  for (const workflow of files.workflows) {
    // A file GitHub rejects calls nothing.
    if (workflow.diagnostics.length > 0) continue;
    for (const job of workflow.jobs) {
      const called = job.uses && parseUses(job.uses.value, 'job').reference;
      if (job.uses && called?.kind === 'remote-workflow') {
        records.push({
          callee: { kind: 'workflow', repo: { owner: called.owner, name: called.repo }, path: called.path },
          caller: caller(workflow, job, job.uses.range.start.line),
          ref: called.ref,
          refKind: called.refKind,
          inputs: passedInputs(job),
          ...(job.secrets && { secrets: job.secrets.kind === 'inherit' ? ('inherit' as const) : Object.keys(job.secrets.entries) }),
          ...grantOf(job, workflow),
        });
      }
      for (const step of job.steps) {
        const action = step.uses && parseUses(step.uses.value, 'step').reference;
        if (!step.uses || action?.kind !== 'action') continue;
        records.push({
          callee: { kind: 'action', repo: { owner: action.owner, name: action.repo }, path: actionDirectory(action.subpath ?? '') },
          caller: caller(workflow, job, step.uses.range.start.line, step.index),
          ref: action.ref,
          refKind: action.refKind,
          inputs: passedInputs(step),
        });
      }
    }
  }
  return records.slice(0, MAX_RECORDS_PER_SOURCE);
}

/** What a calling job, or a step, passes in `with:`. */
function passedInputs(caller: Pick<Job | Step, 'with'>): Record<string, PassedValue> {
  return Object.fromEntries(Object.entries(caller.with?.entries ?? {}).map(([name, value]) => [name, passedValue(value)]));
}

function passedValue(value: Located<unknown>): PassedValue {
  const literal = value.value;
  if (typeof literal === 'string') return literal.includes('${{') ? 'expression' : 'string';
  if (typeof literal === 'number') return 'number';
  if (typeof literal === 'boolean') return 'boolean';
  return literal === null ? 'null' : 'other';
}

/** The job's own `permissions`, else its workflow's; nothing when neither sets any (the repository default applies). */
function grantOf(job: Job, workflow: Workflow): { grant?: PermissionGrant } {
  const permissions = job.permissions ?? workflow.permissions;
  if (permissions === undefined) return {};
  if (permissions.kind !== 'map') return { grant: permissions.kind };
  return { grant: Object.fromEntries(Object.entries(permissions.scopes).map(([scope, level]) => [scope, level.value])) };
}
