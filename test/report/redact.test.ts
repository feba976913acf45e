import nock from 'nock';
import type { Finding, Fix } from '../../src/engine/types.js';
import type { CallGraph, GraphEdge, NodeKey, RepoId, RepoMetadata } from '../../src/graph/types.js';
import { formatChain } from '../../src/report/chain.js';
import { createRedactor, type Redactor } from '../../src/report/redact.js';
import { graphOf } from '../support/graph.js';

const CI = '.github/workflows/ci.yml';
const CI_TEXT = [
  'on: pull_request',
  'jobs:',
  '  deploy:',
  '    uses: octo-org/shared/.github/workflows/deploy.yml@v1',
  '  infra:',
  '    uses: octo-org/infra/.github/workflows/apply.yml@v2',
  '',
].join('\n');

const app: RepoMetadata = { repo: { owner: 'octo-org', name: 'app' }, visibility: 'public', archived: false };
const repo = (fullName: string): RepoId => {
  const [owner = '', name = ''] = fullName.split('/');
  return { owner, name };
};

function callable(...calls: [string, string][]): string {
  const jobs = calls.map(([job, uses]) => `  ${job}:\n    uses: ${uses}\n`).join('');
  return `on: workflow_call\njobs:\n${jobs || '  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n'}`;
}

let graph: CallGraph;
let ci: NodeKey;
let shared: NodeKey;
let secret: NodeKey;
let redactor: Redactor;

function edge(from: NodeKey, jobId: string): GraphEdge {
  const found = graph.edges.find((candidate) => candidate.from === from && candidate.jobId === jobId);
  if (found === undefined) throw new Error(`no call ${jobId} in ${from}`);
  return found;
}

beforeAll(async () => {
  nock.disableNetConnect();
  const built = await graphOf(
    {
      'octo-org/app': { files: { [CI]: CI_TEXT } },
      'octo-org/shared': {
        files: {
          '.github/workflows/deploy.yml': callable(
            ['call', 'octo-org/secret/.github/workflows/s.yml@main'],
            ['gone', 'octo-org/gone/.github/workflows/g.yml@v1'],
            // No ref: an invalid reference, which still spells a repository.
            ['spelled', 'octo-org/spelled/.github/workflows/x.yml'],
          ),
        },
        tags: { v1: {} },
      },
      'octo-org/secret': { visibility: 'private', files: { '.github/workflows/s.yml': callable(['inner', 'other-org/lib/.github/workflows/t.yml@main']) } },
      'octo-org/infra': { visibility: 'internal', files: { '.github/workflows/apply.yml': callable() }, tags: { v2: {} } },
      'other-org/lib': { files: { '.github/workflows/t.yml': callable() } },
    },
    [`octo-org/app:${CI}`],
  );
  graph = built.graph;
  ci = graph.roots[0] ?? '';
  shared = edge(ci, 'deploy').to ?? '';
  secret = edge(shared, 'call').to ?? '';
  redactor = createRedactor({ graph, repository: app, rootTexts: [CI_TEXT] });
});
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

function finding(overrides: Partial<Finding>): Finding {
  return { ruleId: 'visibility', severity: 'error', message: 'A problem.', root: ci, location: { node: ci }, chain: [], mentions: [], ...overrides };
}

describe('createRedactor on a public repository', () => {
  it('hides the contents of private, internal and unreadable repositories', () => {
    const cases = ['octo-org/app', 'octo-org/shared', 'other-org/lib', 'octo-org/infra', 'octo-org/secret', 'octo-org/gone', 'octo-org/never-seen'];
    expect(cases.map((name) => [name, redactor.hidesContent(repo(name))])).toEqual([
      ['octo-org/app', false],
      ['octo-org/shared', false],
      ['other-org/lib', false],
      ['octo-org/infra', true],
      ['octo-org/secret', true],
      ['octo-org/gone', true],
      ['octo-org/never-seen', true],
    ]);
  });

  it('hides their names too, unless a top-level file already names them', () => {
    expect(redactor.hidesName(repo('octo-org/infra'))).toBe(false);
    expect(redactor.hidesName(repo('OCTO-ORG/Infra'))).toBe(false);
    expect(redactor.hidesName(repo('octo-org/secret'))).toBe(true);
    expect(redactor.hidesName(repo('octo-org/gone'))).toBe(true);
    expect(redactor.hidesName(repo('octo-org/shared'))).toBe(false);
  });

  it('reads names in the PR case-insensitively and whole: octo-org/infra-tools does not name octo-org/infra', () => {
    const named = (text: string) => !createRedactor({ graph, repository: app, rootTexts: [text] }).hidesName(repo('octo-org/infra'));
    expect([named('# runs OCTO-ORG/INFRA.'), named('uses: octo-org/infra-tools/x@v1'), named('uses: my-octo-org/infra/x@v1'), named('octo-org/infra.js')]).toEqual([
      true,
      false,
      false,
      false,
    ]);
  });

  it('scrubs hidden names case-insensitively: workflow references and bare names', () => {
    expect(redactor.scrub('octo-org/secret/.github/workflows/s.yml@main is in OCTO-ORG/Secret.')).toBe('a private workflow is in a private repository.');
    expect(redactor.scrub('Called from octo-org/secret/.github/workflows/*@* (see octo-org/secret).')).toBe('Called from a private workflow (see a private repository).');
  });

  it('leaves other names alone, even when they contain a hidden one', () => {
    const text = 'octo-org/secret-tools, my-octo-org/secret, octo-org/secret.js, octo-org/infra and octo-org/shared';
    expect(redactor.scrub(text)).toBe(text);
  });

  it('scrubs names spelled by invalid references and names given as mentions', () => {
    expect(redactor.scrub('octo-org/spelled and octo-org/gone')).toBe('a private repository and a private repository');
    expect(redactor.scrub('renamed to octo-org/new-home')).toBe('renamed to octo-org/new-home');
    expect(redactor.scrub('renamed to octo-org/new-home', [repo('octo-org/new-home')])).toBe('renamed to a private repository');
  });

  it('gives formatChain what it needs to stop at the first private hop', () => {
    const chain = [edge(ci, 'deploy'), edge(shared, 'call'), edge(secret, 'inner')];
    expect(formatChain(graph, finding({ chain }), redactor.chainOptions)).toBe('ci.yml → octo-org/shared/.github/workflows/deploy.yml@v1 → a private workflow → …');
  });
});

describe('hidesDetails and hidesFix', () => {
  const toSecret = () => [edge(ci, 'deploy'), edge(shared, 'call')];
  const setting: Fix = { kind: 'repository-setting', repo: repo('octo-org/secret'), setting: 'Actions access', value: 'organization', url: 'https://github.com/octo-org/secret/settings/actions' };

  it('keeps a call-level rule about a call into a private repository, written in a visible file', () => {
    const visibility = finding({ location: { node: shared, jobId: 'call', key: 'uses' }, chain: toSecret() });
    expect(redactor.hidesDetails(visibility)).toBe(false);
    expect(redactor.hidesFix(visibility, setting)).toBe(false);
    expect(redactor.hidesFix(visibility, { kind: 'explicit-secrets', node: shared, jobId: 'call', secrets: ['TOKEN'] })).toBe(true);
  });

  it('hides rules that read the callee: pinning (its commits and tags), contract (its inputs)', () => {
    const pinning = finding({ ruleId: 'pinning', location: { node: shared, jobId: 'call', key: 'uses' }, chain: toSecret() });
    expect(redactor.hidesDetails(pinning)).toBe(true);
    expect(redactor.hidesFix(pinning, { kind: 'replace-uses', node: shared, jobId: 'call', uses: 'x' })).toBe(true);
    const contract = finding({ ruleId: 'contract', location: { node: ci, jobId: 'infra', key: 'with' }, chain: [edge(ci, 'infra')] });
    expect(redactor.hidesDetails(contract)).toBe(true);
  });

  it('hides anything located in, or reached through, a private workflow', () => {
    const inside = finding({ location: { node: secret, key: 'on' }, chain: toSecret() });
    const beyond = finding({ location: { node: secret, jobId: 'inner', key: 'uses' }, chain: [...toSecret(), edge(secret, 'inner')] });
    expect([redactor.hidesDetails(inside), redactor.hidesDetails(beyond)]).toEqual([true, true]);
  });

  it('shows findings that stay in public workflows', () => {
    const pinning = finding({ ruleId: 'pinning', location: { node: ci, jobId: 'deploy', key: 'uses' }, chain: [edge(ci, 'deploy')] });
    expect(redactor.hidesDetails(pinning)).toBe(false);
    expect(redactor.hidesFix(pinning, { kind: 'replace-uses', node: ci, jobId: 'deploy', uses: 'x' })).toBe(false);
  });
});

describe('createRedactor on a private or internal repository', () => {
  it('hides nothing', () => {
    for (const visibility of ['private', 'internal'] as const) {
      const open = createRedactor({ graph, repository: { ...app, visibility }, rootTexts: [CI_TEXT] });
      const pinning = finding({ ruleId: 'pinning', location: { node: secret, jobId: 'inner', key: 'uses' }, chain: [edge(ci, 'deploy'), edge(shared, 'call'), edge(secret, 'inner')] });
      expect([open.active, open.hidesContent(repo('octo-org/secret')), open.hidesName(repo('octo-org/secret')), open.hidesDetails(pinning)]).toEqual([false, false, false, false]);
      expect(open.scrub('octo-org/secret')).toBe('octo-org/secret');
      expect(formatChain(graph, pinning, open.chainOptions)).toBe(
        'ci.yml → octo-org/shared/.github/workflows/deploy.yml@v1 → octo-org/secret/.github/workflows/s.yml@main → other-org/lib/.github/workflows/t.yml@main',
      );
    }
  });
});
