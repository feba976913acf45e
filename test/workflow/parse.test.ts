import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { MAX_WORKFLOW_BYTES, parseWorkflow } from '../../src/workflow/parse.js';
import { parseUses } from '../../src/workflow/uses.js';
import type { Diagnostic, Job, SourceRange, Workflow } from '../../src/workflow/model.js';

const SHA = '8f4b7f84864484a7bf31766abe9204da3cbe65b3';
/** A `jobs:` line for snippets about the rest of the file: GitHub requires `on` and `jobs` in every workflow. */
const JOBS = 'jobs: { a: { runs-on: x } }';

/** A range from line:column to line:column (end just after the last character). */
function r(startLine: number, startColumn: number, endLine: number, endColumn: number): SourceRange {
  return { start: { line: startLine, column: startColumn }, end: { line: endLine, column: endColumn } };
}

function fixture(name: string): Workflow {
  const text = readFileSync(new URL(`../fixtures/workflows/${name}`, import.meta.url), 'utf8');
  return parseWorkflow(text, `.github/workflows/${name}`);
}

function parse(...lines: string[]): Workflow {
  return parseWorkflow(lines.join('\n'), '.github/workflows/test.yml');
}

function job(workflow: Workflow, id: string): Job {
  const found = workflow.jobs.find((candidate) => candidate.id === id);
  if (found === undefined) {
    throw new Error(`no job ${id} in ${workflow.jobs.map((candidate) => candidate.id).join(', ')}`);
  }
  return found;
}

function codes(workflow: Workflow): Diagnostic['code'][] {
  return workflow.diagnostics.map((diagnostic) => diagnostic.code);
}

describe('parseWorkflow: the examples of "Reusing workflows"', () => {
  it('reads a caller passing inputs and secrets (caller.yml)', () => {
    const workflow = fixture('caller.yml');
    expect(workflow.diagnostics).toEqual([]);
    expect(workflow.path).toBe('.github/workflows/caller.yml');
    expect(workflow.name).toEqual({ value: 'Call a reusable workflow', range: r(1, 7, 1, 31) });
    expect(workflow.on).toEqual({ form: 'map', range: r(3, 1, 3, 3), events: [{ value: 'pull_request', range: r(4, 3, 4, 15) }] });
    expect(workflow.jobs.map((candidate) => candidate.id)).toEqual(['call-workflow', 'call-workflow-passing-data']);

    expect(job(workflow, 'call-workflow')).toEqual({
      id: 'call-workflow',
      idRange: r(9, 3, 9, 16),
      range: r(10, 5, 10, 68),
      keys: [{ value: 'uses', range: r(10, 5, 10, 9) }],
      uses: { value: 'octo-org/example-repo/.github/workflows/workflow-A.yml@v1', range: r(10, 11, 10, 68) },
      steps: [],
    });
    expect(job(workflow, 'call-workflow-passing-data')).toEqual({
      id: 'call-workflow-passing-data',
      idRange: r(12, 3, 12, 29),
      range: r(13, 5, 20, 41),
      keys: [
        { value: 'permissions', range: r(13, 5, 13, 16) },
        { value: 'uses', range: r(16, 5, 16, 9) },
        { value: 'with', range: r(17, 5, 17, 9) },
        { value: 'secrets', range: r(19, 5, 19, 12) },
      ],
      permissions: {
        kind: 'map',
        range: r(13, 5, 15, 27),
        scopes: { contents: { value: 'read', range: r(14, 17, 14, 21) }, 'pull-requests': { value: 'write', range: r(15, 22, 15, 27) } },
      },
      uses: { value: 'octo-org/example-repo/.github/workflows/workflow-B.yml@main', range: r(16, 11, 16, 70) },
      with: { range: r(17, 5, 18, 39), entries: { 'config-path': { value: '.github/labeler.yml', range: r(18, 20, 18, 39) } } },
      secrets: { kind: 'map', range: r(19, 5, 20, 41), entries: { token: { value: '${{ secrets.GITHUB_TOKEN }}', range: r(20, 14, 20, 41) } } },
      steps: [],
    });
  });

  it('reads a reusable workflow with inputs, secrets and a step action (workflow-B.yml)', () => {
    const workflow = fixture('workflow-B.yml');
    expect(workflow.diagnostics).toEqual([]);
    expect(workflow.on).toEqual({
      form: 'map',
      range: r(3, 1, 3, 3),
      events: [{ value: 'workflow_call', range: r(4, 3, 4, 16) }],
      workflowCall: {
        range: r(4, 3, 4, 16),
        inputs: [{ name: 'config-path', range: r(6, 7, 6, 18), required: true, type: { value: 'string', range: r(8, 15, 8, 21) } }],
        secrets: [{ name: 'token', range: r(10, 7, 10, 12), required: true }],
        outputs: [],
      },
    });
    expect(job(workflow, 'triage')).toEqual({
      id: 'triage',
      idRange: r(14, 3, 14, 9),
      range: r(15, 5, 20, 54),
      keys: [
        { value: 'runs-on', range: r(15, 5, 15, 12) },
        { value: 'steps', range: r(16, 5, 16, 10) },
      ],
      steps: [
        {
          index: 0,
          range: r(17, 7, 20, 54),
          uses: { value: 'actions/labeler@v4', range: r(17, 13, 17, 31) },
          with: {
            range: r(18, 7, 20, 54),
            entries: {
              'repo-token': { value: '${{ secrets.token }}', range: r(19, 21, 19, 41) },
              'configuration-path': { value: '${{ inputs.config-path }}', range: r(20, 29, 20, 54) },
            },
          },
        },
      ],
    });
  });

  it('reads a matrix strategy calling a reusable workflow (matrix-caller.yml)', () => {
    const workflow = fixture('matrix-caller.yml');
    expect(workflow.diagnostics).toEqual([]);
    expect(workflow.on).toEqual({ form: 'string', range: r(1, 1, 1, 3), events: [{ value: 'push', range: r(1, 5, 1, 9) }] });
    expect(job(workflow, 'ReuseableMatrixJobForDeployment')).toEqual({
      id: 'ReuseableMatrixJobForDeployment',
      idRange: r(4, 3, 4, 34),
      range: r(5, 5, 10, 35),
      keys: [
        { value: 'strategy', range: r(5, 5, 5, 13) },
        { value: 'uses', range: r(8, 5, 8, 9) },
        { value: 'with', range: r(9, 5, 9, 9) },
      ],
      strategy: { value: { matrix: { target: ['dev', 'stage', 'prod'] } }, range: r(6, 7, 7, 35) },
      uses: { value: 'octocat/octo-repo/.github/workflows/deployment.yml@main', range: r(8, 11, 8, 66) },
      with: { range: r(9, 5, 10, 35), entries: { target: { value: '${{ matrix.target }}', range: r(10, 15, 10, 35) } } },
      steps: [],
    });
  });

  it('reads a reusable workflow that calls another (nested-reusable.yml)', () => {
    const workflow = fixture('nested-reusable.yml');
    expect(workflow.diagnostics).toEqual([]);
    expect(workflow.on?.workflowCall).toEqual({ range: r(4, 3, 4, 16), inputs: [], secrets: [], outputs: [] });
    const uses = job(workflow, 'call-another-reusable').uses;
    expect(uses).toEqual({ value: 'octo-org/example-repo/.github/workflows/another-reusable.yml@v1', range: r(8, 11, 8, 74) });
    expect(parseUses(uses?.value ?? '', 'job', uses?.comment).reference).toEqual({
      kind: 'remote-workflow',
      owner: 'octo-org',
      repo: 'example-repo',
      path: '.github/workflows/another-reusable.yml',
      ref: 'v1',
      refKind: 'named',
    });
  });

  it('reads `secrets: inherit` and `on` as a list (workflow-A-inherit.yml)', () => {
    const workflow = fixture('workflow-A-inherit.yml');
    expect(workflow.diagnostics).toEqual([]);
    expect(workflow.on).toEqual({
      form: 'list',
      range: r(1, 1, 1, 3),
      events: [
        { value: 'push', range: r(1, 6, 1, 10) },
        { value: 'workflow_dispatch', range: r(1, 12, 1, 29) },
      ],
    });
    const caller = job(workflow, 'workflowA-calls-workflowB');
    expect(caller.secrets).toEqual({ kind: 'inherit', range: r(6, 5, 6, 21) });
    expect(caller.uses).toEqual({ value: 'octo-org/example-repo/.github/workflows/B.yml@main', range: r(5, 11, 5, 61) });
  });

  it('reads secrets declared and passed on in the middle of a chain (workflow-B-nested.yml)', () => {
    const workflow = fixture('workflow-B-nested.yml');
    expect(workflow.diagnostics).toEqual([]);
    expect(workflow.on?.workflowCall?.secrets).toEqual([
      { name: 'envPAT', range: r(4, 7, 4, 13), required: false, description: 'A personal access token' },
    ]);
    expect(job(workflow, 'workflowB-calls-workflowC').secrets).toEqual({
      kind: 'map',
      range: r(11, 5, 12, 36),
      entries: { envPAT: { value: '${{ secrets.envPAT }}', range: r(12, 15, 12, 36) } },
    });
  });

  it('reads workflow outputs and a normal job (outputs-reusable.yml)', () => {
    const workflow = fixture('outputs-reusable.yml');
    expect(workflow.diagnostics).toEqual([]);
    expect(workflow.on?.workflowCall?.outputs).toEqual([
      {
        name: 'firstword',
        range: r(7, 7, 7, 16),
        description: 'The first output string',
        value: { value: '${{ jobs.example_job.outputs.output1 }}', range: r(9, 16, 9, 55) },
      },
      {
        name: 'secondword',
        range: r(10, 7, 10, 17),
        description: 'The second output string',
        value: { value: '${{ jobs.example_job.outputs.output2 }}', range: r(12, 16, 12, 55) },
      },
    ]);
    const example = job(workflow, 'example_job');
    expect(example.name).toEqual({ value: 'Generate output', range: r(16, 11, 16, 26) });
    expect(example.keys.map((key) => key.value)).toEqual(['name', 'runs-on', 'outputs', 'steps']);
    expect(example.steps).toEqual([
      { index: 0, range: r(23, 9, 24, 54) },
      { index: 1, range: r(25, 9, 26, 55) },
    ]);
    expect(example.uses).toBeUndefined();
  });

  it('reads a caller that uses the outputs (outputs-caller.yml)', () => {
    const workflow = fixture('outputs-caller.yml');
    expect(workflow.diagnostics).toEqual([]);
    expect(job(workflow, 'job1').uses?.range).toEqual(r(8, 11, 8, 73));
    const job2 = job(workflow, 'job2');
    expect(job2.needs).toEqual({ value: ['job1'], range: r(12, 12, 12, 16) });
    expect(job2.keys.map((key) => key.value)).toEqual(['runs-on', 'needs', 'steps']);
    expect(job2.steps).toEqual([{ index: 0, range: r(14, 9, 14, 91) }]);
  });
});

describe('parseWorkflow: the keywords of a calling job', () => {
  it('reads pins with comments, local references, permissions, concurrency, if and needs (pinned-caller.yml)', () => {
    const workflow = fixture('pinned-caller.yml');
    expect(workflow.diagnostics).toEqual([]);
    expect(workflow.name).toEqual({ value: 'Release', range: r(1, 7, 1, 14) });
    expect(workflow.permissions).toEqual({ kind: 'read-all', range: r(7, 1, 7, 22) });
    expect(workflow.concurrency).toEqual({ range: r(9, 1, 9, 39), group: { value: 'release-${{ github.ref }}', range: r(9, 14, 9, 39) } });

    expect(job(workflow, 'build')).toEqual({
      id: 'build',
      idRange: r(12, 3, 12, 8),
      range: r(13, 5, 18, 20),
      keys: [
        { value: 'name', range: r(13, 5, 13, 9) },
        { value: 'uses', range: r(14, 5, 14, 9) },
        { value: 'with', range: r(15, 5, 15, 9) },
        { value: 'permissions', range: r(18, 5, 18, 16) },
      ],
      name: { value: 'Build (pinned)', range: r(13, 11, 13, 25) },
      uses: { value: `octo-org/shared/.github/workflows/build.yml@${SHA}`, range: r(14, 11, 14, 95), comment: 'v1.4.0' },
      with: {
        range: r(15, 5, 17, 21),
        entries: { 'node-version': { value: 20, range: r(16, 21, 16, 23) }, 'dry-run': { value: false, range: r(17, 16, 17, 21) } },
      },
      permissions: { kind: 'map', scopes: {}, range: r(18, 5, 18, 20) },
      steps: [],
    });

    const test = job(workflow, 'test');
    expect(test.needs).toEqual({ value: ['build'], range: r(21, 12, 21, 19) });
    expect(test.uses).toEqual({ value: './.github/workflows/test.yml', range: r(22, 11, 22, 39) });
    expect(test.permissions).toEqual({ kind: 'write-all', range: r(23, 5, 23, 27) });

    const publish = job(workflow, 'publish');
    expect(publish.if).toEqual({ value: "${{ github.event_name == 'push' }}", range: r(26, 9, 26, 43) });
    expect(publish.needs).toEqual({ value: ['build', 'test'], range: r(27, 12, 27, 25) });
    expect(publish.concurrency).toEqual({
      range: r(28, 5, 30, 31),
      group: { value: 'publish', range: r(29, 14, 29, 21) },
      cancelInProgress: { value: true, range: r(30, 27, 30, 31) },
    });
    expect(publish.uses).toEqual({ value: '$/.github/workflows/publish.yaml', range: r(31, 11, 31, 43) });
    expect(publish.secrets).toEqual({
      kind: 'map',
      range: r(32, 5, 33, 42),
      entries: { 'npm-token': { value: '${{ secrets.NPM_TOKEN }}', range: r(33, 18, 33, 42) } },
    });
    expect(parseUses(publish.uses?.value ?? '', 'job').reference).toEqual({
      kind: 'local-workflow',
      syntax: '$/',
      path: '.github/workflows/publish.yaml',
    });
    const build = job(workflow, 'build').uses;
    expect(parseUses(build?.value ?? '', 'job', build?.comment).versionComment).toBe('v1.4.0');
  });

  it('reads typed inputs with defaults and every step uses form (reusable-inputs.yml)', () => {
    const workflow = fixture('reusable-inputs.yml');
    expect(workflow.diagnostics).toEqual([]);
    expect(workflow.on?.events).toEqual([
      { value: 'workflow_call', range: r(2, 3, 2, 16) },
      { value: 'workflow_dispatch', range: r(17, 3, 17, 20) },
    ]);
    expect(workflow.on?.workflowCall?.inputs).toEqual([
      {
        name: 'environment',
        range: r(4, 7, 4, 18),
        description: 'Where to deploy',
        type: { value: 'string', range: r(6, 15, 6, 21) },
        required: true,
      },
      { name: 'replicas', range: r(8, 7, 8, 15), type: { value: 'number', range: r(9, 15, 9, 21) }, default: { value: 2, range: r(10, 18, 10, 19) }, required: false },
      { name: 'dry-run', range: r(11, 7, 11, 14), type: { value: 'boolean', range: r(12, 15, 12, 22) }, default: { value: false, range: r(13, 18, 13, 23) }, required: false },
      { name: 'notes', range: r(14, 7, 14, 12), type: { value: 'string', range: r(15, 15, 15, 21) }, default: { value: '', range: r(16, 18, 16, 20) }, required: false },
    ]);
    expect(job(workflow, 'deploy').steps).toEqual([
      {
        index: 0,
        range: r(23, 9, 23, 72),
        uses: { value: 'actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11', range: r(23, 15, 23, 72), comment: 'v4.1.1' },
      },
      { index: 1, range: r(24, 9, 24, 39), uses: { value: './.github/actions/deploy', range: r(24, 15, 24, 39) } },
      { index: 2, range: r(25, 9, 25, 35), uses: { value: 'docker://alpine:3.19', range: r(25, 15, 25, 35) } },
      { index: 3, range: r(26, 9, 26, 27) },
    ]);
  });

  it('reads concurrency as a string on a job, and `with` and `secrets` left empty', () => {
    const workflow = parse(
      'jobs:',
      '  a:',
      '    uses: ./.github/workflows/a.yml',
      '    concurrency: deploy-${{ github.ref }}',
      '    with:',
      '    secrets:',
      'on: push',
    );
    // GitHub's schema rejects an empty `with:` or `secrets:` (a mapping is expected); this parser reads them as empty.
    expect(workflow.diagnostics).toEqual<Diagnostic[]>([
      { code: 'github-schema', message: "Unexpected value ''", range: r(5, 10, 5, 10) },
      { code: 'github-schema', message: "Unexpected value ''", range: r(6, 13, 6, 13) },
    ]);
    const a = job(workflow, 'a');
    expect(a.concurrency).toEqual({ range: r(4, 5, 4, 42), group: { value: 'deploy-${{ github.ref }}', range: r(4, 18, 4, 42) } });
    expect(a.with).toEqual({ range: r(5, 5, 5, 10), entries: {} });
    expect(a.secrets).toEqual({ kind: 'map', range: r(6, 5, 6, 13), entries: {} });
  });

  it('keeps every key of a job in order, duplicates and foreign keywords included', () => {
    const workflow = parse('jobs:', '  a:', '    runs-on: x', '    uses: ./.github/workflows/a.yml', '    env: {}', '    runs-on: y');
    expect(job(workflow, 'a').keys).toEqual([
      { value: 'runs-on', range: r(3, 5, 3, 12) },
      { value: 'uses', range: r(4, 5, 4, 9) },
      { value: 'env', range: r(5, 5, 5, 8) },
      { value: 'runs-on', range: r(6, 5, 6, 12) },
    ]);
  });

  it('reads the comment that ends the line of a uses value, and only that', () => {
    const workflow = parse(
      'jobs:',
      '  quoted:',
      '    uses: "o/r/.github/workflows/x.yml@v1"   #pin@v2  ',
      '  glued:',
      '    uses: o/r/.github/workflows/x.yml@v1#not-a-comment',
      '  empty:',
      '    uses: o/r/.github/workflows/x.yml@v1 #',
      '  next-line:',
      '    uses: o/r/.github/workflows/x.yml@v1',
      '    # v9.9.9',
      '  tab:',
      "    uses: 'o/r/.github/workflows/x.yml@v1'\t# tag=v1.0.0",
      'on: push',
    );
    expect(workflow.diagnostics).toEqual([]);
    expect(job(workflow, 'quoted').uses).toEqual({ value: 'o/r/.github/workflows/x.yml@v1', range: r(3, 11, 3, 43), comment: 'pin@v2' });
    expect(job(workflow, 'glued').uses).toEqual({ value: 'o/r/.github/workflows/x.yml@v1#not-a-comment', range: r(5, 11, 5, 55) });
    expect(job(workflow, 'empty').uses).toEqual({ value: 'o/r/.github/workflows/x.yml@v1', range: r(7, 11, 7, 41) });
    expect(job(workflow, 'next-line').uses).toEqual({ value: 'o/r/.github/workflows/x.yml@v1', range: r(9, 11, 9, 41) });
    expect(job(workflow, 'tab').uses).toEqual({ value: 'o/r/.github/workflows/x.yml@v1', range: r(12, 11, 12, 43), comment: 'tag=v1.0.0' });
  });

  it('reads files with Windows line endings', () => {
    const workflow = parseWorkflow('jobs:\r\n  a:\r\n    uses: ./.github/workflows/a.yml # v1\r\n    with:\r\n      x: 1\r\non: push\r\n', 'x.yml');
    expect(workflow.diagnostics).toEqual([]);
    expect(job(workflow, 'a').uses).toEqual({ value: './.github/workflows/a.yml', range: r(3, 11, 3, 36), comment: 'v1' });
    expect(job(workflow, 'a').with?.range).toEqual(r(4, 5, 5, 11));
  });

  it('resolves YAML aliases to the anchored text', () => {
    const workflow = parse(
      // The anchor on a key GitHub takes at the top level (an x-… key is "Unexpected value"), at the same columns.
      'run-name: &shared octo/shared/.github/workflows/build.yml@v1 # v1.0.0',
      'jobs:',
      '  a:',
      '    uses: *shared',
      '  b: &job',
      '    uses: ./.github/workflows/b.yml',
      '  c: *job',
      'on: push',
    );
    expect(workflow.diagnostics).toEqual([]);
    expect(job(workflow, 'a').uses).toEqual({ value: 'octo/shared/.github/workflows/build.yml@v1', range: r(1, 19, 1, 61), comment: 'v1.0.0' });
    expect(job(workflow, 'c').idRange).toEqual(r(7, 3, 7, 4));
    expect(job(workflow, 'c').uses).toEqual({ value: './.github/workflows/b.yml', range: r(6, 11, 6, 36) });
  });
});

describe('parseWorkflow: the three forms of `on`', () => {
  it('reads a string', () => {
    expect(parse('on: workflow_call').on).toEqual({
      form: 'string',
      range: r(1, 1, 1, 3),
      events: [{ value: 'workflow_call', range: r(1, 5, 1, 18) }],
      workflowCall: { range: r(1, 5, 1, 18), inputs: [], secrets: [], outputs: [] },
    });
  });

  it('reads a flow list and a block list', () => {
    expect(parse('on: [push, workflow_call]').on).toEqual({
      form: 'list',
      range: r(1, 1, 1, 3),
      events: [
        { value: 'push', range: r(1, 6, 1, 10) },
        { value: 'workflow_call', range: r(1, 12, 1, 25) },
      ],
      workflowCall: { range: r(1, 12, 1, 25), inputs: [], secrets: [], outputs: [] },
    });
    expect(parse('on:', '  - pull_request', '  - workflow_call').on).toEqual({
      form: 'list',
      range: r(1, 1, 1, 3),
      events: [
        { value: 'pull_request', range: r(2, 5, 2, 17) },
        { value: 'workflow_call', range: r(3, 5, 3, 18) },
      ],
      workflowCall: { range: r(3, 5, 3, 18), inputs: [], secrets: [], outputs: [] },
    });
  });

  it('reads a map', () => {
    expect(parse('on:', '  push:', '    branches: [main]', '  workflow_call:', '    inputs:', '      a:', '        type: string').on).toEqual({
      form: 'map',
      range: r(1, 1, 1, 3),
      events: [
        { value: 'push', range: r(2, 3, 2, 7) },
        { value: 'workflow_call', range: r(4, 3, 4, 16) },
      ],
      workflowCall: {
        range: r(4, 3, 4, 16),
        inputs: [{ name: 'a', range: r(6, 7, 6, 8), required: false, type: { value: 'string', range: r(7, 15, 7, 21) } }],
        secrets: [],
        outputs: [],
      },
    });
  });

  it('reports an `on` that is none of them', () => {
    const number = parse('on: 5', JOBS);
    expect(number.on).toBeUndefined();
    expect(number.diagnostics).toEqual([
      { code: 'invalid-value', message: '`on` must name an event, a list of events or a mapping of events.', range: r(1, 5, 1, 6) },
    ]);
    expect(parse('on:', JOBS).diagnostics).toEqual([
      { code: 'invalid-value', message: '`on` must name an event, a list of events or a mapping of events.', range: r(1, 4, 1, 4) },
    ]);
  });

  it('reports workflow_call declarations of the wrong type', () => {
    const workflow = parse('on:', '  workflow_call:', '    inputs:', '      a: string', '      b:', '    secrets: [x]', JOBS);
    expect(workflow.on?.workflowCall?.inputs).toEqual([{ name: 'b', range: r(5, 7, 5, 8), required: false }]);
    expect(workflow.diagnostics).toEqual([
      { code: 'invalid-value', message: '`inputs.a` must be a mapping.', range: r(4, 10, 4, 16) },
      { code: 'invalid-value', message: '`workflow_call.secrets` must be a mapping of names to definitions.', range: r(6, 14, 6, 17) },
    ]);
  });
});

describe('parseWorkflow: permissions', () => {
  it.each([
    ['permissions: read-all', { kind: 'read-all', range: r(1, 1, 1, 22) }],
    ['permissions: write-all', { kind: 'write-all', range: r(1, 1, 1, 23) }],
    ['permissions: {}', { kind: 'map', scopes: {}, range: r(1, 1, 1, 16) }],
  ])('%s', (line, permissions) => {
    const workflow = parse(line, 'on: push', JOBS);
    expect(workflow.diagnostics).toEqual([]);
    expect(workflow.permissions).toEqual(permissions);
  });

  it('reads a map of scopes', () => {
    const workflow = parse('permissions:', '  contents: read', '  id-token: write', '  issues: none', 'on: push', JOBS);
    expect(workflow.diagnostics).toEqual([]);
    expect(workflow.permissions).toEqual({
      kind: 'map',
      range: r(1, 1, 4, 15),
      scopes: {
        contents: { value: 'read', range: r(2, 13, 2, 17) },
        'id-token': { value: 'write', range: r(3, 13, 3, 18) },
        issues: { value: 'none', range: r(4, 11, 4, 15) },
      },
    });
  });

  it('reports a level that is not read, write or none, and keeps the others', () => {
    const workflow = parse('permissions:', '  contents: admin', '  issues: write', 'on: push', JOBS);
    expect(workflow.permissions).toEqual({ kind: 'map', range: r(1, 1, 3, 16), scopes: { issues: { value: 'write', range: r(3, 11, 3, 16) } } });
    expect(workflow.diagnostics).toEqual([
      { code: 'invalid-value', message: 'Permission "contents" must be read, write or none.', range: r(2, 13, 2, 18) },
    ]);
  });

  it('reports a string that is not read-all or write-all', () => {
    const workflow = parse('permissions: read', 'on: push', JOBS);
    expect(workflow.permissions).toBeUndefined();
    expect(workflow.diagnostics).toEqual([
      {
        code: 'invalid-value',
        message: '`permissions` must be read-all, write-all, {} or a mapping of scopes to read, write or none.',
        range: r(1, 14, 1, 18),
      },
    ]);
  });
});

describe('parseWorkflow: diagnostics', () => {
  it.each([
    ['without a directive', [], 6],
    ['under %YAML 1.1, whose schema would merge it', ['%YAML 1.1', '---'], 8],
  ])('reports a YAML merge key %s at the << key and never merges it', (_name, directive, line) => {
    const workflow = parse(...directive, 'on: push', 'env: &e', '  uses: evil/tools/.github/workflows/x.yml@v1', 'jobs:', '  call:', '    <<: *e', '  off:', '    runs-on: off');
    expect(workflow.diagnostics).toEqual([
      {
        code: 'merge-key',
        message: 'YAML merge keys (<<) are not supported by GitHub, which rejects the file: write the keys out (anchors and aliases of whole values work).',
        range: r(line, 5, line, 7),
      },
      // Nothing merged: the job is left with neither runs-on nor uses, as GitHub would read it.
      {
        code: 'invalid-value',
        message: 'Required property is missing: runs-on. Job "call" needs runs-on (a runner for its steps) or uses (a reusable workflow to call).',
        range: r(line - 1, 3, line - 1, 7),
      },
    ]);
    expect(job(workflow, 'call').uses).toBeUndefined();
    expect(job(workflow, 'call').keys.map((key) => key.value)).toEqual(['<<']);
    // The core schema whatever the directive: `off` stays a string, as GitHub reads it.
    expect(workflow.jobs.map((each) => each.id)).toEqual(['call', 'off']);
  });

  it('a job with neither runs-on nor uses: GitHub\'s "Required property is missing" at the job id', () => {
    expect(parse('on: push', 'jobs:', '  build:', '    steps:', '      - run: make').diagnostics).toEqual([
      {
        code: 'invalid-value',
        message: 'Required property is missing: runs-on. Job "build" needs runs-on (a runner for its steps) or uses (a reusable workflow to call).',
        range: r(3, 3, 3, 8),
      },
    ]);
  });

  it('an unknown top-level key: GitHub\'s "Unexpected value" at that key, once per key', () => {
    const message = (key: string): string =>
      `Unexpected value '${key}'. A workflow's top level takes only name, description, run-name, on, permissions, env, defaults, concurrency and jobs; GitHub rejects any other key.`;
    const workflow = parse('on: push', 'x-shared: &e', '  uses: evil/tools/.github/workflows/x.yml@v1', 'jobs:', '  a:', '    runs-on: x', 'runs-on: y', '"7": z');
    expect(workflow.diagnostics).toEqual([
      { code: 'invalid-value', message: message('x-shared'), range: r(2, 1, 2, 9) },
      { code: 'invalid-value', message: message('runs-on'), range: r(7, 1, 7, 8) },
      { code: 'invalid-value', message: message('7'), range: r(8, 1, 8, 4) },
    ]);
    expect(workflow.jobs.map((each) => each.id)).toEqual(['a']);
  });

  it('takes every key of GitHub\'s workflow root without a diagnostic', () => {
    const workflow = parse(
      'name: CI',
      'description: Builds',
      'run-name: build ${{ github.ref }}',
      'on: push',
      'permissions: read-all',
      'env: { A: "1" }',
      'defaults: { run: { shell: bash } }',
      'concurrency: ci',
      JOBS,
    );
    expect(workflow.diagnostics).toEqual([]);
  });

  it('a missing on or jobs: GitHub\'s "Required property is missing" at the first key', () => {
    const missingOn = 'Required property is missing: on. A workflow needs on: the events that run it (workflow_call for a reusable workflow).';
    const missingJobs = 'Required property is missing: jobs. A workflow needs jobs: at least one job to run.';
    expect(parse('# CI', 'name: CI', JOBS).diagnostics).toEqual([{ code: 'invalid-value', message: missingOn, range: r(2, 1, 2, 5) }]);
    expect(parse('on: push').diagnostics).toEqual([{ code: 'invalid-value', message: missingJobs, range: r(1, 1, 1, 3) }]);
    expect(parse('{}').diagnostics).toEqual([
      { code: 'invalid-value', message: missingOn, range: r(1, 1, 1, 3) },
      { code: 'invalid-value', message: missingJobs, range: r(1, 1, 1, 3) },
    ]);
  });

  it('a top-level << is a merge-key diagnostic only, not also an unexpected key', () => {
    expect(parse('env: &x', '  A: "1"', '<<: *x', 'on: push', JOBS).diagnostics).toEqual([
      {
        code: 'merge-key',
        message: 'YAML merge keys (<<) are not supported by GitHub, which rejects the file: write the keys out (anchors and aliases of whole values work).',
        range: r(3, 1, 3, 3),
      },
    ]);
  });

  it('a step whose whole env is one expression is read without a diagnostic (GitHub runs it)', () => {
    expect(parse('on: push', 'jobs:', '  a:', '    runs-on: x', '    steps:', '      - run: make', '        env: ${{ fromJSON(inputs.env) }}').diagnostics).toEqual([]);
  });

  it('a quoted "<<" is an ordinary key, not a merge key', () => {
    expect(codes(parse('on: push', 'jobs:', '  a:', '    runs-on: x', '    env:', '      "<<": 1'))).toEqual([]);
  });

  it('reports YAML syntax errors at their position and keeps the jobs that still parse', () => {
    const workflow = parse(
      'on: push',
      'jobs:',
      '  a:',
      '    uses: o/r/.github/workflows/a.yml@v1',
      '    with: {a: 1',
      '  b:',
      '    uses: o/r/.github/workflows/b.yml@v1',
    );
    expect(workflow.diagnostics).toEqual([
      {
        code: 'yaml-syntax',
        message: 'YAML syntax error: Flow map in block collection must be sufficiently indented and end with a }',
        range: r(6, 3, 6, 4),
      },
    ]);
    expect(workflow.jobs.map((candidate) => [candidate.id, candidate.uses?.value])).toEqual([
      ['a', 'o/r/.github/workflows/a.yml@v1'],
      ['b', 'o/r/.github/workflows/b.yml@v1'],
    ]);
  });

  it('reports tabs used as indentation', () => {
    expect(parse('on: push', 'jobs:', '\ta:', '    uses: x').diagnostics).toEqual([
      { code: 'yaml-syntax', message: 'YAML syntax error: Tabs are not allowed as indentation', range: r(3, 1, 3, 2) },
      { code: 'not-a-mapping', message: '`jobs` must be a mapping of job ids to jobs.', range: r(2, 6, 2, 6) },
    ]);
  });

  it('reports a duplicate key at the second key and reads the first', () => {
    const workflow = parse('on: push', 'jobs:', '  a:', '    uses: ./.github/workflows/a.yml', '    uses: ./.github/workflows/b.yml');
    expect(workflow.diagnostics).toEqual([
      { code: 'duplicate-key', message: 'Duplicate key "uses": GitHub rejects repeated keys; keep one.', range: r(5, 5, 5, 9) },
    ]);
    expect(job(workflow, 'a').uses?.value).toBe('./.github/workflows/a.yml');
    expect(parse('{on: push, jobs: {a: {uses: x, "uses": y}}}').diagnostics).toEqual([
      { code: 'duplicate-key', message: 'Duplicate key "uses": GitHub rejects repeated keys; keep one.', range: r(1, 32, 1, 38) },
    ]);
  });

  it('reports duplicate keys anywhere, comparing keys as the strings GitHub reads', () => {
    const workflow = parse('on: push', 'env:', '  A: 1', '  B: 2', '  A: 3', '  1: x', '  "1": y', 'jobs: {}');
    expect(workflow.diagnostics).toEqual([
      { code: 'duplicate-key', message: 'Duplicate key "A": GitHub rejects repeated keys; keep one.', range: r(5, 3, 5, 4) },
      { code: 'duplicate-key', message: 'Duplicate key "1": GitHub rejects repeated keys; keep one.', range: r(7, 3, 7, 6) },
    ]);
  });

  it('finds a duplicate among 20,000 keys (a set per mapping, not every pair compared)', () => {
    const env = Array.from({ length: 20_000 }, (_, index) => `  K${index}: v`);
    const workflow = parse('on: push', 'env:', ...env, '  K7: again', 'jobs: {}');
    expect(workflow.diagnostics).toEqual([
      { code: 'duplicate-key', message: 'Duplicate key "K7": GitHub rejects repeated keys; keep one.', range: r(20_003, 3, 20_003, 5) },
    ]);
  });

  it('keeps at most 100 diagnostics', () => {
    const workflow = parse('env:', ...Array.from({ length: 300 }, () => '  A: 1'));
    expect(workflow.diagnostics).toHaveLength(100);
    expect(workflow.diagnostics[99]).toEqual({
      code: 'duplicate-key',
      message: 'Duplicate key "A": GitHub rejects repeated keys; keep one.',
      range: r(102, 3, 102, 4),
    });
  });

  it('stops reading after 100 syntax errors and says so', () => {
    const workflow = parseWorkflow('[]'.repeat(500_000), 'x.yml');
    expect(workflow.diagnostics).toHaveLength(101);
    expect(workflow.diagnostics[0]).toEqual({
      code: 'yaml-syntax',
      message: 'YAML syntax error: Unexpected flow-seq-start at node end',
      range: r(1, 3, 1, 4),
    });
    expect(workflow.diagnostics[100]).toEqual({
      code: 'yaml-syntax',
      message: 'More than 100 YAML syntax errors; the rest was not read.',
      range: r(1, 105, 1, 105),
    });
  });

  it('reports a duplicate job id', () => {
    const workflow = parse('jobs:', '  a:', '    uses: ./.github/workflows/a.yml', '  a:', '    uses: ./.github/workflows/b.yml', 'on: push');
    expect(codes(workflow)).toEqual(['duplicate-key']);
    expect(workflow.diagnostics[0]?.range).toEqual(r(4, 3, 4, 4));
    expect(workflow.jobs.map((candidate) => candidate.uses?.value)).toEqual(['./.github/workflows/a.yml']);
  });

  it('stops an alias bomb at the alias that crosses the limit, and reads the rest', () => {
    // In a matrix, which takes lists of any values, so the file is otherwise one GitHub accepts.
    const lines = ['        a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
    for (let level = 1; level < 9; level += 1) {
      const name = String.fromCharCode(97 + level);
      const previous = `*${String.fromCharCode(96 + level)}`;
      lines.push(`        ${name}: &${name} [${Array(9).fill(previous).join(',')}]`);
    }
    const workflow = parse('on: push', 'jobs:', '  x:', '    uses: ./.github/workflows/a.yml', '    strategy:', '      matrix:', ...lines);
    expect(workflow.diagnostics).toEqual([
      {
        code: 'alias-limit',
        message: 'The YAML aliases expand to more than 100 copies (an alias bomb); they were not expanded.',
        range: r(10, 16, 10, 18),
      },
    ]);
    expect(job(workflow, 'x').uses?.value).toBe('./.github/workflows/a.yml');
  });

  it('stops a few aliases of one large anchored mapping once they would add more than 10,000 nodes', () => {
    // 300 keys (601 nodes with the mapping) under one anchor: 16 aliases add 9,616 nodes, the 17th crosses the bound.
    const keys = Array.from({ length: 300 }, (_, index) => `      K${index}: v`);
    const jobs = Array.from({ length: 20 }, (_, index) => [`  j${index}:`, '    runs-on: x', '    env: *e', '    steps:', '      - run: make']).flat();
    const workflow = parse('on: push', 'jobs:', '  base:', '    runs-on: x', '    env: &e', ...keys, '    steps:', '      - run: make', ...jobs);
    const aliasLine = 5 + 300 + 2 + 16 * 5 + 3;
    expect(workflow.diagnostics).toEqual([
      { code: 'alias-limit', message: 'The YAML aliases expand to more than 10,000 nodes (an alias bomb); they were not expanded.', range: r(aliasLine, 10, aliasLine, 12) },
    ]);
    // Below the bound, the same shape is a file GitHub runs.
    expect(parse('on: push', 'jobs:', '  base:', '    runs-on: x', '    env: &e', ...keys, '    steps:', '      - run: make', ...jobs.slice(0, 16 * 5)).diagnostics).toEqual([]);
  });

  it('refuses an alias inside the node it names, and an alias without an anchor', () => {
    expect(parse('on: push', 'env:', '  a: &a [*a]', 'jobs: {}').diagnostics).toEqual([
      { code: 'alias-limit', message: 'Alias *a sits inside the node it names; it would expand forever.', range: r(3, 10, 3, 12) },
    ]);
    expect(parse('on: push', 'env:', '  a: *nope', 'jobs: {}').diagnostics).toEqual([
      { code: 'yaml-syntax', message: 'Alias *nope names no anchor before it.', range: r(3, 6, 3, 11) },
    ]);
  });

  it('reports a root that is not a mapping', () => {
    const message = 'A workflow file must be a YAML mapping with `on` and `jobs`.';
    expect(parse('- push', '- jobs').diagnostics).toEqual([{ code: 'not-a-mapping', message, range: r(1, 1, 2, 7) }]);
    expect(parse('hello').diagnostics).toEqual([{ code: 'not-a-mapping', message, range: r(1, 1, 1, 6) }]);
    expect(parse('').diagnostics).toEqual([{ code: 'not-a-mapping', message, range: r(1, 1, 1, 1) }]);
    expect(parse('# only a comment').diagnostics).toEqual([{ code: 'not-a-mapping', message, range: r(1, 1, 1, 1) }]);
  });

  it('reports jobs that are not mappings and keeps the others', () => {
    const workflow = parse('jobs:', '  a: run this', '  b:', '  c:', '    uses: ./.github/workflows/c.yml', 'on: push');
    expect(workflow.diagnostics).toEqual([
      { code: 'not-a-mapping', message: 'Job "a" must be a mapping of keywords (runs-on and steps, or uses).', range: r(2, 6, 2, 14) },
      { code: 'not-a-mapping', message: 'Job "b" must be a mapping of keywords (runs-on and steps, or uses).', range: r(3, 5, 3, 5) },
    ]);
    expect(workflow.jobs.map((candidate) => candidate.id)).toEqual(['c']);
    expect(parse('jobs: [a, b]', 'on: push').diagnostics).toEqual([
      { code: 'not-a-mapping', message: '`jobs` must be a mapping of job ids to jobs.', range: r(1, 7, 1, 13) },
    ]);
  });

  it('reports a uses that is not a string and leaves it undefined', () => {
    const workflow = parse(
      'jobs:',
      '  number:',
      '    uses: 123',
      '  list:',
      '    uses: [x]',
      '  map:',
      '    uses: {x: 1}',
      '  nothing:',
      '    uses:',
      '  fine:',
      '    uses: ./.github/workflows/fine.yml',
      'on: push',
    );
    const message = '`uses` must be a string naming a workflow or an action.';
    expect(workflow.diagnostics).toEqual([
      { code: 'invalid-value', message, range: r(3, 11, 3, 14) },
      { code: 'invalid-value', message, range: r(5, 11, 5, 14) },
      { code: 'invalid-value', message, range: r(7, 11, 7, 17) },
      { code: 'invalid-value', message, range: r(9, 10, 9, 10) },
    ]);
    expect(workflow.jobs.map((candidate) => [candidate.id, candidate.uses?.value])).toEqual([
      ['number', undefined],
      ['list', undefined],
      ['map', undefined],
      ['nothing', undefined],
      ['fine', './.github/workflows/fine.yml'],
    ]);
    expect('uses' in job(workflow, 'number')).toBe(false);
  });

  it('reports job values of the wrong type', () => {
    const workflow = parse('jobs:', '  a:', '    uses: x', '    with: [1]', '    secrets: 5', '    needs: {a: 1}', '    steps: foo', '    if: [x]', 'on: push');
    expect(workflow.diagnostics).toEqual([
      { code: 'invalid-value', message: '`with` must be a mapping of input names to values.', range: r(4, 11, 4, 14) },
      { code: 'invalid-value', message: '`secrets` must be `inherit` or a mapping of secret names to values.', range: r(5, 14, 5, 15) },
      { code: 'invalid-value', message: '`needs` must be a job id or a list of job ids.', range: r(6, 12, 6, 18) },
      { code: 'invalid-value', message: '`steps` must be a list of steps.', range: r(7, 12, 7, 15) },
      { code: 'invalid-value', message: '`if` must be a string.', range: r(8, 9, 8, 12) },
    ]);
    expect(job(workflow, 'a')).toEqual({
      id: 'a',
      idRange: r(2, 3, 2, 4),
      range: r(3, 5, 8, 12),
      keys: ['uses', 'with', 'secrets', 'needs', 'steps', 'if'].map((value, index) => ({ value, range: r(3 + index, 5, 3 + index, 5 + value.length) })),
      uses: { value: 'x', range: r(3, 11, 3, 12) },
      steps: [],
    });
  });

  it('reports steps that are not mappings and keeps the position of the others', () => {
    const workflow = parse('jobs:', '  a:', '    steps:', '      - run', '      -', '      - uses: [x]', '      - uses: a/b@v1 # v1.0.0', '    runs-on: x', 'on: push');
    expect(workflow.diagnostics).toEqual([
      { code: 'not-a-mapping', message: 'Step 1 must be a mapping (uses or run, …).', range: r(4, 9, 4, 12) },
      { code: 'not-a-mapping', message: 'Step 2 must be a mapping (uses or run, …).', range: r(5, 8, 5, 8) },
      { code: 'invalid-value', message: '`uses` must be a string naming a workflow or an action.', range: r(6, 15, 6, 18) },
    ]);
    expect(job(workflow, 'a').steps).toEqual([
      { index: 2, range: r(6, 9, 6, 18) },
      { index: 3, range: r(7, 9, 7, 21), uses: { value: 'a/b@v1', range: r(7, 15, 7, 21), comment: 'v1.0.0' } },
    ]);
  });

  it('reports a second YAML document', () => {
    const workflow = parse('on: push', 'jobs: {}', '---', 'jobs: {}');
    expect(workflow.diagnostics).toEqual([
      { code: 'yaml-syntax', message: 'A workflow file holds one YAML document; this starts a second one.', range: r(3, 1, 3, 1) },
    ]);
    expect(workflow.on?.events.map((event) => event.value)).toEqual(['push']);
  });

  describe('files over 1 MiB', () => {
    const tooLarge = [
      { code: 'too-large', message: 'The file is larger than 1048576 bytes (1 MiB); it was not parsed.', range: r(1, 1, 1, 1) },
    ];
    const padded = (bytes: number, filler: string): string => `on: push\n#${filler.repeat(Math.ceil((bytes - 10) / Buffer.byteLength(filler)))}`;

    it('counts bytes, not characters', () => {
      expect(MAX_WORKFLOW_BYTES).toBe(1_048_576);
      const head = 'on: push\njobs: { a: { runs-on: x, steps: [run: x] } }\n#';
      const ascii = `${head}${'x'.repeat(MAX_WORKFLOW_BYTES - head.length)}`;
      expect(Buffer.byteLength(ascii)).toBe(MAX_WORKFLOW_BYTES);
      expect(parseWorkflow(ascii, 'x.yml').diagnostics).toEqual([]);
      expect(parseWorkflow(`${ascii}x`, 'x.yml')).toEqual({ path: 'x.yml', jobs: [], diagnostics: tooLarge });

      const multibyte = padded(MAX_WORKFLOW_BYTES + 2, 'é');
      expect(multibyte.length).toBeLessThan(MAX_WORKFLOW_BYTES);
      expect(parseWorkflow(multibyte, 'x.yml').diagnostics).toEqual(tooLarge);
    });

    it('measures bytes given as bytes', () => {
      const bytes = new Uint8Array(MAX_WORKFLOW_BYTES + 1).fill(0x20);
      expect(parseWorkflow(bytes, 'x.yml').diagnostics).toEqual(tooLarge);
    });
  });

  describe('binary content', () => {
    const binary = [{ code: 'binary', message: 'The file is not UTF-8 text; it was not parsed.', range: r(1, 1, 1, 1) }];

    it.each([
      ['a NUL in a string', 'on: push\0'],
      ['a NUL in bytes', new Uint8Array([0x6f, 0x6e, 0x3a, 0x00])],
      ['invalid UTF-8', new Uint8Array([0x6f, 0x6e, 0x3a, 0x20, 0xff, 0xfe])],
      ['a truncated UTF-8 sequence', new Uint8Array([0x6f, 0x6e, 0x3a, 0x20, 0xc3])],
    ])('%s', (_label, content) => {
      expect(parseWorkflow(content, 'x.yml')).toEqual({ path: 'x.yml', jobs: [], diagnostics: binary });
    });

    it('reads UTF-8 bytes, a byte order mark not counting as a column', () => {
      const bytes = new TextEncoder().encode('\uFEFFjobs:\n  a:\n    uses: ./.github/workflows/é.yml\non: push\n');
      expect(bytes[0]).toBe(0xef);
      const workflow = parseWorkflow(bytes, 'x.yml');
      expect(workflow.diagnostics).toEqual([]);
      expect(job(workflow, 'a').idRange).toEqual(r(2, 3, 2, 4));
      expect(job(workflow, 'a').uses).toEqual({ value: './.github/workflows/é.yml', range: r(3, 11, 3, 36) });
      expect(parseWorkflow('\uFEFFname: x', 'x.yml').name).toEqual({ value: 'x', range: r(1, 7, 1, 8) });
    });
  });

  describe('deep nesting', () => {
    const tooDeep = (line: number, column: number): Diagnostic[] => [
      { code: 'yaml-syntax', message: 'The YAML nests deeper than 100 levels; the file was not read.', range: r(line, column, line, column) },
    ];
    let block = '';
    for (let level = 0; level < 1000; level += 1) {
      block += `${' '.repeat(level)}a:\n`;
    }

    // Each shape twice: yaml's recursion at this depth once crashed the whole process on a second parse.
    it.each([
      ['10,000 open flow sequences', '['.repeat(10_000), 1, 101],
      ['10,000 closed flow sequences', '['.repeat(10_000) + ']'.repeat(10_000), 1, 101],
      ['10,000 flow maps', '{a: '.repeat(10_000), 1, 398],
      ['10,000 block sequences', `${'- '.repeat(10_000)}x`, 1, 200],
      ['1,000 block maps', block, 100, 101],
    ])('%s', (_label, text, line, column) => {
      for (let attempt = 0; attempt < 2; attempt += 1) {
        expect(parseWorkflow(text, 'x.yml')).toEqual({ path: 'x.yml', jobs: [], diagnostics: tooDeep(line, column) });
      }
    });

    it('reads nesting as deep as real workflows', () => {
      const workflow = parse('jobs:', '  a:', '    uses: ./.github/workflows/a.yml', `    strategy: { matrix: { deep: ${'['.repeat(60)}1${']'.repeat(60)} } }`, 'on: push');
      expect(workflow.diagnostics).toEqual([]);
      let value = (job(workflow, 'a').strategy?.value as { matrix: { deep: unknown } }).matrix.deep;
      for (let level = 0; level < 60; level += 1) {
        expect(Array.isArray(value)).toBe(true);
        value = (value as unknown[])[0];
      }
      expect(value).toBe(1);
    });
  });

  it('never throws, whatever the input', () => {
    const token = fc.constantFrom(
      'jobs:', 'on:', 'uses:', 'with:', 'permissions:', 'steps:', '  ', '    ', '\n', '- ', ': ', '[', ']', '{', '}', ',',
      '&a ', '*a', '&b ', '*b', '"', "'", '#', '|', '>', '? ', '!!str ', '%YAML 1.1\n', '---\n', 'read-all', 'workflow_call',
      './.github/workflows/x.yml', 'o/r/.github/workflows/x.yml@v1', '\t', '\uFEFF', '\0', 'é',
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 60 }), (tokens) => {
        const workflow = parseWorkflow(tokens.join(''), 'x.yml');
        expect(Array.isArray(workflow.diagnostics)).toBe(true);
        expect(Array.isArray(workflow.jobs)).toBe(true);
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        expect(parseWorkflow(bytes, 'x.yml').path).toBe('x.yml');
      }),
      { numRuns: 200 },
    );
  });
});
