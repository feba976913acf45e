import { readFileSync } from 'node:fs';
import nock from 'nock';
import type { Finding } from '../../src/engine/types.js';
import type { CallGraph, GraphEdge, NodeKey, RepoId } from '../../src/graph/types.js';
import { repoKey } from '../../src/graph/types.js';
import { describeNode, formatChain } from '../../src/report/chain.js';
import { graphOf } from '../support/graph.js';

const CI = '.github/workflows/ci.yml';
const DEPLOY = '.github/workflows/deploy.yml';
const fixture = (name: string) => readFileSync(new URL(`../fixtures/report/${name}`, import.meta.url), 'utf8');

let graph: CallGraph;
let root: NodeKey;
let commits: Record<string, string>;

function edge(from: NodeKey, jobId: string): GraphEdge {
  return graph.edges.find((candidate) => candidate.from === from && candidate.jobId === jobId)!;
}

function finding(chain: GraphEdge[]): Finding {
  const last = chain.at(-1);
  return { ruleId: 'visibility', severity: 'error', message: 'A problem.', root, location: { node: last?.to ?? root }, chain, mentions: [] };
}

const redacting = (...names: string[]) => (repo: RepoId) => names.includes(repoKey(repo));

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
  commits = built.world.commits;
  root = graph.roots[0]!;
});
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

function deployKey(): NodeKey {
  return `octo-org/shared/${DEPLOY}@${commits['octo-org/shared']}`;
}

describe('formatChain', () => {
  it('writes the root file name, then each call as written', () => {
    const chain = [edge(root, 'deploy'), edge(deployKey(), 'test')];
    expect(formatChain(graph, finding(chain))).toBe(
      'ci.yml → octo-org/shared/.github/workflows/deploy.yml@v1 → other-org/lib/.github/workflows/test.yml@main',
    );
  });

  it('shows a ./ call as written', () => {
    expect(formatChain(graph, finding([edge(root, 'lint')]))).toBe('ci.yml → ./.github/workflows/lint.yml');
  });

  it('is the root file name alone for a finding about the file itself', () => {
    expect(formatChain(graph, finding([]))).toBe('ci.yml');
  });

  it('redacts calls into redacted repositories, and hides the calls written inside them', () => {
    const chain = [edge(root, 'deploy'), edge(deployKey(), 'test')];
    // The call to other-org/lib is written in the private deploy.yml: showing it would show that file's contents.
    expect(formatChain(graph, finding(chain), { redact: redacting('octo-org/shared') })).toBe('ci.yml → a private workflow → …');
    expect(formatChain(graph, finding(chain), { redact: redacting('other-org/lib') })).toBe(
      'ci.yml → octo-org/shared/.github/workflows/deploy.yml@v1 → a private workflow',
    );
  });

  it('keeps the name of a private repository the PR shows, but hides the calls written inside it', () => {
    const chain = [edge(root, 'deploy'), edge(deployKey(), 'test')];
    const options = { redact: redacting(), hideContent: redacting('octo-org/shared') };
    expect(formatChain(graph, finding(chain), options)).toBe('ci.yml → octo-org/shared/.github/workflows/deploy.yml@v1 → …');
    expect(formatChain(graph, finding(chain.slice(0, 1)), options)).toBe('ci.yml → octo-org/shared/.github/workflows/deploy.yml@v1');
  });

  it('shows everything when only a repository after the chain is hidden', () => {
    const chain = [edge(root, 'deploy'), edge(deployKey(), 'test')];
    expect(formatChain(graph, finding(chain), { redact: redacting(), hideContent: redacting('other-org/lib') })).toBe(
      'ci.yml → octo-org/shared/.github/workflows/deploy.yml@v1 → other-org/lib/.github/workflows/test.yml@main',
    );
  });

  it('redacts a ./ call inside a redacted repository and keeps public ones', () => {
    const chain = [edge(root, 'lint')];
    expect(formatChain(graph, finding(chain), { redact: redacting('octo-org/app') })).toBe('ci.yml → a private workflow');
    expect(formatChain(graph, finding(chain), { redact: redacting('octo-org/shared') })).toBe('ci.yml → ./.github/workflows/lint.yml');
  });
});

describe('describeNode', () => {
  it('names a called workflow by the ref the call used', () => {
    expect(describeNode(graph, deployKey())).toBe('octo-org/shared/.github/workflows/deploy.yml@v1');
    const lib = `other-org/lib/.github/workflows/test.yml@${commits['other-org/lib']}`;
    expect(describeNode(graph, lib)).toBe('other-org/lib/.github/workflows/test.yml@main');
  });

  it('names a top-level or ./ workflow by its short commit', () => {
    const short = commits['octo-org/app']!.slice(0, 7);
    expect(describeNode(graph, root)).toBe(`octo-org/app/.github/workflows/ci.yml@${short}`);
    expect(describeNode(graph, `octo-org/app/.github/workflows/lint.yml@${commits['octo-org/app']}`)).toBe(
      `octo-org/app/.github/workflows/lint.yml@${short}`,
    );
  });

  it('falls back to the node key for an unknown node', () => {
    expect(describeNode(graph, 'octo-org/gone/.github/workflows/x.yml@0123456789abcdef0123456789abcdef01234567')).toBe(
      'octo-org/gone/.github/workflows/x.yml@0123456',
    );
  });
});
