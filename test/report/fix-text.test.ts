import nock from 'nock';
import type { Fix } from '../../src/engine/types.js';
import type { CallGraph, NodeKey } from '../../src/graph/types.js';
import { applyEdits, renderFix, type RenderedFix } from '../../src/report/fix-text.js';
import { graphOf } from '../support/graph.js';

const CI = '.github/workflows/ci.yml';
const SHA = '8f4b7f84864484a7bf31766abe9204da3cbe65b3';
const DEPLOY = 'octo-org/shared/.github/workflows/deploy.yml';
const PINNED = `${DEPLOY}@${SHA}`;

type WithoutNode<T> = T extends unknown ? Omit<T, 'node'> : never;
type JobFixSpec = WithoutNode<Exclude<Fix, { kind: 'repository-setting' } | { kind: 'edit-policy' }>>;

/** A file written line by line, each ended by `eol`. */
function file(lines: string[], eol = '\n'): string {
  return lines.map((line) => line + eol).join('');
}

interface Rendered {
  rendered: RenderedFix;
  node: NodeKey;
  graph: CallGraph;
  /** The file with the edit applied, when there is an edit. */
  applied?: string;
}

/** Resolves `text` as octo-org/app's ci.yml and renders `spec` against it. */
async function render(text: string, spec: JobFixSpec): Promise<Rendered> {
  const { graph } = await graphOf({ 'octo-org/app': { files: { [CI]: text } } }, [`octo-org/app:${CI}`]);
  const node = graph.roots[0]!;
  const rendered = renderFix(graph, { ...spec, node } as Fix);
  const edit = rendered.edit;
  return edit === undefined ? { rendered, node, graph } : { rendered, node, graph, applied: applyEdits(text, [edit]).text };
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('replace-uses', () => {
  const deploy2 = [
    'name: Deploy',
    'on:',
    '  push:',
    '    branches: [main]',
    'jobs:',
    '  deploy:',
    `    uses: ${DEPLOY}@v1 # pin later`,
    '    with:',
    '      environment: production',
  ];

  it('replaces the line, keeping indentation, dropping the old comment and adding the version', async () => {
    const { rendered, node, applied } = await render(file(deploy2), { kind: 'replace-uses', jobId: 'deploy', uses: PINNED, comment: 'v1.2.3' });
    expect(rendered).toEqual({
      summary: `Replace the uses: of job "deploy" with ${PINNED} # v1.2.3.`,
      text: `uses: ${PINNED} # v1.2.3`,
      edit: { node, path: CI, startLine: 7, endLine: 7, replacement: [`    uses: ${PINNED} # v1.2.3`] },
    });
    expect(applied).toBe(file([...deploy2.slice(0, 6), `    uses: ${PINNED} # v1.2.3`, ...deploy2.slice(7)]));
  });

  it('keeps double quotes and 4-space indentation, with no comment when none is given', async () => {
    const text = file([
      'on: pull_request',
      'jobs:',
      '    build:',
      '        name: Build',
      `        uses: "${DEPLOY}@main"  # main`,
      '        secrets: inherit',
    ]);
    const { rendered, node, applied } = await render(text, { kind: 'replace-uses', jobId: 'build', uses: PINNED });
    expect(rendered).toEqual({
      summary: `Replace the uses: of job "build" with ${PINNED}.`,
      text: `uses: "${PINNED}"`,
      edit: { node, path: CI, startLine: 5, endLine: 5, replacement: [`        uses: "${PINNED}"`] },
    });
    expect(applied).toBe(
      file(['on: pull_request', 'jobs:', '    build:', '        name: Build', `        uses: "${PINNED}"`, '        secrets: inherit']),
    );
  });

  it('keeps a quoted key, its spacing and single quotes', async () => {
    const text = file(['on: push', 'jobs:', '  call:', `    'uses' :  '${DEPLOY}@v2'`]);
    const { rendered, applied } = await render(text, { kind: 'replace-uses', jobId: 'call', uses: PINNED, comment: '# v2.0.1' });
    expect(rendered.text).toBe(`'uses' :  '${PINNED}' # v2.0.1`);
    expect(rendered.edit?.replacement).toEqual([`    'uses' :  '${PINNED}' # v2.0.1`]);
    expect(applied).toBe(file(['on: push', 'jobs:', '  call:', `    'uses' :  '${PINNED}' # v2.0.1`]));
  });

  it('keeps a CRLF file CRLF', async () => {
    const { rendered, node, applied } = await render(file(deploy2, '\r\n'), { kind: 'replace-uses', jobId: 'deploy', uses: PINNED, comment: 'v1.2.3' });
    expect(rendered.edit).toEqual({ node, path: CI, startLine: 7, endLine: 7, replacement: [`    uses: ${PINNED} # v1.2.3`] });
    expect(applied).toBe(file([...deploy2.slice(0, 6), `    uses: ${PINNED} # v1.2.3`, ...deploy2.slice(7)], '\r\n'));
  });

  it('gives text only for a job written in flow style', async () => {
    const oneLine = file(['on: push', 'jobs:', `  deploy: { uses: ${DEPLOY}@v1, secrets: inherit }`]);
    const spread = file(['on: push', 'jobs:', '  deploy: {', `      uses: ${DEPLOY}@v1`, '    }']);
    for (const text of [oneLine, spread]) {
      const { rendered } = await render(text, { kind: 'replace-uses', jobId: 'deploy', uses: PINNED, comment: 'v1.2.3' });
      expect(rendered).toEqual({ summary: `Replace the uses: of job "deploy" with ${PINNED} # v1.2.3.`, text: `uses: ${PINNED} # v1.2.3` });
    }
  });

  it('drops an edit whose line would not read back as the fix (a value with a comment marker)', async () => {
    const uses = `${DEPLOY}@v1 #main`;
    const { rendered } = await render(file(deploy2), { kind: 'replace-uses', jobId: 'deploy', uses });
    expect(rendered).toEqual({ summary: `Replace the uses: of job "deploy" with ${uses}.`, text: `uses: ${uses}` });
  });

  it('drops an edit that would change another job through an anchor on the line', async () => {
    const text = file(['on: push', 'jobs:', '  a:', `    uses: &call ${DEPLOY}@v1`, '  b:', '    uses: *call']);
    const { rendered } = await render(text, { kind: 'replace-uses', jobId: 'a', uses: PINNED });
    expect(rendered).toEqual({ summary: `Replace the uses: of job "a" with ${PINNED}.`, text: `uses: &call ${PINNED}` });
  });

  it('gives edits that apply together, as a "pin all" commit does', async () => {
    const text = file(['on: push', 'jobs:', '  a:', `    uses: ${DEPLOY}@v1`, '  b:', `    uses: ${DEPLOY}@main # main`]);
    const { graph, node } = await render(text, { kind: 'remove-keys', jobId: 'a', keys: [] });
    const edits = ['a', 'b'].flatMap((jobId) => renderFix(graph, { kind: 'replace-uses', node, jobId, uses: PINNED, comment: 'v1.2.3' }).edit ?? []);
    expect(applyEdits(text, edits)).toEqual({
      text: file(['on: push', 'jobs:', '  a:', `    uses: ${PINNED} # v1.2.3`, '  b:', `    uses: ${PINNED} # v1.2.3`]),
      applied: edits,
      skipped: [],
    });
  });

  it('still edits a file that already has diagnostics elsewhere', async () => {
    const text = file(['on: push', 'on: pull_request', 'jobs:', '  a:', `    uses: ${DEPLOY}@v1`]);
    const { applied } = await render(text, { kind: 'replace-uses', jobId: 'a', uses: PINNED });
    expect(applied).toBe(file(['on: push', 'on: pull_request', 'jobs:', '  a:', `    uses: ${PINNED}`]));
  });

  it('gives text only when the uses value spans lines', async () => {
    const text = file(['on: push', 'jobs:', '  deploy:', '    uses: >-', `      ${DEPLOY}@v1`]);
    const { rendered } = await render(text, { kind: 'replace-uses', jobId: 'deploy', uses: PINNED });
    expect(rendered).toEqual({ summary: `Replace the uses: of job "deploy" with ${PINNED}.`, text: `uses: ${PINNED}` });
  });
});

describe('explicit-secrets', () => {
  const release = [
    'on: pull_request',
    'jobs:',
    '  release:',
    `    uses: ${PINNED} # v2.0.0`,
    '    secrets: inherit # everything',
    '    with:',
    '      tag: v2',
  ];

  it('replaces secrets: inherit with the declared secrets at the job’s indentation', async () => {
    const { rendered, node, applied } = await render(file(release), { kind: 'explicit-secrets', jobId: 'release', secrets: ['NPM_TOKEN', 'GH_APP_KEY'] });
    const block = ['    secrets:', '      NPM_TOKEN: ${{ secrets.NPM_TOKEN }}', '      GH_APP_KEY: ${{ secrets.GH_APP_KEY }}'];
    expect(rendered).toEqual({
      summary: 'Replace secrets: inherit in job "release" with the secrets the called workflow declares: NPM_TOKEN, GH_APP_KEY.',
      text: 'secrets:\n  NPM_TOKEN: ${{ secrets.NPM_TOKEN }}\n  GH_APP_KEY: ${{ secrets.GH_APP_KEY }}',
      edit: { node, path: CI, startLine: 5, endLine: 5, replacement: block },
    });
    expect(applied).toBe(file([...release.slice(0, 4), ...block, ...release.slice(5)]));
  });

  it('writes secrets: {} for a callee that declares none, at 4-space indentation', async () => {
    const text = file(['on: push', 'jobs:', '    call:', `        uses: ${PINNED}`, '        secrets: inherit']);
    const { rendered, node, applied } = await render(text, { kind: 'explicit-secrets', jobId: 'call', secrets: [] });
    expect(rendered).toEqual({
      summary: 'Replace secrets: inherit in job "call" with secrets: {} — the called workflow declares no secrets.',
      text: 'secrets: {}',
      edit: { node, path: CI, startLine: 5, endLine: 5, replacement: ['        secrets: {}'] },
    });
    expect(applied).toBe(file(['on: push', 'jobs:', '    call:', `        uses: ${PINNED}`, '        secrets: {}']));
  });

  it('nests entries by the file’s own step (4 spaces) in a text-only answer too', async () => {
    const text = file(['on: push', 'jobs:', '    call:', `        uses: ${PINNED}`, '        secrets:', '            A: x']);
    const { rendered } = await render(text, { kind: 'explicit-secrets', jobId: 'call', secrets: ['A'] });
    expect(rendered).toEqual({
      summary: 'Replace secrets: inherit in job "call" with the secrets the called workflow declares: A.',
      text: 'secrets:\n    A: ${{ secrets.A }}',
    });
  });
});

describe('job-permissions', () => {
  it('replaces the existing block with the sorted scopes', async () => {
    const text = file([
      'on: push',
      'permissions: read-all',
      'jobs:',
      '    publish:',
      `        uses: ${PINNED}`,
      '        permissions:',
      '            contents: read   # only read',
      '        secrets: inherit',
    ]);
    const permissions = { packages: 'write', contents: 'read', 'id-token': 'write' } as const;
    const { rendered, node, applied } = await render(text, { kind: 'job-permissions', jobId: 'publish', permissions });
    const block = ['        permissions:', '            contents: read', '            id-token: write', '            packages: write'];
    expect(rendered).toEqual({
      summary: 'Give job "publish" the permissions the called workflow needs: contents: read, id-token: write, packages: write.',
      text: 'permissions:\n    contents: read\n    id-token: write\n    packages: write',
      edit: { node, path: CI, startLine: 6, endLine: 7, replacement: block },
    });
    expect(applied).toBe(
      file(['on: push', 'permissions: read-all', 'jobs:', '    publish:', `        uses: ${PINNED}`, ...block, '        secrets: inherit']),
    );
  });

  it('adds a block after the uses: line when the job has none', async () => {
    const text = file(['on: pull_request', 'jobs:', '  label:', `    uses: ${PINNED} # v1`, '    with:', '      label: ci']);
    const { rendered, node, applied } = await render(text, {
      kind: 'job-permissions',
      jobId: 'label',
      permissions: { 'pull-requests': 'write', contents: 'read' },
    });
    expect(rendered.text).toBe('permissions:\n  contents: read\n  pull-requests: write');
    expect(rendered.edit).toEqual({
      node,
      path: CI,
      startLine: 4,
      endLine: 4,
      replacement: [`    uses: ${PINNED} # v1`, '    permissions:', '      contents: read', '      pull-requests: write'],
    });
    expect(applied).toBe(
      file(['on: pull_request', 'jobs:', '  label:', `    uses: ${PINNED} # v1`, '    permissions:', '      contents: read', '      pull-requests: write', '    with:', '      label: ci']),
    );
  });

  it('replaces a one-line write-all', async () => {
    const text = file(['on: push', 'jobs:', '  call:', '    permissions: write-all', `    uses: ${PINNED}`]);
    const { applied } = await render(text, { kind: 'job-permissions', jobId: 'call', permissions: { contents: 'read' } });
    expect(applied).toBe(file(['on: push', 'jobs:', '  call:', '    permissions:', '      contents: read', `    uses: ${PINNED}`]));
  });
});

describe('add-inputs', () => {
  const inputs = [
    { name: 'region', type: 'string', description: 'AWS region to deploy to' },
    { name: 'replicas', type: 'number' },
    { name: 'dry-run', type: 'boolean', description: 'Only print\n  the plan' },
  ];
  const entries = ["region: '' # string: AWS region to deploy to", 'replicas: 0 # number', 'dry-run: false # boolean: Only print the plan'];
  const summary =
    'Pass the required inputs region (string), replicas (number), dry-run (boolean) under with: in job "deploy", then fill in the placeholder values.';

  it('appends to the existing with: block after its last line', async () => {
    const text = file([
      'on: push',
      'jobs:',
      '  deploy:',
      `    uses: ${PINNED} # v1.2.3`,
      '    with:',
      '      # where to deploy',
      '      environment: staging',
      '    secrets: inherit',
    ]);
    const { rendered, node, applied } = await render(text, { kind: 'add-inputs', jobId: 'deploy', inputs });
    expect(rendered).toEqual({
      summary,
      text: entries.map((entry) => `  ${entry}`).join('\n'),
      edit: { node, path: CI, startLine: 7, endLine: 7, replacement: ['      environment: staging', ...entries.map((entry) => `      ${entry}`)] },
    });
    expect(applied).toBe(
      file([
        'on: push',
        'jobs:',
        '  deploy:',
        `    uses: ${PINNED} # v1.2.3`,
        '    with:',
        '      # where to deploy',
        '      environment: staging',
        ...entries.map((entry) => `      ${entry}`),
        '    secrets: inherit',
      ]),
    );
  });

  it('appends after a block scalar that ends the with: block', async () => {
    const text = file(['on: push', 'jobs:', '  deploy:', `    uses: ${PINNED}`, '    with:', '      script: |', '        echo one', '        echo two', '', '  after:', '    runs-on: x']);
    const { applied } = await render(text, { kind: 'add-inputs', jobId: 'deploy', inputs: [{ name: 'region', type: 'string' }] });
    expect(applied).toBe(
      file(['on: push', 'jobs:', '  deploy:', `    uses: ${PINNED}`, '    with:', '      script: |', '        echo one', '        echo two', "      region: '' # string", '', '  after:', '    runs-on: x']),
    );
  });

  it('adds a with: block after the uses: line, at 4-space indentation', async () => {
    const text = file(['on: push', 'jobs:', '    deploy:', `        uses: ${PINNED}`, '        secrets: inherit']);
    const { rendered, node, applied } = await render(text, { kind: 'add-inputs', jobId: 'deploy', inputs });
    expect(rendered).toEqual({
      summary,
      text: ['with:', ...entries.map((entry) => `    ${entry}`)].join('\n'),
      edit: {
        node,
        path: CI,
        startLine: 4,
        endLine: 4,
        replacement: [`        uses: ${PINNED}`, '        with:', ...entries.map((entry) => `            ${entry}`)],
      },
    });
    expect(applied).toBe(
      file(['on: push', 'jobs:', '    deploy:', `        uses: ${PINNED}`, '        with:', ...entries.map((entry) => `            ${entry}`), '        secrets: inherit']),
    );
  });

  it('replaces an empty with: {}', async () => {
    const text = file(['on: push', 'jobs:', '  deploy:', `    uses: ${PINNED}`, '    with: {} # none yet']);
    const { applied } = await render(text, { kind: 'add-inputs', jobId: 'deploy', inputs: [{ name: 'replicas', type: 'number' }] });
    expect(applied).toBe(file(['on: push', 'jobs:', '  deploy:', `    uses: ${PINNED}`, '    with:', '      replicas: 0 # number']));
  });

  it('gives text only for a with: written inline with entries', async () => {
    const text = file(['on: push', 'jobs:', '  deploy:', `    uses: ${PINNED}`, '    with: { environment: staging }']);
    const { rendered } = await render(text, { kind: 'add-inputs', jobId: 'deploy', inputs });
    expect(rendered).toEqual({ summary, text: ['with:', ...entries.map((entry) => `  ${entry}`)].join('\n') });
  });

  it('gives text only for an anchored with: block shared with another job', async () => {
    const text = file(['on: push', 'jobs:', '  a:', `    uses: ${PINNED}`, '    with: &common', '      environment: staging', '  b:', `    uses: ${PINNED}`, '    with: *common']);
    const { rendered } = await render(text, { kind: 'add-inputs', jobId: 'a', inputs: [{ name: 'replicas', type: 'number' }] });
    expect(rendered.edit).toBeUndefined();
    expect(rendered.text).toBe('with:\n  replicas: 0 # number');
  });

  it('drops an edit that would duplicate an input already passed, keeping the text', async () => {
    const text = file(['on: push', 'jobs:', '  deploy:', `    uses: ${PINNED}`, '    with:', '      region: eu-west-1']);
    const { rendered } = await render(text, { kind: 'add-inputs', jobId: 'deploy', inputs: [{ name: 'region', type: 'string' }] });
    expect(rendered).toEqual({
      summary: 'Pass the required inputs region (string) under with: in job "deploy", then fill in the placeholder values.',
      text: "  region: '' # string",
    });
  });
});

describe('add-secrets', () => {
  it('appends to the existing secrets: map', async () => {
    const text = file(['on: push', 'jobs:', '  deploy:', `    uses: ${PINNED}`, '    secrets:', '      token: ${{ secrets.DEPLOY_TOKEN }}']);
    const { rendered, node, applied } = await render(text, { kind: 'add-secrets', jobId: 'deploy', secrets: ['SLACK_WEBHOOK'] });
    expect(rendered).toEqual({
      summary: 'Pass the required secrets SLACK_WEBHOOK under secrets: in job "deploy".',
      text: '  SLACK_WEBHOOK: ${{ secrets.SLACK_WEBHOOK }}',
      edit: {
        node,
        path: CI,
        startLine: 6,
        endLine: 6,
        replacement: ['      token: ${{ secrets.DEPLOY_TOKEN }}', '      SLACK_WEBHOOK: ${{ secrets.SLACK_WEBHOOK }}'],
      },
    });
    expect(applied).toBe(
      file(['on: push', 'jobs:', '  deploy:', `    uses: ${PINNED}`, '    secrets:', '      token: ${{ secrets.DEPLOY_TOKEN }}', '      SLACK_WEBHOOK: ${{ secrets.SLACK_WEBHOOK }}']),
    );
  });

  it('adds a secrets: block after the uses: line', async () => {
    const text = file(['on: push', 'jobs:', '  deploy:', `    uses: ${PINNED}`, '    needs: build']);
    const { applied, rendered } = await render(text, { kind: 'add-secrets', jobId: 'deploy', secrets: ['A', 'B'] });
    expect(rendered.text).toBe('secrets:\n  A: ${{ secrets.A }}\n  B: ${{ secrets.B }}');
    expect(applied).toBe(
      file(['on: push', 'jobs:', '  deploy:', `    uses: ${PINNED}`, '    secrets:', '      A: ${{ secrets.A }}', '      B: ${{ secrets.B }}', '    needs: build']),
    );
  });

  it('gives no edit when the job passes secrets: inherit', async () => {
    const text = file(['on: push', 'jobs:', '  deploy:', `    uses: ${PINNED}`, '    secrets: inherit']);
    const { rendered } = await render(text, { kind: 'add-secrets', jobId: 'deploy', secrets: ['A'] });
    expect(rendered).toEqual({
      summary: 'Pass the required secrets A under secrets: in job "deploy".',
      text: 'secrets:\n  A: ${{ secrets.A }}',
    });
  });
});

describe('remove-keys', () => {
  const call = [
    'on: push',
    'jobs:',
    '  call:',
    `    uses: ${PINNED}`,
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - uses: actions/checkout@v4',
    '      - run: make',
    '',
    '    # inputs for the call',
    '    with:',
    '      debug: true',
    '    env:',
    '      CI: true',
    '  next:',
    '    runs-on: ubuntu-latest',
    '    steps:',
    '      - run: echo',
  ];

  it('deletes contiguous keys through the end of their values, keeping the comment before the next key', async () => {
    const { rendered, node, applied } = await render(file(call), { kind: 'remove-keys', jobId: 'call', keys: ['runs-on', 'steps'] });
    expect(rendered).toEqual({
      summary: 'Remove runs-on, steps from job "call": GitHub does not allow them beside uses.',
      edit: { node, path: CI, startLine: 5, endLine: 8, replacement: [] },
    });
    expect(applied).toBe(file([...call.slice(0, 4), ...call.slice(8)]));
  });

  it('deletes the last key of a job up to the next job', async () => {
    const { rendered, applied } = await render(file(call), { kind: 'remove-keys', jobId: 'call', keys: ['env'] });
    expect(rendered.edit).toMatchObject({ startLine: 13, endLine: 14, replacement: [] });
    expect(applied).toBe(file([...call.slice(0, 12), ...call.slice(14)]));
  });

  it('gives no edit when the keys are not contiguous', async () => {
    const { rendered } = await render(file(call), { kind: 'remove-keys', jobId: 'call', keys: ['runs-on', 'env'] });
    expect(rendered).toEqual({ summary: 'Remove runs-on, env from job "call": GitHub does not allow them beside uses.' });
  });
});

describe('fixes without a file to edit', () => {
  it('gives text only for a node or job that is not in the graph', async () => {
    const { graph, node } = await render(file(['on: push', 'jobs:', '  a:', `    uses: ${PINNED}`]), { kind: 'remove-keys', jobId: 'a', keys: [] });
    const ghost = `octo-org/gone/.github/workflows/x.yml@${SHA}`;
    expect(renderFix(graph, { kind: 'explicit-secrets', node: ghost, jobId: 'a', secrets: ['A'] })).toEqual({
      summary: 'Replace secrets: inherit in job "a" with the secrets the called workflow declares: A.',
      text: 'secrets:\n  A: ${{ secrets.A }}',
    });
    expect(renderFix(graph, { kind: 'add-inputs', node, jobId: 'missing', inputs: [{ name: 'x', type: 'weird' }] })).toEqual({
      summary: 'Pass the required inputs x (weird) under with: in job "missing", then fill in the placeholder values.',
      text: "with:\n  x: '' # weird",
    });
  });

  it('renders a repository setting and a policy edit as summary and text', async () => {
    const { graph } = await render(file(['on: push', 'jobs:', '  a:', `    uses: ${PINNED}`]), { kind: 'remove-keys', jobId: 'a', keys: [] });
    const url = 'https://github.com/octo-org/shared/settings/actions';
    expect(renderFix(graph, { kind: 'repository-setting', repo: { owner: 'octo-org', name: 'shared' }, setting: 'Access', value: 'organization', url })).toEqual({
      summary: 'Set "Access" to "organization" in the settings of octo-org/shared.',
      text: url,
    });
    const suggestion = 'rules:\n  allowed-sources:\n    allow: ["octo-org/*"]';
    expect(renderFix(graph, { kind: 'edit-policy', file: 'octo-org/.github:.github/workflow-policy.yml', suggestion })).toEqual({
      summary: 'If this call is intended, allow it in the policy file octo-org/.github:.github/workflow-policy.yml.',
      text: suggestion,
    });
  });
});

describe('replace-step-uses', () => {
  const CHECKOUT = `actions/checkout@${SHA}`;
  const job = (steps: string[]): string[] => ['on: push', 'jobs:', '  build:', '    runs-on: ubuntu-latest', '    steps:', ...steps];

  it.each<[string, string, string]>([
    ['a list item, its comment replaced', '      - uses: actions/checkout@v4 # latest', `      - uses: ${CHECKOUT} # v4.2.2`],
    ['a quoted value keeps its quotes', "      - uses: 'actions/checkout@v4'", `      - uses: '${CHECKOUT}' # v4.2.2`],
    ['a key after the list item', '      - name: Check out', `      - name: Check out`],
  ])('%s', async (_what, line, expected) => {
    const steps = line.includes('name:') ? [line, '        uses: actions/checkout@v4'] : [line, '        with:', '          fetch-depth: 0'];
    const { rendered, applied } = await render(file(job(steps)), { kind: 'replace-step-uses', jobId: 'build', step: 0, uses: CHECKOUT, comment: 'v4.2.2' });
    expect(rendered.summary).toBe(`Replace the uses: of step 1 of job "build" with ${CHECKOUT} # v4.2.2.`);
    expect(rendered.text).toBe(`uses: ${CHECKOUT} # v4.2.2`);
    const after = line.includes('name:') ? [expected, `        uses: ${CHECKOUT} # v4.2.2`] : [expected, '        with:', '          fetch-depth: 0'];
    expect(applied).toBe(file(job(after)));
  });

  it('a flow-style step gets the text only: no edit could be proved', async () => {
    const { rendered } = await render(file(job(['      - { uses: actions/checkout@v4, with: { fetch-depth: 0 } }'])), { kind: 'replace-step-uses', jobId: 'build', step: 0, uses: CHECKOUT });
    expect(rendered).toEqual({ summary: `Replace the uses: of step 1 of job "build" with ${CHECKOUT}.`, text: `uses: ${CHECKOUT}` });
  });
});
