// The picture of a call graph through the check run's redaction: what a public repository's job summary draws.
import nock from 'nock';
import { GITHUB_COM_LIMITS } from '../../src/graph/limits.js';
import { buildPicture, renderMermaid } from '../../src/report/graph-picture.js';
import { createRedactor, inactiveRedactor } from '../../src/report/redact.js';
import { graphOf, repoId } from '../support/graph.js';
import { action, steps, wf, workflow } from '../support/workflows.js';

beforeAll(() => {
  nock.disableNetConnect();
});

afterEach(() => {
  nock.cleanAll();
});

afterAll(() => {
  nock.enableNetConnect();
});

const CI = 'on: push\njobs:\n  build:\n    uses: octo-org/shared/.github/workflows/build.yml@main\n';
const SHARED = 'on: workflow_call\njobs:\n  inner:\n    uses: octo-org/vault/.github/workflows/secret.yml@main\n';
const VAULT = 'on: workflow_call\njobs:\n  deeper:\n    uses: octo-org/deeper/.github/workflows/x.yml@main\n';
const LEAF = 'on: workflow_call\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: "true"\n';

async function world() {
  return graphOf(
    {
      'octo-org/app': { visibility: 'public', files: { '.github/workflows/ci.yml': CI } },
      'octo-org/shared': { visibility: 'public', files: { '.github/workflows/build.yml': SHARED } },
      'octo-org/vault': { visibility: 'private', files: { '.github/workflows/secret.yml': VAULT } },
      'octo-org/deeper': { visibility: 'public', files: { '.github/workflows/x.yml': LEAF } },
    },
    ['octo-org/app:.github/workflows/ci.yml'],
    GITHUB_COM_LIMITS,
  );
}

describe('buildPicture', () => {
  it('draws every workflow for a reader who may see them all', async () => {
    const { graph } = await world();

    expect(renderMermaid(buildPicture(graph, inactiveRedactor()))).toBe(
      [
        'flowchart LR',
        '  n0[".github/workflows/ci.yml"]',
        '  n1["octo-org/shared/.github/workflows/build.yml@main"]',
        '  n2["octo-org/vault/.github/workflows/secret.yml@main"]',
        '  n3["octo-org/deeper/.github/workflows/x.yml@main"]',
        '  n0 -->|"build"| n1',
        '  n1 -->|"inner"| n2',
        '  n2 -->|"deeper"| n3',
        '  style n0 stroke-width:3px',
        '',
      ].join('\n'),
    );
  });

  it('in a public repository, a private repository the PR does not name is "a private workflow", and its calls are not drawn', async () => {
    const { graph } = await world();
    const repository = { repo: repoId('octo-org/app'), visibility: 'public' as const, archived: false };
    const redactor = createRedactor({ graph, repository, rootTexts: [CI] });

    const picture = buildPicture(graph, redactor);

    expect(renderMermaid(picture)).toBe(
      [
        'flowchart LR',
        '  n0[".github/workflows/ci.yml"]',
        '  n1["octo-org/shared/.github/workflows/build.yml@main"]',
        '  n2[/"a private workflow"/]',
        '  n0 -->|"build"| n1',
        '  n1 -->|"inner"| n2',
        '  style n0 stroke-width:3px',
        '',
      ].join('\n'),
    );
    expect(JSON.stringify(picture)).not.toMatch(/vault|deeper/);
  });
});

describe('buildPicture with actions', () => {
  it('draws actions rounded and docker images as cylinders, each step labelled with its job and number', async () => {
    const ci = workflow('on: push\n', { build: steps('actions/checkout@v4', 'octo-org/tools/setup@v1', 'docker://alpine:3.20') });
    const { graph } = await graphOf(
      {
        'octo-org/app': { files: { [wf('ci')]: ci } },
        'actions/checkout': { files: { 'action.yml': action() }, tags: { v4: {} } },
        'octo-org/tools': { files: { 'setup/action.yml': action('actions/checkout@v4') }, tags: { v1: {} } },
      },
      ['octo-org/app:.github/workflows/ci.yml'],
      GITHUB_COM_LIMITS,
    );

    expect(renderMermaid(buildPicture(graph, inactiveRedactor()))).toBe(
      [
        'flowchart LR',
        '  n0[".github/workflows/ci.yml"]',
        '  n1("actions/checkout/action.yml@v4")',
        '  n2("octo-org/tools/setup/action.yml@v1")',
        '  n3[("docker://alpine:3.20")]',
        '  n0 -.->|"build step 1"| n1',
        '  n0 -.->|"build step 2"| n2',
        '  n0 -.->|"build step 3"| n3',
        '  n2 -.->|"step 1"| n1',
        '  style n0 stroke-width:3px',
        '',
      ].join('\n'),
    );
  });
});
