import nock from 'nock';
import type { Fix } from '../../src/engine/types.js';
import { AllowedSourcesRule } from '../../src/rules/allowed-sources.js';
import { evaluateRule, nodeAt, ruleTable, type FindingView } from '../support/findings.js';
import type { RepoSpec, World } from '../support/graph.js';
import { callable, caller, wf } from '../support/workflows.js';

const APP = 'octo-org/app';
const CI = '.github/workflows/ci.yml';

const POLICY = `version: 1
rules:
  allowed-sources:
    allow: ["octo-org/*", "partner/tools/.github/workflows/lint.yml@*"]
    deny: ["octo-org/legacy/*"]
`;

const SHARED: RepoSpec = { files: { [wf('build')]: callable() }, tags: { v1: {} } };
const LIB: RepoSpec = { files: { [wf('test')]: callable() }, tags: { v1: {} } };

interface Case {
  name: string;
  repos: Record<string, RepoSpec>;
  policy?: string;
  expected: (world: World) => FindingView[];
}

const unmatchedFix = (pattern: string, file = '.github/workflow-policy.yml'): Fix => ({
  kind: 'edit-policy',
  file,
  suggestion: `Add "${pattern}" to rules.allowed-sources.allow.`,
});

const valid: Case[] = [
  {
    name: 'a call matching an allow pattern',
    repos: { [APP]: { files: { [CI]: caller('octo-org/shared/.github/workflows/build.yml@v1') } }, 'octo-org/shared': SHARED },
    expected: () => [],
  },
  {
    name: 'a call matching a one-file pattern at any ref',
    repos: { [APP]: { files: { [CI]: caller('partner/tools/.github/workflows/lint.yml@v1') } }, 'partner/tools': { files: { [wf('lint')]: callable() }, tags: { v1: {} } } },
    expected: () => [],
  },
  {
    name: 'owner and repository compare case-insensitively',
    repos: { [APP]: { files: { [CI]: caller('Octo-Org/Shared/.github/workflows/build.yml@v1') } }, 'octo-org/shared': SHARED },
    expected: () => [],
  },
  {
    name: './ and $/ calls are the same repository: allowed even by an empty allow list',
    repos: { [APP]: { files: { [CI]: caller('./.github/workflows/lint.yml', '$/.github/workflows/lint.yml'), [wf('lint')]: callable() } } },
    policy: 'version: 1\nrules:\n  allowed-sources:\n    allow: []\n',
    expected: () => [],
  },
  {
    name: 'without allow, everything not denied is allowed',
    repos: { [APP]: { files: { [CI]: caller('other/lib/.github/workflows/test.yml@v1') } }, 'other/lib': LIB },
    policy: 'version: 1\nrules:\n  allowed-sources:\n    deny: ["octo-org/legacy/*"]\n',
    expected: () => [],
  },
];

const invalid: Case[] = [
  {
    name: 'a call matching no allow pattern, with the narrowest pattern to add',
    repos: { [APP]: { files: { [CI]: caller('other/lib/.github/workflows/test.yml@v1') } }, 'other/lib': LIB },
    expected: (world) => [
      {
        ruleId: 'allowed-sources',
        severity: 'error',
        message:
          'other/lib/.github/workflows/test.yml@v1 matches no pattern in rules.allowed-sources.allow: only workflows the organization allows may run, transitive calls included.',
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call0', key: 'uses' },
        chain: ['other/lib/.github/workflows/test.yml@v1'],
        fix: unmatchedFix('other/lib/.github/workflows/test.yml@*'),
        mentions: ['octo-org/app', 'other/lib'],
      },
    ],
  },
  {
    name: 'a denied call, naming the deny pattern and offering no fix',
    repos: { [APP]: { files: { [CI]: caller('octo-org/legacy/.github/workflows/old.yml@v1') } }, 'octo-org/legacy': { files: { [wf('old')]: callable() }, tags: { v1: {} } } },
    expected: (world) => [
      {
        ruleId: 'allowed-sources',
        severity: 'error',
        message:
          'octo-org/legacy/.github/workflows/old.yml@v1 is blocked by the deny pattern "octo-org/legacy/*" in rules.allowed-sources: the organization does not allow this workflow to run.',
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call0', key: 'uses' },
        chain: ['octo-org/legacy/.github/workflows/old.yml@v1'],
        mentions: ['octo-org/app', 'octo-org/legacy'],
      },
    ],
  },
  {
    name: 'a deny wins over an allow naming the very file',
    repos: { [APP]: { files: { [CI]: caller('octo-org/legacy/.github/workflows/old.yml@v1') } }, 'octo-org/legacy': { files: { [wf('old')]: callable() }, tags: { v1: {} } } },
    policy: 'version: 1\nrules:\n  allowed-sources:\n    allow: ["octo-org/legacy/.github/workflows/old.yml@v1"]\n    deny: ["Octo-Org/Legacy/*"]\n',
    expected: (world) => [
      {
        ruleId: 'allowed-sources',
        severity: 'error',
        message:
          'octo-org/legacy/.github/workflows/old.yml@v1 is blocked by the deny pattern "Octo-Org/Legacy/*" in rules.allowed-sources: the organization does not allow this workflow to run.',
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call0', key: 'uses' },
        chain: ['octo-org/legacy/.github/workflows/old.yml@v1'],
        mentions: ['octo-org/app', 'octo-org/legacy'],
      },
    ],
  },
  {
    name: 'a disallowed call two levels down, reported with its chain',
    repos: {
      [APP]: { files: { [CI]: caller('octo-org/shared/.github/workflows/build.yml@v1') } },
      'octo-org/shared': { files: { [wf('build')]: callable('other/lib/.github/workflows/test.yml@main') }, tags: { v1: {} } },
      'other/lib': LIB,
    },
    expected: (world) => [
      {
        ruleId: 'allowed-sources',
        severity: 'error',
        message:
          'other/lib/.github/workflows/test.yml@main (called by job call0 in octo-org/shared/.github/workflows/build.yml@v1) matches no pattern in rules.allowed-sources.allow: only workflows the organization allows may run, transitive calls included.',
        location: { node: nodeAt(world.commits, 'octo-org/shared', wf('build')), jobId: 'call0', key: 'uses' },
        chain: ['octo-org/shared/.github/workflows/build.yml@v1', 'other/lib/.github/workflows/test.yml@main'],
        fix: unmatchedFix('other/lib/.github/workflows/test.yml@*'),
        mentions: ['octo-org/app', 'octo-org/shared', 'other/lib'],
      },
    ],
  },
  {
    name: 'the fix names the policy file itself, not the preset it extends',
    repos: { [APP]: { files: { [CI]: caller('other/lib/.github/workflows/test.yml@v1') } }, 'other/lib': LIB },
    policy: 'version: 1\nextends: recommended\nrules:\n  allowed-sources:\n    allow: ["octo-org/*"]\n',
    expected: (world) => [
      {
        ruleId: 'allowed-sources',
        severity: 'error',
        message:
          'other/lib/.github/workflows/test.yml@v1 matches no pattern in rules.allowed-sources.allow: only workflows the organization allows may run, transitive calls included.',
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call0', key: 'uses' },
        chain: ['other/lib/.github/workflows/test.yml@v1'],
        fix: unmatchedFix('other/lib/.github/workflows/test.yml@*'),
        mentions: ['octo-org/app', 'other/lib'],
      },
    ],
  },
  {
    name: 'a call is decided by what it names, even when its repository does not exist',
    repos: { [APP]: { files: { [CI]: caller('octo-org/shared/.github/workflows/build.yml@v1', 'gone/repo/.github/workflows/x.yml@v1') } }, 'octo-org/shared': SHARED },
    policy: 'version: 1\nrules:\n  allowed-sources:\n    severity: warning\n    allow: ["octo-org/*"]\n',
    expected: (world) => [
      {
        ruleId: 'allowed-sources',
        severity: 'warning',
        message: 'gone/repo/.github/workflows/x.yml@v1 matches no pattern in rules.allowed-sources.allow: only workflows the organization allows may run, transitive calls included.',
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call1', key: 'uses' },
        chain: ['gone/repo/.github/workflows/x.yml@v1'],
        fix: unmatchedFix('gone/repo/.github/workflows/x.yml@*'),
        mentions: ['octo-org/app', 'gone/repo'],
      },
    ],
  },
];

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('allowed-sources', () => {
  it.each(ruleTable(valid, invalid))('$kind: $name', async (entry) => {
    const { findings, world } = await evaluateRule(AllowedSourcesRule, { repos: entry.repos, policy: entry.policy ?? POLICY });
    expect(findings).toEqual(entry.expected(world));
  });

  it('does not throw on a graph with broken nodes, and still decides every call it can read', async () => {
    const repos: Record<string, RepoSpec> = {
      [APP]: {
        files: {
          [CI]: caller('./.github/workflows/broken.yml', './.github/workflows/missing.yml', 'octo-org/shared/.github/workflows/sub/x.yml@v1', '${{ inputs.target }}', 'other/lib/.github/workflows/test.yml@v1'),
          [wf('broken')]: 'on: workflow_call\njobs:\n  a: [unclosed\n',
          [wf('bad')]: 'jobs: [\n',
        },
      },
      'other/lib': LIB,
    };
    const { findings, world } = await evaluateRule(AllowedSourcesRule, { repos, policy: POLICY, roots: [`${APP}:${CI}`, `${APP}:${wf('bad')}`, `${APP}:${wf('gone')}`] });
    expect(findings).toEqual([
      {
        ruleId: 'allowed-sources',
        severity: 'error',
        message:
          'other/lib/.github/workflows/test.yml@v1 matches no pattern in rules.allowed-sources.allow: only workflows the organization allows may run, transitive calls included.',
        location: { node: nodeAt(world.commits, APP, CI), jobId: 'call4', key: 'uses' },
        chain: ['other/lib/.github/workflows/test.yml@v1'],
        fix: unmatchedFix('other/lib/.github/workflows/test.yml@*'),
        mentions: ['octo-org/app', 'other/lib'],
      },
    ]);
  });
});
