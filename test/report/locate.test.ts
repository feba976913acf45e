import { readFileSync } from 'node:fs';
import nock from 'nock';
import type { Finding, FindingLocation } from '../../src/engine/types.js';
import type { CallGraph, GraphEdge, NodeKey } from '../../src/graph/types.js';
import { locateFinding, pathOfNodeKey } from '../../src/report/locate.js';
import type { SourceRange } from '../../src/workflow/model.js';
import { graphOf } from '../support/graph.js';

const CI = '.github/workflows/ci.yml';
const DEPLOY = '.github/workflows/deploy.yml';
const fixture = (name: string) => readFileSync(new URL(`../fixtures/report/${name}`, import.meta.url), 'utf8');

function range(startLine: number, startColumn: number, endLine: number, endColumn: number): SourceRange {
  return { start: { line: startLine, column: startColumn }, end: { line: endLine, column: endColumn } };
}

let graph: CallGraph;
let root: NodeKey;
let deploy: NodeKey;
let rootToDeploy: GraphEdge;
let deployToTest: GraphEdge;

function finding(location: FindingLocation, chain: GraphEdge[] = []): Finding {
  return { ruleId: 'contract', severity: 'error', message: 'A problem.', root, location, chain, mentions: [] };
}

beforeAll(async () => {
  nock.disableNetConnect();
  const built = await graphOf(
    {
      'octo-org/app': { files: { [CI]: fixture('ci.yml'), '.github/workflows/lint.yml': fixture('lint.yml') } },
      'octo-org/shared': { visibility: 'private', accessLevel: 'organization', files: { [DEPLOY]: fixture('deploy.yml') }, tags: { v1: {} } },
      'other-org/lib': { files: { '.github/workflows/test.yml': fixture('test.yml') } },
    },
    [`octo-org/app:${CI}`],
  );
  graph = built.graph;
  root = graph.roots[0]!;
  deploy = `octo-org/shared/${DEPLOY}@${built.world.commits['octo-org/shared']}`;
  rootToDeploy = graph.edges.find((edge) => edge.from === root && edge.jobId === 'deploy')!;
  deployToTest = graph.edges.find((edge) => edge.from === deploy)!;
});
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('locateFinding in the top-level file', () => {
  const cases: [string, Omit<FindingLocation, 'node'>, SourceRange][] = [
    ['the uses: value', { jobId: 'deploy', key: 'uses' }, range(8, 11, 8, 58)],
    ['an input under with', { jobId: 'deploy', key: 'with', name: 'environment' }, range(10, 20, 10, 27)],
    ['the with block', { jobId: 'deploy', key: 'with' }, range(9, 5, 11, 20)],
    ['a secret under secrets', { jobId: 'deploy', key: 'secrets', name: 'token' }, range(13, 14, 13, 41)],
    ['the secrets block', { jobId: 'deploy', key: 'secrets' }, range(12, 5, 13, 41)],
    ['the permissions block', { jobId: 'deploy', key: 'permissions' }, range(14, 5, 16, 22)],
    ['a permission scope', { jobId: 'deploy', key: 'permissions', name: 'id-token' }, range(16, 17, 16, 22)],
    ['any other job key, as written', { jobId: 'deploy', key: 'runs-on' }, range(17, 5, 17, 12)],
    ['the job id when no key is given', { jobId: 'deploy' }, range(7, 3, 7, 9)],
    ['the block when the name is not in it', { jobId: 'deploy', key: 'with', name: 'region' }, range(9, 5, 11, 20)],
    ['the job id when the key is absent', { jobId: 'lint', key: 'with' }, range(18, 3, 18, 7)],
    ['the workflow triggers', { key: 'on' }, range(2, 1, 2, 3)],
    ['workflow-level permissions', { key: 'permissions' }, range(4, 1, 5, 17)],
    ['the first line for a missing job', { jobId: 'release', key: 'uses' }, range(1, 1, 1, 9)],
    ['the first line for no job and no key', {}, range(1, 1, 1, 9)],
  ];

  it.each(cases)('points at %s', (_what, location, expected) => {
    const place = locateFinding(graph, finding({ node: root, ...location }));
    expect(place).toEqual({ path: CI, range: expected, site: { node: root, path: CI, range: expected } });
  });
});

describe('locateFinding in a called workflow', () => {
  it('annotates the top-level call and keeps the site in the called file', () => {
    const place = locateFinding(graph, finding({ node: deploy, jobId: 'test', key: 'secrets' }, [rootToDeploy]));
    expect(place).toEqual({
      path: CI,
      range: range(8, 11, 8, 58),
      site: { node: deploy, path: DEPLOY, range: range(10, 5, 10, 21) },
    });
  });

  it('annotates the first call of a two-call chain', () => {
    const place = locateFinding(graph, finding({ node: deploy, jobId: 'test', key: 'uses' }, [rootToDeploy, deployToTest]));
    expect(place).toEqual({
      path: CI,
      range: range(8, 11, 8, 58),
      site: { node: deploy, path: DEPLOY, range: range(9, 11, 9, 56) },
    });
  });

  it('falls back to the first line of the called file for a missing job', () => {
    const place = locateFinding(graph, finding({ node: deploy, jobId: 'nope', key: 'uses' }, [rootToDeploy]));
    expect(place.site).toEqual({ node: deploy, path: DEPLOY, range: range(1, 1, 1, 4) });
  });

  it('uses the top-level file’s first line when a finding elsewhere has no chain', () => {
    const place = locateFinding(graph, finding({ node: deploy, jobId: 'test', key: 'uses' }));
    expect(place).toEqual({ path: CI, range: range(1, 1, 1, 9), site: { node: deploy, path: DEPLOY, range: range(9, 11, 9, 56) } });
  });
});

describe('locateFinding with nodes missing from the graph', () => {
  const ghost = 'octo-org/gone/.github/workflows/old.yml@0123456789abcdef0123456789abcdef01234567';

  it('reads the path from the node key and points at line 1', () => {
    const place = locateFinding(graph, finding({ node: ghost, jobId: 'build', key: 'uses' }, [rootToDeploy]));
    expect(place).toEqual({
      path: CI,
      range: range(8, 11, 8, 58),
      site: { node: ghost, path: '.github/workflows/old.yml', range: range(1, 1, 1, 1) },
    });
  });

  it('does not throw when even the root is unknown', () => {
    const lost = { ...finding({ node: ghost }), root: ghost };
    expect(locateFinding(graph, lost)).toEqual({
      path: '.github/workflows/old.yml',
      range: range(1, 1, 1, 1),
      site: { node: ghost, path: '.github/workflows/old.yml', range: range(1, 1, 1, 1) },
    });
  });

  it('pathOfNodeKey inverts nodeKey, @ in the path included', () => {
    expect(pathOfNodeKey(ghost)).toBe('.github/workflows/old.yml');
    expect(pathOfNodeKey('o/r/.github/workflows/a@b.yml@abc')).toBe('.github/workflows/a@b.yml');
  });
});
