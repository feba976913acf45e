import nock from 'nock';
import { evaluatePolicy } from '../../src/engine/evaluate.js';
import type { Finding, Fix } from '../../src/engine/types.js';
import { repoFullName, type CallGraph, type RepoMetadata } from '../../src/graph/types.js';
import { AllowedSourcesRule } from '../../src/rules/allowed-sources.js';
import { graphOf, type RepoSpec, type World } from '../support/graph.js';
import { policyFrom } from '../support/policy.js';

const APP = 'octo-org/app';
const CI = '.github/workflows/ci.yml';
const NOW = new Date('2026-08-01T00:00:00Z');
const wf = (name: string): string => `.github/workflows/${name}.yml`;

const caller = (...calls: string[]): string => `on: pull_request\njobs:\n${calls.map((uses, index) => `  call${index}:\n    uses: ${uses}\n`).join('')}`;
const callable = (...calls: string[]): string =>
  `on: workflow_call\njobs:\n${calls.map((uses, index) => `  call${index}:\n    uses: ${uses}\n`).join('') || '  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n'}`;

/** A finding as the table compares it: the chain as the calls were written, repositories by name. */
function view(finding: Finding) {
  const { ruleId, severity, message, location, fix } = finding;
  return { ruleId, severity, message, location, chain: finding.chain.map((edge) => edge.uses.raw), ...(fix && { fix }), mentions: finding.mentions.map(repoFullName) };
}

function metadata(graph: CallGraph, fullName: string): RepoMetadata {
  const found = graph.repos.get(fullName);
  if (!found || 'kind' in found) throw new Error(`no metadata for ${fullName}`);
  return found;
}

async function run(repos: Record<string, RepoSpec>, policy: string, roots = [`${APP}:${CI}`]) {
  const { graph, world } = await graphOf(repos, roots);
  const evaluation = evaluatePolicy({ graph, policy: policyFrom(policy), repository: metadata(graph, APP), now: NOW }, [AllowedSourcesRule]);
  return { findings: evaluation.findings.map(view), world };
}

/** The node key of `path` at the one commit of `repo` in the world. */
const at = (world: World, repo: string, path: string): string => `${repo.toLowerCase()}/${path}@${world.commits[repo]}`;

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
  expected: (world: World) => ReturnType<typeof view>[];
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
        location: { node: at(world, APP, CI), jobId: 'call0', key: 'uses' },
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
        location: { node: at(world, APP, CI), jobId: 'call0', key: 'uses' },
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
        location: { node: at(world, APP, CI), jobId: 'call0', key: 'uses' },
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
        location: { node: at(world, 'octo-org/shared', wf('build')), jobId: 'call0', key: 'uses' },
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
        location: { node: at(world, APP, CI), jobId: 'call0', key: 'uses' },
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
        location: { node: at(world, APP, CI), jobId: 'call1', key: 'uses' },
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
  it.each([...valid.map((entry) => ({ kind: 'valid', ...entry })), ...invalid.map((entry) => ({ kind: 'invalid', ...entry }))])('$kind: $name', async (entry) => {
    const { findings, world } = await run(entry.repos, entry.policy ?? POLICY);
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
    const { findings, world } = await run(repos, POLICY, [`${APP}:${CI}`, `${APP}:${wf('bad')}`, `${APP}:${wf('gone')}`]);
    expect(findings).toEqual([
      {
        ruleId: 'allowed-sources',
        severity: 'error',
        message:
          'other/lib/.github/workflows/test.yml@v1 matches no pattern in rules.allowed-sources.allow: only workflows the organization allows may run, transitive calls included.',
        location: { node: at(world, APP, CI), jobId: 'call4', key: 'uses' },
        chain: ['other/lib/.github/workflows/test.yml@v1'],
        fix: unmatchedFix('other/lib/.github/workflows/test.yml@*'),
        mentions: ['octo-org/app', 'other/lib'],
      },
    ]);
  });
});
