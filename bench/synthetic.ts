// Synthetic call graphs for the benchmarks: a tree of reusable workflows over ten repositories in a
// GitHub imitation, and an in-process source that serves it with no I/O (to measure CPU alone).
import { repoKey } from '../src/graph/types.js';
import type { RootFile } from '../src/graph/resolve.js';
import type { LevelRequest, LevelResult, WorkflowSource } from '../src/source/port.js';
import { FakeGitHub } from '../test/support/fake-github.js';

const CI = '.github/workflows/ci.yml';

export interface Case {
  name: string;
  /** Reusable workflows below the top-level file. */
  nodes: number;
  /** Calls each workflow makes (fan-out), and how many levels the tree may have. */
  fanOut: number;
  maxLevels: number;
  pin: 'sha' | 'tag';
  /** A chain down to `maxLevels` with the other workflows hanging off it, instead of a breadth-first tree. */
  spine?: boolean;
  /** Steps per workflow job running actions of the catalog (40 unique, 5 of them composite); 2 otherwise. */
  steps?: number;
}

export const CASES: Case[] = [
  { name: '1 workflow', nodes: 1, fanOut: 1, maxLevels: 2, pin: 'tag' },
  { name: '10 workflows, fan-out 10', nodes: 10, fanOut: 10, maxLevels: 2, pin: 'tag' },
  { name: '10 workflows, chain of 10 levels', nodes: 9, fanOut: 1, maxLevels: 10, pin: 'tag' },
  { name: '50 workflows, fan-out 3, 5 levels', nodes: 50, fanOut: 3, maxLevels: 5, pin: 'tag' },
  { name: '50 workflows, 10 levels (spine)', nodes: 50, fanOut: 6, maxLevels: 10, pin: 'tag', spine: true },
  { name: '50 workflows, SHA-pinned', nodes: 50, fanOut: 3, maxLevels: 5, pin: 'sha' },
  { name: '50 workflows, 10 actions each', nodes: 50, fanOut: 3, maxLevels: 5, pin: 'tag', steps: 10 },
];

/** The actions every synthetic workflow's steps choose from: 20 repositories with an action at the root and one in `sub`. */
const ACTION_REPOS = Array.from({ length: 20 }, (_, index) => `bench-actions/tool-${index}`);
const ACTIONS = ACTION_REPOS.flatMap((repo) => [repo, `${repo}/sub`]);
/** The first five are composite actions running two others each, as setup actions do. */
const COMPOSITES = 5;

function actionText(index: number): string {
  if (index >= COMPOSITES) return 'name: tool\ndescription: a tool\nruns:\n  using: node24\n  main: dist/index.js\n';
  const uses = [ACTIONS[10 + index * 2]!, ACTIONS[11 + index * 2]!].map((action) => `    - uses: ${action}@v1\n`).join('');
  return `name: setup\ndescription: sets up\nruns:\n  using: composite\n  steps:\n    - run: echo setting up\n      shell: bash\n${uses}`;
}

/** The catalog in the imitation: each repository at one commit, tagged v1 (annotated, as releases are); the commit of each action. */
function addActions(gh: FakeGitHub): Map<string, string> {
  const commits = new Map<string, string>();
  ACTION_REPOS.forEach((repo, index) => {
    gh.addRepo(repo, { visibility: 'public' });
    const sha = gh.commit(repo, { 'action.yml': actionText(index * 2), 'sub/action.yml': actionText(index * 2 + 1) }, { branch: 'main' });
    gh.tag(repo, 'v1', sha, { annotated: true });
    commits.set(repo, sha);
    commits.set(`${repo}/sub`, sha);
  });
  return commits;
}

export interface Synthetic {
  gh: FakeGitHub;
  root: RootFile;
  levels: number;
}

/**
 * A tree of `nodes` reusable workflows spread over ten repositories, filled breadth-first with `fanOut`
 * calls per workflow and at most `maxLevels` levels. Each workflow is a realistic 40-line file.
 */
export function synthesize(spec: Case): Synthetic {
  const gh = new FakeGitHub();
  const actionCommits = addActions(gh);
  const stepsOf = (index: number): string[] =>
    Array.from({ length: spec.steps ?? 2 }, (_, k) => {
      const action = ACTIONS[(index * 3 + k) % ACTIONS.length]!;
      return `${action}@${spec.pin === 'sha' ? actionCommits.get(action)! : 'v1'}`;
    });
  const repos = Array.from({ length: 10 }, (_, index) => `bench-org/shared-${index}`);
  for (const repo of repos) gh.addRepo(repo, { visibility: 'public' });
  const children = new Map<number, number[]>();
  const level = new Map<number, number>([[0, 1]]);
  const attach = (parent: number, child: number) => {
    children.set(parent, [...(children.get(parent) ?? []), child]);
    level.set(child, level.get(parent)! + 1);
  };
  let next = 1;
  if (spec.spine) {
    for (; next < spec.maxLevels; next++) attach(next - 1, next);
    for (let parent = 0; next <= spec.nodes; next++, parent = (parent + 1) % (spec.maxLevels - 1)) attach(parent, next);
  }
  for (let parent = 0; next <= spec.nodes && parent < next; parent++) {
    if (level.get(parent)! >= spec.maxLevels) continue;
    for (let k = 0; k < spec.fanOut && next <= spec.nodes; k++, next++) attach(parent, next);
  }
  // Commit leaves first so parents can pin their children's SHAs.
  const commits = new Map<number, string>();
  const repoOf = (index: number) => repos[index % repos.length]!;
  const pathOf = (index: number) => `.github/workflows/wf-${index}.yml`;
  for (let index = spec.nodes; index >= 1; index--) {
    const calls = (children.get(index) ?? []).map((child) => `${repoOf(child)}/${pathOf(child)}@${spec.pin === 'sha' ? commits.get(child)! : `v${child}`}`);
    const sha = gh.commit(repoOf(index), { [pathOf(index)]: workflowText(calls, true, stepsOf(index)) }, { branch: `b${index}` });
    gh.tag(repoOf(index), `v${index}`, sha, { annotated: true });
    commits.set(index, sha);
  }
  gh.addRepo('bench-org/app', { visibility: 'private' });
  const rootCalls = (children.get(0) ?? []).map((child) => `${repoOf(child)}/${pathOf(child)}@${spec.pin === 'sha' ? commits.get(child)! : `v${child}`}`);
  const rootSha = gh.commit('bench-org/app', { [CI]: workflowText(rootCalls, false, stepsOf(0)) }, { branch: 'main' });
  const levels = Math.max(...level.values());
  return { gh, root: { repo: { owner: 'bench-org', name: 'app' }, path: CI, commit: rootSha }, levels };
}

function workflowText(calls: string[], reusable: boolean, actions: string[]): string {
  const trigger = reusable
    ? 'on:\n  workflow_call:\n    inputs:\n      environment:\n        type: string\n        required: false\n        default: staging\n    secrets:\n      token:\n        required: false\n'
    : 'on:\n  pull_request:\n  push:\n    branches: [main]\n';
  const steps = actions.map((uses) => `      - uses: ${uses}\n        with:\n          token: \${{ github.token }}\n`).join('');
  const build = `  build:\n    runs-on: ubuntu-latest\n    permissions:\n      contents: read\n    steps:\n${steps}      - run: npm ci\n      - run: npm test\n      - run: npm run build\n`;
  const callJobs = calls
    .map((uses, index) => `  call-${index}:\n    needs: build\n    uses: ${uses}\n    with:\n      environment: production\n    secrets:\n      token: \${{ secrets.TOKEN }}\n`)
    .join('');
  return `name: synthetic\n${trigger}permissions:\n  contents: read\nconcurrency:\n  group: \${{ github.workflow }}-\${{ github.ref }}\njobs:\n${build}${callJobs}`;
}

/** An in-process source with no I/O, to measure the CPU of parsing and resolving alone. */
export class InstantSource implements WorkflowSource {
  readonly host = 'github.com';
  constructor(private readonly gh: FakeGitHub) {}
  async fetchLevel(request: LevelRequest): Promise<LevelResult> {
    const files = request.files.map((file) => {
      const repo = this.gh.repo(`${file.repo.owner}/${file.repo.name}`);
      const commit = file.ref.kind === 'commit' ? file.ref.sha : resolveTag(repo, file.ref.name);
      const text = repo.commits.get(commit)?.get(file.path);
      return typeof text === 'string' ? { ok: true as const, commit, text } : { ok: false as const, error: { kind: 'file-not-found' as const, message: 'missing' } };
    });
    const repos = new Map(
      [...request.files.map((file) => file.repo), ...request.repos].map((repo) => [repoKey(repo), { repo, visibility: 'public' as const, archived: false }]),
    );
    return { files, repos };
  }
  async fetchActionsAccess() {
    return new Map();
  }
}

function resolveTag(repo: ReturnType<FakeGitHub['repo']>, name: string): string {
  const target = repo.tags.get(name) ?? '';
  return repo.tagObjects.get(target)?.target ?? target;
}

