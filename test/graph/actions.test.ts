// Actions in the call graph: every step's `uses:` in every workflow reached, composite actions followed, read
// through the real GitHubSource from the GraphQL imitation, in the same level requests as the workflows.
import nock from 'nock';
import type { CallGraph } from '../../src/graph/types.js';
import { MemoryCacheStore } from '../../src/cache/memory.js';
import { FakeGitHub } from '../support/fake-github.js';
import { resolveCallGraph } from '../../src/graph/resolve.js';
import { GITHUB_COM_LIMITS } from '../../src/graph/limits.js';
import { buildWorld, githubSource, repoId, resolveWorld } from '../support/graph.js';
import { action, callable, steps, wf, workflow } from '../support/workflows.js';

const APP = 'octo-org/app';
const SHARED = 'octo-org/shared';
const CI = wf('ci');

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

/** Every edge as `file: uses → what it runs` (`file@repo` of the node read, or why not). */
function edges(graph: CallGraph): string[] {
  return graph.edges.map((edge) => {
    const from = graph.nodes.get(edge.from)!;
    const to = edge.to === undefined ? undefined : graph.nodes.get(edge.to);
    const target = edge.error ? `error ${edge.error.kind}` : to ? `${to.address.repo.owner}/${to.address.repo.name}:${to.address.path}` : edge.kind === 'action' && edge.workspaceUnknown ? 'workspace unknown' : 'nothing';
    const where = edge.kind === 'action' ? `${edge.jobId ?? '-'}#${edge.step}` : edge.jobId;
    return `${from.address.path} ${where} ${edge.kind} ${edge.uses.raw} → ${target}`;
  });
}

function world(gh = new FakeGitHub()) {
  const lib = buildWorld(
    {
      'actions/checkout': { files: { 'action.yml': action() }, tags: { v4: {}, 'v4.2.2': {} } },
      'tj-actions/changed-files': { files: { 'action.yml': action() }, tags: { v35: {} } },
      'other/tool': { files: { 'sub/action.yaml': action(), Dockerfile: 'FROM alpine\n' }, tags: { v1: {} } },
      'other/container': { files: { Dockerfile: 'FROM alpine\n' }, tags: { v2: {} } },
      'other/empty': { files: { 'README.md': 'no action here\n' }, tags: { v1: {} } },
    },
    gh,
  );
  const shared = buildWorld(
    {
      [SHARED]: {
        files: {
          [wf('deploy')]: workflow('on: workflow_call\n', {
            deploy: steps('actions/checkout@v4', 'tj-actions/changed-files@v35', './.github/actions/in-caller', '$/.github/actions/own'),
          }),
          '.github/actions/own/action.yml': action('other/tool/sub@v1'),
        },
      },
    },
    gh,
  );
  const app = buildWorld(
    {
      [APP]: {
        files: {
          [CI]: workflow('on: pull_request\n', {
            build: steps('actions/checkout@v4', './.github/actions/setup', 'docker://alpine:3.20', 'other/container@v2', 'other/empty@v1'),
            call: `uses: ${SHARED}/${wf('deploy')}@${shared.commits[SHARED]}\n`,
            bare: steps('./.github/actions/setup'),
          }),
          '.github/actions/setup/action.yml': action('actions/checkout@v4', './.github/actions/setup/inner'),
          '.github/actions/setup/inner/action.yml': action(),
          '.github/actions/in-caller/action.yml': action(),
        },
      },
    },
    gh,
  );
  return { gh, commits: { ...lib.commits, ...shared.commits, ...app.commits } };
}

describe('actions in the call graph', () => {
  it('reads every step’s action: remote by ref, ./ from the workspace, $/ from the calling file’s repository, composite steps too', async () => {
    const w = world();
    const graph = await resolveWorld(w, [`${APP}:${CI}`]);
    expect(edges(graph)).toEqual([
      '.github/workflows/ci.yml build#0 action actions/checkout@v4 → actions/checkout:action.yml',
      '.github/workflows/ci.yml build#1 action ./.github/actions/setup → octo-org/app:.github/actions/setup/action.yml',
      '.github/workflows/ci.yml build#2 action docker://alpine:3.20 → nothing',
      '.github/workflows/ci.yml build#3 action other/container@v2 → other/container:Dockerfile',
      '.github/workflows/ci.yml build#4 action other/empty@v1 → error file-not-found',
      '.github/workflows/ci.yml call workflow octo-org/shared/.github/workflows/deploy.yml@' + w.commits[SHARED] + ' → octo-org/shared:.github/workflows/deploy.yml',
      '.github/workflows/ci.yml bare#0 action ./.github/actions/setup → workspace unknown',
      '.github/actions/setup/action.yml -#0 action actions/checkout@v4 → actions/checkout:action.yml',
      '.github/actions/setup/action.yml -#1 action ./.github/actions/setup/inner → octo-org/app:.github/actions/setup/inner/action.yml',
      // In the called workflow, ./ is the caller's workspace (octo-org/app), $/ the called workflow's own repository.
      '.github/workflows/deploy.yml deploy#0 action actions/checkout@v4 → actions/checkout:action.yml',
      '.github/workflows/deploy.yml deploy#1 action tj-actions/changed-files@v35 → tj-actions/changed-files:action.yml',
      '.github/workflows/deploy.yml deploy#2 action ./.github/actions/in-caller → octo-org/app:.github/actions/in-caller/action.yml',
      '.github/workflows/deploy.yml deploy#3 action $/.github/actions/own → octo-org/shared:.github/actions/own/action.yml',
      '.github/actions/own/action.yml -#0 action other/tool/sub@v1 → other/tool:sub/action.yaml',
    ]);
    const container = graph.nodes.get(graph.edges[3]!.to!);
    expect(container?.action?.runs).toEqual(expect.objectContaining({ using: 'docker', image: expect.objectContaining({ value: 'Dockerfile' }) }));
    expect(graph.edges[4]!.error?.message).toBe('There is no action.yml, action.yaml or Dockerfile in the root of other/empty at that commit.');
    expect(graph.edges[6]).toEqual(
      expect.objectContaining({
        workspaceUnknown: 'no actions/checkout step before it puts octo-org/app in the workspace, so the runner finds no action at ./.github/actions/setup (GitHub fails the step)',
      }),
    );
    expect(graph.stats.get(graph.roots[0]!)).toEqual(expect.objectContaining({ levels: 2, unique: 1, compositeDepth: 1, loops: [], cuts: [] }));
  });

  it('reads each level’s actions in the same GraphQL request as its workflows, each (repository, ref) once', async () => {
    const w = world();
    await resolveWorld(w, [`${APP}:${CI}`]);
    // The root is read first; then level 2 (deploy.yml, the root's actions); then the actions of deploy.yml and of
    // the composite actions; then the actions of the composite actions those run.
    const requests = w.gh.graphqlRequests();
    expect(requests).toHaveLength(4);
    const refs = requests.flatMap((request) => Object.values(request.graphql!.variables).filter((value) => typeof value === 'string' && value.startsWith('refs/tags/')));
    expect(refs.filter((ref) => ref === 'refs/tags/v4')).toHaveLength(1);
  });

  it('reads nothing again once cached: actions by commit, refs for minutes', async () => {
    const w = world();
    const cache = new MemoryCacheStore();
    const first = await resolveWorld(w, [`${APP}:${CI}`], { cache });
    w.gh.clearLog();
    const second = await resolveWorld(w, [`${APP}:${CI}`], { cache });
    expect(w.gh.count()).toBe(0);
    expect(edges(second)).toEqual(edges(first));
  });

  it('follows composite actions until a loop, which it reports in the tree’s stats', async () => {
    const gh = new FakeGitHub();
    const { commits } = buildWorld(
      {
        'other/a': { files: { 'action.yml': action('other/b@v1') }, tags: { v1: {} } },
        'other/b': { files: { 'action.yml': action('other/a@v1') }, tags: { v1: {} } },
        [APP]: { files: { [CI]: workflow('on: push\n', { build: steps('other/a@v1') }) } },
      },
      gh,
    );
    const graph = await resolveWorld({ gh, commits }, [`${APP}:${CI}`]);
    const stats = graph.stats.get(graph.roots[0]!)!;
    expect(stats.loops.map((loop) => loop.map((key) => key.split('@')[0]))).toEqual([['other/a/action.yml', 'other/b/action.yml', 'other/a/action.yml']]);
    expect(stats.compositeDepth).toBe(2);
  });

  it('stops following composite actions past the runner’s nesting limit', async () => {
    const gh = new FakeGitHub();
    const chain = Object.fromEntries(
      Array.from({ length: 12 }, (_, index) => [`other/c${index}`, { files: { 'action.yml': index < 11 ? action(`other/c${index + 1}@v1`) : action() }, tags: { v1: {} } }]),
    );
    const { commits } = buildWorld({ ...chain, [APP]: { files: { [CI]: workflow('on: push\n', { build: steps('other/c0@v1') }) } } }, gh);
    const graph = await resolveWorld({ gh, commits }, [`${APP}:${CI}`]);
    const stats = graph.stats.get(graph.roots[0]!)!;
    expect(stats.compositeDepth).toBe(10);
    expect(stats.cuts.map((cut) => [cut.reason, cut.edge.uses.raw])).toEqual([['max-composite-depth', 'other/c10@v1']]);
    expect([...graph.nodes.values()].filter((node) => node.kind === 'action')).toHaveLength(10);
  });

  it('treats the workspace of another checkout as unknown, and follows a checkout into a subdirectory', async () => {
    const gh = new FakeGitHub();
    const { commits } = buildWorld(
      {
        [APP]: {
          files: {
            [CI]: workflow('on: push\n', {
              other: 'runs-on: ubuntu-latest\nsteps:\n  - uses: actions/checkout@v4\n    with:\n      repository: octo-org/tools\n  - uses: ./setup\n',
              pinned: 'runs-on: ubuntu-latest\nsteps:\n  - uses: actions/checkout@v4\n    with:\n      ref: release\n  - uses: ./setup\n',
              nested: 'runs-on: ubuntu-latest\nsteps:\n  - uses: actions/checkout@v4\n    with:\n      path: src\n  - uses: ./src/setup\n',
              own: 'runs-on: ubuntu-latest\nsteps:\n  - uses: actions/checkout@v4\n    with:\n      repository: ${{ github.repository }}\n      ref: ${{ github.sha }}\n  - uses: ./setup\n',
            }),
            'setup/action.yml': action(),
          },
        },
        'actions/checkout': { files: { 'action.yml': action() }, tags: { v4: {} } },
      },
      gh,
    );
    const graph = await resolveWorld({ gh, commits }, [`${APP}:${CI}`]);
    const local = graph.edges.filter((edge) => edge.kind === 'action' && edge.uses.raw.startsWith('./'));
    expect(local.map((edge) => (edge.kind === 'action' ? [edge.jobId, edge.workspaceUnknown ?? graph.nodes.get(edge.to ?? '')?.address.path] : []))).toEqual([
      ['other', "the job's checkout checks out octo-org/tools, not octo-org/app, so what ./setup runs depends on that checkout"],
      ['pinned', "the job's checkout checks out the ref release, not the commit the run is for, so what ./setup runs depends on that checkout"],
      ['nested', 'setup/action.yml'],
      ['own', 'setup/action.yml'],
    ]);
  });
});

describe('an action at the top (a pull request changing its action.yml)', () => {
  it('is read from its directory as the runner reads it, and its composite steps are followed one level below a step', async () => {
    const gh = new FakeGitHub();
    const { commits } = buildWorld(
      {
        'other/tool': { files: { 'action.yml': action() }, tags: { v1: {} } },
        [SHARED]: { files: { 'setup/action.yaml': action('other/tool@v1', '$/inner'), 'inner/action.yml': action() } },
      },
      gh,
    );
    gh.intercept();
    const graph = await resolveCallGraph([{ kind: 'action', repo: repoId(SHARED), path: 'setup/action.yaml', commit: commits[SHARED]! }], { source: githubSource(), limits: GITHUB_COM_LIMITS });
    const root = graph.nodes.get(graph.roots[0]!)!;
    expect([root.kind, root.address.path, root.action?.runs?.using]).toEqual(['action', 'setup/action.yaml', 'composite']);
    expect(edges(graph)).toEqual(['setup/action.yaml -#0 action other/tool@v1 → other/tool:action.yml', 'setup/action.yaml -#1 action $/inner → octo-org/shared:inner/action.yml']);
    expect(graph.stats.get(root.key)).toEqual(expect.objectContaining({ levels: 1, unique: 0, compositeDepth: 1, loops: [], cuts: [] }));
  });
});

describe('callable workflows still resolve as before', () => {
  it('a workflow that runs only commands adds no action', async () => {
    const gh = new FakeGitHub();
    const { commits } = buildWorld({ [APP]: { files: { [CI]: callable() } } }, gh);
    const graph = await resolveWorld({ gh, commits }, [`${APP}:${CI}`]);
    expect(graph.edges).toEqual([]);
  });
});
