import nock from 'nock';
import { SecretsInheritRule } from '../../src/rules/secrets-inherit.js';
import { evaluateRule, nodeAt, ruleTable, type FindingView } from '../support/findings.js';
import type { RepoSpec, World } from '../support/graph.js';
import { RUN, wf, workflow } from '../support/workflows.js';

const APP = 'octo-org/app';
const CI = '.github/workflows/ci.yml';

/** Jobs calling each of `calls` with `secrets: inherit`. */
const inheriting = (calls: string[]): Record<string, string> => Object.fromEntries(calls.map((uses, index) => [`call${index}`, `uses: ${uses}\nsecrets: inherit\n`]));
const caller = (...calls: string[]): string => workflow('on: pull_request\n', inheriting(calls));
/** A reusable workflow declaring `secrets` (required ones marked `!`) and calling `calls` with inherit. */
const callable = (secrets: string[], ...calls: string[]): string => {
  const declared = secrets.map((name) => `      ${name.replace('!', '')}:\n        required: ${name.endsWith('!')}\n`).join('');
  const on = declared === '' ? 'on: workflow_call\n' : `on:\n  workflow_call:\n    secrets:\n${declared}`;
  return workflow(on, calls.length > 0 ? inheriting(calls) : { build: RUN });
};

const POLICY = 'version: 1\nrules:\n  secrets-inherit:\n    allow: ["partner/*"]\n    allow-same-owner: true\n';
const STRICT = 'version: 1\nrules:\n  secrets-inherit:\n    allow: []\n    allow-same-owner: false\n';

const LIB: RepoSpec = { files: { [wf('test')]: callable(['NPM_TOKEN!', 'SLACK_WEBHOOK']) }, tags: { v1: {} } };
const SHARED: RepoSpec = { files: { [wf('build')]: callable(['DEPLOY_KEY!']) }, tags: { v1: {} } };
const EXPOSED = 'is called with secrets: inherit, which the policy does not allow for it: GitHub would pass it every secret the caller can use';

interface Case {
  name: string;
  repos: Record<string, RepoSpec>;
  policy?: string;
  expected: (world: World) => FindingView[];
}

const valid: Case[] = [
  {
    name: 'a callee of the caller’s owner, with allow-same-owner',
    repos: { [APP]: { files: { [CI]: caller('Octo-Org/shared/.github/workflows/build.yml@v1') } }, 'octo-org/shared': SHARED },
    expected: () => [],
  },
  {
    name: 'a callee matching an allow pattern',
    repos: { [APP]: { files: { [CI]: caller('partner/deploy/.github/workflows/test.yml@v1') } }, 'partner/deploy': LIB },
    expected: () => [],
  },
  {
    name: 'the same repository, by ./, $/ or its own name, even when nothing else may inherit',
    repos: {
      [APP]: {
        files: { [CI]: caller('./.github/workflows/lint.yml', '$/.github/workflows/lint.yml', 'Octo-Org/App/.github/workflows/lint.yml@main'), [wf('lint')]: callable(['TOKEN']) },
      },
    },
    policy: STRICT,
    expected: () => [],
  },
  {
    name: 'an explicit secrets map is not this rule’s business',
    repos: { [APP]: { files: { [CI]: 'on: push\njobs:\n  call:\n    uses: other/lib/.github/workflows/test.yml@v1\n    secrets:\n      NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n' } }, 'other/lib': LIB },
    policy: STRICT,
    expected: () => [],
  },
];

const invalid: Case[] = [
  {
    name: 'another owner’s workflow: the fix passes the secrets it declares, in declared order',
    repos: { [APP]: { files: { [CI]: caller('other/lib/.github/workflows/test.yml@v1') } }, 'other/lib': LIB },
    expected: (world) => [
      {
        ruleId: 'secrets-inherit',
        severity: 'error',
        message: `other/lib/.github/workflows/test.yml@v1 ${EXPOSED}, not only the 2 it declares (NPM_TOKEN, SLACK_WEBHOOK).`,
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call0', key: 'secrets' },
        chain: ['other/lib/.github/workflows/test.yml@v1'],
        fix: { kind: 'explicit-secrets', node: nodeAt(world.commits, APP, CI), jobId: 'call0', secrets: ['NPM_TOKEN', 'SLACK_WEBHOOK'] },
        mentions: ['octo-org/app', 'other/lib'],
      },
    ],
  },
  {
    name: 'a callee declaring no secrets gets an empty map',
    repos: { [APP]: { files: { [CI]: caller('other/bare/.github/workflows/x.yml@v1') } }, 'other/bare': { files: { [wf('x')]: callable([]) }, tags: { v1: {} } } },
    expected: (world) => [
      {
        ruleId: 'secrets-inherit',
        severity: 'error',
        message: `other/bare/.github/workflows/x.yml@v1 ${EXPOSED}, although it declares none.`,
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call0', key: 'secrets' },
        chain: ['other/bare/.github/workflows/x.yml@v1'],
        fix: { kind: 'explicit-secrets', node: nodeAt(world.commits, APP, CI), jobId: 'call0', secrets: [] },
        mentions: ['octo-org/app', 'other/bare'],
      },
    ],
  },
  {
    name: 'the caller’s own owner without allow-same-owner',
    repos: { [APP]: { files: { [CI]: caller('octo-org/shared/.github/workflows/build.yml@v1') } }, 'octo-org/shared': SHARED },
    policy: STRICT,
    expected: (world) => [
      {
        ruleId: 'secrets-inherit',
        severity: 'error',
        message: `octo-org/shared/.github/workflows/build.yml@v1 ${EXPOSED}, not only the one it declares (DEPLOY_KEY).`,
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call0', key: 'secrets' },
        chain: ['octo-org/shared/.github/workflows/build.yml@v1'],
        fix: { kind: 'explicit-secrets', node: nodeAt(world.commits, APP, CI), jobId: 'call0', secrets: ['DEPLOY_KEY'] },
        mentions: ['octo-org/app', 'octo-org/shared'],
      },
    ],
  },
  {
    name: 'an inheriting call two levels down, reported with its chain',
    repos: {
      [APP]: { files: { [CI]: caller('octo-org/shared/.github/workflows/build.yml@v1') } },
      'octo-org/shared': { files: { [wf('build')]: callable(['DEPLOY_KEY'], 'other/lib/.github/workflows/test.yml@v1') }, tags: { v1: {} } },
      'other/lib': LIB,
    },
    expected: (world) => [
      {
        ruleId: 'secrets-inherit',
        severity: 'error',
        message: `other/lib/.github/workflows/test.yml@v1 (called by job call0 in octo-org/shared/.github/workflows/build.yml@v1) ${EXPOSED}, not only the 2 it declares (NPM_TOKEN, SLACK_WEBHOOK).`,
        location: { node: nodeAt(world.commits, 'octo-org/shared', wf('build')), jobId: 'call0', key: 'secrets' },
        chain: ['octo-org/shared/.github/workflows/build.yml@v1', 'other/lib/.github/workflows/test.yml@v1'],
        fix: { kind: 'explicit-secrets', node: nodeAt(world.commits, 'octo-org/shared', wf('build')), jobId: 'call0', secrets: ['NPM_TOKEN', 'SLACK_WEBHOOK'] },
        mentions: ['octo-org/app', 'octo-org/shared', 'other/lib'],
      },
    ],
  },
];

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('secrets-inherit', () => {
  it.each(ruleTable(valid, invalid))('$kind: $name', async (entry) => {
    const { findings, world } = await evaluateRule(SecretsInheritRule, { repos: entry.repos, policy: entry.policy ?? POLICY });
    expect(findings).toEqual(entry.expected(world));
  });

  it('does not throw on a graph with broken nodes, and offers no fix when the callee’s secrets are unknown', async () => {
    const repos: Record<string, RepoSpec> = {
      [APP]: {
        files: {
          [CI]: caller(
            './.github/workflows/broken.yml',
            'octo-org/shared/.github/workflows/sub/x.yml@v1',
            '${{ inputs.target }}',
            'other/lib/.github/workflows/missing.yml@v1',
            'other/lib/.github/workflows/broken.yml@v1',
            'other/lib/.github/workflows/push-only.yml@v1',
          ),
          [wf('broken')]: 'on: workflow_call\njobs:\n  a: [unclosed\n',
          [wf('bad')]: 'jobs: [\n',
        },
      },
      'other/lib': { files: { [wf('broken')]: 'on: workflow_call\njobs:\n  a: [unclosed\n', [wf('push-only')]: workflow('on: push\n', { a: RUN }) }, tags: { v1: {} } },
    };
    const { findings, world } = await evaluateRule(SecretsInheritRule, { repos, policy: POLICY, roots: [`${APP}:${CI}`, `${APP}:${wf('bad')}`, `${APP}:${wf('gone')}`] });
    const unknown = (jobId: string, uses: string, why: string) => ({
      ruleId: 'secrets-inherit',
      severity: 'error',
      message: `${uses} ${EXPOSED}; what it declares is unknown because ${why}.`,
      location: { node: nodeAt(world.commits, APP, CI), jobId, key: 'secrets' },
      chain: [uses],
      mentions: ['octo-org/app', 'other/lib'],
    });
    expect(findings).toEqual([
      unknown('call3', 'other/lib/.github/workflows/missing.yml@v1', 'it could not be read'),
      unknown('call4', 'other/lib/.github/workflows/broken.yml@v1', 'the file has errors'),
      unknown('call5', 'other/lib/.github/workflows/push-only.yml@v1', 'it has no on: workflow_call'),
    ]);
  });
});
