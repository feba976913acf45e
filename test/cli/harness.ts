// Runs the CLI in-process on copies of the fixture checkouts (test/fixtures/cli/<name>), with a .git
// written by the test: a fixture cannot keep a .git of its own inside this repository.
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { main, type CliIO } from '../../src/cli/main.js';
import type { FakeGitHub } from '../support/fake-github.js';

export const FIXTURES = fileURLToPath(new URL('../fixtures/cli/', import.meta.url));

export const HEAD = '0123456789abcdef0123456789abcdef01234567';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function run(argv: string[], options: { cwd?: string; env?: Record<string, string | undefined>; tty?: boolean } = {}): Promise<RunResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (text: string) => (stdout += text), ...(options.tty && { isTTY: true }) },
    stderr: { write: (text: string) => (stderr += text) },
    env: options.env ?? {},
    cwd: options.cwd ?? FIXTURES,
  };
  const code = await main(argv, io);
  return { code, stdout, stderr };
}

export interface GitSetup {
  /** HEAD's commit on branch main (a loose ref); omitted: no .git at all. */
  head?: string;
  origin?: string;
}

/** Temporary directories made by `checkout`, removed by `cleanCheckouts`. */
const made: string[] = [];

/** A copy of a fixture checkout (or an empty one) with the given git metadata; extra files on top. */
export async function checkout(fixture: string | undefined, git: GitSetup = {}, files: Record<string, string | Buffer> = {}): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'warden-cli-'));
  made.push(root);
  if (fixture !== undefined) await cp(join(FIXTURES, fixture), root, { recursive: true });
  const all: Record<string, string | Buffer> = {};
  if (git.head !== undefined) {
    const origin = git.origin === undefined ? '' : `[remote "origin"]\n\turl = ${git.origin}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`;
    all['.git/HEAD'] = 'ref: refs/heads/main\n';
    all['.git/refs/heads/main'] = `${git.head}\n`;
    all['.git/config'] = `[core]\n\trepositoryformatversion = 0\n\tbare = false\n${origin}[branch "main"]\n\tremote = origin\n`;
  }
  // Files given win over the git setup, so a test can write its own config or HEAD.
  Object.assign(all, files);
  for (const [path, content] of Object.entries(all)) {
    await mkdir(dirname(join(root, path)), { recursive: true });
    await writeFile(join(root, path), content);
  }
  return root;
}

export async function cleanCheckouts(): Promise<void> {
  await Promise.all(made.splice(0).map((root) => rm(root, { recursive: true, force: true })));
}

export const SHARED_DEPLOY = '.github/workflows/deploy.yml';
const SHARED_CALLEE = 'on:\n  workflow_call:\n    inputs:\n      environment: { type: string, required: true }\njobs:\n  go:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ./deploy\n';

/** octo-org/shared (public) with a reusable deploy.yml taking a required input, tagged v1 (annotated); returns v1's commit. */
export function addSharedDeploy(gh: FakeGitHub): string {
  gh.addRepo('octo-org/shared', { visibility: 'public' });
  const v1 = gh.commit('octo-org/shared', { [SHARED_DEPLOY]: SHARED_CALLEE }, { branch: 'main' });
  gh.tag('octo-org/shared', 'v1', v1, { annotated: true });
  return v1;
}
