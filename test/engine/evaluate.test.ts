import nock from 'nock';
import { evaluatePolicy, findingTarget } from '../../src/engine/evaluate.js';
import type { Evaluation } from '../../src/engine/types.js';
import type { CallGraph, RepoMetadata } from '../../src/graph/types.js';
import { ALL_RULES } from '../../src/rules/index.js';
import { graphOf, type RepoSpec } from '../support/graph.js';
import { policyFrom } from '../support/policy.js';
import { caller, callable, local, wf } from '../support/workflows.js';

const APP = 'octo-org/app';
const CI = wf('ci');
const NOW = new Date('2026-11-21T12:00:00Z');

/**
 * One graph that trips every rule: the PR's workflow calls a shared workflow by tag with
 * `secrets: inherit`; that workflow calls a private repository's workflow (visibility), which asks for
 * more permissions than granted; plus an unreadable call, an invalid call and a deep local chain.
 */
const REPOS: Record<string, RepoSpec> = {
  [APP]: {
    visibility: 'public',
    files: {
      [CI]:
        'on: pull_request\npermissions:\n  contents: read\njobs:\n' +
        '  deploy:\n    uses: octo-org/shared/.github/workflows/deploy.yml@v1\n    secrets: inherit\n' +
        '  gone:\n    uses: octo-org/gone/.github/workflows/x.yml@v1\n' +
        '  bad:\n    uses: octo-org/shared/.github/workflows/sub/x.yml@v1\n' +
        `  deep:\n    uses: ${local('a')}\n`,
      [wf('a')]: callable(local('b')),
      [wf('b')]: callable(local('c')),
      [wf('c')]: callable(),
    },
  },
  'octo-org/shared': {
    visibility: 'public',
    files: { [wf('deploy')]: callable('octo-org/vault/.github/workflows/publish.yml@main') },
    tags: { v1: {} },
  },
  'octo-org/vault': {
    visibility: 'private',
    accessLevel: 'none',
    files: {
      [wf('publish')]: 'on: workflow_call\njobs:\n  publish:\n    permissions:\n      contents: write\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n',
    },
  },
};

const POLICY = `version: 1
extends: strict
rules:
  allowed-sources:
    allow: ["octo-org/*"]
    deny: ["octo-org/gone/*"]
`;

function repository(graph: CallGraph): RepoMetadata {
  const metadata = graph.repos.get(APP);
  if (!metadata || 'kind' in metadata) throw new Error('no metadata');
  return metadata;
}

/** `severity rule job-of-the-site chain-of-job-ids`: the site is where the problem is, the chain how the root reaches it. */
function summary(evaluation: Evaluation): string[] {
  return evaluation.findings.map((finding) => `${finding.severity} ${finding.ruleId} ${finding.location.jobId ?? '-'} ${finding.chain.map((edge) => edge.jobId).join('>')}`);
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('evaluatePolicy with every rule', () => {
  let graph: CallGraph;
  beforeAll(async () => {
    ({ graph } = await graphOf(REPOS, [`${APP}:${CI}`]));
    nock.cleanAll();
  });

  it('reports every rule on every edge of the graph, transitive calls with their chain', () => {
    const evaluation = evaluatePolicy({ graph, policy: policyFrom(POLICY), repository: repository(graph), now: NOW }, ALL_RULES);
    expect(summary(evaluation)).toEqual([
      'error resolution gone gone',
      'error contract bad bad',
      'error visibility call0 deploy>call0',
      'error permissions call0 deploy>call0',
      'error allowed-sources gone gone',
      'error pinning deploy deploy',
      'error pinning gone gone',
      'error pinning call0 deploy>call0',
      'error secrets-inherit deploy deploy',
      'error max-depth deep deep>call0>call0',
    ]);
    expect(evaluation.conclusion).toBe('failure');
    expect(evaluation.exceptionsUsed).toEqual([]);
    expect(evaluation.exceptionsExpired).toEqual([]);
  });

  it('lets an exception waive its rules for matching calls only, and reports what it waived', () => {
    const policy = policyFrom(`${POLICY}exceptions:
  - uses: "octo-org/shared/.github/workflows/deploy.yml@*"
    rules: [pinning, secrets-inherit]
    reason: "the deploy workflow is called by tag during the migration"
    expires: 2026-11-21
`);
    const evaluation = evaluatePolicy({ graph, policy, repository: repository(graph), now: NOW }, ALL_RULES);
    expect(evaluation.exceptionsUsed).toHaveLength(1);
    expect(evaluation.exceptionsUsed[0]!.exception).toMatchObject({ uses: 'octo-org/shared/.github/workflows/deploy.yml@*', reason: 'the deploy workflow is called by tag during the migration' });
    expect(evaluation.exceptionsUsed[0]!.waived.map((finding) => `${finding.ruleId} ${finding.chain.map((edge) => edge.jobId).join('>')}`)).toEqual([
      'pinning deploy',
      'secrets-inherit deploy',
    ]);
    // The transitive pinning finding is about vault's call, which the exception does not name.
    expect(summary(evaluation)).toContain('error pinning call0 deploy>call0');
    expect(summary(evaluation)).not.toContain('error pinning deploy deploy');
  });

  it('stops applying an exception the day after it expires, and lists it as expired', () => {
    const policy = policyFrom(`${POLICY}exceptions:
  - uses: "octo-org/shared/.github/workflows/deploy.yml@*"
    rules: [pinning]
    reason: "migration"
    expires: 2026-11-20
`);
    const evaluation = evaluatePolicy({ graph, policy, repository: repository(graph), now: NOW }, ALL_RULES);
    expect(evaluation.exceptionsUsed).toEqual([]);
    expect(evaluation.exceptionsExpired.map(({ uses, expires }) => ({ uses, expires }))).toEqual([{ uses: 'octo-org/shared/.github/workflows/deploy.yml@*', expires: '2026-11-20' }]);
    expect(summary(evaluation)).toContain('error pinning deploy deploy');
  });

  it('applies an exception only to the caller repositories it names', () => {
    const policy = policyFrom(`${POLICY}exceptions:
  - uses: "octo-org/shared/*"
    rules: [pinning]
    repos: ["octo-org/other-*"]
    reason: "not for app"
`);
    const evaluation = evaluatePolicy({ graph, policy, repository: repository(graph), now: NOW }, ALL_RULES);
    expect(evaluation.exceptionsUsed).toEqual([]);
    expect(summary(evaluation)).toContain('error pinning deploy deploy');
  });

  it.each([
    ['block', 'failure'],
    ['warn', 'neutral'],
    ['off', 'success'],
  ] as const)('concludes %s enforcement with errors as %s', (enforcement, conclusion) => {
    const policy = policyFrom(`${POLICY}enforcement: ${enforcement}\n`);
    expect(evaluatePolicy({ graph, policy, repository: repository(graph), now: NOW }, ALL_RULES).conclusion).toBe(conclusion);
  });

  it('concludes neutral when only warnings remain, and runs no rule whose severity is off', () => {
    const policy = policyFrom(`version: 1
rules:
  resolution: { severity: error }
  contract: { severity: warning }
  visibility: { severity: warning }
  permissions: { severity: warning }
`);
    const clean = evaluatePolicy({ graph, policy, repository: repository(graph), now: NOW }, ALL_RULES.filter((rule) => rule.meta.id !== 'resolution'));
    expect(new Set(clean.findings.map((finding) => finding.severity))).toEqual(new Set(['warning']));
    expect(clean.findings.map((finding) => finding.ruleId).sort()).toEqual(['contract', 'permissions', 'visibility']);
    expect(clean.conclusion).toBe('neutral');
  });

  it('names the call a finding is about as patterns see it', () => {
    const evaluation = evaluatePolicy({ graph, policy: policyFrom(POLICY), repository: repository(graph), now: NOW }, ALL_RULES);
    const targets = evaluation.findings.map(findingTarget);
    expect(targets).toContain('octo-org/vault/.github/workflows/publish.yml@main');
    expect(targets).toContain('octo-org/shared/.github/workflows/deploy.yml@v1');
  });

  it('reports a finding once even when two top-level files reach the same call', async () => {
    const repos = { ...REPOS, [APP]: { ...REPOS[APP]!, files: { ...REPOS[APP]!.files, [wf('other')]: caller('octo-org/shared/.github/workflows/deploy.yml@v1') } } };
    const { graph: two } = await graphOf(repos, [`${APP}:${CI}`, `${APP}:${wf('other')}`]);
    const evaluation = evaluatePolicy({ graph: two, policy: policyFrom(POLICY), repository: repository(two), now: NOW }, ALL_RULES);
    const visibility = evaluation.findings.filter((finding) => finding.ruleId === 'visibility');
    // One per top-level file: each annotates its own line.
    expect(visibility.map((finding) => finding.root)).toEqual(two.roots);
  });
});
