import nock from 'nock';
import { MemoryCacheStore } from '../../src/cache/memory.js';
import { ENTERPRISE_SERVER_LIMITS, GITHUB_COM_LIMITS, platformLimitsForHost } from '../../src/graph/limits.js';
import type { CallGraph, GraphEdge } from '../../src/graph/types.js';
import { FakeGitHub } from '../support/fake-github.js';
import { resolveCallGraph } from '../../src/graph/resolve.js';
import { buildWorld, githubSource, resolveWorld } from '../support/graph.js';
import { callable, caller, local, localChain, wf } from '../support/workflows.js';

const CI = '.github/workflows/ci.yml';

function edgeSummary(graph: CallGraph): string[] {
  return graph.edges.map((edge: GraphEdge) => `${edge.from} -> ${edge.to ?? edge.error?.kind ?? edge.uses.reference.kind}`);
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('resolveCallGraph', () => {
  it('resolves a nested graph level by level, one GraphQL request per level', async () => {
    const world = buildWorld({
      'octo-org/app': { visibility: 'private', files: { [CI]: caller('octo-org/shared/.github/workflows/build.yml@v1', './.github/workflows/lint.yml'), [wf('lint')]: callable() } },
      'octo-org/shared': { files: { [wf('build')]: callable('other/lib/.github/workflows/test.yml@main') }, tags: { v1: {} } },
      'other/lib': { files: { [wf('test')]: callable() } },
    });
    const graph = await resolveWorld(world, [`octo-org/app:${CI}`]);
    const { app, shared } = { app: world.commits['octo-org/app']!, shared: world.commits['octo-org/shared']! };
    const lib = world.commits['other/lib']!;
    expect(edgeSummary(graph)).toEqual([
      `octo-org/app/${CI}@${app} -> octo-org/shared/${wf('build')}@${shared}`,
      `octo-org/app/${CI}@${app} -> octo-org/app/${wf('lint')}@${app}`,
      `octo-org/shared/${wf('build')}@${shared} -> other/lib/${wf('test')}@${lib}`,
    ]);
    // Root, then level 2 (build + lint), then level 3 (test): three GraphQL round trips.
    expect(world.gh.graphqlRequests()).toHaveLength(3);
    expect(world.gh.count()).toBe(3);
    const stats = graph.stats.get(graph.roots[0]!)!;
    expect(stats).toMatchObject({ levels: 3, unique: 3, loops: [], cuts: [] });
    expect(graph.edges[0]!.resolvedRef).toEqual({ name: 'v1', kind: 'tag', commit: shared });
    expect(graph.edges[0]!.range).toEqual({ start: { line: 4, column: 11 }, end: { line: 4, column: 57 } });
    expect(graph.repos.get('octo-org/app')).toEqual({ repo: { owner: 'octo-org', name: 'app' }, visibility: 'private', archived: false, defaultBranch: 'main' });
  });

  it('resolves ./ and $/ inside a called workflow against that workflow’s repository and commit', async () => {
    const world = buildWorld({
      'octo-org/app': { files: { [CI]: caller('octo-org/shared/.github/workflows/build.yml@v1'), [wf('helper')]: callable() } },
      'octo-org/shared': { files: { [wf('build')]: callable('./.github/workflows/helper.yml', '$/.github/workflows/helper.yml'), [wf('helper')]: callable() }, tags: { v1: {} } },
    });
    const graph = await resolveWorld(world, [`octo-org/app:${CI}`]);
    const shared = world.commits['octo-org/shared']!;
    const helperEdges = graph.edges.filter((edge) => edge.from.startsWith('octo-org/shared/'));
    expect(helperEdges.map((edge) => edge.to)).toEqual([`octo-org/shared/${wf('helper')}@${shared}`, `octo-org/shared/${wf('helper')}@${shared}`]);
    expect(graph.stats.get(graph.roots[0]!)).toMatchObject({ levels: 3, unique: 2 });
  });

  it('peels annotated tags to the commit that runs and records the tag object', async () => {
    const world = buildWorld({
      'octo-org/app': { files: { [CI]: caller('octo-org/shared/.github/workflows/build.yml@v2.1.0') } },
      'octo-org/shared': { files: { [wf('build')]: callable() }, tags: { 'v2.1.0': { annotated: true } } },
    });
    const tagObject = world.gh.repo('octo-org/shared').tags.get('v2.1.0')!;
    const graph = await resolveWorld(world, [`octo-org/app:${CI}`]);
    const shared = world.commits['octo-org/shared']!;
    expect(tagObject).not.toBe(shared);
    expect(graph.edges[0]!.resolvedRef).toEqual({ name: 'v2.1.0', kind: 'tag', commit: shared, tagObject });
    expect(graph.edges[0]!.to).toBe(`octo-org/shared/${wf('build')}@${shared}`);
  });

  it('detects loops and still terminates', async () => {
    const world = buildWorld({
      'octo-org/app': { files: { [CI]: caller('./.github/workflows/a.yml'), [wf('a')]: callable('./.github/workflows/b.yml'), [wf('b')]: callable('./.github/workflows/a.yml') } },
    });
    const graph = await resolveWorld(world, [`octo-org/app:${CI}`]);
    const sha = world.commits['octo-org/app']!;
    const key = (name: string) => `octo-org/app/${wf(name)}@${sha}`;
    expect(graph.stats.get(graph.roots[0]!)).toMatchObject({ levels: 3, unique: 2, loops: [[key('a'), key('b'), key('a')]] });
    expect(world.gh.graphqlRequests()).toHaveLength(3);
  });

  it('counts unique workflows per top-level file, including the whole nested tree, and cuts past the limit', async () => {
    const leaves = Array.from({ length: 6 }, (_, index) => `leaf${index}`);
    const world = buildWorld({
      'octo-org/app': {
        files: {
          [CI]: caller('./.github/workflows/mid.yml'),
          [wf('other')]: caller('./.github/workflows/leaf0.yml'),
          [wf('mid')]: callable(...leaves.map(local)),
          ...Object.fromEntries(leaves.map((leaf) => [wf(leaf), callable()])),
        },
      },
    });
    const graph = await resolveWorld(world, [`octo-org/app:${CI}`, `octo-org/app:${wf('other')}`], { limits: { maxLevels: 4, maxUnique: 4 } });
    const [ci, other] = graph.roots;
    const ciStats = graph.stats.get(ci!)!;
    // mid + 3 leaves fit; leaves 3..5 are cut and still counted, so the count says how far past the limit.
    expect(ciStats.unique).toBe(7);
    expect(ciStats.nodes).toHaveLength(5);
    expect(ciStats.cuts.map((cut) => [cut.reason, cut.edge.jobId])).toEqual([
      ['max-unique', 'call3'],
      ['max-unique', 'call4'],
      ['max-unique', 'call5'],
    ]);
    expect(graph.stats.get(other!)).toMatchObject({ unique: 1, levels: 2, cuts: [] });
  });

  it('stops at the host’s level limit and reports the chain that passes it', async () => {
    const world = buildWorld({ 'octo-org/app': { files: { [CI]: caller(local('l2')), ...localChain(['l2', 'l3', 'l4', 'l5', 'l6']) } } });
    const graph = await resolveWorld(world, [`octo-org/app:${CI}`], { limits: ENTERPRISE_SERVER_LIMITS });
    const stats = graph.stats.get(graph.roots[0]!)!;
    expect(stats.levels).toBe(5);
    expect(stats.cuts.map((cut) => [cut.reason, cut.edge.from.split('@')[0]])).toEqual([['max-levels', `octo-org/app/${wf('l4')}`]]);
    // Root, l2, l3, l4: l5 is never fetched.
    expect(world.gh.graphqlRequests()).toHaveLength(4);
  });

  it('measures the longest chain, not the shortest, when a workflow is reached two ways', async () => {
    const world = buildWorld({
      'octo-org/app': {
        files: {
          [CI]: caller('./.github/workflows/a.yml', './.github/workflows/c.yml'),
          [wf('a')]: callable('./.github/workflows/b.yml'),
          [wf('b')]: callable('./.github/workflows/c.yml'),
          [wf('c')]: callable(),
        },
      },
    });
    const graph = await resolveWorld(world, [`octo-org/app:${CI}`]);
    expect(graph.stats.get(graph.roots[0]!)).toMatchObject({ levels: 4, unique: 3 });
  });

  it('turns missing repositories, refs and files into typed errors on their edges', async () => {
    const world = buildWorld({
      'octo-org/app': {
        files: {
          [CI]: caller(
            'octo-org/gone/.github/workflows/x.yml@v1',
            'octo-org/shared/.github/workflows/build.yml@nope',
            'octo-org/shared/.github/workflows/missing.yml@v1',
            'octo-org/shared/.github/workflows/sub/x.yml@v1',
            `octo-org/shared/.github/workflows/missing.yml@${'0'.repeat(40)}`,
          ),
        },
      },
      'octo-org/shared': { files: { [wf('build')]: callable() }, tags: { v1: {} } },
    });
    const graph = await resolveWorld(world, [`octo-org/app:${CI}`]);
    expect(graph.edges.map((edge) => edge.error?.kind ?? edge.uses.reference.kind)).toEqual([
      'repo-not-found',
      'ref-not-found',
      'file-not-found',
      'invalid',
      'commit-not-found',
    ]);
    expect(graph.edges[2]!.to).toBe(`octo-org/shared/${wf('missing')}@${world.commits['octo-org/shared']!}`);
  });

  it('reports a renamed repository: GitHub Actions follows no redirects', async () => {
    const world = buildWorld({
      'octo-org/app': { files: { [CI]: caller('octo-org/old-name/.github/workflows/build.yml@v1') } },
      'octo-org/old-name': { files: { [wf('build')]: callable() }, tags: { v1: {} } },
    });
    world.gh.rename('octo-org/old-name', 'octo-org/new-name');
    const graph = await resolveWorld(world, [`octo-org/app:${CI}`]);
    expect(graph.edges[0]!.error).toMatchObject({ kind: 'repo-renamed', renamedTo: { owner: 'octo-org', name: 'new-name' } });
  });

  it('reads the Actions access level of private and internal callees in other repositories only', async () => {
    const world = buildWorld({
      'octo-org/app': { visibility: 'private', files: { [CI]: caller('octo-org/private-wf/.github/workflows/x.yml@v1', 'octo-org/public-wf/.github/workflows/x.yml@v1', './.github/workflows/local.yml'), [wf('local')]: callable() } },
      'octo-org/private-wf': { visibility: 'private', accessLevel: 'organization', files: { [wf('x')]: callable() }, tags: { v1: {} } },
      'octo-org/public-wf': { files: { [wf('x')]: callable() }, tags: { v1: {} } },
    });
    const graph = await resolveWorld(world, [`octo-org/app:${CI}`]);
    expect([...graph.access]).toEqual([['octo-org/private-wf', 'organization']]);
    expect(world.gh.count('GET /repos/{owner}/{repo}/actions/permissions/access')).toBe(1);
  });

  it('needs no content request when a SHA-pinned graph is resolved again with a warm cache', async () => {
    const gh = new FakeGitHub();
    const shared = gh.addRepo('octo-org/shared') && gh.commit('octo-org/shared', { [wf('build')]: callable() }, { branch: 'main' });
    const world = buildWorld({ 'octo-org/app': { files: { [CI]: caller(`octo-org/shared/.github/workflows/build.yml@${shared}`) } } }, gh);
    world.commits['octo-org/shared'] = shared;
    const cache = new MemoryCacheStore();
    const cold = await resolveWorld(world, [`octo-org/app:${CI}`], { cache });
    const coldRequests = gh.count();
    gh.clearLog();
    const warm = await resolveWorld(world, [`octo-org/app:${CI}`], { cache });
    expect(coldRequests).toBe(2);
    expect(gh.count()).toBe(0);
    expect(edgeSummary(warm)).toEqual(edgeSummary(cold));
  });

  it('reuses cached named refs until they expire', async () => {
    let now = 1_000_000;
    const world = buildWorld({
      'octo-org/app': { files: { [CI]: caller('octo-org/shared/.github/workflows/build.yml@v1') } },
      'octo-org/shared': { files: { [wf('build')]: callable() }, tags: { v1: {} } },
    });
    const cache = new MemoryCacheStore({ now: () => now });
    await resolveWorld(world, [`octo-org/app:${CI}`], { cache });
    world.gh.clearLog();
    await resolveWorld(world, [`octo-org/app:${CI}`], { cache });
    expect(world.gh.count()).toBe(0);
    now += 6 * 60 * 1000;
    await resolveWorld(world, [`octo-org/app:${CI}`], { cache });
    // The ref and the repository metadata expired; the file at its commit did not.
    expect(world.gh.graphqlRequests()).toHaveLength(2);
  });

  it('reads nothing for top-level files given with their text whose repository the caller knows', async () => {
    const world = buildWorld({ 'octo-org/app': { files: { [CI]: caller(local('lint')), [wf('lint')]: callable() } } });
    world.gh.intercept();
    const app = world.commits['octo-org/app']!;
    const known = { repo: { owner: 'octo-org', name: 'app' }, visibility: 'private' as const, archived: false };
    const cache = new MemoryCacheStore();
    await cache.putMany('workflow', [{ key: { host: 'github.com', partition: `octo-org/app@${app}`, sort: wf('lint') }, value: { text: callable() } }]);
    const graph = await resolveCallGraph([{ repo: known.repo, path: CI, commit: app, text: caller(local('lint')) }], {
      source: githubSource(),
      limits: GITHUB_COM_LIMITS,
      cache,
      knownRepos: [known],
    });
    expect(world.gh.count()).toBe(0);
    expect(graph.repos.get('octo-org/app')).toEqual(known);
    expect(graph.stats.get(graph.roots[0]!)).toMatchObject({ levels: 2, unique: 1 });
  });

  it('never serves one cache scope (installation) what another one read', async () => {
    const world = buildWorld({
      'octo-org/app': { files: { [CI]: caller('octo-org/private-wf/.github/workflows/x.yml@v1') } },
      'octo-org/private-wf': { visibility: 'private', files: { [wf('x')]: callable() }, tags: { v1: {} } },
    });
    world.gh.intercept();
    const cache = new MemoryCacheStore();
    const root = { repo: { owner: 'octo-org', name: 'app' }, path: CI, commit: world.commits['octo-org/app']! };
    const resolveAs = (cacheScope: string) => resolveCallGraph([root], { source: githubSource(), limits: GITHUB_COM_LIMITS, cache, cacheScope });
    await resolveAs('github.com#1');
    world.gh.clearLog();
    await resolveAs('github.com#1');
    expect(world.gh.count()).toBe(0);
    await resolveAs('github.com#2');
    expect(world.gh.graphqlRequests()).toHaveLength(2);
  });

  it('uses the host’s platform limits', () => {
    expect(platformLimitsForHost('github.com')).toEqual(GITHUB_COM_LIMITS);
    expect(platformLimitsForHost('octo.ghe.com')).toEqual(GITHUB_COM_LIMITS);
    expect(platformLimitsForHost('github.example.com')).toEqual(ENTERPRISE_SERVER_LIMITS);
    expect(platformLimitsForHost('github.example.com', { maxLevels: 6 })).toEqual({ maxLevels: 6, maxUnique: 20 });
  });
});
