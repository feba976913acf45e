// Where a `./` action is read from. A step's `./path` is relative to the job's workspace, which holds whatever the
// job checked out — not the repository of the file the step is written in. `actions/checkout` with no `repository`
// and no `ref` checks out the repository the run is for at the commit it runs, and in a called workflow that is the
// top-level caller's ("any actions in the called workflow run as if they were part of the caller workflow").
import type { Job, Located } from '../workflow/model.js';
import { parseUses } from '../workflow/uses.js';
import type { RepoId } from './types.js';
import { repoFullName } from './types.js';

/** The directory of the workspace's repository an action path names, or why the workspace cannot be known. */
export type WorkspacePath = { dir: string } | { unknown: string };

/** `./.github/actions/setup/` → `.github/actions/setup`; `./` → `` (the root). */
export function actionDirectory(path: string): string {
  return path
    .split('/')
    .filter((segment) => segment !== '' && segment !== '.')
    .join('/');
}

/** A file of an action's directory (`` for the root): `setup` and `action.yml` → `setup/action.yml`. */
export function joinPath(dir: string, file: string): string {
  return dir === '' ? file : `${dir}/${file}`;
}

/** The action an action's metadata file defines, as its directory: `setup/action.yml` → `setup`; `action.yml` → ``. */
export function manifestDirectory(path: string): string {
  return actionDirectory(path.slice(0, Math.max(0, path.lastIndexOf('/'))));
}

/** Expressions that name the run's own repository or commit: the default a checkout uses anyway. */
const OWN_REPOSITORY = /^\$\{\{\s*github\.repository\s*\}\}$/;
const OWN_COMMIT = /^\$\{\{\s*github\.(sha|ref)\s*\}\}$/;

interface Checkout {
  /** Where in the workspace it checks out (`with.path`), as a directory; `` for the workspace itself. */
  dir: string;
  /** Why it is not the run's own repository at the run's commit, if it is not. */
  other?: string;
}

/**
 * The directory of the workspace repository that `./path` names at step `stepIndex` of `job`, decided by the checkouts
 * before it: the one whose target directory holds the path (the last one wins, as each replaces what was there).
 * `workspace` is the repository the run is for (the top-level caller's).
 */
export function workspacePath(job: Job, stepIndex: number, path: string, workspace: RepoId): WorkspacePath {
  const wanted = actionDirectory(path);
  let found: Checkout | undefined;
  for (const step of job.steps) {
    if (step.index >= stepIndex) break;
    const checkout = checkoutOf(step.uses?.value, step.with?.entries, workspace);
    if (checkout && within(wanted, checkout.dir)) found = checkout;
  }
  if (found === undefined) {
    return { unknown: `no actions/checkout step before it puts ${repoFullName(workspace)} in the workspace, so the runner finds no action at ./${wanted} (GitHub fails the step)` };
  }
  if (found.other !== undefined) return { unknown: `the job's checkout ${found.other}, so what ./${wanted} runs depends on that checkout` };
  return { dir: found.dir === '' ? wanted : wanted.slice(found.dir.length + 1) };
}

function within(dir: string, parent: string): boolean {
  return parent === '' || dir === parent || dir.startsWith(`${parent}/`);
}

/** An `actions/checkout` step (any version), and what it puts where. */
function checkoutOf(uses: string | undefined, inputs: Record<string, Located<unknown>> | undefined, workspace: RepoId): Checkout | undefined {
  const reference = uses === undefined ? undefined : parseUses(uses, 'step').reference;
  if (reference?.kind !== 'action' || reference.subpath !== undefined) return undefined;
  if (reference.owner.toLowerCase() !== 'actions' || reference.repo.toLowerCase() !== 'checkout') return undefined;
  const input = (name: string): string | undefined => {
    const value = inputs?.[name]?.value;
    return value === undefined || value === null ? undefined : String(value).trim();
  };
  const dir = actionDirectory(input('path') ?? '');
  const repository = input('repository');
  const ref = input('ref');
  if (repository !== undefined && repository !== '' && !OWN_REPOSITORY.test(repository) && repository.toLowerCase() !== repoFullName(workspace).toLowerCase()) {
    return { dir, other: `checks out ${repository}, not ${repoFullName(workspace)}` };
  }
  if (ref !== undefined && ref !== '' && !OWN_COMMIT.test(ref)) return { dir, other: `checks out the ref ${ref}, not the commit the run is for` };
  return { dir };
}
