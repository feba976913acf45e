import { parse, validate } from 'graphql';
import nock from 'nock';
import { ProbotOctokit } from 'probot';
import type { RepoMetadata } from '../../src/graph/types.js';
import {
  compilePolicyFile,
  loadEffectivePolicy,
  PolicyCache,
  type EffectivePolicy,
  type LoadPolicyOptions,
  type PolicyFileSource,
} from '../../src/policy/load.js';
import { compileShippedPreset } from '../../src/policy/presets.js';
import { GitHubPolicyFiles } from '../../src/source/policy-files.js';
import { FakeGitHub, githubSchema } from '../support/fake-github.js';
import { BOTH_KINDS, SLSA_TAG_REQUIREMENT } from '../support/policy.js';

const NoRetryOctokit = ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } });

const PATH = '.github/workflow-policy.yml';
const ORG_FILE = `octo-org/.github:${PATH}`;
const APP_FILE = `octo-org/app:${PATH}`;

const ORG_POLICY = `version: 1
extends: recommended
rules:
  allowed-sources:
    allow: ["octo-org/*"]
repositories:
  - match: ["octo-org/sandbox-*", "!octo-org/sandbox-keep"]
    enforcement: warn
  - match: ["octo-org/sandbox-*"]
    rules:
      pinning: { severity: warning }
  - match: ["octo-org/sandbox-late"]
    enforcement: off
`;

function repository(name: string): RepoMetadata {
  return { repo: { owner: 'octo-org', name }, visibility: 'private', archived: false, defaultBranch: 'main' };
}

/** The organization's `.github` repository with `text` as its policy on `main` (no file when undefined). */
function orgRepo(gh: FakeGitHub, text: string | undefined): string {
  gh.addRepo('octo-org/.github');
  return gh.commit('octo-org/.github', text === undefined ? { 'README.md': 'hi' } : { [PATH]: text }, { branch: 'main' });
}

/** A repository whose base commit (on `main`) holds `text` as its policy (no file when undefined). */
function appRepo(gh: FakeGitHub, name: string, text: string | undefined): string {
  gh.addRepo(`octo-org/${name}`, { visibility: 'private' });
  const files = { '.github/workflows/ci.yml': 'on: push\n', ...(text === undefined ? {} : { [PATH]: text }) };
  return gh.commit(`octo-org/${name}`, files, { branch: 'main' });
}

interface Harness {
  cache: PolicyCache;
  /** Files compiled, in order: the spy the loader is given. */
  compiled: string[];
  load(name: string, baseCommit: string, extra?: Partial<LoadPolicyOptions>): Promise<EffectivePolicy>;
}

function harness(cache = new PolicyCache()): Harness {
  const compiled: string[] = [];
  const source = new GitHubPolicyFiles({ octokit: new NoRetryOctokit({ auth: { token: 'test' } }) });
  return {
    cache,
    compiled,
    load: (name, baseCommit, extra = {}) =>
      loadEffectivePolicy({
        source,
        owner: 'octo-org',
        repository: repository(name),
        baseCommit,
        cache,
        compile: (text, file) => {
          compiled.push(file);
          return compilePolicyFile(text, file);
        },
        ...extra,
      }),
  };
}

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
});

afterAll(() => {
  nock.enableNetConnect();
});

describe('loadEffectivePolicy: what is read', () => {
  it('reads both files in one GraphQL request naming the default branch and the base commit, never the head', async () => {
    const gh = new FakeGitHub();
    const orgCommit = orgRepo(gh, ORG_POLICY);
    // A branch of the policy repository with a looser policy: only the default branch counts.
    gh.branch('octo-org/.github', 'loosen', gh.commit('octo-org/.github', { [PATH]: 'version: 1\nenforcement: off\n' }));
    const base = appRepo(gh, 'app', 'version: 1\nrules:\n  pinning: { scope: all }\n');
    // The pull request's head rewrites the repository policy to switch everything off.
    const head = gh.commit('octo-org/app', { [PATH]: 'version: 1\nenforcement: off\nrepo-policy: override\n' }, { branch: 'feature' });
    gh.intercept();

    const result = await harness().load('app', base);

    expect(gh.count()).toBe(1);
    const { query, variables } = gh.graphqlRequests()[0]!.graphql!;
    expect(validate(githubSchema(), parse(query))).toEqual([]);
    expect(variables).toEqual({ o0: 'octo-org', n0: '.github', p0: PATH, o1: 'octo-org', n1: 'app', x1: base, p1: PATH });
    for (const text of ['octo-org', PATH, base]) expect(query).not.toContain(text);
    const sent = JSON.stringify(gh.graphqlRequests()[0]!.graphql);
    for (const text of [head, 'feature', 'loosen']) expect(sent).not.toContain(text);

    expect(result.diagnostics).toEqual([]);
    expect(result.policy?.enforcement).toBe('block');
    expect(result.policy?.rules.pinning).toEqual({ severity: 'error', require: 'sha', scope: 'all', verify: true, tagRequired: [SLSA_TAG_REQUIREMENT], appliesTo: BOTH_KINDS });
    expect(result.origin).toEqual({
      org: { repo: 'octo-org/.github', commit: orgCommit, path: PATH },
      repo: { repo: 'octo-org/app', commit: base, path: PATH },
    });
    expect(result.notes).toEqual([]);
  });

  it('applies the organization policy, its files named with their repository', async () => {
    const gh = new FakeGitHub();
    const orgCommit = orgRepo(gh, ORG_POLICY);
    const base = appRepo(gh, 'app', undefined);
    gh.intercept();

    const result = await harness().load('app', base);

    expect(result.diagnostics).toEqual([]);
    expect(result.origin).toEqual({ org: { repo: 'octo-org/.github', commit: orgCommit, path: PATH } });
    const recommended = compileShippedPreset('recommended').policy!;
    expect(result.policy).toEqual({
      ...recommended,
      rules: { ...recommended.rules, 'allowed-sources': { severity: 'error', allow: ['octo-org/*'], deny: [], appliesTo: BOTH_KINDS } },
      sources: ['policies/recommended.yml', ORG_FILE],
    });
    expect(result.notes).toEqual([]);
  });

  it('applies the recommended preset when the organization has no policy file, and says so', async () => {
    const gh = new FakeGitHub();
    const orgCommit = orgRepo(gh, undefined);
    const base = appRepo(gh, 'app', undefined);
    gh.intercept();

    const result = await harness().load('app', base);

    expect(result).toEqual({
      policy: compileShippedPreset('recommended').policy,
      diagnostics: [],
      origin: { preset: 'recommended' },
      notes: [`No organization policy: ${ORG_FILE} does not exist on the default branch (${orgCommit}); the shipped "recommended" preset applies.`],
    });
  });

  it('applies the recommended preset when the organization has no policy repository, and says so', async () => {
    const gh = new FakeGitHub();
    const base = appRepo(gh, 'app', 'version: 1\nrules:\n  max-depth: { levels: 4 }\n');
    gh.intercept();

    const result = await harness().load('app', base);

    expect(gh.count()).toBe(1);
    expect(result.origin).toEqual({ preset: 'recommended', repo: { repo: 'octo-org/app', commit: base, path: PATH } });
    expect(result.notes).toEqual([
      'No organization policy: octo-org/.github does not exist or is not visible to the app; the shipped "recommended" preset applies.',
    ]);
    expect(result.policy?.rules['max-depth']).toEqual({ severity: 'error', levels: 4 });
    expect(result.policy?.sources).toEqual(['policies/recommended.yml', APP_FILE]);
  });

  it('reads the policy repository by the configured name and path', async () => {
    const gh = new FakeGitHub();
    gh.addRepo('octo-org/policies');
    gh.commit('octo-org/policies', { 'warden/policy.yml': 'version: 1\nenforcement: warn\n' }, { branch: 'trunk' });
    const base = appRepo(gh, 'app', undefined);
    gh.repo('octo-org/policies').defaultBranch = 'trunk';
    gh.intercept();

    const result = await harness().load('app', base, { orgPolicyRepo: 'policies', path: 'warden/policy.yml' });

    expect(gh.graphqlRequests()[0]!.graphql!.variables).toEqual({
      o0: 'octo-org',
      n0: 'policies',
      p0: 'warden/policy.yml',
      o1: 'octo-org',
      n1: 'app',
      x1: base,
      p1: 'warden/policy.yml',
    });
    expect(result.policy?.enforcement).toBe('warn');
    expect(result.policy?.sources).toEqual(['octo-org/policies:warden/policy.yml']);
  });

  it("reads only the organization policy for the policy repository's own pull requests", async () => {
    const gh = new FakeGitHub();
    const orgCommit = orgRepo(gh, 'version: 1\nenforcement: warn\n');
    gh.intercept();

    const result = await harness().load('.github', orgCommit);

    expect(gh.graphqlRequests()[0]!.graphql!.variables).toEqual({ o0: 'octo-org', n0: '.github', p0: PATH });
    expect(result.origin).toEqual({ org: { repo: 'octo-org/.github', commit: orgCommit, path: PATH } });
    expect(result.policy?.enforcement).toBe('warn');
  });
});

describe('loadEffectivePolicy: failing closed', () => {
  it('reports an invalid organization policy at its repository, file, line and column, with no policy', async () => {
    const gh = new FakeGitHub();
    const orgCommit = orgRepo(gh, 'version: 1\nrules:\n  pinning:\n    require: sha\n  max-depth:\n    severity: error\n    levles: 3\n');
    const base = appRepo(gh, 'app', 'version: 1\n');
    gh.intercept();

    const result = await harness().load('app', base);

    expect(result).toEqual({
      diagnostics: [
        {
          file: ORG_FILE,
          line: 7,
          column: 5,
          endLine: 7,
          endColumn: 11,
          message: 'unknown key "levles" in rules.max-depth; did you mean "levels"?',
        },
      ],
      origin: { org: { repo: 'octo-org/.github', commit: orgCommit, path: PATH } },
      notes: [],
    });
  });

  it('reports an invalid repository policy the same way (tighten-only), with no policy', async () => {
    const gh = new FakeGitHub();
    const orgCommit = orgRepo(gh, ORG_POLICY);
    const base = appRepo(gh, 'app', 'version: 1\nextends: stirct\n');
    gh.intercept();

    const result = await harness().load('app', base);

    expect(result).toEqual({
      diagnostics: [
        {
          file: APP_FILE,
          line: 2,
          column: 10,
          endLine: 2,
          endColumn: 16,
          message: 'unknown preset "stirct"; did you mean "strict"?',
        },
      ],
      origin: {
        org: { repo: 'octo-org/.github', commit: orgCommit, path: PATH },
        repo: { repo: 'octo-org/app', commit: base, path: PATH },
      },
      notes: [],
    });
  });

  it('never falls back to the preset when the organization policy cannot be read', async () => {
    const gh = new FakeGitHub();
    orgRepo(gh, ORG_POLICY);
    const base = appRepo(gh, 'app', undefined);
    gh.inject('POST /graphql', { status: 502, body: { message: 'Server Error' } });
    gh.intercept();

    const result = await harness().load('app', base);

    expect(result).toEqual({
      diagnostics: [
        {
          file: ORG_FILE,
          line: 1,
          column: 1,
          endLine: 1,
          endColumn: 1,
          message: 'the organization policy could not be read, so no policy applies: the GraphQL API answered 502: Server Error',
        },
      ],
      origin: {},
      notes: [],
    });
  });

  it('does not read a renamed policy repository through its old name', async () => {
    const gh = new FakeGitHub();
    orgRepo(gh, 'version: 1\nenforcement: off\n');
    gh.rename('octo-org/.github', 'octo-org/old-policy');
    const base = appRepo(gh, 'app', undefined);
    gh.intercept();

    const result = await harness().load('app', base);

    expect(result.policy).toBeUndefined();
    expect(result.diagnostics.map((d) => `${d.file}:${d.line}:${d.column}: ${d.message}`)).toEqual([
      `${ORG_FILE}:1:1: the organization policy could not be read, so no policy applies: Repository octo-org/.github is now octo-org/old-policy; GitHub Actions does not follow renames.`,
    ]);
  });

  it('fails closed when the repository policy cannot be read at the base commit', async () => {
    const gh = new FakeGitHub();
    const orgCommit = orgRepo(gh, ORG_POLICY);
    appRepo(gh, 'app', undefined);
    const missing = 'f'.repeat(40);
    gh.intercept();

    const result = await harness().load('app', missing);

    expect(result).toEqual({
      diagnostics: [
        {
          file: APP_FILE,
          line: 1,
          column: 1,
          endLine: 1,
          endColumn: 1,
          message: `the repository policy could not be read, so no policy applies: Commit ${missing} was not found in octo-org/app.`,
        },
      ],
      origin: { org: { repo: 'octo-org/.github', commit: orgCommit, path: PATH } },
      notes: [],
    });
  });

  it('fails closed on a policy file GitHub will not return as text', async () => {
    const gh = new FakeGitHub();
    gh.addRepo('octo-org/.github');
    gh.commit('octo-org/.github', { [PATH]: FakeGitHub.binary() }, { branch: 'main' });
    const base = appRepo(gh, 'app', undefined);
    gh.intercept();

    const result = await harness().load('app', base);

    expect(result.policy).toBeUndefined();
    expect(result.diagnostics.map((d) => d.message)).toEqual([
      `the organization policy could not be read, so no policy applies: ${PATH} in octo-org/.github is a binary file.`,
    ]);
  });

  it('reads the organization policy but not a base commit that is not a full SHA', async () => {
    const gh = new FakeGitHub();
    orgRepo(gh, ORG_POLICY);
    appRepo(gh, 'app', undefined);
    gh.intercept();

    const result = await harness().load('app', 'main');

    expect(gh.graphqlRequests()[0]!.graphql!.variables).toEqual({ o0: 'octo-org', n0: '.github', p0: PATH });
    expect(result.policy).toBeUndefined();
    expect(result.diagnostics.map((d) => `${d.file}: ${d.message}`)).toEqual([
      `${APP_FILE}: the repository policy could not be read, so no policy applies: main is not a full commit SHA.`,
    ]);
  });

  it('turns a source that throws into a diagnostic', async () => {
    const throwing: PolicyFileSource = {
      readPolicyFiles: () => Promise.reject(new Error('boom')),
    };
    const result = await loadEffectivePolicy({ source: throwing, owner: 'octo-org', repository: repository('app'), baseCommit: 'a'.repeat(40), cache: new PolicyCache() });
    expect(result).toEqual({
      diagnostics: [{ file: ORG_FILE, line: 1, column: 1, endLine: 1, endColumn: 1, message: 'the organization policy could not be read, so no policy applies: boom' }],
      origin: {},
      notes: [],
    });
  });
});

describe('loadEffectivePolicy: repositories overrides', () => {
  // [repository, enforcement, pinning severity, notes (entry index → line)]
  type Row = [string, string, string, number[]];
  const lines = [7, 9, 12];
  const rows: Row[] = [
    ['app', 'block', 'error', []],
    ['sandbox-1', 'warn', 'warning', [0, 1]],
    // Excluded from the first entry by its `!` pattern, still matched by the second.
    ['sandbox-keep', 'block', 'warning', [1]],
    // Three entries match; the later one's enforcement wins.
    ['sandbox-late', 'off', 'warning', [0, 1, 2]],
    // Owner and name compare case-insensitively, as GitHub resolves them.
    ['Sandbox-2', 'warn', 'warning', [0, 1]],
  ];

  it.each(rows)('%s: enforcement %s, pinning %s', async (name, enforcement, severity, entries) => {
    const gh = new FakeGitHub();
    orgRepo(gh, ORG_POLICY);
    const base = appRepo(gh, name, undefined);
    gh.intercept();

    const result = await harness().load(name, base);

    expect(result.policy?.enforcement).toBe(enforcement);
    expect(result.policy?.rules.pinning.severity).toBe(severity);
    expect(result.policy?.repositories).toEqual([]);
    expect(result.notes).toEqual(entries.map((index) => `${ORG_FILE}:${lines[index]}:5: repositories[${index}] applies to octo-org/${name}.`));
  });
});

describe('loadEffectivePolicy: repo-policy', () => {
  const withMode = (mode: string): string => `${ORG_POLICY}repo-policy: ${mode}\n`;

  it('none: the repository policy is ignored, even when invalid, and the note says so', async () => {
    const gh = new FakeGitHub();
    const orgCommit = orgRepo(gh, withMode('none'));
    const base = appRepo(gh, 'app', 'version: 2\nenforcement: off\n');
    const h = harness();
    gh.intercept();

    const result = await h.load('app', base);

    expect(result.diagnostics).toEqual([]);
    expect(result.policy?.enforcement).toBe('block');
    expect(result.origin).toEqual({ org: { repo: 'octo-org/.github', commit: orgCommit, path: PATH } });
    expect(result.notes).toEqual([`${APP_FILE}: ignored; the organization policy sets repo-policy: none.`]);
    expect(h.compiled).toEqual([ORG_FILE]);
  });

  it('none: a repository policy that cannot be read does not matter', async () => {
    const gh = new FakeGitHub();
    orgRepo(gh, withMode('none'));
    appRepo(gh, 'app', undefined);
    gh.intercept();

    const result = await harness().load('app', 'f'.repeat(40));

    expect(result.diagnostics).toEqual([]);
    expect(result.policy?.repoPolicy).toBe('none');
    expect(result.notes).toEqual([]);
  });

  it('override: the repository policy replaces the organization policy, with its own extends', async () => {
    const gh = new FakeGitHub();
    const orgCommit = orgRepo(gh, withMode('override'));
    const base = appRepo(gh, 'sandbox-1', 'version: 1\nextends: strict\nenforcement: warn\nrules:\n  pinning: { require: ref }\n');
    gh.intercept();

    const result = await harness().load('sandbox-1', base);

    const strict = compileShippedPreset('strict').policy!;
    expect(result.policy).toEqual({
      ...strict,
      enforcement: 'warn',
      rules: { ...strict.rules, pinning: { ...strict.rules.pinning, require: 'ref' } },
      sources: ['policies/recommended.yml', 'policies/strict.yml', `octo-org/sandbox-1:${PATH}`],
    });
    expect(result.origin).toEqual({
      org: { repo: 'octo-org/.github', commit: orgCommit, path: PATH },
      repo: { repo: 'octo-org/sandbox-1', commit: base, path: PATH },
    });
    // The organization's overrides for sandbox-* went with the policy they belong to.
    expect(result.notes).toEqual([`octo-org/sandbox-1:${PATH}: replaces the organization policy (repo-policy: override).`]);
  });

  it('tighten-only (the default): tightening applies, loosening is ignored with a note at its line', async () => {
    const gh = new FakeGitHub();
    orgRepo(gh, ORG_POLICY);
    const base = appRepo(
      gh,
      'sandbox-1',
      'version: 1\nenforcement: block\nrules:\n  pinning: { severity: off, scope: all }\n  allowed-sources: { allow: ["*"] }\nexceptions:\n  - { uses: "x/*", rules: [pinning], reason: mine }\n',
    );
    gh.intercept();

    const result = await harness().load('sandbox-1', base);

    expect(result.diagnostics).toEqual([]);
    // The org's override made it warn for sandbox-*; the repository may raise it back to block.
    expect(result.policy?.enforcement).toBe('block');
    expect(result.policy?.rules.pinning).toEqual({ severity: 'warning', require: 'sha', scope: 'all', verify: true, tagRequired: [SLSA_TAG_REQUIREMENT], appliesTo: BOTH_KINDS });
    expect(result.policy?.rules['allowed-sources'].allow).toEqual(['octo-org/*']);
    expect(result.policy?.exceptions).toEqual([]);
    expect(result.notes).toEqual([
      `${ORG_FILE}:7:5: repositories[0] applies to octo-org/sandbox-1.`,
      `${ORG_FILE}:9:5: repositories[1] applies to octo-org/sandbox-1.`,
      `octo-org/sandbox-1:${PATH}:4:24: rules.pinning.severity "off" ignored; it is looser than "warning" in force, and a repository policy may only tighten (off < warning < error)`,
      `octo-org/sandbox-1:${PATH}:7:3: exceptions ignored; a repository policy cannot exempt its own repository: exceptions belong in the organization policy`,
    ]);
  });

  it('keeps exceptions of the organization policy with their expiry dates for the engine', async () => {
    const gh = new FakeGitHub();
    orgRepo(gh, 'version: 1\nexceptions:\n  - uses: "x/y/.github/workflows/z.yml@v1"\n    rules: [pinning]\n    reason: old\n    expires: 2020-01-01\n');
    const base = appRepo(gh, 'app', undefined);
    gh.intercept();

    const result = await harness().load('app', base);

    expect(result.policy?.exceptions).toEqual([
      {
        uses: 'x/y/.github/workflows/z.yml@v1',
        rules: ['pinning'],
        reason: 'old',
        expires: '2020-01-01',
        location: { file: ORG_FILE, range: { start: { line: 3, column: 5 }, end: { line: 7, column: 1 } } },
      },
    ]);
  });
});

describe('loadEffectivePolicy: caching compiled policies by commit', () => {
  it('compiles nothing again on a second load, but still asks GitHub for the current commit once', async () => {
    const gh = new FakeGitHub();
    orgRepo(gh, ORG_POLICY);
    const base = appRepo(gh, 'app', 'version: 1\nrules:\n  pinning: { scope: all }\n');
    const h = harness();
    gh.intercept();

    const first = await h.load('app', base);
    expect(h.compiled).toEqual([ORG_FILE, APP_FILE]);
    const second = await h.load('app', base);

    expect(h.compiled).toEqual([ORG_FILE, APP_FILE]);
    expect(second).toBe(first);
    expect(gh.count()).toBe(2);
  });

  it('shares the compiled organization policy between repositories and recompiles when its branch moves', async () => {
    const gh = new FakeGitHub();
    orgRepo(gh, ORG_POLICY);
    const app = appRepo(gh, 'app', 'version: 1\n');
    const other = appRepo(gh, 'other', undefined);
    const h = harness();
    gh.intercept();

    await h.load('app', app);
    const before = await h.load('other', other);
    expect(h.compiled).toEqual([ORG_FILE, APP_FILE]);
    expect(before.policy?.enforcement).toBe('block');

    const moved = gh.commit('octo-org/.github', { [PATH]: 'version: 1\nenforcement: warn\n' }, { branch: 'main' });
    const after = await h.load('other', other);

    expect(h.compiled).toEqual([ORG_FILE, APP_FILE, ORG_FILE]);
    expect(after.policy?.enforcement).toBe('warn');
    expect(after.origin.org?.commit).toBe(moved);
  });

  it('names the commit it looked at when the organization still has no policy after its branch moved', async () => {
    const gh = new FakeGitHub();
    orgRepo(gh, undefined);
    const base = appRepo(gh, 'app', undefined);
    const h = harness();
    gh.intercept();

    await h.load('app', base);
    const moved = gh.commit('octo-org/.github', { 'README.md': 'still no policy' }, { branch: 'main' });
    const result = await h.load('app', base);

    expect(result.notes).toEqual([`No organization policy: ${ORG_FILE} does not exist on the default branch (${moved}); the shipped "recommended" preset applies.`]);
    expect(h.compiled).toEqual([]);
  });

  it('stays within its bounds, dropping the least recently used', async () => {
    const gh = new FakeGitHub();
    orgRepo(gh, ORG_POLICY);
    const app = appRepo(gh, 'app', 'version: 1\n');
    const other = appRepo(gh, 'other', 'version: 1\n');
    const h = harness(new PolicyCache({ maxFiles: 2, maxEffective: 1 }));
    gh.intercept();

    await h.load('app', app);
    await h.load('other', other);
    await h.load('app', app);

    // The organization file stayed (used by every load); app's file was dropped for other's, then compiled again.
    expect(h.compiled).toEqual([ORG_FILE, APP_FILE, `octo-org/other:${PATH}`, APP_FILE]);
    expect(h.cache.size).toEqual({ files: 2, effective: 1 });
  });
});
