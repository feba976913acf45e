// A local checkout as the CLI sees it: its workflow files, the commit it is at and the repository it
// was cloned from. Git's metadata is read from the .git directory itself (no `git` process): HEAD, loose
// and packed refs, and the `origin` remote of the config; worktrees and submodules (a `.git` file) too.
import { readdir, readFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { isWorkflowPath } from '../app/workflows.js';
import type { RepoId } from '../graph/types.js';

/**
 * The commit of a checkout whose HEAD cannot be read (no .git, no commit yet): the evaluation then
 * names the working tree. Files are always read from the working tree, as they are on disk.
 */
export const WORKING_TREE = 'working-tree';

export interface Checkout {
  root: string;
  /** HEAD's commit SHA (lower case), or WORKING_TREE. */
  commit: string;
  /** The repository the `origin` remote points at, when there is one. */
  origin?: RepoId;
  /** Repository-relative paths of the workflow files, sorted. */
  workflows: string[];
}

export const WORKFLOWS_DIR = '.github/workflows';

/**
 * The owner given to a checkout whose repository is unknown (no --repo, no origin remote). No GitHub account
 * can have this name, so no call compares equal to the checkout's owner or repository: every call into a
 * repository is external, and only `./` and `$/` calls stay in the checkout.
 */
export const UNKNOWN_OWNER = '(unknown)';

/** The unknown repository of a checkout, named after its directory so messages still read. */
export function unknownRepository(root: string): RepoId {
  const name = basename(resolve(root)).replace(/[^A-Za-z0-9._-]/g, '-');
  return { owner: UNKNOWN_OWNER, name: name === '' || /^\.+$/.test(name) ? 'checkout' : name };
}

const OBJECT_ID = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/;

export async function readCheckout(root: string): Promise<Checkout> {
  const gitDir = await gitDirectory(root);
  const common = gitDir === undefined ? undefined : await commonDirectory(gitDir);
  const [commit, origin, workflows] = await Promise.all([
    gitDir === undefined || common === undefined ? undefined : headCommit(gitDir, common),
    common === undefined ? undefined : originRepo(common),
    listWorkflows(root),
  ]);
  return { root, commit: commit ?? WORKING_TREE, ...(origin && { origin }), workflows };
}

/** Workflow files directly in `.github/workflows/` (GitHub runs nothing from subdirectories); none when it is missing. */
export async function listWorkflows(root: string): Promise<string[]> {
  const entries = await readdir(join(root, WORKFLOWS_DIR), { withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile() || entry.isSymbolicLink())
    .map((entry) => `${WORKFLOWS_DIR}/${entry.name}`)
    .filter(isWorkflowPath)
    .sort();
}

async function readText(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** `.git` is the directory, or (worktrees, submodules) a file saying `gitdir: <path>`. */
async function gitDirectory(root: string): Promise<string | undefined> {
  const dotGit = join(root, '.git');
  if ((await readText(join(dotGit, 'HEAD'))) !== undefined) return dotGit;
  const pointer = /^gitdir:\s*(.+?)\s*$/m.exec((await readText(dotGit)) ?? '');
  return pointer?.[1] === undefined ? undefined : resolve(root, pointer[1]);
}

/** A worktree keeps HEAD to itself and shares refs and config with the main repository (`commondir`). */
async function commonDirectory(gitDir: string): Promise<string> {
  const common = (await readText(join(gitDir, 'commondir')))?.trim();
  return common ? resolve(gitDir, common) : gitDir;
}

async function headCommit(gitDir: string, common: string): Promise<string | undefined> {
  const head = (await readText(join(gitDir, 'HEAD')))?.trim();
  if (head === undefined) return undefined;
  const symbolic = /^ref:\s*(refs\/\S+)$/.exec(head)?.[1];
  if (symbolic === undefined) return OBJECT_ID.test(head) ? head : undefined;
  return resolveRef(symbolic, [gitDir, common]);
}

/** A loose ref file first (newer than a packed one), then packed-refs; undefined on an unborn branch. */
async function resolveRef(ref: string, directories: string[]): Promise<string | undefined> {
  for (const directory of directories) {
    const loose = (await readText(join(directory, ref)))?.trim();
    if (loose !== undefined && OBJECT_ID.test(loose)) return loose;
  }
  const packed = (await readText(join(directories.at(-1) ?? '', 'packed-refs'))) ?? '';
  for (const line of packed.split(/\r?\n/)) {
    const [sha, name] = line.split(' ');
    if (name === ref && sha !== undefined && OBJECT_ID.test(sha)) return sha;
  }
  return undefined;
}

/** The `url` of `[remote "origin"]` in the repository's config. */
async function originRepo(common: string): Promise<RepoId | undefined> {
  const config = (await readText(join(common, 'config'))) ?? '';
  let inOrigin = false;
  for (const line of config.split(/\r?\n/)) {
    const section = /^\s*\[([^\]]*)\]/.exec(line)?.[1];
    if (section !== undefined) inOrigin = /^remote\s+"origin"$/.test(section.trim());
    const url = inOrigin ? /^\s*url\s*=\s*(.+?)\s*$/.exec(line)?.[1] : undefined;
    if (url !== undefined) return repoFromRemoteUrl(url);
  }
  return undefined;
}

/**
 * `owner/name` of a remote URL in any form git accepts for GitHub: `https://host/owner/name(.git)`,
 * `ssh://git@host[:port]/owner/name.git`, `git@host:owner/name.git`. The host is not checked.
 */
export function repoFromRemoteUrl(url: string): RepoId | undefined {
  const scp = /^[^/@:]+@[^/:]+:(.+)$/.exec(url)?.[1];
  let path = scp;
  if (path === undefined) {
    try {
      path = new URL(url).pathname;
    } catch {
      return undefined;
    }
  }
  const segments = path.replace(/\/+$/, '').replace(/\.git$/, '').split('/').filter((segment) => segment !== '');
  const [owner, name] = segments.slice(-2);
  return segments.length >= 2 && owner !== undefined && name !== undefined ? { owner, name } : undefined;
}
