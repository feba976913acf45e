import nock from 'nock';
import type { PlatformLimits } from '../../src/graph/types.js';
import { MaxDepthRule } from '../../src/rules/max-depth.js';
import { evaluateRule, nodeAt, ruleTable, type FindingView } from '../support/findings.js';
import type { RepoSpec, World } from '../support/graph.js';
import { callable, caller, local, localChain, wf } from '../support/workflows.js';

const APP = 'octo-org/app';
const CI = '.github/workflows/ci.yml';

const levels = (limit: number): string => `version: 1\nrules:\n  max-depth:\n    levels: ${limit}\n`;
const WHY = "(rules.max-depth.levels): each level is more code to review that runs with the caller's secrets and token.";

interface Case {
  name: string;
  repos: Record<string, RepoSpec>;
  policy: string;
  roots?: string[];
  limits?: PlatformLimits;
  expected: (world: World) => FindingView[];
}

const valid: Case[] = [
  {
    name: 'silent without levels, however deep the chain',
    repos: { [APP]: { files: { [CI]: caller(local('a')), ...localChain(['a', 'b', 'c', 'd', 'e']) } } },
    policy: 'version: 1\nrules:\n  max-depth:\n    severity: error\n',
    expected: () => [],
  },
  {
    name: 'a chain exactly at the limit (the top-level file counts as a level)',
    repos: { [APP]: { files: { [CI]: caller(local('a')), ...localChain(['a', 'b']) } } },
    policy: levels(3),
    expected: () => [],
  },
];

const invalid: Case[] = [
  {
    name: 'one level too many, at the first call of the chain',
    repos: { [APP]: { files: { [CI]: caller(local('a')), ...localChain(['a', 'b', 'c']) } } },
    policy: levels(3),
    expected: (world) => [
      {
        ruleId: 'max-depth',
        severity: 'error',
        message: `./.github/workflows/a.yml leads to a chain of 4 connected workflow levels (counting this file), above the policy's limit of 3 ${WHY}`,
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call0', key: 'uses' },
        chain: [local('a'), local('b'), local('c')],
        mentions: ['octo-org/app'],
      },
    ],
  },
  {
    name: 'the longest chain, not the shortest way to its end',
    repos: { [APP]: { files: { [CI]: caller(local('c'), local('a')), ...localChain(['a', 'b', 'c']) } } },
    policy: levels(2),
    expected: (world) => [
      {
        ruleId: 'max-depth',
        severity: 'error',
        message: `./.github/workflows/a.yml leads to a chain of 4 connected workflow levels (counting this file), above the policy's limit of 2 ${WHY}`,
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call1', key: 'uses' },
        chain: [local('a'), local('b'), local('c')],
        mentions: ['octo-org/app'],
      },
    ],
  },
  {
    name: 'a chain across repositories, too deep two levels down',
    repos: {
      [APP]: { files: { [CI]: caller('octo-org/shared/.github/workflows/build.yml@v1') } },
      'octo-org/shared': { files: { [wf('build')]: callable('other/lib/.github/workflows/test.yml@v1') }, tags: { v1: {} } },
      'other/lib': { files: { [wf('test')]: callable() }, tags: { v1: {} } },
    },
    policy: levels(2),
    expected: (world) => [
      {
        ruleId: 'max-depth',
        severity: 'error',
        message: `octo-org/shared/.github/workflows/build.yml@v1 leads to a chain of 3 connected workflow levels (counting this file), above the policy's limit of 2 ${WHY}`,
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call0', key: 'uses' },
        chain: ['octo-org/shared/.github/workflows/build.yml@v1', 'other/lib/.github/workflows/test.yml@v1'],
        mentions: ['octo-org/app', 'octo-org/shared', 'other/lib'],
      },
    ],
  },
  {
    name: 'one finding per top-level file: only the one too deep',
    repos: { [APP]: { files: { [CI]: caller(local('a')), [wf('release')]: caller(local('b')), ...localChain(['a', 'b', 'c']) } } },
    policy: levels(3),
    roots: [`${APP}:${CI}`, `${APP}:${wf('release')}`],
    expected: (world) => [
      {
        ruleId: 'max-depth',
        severity: 'error',
        message: `./.github/workflows/a.yml leads to a chain of 4 connected workflow levels (counting this file), above the policy's limit of 3 ${WHY}`,
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call0', key: 'uses' },
        chain: [local('a'), local('b'), local('c')],
        mentions: ['octo-org/app'],
      },
    ],
  },
  {
    name: 'a loop is not followed round: the longest chain stops before it closes',
    repos: { [APP]: { files: { [CI]: caller(local('a')), [wf('a')]: callable(local('b')), [wf('b')]: callable(local('a')) } } },
    policy: levels(2),
    expected: (world) => [
      {
        ruleId: 'max-depth',
        severity: 'error',
        message: `./.github/workflows/a.yml leads to a chain of 3 connected workflow levels (counting this file), above the policy's limit of 2 ${WHY}`,
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call0', key: 'uses' },
        chain: [local('a'), local('b')],
        mentions: ['octo-org/app'],
      },
    ],
  },
  {
    name: 'a chain cut at the host’s level limit is at least that deep',
    repos: { [APP]: { files: { [CI]: caller(local('a')), ...localChain(['a', 'b', 'c', 'd', 'e']) } } },
    policy: levels(2),
    limits: { maxLevels: 4, maxUnique: 20 },
    expected: (world) => [
      {
        ruleId: 'max-depth',
        severity: 'error',
        message: `./.github/workflows/a.yml leads to a chain of at least 5 connected workflow levels (counting this file), above the policy's limit of 2 ${WHY}`,
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call0', key: 'uses' },
        chain: [local('a'), local('b'), local('c'), local('d')],
        mentions: ['octo-org/app'],
      },
    ],
  },
];

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('max-depth', () => {
  it.each(ruleTable(valid, invalid))('$kind: $name', async (entry) => {
    const { findings, world } = await evaluateRule(MaxDepthRule, entry);
    expect(findings).toEqual(entry.expected(world));
  });

  it('does not throw on a graph with broken nodes; a workflow that could not be read still counts as a level', async () => {
    const repos: Record<string, RepoSpec> = {
      [APP]: {
        files: {
          [CI]: caller(local('broken'), 'octo-org/shared/.github/workflows/sub/x.yml@v1', '${{ inputs.target }}', local('a')),
          [wf('a')]: callable(local('missing'), 'gone/repo/.github/workflows/x.yml@v1'),
          [wf('broken')]: 'on: workflow_call\njobs:\n  a: [unclosed\n',
          [wf('bad')]: 'jobs: [\n',
        },
      },
    };
    const { findings, world } = await evaluateRule(MaxDepthRule, { repos, policy: levels(2), roots: [`${APP}:${CI}`, `${APP}:${wf('bad')}`, `${APP}:${wf('gone')}`] });
    expect(findings).toEqual([
      {
        ruleId: 'max-depth',
        severity: 'error',
        message: `./.github/workflows/a.yml leads to a chain of 3 connected workflow levels (counting this file), above the policy's limit of 2 ${WHY}`,
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call3', key: 'uses' },
        chain: [local('a'), local('missing')],
        mentions: ['octo-org/app'],
      },
    ]);
  });
});
