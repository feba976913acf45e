import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv } from 'ajv';
import nock from 'nock';
import { MemoryCacheStore } from '../../src/cache/memory.js';
import { renderPolicyReview, reviewProposedPolicy, type PolicyReview, type PolicyReviewBudget, type ReviewProposedPolicyInput } from '../../src/app/policy-review.js';
import type { RepoMetadata } from '../../src/graph/types.js';
import type { Logger } from '../../src/log.js';
import { githubSchema } from '../support/fake-github.js';
import { InstallationFakeGitHub, repositoryJson } from '../support/fake-github-installation.js';
import { buildWorld, NoRetryOctokit, type RepoSpec } from '../support/graph.js';

const POLICY = '.github/workflow-policy.yml';
const CI = '.github/workflows/ci.yml';
const BUILD = '.github/workflows/build.yml';
const TOOL = '.github/workflows/tool.yml';
const NOW = new Date('2026-03-01T12:00:00Z');
const PROPOSAL_COMMIT = 'c0ffee'.padEnd(40, '0');

const callable = 'on: workflow_call\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n';
const calling = (uses: string): string => `on: push\njobs:\n  call:\n    uses: ${uses}\n`;

/** The policy in force: tags allowed for other owners' workflows, evil-org blocked. */
const CURRENT = [
  'version: 1',
  'extends: recommended',
  'rules:',
  '  pinning:',
  '    require: ref',
  '    verify: false',
  '  allowed-sources:',
  '    deny: ["evil-org/*"]',
  '',
].join('\n');
const REQUIRE_SHA = CURRENT.replace('require: ref', 'require: sha');
const WITHOUT_DENY = CURRENT.replace('  allowed-sources:\n    deny: ["evil-org/*"]\n', '');

const silent: Logger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

interface Org {
  gh: InstallationFakeGitHub;
  /** The commit of each repository's default branch. */
  commits: Record<string, string>;
  policyRepo: RepoMetadata;
}

/**
 * octo-org's installation: `.github` (the policy, no workflows), `tagged` (calls actions-org/shared by tag),
 * `pinned` (by SHA), `risky` (calls evil-org), `strict` (calls evil-org and denies it in its own policy),
 * `docs` (no workflows) and `old` (archived). actions-org and evil-org are outside the installation.
 */
function org(options: { extra?: Record<string, RepoSpec>; policyRepo?: RepoSpec; repositories?: string[] } = {}): Org {
  const gh = new InstallationFakeGitHub();
  const upstream = buildWorld(
    {
      'actions-org/shared': { files: { [BUILD]: callable }, tags: { v1: {} } },
      'evil-org/tools': { files: { [TOOL]: callable } },
    },
    gh,
  );
  const shared = upstream.commits['actions-org/shared']!;
  const evil = `evil-org/tools/${TOOL}@${upstream.commits['evil-org/tools']!}`;
  const own = buildWorld(
    {
      'octo-org/.github': options.policyRepo ?? { files: { [POLICY]: CURRENT, 'README.md': 'policy' } },
      'octo-org/tagged': { files: { [CI]: calling(`actions-org/shared/${BUILD}@v1`) } },
      'octo-org/pinned': { files: { [CI]: calling(`actions-org/shared/${BUILD}@${shared} # v1`) } },
      'octo-org/risky': { files: { [CI]: calling(evil) } },
      'octo-org/strict': { files: { [CI]: calling(evil), [POLICY]: 'version: 1\nrules:\n  allowed-sources:\n    deny: ["evil-org/*"]\n' } },
      'octo-org/docs': { files: { 'README.md': 'docs' } },
      'octo-org/old': { archived: true, files: { [CI]: calling(`actions-org/shared/${BUILD}@main`) } },
      ...options.extra,
    },
    gh,
  );
  const repositories = options.repositories ?? ['octo-org/.github', 'octo-org/tagged', 'octo-org/pinned', 'octo-org/risky', 'octo-org/strict', 'octo-org/docs', 'octo-org/old', ...Object.keys(options.extra ?? {})];
  gh.installation({ repositories });
  gh.intercept();
  const policyRepo: RepoMetadata = { repo: { owner: 'octo-org', name: '.github' }, visibility: 'public', archived: false, defaultBranch: 'main' };
  return { gh, commits: { ...upstream.commits, ...own.commits }, policyRepo };
}

function review(world: Org, text: string, budget?: PolicyReviewBudget, extra: Partial<ReviewProposedPolicyInput> = {}): Promise<PolicyReview> {
  return reviewProposedPolicy({
    octokit: new NoRetryOctokit({ auth: { token: 'test' } }),
    org: 'octo-org',
    policyRepo: world.policyRepo,
    proposed: { text, path: POLICY, commit: PROPOSAL_COMMIT },
    config: { host: 'github.com', orgPolicyRepo: '.github', policyPath: POLICY, limits: {} },
    now: NOW,
    log: silent,
    ...(budget && { budget }),
    ...extra,
  });
}

/** `name: before → after`, for every repository evaluated. */
function verdicts(result: PolicyReview): string[] {
  return (result.dryRun?.results ?? []).map((entry) => `${entry.repository.repo.name}: ${entry.before} → ${entry.after}`);
}

function names(entries: { repository: RepoMetadata }[] | undefined): string[] {
  return (entries ?? []).map((entry) => `${entry.repository.repo.owner}/${entry.repository.repo.name}`);
}

/** Each request as `method route` plus, for GraphQL, the operation and the repositories it names. */
function requestLog(world: Org): string[] {
  return world.gh.requests.map((entry) => {
    if (!entry.graphql) return `${entry.method} ${entry.path}${entry.query.page ? `?page=${entry.query.page}` : ''}`;
    const operation = /query\s+(\w+)/.exec(entry.graphql.query)?.[1] ?? '?';
    const variables = entry.graphql.variables;
    const repos = Object.keys(variables)
      .filter((name) => name === 'owner' || /^o\d+$/.test(name))
      .map((name) => `${String(variables[name])}/${String(variables[name === 'owner' ? 'name' : name.replace('o', 'n')])}`);
    return `${operation} ${repos.join(',')}`;
  });
}

beforeAll(() => {
  nock.disableNetConnect();
  // Built once per file: the first GraphQL answer would otherwise spend the time budget building it.
  githubSchema();
});

afterEach(async () => {
  nock.cleanAll();
});

afterAll(() => {
  nock.enableNetConnect();
});

describe('validation', () => {
  test('an invalid proposal gets its diagnostics at its own lines, and nothing is read from GitHub', async () => {
    const world = org();
    const text = 'version: 1\nextends: recommended\nrules:\n  pinning:\n    require: always\n  allowed-sources:\n    deny: "evil-org/*"\n';
    const result = await review(world, text);
    expect(result).toEqual({
      file: POLICY,
      commit: PROPOSAL_COMMIT,
      diagnostics: [
        { file: POLICY, line: 5, column: 14, endLine: 5, endColumn: 20, message: 'invalid value "always" for rules.pinning.require; allowed values: "sha", "ref", "any"' },
        { file: POLICY, line: 7, column: 11, endLine: 7, endColumn: 23, message: 'rules.allowed-sources.deny must be a list; got "evil-org/*"' },
      ],
    });
    expect(world.gh.requests).toEqual([]);
    expect(renderPolicyReview(result, { redactPrivate: true })).toBe(
      [
        '### Proposed workflow policy',
        '',
        '**Invalid:** 2 problems in `.github/workflow-policy.yml`; no dry run was made.',
        '',
        '```text',
        '.github/workflow-policy.yml:5:14: invalid value "always" for rules.pinning.require; allowed values: "sha", "ref", "any"',
        '.github/workflow-policy.yml:7:11: rules.allowed-sources.deny must be a list; got "evil-org/*"',
        '```',
      ].join('\n'),
    );
  });

  test('an unknown preset in `extends` is a diagnostic at the preset name', async () => {
    const world = org();
    const result = await review(world, 'version: 1\nextends: recomended\n');
    expect(result.diagnostics).toEqual([
      { file: POLICY, line: 2, column: 10, endLine: 2, endColumn: 20, message: 'unknown preset "recomended"; did you mean "recommended"?' },
    ]);
    expect(result.dryRun).toBeUndefined();
    expect(world.gh.requests).toEqual([]);
  });
});

describe('dry run', () => {
  test('requiring SHA pins newly fails the repository that calls by tag; the SHA-pinned one keeps passing', async () => {
    const world = org();
    const result = await review(world, REQUIRE_SHA);
    expect(result.diagnostics).toEqual([]);
    expect(result.error).toBeUndefined();
    expect(verdicts(result)).toEqual([
      'docs: success → success',
      'pinned: success → success',
      'risky: failure → failure',
      'strict: failure → failure',
      'tagged: success → failure',
    ]);
    const dryRun = result.dryRun!;
    expect(names(dryRun.newlyFailing)).toEqual(['octo-org/tagged']);
    expect(dryRun.newlyFailing[0]!.findings.map((finding) => [finding.ruleId, finding.severity, finding.location.jobId])).toEqual([['pinning', 'error', 'call']]);
    expect(dryRun.newlyFailing[0]!.commit).toBe(world.commits['octo-org/tagged']);
    expect(dryRun.results.find((entry) => entry.repository.repo.name === 'pinned')!.findings).toEqual([]);
    expect(dryRun.newlyPassing).toEqual([]);
    // The archived repository is left out; the policy repository has no workflows, so it is not counted.
    expect({ total: dryRun.total, unchanged: dryRun.unchanged, errors: dryRun.errors, skipped: dryRun.skipped, partial: dryRun.partial }).toEqual({
      total: 5,
      unchanged: 4,
      errors: [],
      skipped: { count: 0, time: 0 },
      partial: false,
    });
    expect(world.gh.requests.some((entry) => JSON.stringify(entry.graphql?.variables ?? {}).includes('"old"'))).toBe(false);
  });

  test('removing a deny newly passes the repository that calls the blocked owner; a repository that denies it itself keeps failing', async () => {
    const world = org();
    const result = await review(world, WITHOUT_DENY);
    const dryRun = result.dryRun!;
    expect(names(dryRun.newlyPassing)).toEqual(['octo-org/risky']);
    expect(names(dryRun.newlyFailing)).toEqual([]);
    const strict = dryRun.results.find((entry) => entry.repository.repo.name === 'strict')!;
    expect([strict.before, strict.after]).toEqual(['failure', 'failure']);
    // Its own tighten-only policy still applies under the proposal.
    expect(strict.findings.map((finding) => [finding.ruleId, finding.severity])).toEqual([['allowed-sources', 'error']]);
    expect(strict.findings[0]!.message).toContain('evil-org/tools');
    expect(dryRun.results.find((entry) => entry.repository.repo.name === 'risky')!.findings).toEqual([]);
  });

  test("the proposal's `repositories` overrides are applied per repository", async () => {
    const world = org();
    const proposal = `${REQUIRE_SHA}repositories:\n  - match: ["octo-org/tagged"]\n    enforcement: warn\n`;
    const result = await review(world, proposal);
    const tagged = result.dryRun!.results.find((entry) => entry.repository.repo.name === 'tagged')!;
    expect([tagged.before, tagged.after]).toEqual(['success', 'neutral']);
    expect(tagged.findings.map((finding) => finding.ruleId)).toEqual(['pinning']);
    expect(result.dryRun!.newlyFailing).toEqual([]);
  });

  test('a repository with an invalid policy of its own fails closed under both policies, with the reason', async () => {
    const world = org({ extra: { 'octo-org/broken': { files: { [CI]: calling(`actions-org/shared/${BUILD}@v1`), [POLICY]: 'version: 2\n' } } } });
    const result = await review(world, REQUIRE_SHA);
    const broken = result.dryRun!.results.find((entry) => entry.repository.repo.name === 'broken')!;
    expect([broken.before, broken.after, broken.findings]).toEqual(['failure', 'failure', []]);
    expect(broken.afterProblem).toMatch(/^octo-org\/broken:\.github\/workflow-policy\.yml:1:10: /);
    expect(broken.beforeProblem).toBe(broken.afterProblem);
  });

  test('a proposal that fixes a broken policy newly passes every repository with workflows', async () => {
    const world = org({ policyRepo: { files: { [POLICY]: 'version: 1\nenforcement: always\n' } } });
    const result = await review(world, CURRENT);
    expect(verdicts(result)).toEqual([
      'docs: success → success',
      'pinned: failure → success',
      'risky: failure → failure',
      'strict: failure → failure',
      'tagged: failure → success',
    ]);
    expect(names(result.dryRun!.newlyPassing)).toEqual(['octo-org/pinned', 'octo-org/tagged']);
    expect(result.dryRun!.results[1]!.beforeProblem).toMatch(/^octo-org\/\.github:\.github\/workflow-policy\.yml:2:14: /);
  });

  test('the policy repository is evaluated when it has workflows', async () => {
    const world = org({ policyRepo: { files: { [POLICY]: CURRENT, [CI]: calling(`actions-org/shared/${BUILD}@v1`) } } });
    const result = await review(world, REQUIRE_SHA);
    expect(names(result.dryRun!.newlyFailing)).toEqual(['octo-org/.github', 'octo-org/tagged']);
    expect(result.dryRun!.total).toBe(6);
  });

  test('requests per repository: one GraphQL for its default branch, one per graph level, the ref facts once; both policies share them', async () => {
    const world = org({ repositories: ['octo-org/.github', 'octo-org/pinned', 'octo-org/tagged', 'octo-org/docs'] });
    const result = await review(world, REQUIRE_SHA, { concurrency: 1 });
    expect(verdicts(result)).toEqual(['docs: success → success', 'pinned: success → success', 'tagged: success → failure']);
    expect(requestLog(world)).toEqual([
      'GET /installation/repositories',
      'WardenPolicyFiles octo-org/.github',
      // By name: the policy repository (no workflows: nothing more), docs (none either).
      'WardenDefaultBranch octo-org/.github',
      'WardenDefaultBranch octo-org/docs',
      // pinned: its workflows, the called file at its commit (level 1), the tags of the called repository.
      'WardenDefaultBranch octo-org/pinned',
      'WardenLevel actions-org/shared',
      'WardenRefs actions-org/shared',
      // tagged: the same file by tag (the commit's file and the tags are in the review's cache by now).
      'WardenDefaultBranch octo-org/tagged',
      'WardenLevel actions-org/shared',
    ]);
    const listing = world.gh.requests[0]!;
    expect(listing.query).toEqual({ per_page: '100' });
  });

  test('the durable cache is used and filled: a second review reads only the default branches', async () => {
    const world = org({ repositories: ['octo-org/pinned', 'octo-org/tagged'] });
    const cache = new MemoryCacheStore();
    await review(world, REQUIRE_SHA, { concurrency: 1 }, { cache });
    world.gh.clearLog();
    const second = await review(world, REQUIRE_SHA, { concurrency: 1 }, { cache });
    expect(verdicts(second)).toEqual(['pinned: success → success', 'tagged: success → failure']);
    expect(requestLog(world)).toEqual([
      'GET /installation/repositories',
      'WardenPolicyFiles octo-org/.github',
      'WardenDefaultBranch octo-org/pinned',
      'WardenDefaultBranch octo-org/tagged',
    ]);
  });
});

describe('budget', () => {
  test('by count: the first repositories by name are evaluated, the rest are counted as skipped and never read', async () => {
    const world = org();
    const result = await review(world, REQUIRE_SHA, { maxRepositories: 3 });
    const dryRun = result.dryRun!;
    expect(verdicts(result)).toEqual(['docs: success → success', 'pinned: success → success']);
    expect({ total: dryRun.total, skipped: dryRun.skipped, partial: dryRun.partial, partialReason: dryRun.partialReason }).toEqual({
      total: 5,
      skipped: { count: 3, time: 0 },
      partial: true,
      partialReason: '3 repositories skipped: at most 3 are evaluated per dry run, the first by name',
    });
    const read = requestLog(world).filter((line) => line.startsWith('WardenDefaultBranch'));
    expect(read).toEqual(['WardenDefaultBranch octo-org/.github', 'WardenDefaultBranch octo-org/docs', 'WardenDefaultBranch octo-org/pinned']);
  });

  test('by time: a slow repository is cut short, the rest are not started, and the dry run says it is partial', async () => {
    const world = org();
    world.gh.slowRepository('octo-org/pinned', 800);
    const result = await review(world, REQUIRE_SHA, { concurrency: 1, timeMs: 500 });
    const dryRun = result.dryRun!;
    expect(verdicts(result)).toEqual(['docs: success → success']);
    expect({ total: dryRun.total, skipped: dryRun.skipped, partial: dryRun.partial, partialReason: dryRun.partialReason }).toEqual({
      total: 5,
      skipped: { count: 0, time: 4 },
      partial: true,
      partialReason: 'the time budget of 0.5 s ran out before 4 repositories were evaluated',
    });
    // What was in flight at the deadline finishes in the background, and stops there.
    await waitFor(() => world.gh.busy === 0);
    const read = requestLog(world).filter((line) => line.startsWith('WardenDefaultBranch'));
    expect(read).toEqual(['WardenDefaultBranch octo-org/.github', 'WardenDefaultBranch octo-org/docs', 'WardenDefaultBranch octo-org/pinned']);
    expect(world.gh.count('POST /graphql')).toBe(4);
  });

  test.each([1, 3])('at most %i repositories are evaluated at once', async (concurrency) => {
    const world = org();
    // Slow answers, so that requests of different repositories overlap whenever they may.
    world.gh.inject('POST /graphql', { delayMs: 20 });
    const result = await review(world, REQUIRE_SHA, { concurrency });
    expect(result.dryRun!.results).toHaveLength(5);
    expect(world.gh.maxInFlight).toBe(concurrency);
  });
});

describe('failures', () => {
  test('a repository that cannot be read is an error with the reason; the others are evaluated', async () => {
    const world = org();
    world.gh.failRepository('octo-org/risky', 502);
    const result = await review(world, WITHOUT_DENY);
    expect(result.dryRun!.errors).toEqual([
      { repository: expect.objectContaining({ repo: { owner: 'octo-org', name: 'risky' } }), reason: 'GitHub answered 502: Bad Gateway' },
    ]);
    expect(verdicts(result)).toEqual(['docs: success → success', 'pinned: success → success', 'strict: failure → failure', 'tagged: success → success']);
    expect(result.dryRun!.partial).toBe(false);
  });

  test('the listing failing is an error of the review, never an exception', async () => {
    const world = org();
    world.gh.inject('GET /installation/repositories', { status: 403, body: { message: 'Resource not accessible by integration' } });
    const result = await review(world, REQUIRE_SHA);
    expect(result).toEqual({
      file: POLICY,
      commit: PROPOSAL_COMMIT,
      diagnostics: [],
      error: "The installation's repositories could not be listed: GitHub answered 403: Resource not accessible by integration",
    });
    expect(renderPolicyReview(result, { redactPrivate: true })).toBe(
      [
        '### Proposed workflow policy',
        '',
        `**Valid:** \`${POLICY}\` at c0ffee0 has no problems.`,
        '',
        "**Dry run:** not made. The installation's repositories could not be listed: GitHub answered 403: Resource not accessible by integration",
      ].join('\n'),
    );
  });

  test('the current organization policy not being readable stops the dry run with the reason', async () => {
    const world = org();
    world.gh.inject('POST /graphql', { status: 500, times: 1 });
    const result = await review(world, REQUIRE_SHA);
    expect(result.dryRun).toBeUndefined();
    expect(result.error).toMatch(/^The current organization policy could not be read: /);
  });
});

describe('listing', () => {
  test('GET /installation/repositories is paginated and shaped as GitHub documents it', async () => {
    const gh = new InstallationFakeGitHub();
    const repositories = Array.from({ length: 101 }, (_, index) => `octo-org/repo-${String(index).padStart(3, '0')}`);
    buildWorld(Object.fromEntries(repositories.map((name) => [name, { files: { 'README.md': name } }])), gh);
    gh.installation({ repositories });
    gh.intercept();
    const world: Org = { gh, commits: {}, policyRepo: { repo: { owner: 'octo-org', name: '.github' }, visibility: 'public', archived: false } };
    const result = await review(world, REQUIRE_SHA, { maxRepositories: 0 });
    expect(requestLog(world)).toEqual(['GET /installation/repositories', 'GET /installation/repositories?page=2', 'WardenPolicyFiles octo-org/.github']);
    expect({ total: result.dryRun!.total, skipped: result.dryRun!.skipped }).toEqual({ total: 101, skipped: { count: 101, time: 0 } });

    const validate = installationRepositoriesSchema();
    const page = await fetch('https://api.github.com/installation/repositories?per_page=2&page=2').then(async (response) => ({
      link: response.headers.get('link'),
      body: (await response.json()) as { total_count: number; repositories: { full_name: string }[] },
    }));
    expect(validate(page.body)).toBe(true);
    expect(page.body.repositories.map((repo) => repo.full_name)).toEqual(['octo-org/repo-002', 'octo-org/repo-003']);
    expect(page.link).toBe(
      [
        '<https://api.github.com/installation/repositories?per_page=2&page=1>; rel="prev"',
        '<https://api.github.com/installation/repositories?per_page=2&page=3>; rel="next"',
        '<https://api.github.com/installation/repositories?per_page=2&page=51>; rel="last"',
        '<https://api.github.com/installation/repositories?per_page=2&page=1>; rel="first"',
      ].join(', '),
    );
    expect(validate({ total_count: 1, repositories: [{ ...repositoryJson(gh.repo('octo-org/repo-000'), 'https://api.github.com'), owner: null }] })).toBe(false);
  });
});

describe('rendering', () => {
  const privateApps = {
    'octo-org/secret-app': { visibility: 'private' as const, files: { [CI]: calling(`actions-org/shared/${BUILD}@v1`) } },
    'octo-org/inner-app': { visibility: 'internal' as const, files: { [CI]: calling(`actions-org/shared/${BUILD}@v1`) } },
  };

  test('a public policy repository never names private or internal repositories', async () => {
    const world = org({ extra: privateApps });
    const result = await review(world, REQUIRE_SHA);
    expect(names(result.dryRun!.newlyFailing)).toEqual(['octo-org/inner-app', 'octo-org/secret-app', 'octo-org/tagged']);
    const text = renderPolicyReview(result, { redactPrivate: true });
    expect(text).toBe(
      [
        '### Proposed workflow policy',
        '',
        `**Valid:** \`${POLICY}\` at c0ffee0 has no problems.`,
        '',
        '**Dry run** (default branches, current policy → proposed): 3 repositories would newly fail / 0 would newly pass / 4 unchanged / evaluated 7 of 7',
        '',
        'Would newly fail:',
        '- `octo-org/tagged` — pinning',
        '- 2 private or internal repositories (not named: this repository is public)',
      ].join('\n'),
    );
    expect(text).not.toMatch(/secret|inner/);
  });

  test('a private policy repository names them all; lists stop at 30 names', async () => {
    const many = Object.fromEntries(
      Array.from({ length: 30 }, (_, index) => [`octo-org/app-${String(index).padStart(2, '0')}`, { visibility: 'private' as const, files: { [CI]: calling(`actions-org/shared/${BUILD}@v1`) } }]),
    );
    const world = org({ extra: many });
    const result = await review(world, REQUIRE_SHA, { maxRepositories: 100, concurrency: 8 });
    const text = renderPolicyReview(result, { redactPrivate: false });
    const listed = text.split('\n').filter((line) => line.startsWith('- '));
    expect(listed).toHaveLength(31);
    expect(listed[0]).toBe('- `octo-org/app-00` — pinning');
    expect(listed[29]).toBe('- `octo-org/app-29` — pinning');
    expect(listed[30]).toBe('- and 1 more');
    expect(text).toContain('31 repositories would newly fail / 0 would newly pass / 4 unchanged / evaluated 35 of 35');
  });

  test('partial dry runs and errors are shown, errors of private repositories only counted when redacting', () => {
    const repository = (name: string, visibility: RepoMetadata['visibility']): RepoMetadata => ({ repo: { owner: 'octo-org', name }, visibility, archived: false });
    const passing = { workflows: 1, before: 'failure' as const, after: 'success' as const, findings: [] };
    const result: PolicyReview = {
      file: POLICY,
      commit: PROPOSAL_COMMIT,
      diagnostics: [],
      dryRun: {
        total: 9,
        results: [{ repository: repository('risky', 'public'), ...passing }, { repository: repository('hidden', 'internal'), ...passing }],
        newlyFailing: [],
        newlyPassing: [{ repository: repository('risky', 'public'), ...passing }, { repository: repository('hidden', 'internal'), ...passing }],
        unchanged: 0,
        errors: [
          { repository: repository('gone', 'public'), reason: 'the repository was not found or is not visible to the app.' },
          { repository: repository('vault', 'private'), reason: 'GitHub answered 502: Bad Gateway' },
        ],
        skipped: { count: 2, time: 3 },
        partial: true,
        partialReason: 'a reason',
      },
    };
    expect(renderPolicyReview(result, { redactPrivate: true }).split('\n').slice(4)).toEqual([
      '**Dry run** (default branches, current policy → proposed): 0 repositories would newly fail / 2 would newly pass / 0 unchanged / 2 could not be evaluated / evaluated 2 of 9 (partial: a reason)',
      '',
      'Would newly pass:',
      '- `octo-org/risky`',
      '- 1 private or internal repository (not named: this repository is public)',
      '',
      'Could not be evaluated:',
      '- `octo-org/gone` — the repository was not found or is not visible to the app.',
      '- 1 private or internal repository (not named: this repository is public)',
    ]);
    expect(renderPolicyReview(result, { redactPrivate: false })).toContain('- `octo-org/vault` — GitHub answered 502: Bad Gateway');
  });
});

/** The 200 response schema of `GET /installation/repositories` from GitHub's OpenAPI description. */
function installationRepositoriesSchema(): (data: unknown) => boolean {
  const require = createRequire(import.meta.url);
  const api = JSON.parse(readFileSync(require.resolve('@octokit/openapi/generated/api.github.com.json'), 'utf8')) as {
    paths: Record<string, { get: { responses: Record<string, { content: Record<string, { schema: object }> }> } }>;
    components: object;
  };
  const ajv = new Ajv({ strict: false, validateFormats: false });
  ajv.addSchema({ components: api.components }, 'api');
  const schema = api.paths['/installation/repositories']!.get.responses['200']!.content['application/json']!.schema;
  const validate = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"api#/components/')) as object);
  return (data) => validate(data);
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let waited = 0; !condition(); waited += 10) {
    if (waited > 5000) throw new Error('condition not met within 5 s');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
