import { parse, validate } from 'graphql';
import nock from 'nock';
import { ProbotOctokit } from 'probot';
import type { RepoId, ResolutionError } from '../../src/graph/types.js';
import type { Logger } from '../../src/log.js';
import { GitHubSource, type GitHubSourceOptions } from '../../src/source/github.js';
import type { RefFacts } from '../../src/source/port.js';
import { FakeGitHub, githubSchema } from '../support/fake-github.js';

const NoRetryOctokit = ProbotOctokit.defaults({ retry: { enabled: false }, throttle: { enabled: false } });

const WF = '.github/workflows/build.yml';
const shared: RepoId = { owner: 'octo-org', name: 'shared' };
const COMPARE = 'GET /repos/{owner}/{repo}/compare/{basehead}';

function source(options: Partial<GitHubSourceOptions> = {}): GitHubSource {
  return new GitHubSource({ octokit: new NoRetryOctokit({ auth: { token: 'test' } }), host: 'github.com', ...options });
}

interface World {
  gh: FakeGitHub;
  /** main: c1 ← c2 ← c3 (head); `release` branches off at c1 with r1. */
  c1: string;
  c2: string;
  c3: string;
  r1: string;
  /** The annotated tag v1.0.0's tag object (at c1). */
  tagObject: string;
  /** Child of main's head, on no branch or tag: a commit pushed to a fork. */
  impostor: string;
  /** A commit with no history in common with the repository's refs. */
  orphan: string;
}

function world(): World {
  const gh = new FakeGitHub();
  gh.addRepo('octo-org/shared');
  const file = (label: string) => ({ [WF]: `name: ${label}\non: workflow_call\njobs: {}\n` });
  const c1 = gh.commit('octo-org/shared', file('c1'), { branch: 'main' });
  const c2 = gh.commit('octo-org/shared', file('c2'), { branch: 'main' });
  const c3 = gh.commit('octo-org/shared', file('c3'), { branch: 'main' });
  const r1 = gh.commit('octo-org/shared', file('r1'), { branch: 'release', parents: [c1] });
  const tagObject = gh.tag('octo-org/shared', 'v1.0.0', c1, { annotated: true });
  gh.tag('octo-org/shared', 'v1.1.0', c3);
  gh.tag('octo-org/shared', 'v1', c3);
  const impostor = gh.impostor('octo-org/shared', file('evil'));
  const orphan = gh.commit('octo-org/shared', file('orphan'));
  return { gh, c1, c2, c3, r1, tagObject, impostor, orphan };
}

/**
 * A maintenance line off c1 on branch `v0` (m1 ← m2 ← m3 ← m4, tags v0.8.0 at m1 and v0.9.0 at m3) and five
 * feature branches off main's head, named before `main` and `v0`: more refs than one commit's compare budget.
 */
function maintenanceLine(w: World): { m1: string; m2: string; m3: string } {
  const file = (label: string) => ({ [WF]: `name: ${label}\non: workflow_call\njobs: {}\n` });
  const m1 = w.gh.commit('octo-org/shared', file('m1'), { branch: 'v0', parents: [w.c1] });
  const m2 = w.gh.commit('octo-org/shared', file('m2'), { branch: 'v0' });
  const m3 = w.gh.commit('octo-org/shared', file('m3'), { branch: 'v0' });
  w.gh.commit('octo-org/shared', file('m4'), { branch: 'v0' });
  w.gh.tag('octo-org/shared', 'v0.8.0', m1);
  w.gh.tag('octo-org/shared', 'v0.9.0', m3);
  for (let index = 1; index <= 5; index++) w.gh.commit('octo-org/shared', file(`f${index}`), { branch: `feature-${index}`, parents: [w.c3] });
  return { m1, m2, m3 };
}

function okFacts(facts: Map<string, RefFacts | ResolutionError>, key = 'octo-org/shared'): RefFacts {
  const answer = facts.get(key);
  if (answer === undefined || 'kind' in answer) throw new Error(`no facts for ${key}: ${answer?.message ?? 'absent'}`);
  return answer;
}

/** The compares sent, as `base...head`, in order. */
function compares(gh: FakeGitHub): string[] {
  return gh.requests.filter((entry) => entry.route === COMPARE).map((entry) => entry.path.split('/compare/')[1]!);
}

function recordingLogger(): Logger & { warnings: string[] } {
  const warnings: string[] = [];
  const ignore = () => undefined;
  return {
    warnings,
    debug: ignore,
    info: ignore,
    error: ignore,
    warn: (details: object | string, message?: string) => warnings.push(typeof details === 'string' ? details : (message ?? '')),
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

describe('GitHubSource.fetchRefFacts', () => {
  it('lists tags (annotated ones peeled) in one GraphQL request that validates, and settles ref tips without a compare', async () => {
    const w = world();
    w.gh.intercept();
    const facts = await source().fetchRefFacts([{ repo: shared, defaultBranch: 'main', commits: [w.c1, w.c3.toUpperCase(), w.r1] }]);

    expect(w.gh.requests.map((entry) => `${entry.method} ${entry.path} ${entry.outcome}`)).toEqual(['POST /graphql 200']);
    const { query, variables } = w.gh.graphqlRequests()[0]!.graphql!;
    expect(validate(githubSchema(), parse(query))).toEqual([]);
    expect(query).toContain('refs(refPrefix: "refs/tags/", first: 100, orderBy: {field: TAG_COMMIT_DATE, direction: DESC})');
    expect(variables).toEqual({ o0: 'octo-org', n0: 'shared', d0: 'refs/heads/main' });
    expect(facts).toEqual(
      new Map([
        [
          'octo-org/shared',
          {
            tagsByCommit: new Map([
              [w.c3, ['v1.1.0', 'v1']],
              [w.c1, ['v1.0.0']],
            ]),
            reachable: new Map([
              [w.c1, true],
              [w.c3, true],
              [w.r1, true],
            ]),
          },
        ],
      ]),
    );
    expect([...okFacts(facts).tagsByCommit.keys()]).not.toContain(w.tagObject);
  });

  it('finds a commit of the default branch history with one compare against its head', async () => {
    const w = world();
    w.gh.intercept();
    const facts = await source().fetchRefFacts([{ repo: shared, defaultBranch: 'main', commits: [w.c2] }]);

    expect(facts.get('octo-org/shared')).toMatchObject({ reachable: new Map([[w.c2, true]]) });
    expect(compares(w.gh)).toEqual([`${w.c3}...${w.c2}`]);
    const compare = w.gh.requests.find((entry) => entry.route === COMPARE)!;
    expect(compare).toMatchObject({ path: `/repos/octo-org/shared/compare/${w.c3}...${w.c2}`, query: { per_page: '1' }, outcome: 200 });
  });

  it('answers false for an impostor commit once every branch and tag was compared (the default branch first)', async () => {
    const w = world();
    w.gh.intercept();
    const facts = await source().fetchRefFacts([{ repo: shared, commits: [w.impostor, w.orphan] }]);

    expect(okFacts(facts).reachable).toEqual(
      new Map([
        [w.impostor, false],
        [w.orphan, false],
      ]),
    );
    // Branch heads (main's first, as the default branch), then tags: c3 is both, c1 only tagged.
    expect(compares(w.gh).filter((basehead) => basehead.endsWith(w.impostor))).toEqual([
      `${w.c3}...${w.impostor}`,
      `${w.r1}...${w.impostor}`,
      `${w.c1}...${w.impostor}`,
    ]);
    // An unrelated history: GitHub answers 404 "No common ancestor", a definite no.
    expect(w.gh.requests.filter((entry) => entry.path.endsWith(w.orphan)).map((entry) => entry.outcome)).toEqual([404, 404, 404]);
    expect(w.gh.requests.filter((entry) => entry.route === 'POST /graphql')).toHaveLength(1);
  });

  it('leaves a commit unknown when the per-commit budget runs out before every ref was compared', async () => {
    const w = world();
    w.gh.intercept();
    const facts = await source({ maxComparesPerCommit: 2 }).fetchRefFacts([{ repo: shared, commits: [w.impostor] }]);

    expect(okFacts(facts).reachable).toEqual(new Map());
    expect(compares(w.gh)).toEqual([`${w.c3}...${w.impostor}`, `${w.r1}...${w.impostor}`]);
  });

  it('spends the total budget on each commit’s default-branch compare first', async () => {
    const w = world();
    w.gh.intercept();
    const facts = await source({ maxCompares: 2 }).fetchRefFacts([{ repo: shared, commits: [w.c2, w.impostor] }]);

    expect(okFacts(facts).reachable).toEqual(new Map([[w.c2, true]]));
    expect(compares(w.gh)).toEqual([`${w.c3}...${w.c2}`, `${w.c3}...${w.impostor}`]);
  });

  it('never answers false when more refs exist than one page lists, and looks commented tags up by name', async () => {
    const w = world();
    // 101 more tags at c1, listed before `v1.0.0` (ties in date go by name, descending): a page leaves it out.
    for (let index = 0; index < 101; index++) w.gh.tag('octo-org/shared', `z-${String(index).padStart(3, '0')}`, w.c1);
    w.gh.intercept();
    const facts = await source().fetchRefFacts([{ repo: shared, commits: [w.impostor], tags: ['v1.0.0', 'v9'] }]);

    const result = okFacts(facts);
    expect(result.reachable).toEqual(new Map());
    expect(compares(w.gh)).toHaveLength(3);
    const atC1 = result.tagsByCommit.get(w.c1)!;
    expect([atC1.length, atC1[0], atC1.at(-2), atC1.at(-1)]).toEqual([99, 'z-100', 'z-003', 'v1.0.0']);
    expect(w.gh.graphqlRequests()[0]!.graphql!.variables).toMatchObject({ t0_0: 'refs/tags/v1.0.0', t0_1: 'refs/tags/v9' });
  });

  it('proves a pin in its commented tag’s history right after the default branch, however many branches come first', async () => {
    const w = world();
    const maint = maintenanceLine(w);
    w.gh.intercept();
    const facts = await source().fetchRefFacts([{ repo: shared, defaultBranch: 'main', commits: [maint.m2], commentTags: new Map([[maint.m2, ['v0.9.0']]]) }]);

    expect(okFacts(facts).reachable).toEqual(new Map([[maint.m2, true]]));
    expect(compares(w.gh)).toEqual([`${w.c3}...${maint.m2}`, `${maint.m3}...${maint.m2}`]);
    expect(w.gh.graphqlRequests()[0]!.graphql!.variables).toMatchObject({ t0_0: 'refs/tags/v0.9.0' });
  });

  it('tries the recent tags next to a stale commented tag (the newer first) before the other refs', async () => {
    const w = world();
    const maint = maintenanceLine(w);
    w.gh.intercept();
    // m2 is after v0.8.0 (m1) and before v0.9.0 (m3): the comment was not updated.
    const facts = await source().fetchRefFacts([{ repo: shared, commits: [maint.m2], commentTags: new Map([[maint.m2, ['v0.8.0']]]) }]);

    expect(okFacts(facts).reachable).toEqual(new Map([[maint.m2, true]]));
    // Tags by commit date, newest first: m3 (v0.9.0), m1 (v0.8.0), c3 (v1, v1.1.0), c1 (v1.0.0); c3 is the default branch's head, compared already.
    expect(compares(w.gh)).toEqual([`${w.c3}...${maint.m2}`, `${maint.m1}...${maint.m2}`, `${maint.m3}...${maint.m2}`, `${w.c1}...${maint.m2}`]);
  });

  it('still answers false for an impostor whose comment names a real tag, once every ref was compared', async () => {
    const w = world();
    w.gh.intercept();
    const facts = await source().fetchRefFacts([{ repo: shared, commits: [w.impostor], commentTags: new Map([[w.impostor.toUpperCase(), ['v1.0.0']]]) }]);

    expect(okFacts(facts).reachable).toEqual(new Map([[w.impostor, false]]));
    expect(compares(w.gh)).toEqual([`${w.c3}...${w.impostor}`, `${w.c1}...${w.impostor}`, `${w.r1}...${w.impostor}`]);
  });

  it('sends owners, names, branches and tag names as variables only', async () => {
    const w = world();
    w.gh.intercept();
    const hostile = 'x") { __typename } evil: repository(owner: "a';
    const facts = await source().fetchRefFacts([{ repo: { owner: 'octo-org', name: hostile }, defaultBranch: hostile, commits: [], tags: [hostile] }]);

    const { query } = w.gh.graphqlRequests()[0]!.graphql!;
    expect(query).not.toContain('evil');
    expect(query).not.toContain('octo-org');
    expect(facts.get(`octo-org/${hostile}`.toLowerCase())).toMatchObject({ kind: 'repo-not-found' });
  });

  it('gives a missing or renamed repository its typed error and leaves the others intact', async () => {
    const w = world();
    w.gh.addRepo('octo-org/old');
    w.gh.commit('octo-org/old', { [WF]: 'on: workflow_call\n' }, { branch: 'main' });
    w.gh.rename('octo-org/old', 'octo-org/new');
    w.gh.intercept();
    const facts = await source().fetchRefFacts([
      { repo: { owner: 'octo-org', name: 'gone' }, commits: [w.c2] },
      { repo: { owner: 'octo-org', name: 'old' }, commits: [] },
      { repo: shared, commits: [w.c1] },
    ]);

    expect(facts.get('octo-org/gone')).toEqual({
      kind: 'repo-not-found',
      message: 'Repository octo-org/gone was not found or is not visible to the app.',
    });
    expect(facts.get('octo-org/old')).toMatchObject({ kind: 'repo-renamed', renamedTo: { owner: 'octo-org', name: 'new' } });
    expect(facts.get('octo-org/shared')).toMatchObject({ reachable: new Map([[w.c1, true]]) });
    expect(w.gh.count()).toBe(1);
  });

  it('gives every repository the failure of a failed GraphQL request, without a compare', async () => {
    const w = world();
    w.gh.inject('POST /graphql', { status: 500 });
    w.gh.intercept();
    const logger = recordingLogger();
    const facts = await source({ logger }).fetchRefFacts([{ repo: shared, commits: [w.c2] }]);

    expect(facts).toEqual(
      new Map([['octo-org/shared', { kind: 'server-error', status: 500, message: 'the GraphQL API answered 500: Internal Server Error' }]]),
    );
    expect(w.gh.count(COMPARE)).toBe(0);
    expect(logger.warnings).toEqual(['the GraphQL API answered 500: Internal Server Error']);
  });

  it('leaves a commit unknown when a compare fails, and logs it', async () => {
    const w = world();
    w.gh.inject(COMPARE, { status: 500, times: 3 });
    w.gh.intercept();
    const logger = recordingLogger();
    const facts = await source({ logger }).fetchRefFacts([{ repo: shared, commits: [w.impostor] }]);

    expect(okFacts(facts).reachable).toEqual(new Map());
    expect(w.gh.count(COMPARE)).toBe(3);
    expect(logger.warnings).toHaveLength(3);
    expect(logger.warnings[0]).toBe('GitHub (octo-org/shared compare) answered 500: Internal Server Error');
  });

  it('merges requests for one repository and splits many repositories into concurrent requests', async () => {
    const w = world();
    for (let index = 0; index < 21; index++) w.gh.addRepo(`many/repo-${index}`);
    w.gh.intercept();
    const many = Array.from({ length: 21 }, (_, index) => ({ repo: { owner: 'many', name: `repo-${index}` }, commits: [] }));
    const facts = await source().fetchRefFacts([{ repo: shared, commits: [w.c1] }, ...many, { repo: { owner: 'Octo-Org', name: 'Shared' }, commits: [w.c3] }]);

    expect(w.gh.count('POST /graphql')).toBe(2);
    expect(w.gh.graphqlRequests().map((entry) => Object.keys(entry.graphql!.variables).length / 2)).toEqual([20, 2]);
    expect(facts.get('octo-org/shared')).toMatchObject({ reachable: new Map([[w.c1, true], [w.c3, true]]) });
    expect(facts.get('many/repo-20')).toEqual({ tagsByCommit: new Map(), reachable: new Map() });
    expect(facts.size).toBe(22);
  });
});

describe('FakeGitHub refs and compare, as GitHub answers them', () => {
  it('compares base...head with status, ahead_by and behind_by from the history of parents', async () => {
    const w = world();
    w.gh.intercept();
    const client = new NoRetryOctokit({ auth: { token: 'test' } });
    const compare = async (basehead: string) => {
      const { data } = await client.request(COMPARE, { owner: 'octo-org', repo: 'shared', basehead });
      return [data.status, data.ahead_by, data.behind_by, data.merge_base_commit.sha, data.commits.map((commit) => commit.sha)];
    };

    expect(await compare(`main...${w.c2}`)).toEqual(['behind', 0, 1, w.c2, []]);
    expect(await compare(`v1.0.0...main`)).toEqual(['ahead', 2, 0, w.c1, [w.c2, w.c3]]);
    expect(await compare(`${w.c3}...v1.1.0`)).toEqual(['identical', 0, 0, w.c3, []]);
    expect(await compare(`release...${w.impostor}`)).toEqual(['diverged', 3, 1, w.c1, [w.c2, w.c3, w.impostor]]);
    const unrelated = await client.request(COMPARE, { owner: 'octo-org', repo: 'shared', basehead: `main...${w.orphan}` }).catch((error: { status: number; message: string }) => error);
    expect(unrelated).toMatchObject({ status: 404, message: expect.stringContaining(`No common ancestor between main and ${w.orphan}.`) });
  });

  it('pages the refs connection with cursors and refuses more than 100 records', async () => {
    const w = world();
    w.gh.intercept();
    const client = new NoRetryOctokit({ auth: { token: 'test' } });
    type Page = { repository: { refs: { totalCount: number; nodes: { name: string }[]; pageInfo: { hasNextPage: boolean; endCursor: string } } } };
    const query = 'query($after: String) { repository(owner: "octo-org", name: "shared") { refs(refPrefix: "refs/tags/", first: 2, after: $after) { totalCount nodes { name } pageInfo { hasNextPage endCursor } } } }';
    const first = await client.graphql<Page>(query, {});
    const second = await client.graphql<Page>(query, { after: first.repository.refs.pageInfo.endCursor });

    expect(first.repository.refs).toMatchObject({ totalCount: 3, nodes: [{ name: 'v1' }, { name: 'v1.0.0' }], pageInfo: { hasNextPage: true } });
    expect(second.repository.refs).toMatchObject({ nodes: [{ name: 'v1.1.0' }], pageInfo: { hasNextPage: false } });
    const tooMany = await client
      .graphql('{ repository(owner: "octo-org", name: "shared") { refs(refPrefix: "refs/heads/", first: 101) { totalCount } } }')
      .catch((error: Error) => error.message);
    expect(tooMany).toContain('exceeds the `first` limit of 100 records');
  });
});
