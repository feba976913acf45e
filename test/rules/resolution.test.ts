import nock from 'nock';
import { MemoryCacheStore } from '../../src/cache/memory.js';
import { GITHUB_COM_LIMITS } from '../../src/graph/limits.js';
import { resolveCallGraph } from '../../src/graph/resolve.js';
import type { CallGraph, PlatformLimits } from '../../src/graph/types.js';
import { ResolutionRule } from '../../src/rules/resolution.js';
import { GitHubSource } from '../../src/source/github.js';
import { FakeGitHub, type Fault } from '../support/fake-github.js';
import { evaluateGraph, nodeAt, ruleTable, shortCommit, type FindingView } from '../support/findings.js';
import { buildWorld, NoRetryOctokit, repoId, resolveWorld, type RepoSpec, type World } from '../support/graph.js';
import { callable, caller, local, wf } from '../support/workflows.js';

const APP = 'octo-org/app';
const CI = '.github/workflows/ci.yml';

const SHARED: RepoSpec = { files: { [wf('build')]: callable() }, tags: { v1: {} } };
/** A finding about the one call of ci.yml (`call0`). */
const direct = (world: World, uses: string, message: string, mentions: string[]): FindingView => ({
  ruleId: 'resolution',
  severity: 'error',
  message: `${uses}${message}`,
  location: { node: nodeAt(world.commits, APP, CI), jobId: 'call0', key: 'uses' },
  chain: [uses],
  mentions: ['octo-org/app', ...mentions],
});

interface Case {
  name: string;
  repos: Record<string, RepoSpec>;
  /** Changes to the world after it is built (renames). */
  prepare?: (world: World) => void;
  roots?: string[];
  limits?: PlatformLimits;
  expected: (world: World) => FindingView[];
}

const valid: Case[] = [
  {
    name: 'every call read: remote at a tag, ./ and $/',
    repos: { [APP]: { files: { [CI]: caller('octo-org/shared/.github/workflows/build.yml@v1', local('lint'), '$/.github/workflows/lint.yml'), [wf('lint')]: callable() } }, 'octo-org/shared': SHARED },
    expected: () => [],
  },
  {
    name: 'a call not followed because of a platform limit is platform-limits’ business',
    repos: { [APP]: { files: { [CI]: caller(local('a')), [wf('a')]: callable(local('b')), [wf('b')]: callable() } } },
    limits: { maxLevels: 2, maxUnique: 20 },
    expected: () => [],
  },
  {
    name: 'an invalid uses calls nothing: the contract rule reports it',
    repos: { [APP]: { files: { [CI]: caller('octo-org/shared/.github/workflows/sub/x.yml@v1', '${{ inputs.target }}') } } },
    expected: () => [],
  },
];

const invalid: Case[] = [
  {
    name: 'repo-not-found: missing, or private without access for the app',
    repos: { [APP]: { files: { [CI]: caller('octo-org/private/.github/workflows/x.yml@v1') } } },
    expected: (world) => [
      direct(
        world,
        'octo-org/private/.github/workflows/x.yml@v1',
        ': the repository octo-org/private does not exist or the app cannot see it. If it is private or internal, install the app on it (or grant the app access to it); until then the call cannot be checked and the check fails closed.',
        ['octo-org/private'],
      ),
    ],
  },
  {
    name: 'repo-renamed: GitHub Actions follows no redirects; the fix names the new repository, keeping path, ref and comment',
    repos: { [APP]: { files: { [CI]: caller('octo-org/old-name/.github/workflows/build.yml@v1 # v1') } }, 'octo-org/old-name': SHARED },
    prepare: (world) => world.gh.rename('octo-org/old-name', 'octo-org/new-name'),
    expected: (world) => [
      {
        ...direct(
          world,
          'octo-org/old-name/.github/workflows/build.yml@v1',
          ': the repository octo-org/old-name is now octo-org/new-name, and GitHub Actions follows no redirects, so this call fails. Call octo-org/new-name instead.',
          ['octo-org/old-name', 'octo-org/new-name'],
        ),
        fix: { kind: 'replace-uses', node: nodeAt(world.commits, APP, CI), jobId: 'call0', uses: 'octo-org/new-name/.github/workflows/build.yml@v1', comment: 'v1' },
      },
    ],
  },
  {
    name: 'ref-not-found',
    repos: { [APP]: { files: { [CI]: caller('octo-org/shared/.github/workflows/build.yml@v9') } }, 'octo-org/shared': SHARED },
    expected: (world) => [
      direct(world, 'octo-org/shared/.github/workflows/build.yml@v9', ': octo-org/shared has no tag or branch named v9, so GitHub cannot run this call.', ['octo-org/shared']),
    ],
  },
  {
    name: 'commit-not-found',
    repos: { [APP]: { files: { [CI]: caller(`octo-org/shared/.github/workflows/build.yml@${'f'.repeat(40)}`) } }, 'octo-org/shared': SHARED },
    expected: (world) => [
      direct(
        world,
        `octo-org/shared/.github/workflows/build.yml@${'f'.repeat(40)}`,
        `: the commit ${'f'.repeat(40)} does not exist in octo-org/shared, so GitHub cannot run this call.`,
        ['octo-org/shared'],
      ),
    ],
  },
  {
    name: 'file-not-found in another repository',
    repos: { [APP]: { files: { [CI]: caller('octo-org/shared/.github/workflows/deploy.yml@v1') } }, 'octo-org/shared': SHARED },
    expected: (world) => [
      direct(world, 'octo-org/shared/.github/workflows/deploy.yml@v1', ': .github/workflows/deploy.yml does not exist in octo-org/shared at v1, so GitHub cannot run this call.', ['octo-org/shared']),
    ],
  },
  {
    name: 'file-not-found through ./, at the caller’s own commit',
    repos: { [APP]: { files: { [CI]: caller(local('missing')) } } },
    expected: (world) => [
      direct(world, local('missing'), `: .github/workflows/missing.yml does not exist in octo-org/app at ${shortCommit(world.commits, APP)}, so GitHub cannot run this call.`, []),
    ],
  },
  {
    name: 'too-large',
    repos: { [APP]: { files: { [CI]: caller(local('huge')), [wf('huge')]: FakeGitHub.oversize(2_000_000) } } },
    expected: (world) => [
      direct(world, local('huge'), ': .github/workflows/huge.yml in octo-org/app is too large for the app to read, so the calls it makes cannot be checked and the check fails closed.', []),
    ],
  },
  {
    name: 'binary',
    repos: { [APP]: { files: { [CI]: caller(local('blob')), [wf('blob')]: FakeGitHub.binary() } } },
    expected: (world) => [
      direct(world, local('blob'), ': .github/workflows/blob.yml in octo-org/app is a binary file, not a workflow, so GitHub cannot run this call.', []),
    ],
  },
  {
    name: 'an unreadable call two levels down, reported with its chain',
    repos: {
      [APP]: { files: { [CI]: caller('octo-org/shared/.github/workflows/build.yml@v1') } },
      'octo-org/shared': { files: { [wf('build')]: callable('other/gone/.github/workflows/x.yml@main') }, tags: { v1: {} } },
    },
    expected: (world) => [
      {
        ruleId: 'resolution',
        severity: 'error',
        message:
          'other/gone/.github/workflows/x.yml@main (called by job call0 in octo-org/shared/.github/workflows/build.yml@v1): the repository other/gone does not exist or the app cannot see it. ' +
          'If it is private or internal, install the app on it (or grant the app access to it); until then the call cannot be checked and the check fails closed.',
        location: { node: nodeAt(world.commits, 'octo-org/shared', wf('build')), jobId: 'call0', key: 'uses' },
        chain: ['octo-org/shared/.github/workflows/build.yml@v1', 'other/gone/.github/workflows/x.yml@main'],
        mentions: ['octo-org/app', 'octo-org/shared', 'other/gone'],
      },
    ],
  },
  {
    name: 'a top-level file that could not be read',
    repos: { [APP]: { files: { [CI]: caller(local('lint')), [wf('lint')]: callable() } } },
    roots: [`${APP}:${CI}`, `${APP}:${wf('deleted')}`],
    expected: (world) => [
      {
        ruleId: 'resolution',
        severity: 'error',
        message: `The workflow octo-org/app/.github/workflows/deleted.yml@${shortCommit(world.commits, APP)} could not be read: it does not exist at that commit. It was not checked, so the check fails closed.`,
        location: { node: nodeAt(world.commits, APP, wf('deleted')) },
        chain: [],
        mentions: ['octo-org/app'],
      },
    ],
  },
];

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('resolution', () => {
  it.each(ruleTable(valid, invalid))('$kind: $name', async (entry) => {
    const world = buildWorld(entry.repos);
    entry.prepare?.(world);
    const graph = await resolveWorld(world, entry.roots ?? [`${APP}:${CI}`], entry.limits ? { limits: entry.limits } : {});
    // Resolution needs no settings: it is always on, always an error.
    expect(evaluateGraph(ResolutionRule, graph)).toEqual(entry.expected(world));
  });

  describe('GitHub failing to answer fails closed and asks for a re-run', () => {
    const REPOS: Record<string, RepoSpec> = { [APP]: { files: { [CI]: caller('octo-org/shared/.github/workflows/build.yml@v1') } }, 'octo-org/shared': SHARED };
    const USES = 'octo-org/shared/.github/workflows/build.yml@v1';
    const TAIL = ', so it and the calls below it were not checked and the check fails closed. Re-run the check.';

    /** Reads the top-level file into a cache first (its calls cut at one level), so only the callee meets the fault. */
    async function withFault(fault: Fault, timeoutMs?: number): Promise<{ graph: CallGraph; world: World }> {
      const world = buildWorld(REPOS);
      const cache = new MemoryCacheStore();
      await resolveWorld(world, [`${APP}:${CI}`], { cache, limits: { maxLevels: 1, maxUnique: 50 } });
      world.gh.inject('POST /graphql', fault);
      if (timeoutMs === undefined) return { graph: await resolveWorld(world, [`${APP}:${CI}`], { cache }), world };
      world.gh.intercept();
      const source = new GitHubSource({ octokit: new NoRetryOctokit({ auth: { token: 'test' } }), host: 'github.com', timeoutMs });
      const graph = await resolveCallGraph([{ repo: repoId(APP), path: CI, commit: world.commits[APP]! }], { source, limits: GITHUB_COM_LIMITS, cache });
      return { graph, world };
    }

    // Every row has four values: a shorter row would make Jest pass its `done` callback as `timeoutMs`.
    it.each<[string, Fault, string, number | undefined]>([
      ['rate-limited', FakeGitHub.secondaryRateLimit(60), ' could not be read from GitHub (the rate limit was reached)', undefined],
      ['server-error', { status: 502 }, ' could not be read from GitHub (GitHub answered 502)', undefined],
      ['network', { networkError: true }, ' could not be read from GitHub (GitHub could not be reached)', undefined],
      ['timeout', { hang: true }, ' could not be read from GitHub (GitHub did not answer in time)', 50],
    ])('%s', async (kind, fault, reason, timeoutMs) => {
      const { graph, world } = await withFault(fault, timeoutMs);
      expect(graph.edges.map((edge) => edge.error?.kind)).toEqual([kind]);
      expect(evaluateGraph(ResolutionRule, graph)).toEqual([direct(world, USES, `${reason}${TAIL}`, ['octo-org/shared'])]);
    });

    it('a top-level file GitHub did not answer for', async () => {
      const world = buildWorld(REPOS);
      world.gh.inject('POST /graphql', { status: 503 });
      const graph = await resolveWorld(world, [`${APP}:${CI}`]);
      // GitHub did not answer for the repository either: the app knows it from the webhook.
      const repository = { repo: repoId(APP), visibility: 'public' as const, archived: false };
      expect(evaluateGraph(ResolutionRule, graph, { repository })).toEqual([
        {
          ruleId: 'resolution',
          severity: 'error',
          message: `The workflow octo-org/app/.github/workflows/ci.yml@${shortCommit(world.commits, APP)} could not be read: GitHub answered 503; re-run the check. It was not checked, so the check fails closed.`,
          location: { node: nodeAt(world.commits, APP, CI) },
          chain: [],
          mentions: ['octo-org/app'],
        },
      ]);
    });
  });

  it('does not throw on a graph with broken nodes, and reports each call it could not read', async () => {
    const world = buildWorld({
      [APP]: {
        files: {
          [CI]: caller(local('broken'), local('missing'), 'octo-org/shared/.github/workflows/sub/x.yml@v1', '${{ inputs.target }}', local('a')),
          [wf('a')]: callable('gone/repo/.github/workflows/x.yml@v1'),
          [wf('broken')]: 'on: workflow_call\njobs:\n  a: [unclosed\n',
          [wf('bad')]: 'jobs: [\n',
        },
      },
    });
    const graph = await resolveWorld(world, [`${APP}:${CI}`, `${APP}:${wf('bad')}`, `${APP}:${wf('gone')}`]);
    expect(evaluateGraph(ResolutionRule, graph)).toEqual([
      {
        ...direct(world, local('missing'), `: .github/workflows/missing.yml does not exist in octo-org/app at ${shortCommit(world.commits, APP)}, so GitHub cannot run this call.`, []),
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call1', key: 'uses' },
      },
      {
        ruleId: 'resolution',
        severity: 'error',
        message: `gone/repo/.github/workflows/x.yml@v1 (called by job call0 in octo-org/app/.github/workflows/a.yml@${shortCommit(world.commits, APP)}): the repository gone/repo does not exist or the app cannot see it. If it is private or internal, install the app on it (or grant the app access to it); until then the call cannot be checked and the check fails closed.`,
        location: { node: nodeAt(world.commits, APP, wf('a')), jobId: 'call0', key: 'uses' },
        chain: [local('a'), 'gone/repo/.github/workflows/x.yml@v1'],
        mentions: ['octo-org/app', 'gone/repo'],
      },
      {
        ruleId: 'resolution',
        severity: 'error',
        message: `The workflow octo-org/app/.github/workflows/gone.yml@${shortCommit(world.commits, APP)} could not be read: it does not exist at that commit. It was not checked, so the check fails closed.`,
        location: { node: nodeAt(world.commits, APP, wf('gone')) },
        chain: [],
        mentions: ['octo-org/app'],
      },
    ]);
  });
});
