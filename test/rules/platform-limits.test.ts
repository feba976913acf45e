import nock from 'nock';
import type { PlatformLimits } from '../../src/graph/types.js';
import { PlatformLimitsRule } from '../../src/rules/platform-limits.js';
import { evaluateRule, nodeAt, ruleTable, shortCommit, type FindingView } from '../support/findings.js';
import type { RepoSpec, World } from '../support/graph.js';
import { callable, caller, local, localChain, wf } from '../support/workflows.js';

const APP = 'octo-org/app';
const SHARED = 'octo-org/shared';
const CI = '.github/workflows/ci.yml';

const POLICY = 'version: 1\n';
const FAILS = 'GitHub would fail the run.';
const LOOP = 'GitHub does not allow a reusable workflow to call itself, directly or through others, and fails the run.';
const TEN = Array.from({ length: 10 }, (_, index) => `l${index + 2}`);

interface Case {
  name: string;
  repos: Record<string, RepoSpec>;
  policy?: string;
  roots?: string[];
  limits?: PlatformLimits;
  expected: (world: World) => FindingView[];
}

const valid: Case[] = [
  {
    name: 'ten levels and a shared workflow called twice are within github.com’s limits',
    repos: { [APP]: { files: { [CI]: caller(local('l2'), local('l11')), ...localChain(TEN.slice(0, 9)), [wf('l11')]: callable(local('l3')) } } },
    expected: () => [],
  },
  {
    name: 'exactly at a limit set by the policy',
    repos: { [APP]: { files: { [CI]: caller(local('a'), local('b'), local('c')), ...localChain(['a']), ...localChain(['b']), ...localChain(['c']) } } },
    policy: 'version: 1\nplatform:\n  max-unique: 3\n',
    expected: () => [],
  },
];

const invalid: Case[] = [
  {
    name: 'eleven levels: above github.com’s limit, the graph below the cut not read',
    repos: { [APP]: { files: { [CI]: caller(local('l2')), ...localChain([...TEN, 'l12']) } } },
    expected: (world) => [
      {
        ruleId: 'platform-limits',
        severity: 'error',
        message: `./.github/workflows/l2.yml leads to a chain of at least 11 workflow levels (counting this file), above GitHub's limit of 10 on github.com: ${FAILS} The workflows below level 10 were not read, so they were not checked.`,
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call0', key: 'uses' },
        chain: TEN.map(local),
        mentions: ['octo-org/app'],
      },
    ],
  },
  {
    name: 'a chain two levels down across repositories, above the policy’s level limit',
    repos: {
      [APP]: { files: { [CI]: caller(`${SHARED}/.github/workflows/build.yml@v1`) } },
      [SHARED]: { files: { [wf('build')]: callable('other/lib/.github/workflows/test.yml@v1') }, tags: { v1: {} } },
      'other/lib': { files: { [wf('test')]: callable() }, tags: { v1: {} } },
    },
    policy: 'version: 1\nplatform:\n  max-levels: 2\n',
    limits: { maxLevels: 2, maxUnique: 50 },
    expected: (world) => [
      {
        ruleId: 'platform-limits',
        severity: 'error',
        message: `octo-org/shared/.github/workflows/build.yml@v1 leads to a chain of at least 3 workflow levels (counting this file), above the limit of 2 set by platform.max-levels: ${FAILS} The workflows below level 2 were not read, so they were not checked.`,
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call0', key: 'uses' },
        chain: ['octo-org/shared/.github/workflows/build.yml@v1', 'other/lib/.github/workflows/test.yml@v1'],
        mentions: ['octo-org/app', 'octo-org/shared', 'other/lib'],
      },
    ],
  },
  {
    name: 'more unique workflows than allowed, counting the whole tree',
    repos: { [APP]: { files: { [CI]: caller(local('a'), local('b')), ...localChain(['a', 'c']), ...localChain(['b', 'c']) } } },
    policy: 'version: 1\nplatform:\n  max-unique: 2\n',
    limits: { maxLevels: 10, maxUnique: 2 },
    expected: (world) => [
      {
        ruleId: 'platform-limits',
        severity: 'error',
        message: `octo-org/app/.github/workflows/ci.yml@${shortCommit(world.commits, APP)} calls at least 3 unique reusable workflows across its whole call graph, above the limit of 2 set by platform.max-unique: ${FAILS} The workflows past the limit were not read, so they were not checked.`,
        location: { node: nodeAt(world.commits, APP, CI) },
        chain: [],
        mentions: ['octo-org/app'],
      },
    ],
  },
  {
    name: 'unique workflows past the limit the graph was read with are not read',
    repos: { [APP]: { files: { [CI]: caller(local('a'), local('b'), local('c'), local('d')), ...localChain(['a']), ...localChain(['b']), ...localChain(['c']), ...localChain(['d']) } } },
    policy: 'version: 1\nplatform:\n  max-unique: 2\n',
    limits: { maxLevels: 10, maxUnique: 2 },
    expected: (world) => [
      {
        ruleId: 'platform-limits',
        severity: 'error',
        message: `octo-org/app/.github/workflows/ci.yml@${shortCommit(world.commits, APP)} calls at least 4 unique reusable workflows across its whole call graph, above the limit of 2 set by platform.max-unique: ${FAILS} The workflows past the limit were not read, so they were not checked.`,
        location: { node: nodeAt(world.commits, APP, CI) },
        chain: [],
        mentions: ['octo-org/app'],
      },
    ],
  },
  {
    name: 'a loop, at the call leading into it',
    repos: { [APP]: { files: { [CI]: caller(local('a')), [wf('a')]: callable(local('b')), [wf('b')]: callable(local('a')) } } },
    expected: (world) => [
      {
        ruleId: 'platform-limits',
        severity: 'error',
        message: `./.github/workflows/a.yml leads into a loop: octo-org/app/.github/workflows/a.yml@${shortCommit(world.commits, APP)} → octo-org/app/.github/workflows/b.yml@${shortCommit(world.commits, APP)} → octo-org/app/.github/workflows/a.yml@${shortCommit(world.commits, APP)}. ${LOOP}`,
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call0', key: 'uses' },
        chain: [local('a'), local('b'), local('a')],
        mentions: ['octo-org/app'],
      },
    ],
  },
  {
    name: 'a loop two levels down in another repository, with the chain into it and round it',
    repos: {
      [APP]: { files: { [CI]: caller(local('lint'), `${SHARED}/.github/workflows/x.yml@v1`), ...localChain(['lint']) } },
      [SHARED]: { files: { [wf('x')]: callable(`${SHARED}/.github/workflows/y.yml@main`), [wf('y')]: callable(`${SHARED}/.github/workflows/x.yml@v1`) }, tags: { v1: {} } },
    },
    expected: (world) => [
      {
        ruleId: 'platform-limits',
        severity: 'error',
        message: `octo-org/shared/.github/workflows/x.yml@v1 leads into a loop: octo-org/shared/.github/workflows/x.yml@v1 → octo-org/shared/.github/workflows/y.yml@main → octo-org/shared/.github/workflows/x.yml@v1. ${LOOP}`,
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call1', key: 'uses' },
        chain: ['octo-org/shared/.github/workflows/x.yml@v1', 'octo-org/shared/.github/workflows/y.yml@main', 'octo-org/shared/.github/workflows/x.yml@v1'],
        mentions: ['octo-org/app', 'octo-org/shared'],
      },
    ],
  },
  {
    name: 'a workflow calling itself',
    repos: { [APP]: { files: { [CI]: caller(local('a')), [wf('a')]: callable('$/.github/workflows/a.yml') } } },
    expected: (world) => [
      {
        ruleId: 'platform-limits',
        severity: 'error',
        message: `./.github/workflows/a.yml leads into a loop: octo-org/app/.github/workflows/a.yml@${shortCommit(world.commits, APP)} → octo-org/app/.github/workflows/a.yml@${shortCommit(world.commits, APP)}. ${LOOP}`,
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call0', key: 'uses' },
        chain: [local('a'), '$/.github/workflows/a.yml'],
        mentions: ['octo-org/app'],
      },
    ],
  },
];

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('platform-limits', () => {
  it.each(ruleTable(valid, invalid))('$kind: $name', async (entry) => {
    const { findings, world } = await evaluateRule(PlatformLimitsRule, { ...entry, policy: entry.policy ?? POLICY });
    expect(findings).toEqual(entry.expected(world));
  });

  it('does not throw on a graph with broken nodes, and still finds the loop in it', async () => {
    const repos: Record<string, RepoSpec> = {
      [APP]: {
        files: {
          [CI]: caller(local('broken'), local('missing'), 'octo-org/shared/.github/workflows/sub/x.yml@v1', '${{ inputs.target }}', local('a')),
          [wf('a')]: callable(local('a'), 'gone/repo/.github/workflows/x.yml@v1'),
          [wf('broken')]: 'on: workflow_call\njobs:\n  a: [unclosed\n',
          [wf('bad')]: 'jobs: [\n',
        },
      },
    };
    const { findings, world } = await evaluateRule(PlatformLimitsRule, { repos, policy: POLICY, roots: [`${APP}:${CI}`, `${APP}:${wf('bad')}`, `${APP}:${wf('gone')}`] });
    expect(findings).toEqual([
      {
        ruleId: 'platform-limits',
        severity: 'error',
        message: `./.github/workflows/a.yml leads into a loop: octo-org/app/.github/workflows/a.yml@${shortCommit(world.commits, APP)} → octo-org/app/.github/workflows/a.yml@${shortCommit(world.commits, APP)}. ${LOOP}`,
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call4', key: 'uses' },
        chain: [local('a'), local('a')],
        mentions: ['octo-org/app'],
      },
    ]);
  });
});
