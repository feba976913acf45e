// Each place where src/workflow/parse.ts knowingly differs from GitHub's @actions/workflow-parser, as listed in
// docs/workflow-parser.md (one `it` per row, with the row's number). A change here must change that list.
import { MAX_WORKFLOW_BYTES, parseWorkflow } from '../../src/workflow/parse.js';
import type { Diagnostic, SourceRange, Workflow } from '../../src/workflow/model.js';

function r(startLine: number, startColumn: number, endLine: number, endColumn: number): SourceRange {
  return { start: { line: startLine, column: startColumn }, end: { line: endLine, column: endColumn } };
}

function parse(...lines: string[]): Workflow {
  return parseWorkflow(lines.join('\n'), '.github/workflows/ci.yml');
}

/** GitHub's words for a job or step id it does not take. */
function invalidId(id: string): string {
  return `The identifier '${id}' is invalid. IDs may only contain alphanumeric characters, '_', and '-'. IDs must start with a letter or '_' and and must be less than 100 characters.`;
}

const MERGE_KEY = 'YAML merge keys (<<) are not supported by GitHub, which rejects the file: write the keys out (anchors and aliases of whole values work).';

describe('accepted here, rejected by @actions/workflow-parser (GitHub runs them)', () => {
  it('1. a step or a job whose whole env is one expression; the rest of that step is still checked', () => {
    const step = parse('on: push', 'jobs:', '  a:', '    runs-on: x', '    steps:', '      - run: make', '        env: ${{ fromJSON(inputs.env) }}');
    expect(step.diagnostics).toEqual([]);
    const job = parse('on: push', 'jobs:', '  a:', '    runs-on: x', '    env: ${{ fromJSON(inputs.env) }}', '    steps:', '      - run: make');
    expect(job.diagnostics).toEqual([]);
    const after = parse('on: push', 'jobs:', '  a:', '    runs-on: x', '    steps:', '      - run: make', '        env: ${{ fromJSON(inputs.env) }}', '        id: 1st');
    expect(after.diagnostics).toEqual<Diagnostic[]>([{ code: 'github-schema', message: invalidId('1st'), range: r(8, 13, 8, 16) }]);
  });
});

describe('rejected here, read by @actions/workflow-parser', () => {
  it('2. a merge key (<<) anywhere, also in mappings with free keys such as env, and never merged', () => {
    const workflow = parse('on: push', 'env: &shared', '  A: "1"', 'jobs:', '  a:', '    runs-on: x', '    env:', '      <<: *shared', '      B: "2"');
    expect(workflow.diagnostics).toEqual<Diagnostic[]>([{ code: 'merge-key', message: MERGE_KEY, range: r(8, 7, 8, 9) }]);
  });

  it('3. aliases that expand to more than 100 copies, or that sit inside the node they name', () => {
    const nine = (alias: string): string => `[${Array(9).fill(alias).join(',')}]`;
    const bomb = parse('on: push', 'jobs:', '  a:', '    runs-on: x', '    strategy:', '      matrix:', `        a: &a ${nine('1')}`, `        b: &b ${nine('*a')}`, `        c: &c ${nine('*b')}`, `        d: ${nine('*c')}`);
    expect(bomb.diagnostics).toEqual<Diagnostic[]>([
      { code: 'alias-limit', message: 'The YAML aliases expand to more than 100 copies (an alias bomb); they were not expanded.', range: r(10, 13, 10, 15) },
    ]);
    const loop = parse('on: push', 'jobs:', '  a:', '    runs-on: x', '    strategy:', '      matrix:', '        a: &a [*a]');
    expect(loop.diagnostics).toEqual<Diagnostic[]>([
      { code: 'alias-limit', message: 'Alias *a sits inside the node it names; it would expand forever.', range: r(7, 16, 7, 18) },
    ]);
  });

  it('4. a file over 1 MiB, or nesting deeper than 100 levels, is not read', () => {
    const large = `on: push\njobs: {}\n#${'x'.repeat(MAX_WORKFLOW_BYTES)}`;
    expect(parseWorkflow(large, 'x.yml').diagnostics).toEqual<Diagnostic[]>([
      { code: 'too-large', message: 'The file is larger than 1048576 bytes (1 MiB); it was not parsed.', range: r(1, 1, 1, 1) },
    ]);
    const deep = `on: push\njobs: {}\nenv: {A: ${'['.repeat(200)}}`;
    expect(parseWorkflow(deep, 'x.yml').diagnostics).toEqual<Diagnostic[]>([
      { code: 'yaml-syntax', message: 'The YAML nests deeper than 100 levels; the file was not read.', range: r(3, 108, 3, 108) },
    ]);
  });
});

describe('the same rule, in other words or at another place', () => {
  it('5. a job with neither runs-on nor uses: "Required property is missing: runs-on" at the job id, whatever other keys it has', () => {
    expect(parse('on: push', 'jobs:', '  a:', '    needs: [b]').diagnostics).toEqual<Diagnostic[]>([
      {
        code: 'invalid-value',
        message: 'Required property is missing: runs-on. Job "a" needs runs-on (a runner for its steps) or uses (a reusable workflow to call).',
        range: r(3, 3, 3, 4),
      },
    ]);
  });

  it('6. a job with both runs-on and uses: no parser diagnostic; the contract rule reports each keyword beside uses', () => {
    const workflow = parse('on: push', 'jobs:', '  a:', '    runs-on: x', '    uses: ./.github/workflows/b.yml');
    expect(workflow.diagnostics).toEqual([]);
    expect(workflow.jobs[0]?.keys.map((key) => key.value)).toEqual(['runs-on', 'uses']);
  });

  it('7. an unknown top-level key, and a missing on or jobs: GitHub\'s words, then what to write, at the key or the first key', () => {
    expect(parse('name: CI', 'x-anchors: 1').diagnostics).toEqual<Diagnostic[]>([
      {
        code: 'invalid-value',
        message: "Unexpected value 'x-anchors'. A workflow's top level takes only name, description, run-name, on, permissions, env, defaults, concurrency and jobs; GitHub rejects any other key.",
        range: r(2, 1, 2, 10),
      },
      { code: 'invalid-value', message: 'Required property is missing: on. A workflow needs on: the events that run it (workflow_call for a reusable workflow).', range: r(1, 1, 1, 5) },
      { code: 'invalid-value', message: 'Required property is missing: jobs. A workflow needs jobs: at least one job to run.', range: r(1, 1, 1, 5) },
    ]);
  });

  it('8. after a YAML syntax error, top-level keys are not judged, but the rest of what yaml recovered is still read', () => {
    expect(parse('on: push', 'jobs:', '\ta:', '    runs-on: x').diagnostics).toEqual<Diagnostic[]>([
      { code: 'yaml-syntax', message: 'YAML syntax error: Tabs are not allowed as indentation', range: r(3, 1, 3, 2) },
      { code: 'not-a-mapping', message: '`jobs` must be a mapping of job ids to jobs.', range: r(2, 6, 2, 6) },
    ]);
  });
});

describe('rejected by both, in GitHub\'s words: the library\'s own check, on a file this parser finds no problem in', () => {
  it('9. keys that differ only in case in one mapping', () => {
    expect(parse('on: push', 'env:', '  TOKEN: "1"', '  token: "2"', 'jobs:', '  a:', '    runs-on: x').diagnostics).toEqual<Diagnostic[]>([
      { code: 'github-schema', message: "'token' is already defined", range: r(4, 3, 4, 8) },
    ]);
  });

  it('10. a job id of 100 characters or more (99 is accepted)', () => {
    const id = 'j'.repeat(100);
    expect(parse('on: push', 'jobs:', `  ${id}:`, '    runs-on: x').diagnostics).toEqual<Diagnostic[]>([
      { code: 'github-schema', message: invalidId(id), range: r(3, 3, 3, 103) },
    ]);
    expect(parse('on: push', 'jobs:', `  ${id.slice(1)}:`, '    runs-on: x').diagnostics).toEqual([]);
  });

  it('11. unknown keys and wrong value types inside jobs that run steps, in steps, and under on', () => {
    const workflow = parse(
      'on:',
      '  not_an_event:',
      '  push:',
      '    brunches: [main]',
      'env: { A: [1] }',
      'jobs:',
      '  a:',
      '    runs-on: x',
      '    timeout-minutes: soon',
      '    colour: blue',
      '    steps:',
      '      - run: make',
      '        bogus: 1',
    );
    expect(workflow.diagnostics).toEqual<Diagnostic[]>([
      { code: 'github-schema', message: "Unexpected value 'not_an_event'", range: r(2, 3, 2, 15) },
      { code: 'github-schema', message: "Unexpected value 'brunches'", range: r(4, 5, 4, 13) },
      { code: 'github-schema', message: 'A sequence was not expected', range: r(5, 11, 5, 14) },
      { code: 'github-schema', message: "Unexpected value 'soon'", range: r(9, 22, 9, 26) },
      { code: 'github-schema', message: "Unexpected value 'colour'", range: r(10, 5, 10, 11) },
      { code: 'github-schema', message: "Unexpected value 'bogus'", range: r(13, 9, 13, 14) },
    ]);
  });
});

describe('accepted here, rejected by @actions/workflow-parser (its reader fails)', () => {
  it('12. a key YAML reads as a number, a boolean or null: read as the string GitHub reads, so what follows it is still checked, at its own column', () => {
    expect(parse('on: push', 'env:', '  1: a', '  true: b', '  ~: c', 'jobs:', '  a:', '    runs-on: x').diagnostics).toEqual([]);
    expect(parse('on: push', 'env:', '  B: [1]', '  1: a', '  C: [1]', 'jobs:', '  a:', '    runs-on: x').diagnostics).toEqual<Diagnostic[]>([
      { code: 'github-schema', message: 'A sequence was not expected', range: r(3, 6, 3, 9) },
      { code: 'github-schema', message: 'A sequence was not expected', range: r(5, 6, 5, 9) },
    ]);
    // On the key's own line, after it: a flow mapping with a number key, then an unknown key of the job.
    expect(parse('on: push', 'jobs:', '  a:', '    runs-on: x', '    env: { 1: a, D: [1] }', '    colour: blue').diagnostics).toEqual<Diagnostic[]>([
      { code: 'github-schema', message: 'A sequence was not expected', range: r(5, 21, 5, 24) },
      { code: 'github-schema', message: "Unexpected value 'colour'", range: r(6, 5, 6, 11) },
    ]);
  });
});
