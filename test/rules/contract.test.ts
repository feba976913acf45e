import nock from 'nock';
import { ContractRule } from '../../src/rules/contract.js';
import { evaluateRule, placeholderNode, withCommitPlaceholders, type FindingView } from '../support/findings.js';
import type { RepoSpec } from '../support/graph.js';
import { RUN, wf, workflow } from '../support/workflows.js';

const CI = '.github/workflows/ci.yml';

const DEPLOY = 'octo-org/shared/.github/workflows/deploy.yml@v1';
const BUILD = 'octo-org/shared/.github/workflows/build.yml@v1';

/** The callee of most cases: typed inputs (some required, some with defaults) and secrets. */
const DEPLOY_FILE = `on:
  workflow_call:
    inputs:
      config-path:
        description: Where the deployment config lives
        required: true
        type: string
      replicas:
        required: true
        type: number
      dry-run:
        type: boolean
        default: false
      region:
        required: true
        type: string
        default: eu-west-1
    secrets:
      token:
        required: true
      optional-token:
        required: false
jobs:
  deploy:
${RUN.replace(/^(?=.)/gm, '    ')}`;

function world(callerJobs: Record<string, string>, sharedFiles: Record<string, string> = {}): Record<string, RepoSpec> {
  return {
    'octo-org/app': { files: { [CI]: workflow('on: push\n', callerJobs) } },
    'octo-org/shared': { files: { [wf('deploy')]: DEPLOY_FILE, ...sharedFiles }, tags: { v1: {} } },
  };
}

const PASSING = `uses: ${DEPLOY}\nwith:\n  config-path: deploy.yml\n  replicas: 3\nsecrets:\n  token: \${{ secrets.DEPLOY_TOKEN }}\n`;
const AT_CALL = { node: placeholderNode('octo-org/app', 'ci'), jobId: 'call' };
const MENTIONS = ['octo-org/app', 'octo-org/shared'];

interface Case {
  name: string;
  repos: Record<string, RepoSpec>;
  policy?: string;
  findings: FindingView[];
}

const valid: Case[] = [
  {
    name: 'every allowed keyword, required inputs and secrets passed, literals of the declared types',
    repos: world({
      lint: RUN,
      call:
        'name: Deploy\n' +
        `uses: ${DEPLOY}\n` +
        'needs: lint\n' +
        "if: github.ref == 'refs/heads/main'\n" +
        'strategy:\n  matrix:\n    target: [a, b]\n' +
        'concurrency: deploy\n' +
        'permissions:\n  contents: read\n' +
        'with:\n  config-path: deploy.yml\n  replicas: 3\n  dry-run: true\n  region: 42\n' +
        'secrets:\n  token: ${{ secrets.DEPLOY_TOKEN }}\n',
    }),
    findings: [],
  },
  {
    name: 'secrets: inherit passes every secret; expressions are left to run time; names compare case-insensitively',
    repos: world({
      call: `uses: ${DEPLOY}\nwith:\n  Config-Path: \${{ inputs.path }}\n  replicas: \${{ fromJSON(vars.REPLICAS) }}\n  dry-run: \${{ github.event_name != 'push' }}\nsecrets: inherit\n`,
    }),
    findings: [],
  },
  {
    name: 'on: workflow_call in its string, list and map forms',
    repos: world(
      { s: `uses: ${BUILD}\n`, l: 'uses: octo-org/shared/.github/workflows/list.yml@v1\n', m: 'uses: octo-org/shared/.github/workflows/map.yml@v1\n' },
      {
        [wf('build')]: workflow('on: workflow_call\n', { build: RUN }),
        [wf('list')]: workflow('on: [push, workflow_call]\n', { build: RUN }),
        [wf('map')]: workflow('on:\n  push:\n  workflow_call:\n', { build: RUN }),
      },
    ),
    findings: [],
  },
  {
    name: 'concurrency groups that differ, or that do not cancel in progress on both sides',
    repos: world(
      {
        own: `concurrency:\n  group: \${{ github.workflow }}-\${{ github.job }}\n  cancel-in-progress: true\nuses: ${BUILD}\n`,
        calm: `concurrency:\n  group: \${{ github.workflow }}-deploy\n  cancel-in-progress: false\nuses: ${BUILD}\n`,
      },
      {
        [wf('build')]: workflow('on: workflow_call\n', {
          build: `concurrency:\n  group: \${{ github.workflow }}-\${{ github.job }}\n  cancel-in-progress: true\n${RUN}`,
          deploy: `concurrency:\n  group: \${{ github.workflow }}-deploy\n  cancel-in-progress: true\n${RUN}`,
        }),
      },
    ),
    findings: [],
  },
  {
    name: 'severity off reports nothing',
    repos: world({ call: `uses: ${DEPLOY}\nruns-on: ubuntu-latest\n` }),
    policy: 'version: 1\nrules:\n  contract:\n    severity: off\n',
    findings: [],
  },
];

const invalid: Case[] = [
  {
    name: 'invalid references: subdirectory, missing @ref, expression',
    repos: world({
      sub: 'uses: octo-org/shared/.github/workflows/ci/build.yml@v1\n',
      noref: 'uses: octo-org/shared/.github/workflows/build.yml\n',
      expr: 'uses: ${{ inputs.workflow }}\n',
    }),
    findings: [
      {
        ruleId: 'contract',
        severity: 'error',
        message:
          'octo-org/shared/.github/workflows/ci/build.yml@v1 is not a valid call: Reusable workflows must sit directly in .github/workflows; ' +
          'GitHub does not support subdirectories: move the file to .github/workflows/build.yml.',
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'sub', key: 'uses' },
        chain: ['octo-org/shared/.github/workflows/ci/build.yml@v1'],
        mentions: MENTIONS,
      },
      {
        ruleId: 'contract',
        severity: 'error',
        message:
          'octo-org/shared/.github/workflows/build.yml is not a valid call: A reusable workflow in another repository needs a ref: append @<full commit SHA> (or a tag or branch).',
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'noref', key: 'uses' },
        chain: ['octo-org/shared/.github/workflows/build.yml'],
        mentions: MENTIONS,
      },
      {
        ruleId: 'contract',
        severity: 'error',
        message: '${{ inputs.workflow }} is not a valid call: GitHub does not evaluate ${{ }} expressions in uses: write the reference literally.',
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'expr', key: 'uses' },
        chain: ['${{ inputs.workflow }}'],
        mentions: ['octo-org/app'],
      },
    ],
  },
  {
    name: 'keywords not allowed beside uses: one finding and one fix per key',
    repos: world({ call: `runs-on: ubuntu-latest\nenv:\n  A: b\n${PASSING}steps:\n  - run: make\n` }),
    findings: ['runs-on', 'env', 'steps'].map((key) => ({
      ruleId: 'contract' as const,
      severity: 'error' as const,
      message:
        `The job calling ${DEPLOY} also sets ${key}, which GitHub does not allow beside uses, so it rejects the workflow. ` +
        'A calling job takes only name, uses, with, secrets, strategy, needs, if, concurrency and permissions.',
      location: { ...AT_CALL, key },
      chain: [DEPLOY],
      fix: { kind: 'remove-keys' as const, ...AT_CALL, keys: [key] },
      mentions: MENTIONS,
    })),
  },
  {
    name: 'a callee without on: workflow_call, in each of the three forms',
    repos: world(
      { s: 'uses: octo-org/shared/.github/workflows/string.yml@v1\n', l: 'uses: octo-org/shared/.github/workflows/list.yml@v1\n', m: `uses: ${BUILD}\n` },
      {
        [wf('string')]: workflow('on: push\n', { build: RUN }),
        [wf('list')]: workflow('on: [push, workflow_dispatch]\n', { build: RUN }),
        [wf('build')]: workflow('on:\n  push:\n    branches: [main]\n', { build: RUN }),
      },
    ),
    findings: (
      [
        ['s', 'octo-org/shared/.github/workflows/string.yml@v1'],
        ['l', 'octo-org/shared/.github/workflows/list.yml@v1'],
        ['m', BUILD],
      ] as const
    ).map(([jobId, uses]) => ({
      ruleId: 'contract' as const,
      severity: 'error' as const,
      message: `${uses} cannot be called: its on: does not include workflow_call, which GitHub requires of a reusable workflow.`,
      location: { node: placeholderNode('octo-org/app', 'ci'), jobId, key: 'uses' },
      chain: [uses],
      mentions: MENTIONS,
    })),
  },
  {
    name: 'a callee GitHub cannot parse: the first diagnostic with its line',
    repos: world(
      { call: `uses: ${BUILD}\n`, other: 'uses: octo-org/shared/.github/workflows/syntax.yml@v1\n' },
      {
        [wf('build')]: 'on: workflow_call\njobs:\n  a:\n    runs-on: x\n  a:\n    runs-on: y\n',
        [wf('syntax')]: 'on: workflow_call\njobs:\n  a:\n    runs-on: x\n  b: [\n',
      },
    ),
    findings: [
      {
        ruleId: 'contract',
        severity: 'error',
        message: `${BUILD} cannot be called: GitHub rejects the file it names (line 5: Duplicate key "a": GitHub rejects repeated keys; keep one).`,
        location: { ...AT_CALL, key: 'uses' },
        chain: [BUILD],
        mentions: MENTIONS,
      },
      {
        ruleId: 'contract',
        severity: 'error',
        message:
          'octo-org/shared/.github/workflows/syntax.yml@v1 cannot be called: GitHub rejects the file it names ' +
          '(line 6: YAML syntax error: Flow sequence in block collection must be sufficiently indented and end with a ]; 1 more problem).',
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'other', key: 'uses' },
        chain: ['octo-org/shared/.github/workflows/syntax.yml@v1'],
        mentions: MENTIONS,
      },
    ],
  },
  {
    name: "a callee GitHub's own schema rejects (a key equal but for case, an unknown step key): at the calling uses:",
    repos: world(
      { call: `uses: ${BUILD}\n` },
      { [wf('build')]: 'on: workflow_call\nenv:\n  TOKEN: a\n  token: b\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: make\n        colour: blue\n' },
    ),
    findings: [
      {
        ruleId: 'contract',
        severity: 'error',
        message: `${BUILD} cannot be called: GitHub rejects the file it names (line 4: 'token' is already defined; 1 more problem).`,
        location: { ...AT_CALL, key: 'uses' },
        chain: [BUILD],
        mentions: MENTIONS,
      },
    ],
  },
  {
    name: 'required inputs not passed: the fix lists them with types and descriptions',
    repos: world({ call: `uses: ${DEPLOY}\nwith:\n  dry-run: false\nsecrets: inherit\n` }),
    findings: [
      {
        ruleId: 'contract',
        severity: 'error',
        message: `${DEPLOY} requires inputs config-path (string) and replicas (number), not passed in with:, so GitHub fails the call.`,
        location: { ...AT_CALL, key: 'with' },
        chain: [DEPLOY],
        fix: {
          kind: 'add-inputs',
          ...AT_CALL,
          inputs: [
            { name: 'config-path', type: 'string', description: 'Where the deployment config lives' },
            { name: 'replicas', type: 'number' },
          ],
        },
        mentions: MENTIONS,
      },
    ],
  },
  {
    name: 'inputs the callee does not declare, and literals of the wrong type',
    repos: world({
      call:
        `uses: ${DEPLOY}\n` +
        'with:\n  config-path: [a, b]\n  replicas: "3"\n  dry-run: "true"\n  region: eu\n  verbose: true\n' +
        'secrets: inherit\n',
    }),
    findings: [
      // GitHub's schema takes no list in with:, whatever the callee declares: the calling file itself is rejected.
      {
        ruleId: 'contract',
        severity: 'error',
        message: 'GitHub cannot run this workflow as written: A sequence was not expected',
        location: { node: placeholderNode('octo-org/app', 'ci'), range: { start: { line: 6, column: 20 }, end: { line: 6, column: 26 } } },
        chain: [],
        mentions: ['octo-org/app'],
      },
      {
        ruleId: 'contract',
        severity: 'error',
        message: `Input config-path of ${DEPLOY} is a string, but with: passes a list, so GitHub rejects the call.`,
        location: { ...AT_CALL, key: 'with', name: 'config-path' },
        chain: [DEPLOY],
        mentions: MENTIONS,
      },
      {
        ruleId: 'contract',
        severity: 'error',
        message: `Input replicas of ${DEPLOY} is a number, but with: passes the string "3", so GitHub rejects the call. GitHub does not convert strings to numbers: remove the quotes.`,
        location: { ...AT_CALL, key: 'with', name: 'replicas' },
        chain: [DEPLOY],
        mentions: MENTIONS,
      },
      {
        ruleId: 'contract',
        severity: 'error',
        message: `Input dry-run of ${DEPLOY} is a boolean, but with: passes the string "true", so GitHub rejects the call. GitHub does not convert strings to booleans: remove the quotes.`,
        location: { ...AT_CALL, key: 'with', name: 'dry-run' },
        chain: [DEPLOY],
        mentions: MENTIONS,
      },
      {
        ruleId: 'contract',
        severity: 'error',
        message: `${DEPLOY} declares no input verbose, so GitHub rejects the call. It declares config-path, replicas, dry-run and region.`,
        location: { ...AT_CALL, key: 'with', name: 'verbose' },
        chain: [DEPLOY],
        mentions: MENTIONS,
      },
    ],
  },
  {
    name: 'required secrets missing, with no secrets: and with a map; secrets the callee does not declare',
    repos: world({
      none: `uses: ${DEPLOY}\nwith:\n  config-path: a\n  replicas: 1\n`,
      map: `uses: ${DEPLOY}\nwith:\n  config-path: a\n  replicas: 1\nsecrets:\n  optional-token: \${{ secrets.A }}\n  npm-token: \${{ secrets.NPM }}\n`,
    }),
    findings: [
      {
        ruleId: 'contract',
        severity: 'error',
        message: `${DEPLOY} requires secret token, not passed in secrets:, so GitHub fails the call.`,
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'none', key: 'uses' },
        chain: [DEPLOY],
        fix: { kind: 'add-secrets', node: placeholderNode('octo-org/app', 'ci'), jobId: 'none', secrets: ['token'] },
        mentions: MENTIONS,
      },
      {
        ruleId: 'contract',
        severity: 'error',
        message: `${DEPLOY} requires secret token, not passed in secrets:, so GitHub fails the call.`,
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'map', key: 'secrets' },
        chain: [DEPLOY],
        fix: { kind: 'add-secrets', node: placeholderNode('octo-org/app', 'ci'), jobId: 'map', secrets: ['token'] },
        mentions: MENTIONS,
      },
      {
        ruleId: 'contract',
        severity: 'error',
        message: `${DEPLOY} declares no secret npm-token, so GitHub rejects the call. It declares token and optional-token.`,
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'map', key: 'secrets', name: 'npm-token' },
        chain: [DEPLOY],
        mentions: MENTIONS,
      },
    ],
  },
  {
    name: 'the same cancelling concurrency group in the calling job and a called job',
    repos: world(
      { call: `concurrency:\n  group: \${{ github.workflow }}-deploy\n  cancel-in-progress: true\nuses: ${BUILD}\n` },
      { [wf('build')]: workflow('on: workflow_call\n', { build: RUN, ship: `concurrency:\n  group: \${{github.workflow}}-deploy\n  cancel-in-progress: true\n${RUN}` }) },
    ),
    findings: [
      {
        ruleId: 'contract',
        severity: 'warning',
        message:
          `The job calling ${BUILD} and job ship of the called workflow both use concurrency group \${{ github.workflow }}-deploy with cancel-in-progress: true. ` +
          "A called workflow sees its caller's github.workflow, so the group is the same and starting the called workflow cancels the caller.",
        location: { ...AT_CALL, key: 'concurrency' },
        chain: [BUILD],
        mentions: MENTIONS,
      },
    ],
  },
  {
    name: 'the same cancelling concurrency group at the workflow level of caller and callee',
    repos: {
      'octo-org/app': {
        files: { [CI]: workflow('on: push\nconcurrency:\n  group: ${{ github.workflow }}-${{ github.ref }}\n  cancel-in-progress: true\n', { call: `uses: ${BUILD}\n` }) },
      },
      'octo-org/shared': {
        files: { [wf('build')]: workflow('on: workflow_call\nconcurrency:\n  group: ${{ github.workflow }}-${{ github.ref }}\n  cancel-in-progress: true\n', { build: RUN }) },
        tags: { v1: {} },
      },
    },
    findings: [
      {
        ruleId: 'contract',
        severity: 'warning',
        message:
          `The workflow of the job calling ${BUILD} and the called workflow both use concurrency group \${{ github.workflow }}-\${{ github.ref }} with cancel-in-progress: true. ` +
          "A called workflow sees its caller's github.workflow, so the group is the same and starting the called workflow cancels the caller.",
        location: AT_CALL,
        chain: [BUILD],
        mentions: MENTIONS,
      },
    ],
  },
  {
    name: 'two levels down: a broken call inside a called workflow is reported with its chain',
    repos: {
      'octo-org/app': { files: { [CI]: workflow('on: push\n', { call: `uses: ${BUILD}\n` }) } },
      'octo-org/shared': { files: { [wf('build')]: workflow('on: workflow_call\n', { release: 'runs-on: ubuntu-latest\nuses: octo-org/lib/.github/workflows/release.yml@main\n' }) }, tags: { v1: {} } },
      'octo-org/lib': {
        visibility: 'private',
        accessLevel: 'organization',
        files: { [wf('release')]: 'on:\n  workflow_call:\n    inputs:\n      version:\n        type: string\n        required: true\njobs:\n  release:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n' },
      },
    },
    findings: [
      {
        ruleId: 'contract',
        severity: 'error',
        message:
          `The job calling octo-org/lib/.github/workflows/release.yml@main (called by job release in ${BUILD}) also sets runs-on, which GitHub does not allow ` +
          'beside uses, so it rejects the workflow. A calling job takes only name, uses, with, secrets, strategy, needs, if, concurrency and permissions.',
        location: { node: placeholderNode('octo-org/shared', 'build'), jobId: 'release', key: 'runs-on' },
        chain: [BUILD, 'octo-org/lib/.github/workflows/release.yml@main'],
        fix: { kind: 'remove-keys', node: placeholderNode('octo-org/shared', 'build'), jobId: 'release', keys: ['runs-on'] },
        mentions: ['octo-org/app', 'octo-org/shared', 'octo-org/lib'],
      },
      {
        ruleId: 'contract',
        severity: 'error',
        message: `octo-org/lib/.github/workflows/release.yml@main (called by job release in ${BUILD}) requires input version (string), not passed in with:, so GitHub fails the call.`,
        location: { node: placeholderNode('octo-org/shared', 'build'), jobId: 'release', key: 'uses' },
        chain: [BUILD, 'octo-org/lib/.github/workflows/release.yml@main'],
        fix: { kind: 'add-inputs', node: placeholderNode('octo-org/shared', 'build'), jobId: 'release', inputs: [{ name: 'version', type: 'string' }] },
        mentions: ['octo-org/app', 'octo-org/shared', 'octo-org/lib'],
      },
    ],
  },
];

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('ContractRule', () => {
  describe('valid', () => {
    it.each(valid)('$name', async ({ repos, policy, findings }) => {
      const run = await evaluateRule(ContractRule, { repos, policy });
      expect(withCommitPlaceholders(run.findings, run.world.commits)).toEqual(findings);
    });
  });

  describe('invalid', () => {
    it.each(invalid)('$name', async ({ repos, policy, findings }) => {
      const run = await evaluateRule(ContractRule, { repos, policy });
      expect(withCommitPlaceholders(run.findings, run.world.commits)).toEqual(findings);
    });
  });

  it('does not throw on broken graphs: missing files and repositories, loops, an empty uses', async () => {
    const { findings, world: built, graph } = await evaluateRule(ContractRule, {
      repos: {
        'octo-org/app': {
          files: {
            [CI]: workflow('on: push\n', {
              missing: 'uses: octo-org/shared/.github/workflows/missing.yml@v1\n',
              gone: 'uses: ghost/gone/.github/workflows/build.yml@v1\n',
              empty: "uses: ''\n",
              loop: 'uses: ./.github/workflows/loop.yml\n',
            }),
            [wf('loop')]: workflow('on: workflow_call\n', { again: 'uses: ./.github/workflows/loop.yml\n' }),
          },
        },
        'octo-org/shared': { files: {}, tags: { v1: {} } },
      },
    });
    expect(graph.edges.map((edge) => edge.error?.kind ?? edge.uses.reference.kind)).toEqual([
      'file-not-found',
      'repo-not-found',
      'invalid',
      'local-workflow',
      'local-workflow',
    ]);
    expect(withCommitPlaceholders(findings, built.commits)).toEqual([
      {
        ruleId: 'contract',
        severity: 'error',
        message: "(empty uses) is not a valid call: uses is empty: write owner/repo/.github/workflows/<file>.yml@<ref>, ./.github/workflows/<file>.yml or $/.github/workflows/<file>.yml.",
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'empty', key: 'uses' },
        chain: [''],
        mentions: ['octo-org/app'],
      },
    ]);
  });
});
