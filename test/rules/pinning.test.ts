import nock from 'nock';
import { evaluatePolicy } from '../../src/engine/evaluate.js';
import type { Evaluation, Fix, RefFacts } from '../../src/engine/types.js';
import { mostSpecificTag, PinningRule } from '../../src/rules/pinning.js';
import { FakeGitHub } from '../support/fake-github.js';
import { evaluateGraph, nodeAt, ruleTable, type Commits, type FindingView } from '../support/findings.js';
import { buildWorld, resolveWorld, type RepoSpec } from '../support/graph.js';
import { policyFrom } from '../support/policy.js';
import { callable, caller, wf } from '../support/workflows.js';

const APP = 'octo-org/app';
const LIB = 'other/lib';
const SHARED = 'octo-org/shared';
const CI = '.github/workflows/ci.yml';
const TEST = '.github/workflows/test.yml';

/** Facts for one repository, as the online gathering would hand them to the rules. */
function facts(repo: string, tagsByCommit: [string, string[]][], reachable: [string, boolean][]): Map<string, RefFacts> {
  return new Map([[repo, { tagsByCommit: new Map(tagsByCommit), reachable: new Map(reachable) }]]);
}

interface Case {
  name: string;
  /** Called repositories, built first so callers can pin their commits. */
  callees: Record<string, RepoSpec>;
  /** More commits made after the callees (impostors), by name. */
  extra?: (gh: FakeGitHub, commits: Commits) => Commits;
  /** The top-level file of octo-org/app, given every commit. */
  ci: (commits: Commits) => string;
  policy?: string;
  refFacts?: (commits: Commits) => Map<string, RefFacts>;
  expected: (commits: Commits, gh: FakeGitHub) => FindingView[];
}

async function run(entry: Pick<Case, 'callees' | 'extra' | 'ci' | 'policy' | 'refFacts'>, roots = [`${APP}:${CI}`]) {
  const gh = new FakeGitHub();
  const called = buildWorld(entry.callees, gh).commits;
  const commits: Commits = { ...called, ...entry.extra?.(gh, called) };
  const app = buildWorld({ [APP]: { files: { [CI]: entry.ci(commits), [wf('lint')]: callable(), [wf('broken')]: 'on: workflow_call\njobs:\n  a: [unclosed\n', [wf('bad')]: 'jobs: [\n' } } }, gh);
  Object.assign(commits, app.commits);
  const graph = await resolveWorld({ gh, commits }, roots);
  const findings = evaluateGraph(PinningRule, graph, { policy: entry.policy ?? POLICY, refFacts: entry.refFacts?.(commits) });
  return { findings, commits, gh };
}

const POLICY = 'version: 1\nrules:\n  pinning:\n    require: sha\n    scope: external\n    verify: true\n';
const policyWith = (options: string): string => `version: 1\nrules:\n  pinning:\n${options}`;

const RELEASES = 'other/releases';
/** Each called repository has one commit on main: other/lib's is tagged v1, v1.2 and v1.2.3, other/releases' v2.0.0 (annotated). */
const CALLEES: Record<string, RepoSpec> = {
  [LIB]: { files: { [TEST]: callable() }, tags: { v1: {}, 'v1.2': {}, 'v1.2.3': {} } },
  [RELEASES]: { files: { [TEST]: callable() }, tags: { 'v2.0.0-rc.1': {}, 'v2.0.0': { annotated: true }, v2: {} } },
  [SHARED]: { files: { [wf('build')]: callable(`${LIB}/${TEST}@v1`) }, tags: { v1: {} } },
};
const LIB_TAGS = ['v1', 'v1.2.3', 'v1.2'];
const libFacts = (reachable: boolean) => (commits: Commits) => facts('other/lib', [[commits[LIB]!, LIB_TAGS]], [[commits[LIB]!, reachable]]);

const RERUN = 'a re-run of all jobs runs whatever it points to then.';
const UNVERIFIED_FIX = 'Pin a commit on the default branch of other/lib or one a tag points at, or re-run the check if GitHub failed.';

const valid: Case[] = [
  {
    name: 'a full SHA, reachable, with a comment naming a tag at that commit',
    callees: CALLEES,
    ci: (c) => caller(`${LIB}/${TEST}@${c[LIB]} # v1.2.3`),
    refFacts: libFacts(true),
    expected: () => [],
  },
  {
    name: 'scope external: a tag of the caller’s own owner (compared case-insensitively)',
    callees: { [SHARED]: { files: { [wf('build')]: callable() }, tags: { v1: {} } } },
    ci: () => caller(`${SHARED}/.github/workflows/build.yml@v1`, 'Octo-Org/shared/.github/workflows/build.yml@main'),
    expected: () => [],
  },
  {
    name: 'scope all: ./ and $/ calls run at the caller’s commit and count as pinned',
    callees: {},
    ci: () => caller('./.github/workflows/lint.yml', '$/.github/workflows/lint.yml'),
    policy: policyWith('    scope: all\n'),
    expected: () => [],
  },
  {
    name: 'require ref: a tag is enough',
    callees: CALLEES,
    ci: () => caller(`${LIB}/${TEST}@v1.2.3`),
    policy: policyWith('    require: ref\n'),
    expected: () => [],
  },
  {
    name: 'require any without verify: even a branch',
    callees: CALLEES,
    ci: () => caller(`${LIB}/${TEST}@main`),
    policy: policyWith('    require: any\n    verify: false\n'),
    expected: () => [],
  },
  {
    name: 'verify off: an unreachable commit and a wrong comment pass',
    callees: CALLEES,
    ci: (c) => caller(`${LIB}/${TEST}@${c[LIB]} # v9`),
    policy: policyWith('    verify: false\n'),
    refFacts: libFacts(false),
    expected: () => [],
  },
];

const pinFix = (node: string, jobId: string, uses: string, comment: string): Fix => ({ kind: 'replace-uses', node, jobId, uses, comment });

const invalid: Case[] = [
  {
    name: 'a tag, pinned by the fix to its commit and its most specific tag',
    callees: CALLEES,
    ci: () => caller(`${LIB}/${TEST}@v1`),
    refFacts: libFacts(true),
    expected: (c) => [
      {
        ruleId: 'pinning',
        severity: 'error',
        message: `other/lib/.github/workflows/test.yml@v1 is not pinned to a full 40-character commit SHA: the tag v1 can be moved to other code by anyone who can push to other/lib, and ${RERUN}`,
        location: { node: nodeAt(c, APP, CI), jobId: 'call0', key: 'uses' },
        chain: ['other/lib/.github/workflows/test.yml@v1'],
        fix: pinFix(nodeAt(c, APP, CI), 'call0', `other/lib/.github/workflows/test.yml@${c[LIB]}`, 'v1.2.3'),
        mentions: ['octo-org/app', 'other/lib'],
      },
    ],
  },
  {
    name: 'an annotated tag: the fix pins the peeled commit, never the tag object, named by the release over its prerelease',
    callees: CALLEES,
    ci: () => caller(`${RELEASES}/${TEST}@v2`),
    refFacts: (c) => facts('other/releases', [[c[RELEASES]!, ['v2', 'v2.0.0-rc.1', 'v2.0.0']]], []),
    expected: (c, gh) => {
      expect(gh.repo(RELEASES).tags.get('v2.0.0')).not.toBe(c[RELEASES]);
      return [
        {
          ruleId: 'pinning',
          severity: 'error',
          message: `other/releases/.github/workflows/test.yml@v2 is not pinned to a full 40-character commit SHA: the tag v2 can be moved to other code by anyone who can push to other/releases, and ${RERUN}`,
          location: { node: nodeAt(c, APP, CI), jobId: 'call0', key: 'uses' },
          chain: ['other/releases/.github/workflows/test.yml@v2'],
          fix: pinFix(nodeAt(c, APP, CI), 'call0', `other/releases/.github/workflows/test.yml@${c[RELEASES]}`, 'v2.0.0'),
          mentions: ['octo-org/app', 'other/releases'],
        },
      ];
    },
  },
  {
    name: 'an annotated tag without facts: the comment falls back to the ref as written',
    callees: CALLEES,
    ci: () => caller(`${RELEASES}/${TEST}@v2.0.0`),
    expected: (c) => [
      {
        ruleId: 'pinning',
        severity: 'error',
        message: `other/releases/.github/workflows/test.yml@v2.0.0 is not pinned to a full 40-character commit SHA: the tag v2.0.0 can be moved to other code by anyone who can push to other/releases, and ${RERUN}`,
        location: { node: nodeAt(c, APP, CI), jobId: 'call0', key: 'uses' },
        chain: ['other/releases/.github/workflows/test.yml@v2.0.0'],
        fix: pinFix(nodeAt(c, APP, CI), 'call0', `other/releases/.github/workflows/test.yml@${c[RELEASES]}`, 'v2.0.0'),
        mentions: ['octo-org/app', 'other/releases'],
      },
    ],
  },
  {
    name: 'a branch under require sha: the comment falls back to the branch when no tag is at its commit',
    callees: CALLEES,
    ci: () => caller(`${LIB}/${TEST}@main`),
    refFacts: (c) => facts('other/lib', [], [[c[LIB]!, true]]),
    expected: (c) => [
      {
        ruleId: 'pinning',
        severity: 'error',
        message: `other/lib/.github/workflows/test.yml@main is not pinned to a full 40-character commit SHA: the branch main can be moved to other code by anyone who can push to other/lib, and ${RERUN}`,
        location: { node: nodeAt(c, APP, CI), jobId: 'call0', key: 'uses' },
        chain: ['other/lib/.github/workflows/test.yml@main'],
        fix: pinFix(nodeAt(c, APP, CI), 'call0', `other/lib/.github/workflows/test.yml@${c[LIB]}`, 'main'),
        mentions: ['octo-org/app', 'other/lib'],
      },
    ],
  },
  {
    name: 'a branch under require ref',
    callees: CALLEES,
    ci: () => caller(`${LIB}/${TEST}@main`),
    policy: policyWith('    require: ref\n'),
    refFacts: libFacts(true),
    expected: (c) => [
      {
        ruleId: 'pinning',
        severity: 'error',
        message: `other/lib/.github/workflows/test.yml@main uses the branch main, which moves with every push: ${RERUN} Use a tag or a full commit SHA.`,
        location: { node: nodeAt(c, APP, CI), jobId: 'call0', key: 'uses' },
        chain: ['other/lib/.github/workflows/test.yml@main'],
        fix: pinFix(nodeAt(c, APP, CI), 'call0', `other/lib/.github/workflows/test.yml@${c[LIB]}`, 'v1.2.3'),
        mentions: ['octo-org/app', 'other/lib'],
      },
    ],
  },
  {
    name: 'scope all: the caller’s own owner must pin too',
    callees: { [SHARED]: { files: { [wf('build')]: callable() }, tags: { v1: {} } } },
    ci: () => caller(`${SHARED}/.github/workflows/build.yml@v1`),
    policy: policyWith('    scope: all\n'),
    expected: (c) => [
      {
        ruleId: 'pinning',
        severity: 'error',
        message: `octo-org/shared/.github/workflows/build.yml@v1 is not pinned to a full 40-character commit SHA: the tag v1 can be moved to other code by anyone who can push to octo-org/shared, and ${RERUN}`,
        location: { node: nodeAt(c, APP, CI), jobId: 'call0', key: 'uses' },
        chain: ['octo-org/shared/.github/workflows/build.yml@v1'],
        fix: pinFix(nodeAt(c, APP, CI), 'call0', `octo-org/shared/.github/workflows/build.yml@${c[SHARED]}`, 'v1'),
        mentions: ['octo-org/app', 'octo-org/shared'],
      },
    ],
  },
  {
    name: 'an unpinned call two levels down (external to the workflow that makes it), reported with its chain',
    callees: CALLEES,
    ci: () => caller(`${SHARED}/.github/workflows/build.yml@v1`),
    refFacts: libFacts(true),
    expected: (c) => [
      {
        ruleId: 'pinning',
        severity: 'error',
        message:
          'other/lib/.github/workflows/test.yml@v1 (called by job call0 in octo-org/shared/.github/workflows/build.yml@v1) is not pinned to a full 40-character commit SHA: ' +
          `the tag v1 can be moved to other code by anyone who can push to other/lib, and ${RERUN}`,
        location: { node: nodeAt(c, SHARED, wf('build')), jobId: 'call0', key: 'uses' },
        chain: ['octo-org/shared/.github/workflows/build.yml@v1', 'other/lib/.github/workflows/test.yml@v1'],
        fix: pinFix(nodeAt(c, SHARED, wf('build')), 'call0', `other/lib/.github/workflows/test.yml@${c[LIB]}`, 'v1.2.3'),
        mentions: ['octo-org/app', 'octo-org/shared', 'other/lib'],
      },
    ],
  },
  {
    name: 'verify: an impostor commit, readable through the repository but reachable from none of its branches or tags',
    callees: CALLEES,
    extra: (gh) => ({ impostor: gh.impostor(LIB, { [TEST]: callable() }) }),
    ci: (c) => caller(`${LIB}/${TEST}@${c.impostor}`),
    refFacts: (c) => facts('other/lib', [[c[LIB]!, LIB_TAGS]], [[c.impostor!, false]]),
    expected: (c) => [
      {
        ruleId: 'pinning',
        severity: 'error',
        message: `other/lib/.github/workflows/test.yml@${c.impostor} pins a commit that is not reachable from any branch or tag of other/lib: it can be an impostor commit from a fork, which GitHub serves under the parent repository's name too.`,
        location: { node: nodeAt(c, APP, CI), jobId: 'call0', key: 'uses' },
        chain: [`other/lib/.github/workflows/test.yml@${c.impostor}`],
        mentions: ['octo-org/app', 'other/lib'],
      },
    ],
  },
  {
    name: 'verify: no facts about the repository (GitHub failed) is an error: the check fails closed',
    callees: CALLEES,
    ci: (c) => caller(`${LIB}/${TEST}@${c[LIB]}`),
    expected: (c) => [
      {
        ruleId: 'pinning',
        severity: 'error',
        message:
          `other/lib/.github/workflows/test.yml@${c[LIB]} could not be verified: the branches and tags of other/lib could not be read from GitHub, ` +
          `so an impostor commit from a fork cannot be ruled out. ${UNVERIFIED_FIX}`,
        location: { node: nodeAt(c, APP, CI), jobId: 'call0', key: 'uses' },
        chain: [`other/lib/.github/workflows/test.yml@${c[LIB]}`],
        mentions: ['octo-org/app', 'other/lib'],
      },
    ],
  },
  {
    name: 'verify: a commit whose reachability was not decided within the compare budget is an error too, and its comment is still checked',
    callees: CALLEES,
    extra: (gh) => ({ unknown: gh.impostor(LIB, { [TEST]: callable() }) }),
    ci: (c) => caller(`${LIB}/${TEST}@${c.unknown} # v1.2.3`),
    refFacts: (c) => facts('other/lib', [[c[LIB]!, LIB_TAGS]], []),
    expected: (c) => [
      {
        ruleId: 'pinning',
        severity: 'error',
        message:
          `other/lib/.github/workflows/test.yml@${c.unknown} could not be verified: whether its commit is reachable from a branch or tag of other/lib could not be decided, ` +
          `so an impostor commit from a fork cannot be ruled out. ${UNVERIFIED_FIX}`,
        location: { node: nodeAt(c, APP, CI), jobId: 'call0', key: 'uses' },
        chain: [`other/lib/.github/workflows/test.yml@${c.unknown}`],
        mentions: ['octo-org/app', 'other/lib'],
      },
      {
        ruleId: 'pinning',
        severity: 'error',
        message: `other/lib/.github/workflows/test.yml@${c.unknown} has the version comment v1.2.3, but the tag v1.2.3 of other/lib is not at that commit (no tag points at it): the comment misleads reviewers about the version that runs.`,
        location: { node: nodeAt(c, APP, CI), jobId: 'call0', key: 'uses' },
        chain: [`other/lib/.github/workflows/test.yml@${c.unknown}`],
        mentions: ['octo-org/app', 'other/lib'],
      },
    ],
  },
  {
    name: 'verify: a version comment naming no tag at the commit lists the tags there and fixes the comment',
    callees: CALLEES,
    ci: (c) => caller(`${LIB}/${TEST}@${c[LIB]} # v1.2.4`),
    refFacts: libFacts(true),
    expected: (c) => [
      {
        ruleId: 'pinning',
        severity: 'error',
        message: `other/lib/.github/workflows/test.yml@${c[LIB]} has the version comment v1.2.4, but the tag v1.2.4 of other/lib is not at that commit (tags at it: v1.2.3, v1.2, v1): the comment misleads reviewers about the version that runs.`,
        location: { node: nodeAt(c, APP, CI), jobId: 'call0', key: 'uses' },
        chain: [`other/lib/.github/workflows/test.yml@${c[LIB]}`],
        fix: pinFix(nodeAt(c, APP, CI), 'call0', `other/lib/.github/workflows/test.yml@${c[LIB]}`, 'v1.2.3'),
        mentions: ['octo-org/app', 'other/lib'],
      },
    ],
  },
  {
    name: 'verify: a version comment on a commit no tag points at, with an upper-case SHA',
    callees: CALLEES,
    ci: (c) => caller(`${LIB}/${TEST}@${c[LIB]!.toUpperCase()} # v1`),
    refFacts: (c) => facts('other/lib', [], [[c[LIB]!, true]]),
    expected: (c) => [
      {
        ruleId: 'pinning',
        severity: 'error',
        message: `other/lib/.github/workflows/test.yml@${c[LIB]!.toUpperCase()} has the version comment v1, but the tag v1 of other/lib is not at that commit (no tag points at it): the comment misleads reviewers about the version that runs.`,
        location: { node: nodeAt(c, APP, CI), jobId: 'call0', key: 'uses' },
        chain: [`other/lib/.github/workflows/test.yml@${c[LIB]!.toUpperCase()}`],
        mentions: ['octo-org/app', 'other/lib'],
      },
    ],
  },
  {
    name: 'verify applies under require any',
    callees: CALLEES,
    ci: (c) => caller(`${LIB}/${TEST}@${c[LIB]}`),
    policy: policyWith('    require: any\n    severity: warning\n'),
    refFacts: libFacts(false),
    expected: (c) => [
      {
        ruleId: 'pinning',
        severity: 'warning',
        message: `other/lib/.github/workflows/test.yml@${c[LIB]} pins a commit that is not reachable from any branch or tag of other/lib: it can be an impostor commit from a fork, which GitHub serves under the parent repository's name too.`,
        location: { node: nodeAt(c, APP, CI), jobId: 'call0', key: 'uses' },
        chain: [`other/lib/.github/workflows/test.yml@${c[LIB]}`],
        mentions: ['octo-org/app', 'other/lib'],
      },
    ],
  },
];

// ---- Callees whose maintainers require an exact vX.Y.Z tag (the presets' SLSA table, or the policy's own) ----

const SLSA = 'slsa-framework/slsa-github-generator';
const GENERATOR = '.github/workflows/generator_generic_slsa3.yml';
const BUILDER = 'other/builder';
const BUILD = '.github/workflows/build.yml';
/** The SLSA generator at one commit tagged v2, v2.1 and v2.1.0; a builder of the policy's own table tagged v3 and v3.0.0. */
const TAGGED: Record<string, RepoSpec> = {
  [SLSA]: { files: { [GENERATOR]: callable() }, tags: { v2: {}, 'v2.1': {}, 'v2.1.0': {} } },
  [BUILDER]: { files: { [BUILD]: callable() }, tags: { v3: {}, 'v3.0.0': { annotated: true } } },
};
const SLSA_POLICY = 'version: 1\nextends: recommended\n';
const OWN_TABLE = `version: 1
rules:
  pinning:
    require: sha
    tag-required:
      - uses: "${BUILDER}/.github/workflows/*"
        reason: "The builder checks the tag it was called by."
`;
const SLSA_WHY =
  "SLSA's builders and generators must be called by an exact vX.Y.Z tag: slsa-verifier checks the tag the builder ran at, so a SHA or a shorter tag such as v2 fails the build. " +
  'See https://github.com/slsa-framework/slsa-github-generator#referencing-slsa-builders-and-generators';
const slsaFacts = (c: Commits) => facts(SLSA, [[c[SLSA]!, ['v2', 'v2.1', 'v2.1.0']]], []);
const tagFix = (c: Commits, uses: string): Fix => ({ kind: 'replace-uses', node: nodeAt(c, APP, CI), jobId: 'call0', uses });

const tagValid: Case[] = [
  {
    name: 'tag-required: the SLSA generator by its exact tag under require sha (the presets’ table)',
    callees: TAGGED,
    ci: () => caller(`${SLSA}/${GENERATOR}@v2.1.0`),
    policy: SLSA_POLICY,
    expected: () => [],
  },
  {
    name: 'tag-required: an annotated exact tag of a callee the policy lists itself',
    callees: TAGGED,
    ci: () => caller(`${BUILDER}/${BUILD}@v3.0.0`),
    policy: OWN_TABLE,
    expected: () => [],
  },
  {
    name: 'tag-required: require any asks for nothing',
    callees: TAGGED,
    ci: () => caller(`${SLSA}/${GENERATOR}@main`),
    policy: 'version: 1\nextends: recommended\nrules:\n  pinning: { require: any, verify: false }\n',
    expected: () => [],
  },
];

const tagInvalid: Case[] = [
  {
    name: 'tag-required: a shorter tag gets the exact tag at its commit as the fix',
    callees: TAGGED,
    ci: () => caller(`${SLSA}/${GENERATOR}@v2`),
    policy: SLSA_POLICY,
    refFacts: slsaFacts,
    expected: (c) => [
      {
        ruleId: 'pinning',
        severity: 'error',
        message: `${SLSA}/${GENERATOR}@v2 must be called by an exact vX.Y.Z tag, not the tag v2. ${SLSA_WHY}`,
        location: { node: nodeAt(c, APP, CI), jobId: 'call0', key: 'uses' },
        chain: [`${SLSA}/${GENERATOR}@v2`],
        fix: tagFix(c, `${SLSA}/${GENERATOR}@v2.1.0`),
        mentions: ['octo-org/app', SLSA],
      },
    ],
  },
  {
    name: 'tag-required: a SHA pin (with its comment) is replaced by the exact tag, never the reverse',
    callees: TAGGED,
    ci: (c) => caller(`${SLSA}/${GENERATOR}@${c[SLSA]} # v2.1.0`),
    policy: SLSA_POLICY,
    refFacts: slsaFacts,
    expected: (c) => [
      {
        ruleId: 'pinning',
        severity: 'error',
        message: `${SLSA}/${GENERATOR}@${c[SLSA]} must be called by an exact vX.Y.Z tag, not a commit SHA. ${SLSA_WHY}`,
        location: { node: nodeAt(c, APP, CI), jobId: 'call0', key: 'uses' },
        chain: [`${SLSA}/${GENERATOR}@${c[SLSA]}`],
        fix: tagFix(c, `${SLSA}/${GENERATOR}@v2.1.0`),
        mentions: ['octo-org/app', SLSA],
      },
    ],
  },
  {
    name: 'tag-required: a branch, with no exact tag known at its commit, gets no fix',
    callees: TAGGED,
    ci: () => caller(`${SLSA}/${GENERATOR}@main`),
    policy: SLSA_POLICY,
    refFacts: (c) => facts(SLSA, [[c[SLSA]!, ['v2']]], []),
    expected: (c) => [
      {
        ruleId: 'pinning',
        severity: 'error',
        message: `${SLSA}/${GENERATOR}@main must be called by an exact vX.Y.Z tag, not the branch main. ${SLSA_WHY} No vX.Y.Z tag is known at the commit it runs: call the release you want by its tag.`,
        location: { node: nodeAt(c, APP, CI), jobId: 'call0', key: 'uses' },
        chain: [`${SLSA}/${GENERATOR}@main`],
        mentions: ['octo-org/app', SLSA],
      },
    ],
  },
  {
    name: 'tag-required: a vX.Y.Z that names a branch, not a tag',
    callees: TAGGED,
    extra: (gh, c) => {
      gh.branch(SLSA, 'v9.9.9', c[SLSA]!);
      return {};
    },
    ci: () => caller(`${SLSA}/${GENERATOR}@v9.9.9`),
    policy: SLSA_POLICY,
    expected: (c) => [
      {
        ruleId: 'pinning',
        severity: 'error',
        message: `${SLSA}/${GENERATOR}@v9.9.9 names v9.9.9, which is a branch of ${SLSA}, not a tag: this workflow must be called by an exact vX.Y.Z tag. ${SLSA_WHY}`,
        location: { node: nodeAt(c, APP, CI), jobId: 'call0', key: 'uses' },
        chain: [`${SLSA}/${GENERATOR}@v9.9.9`],
        mentions: ['octo-org/app', SLSA],
      },
    ],
  },
  {
    name: 'tag-required: a callee of the policy’s own table by a shorter tag, fixed to its annotated exact tag',
    callees: TAGGED,
    ci: () => caller(`${BUILDER}/${BUILD}@v3`),
    policy: OWN_TABLE,
    refFacts: (c) => facts(BUILDER, [[c[BUILDER]!, ['v3', 'v3.0.0']]], []),
    expected: (c) => [
      {
        ruleId: 'pinning',
        severity: 'error',
        message: `${BUILDER}/${BUILD}@v3 must be called by an exact vX.Y.Z tag, not the tag v3. The builder checks the tag it was called by.`,
        location: { node: nodeAt(c, APP, CI), jobId: 'call0', key: 'uses' },
        chain: [`${BUILDER}/${BUILD}@v3`],
        fix: tagFix(c, `${BUILDER}/${BUILD}@v3.0.0`),
        mentions: ['octo-org/app', BUILDER],
      },
    ],
  },
];

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('pinning', () => {
  it.each(ruleTable([...valid, ...tagValid], [...invalid, ...tagInvalid]))('$kind: $name', async (entry) => {
    const { findings, commits, gh } = await run(entry);
    expect(findings).toEqual(entry.expected(commits, gh));
  });

  it('does not throw on a graph with broken nodes; an unreadable pinned callee is left to resolution', async () => {
    const missing = 'f'.repeat(40);
    const { findings, commits } = await run(
      {
        callees: CALLEES,
        ci: () =>
          caller(
            './.github/workflows/broken.yml',
            './.github/workflows/missing.yml',
            `${LIB}/.github/workflows/sub/x.yml@v1`,
            '${{ inputs.target }}',
            `${LIB}/${TEST}@${missing}`,
            `${LIB}/.github/workflows/gone.yml@v1`,
          ),
      },
      [`${APP}:${CI}`, `${APP}:${wf('bad')}`, `${APP}:${wf('gone')}`],
    );
    expect(findings).toEqual([
      {
        ruleId: 'pinning',
        severity: 'error',
        message: `other/lib/.github/workflows/gone.yml@v1 is not pinned to a full 40-character commit SHA: the tag v1 can be moved to other code by anyone who can push to other/lib, and ${RERUN}`,
        location: { node: nodeAt(commits, APP, CI), jobId: 'call5', key: 'uses' },
        chain: ['other/lib/.github/workflows/gone.yml@v1'],
        fix: pinFix(nodeAt(commits, APP, CI), 'call5', `other/lib/.github/workflows/gone.yml@${commits[LIB]}`, 'v1'),
        mentions: ['octo-org/app', 'other/lib'],
      },
    ]);
  });
});

describe('pinning verify under enforcement block', () => {
  it.each<[string, (commit: string) => Map<string, RefFacts> | undefined, Evaluation['conclusion']]>([
    ['reachable: success', (commit) => facts('other/lib', [], [[commit, true]]), 'success'],
    ['unreachable (an impostor): failure', (commit) => facts('other/lib', [], [[commit, false]]), 'failure'],
    ['undecided: failure, never a neutral check that passes as required', () => facts('other/lib', [], []), 'failure'],
    ['no facts gathered: failure', () => undefined, 'failure'],
  ])('%s', async (_what, refFacts, conclusion) => {
    const gh = new FakeGitHub();
    const { commits } = buildWorld({ [LIB]: CALLEES[LIB]! }, gh);
    const app = buildWorld({ [APP]: { files: { [CI]: caller(`${LIB}/${TEST}@${commits[LIB]!}`) } } }, gh);
    const graph = await resolveWorld({ gh, commits: { ...commits, ...app.commits } }, [`${APP}:${CI}`]);
    const repository = graph.repos.get(APP);
    if (!repository || 'kind' in repository) throw new Error(`no metadata for ${APP}`);
    const known = refFacts(commits[LIB]!);
    const evaluation = evaluatePolicy({ graph, policy: policyFrom(POLICY), repository, now: new Date('2026-08-01T00:00:00Z'), ...(known && { refFacts: known }) }, [PinningRule]);
    expect(evaluation.conclusion).toBe(conclusion);
  });
});

describe('mostSpecificTag', () => {
  it.each<[string, string[], string | undefined]>([
    ['more components first', ['v1', 'v1.2', 'v1.2.3'], 'v1.2.3'],
    ['whatever the order given', ['v1.2.3', 'v1', 'v1.2'], 'v1.2.3'],
    ['a release before its prerelease', ['v1.2.3-rc.1', 'v1.2.3'], 'v1.2.3'],
    ['numeric components compare as numbers', ['v1.9.0', 'v1.10.0'], 'v1.10.0'],
    ['numbers beyond 2^53 compare exactly', ['v9007199254740993.0.0', 'v9007199254740992.0.0'], 'v9007199254740993.0.0'],
    ['numeric prerelease identifiers compare as numbers', ['v2.0.0-rc.2', 'v2.0.0-rc.10'], 'v2.0.0-rc.10'],
    ['a longer prerelease ranks above its prefix', ['v2.0.0-alpha', 'v2.0.0-alpha.1'], 'v2.0.0-alpha.1'],
    ['alphanumeric identifiers rank above numeric ones', ['v2.0.0-1', 'v2.0.0-alpha'], 'v2.0.0-alpha'],
    ['build metadata does not count', ['v1.2.3+build.7', 'v1.2.3'], 'v1.2.3'],
    ['versions without v count', ['1.2.3', 'v1.2'], '1.2.3'],
    ['version tags before other names', ['latest', 'v1'], 'v1'],
    ['other names by name', ['stable', 'latest'], 'latest'],
    ['nothing for no tags', [], undefined],
  ])('%s', (_what, tags, expected) => {
    expect(mostSpecificTag(tags)).toBe(expected);
  });
});
