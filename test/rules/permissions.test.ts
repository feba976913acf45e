import fc from 'fast-check';
import nock from 'nock';
import {
  comparePermissions,
  formatPermissions,
  isGrantable,
  joinPermissions,
  meetPermissions,
  parsePermissions,
  permissionBlock,
  permissionLevel,
  PermissionsRule,
  type PermissionSet,
} from '../../src/rules/permissions.js';
import type { PermissionLevel } from '../../src/workflow/model.js';
import { parseWorkflow } from '../../src/workflow/parse.js';
import { evaluateRule, placeholderNode, withCommitPlaceholders, type FindingView } from '../support/findings.js';
import type { RepoSpec } from '../support/graph.js';
import { RUN, wf, workflow } from '../support/workflows.js';

const CI = '.github/workflows/ci.yml';

/** A permission set as a workflow writes it (`read-all`, `{ contents: read }`, `{}`), through the real parser. */
function set(text: string): PermissionSet {
  const permissions = parseWorkflow(`on: push\npermissions: ${text}\njobs: {}\n`, CI).permissions;
  if (!permissions) throw new Error(`not permissions: ${text}`);
  return parsePermissions(permissions);
}

describe('the GITHUB_TOKEN permission lattice', () => {
  it('parses read-all, write-all, {} and maps, capping each scope at the levels it accepts', () => {
    const readAll = set('read-all');
    const writeAll = set('write-all');
    expect(['contents', 'id-token', 'models', 'vulnerability-alerts', 'workflows'].map((scope) => permissionLevel(readAll, scope))).toEqual([
      'read',
      'none',
      'read',
      'read',
      'read',
    ]);
    expect(['contents', 'id-token', 'models', 'vulnerability-alerts', 'workflows'].map((scope) => permissionLevel(writeAll, scope))).toEqual([
      'write',
      'write',
      'read',
      'read',
      'write',
    ]);
    expect(['contents', 'issues'].map((scope) => permissionLevel(set('{}'), scope))).toEqual(['none', 'none']);
    const map = set('{ contents: write, workflows: read }');
    expect(['contents', 'workflows', 'issues'].map((scope) => permissionLevel(map, scope))).toEqual(['write', 'read', 'none']);
  });

  it('meets: what a token keeps after passing through both grants', () => {
    expect(formatPermissions(meetPermissions(set('{ contents: write, issues: read }'), set('read-all')))).toBe('contents: read, issues: read');
    expect(formatPermissions(meetPermissions(set('write-all'), set('read-all')))).toBe('read-all');
    expect(formatPermissions(meetPermissions(set('write-all'), set('{}')))).toBe('{}');
    expect(formatPermissions(meetPermissions(set('{ id-token: write }'), set('read-all')))).toBe('{}');
  });

  it('joins: the least grant that satisfies both', () => {
    expect(formatPermissions(joinPermissions(set('{ contents: read }'), set('{ packages: write }')))).toBe('contents: read, packages: write');
    expect(formatPermissions(joinPermissions(set('read-all'), set('{ contents: write }')))).toBe('read-all, contents: write');
    expect(formatPermissions(joinPermissions(set('{}'), set('write-all')))).toBe('write-all');
  });

  it('compares: the scopes a request asks more of than a grant gives', () => {
    expect(comparePermissions(set('{ contents: write }'), set('{ contents: read }'))).toEqual([{ scope: 'contents', requested: 'write', granted: 'read' }]);
    expect(comparePermissions(set('{ contents: read }'), set('{ contents: write }'))).toEqual([]);
    expect(comparePermissions(set('write-all'), set('write-all'))).toEqual([]);
    expect(comparePermissions(set('{ models: read, id-token: write }'), set('write-all'))).toEqual([]);
    expect(comparePermissions(set('{ id-token: write }'), set('read-all'))).toEqual([{ scope: 'id-token', requested: 'write', granted: 'none' }]);
    expect(comparePermissions(set('{ workflows: write }'), set('{ contents: write }'))).toEqual([{ scope: 'workflows', requested: 'write', granted: 'none' }]);
    expect(comparePermissions(set('read-all'), set('{ contents: read, id-token: write }')).map((excess) => excess.scope)).toEqual([
      'actions',
      'artifact-metadata',
      'attestations',
      'checks',
      'code-quality',
      'deployments',
      'discussions',
      'issues',
      'models',
      'packages',
      'pages',
      'pull-requests',
      'repository-projects',
      'security-events',
      'statuses',
      'vulnerability-alerts',
    ]);
  });

  it('writes the block that grants a set, leaving none out', () => {
    expect(permissionBlock(set('{ contents: read, issues: none, workflows: write }'))).toEqual({ contents: 'read', workflows: 'write' });
    expect(permissionBlock(set('write-all'))).toEqual({
      actions: 'write',
      'artifact-metadata': 'write',
      attestations: 'write',
      checks: 'write',
      'code-quality': 'write',
      contents: 'write',
      deployments: 'write',
      discussions: 'write',
      'id-token': 'write',
      issues: 'write',
      models: 'read',
      packages: 'write',
      pages: 'write',
      'pull-requests': 'write',
      'repository-projects': 'write',
      'security-events': 'write',
      statuses: 'write',
      'vulnerability-alerts': 'read',
    });
    expect(permissionBlock(set('{}'))).toEqual({});
    // Levels a scope does not take are raised to one it does, or capped at its highest.
    expect(permissionBlock(set('{ id-token: read, models: write }'))).toEqual({ 'id-token': 'write', models: 'read' });
    expect([isGrantable('models', 'write'), isGrantable('models', 'read'), isGrantable('id-token', 'write'), isGrantable('workflows', 'write')]).toEqual([
      false,
      true,
      true,
      true,
    ]);
  });

  it('is a lattice: meet is below both, join above both, both commute', () => {
    const level = fc.constantFrom<PermissionLevel>('none', 'read', 'write');
    const permissionSet = fc.record({
      scopes: fc.dictionary(fc.constantFrom('contents', 'id-token', 'models', 'issues', 'workflows'), level).map((entries) => new Map(Object.entries(entries))),
      rest: level,
    });
    fc.assert(
      fc.property(permissionSet, permissionSet, (a, b) => {
        const meet = meetPermissions(a, b);
        const join = joinPermissions(a, b);
        expect(comparePermissions(meet, a)).toEqual([]);
        expect(comparePermissions(meet, b)).toEqual([]);
        expect(comparePermissions(a, join)).toEqual([]);
        expect(comparePermissions(b, join)).toEqual([]);
        expect(formatPermissions(meetPermissions(b, a))).toBe(formatPermissions(meet));
        expect(formatPermissions(joinPermissions(b, a))).toBe(formatPermissions(join));
      }),
      { numRuns: 200 },
    );
  });
});

const SHARED_DEPLOY = 'octo-org/shared/.github/workflows/deploy.yml@v1';
const SHARED_BUILD = 'octo-org/shared/.github/workflows/build.yml@v1';
const LIB_PUBLISH = 'octo-org/lib/.github/workflows/publish.yml@main';
const RULE = 'GitHub fails the run, because permissions can only stay equal or shrink down the chain';
const PUBLIC_REPO = { visibility: 'public' as const };

interface Case {
  name: string;
  repos: Record<string, RepoSpec>;
  policy?: string;
  findings: FindingView[];
}

function shared(files: Record<string, string>): RepoSpec {
  return { ...PUBLIC_REPO, files, tags: { v1: {} } };
}

const valid: Case[] = [
  {
    name: 'a callee asking for what the calling job grants, or less',
    repos: {
      'octo-org/app': { files: { [CI]: workflow('on: push\n', { call: `permissions:\n  contents: read\n  packages: write\nuses: ${SHARED_DEPLOY}\n` }) } },
      'octo-org/shared': shared({ [wf('deploy')]: workflow('on: workflow_call\npermissions:\n  contents: read\n', { deploy: `permissions:\n  packages: write\n${RUN}` }) }),
    },
    findings: [],
  },
  {
    name: 'a top-level file without permissions passes the repository default, which the app cannot know',
    repos: {
      'octo-org/app': { files: { [CI]: workflow('on: push\n', { call: `uses: ${SHARED_DEPLOY}\n` }) } },
      'octo-org/shared': shared({ [wf('deploy')]: workflow('on: workflow_call\npermissions: write-all\n', { deploy: RUN }) }),
    },
    findings: [],
  },
  {
    name: 'the caller workflow’s permissions grant when the calling job sets none',
    repos: {
      'octo-org/app': { files: { [CI]: workflow('on: push\npermissions:\n  contents: write\n', { call: `uses: ${SHARED_DEPLOY}\n` }) } },
      'octo-org/shared': shared({ [wf('deploy')]: workflow('on: workflow_call\n', { deploy: `permissions:\n  contents: write\n${RUN}` }) }),
    },
    findings: [],
  },
  {
    name: 'write-all covers id-token: write and models: read',
    repos: {
      'octo-org/app': { files: { [CI]: workflow('on: push\n', { call: `permissions: write-all\nuses: ${SHARED_DEPLOY}\n` }) } },
      'octo-org/shared': shared({ [wf('deploy')]: workflow('on: workflow_call\n', { sign: `permissions:\n  id-token: write\n  models: read\n${RUN}` }) }),
    },
    findings: [],
  },
  {
    name: 'a grant passes through a workflow that sets no permissions',
    repos: {
      'octo-org/app': { files: { [CI]: workflow('on: push\n', { call: `permissions:\n  contents: write\nuses: ${SHARED_BUILD}\n` }) } },
      'octo-org/shared': shared({ [wf('build')]: workflow('on: workflow_call\n', { publish: `uses: ${LIB_PUBLISH}\n` }) }),
      'octo-org/lib': { ...PUBLIC_REPO, files: { [wf('publish')]: workflow('on: workflow_call\n', { publish: `permissions:\n  contents: write\n${RUN}` }) } },
    },
    findings: [],
  },
  {
    name: 'severity off reports nothing',
    repos: {
      'octo-org/app': { files: { [CI]: workflow('on: push\n', { call: `permissions: {}\nuses: ${SHARED_DEPLOY}\n` }) } },
      'octo-org/shared': shared({ [wf('deploy')]: workflow('on: workflow_call\npermissions: write-all\n', { deploy: RUN }) }),
    },
    policy: 'version: 1\nrules:\n  permissions:\n    severity: off\n',
    findings: [],
  },
];

const invalid: Case[] = [
  {
    name: 'workflow-level and job-level requests above the calling job’s grant; the fix is the block it needs',
    repos: {
      'octo-org/app': {
        files: { [CI]: workflow('on: push\n', { call: `permissions:\n  contents: read\n  issues: write\nuses: ${SHARED_DEPLOY}\n` }) },
      },
      'octo-org/shared': shared({
        [wf('deploy')]: workflow('on: workflow_call\npermissions:\n  packages: write\n', {
          deploy: `permissions:\n  contents: write\n${RUN}`,
          lint: `permissions:\n  contents: read\n${RUN}`,
        }),
      }),
    },
    findings: [
      {
        ruleId: 'permissions',
        severity: 'error',
        message:
          `${SHARED_DEPLOY} asks for more GITHUB_TOKEN permissions than job call grants: packages: write requested by the workflow, caller grants packages: none; ` +
          `contents: write requested by job deploy, caller grants contents: read. ${RULE}.`,
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'call', key: 'permissions' },
        chain: [SHARED_DEPLOY],
        fix: { kind: 'job-permissions', node: placeholderNode('octo-org/app', 'ci'), jobId: 'call', permissions: { contents: 'write', issues: 'write', packages: 'write' } },
        mentions: ['octo-org/app', 'octo-org/shared'],
      },
    ],
  },
  {
    name: 'a grant from the caller workflow: the finding is at the job, the fix keeps what the workflow granted',
    repos: {
      'octo-org/app': { files: { [CI]: workflow('on: push\npermissions:\n  contents: read\n  issues: write\n', { call: `uses: ${SHARED_DEPLOY}\n` }) } },
      'octo-org/shared': shared({ [wf('deploy')]: workflow('on: workflow_call\n', { deploy: `permissions:\n  contents: write\n${RUN}` }) }),
    },
    policy: 'version: 1\nrules:\n  permissions:\n    severity: warning\n',
    findings: [
      {
        ruleId: 'permissions',
        severity: 'warning',
        message: `${SHARED_DEPLOY} asks for more GITHUB_TOKEN permissions than job call grants: contents: write requested by job deploy, caller grants contents: read. ${RULE}.`,
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'call' },
        chain: [SHARED_DEPLOY],
        fix: { kind: 'job-permissions', node: placeholderNode('octo-org/app', 'ci'), jobId: 'call', permissions: { contents: 'write', issues: 'write' } },
        mentions: ['octo-org/app', 'octo-org/shared'],
      },
    ],
  },
  {
    name: 'read-all asked of a map grant is named as written',
    repos: {
      'octo-org/app': { files: { [CI]: workflow('on: push\n', { call: `permissions:\n  contents: read\nuses: ${SHARED_DEPLOY}\n` }) } },
      'octo-org/shared': shared({ [wf('deploy')]: workflow('on: workflow_call\npermissions: read-all\n', { deploy: RUN }) }),
    },
    findings: [
      {
        ruleId: 'permissions',
        severity: 'error',
        message: `${SHARED_DEPLOY} asks for more GITHUB_TOKEN permissions than job call grants: read-all requested by the workflow, caller grants contents: read. ${RULE}.`,
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'call', key: 'permissions' },
        chain: [SHARED_DEPLOY],
        fix: {
          kind: 'job-permissions',
          node: placeholderNode('octo-org/app', 'ci'),
          jobId: 'call',
          permissions: {
            actions: 'read',
            'artifact-metadata': 'read',
            attestations: 'read',
            checks: 'read',
            'code-quality': 'read',
            contents: 'read',
            deployments: 'read',
            discussions: 'read',
            issues: 'read',
            models: 'read',
            packages: 'read',
            pages: 'read',
            'pull-requests': 'read',
            'repository-projects': 'read',
            'security-events': 'read',
            statuses: 'read',
            'vulnerability-alerts': 'read',
          },
        },
        mentions: ['octo-org/app', 'octo-org/shared'],
      },
    ],
  },
  {
    name: '{} grants nothing: id-token: write fails; unknown scopes are compared as written; write-all never gives models: write',
    repos: {
      'octo-org/app': {
        files: {
          [CI]: workflow('on: push\n', {
            none: `permissions: {}\nuses: ${SHARED_DEPLOY}\n`,
            all: `permissions: write-all\nuses: octo-org/shared/.github/workflows/infer.yml@v1\n`,
          }),
        },
      },
      'octo-org/shared': shared({
        [wf('deploy')]: workflow('on: workflow_call\n', { sign: `permissions:\n  id-token: write\n  workflows: write\n${RUN}` }),
        [wf('infer')]: workflow('on: workflow_call\n', { infer: `permissions:\n  models: write\n${RUN}` }),
      }),
    },
    findings: [
      {
        ruleId: 'permissions',
        severity: 'error',
        message:
          `${SHARED_DEPLOY} asks for more GITHUB_TOKEN permissions than job none grants: id-token: write requested by job sign, caller grants id-token: none; ` +
          `workflows: write requested by job sign, caller grants workflows: none. ${RULE}.`,
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'none', key: 'permissions' },
        chain: [SHARED_DEPLOY],
        fix: { kind: 'job-permissions', node: placeholderNode('octo-org/app', 'ci'), jobId: 'none', permissions: { 'id-token': 'write', workflows: 'write' } },
        mentions: ['octo-org/app', 'octo-org/shared'],
      },
      {
        ruleId: 'permissions',
        severity: 'error',
        message:
          'octo-org/shared/.github/workflows/infer.yml@v1 asks for more GITHUB_TOKEN permissions than job all grants: ' +
          `models: write requested by job infer, which GitHub never grants (models takes read or none). ${RULE}.`,
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'all', key: 'permissions' },
        chain: ['octo-org/shared/.github/workflows/infer.yml@v1'],
        mentions: ['octo-org/app', 'octo-org/shared'],
      },
    ],
  },
  {
    name: 'two levels down: the top-level job’s grant limits a workflow that the intermediate one passes it to',
    repos: {
      'octo-org/app': { files: { [CI]: workflow('on: push\n', { call: `permissions:\n  contents: read\nuses: ${SHARED_BUILD}\n` }) } },
      'octo-org/shared': shared({ [wf('build')]: workflow('on: workflow_call\n', { publish: `uses: ${LIB_PUBLISH}\n` }) }),
      'octo-org/lib': { ...PUBLIC_REPO, files: { [wf('publish')]: workflow('on: workflow_call\n', { publish: `permissions:\n  contents: write\n${RUN}` }) } },
    },
    findings: [
      {
        ruleId: 'permissions',
        severity: 'error',
        message:
          `${LIB_PUBLISH} (called by job publish in ${SHARED_BUILD}) asks for more GITHUB_TOKEN permissions than its caller can grant: ` +
          `contents: write requested by job publish, caller grants contents: read. ${RULE}: job call of octo-org/app/${CI}@{octo-org/app} must grant more, ` +
          'or the called workflow must ask for less.',
        location: { node: placeholderNode('octo-org/shared', 'build'), jobId: 'publish' },
        chain: [SHARED_BUILD, LIB_PUBLISH],
        mentions: ['octo-org/app', 'octo-org/shared', 'octo-org/lib'],
      },
    ],
  },
  {
    name: 'an intermediate job cannot elevate: reported at its own call, and the grant below stays the smaller one',
    repos: {
      'octo-org/app': { files: { [CI]: workflow('on: push\n', { call: `permissions:\n  contents: read\nuses: ${SHARED_BUILD}\n` }) } },
      'octo-org/shared': shared({ [wf('build')]: workflow('on: workflow_call\n', { publish: `permissions:\n  contents: write\nuses: ${LIB_PUBLISH}\n` }) }),
      'octo-org/lib': { ...PUBLIC_REPO, files: { [wf('publish')]: workflow('on: workflow_call\npermissions:\n  contents: write\n', { publish: RUN }) } },
    },
    findings: [
      {
        ruleId: 'permissions',
        severity: 'error',
        message: `${SHARED_BUILD} asks for more GITHUB_TOKEN permissions than job call grants: contents: write requested by job publish, caller grants contents: read. ${RULE}.`,
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'call', key: 'permissions' },
        chain: [SHARED_BUILD],
        fix: { kind: 'job-permissions', node: placeholderNode('octo-org/app', 'ci'), jobId: 'call', permissions: { contents: 'write' } },
        mentions: ['octo-org/app', 'octo-org/shared'],
      },
      {
        ruleId: 'permissions',
        severity: 'error',
        message:
          `${LIB_PUBLISH} (called by job publish in ${SHARED_BUILD}) asks for more GITHUB_TOKEN permissions than its caller can grant: ` +
          `contents: write requested by the workflow, caller grants contents: read. ${RULE}: job call of octo-org/app/${CI}@{octo-org/app} must grant more, ` +
          'or the called workflow must ask for less.',
        location: { node: placeholderNode('octo-org/shared', 'build'), jobId: 'publish', key: 'permissions' },
        chain: [SHARED_BUILD, LIB_PUBLISH],
        mentions: ['octo-org/app', 'octo-org/shared', 'octo-org/lib'],
      },
    ],
  },
  {
    name: 'the same workflow reached through a narrower grant on a longer chain is checked under that grant too',
    repos: {
      'octo-org/app': {
        files: {
          [CI]: workflow('on: push\n', {
            wide: `permissions:\n  contents: write\nuses: ${SHARED_DEPLOY}\n`,
            narrow: `permissions:\n  contents: read\nuses: ${SHARED_BUILD}\n`,
          }),
        },
      },
      'octo-org/shared': shared({
        [wf('build')]: workflow('on: workflow_call\n', { deploy: 'uses: ./.github/workflows/deploy.yml\n' }),
        [wf('deploy')]: workflow('on: workflow_call\n', { publish: `uses: ${LIB_PUBLISH}\n` }),
      }),
      'octo-org/lib': { ...PUBLIC_REPO, files: { [wf('publish')]: workflow('on: workflow_call\n', { publish: `permissions:\n  contents: write\n${RUN}` }) } },
    },
    findings: [
      {
        ruleId: 'permissions',
        severity: 'error',
        message:
          `${LIB_PUBLISH} (called by job publish in octo-org/shared/${wf('deploy')}@{octo-org/shared}) asks for more GITHUB_TOKEN permissions than its caller can grant: ` +
          `contents: write requested by job publish, caller grants contents: read. ${RULE}: job narrow of octo-org/app/${CI}@{octo-org/app} must grant more, ` +
          'or the called workflow must ask for less.',
        location: { node: placeholderNode('octo-org/shared', 'deploy'), jobId: 'publish' },
        chain: [SHARED_BUILD, './.github/workflows/deploy.yml', LIB_PUBLISH],
        mentions: ['octo-org/app', 'octo-org/shared', 'octo-org/lib'],
      },
    ],
  },
];

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('PermissionsRule', () => {
  describe('valid', () => {
    it.each(valid)('$name', async ({ repos, policy, findings }) => {
      const run = await evaluateRule(PermissionsRule, { repos, policy });
      expect(withCommitPlaceholders(run.findings, run.world.commits)).toEqual(findings);
    });
  });

  describe('invalid', () => {
    it.each(invalid)('$name', async ({ repos, policy, findings }) => {
      const run = await evaluateRule(PermissionsRule, { repos, policy });
      expect(withCommitPlaceholders(run.findings, run.world.commits)).toEqual(findings);
    });
  });

  it('does not throw on broken graphs, and stops on loops', async () => {
    const { findings, world, graph } = await evaluateRule(PermissionsRule, {
      repos: {
        'octo-org/app': {
          files: {
            [CI]: workflow('on: push\npermissions:\n  contents: read\n', {
              missing: 'uses: octo-org/shared/.github/workflows/missing.yml@v1\n',
              broken: 'uses: octo-org/shared/.github/workflows/broken.yml@v1\n',
              sub: 'uses: octo-org/shared/.github/workflows/ci/build.yml@v1\n',
              gone: 'uses: ghost/gone/.github/workflows/build.yml@v1\n',
              loop: 'uses: ./.github/workflows/loop.yml\n',
            }),
            [wf('loop')]: workflow('on: workflow_call\n', { again: 'permissions:\n  contents: write\nuses: ./.github/workflows/loop.yml\n' }),
          },
        },
        'octo-org/shared': shared({ [wf('broken')]: 'on: workflow_call\npermissions: [\n' }),
      },
    });
    expect(graph.nodes.get(graph.edges[1]!.to!)?.workflow?.diagnostics.length).toBeGreaterThan(0);
    const loop = placeholderNode('octo-org/app', 'loop');
    const grant = `${RULE}`;
    expect(withCommitPlaceholders(findings, world.commits)).toEqual([
      {
        ruleId: 'permissions',
        severity: 'error',
        message: `./.github/workflows/loop.yml asks for more GITHUB_TOKEN permissions than job loop grants: contents: write requested by job again, caller grants contents: read. ${grant}.`,
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'loop' },
        chain: ['./.github/workflows/loop.yml'],
        fix: { kind: 'job-permissions', node: placeholderNode('octo-org/app', 'ci'), jobId: 'loop', permissions: { contents: 'write' } },
        mentions: ['octo-org/app'],
      },
      {
        ruleId: 'permissions',
        severity: 'error',
        message:
          `./.github/workflows/loop.yml (called by job again in octo-org/app/${wf('loop')}@{octo-org/app}) asks for more GITHUB_TOKEN permissions than its caller can grant: ` +
          `contents: write requested by job again, caller grants contents: read. ${grant}: the permissions of octo-org/app/${CI}@{octo-org/app} must grant more, ` +
          'or the called workflow must ask for less.',
        location: { node: loop, jobId: 'again', key: 'permissions' },
        chain: ['./.github/workflows/loop.yml', './.github/workflows/loop.yml'],
        mentions: ['octo-org/app'],
      },
    ]);
  });
});

// ---- Hostile graphs: the rule's work and output stay bounded -----------------------------------------

/** `custom-01`, `custom-02`…: scope names GitHub does not know, compared as written. */
const custom = (index: number): string => `custom-${String(index).padStart(2, '0')}`;
const numbered = <T>(count: number, name: (index: number) => T): T[] => Array.from({ length: count }, (_, index) => name(index + 1));
/** A `permissions:` block giving every scope of `scopes` write, but `low` read. */
const allWriteBut = (scopes: readonly string[], low: string): string =>
  `permissions:\n${scopes.map((scope) => `  ${scope}: ${scope === low ? 'read' : 'write'}\n`).join('')}`;
/** Room for the long graphs below: GitHub's own limits are the `platform-limits` rule's business. */
const ROOMY = { maxLevels: 60, maxUnique: 60 };
const w = (index: number): string => `w${String(index).padStart(2, '0')}`;
const x = (level: number, side: string): string => `${side}${String(level).padStart(2, '0')}`;

/**
 * ci.yml (write-all) → w01 → w02 → … → w{length}, all `./` calls. Every workflow calls the next twice: job `wide`
 * grants write-all, job `narrow` every custom scope at write but its own at read; and every workflow but the first
 * asks for the previous one's scope at write. 2^(k-1) different grants reach w{k}: a walk per (workflow, grant) is
 * exponential. A grant only differs from another below a job that asks for more than it is given, so every
 * call below w01's is reported (its callee's jobs ask for write) except w01's `wide` and w39's `wide`: 76 calls.
 */
function hostileChain(length: number): Record<string, RepoSpec> {
  const scopes = numbered(length, custom);
  const files: Record<string, string> = { [CI]: workflow('on: push\n', { call: `permissions: write-all\nuses: ./.github/workflows/${w(1)}.yml\n` }) };
  for (let index = 1; index <= length; index++) {
    const next = `uses: ./.github/workflows/${w(index + 1)}.yml\n`;
    files[wf(w(index))] = workflow('on: workflow_call\n', {
      ...(index > 1 && { ask: `permissions:\n  ${custom(index - 1)}: write\n${RUN}` }),
      ...(index < length && { wide: `permissions: write-all\n${next}`, narrow: `${allWriteBut(scopes, custom(index))}${next}` }),
    });
  }
  return { 'octo-org/app': { files } };
}

/**
 * A lattice of `levels` levels of two workflows, x{k} and y{k}; ci.yml calls x01 and y01 with write-all, and each
 * workflow calls both of the next level, job `tox` or `toy` granting every scope at write but its own
 * (`lvl-{k}-{from}{to}`) at read: 4^(k-1) chains reach each workflow of level k. x{k} asks for `lvl-{k-1}-xx`, y{k}
 * for `lvl-{k-1}-yy`, and the last x also for `lvl-01-xy`, which only x01's `toy` narrows. Every call between two
 * levels that both call on is reported (the callee's calling jobs ask for write); into the last level, the x → x
 * and y → y calls, and y → x too, since every chain to y11 passes through a narrowed `lvl-01-xy`: 43 calls.
 */
function diamondLattice(levels: number): Record<string, RepoSpec> {
  const scope = (level: number, from: string, to: string): string => `lvl-${String(level).padStart(2, '0')}-${from}${to}`;
  const scopes = Array.from({ length: levels - 1 }, (_, index) => ['xx', 'xy', 'yx', 'yy'].map(([from = '', to = '']) => scope(index + 1, from, to))).flat();
  const root = (side: string): string => `permissions: write-all\nuses: ./.github/workflows/${x(1, side)}.yml\n`;
  const files: Record<string, string> = { [CI]: workflow('on: push\n', { x: root('x'), y: root('y') }) };
  for (let level = 1; level <= levels; level++) {
    for (const side of ['x', 'y']) {
      const asks = level > 1 ? [scope(level - 1, side, side), ...(level === levels && side === 'x' ? [scope(1, 'x', 'y')] : [])] : [];
      const call = (to: string): string => `${allWriteBut(scopes, scope(level, side, to))}uses: ./.github/workflows/${x(level + 1, to)}.yml\n`;
      files[wf(x(level, side))] = workflow('on: workflow_call\n', {
        ...(asks.length > 0 && { ask: `permissions:\n${asks.map((name) => `  ${name}: write\n`).join('')}${RUN}` }),
        ...(level < levels && { tox: call('x'), toy: call('y') }),
      });
    }
  }
  return { 'octo-org/app': { files } };
}

const app = (name: string): string => `octo-org/app/${wf(name)}@{octo-org/app}`;
const callOf = (finding: FindingView): string => `${finding.location.node.split('@')[0]?.split('/').pop()?.replace('.yml', '') ?? ''} ${finding.location.jobId ?? ''}`;

describe('PermissionsRule on hostile graphs', () => {
  it('a chain of 40 workflows, each narrowing a new custom scope: one finding per call that gives too little', async () => {
    const { findings, world } = await evaluateRule(PermissionsRule, { repos: hostileChain(40), limits: ROOMY });
    const views = withCommitPlaceholders(findings, world.commits);

    expect(views.map(callOf)).toEqual([`${w(1)} narrow`, ...numbered(37, (index) => [`${w(index + 1)} wide`, `${w(index + 1)} narrow`]).flat(), `${w(39)} narrow`]);
    // The chain named is one that gives the binding read: wide calls down to the narrow one. The grant is cut at 10 scopes.
    const others = numbered(9, (index) => custom(index + 1)).map((scope) => `${scope}: write`);
    expect(views[0]).toEqual({
      ruleId: 'permissions',
      severity: 'error',
      message:
        `./.github/workflows/${w(2)}.yml (called by job narrow in ${app(w(1))}) asks for more GITHUB_TOKEN permissions than its caller can grant: ` +
        `${custom(1)}: write requested by job ask, caller grants ${custom(1)}: read; ` +
        `write-all requested by job wide, caller grants ${custom(1)}: read, ${others.join(', ')}, and 30 more; ` +
        `${custom(1)}: write requested by job narrow, caller grants ${custom(1)}: read. ${RULE}: job narrow of ${app(w(1))} must grant more, ` +
        'or the called workflow must ask for less.',
      location: { node: placeholderNode('octo-org/app', w(1)), jobId: 'narrow', key: 'permissions' },
      chain: [`./.github/workflows/${w(1)}.yml`, `./.github/workflows/${w(2)}.yml`],
      mentions: ['octo-org/app'],
    });
    // 22 scopes given too little into w21: 10 listed.
    const deep = views.find((finding) => callOf(finding) === `${w(20)} narrow`);
    const reads = numbered(10, custom).map((scope) => `${scope}: read`);
    const narrowed = numbered(8, custom).map((scope) => `${scope}: write requested by job narrow, caller grants ${scope}: read`);
    expect(deep?.message).toBe(
      `./.github/workflows/${w(21)}.yml (called by job narrow in ${app(w(20))}) asks for more GITHUB_TOKEN permissions than its caller can grant: ` +
        `${custom(20)}: write requested by job ask, caller grants ${custom(20)}: read; write-all requested by job wide, caller grants ${reads.join(', ')}, and 30 more; ` +
        `${narrowed.join('; ')}; and 12 more. ${RULE}: job narrow of ${app(w(20))} must grant more, or the called workflow must ask for less.`,
    );
    expect(deep?.chain).toEqual(numbered(21, (index) => `./.github/workflows/${w(index)}.yml`));
  });

  it('a diamond lattice: the grant of a workflow is the meet over every chain, reported once per call with one chain that binds', async () => {
    const { findings, world, graph } = await evaluateRule(PermissionsRule, { repos: diamondLattice(12), limits: ROOMY });
    const views = withCommitPlaceholders(findings, world.commits);

    expect(graph.nodes.size).toBe(25);
    const between = numbered(10, (level) => ['x', 'y'].flatMap((side) => [`${x(level, side)} tox`, `${x(level, side)} toy`])).flat();
    expect(views.map(callOf).sort()).toEqual([...between, `${x(11, 'x')} tox`, `${x(11, 'y')} tox`, `${x(11, 'y')} toy`].sort());
    const last = views.find((finding) => callOf(finding) === `${x(11, 'x')} tox`);
    expect(last).toMatchObject({
      message:
        `./.github/workflows/${x(12, 'x')}.yml (called by job tox in ${app(x(11, 'x'))}) asks for more GITHUB_TOKEN permissions than its caller can grant: ` +
        `lvl-01-xy: write requested by job ask, caller grants lvl-01-xy: read; lvl-11-xx: write requested by job ask, caller grants lvl-11-xx: read. ` +
        `${RULE}: job toy of ${app(x(1, 'x'))} and job tox of ${app(x(11, 'x'))} must grant more, or the called workflow must ask for less.`,
      location: { node: placeholderNode('octo-org/app', x(11, 'x')), jobId: 'tox', key: 'permissions' },
    });
    // The chain of the first scope given too little (lvl-01-xy) passes through x01's toy, the only call that narrows it.
    expect(last?.chain.slice(0, 2)).toEqual([`./.github/workflows/${x(1, 'x')}.yml`, `./.github/workflows/${x(2, 'y')}.yml`]);
    expect(last?.chain).toHaveLength(12);
  });

  it('lists at most 10 scopes in one message, and counts the rest', async () => {
    const asked = numbered(13, custom);
    const { findings, world } = await evaluateRule(PermissionsRule, {
      repos: {
        'octo-org/app': { files: { [CI]: workflow('on: push\n', { call: `permissions: {}\nuses: ${SHARED_DEPLOY}\n` }) } },
        'octo-org/shared': shared({ [wf('deploy')]: workflow('on: workflow_call\n', { deploy: `permissions:\n${asked.map((scope) => `  ${scope}: write\n`).join('')}${RUN}` }) }),
      },
    });
    const items = asked.slice(0, 10).map((scope) => `${scope}: write requested by job deploy, caller grants ${scope}: none`);
    expect(withCommitPlaceholders(findings, world.commits)).toEqual([
      {
        ruleId: 'permissions',
        severity: 'error',
        message: `${SHARED_DEPLOY} asks for more GITHUB_TOKEN permissions than job call grants: ${items.join('; ')}; and 3 more. ${RULE}.`,
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'call', key: 'permissions' },
        chain: [SHARED_DEPLOY],
        fix: { kind: 'job-permissions', node: placeholderNode('octo-org/app', 'ci'), jobId: 'call', permissions: Object.fromEntries(asked.map((scope) => [scope, 'write'])) },
        mentions: ['octo-org/app', 'octo-org/shared'],
      },
    ]);
  });

  it('follows at most 50 unknown scope names in grants: a request for one beyond is reported, with no fix', async () => {
    const granted = numbered(60, custom);
    const { findings, world } = await evaluateRule(PermissionsRule, {
      repos: {
        'octo-org/app': {
          files: { [CI]: workflow('on: push\n', { call: `permissions:\n${granted.map((scope) => `  ${scope}: write\n`).join('')}uses: ${SHARED_DEPLOY}\n` }) },
        },
        'octo-org/shared': shared({ [wf('deploy')]: workflow('on: workflow_call\n', { deploy: `permissions:\n  ${custom(5)}: write\n  ${custom(55)}: write\n${RUN}` }) }),
      },
    });
    expect(withCommitPlaceholders(findings, world.commits)).toEqual([
      {
        ruleId: 'permissions',
        severity: 'error',
        message:
          `${SHARED_DEPLOY} asks for more GITHUB_TOKEN permissions than job call grants: ${custom(55)}: write requested by job deploy, ` +
          `which is beyond the 50 unknown scope names this rule follows (GitHub has no such scope). ${RULE}.`,
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'call', key: 'permissions' },
        chain: [SHARED_DEPLOY],
        mentions: ['octo-org/app', 'octo-org/shared'],
      },
    ]);
  });
});
