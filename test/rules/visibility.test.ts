import nock from 'nock';
import { VisibilityRule } from '../../src/rules/visibility.js';
import { CI_ROOT, evaluateGraph, evaluateRule, placeholderNode, withCommitPlaceholders, type FindingView } from '../support/findings.js';
import { buildWorld, graphOf, resolveWorld, type RepoSpec } from '../support/graph.js';
import { callable, caller, wf } from '../support/workflows.js';

const CI = '.github/workflows/ci.yml';
const ACCESS_ROUTE = 'GET /repos/{owner}/{repo}/actions/permissions/access';

interface Case {
  name: string;
  repos: Record<string, RepoSpec>;
  policy?: string;
  findings: FindingView[];
}

const LIB_BUILD = 'octo-org/lib/.github/workflows/build.yml@v1';
const GITHUB_FAILS = 'GitHub fails the whole run when any nested workflow is inaccessible to the initial caller.';

const valid: Case[] = [
  {
    name: 'a private caller may call private, internal and public repositories that share their workflows',
    repos: {
      'octo-org/app': { visibility: 'private', files: { [CI]: caller(LIB_BUILD, 'octo-org/corp/.github/workflows/build.yml@main', 'other/oss/.github/workflows/build.yml@main') } },
      'octo-org/lib': { visibility: 'private', accessLevel: 'organization', files: { [wf('build')]: callable() }, tags: { v1: {} } },
      'octo-org/corp': { visibility: 'internal', accessLevel: 'organization', files: { [wf('build')]: callable() } },
      'other/oss': { visibility: 'public', files: { [wf('build')]: callable() } },
    },
    findings: [],
  },
  {
    name: 'the same repository is always allowed, whatever its access setting',
    repos: {
      'octo-org/app': {
        visibility: 'private',
        accessLevel: 'none',
        files: { [CI]: caller('./.github/workflows/lint.yml', 'octo-org/app/.github/workflows/lint.yml@main'), [wf('lint')]: callable() },
      },
    },
    findings: [],
  },
  {
    name: 'enterprise access is accepted for another owner (membership cannot be checked)',
    repos: {
      'octo-org/app': { visibility: 'internal', files: { [CI]: caller('sister-org/corp/.github/workflows/build.yml@main') } },
      'sister-org/corp': { visibility: 'internal', accessLevel: 'enterprise', files: { [wf('build')]: callable() } },
    },
    findings: [],
  },
  {
    name: 'user access covers repositories of the same owner',
    repos: {
      'octo-org/app': { visibility: 'private', files: { [CI]: caller('octo-org/tools/.github/workflows/build.yml@main') } },
      'octo-org/tools': { visibility: 'private', accessLevel: 'user', files: { [wf('build')]: callable() } },
    },
    findings: [],
  },
  {
    name: 'nested calls are judged against the initial caller, not the intermediate one',
    repos: {
      'octo-org/app': { visibility: 'private', files: { [CI]: caller('octo-org/shared/.github/workflows/build.yml@v1') } },
      'octo-org/shared': { visibility: 'public', files: { [wf('build')]: callable('octo-org/lib/.github/workflows/build.yml@v1') }, tags: { v1: {} } },
      'octo-org/lib': { visibility: 'private', accessLevel: 'organization', files: { [wf('build')]: callable() }, tags: { v1: {} } },
    },
    findings: [],
  },
  {
    name: 'check-access-setting: false leaves the access setting unchecked',
    repos: {
      'octo-org/app': { visibility: 'private', files: { [CI]: caller(LIB_BUILD) } },
      'octo-org/lib': { visibility: 'private', accessLevel: 'none', files: { [wf('build')]: callable() }, tags: { v1: {} } },
    },
    policy: 'version: 1\nrules:\n  visibility:\n    check-access-setting: false\n',
    findings: [],
  },
  {
    name: 'severity off reports nothing',
    repos: {
      'octo-org/app': { visibility: 'public', files: { [CI]: caller(LIB_BUILD) } },
      'octo-org/lib': { visibility: 'private', accessLevel: 'organization', files: { [wf('build')]: callable() }, tags: { v1: {} } },
    },
    policy: 'version: 1\nrules:\n  visibility:\n    severity: off\n',
    findings: [],
  },
];

const invalid: Case[] = [
  {
    name: 'a public caller cannot call a private repository (GitHub’s table)',
    repos: {
      'octo-org/app': { visibility: 'public', files: { [CI]: caller(LIB_BUILD) } },
      'octo-org/lib': { visibility: 'private', accessLevel: 'organization', files: { [wf('build')]: callable() }, tags: { v1: {} } },
    },
    findings: [
      {
        ruleId: 'visibility',
        severity: 'error',
        message: `${LIB_BUILD} is in a private repository, which a top-level workflow in a public repository cannot call. ${GITHUB_FAILS}`,
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'call0', key: 'uses' },
        chain: [LIB_BUILD],
        mentions: ['octo-org/app', 'octo-org/lib'],
      },
    ],
  },
  {
    name: 'an internal caller cannot call a private repository',
    repos: {
      'octo-org/app': { visibility: 'internal', files: { [CI]: caller(LIB_BUILD) } },
      'octo-org/lib': { visibility: 'private', accessLevel: 'organization', files: { [wf('build')]: callable() }, tags: { v1: {} } },
    },
    findings: [
      {
        ruleId: 'visibility',
        severity: 'error',
        message: `${LIB_BUILD} is in a private repository, which a top-level workflow in an internal repository cannot call. ${GITHUB_FAILS}`,
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'call0', key: 'uses' },
        chain: [LIB_BUILD],
        mentions: ['octo-org/app', 'octo-org/lib'],
      },
    ],
  },
  {
    name: 'the policy tightens GitHub’s table',
    repos: {
      'octo-org/app': { visibility: 'private', files: { [CI]: caller('octo-org/corp/.github/workflows/build.yml@main') } },
      'octo-org/corp': { visibility: 'internal', accessLevel: 'organization', files: { [wf('build')]: callable() } },
    },
    policy: 'version: 1\nrules:\n  visibility:\n    allow: { private: [private, public] }\n',
    findings: [
      {
        ruleId: 'visibility',
        severity: 'error',
        message:
          'octo-org/corp/.github/workflows/build.yml@main is in an internal repository; the policy lets top-level workflows in private repositories call only private and public repositories.',
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'call0', key: 'uses' },
        chain: ['octo-org/corp/.github/workflows/build.yml@main'],
        mentions: ['octo-org/app', 'octo-org/corp'],
      },
    ],
  },
  {
    name: 'access none: not shared at all; the fix names the setting, its value and page',
    repos: {
      'octo-org/app': { visibility: 'private', files: { [CI]: caller(LIB_BUILD) } },
      'octo-org/lib': { visibility: 'private', accessLevel: 'none', files: { [wf('build')]: callable() }, tags: { v1: {} } },
    },
    policy: 'version: 1\nrules:\n  visibility:\n    severity: warning\n',
    findings: [
      {
        ruleId: 'visibility',
        severity: 'warning',
        message: `${LIB_BUILD} is in octo-org/lib, whose Actions access setting is none: no workflow outside it may call it, so GitHub fails the run.`,
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'call0', key: 'uses' },
        chain: [LIB_BUILD],
        fix: {
          kind: 'repository-setting',
          repo: { owner: 'octo-org', name: 'lib' },
          setting: 'Actions access',
          value: 'organization',
          url: 'https://github.com/octo-org/lib/settings/actions',
        },
        mentions: ['octo-org/app', 'octo-org/lib'],
      },
    ],
  },
  {
    name: 'access organization does not cover another owner; enterprise is the only setting that could',
    repos: {
      'octo-org/app': { visibility: 'private', files: { [CI]: caller('partner/lib/.github/workflows/build.yml@main') } },
      'partner/lib': { visibility: 'private', accessLevel: 'organization', files: { [wf('build')]: callable() } },
    },
    findings: [
      {
        ruleId: 'visibility',
        severity: 'error',
        message:
          'partner/lib/.github/workflows/build.yml@main is in partner/lib, whose Actions access setting shares its workflows only within partner, not with octo-org/app, so GitHub fails the run. ' +
          'Setting it to enterprise helps only if both organizations belong to the same enterprise.',
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'call0', key: 'uses' },
        chain: ['partner/lib/.github/workflows/build.yml@main'],
        fix: {
          kind: 'repository-setting',
          repo: { owner: 'partner', name: 'lib' },
          setting: 'Actions access',
          value: 'enterprise',
          url: 'https://github.com/partner/lib/settings/actions',
        },
        mentions: ['octo-org/app', 'partner/lib'],
      },
    ],
  },
  {
    name: 'access user does not cover another owner, and no setting would',
    repos: {
      'octo-org/app': { visibility: 'private', files: { [CI]: caller('octocat/tools/.github/workflows/build.yml@main') } },
      'octocat/tools': { visibility: 'private', accessLevel: 'user', files: { [wf('build')]: callable() } },
    },
    findings: [
      {
        ruleId: 'visibility',
        severity: 'error',
        message:
          'octocat/tools/.github/workflows/build.yml@main is in octocat/tools, whose Actions access setting shares its workflows only with repositories of octocat, not with octo-org/app, so GitHub fails the run.',
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'call0', key: 'uses' },
        chain: ['octocat/tools/.github/workflows/build.yml@main'],
        mentions: ['octo-org/app', 'octocat/tools'],
      },
    ],
  },
  {
    name: 'two levels down: a public top-level file reaches a private workflow through a public one',
    repos: {
      'octo-org/app': { visibility: 'public', files: { [CI]: caller('octo-org/shared/.github/workflows/build.yml@v1') } },
      'octo-org/shared': { visibility: 'public', files: { [wf('build')]: callable('octo-org/lib/.github/workflows/deploy.yml@main') }, tags: { v1: {} } },
      'octo-org/lib': { visibility: 'private', accessLevel: 'organization', files: { [wf('deploy')]: callable() } },
    },
    findings: [
      {
        ruleId: 'visibility',
        severity: 'error',
        message:
          'octo-org/lib/.github/workflows/deploy.yml@main (called by job call0 in octo-org/shared/.github/workflows/build.yml@v1) is in a private repository, ' +
          `which a top-level workflow in a public repository cannot call. ${GITHUB_FAILS}`,
        location: { node: placeholderNode('octo-org/shared', 'build'), jobId: 'call0', key: 'uses' },
        chain: ['octo-org/shared/.github/workflows/build.yml@v1', 'octo-org/lib/.github/workflows/deploy.yml@main'],
        mentions: ['octo-org/app', 'octo-org/shared', 'octo-org/lib'],
      },
    ],
  },
  {
    name: 'three levels: a ./ call inside another owner’s private repository is judged against the initial caller',
    repos: {
      'octo-org/app': { visibility: 'private', files: { [CI]: caller('partner/shared/.github/workflows/build.yml@v1') } },
      'partner/shared': { visibility: 'private', accessLevel: 'enterprise', files: { [wf('build')]: callable('partner/lib/.github/workflows/deploy.yml@main') }, tags: { v1: {} } },
      'partner/lib': { visibility: 'private', accessLevel: 'organization', files: { [wf('deploy')]: callable('./.github/workflows/step.yml'), [wf('step')]: callable() } },
    },
    findings: [
      {
        ruleId: 'visibility',
        severity: 'error',
        message:
          'partner/lib/.github/workflows/deploy.yml@main (called by job call0 in partner/shared/.github/workflows/build.yml@v1) is in partner/lib, whose Actions access setting shares its workflows only within partner, not with octo-org/app, so GitHub fails the run. ' +
          'Setting it to enterprise helps only if both organizations belong to the same enterprise.',
        location: { node: placeholderNode('partner/shared', 'build'), jobId: 'call0', key: 'uses' },
        chain: ['partner/shared/.github/workflows/build.yml@v1', 'partner/lib/.github/workflows/deploy.yml@main'],
        fix: {
          kind: 'repository-setting',
          repo: { owner: 'partner', name: 'lib' },
          setting: 'Actions access',
          value: 'enterprise',
          url: 'https://github.com/partner/lib/settings/actions',
        },
        mentions: ['octo-org/app', 'partner/shared', 'partner/lib'],
      },
      {
        ruleId: 'visibility',
        severity: 'error',
        message:
          './.github/workflows/step.yml (called by job call0 in partner/lib/.github/workflows/deploy.yml@main) is in partner/lib, whose Actions access setting shares its workflows only within partner, not with octo-org/app, so GitHub fails the run. ' +
          'Setting it to enterprise helps only if both organizations belong to the same enterprise.',
        location: { node: placeholderNode('partner/lib', 'deploy'), jobId: 'call0', key: 'uses' },
        chain: ['partner/shared/.github/workflows/build.yml@v1', 'partner/lib/.github/workflows/deploy.yml@main', './.github/workflows/step.yml'],
        fix: {
          kind: 'repository-setting',
          repo: { owner: 'partner', name: 'lib' },
          setting: 'Actions access',
          value: 'enterprise',
          url: 'https://github.com/partner/lib/settings/actions',
        },
        mentions: ['octo-org/app', 'partner/shared', 'partner/lib'],
      },
    ],
  },
];

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('VisibilityRule', () => {
  describe('valid', () => {
    it.each(valid)('$name', async ({ repos, policy, findings }) => {
      const run = await evaluateRule(VisibilityRule, { repos, policy });
      expect(withCommitPlaceholders(run.findings, run.world.commits)).toEqual(findings);
    });
  });

  describe('invalid', () => {
    it.each(invalid)('$name', async ({ repos, policy, findings }) => {
      const run = await evaluateRule(VisibilityRule, { repos, policy });
      expect(withCommitPlaceholders(run.findings, run.world.commits)).toEqual(findings);
    });
  });

  it('warns when the access setting could not be read, with the reason and the setting to check', async () => {
    const world = buildWorld({
      'octo-org/app': { visibility: 'private', files: { [CI]: caller(LIB_BUILD) } },
      'octo-org/lib': { visibility: 'private', accessLevel: 'organization', files: { [wf('build')]: callable() }, tags: { v1: {} } },
    });
    world.gh.inject(ACCESS_ROUTE, { status: 403, body: { message: 'Resource not accessible by integration' } });
    const graph = await resolveWorld(world, [CI_ROOT]);
    expect(withCommitPlaceholders(evaluateGraph(VisibilityRule, graph), world.commits)).toEqual([
      {
        ruleId: 'visibility',
        severity: 'warning',
        message:
          `Could not verify that ${LIB_BUILD} is shared with octo-org/app: The Actions access setting of octo-org/lib is not readable by the app. ` +
          'GitHub fails the run unless the Actions access setting of octo-org/lib covers the caller.',
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'call0', key: 'uses' },
        chain: [LIB_BUILD],
        fix: {
          kind: 'repository-setting',
          repo: { owner: 'octo-org', name: 'lib' },
          setting: 'Actions access',
          value: 'organization',
          url: 'https://github.com/octo-org/lib/settings/actions',
        },
        mentions: ['octo-org/app', 'octo-org/lib'],
      },
    ]);
  });

  it('points the fix at the Enterprise Server host the graph was resolved on', async () => {
    const { graph } = await graphOf(
      {
        'octo-org/app': { visibility: 'internal', files: { [CI]: caller('octo-org/corp/.github/workflows/build.yml@main') } },
        'octo-org/corp': { visibility: 'internal', accessLevel: 'none', files: { [wf('build')]: callable() } },
      },
      [CI_ROOT],
    );
    const [finding] = evaluateGraph(VisibilityRule, { ...graph, host: 'ghe.example.com' });
    expect(finding?.fix).toEqual({
      kind: 'repository-setting',
      repo: { owner: 'octo-org', name: 'corp' },
      setting: 'Actions access',
      value: 'organization',
      url: 'https://ghe.example.com/octo-org/corp/settings/actions',
    });
  });

  it('does not throw on broken graphs and judges only what it can', async () => {
    const { findings, world, graph } = await evaluateRule(VisibilityRule, {
      repos: {
        'octo-org/app': {
          visibility: 'public',
          files: {
            [CI]: caller(
              'octo-org/lib/.github/workflows/missing.yml@main',
              'ghost/gone/.github/workflows/build.yml@v1',
              'octo-org/oss/.github/workflows/ci/build.yml@v1',
              'octo-org/oss/.github/workflows/broken.yml@main',
              '${{ inputs.target }}',
              './.github/workflows/loop.yml',
            ),
            [wf('loop')]: callable('./.github/workflows/loop.yml'),
          },
        },
        'octo-org/lib': { visibility: 'private', accessLevel: 'organization', files: {} },
        'octo-org/oss': { visibility: 'public', files: { [wf('broken')]: 'on: workflow_call\njobs: [\n' } },
      },
    });
    expect(graph.edges.map((edge) => edge.error?.kind ?? edge.uses.reference.kind)).toEqual([
      'file-not-found',
      'repo-not-found',
      'invalid',
      'remote-workflow',
      'invalid',
      'local-workflow',
      'local-workflow',
    ]);
    // The missing file still sits in a private repository the public caller cannot use.
    expect(withCommitPlaceholders(findings, world.commits)).toEqual([
      {
        ruleId: 'visibility',
        severity: 'error',
        message: `octo-org/lib/.github/workflows/missing.yml@main is in a private repository, which a top-level workflow in a public repository cannot call. ${GITHUB_FAILS}`,
        location: { node: placeholderNode('octo-org/app', 'ci'), jobId: 'call0', key: 'uses' },
        chain: ['octo-org/lib/.github/workflows/missing.yml@main'],
        mentions: ['octo-org/app', 'octo-org/lib'],
      },
    ]);
  });
});
