import { parse, validate } from 'graphql';
import nock from 'nock';
import { MemoryCacheStore } from '../../src/cache/memory.js';
import { gatherRefFacts } from '../../src/engine/facts.js';
import type { CallGraph } from '../../src/graph/types.js';
import type { Logger } from '../../src/log.js';
import type { Policy } from '../../src/policy/types.js';
import type { RefFactsRequest, WorkflowSource } from '../../src/source/port.js';
import { FakeGitHub, githubSchema } from '../support/fake-github.js';
import { githubSource, resolveWorld } from '../support/graph.js';
import { policyFrom } from '../support/policy.js';

const CI = '.github/workflows/ci.yml';
const BUILD = '.github/workflows/build.yml';
const COMPARE = 'GET /repos/{owner}/{repo}/compare/{basehead}';
const callable = 'on: workflow_call\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n';

interface Scenario {
  gh: FakeGitHub;
  graph: CallGraph;
  /** octo-org/shared's main: c1 (annotated tag v1.0.0) ← c2 ← c3 (tag v1.1.0, head). */
  c1: string;
  c2: string;
  c3: string;
  /** A fork's commit, read through octo-org/shared's name. */
  impostor: string;
}

/**
 * my-org/app's ci.yml calls octo-org/shared pinned to c2 (with a `# v1.0.0` comment), by tag, and pinned to an
 * impostor commit; my-org/templates by branch (same owner); a local workflow; and a repository that does not exist.
 */
async function scenario(): Promise<Scenario> {
  const gh = new FakeGitHub();
  gh.addRepo('octo-org/shared');
  const c1 = gh.commit('octo-org/shared', { [BUILD]: callable }, { branch: 'main' });
  const c2 = gh.commit('octo-org/shared', { [BUILD]: `# c2\n${callable}` }, { branch: 'main' });
  const c3 = gh.commit('octo-org/shared', { [BUILD]: `# c3\n${callable}` }, { branch: 'main' });
  gh.tag('octo-org/shared', 'v1.0.0', c1, { annotated: true });
  gh.tag('octo-org/shared', 'v1.1.0', c3);
  const impostor = gh.impostor('octo-org/shared', { [BUILD]: `# evil\n${callable}` });
  gh.addRepo('my-org/templates');
  gh.commit('my-org/templates', { '.github/workflows/t.yml': callable }, { branch: 'main' });
  gh.addRepo('my-org/app');
  const ci = [
    'on: pull_request',
    'jobs:',
    '  pinned:',
    `    uses: octo-org/shared/${BUILD}@${c2} # v1.0.0`,
    '  tagged:',
    `    uses: octo-org/shared/${BUILD}@v1.1.0`,
    '  evil:',
    `    uses: octo-org/shared/${BUILD}@${impostor}`,
    '  own:',
    '    uses: my-org/templates/.github/workflows/t.yml@main',
    '  local:',
    '    uses: ./.github/workflows/lint.yml',
    '  ghost:',
    `    uses: ghost-org/missing/${BUILD}@${'a'.repeat(40)}`,
    '',
  ].join('\n');
  const app = gh.commit('my-org/app', { [CI]: ci, '.github/workflows/lint.yml': callable }, { branch: 'main' });
  const graph = await resolveWorld({ gh, commits: { 'my-org/app': app } }, [`my-org/app:${CI}`]);
  gh.clearLog();
  return { gh, graph, c1, c2, c3, impostor };
}

function pinning(settings: string): Policy {
  return policyFrom(`version: 1\nextends: recommended\nrules:\n  pinning: ${settings}\n`);
}

/** The compares sent, as `base...head`, in order. */
function compares(gh: FakeGitHub): string[] {
  return gh.requests.filter((entry) => entry.route === COMPARE).map((entry) => entry.path.split('/compare/')[1]!);
}

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const record = (level: string) => (details: object | string, message?: string) =>
    lines.push(`${level}: ${typeof details === 'string' ? details : (message ?? '')}`);
  return { lines, debug: () => undefined, info: record('info'), warn: record('warn'), error: record('error') };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

/** A source that records what it is asked for ref facts and answers nothing. */
function recordingSource(asked: RefFactsRequest[][]): WorkflowSource {
  return {
    host: 'github.com',
    fetchLevel: () => Promise.reject(new Error('not used')),
    fetchActionsAccess: () => Promise.reject(new Error('not used')),
    fetchRefFacts: (requests) => {
      asked.push(requests);
      return Promise.resolve(new Map());
    },
  };
}

describe('gatherRefFacts', () => {
  it('asks one GraphQL request for the external callee and compares only the pinned commits that are no ref tip', async () => {
    const s = await scenario();
    const facts = await gatherRefFacts({ graph: s.graph, policy: policyFrom('version: 1\nextends: recommended\n'), source: githubSource() });

    expect(facts).toEqual(
      new Map([
        [
          'octo-org/shared',
          {
            tagsByCommit: new Map([
              [s.c3, ['v1.1.0']],
              [s.c1, ['v1.0.0']],
            ]),
            reachable: new Map([
              [s.c2, true],
              [s.impostor, false],
            ]),
          },
        ],
      ]),
    );
    expect(s.gh.count('POST /graphql')).toBe(1);
    const { query, variables } = s.gh.graphqlRequests()[0]!.graphql!;
    expect(validate(githubSchema(), parse(query))).toEqual([]);
    // my-org/templates is the caller's own owner (scope: external); ghost-org/missing could not be resolved.
    expect(variables).toEqual({ o0: 'octo-org', n0: 'shared', d0: 'refs/heads/main', t0_0: 'refs/tags/v1.0.0' });
    // c2: main's head contains it. The impostor: neither main (c3) nor the other tagged commit (c1) does.
    expect(compares(s.gh)).toEqual([`${s.c3}...${s.c2}`, `${s.c3}...${s.impostor}`, `${s.c1}...${s.impostor}`]);
    expect(s.gh.count()).toBe(4);
  });

  it('asks about each pinned commit with the tags its version comments name, except commits the cache decided', async () => {
    const s = await scenario();
    const asked: RefFactsRequest[][] = [];
    const recording = recordingSource(asked);
    const policy = policyFrom('version: 1\nextends: recommended\n');
    const shared = { owner: 'octo-org', name: 'shared' };
    await gatherRefFacts({ graph: s.graph, policy, source: recording });
    const cache = new MemoryCacheStore();
    await cache.putMany('reachable', [{ key: { host: 'github.com', partition: 'octo-org/shared', sort: s.c2 }, value: true }]);
    await gatherRefFacts({ graph: s.graph, policy, source: recording, cache });

    expect(asked).toEqual([
      [{ repo: shared, commits: [s.c2, s.impostor], tags: ['v1.0.0'], defaultBranch: 'main', commentTags: new Map([[s.c2, ['v1.0.0']]]) }],
      [{ repo: shared, commits: [s.impostor], tags: ['v1.0.0'], defaultBranch: 'main' }],
    ]);
  });

  it('asks only for the tags of a callee that must be called by tag: its SHA pins are reported whatever their commit', async () => {
    const s = await scenario();
    const asked: RefFactsRequest[][] = [];
    const recording = recordingSource(asked);
    const policy = policyFrom('version: 1\nextends: recommended\nrules:\n  pinning:\n    tag-required: [{ uses: "octo-org/shared/*", reason: "by tag" }]\n');
    await gatherRefFacts({ graph: s.graph, policy, source: recording });
    expect(asked).toEqual([[{ repo: { owner: 'octo-org', name: 'shared' }, commits: [], tags: ['v1.0.0'], defaultBranch: 'main' }]]);
  });

  it.each([
    ['scope: all also gathers tags of the same owner’s repositories', '{ scope: all }', ['octo-org/shared', 'my-org/templates'], 3],
    ['without verify, tags only: no compare', '{ verify: false }', ['octo-org/shared'], 0],
    ['require: any without verify needs nothing', '{ require: any, verify: false }', [], 0],
    ['severity: off needs nothing', '{ severity: off }', [], 0],
  ])('%s', async (_, settings, repos, compareCount) => {
    const s = await scenario();
    const facts = await gatherRefFacts({ graph: s.graph, policy: pinning(settings), source: githubSource() });

    expect([...facts.keys()]).toEqual(repos);
    expect(s.gh.count('POST /graphql')).toBe(repos.length > 0 ? 1 : 0);
    expect(s.gh.count(COMPARE)).toBe(compareCount);
    if (compareCount === 0 && repos.length > 0) expect(facts.get('octo-org/shared')!.reachable).toEqual(new Map());
  });

  it('answers from the cache: tags for minutes, reachable commits for a day, unreachable ones for minutes', async () => {
    const s = await scenario();
    let now = Date.UTC(2026, 0, 1);
    const cache = new MemoryCacheStore({ now: () => now });
    const policy = policyFrom('version: 1\nextends: recommended\n');
    const first = await gatherRefFacts({ graph: s.graph, policy, source: githubSource(), cache });
    s.gh.clearLog();

    const second = await gatherRefFacts({ graph: s.graph, policy, source: githubSource(), cache });
    expect(second).toEqual(first);
    expect(s.gh.count()).toBe(0);

    now += 10 * 60 * 1000;
    const third = await gatherRefFacts({ graph: s.graph, policy, source: githubSource(), cache });
    expect(third).toEqual(first);
    // The tags and the impostor's answer expired; c2's reachability did not.
    expect(s.gh.count('POST /graphql')).toBe(1);
    expect(compares(s.gh)).toEqual([`${s.c3}...${s.impostor}`, `${s.c1}...${s.impostor}`]);
  });

  it('asks again when a commented tag is missing from the cached tags', async () => {
    const s = await scenario();
    const cache = new MemoryCacheStore();
    const host = 'github.com';
    await cache.putMany('tags', [{ key: { host, partition: 'octo-org/shared', sort: 'tags' }, value: { [s.c3]: ['v1.1.0'] } }]);
    await cache.putMany('reachable', [{ key: { host, partition: 'octo-org/shared', sort: s.c2 }, value: true }]);
    await cache.putMany('unreachable', [{ key: { host, partition: 'octo-org/shared', sort: s.impostor }, value: true }]);

    const facts = await gatherRefFacts({ graph: s.graph, policy: pinning('{ verify: true }'), source: githubSource(), cache });

    expect(s.gh.count('POST /graphql')).toBe(1);
    expect(s.gh.count(COMPARE)).toBe(0);
    expect(facts.get('octo-org/shared')).toEqual({
      tagsByCommit: new Map([
        [s.c3, ['v1.1.0']],
        [s.c1, ['v1.0.0']],
      ]),
      reachable: new Map([
        [s.c2, true],
        [s.impostor, false],
      ]),
    });
  });

  it('leaves out a repository whose facts could not be fetched, logs it, and caches nothing', async () => {
    const s = await scenario();
    s.gh.inject('POST /graphql', { status: 500 });
    const cache = new MemoryCacheStore();
    const logger = recordingLogger();
    const policy = policyFrom('version: 1\nextends: recommended\n');
    const facts = await gatherRefFacts({ graph: s.graph, policy, source: githubSource(), cache, logger });

    expect(facts).toEqual(new Map());
    expect(logger.lines).toEqual(['warn: tags and commit reachability could not be gathered']);
    expect(cache.size).toBe(0);
    expect(s.gh.count(COMPARE)).toBe(0);

    const retried = await gatherRefFacts({ graph: s.graph, policy, source: githubSource(), cache });
    expect([...retried.keys()]).toEqual(['octo-org/shared']);
  });

  it('gathers nothing from a source without online facts, and survives a source that throws', async () => {
    const s = await scenario();
    const policy = policyFrom('version: 1\nextends: recommended\n');
    const offline: WorkflowSource = {
      host: 'github.com',
      fetchLevel: () => Promise.reject(new Error('not used')),
      fetchActionsAccess: () => Promise.reject(new Error('not used')),
    };
    const logger = recordingLogger();

    expect(await gatherRefFacts({ graph: s.graph, policy, source: offline })).toEqual(new Map());
    const broken: WorkflowSource = { ...offline, fetchRefFacts: () => Promise.reject(new Error('boom')) };
    expect(await gatherRefFacts({ graph: s.graph, policy, source: broken, logger })).toEqual(new Map());
    expect(logger.lines).toEqual([
      'error: the source failed while gathering ref facts',
      'warn: tags and commit reachability could not be gathered',
    ]);
    expect(s.gh.count()).toBe(0);
  });
});
