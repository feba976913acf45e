// The second pass of parseWorkflow: GitHub's own parser and schema (@actions/workflow-parser) on a file our parser
// read without a problem. The places where the two knowingly differ are in differences.test.ts.
import { readFileSync } from 'node:fs';
import { forgetGithubSchemaResults } from '../../src/workflow/github-schema.js';
import { parseWorkflow } from '../../src/workflow/parse.js';
import type { Diagnostic, SourceRange, Workflow } from '../../src/workflow/model.js';

function r(startLine: number, startColumn: number, endLine: number, endColumn: number): SourceRange {
  return { start: { line: startLine, column: startColumn }, end: { line: endLine, column: endColumn } };
}

function parse(...lines: string[]): Workflow {
  return parseWorkflow(lines.join('\n'), '.github/workflows/ci.yml');
}

function schema(range: SourceRange, message: string): Diagnostic {
  return { code: 'github-schema', message, range };
}

describe('GitHub\'s schema, after our parser', () => {
  it.each(['release-pipeline.yml', 'shared-checks.yml', 'caller.yml', 'matrix-caller.yml', 'reusable-inputs.yml', 'outputs-reusable.yml'])(
    'finds nothing in a workflow GitHub runs (%s)',
    (name) => {
      const text = readFileSync(new URL(`../fixtures/workflows/${name}`, import.meta.url), 'utf8');
      expect(parseWorkflow(text, `.github/workflows/${name}`).diagnostics).toEqual([]);
    },
  );

  it('answers a file it has checked before from memory, with diagnostics of its own to change, and only for that path', () => {
    const lines = ['on: push', 'jobs:', '  a:', '    runs-on: x', '    colour: blue', '    steps:', '      - run: make'];
    const first = parse(...lines);
    expect(first.diagnostics).toEqual([schema(r(5, 5, 5, 11), "Unexpected value 'colour'")]);
    first.diagnostics[0]!.range.start.line = 99;
    expect(parse(...lines).diagnostics).toEqual([schema(r(5, 5, 5, 11), "Unexpected value 'colour'")]);
    // The same text at another path is checked again (its messages may name it), with the same result.
    expect(parseWorkflow(lines.join('\n'), '.github/workflows/other.yml').diagnostics).toEqual([schema(r(5, 5, 5, 11), "Unexpected value 'colour'")]);
    forgetGithubSchemaResults();
    expect(parse(...lines).diagnostics).toEqual([schema(r(5, 5, 5, 11), "Unexpected value 'colour'")]);
  });

  it('is left out when asked (a file read only for its calls, or its version before a change)', () => {
    const text = ['on: push', 'jobs:', '  a:', '    runs-on: x', '    colour: blue', '    steps:', '      - run: make'].join('\n');
    expect(parseWorkflow(text, '.github/workflows/ci.yml', { githubSchema: false }).diagnostics).toEqual([]);
    expect(parseWorkflow(text, '.github/workflows/ci.yml').diagnostics).toEqual([schema(r(5, 5, 5, 11), "Unexpected value 'colour'")]);
  });

  it('takes the $/ self-repository syntax (July 2026) in a job and in a step', () => {
    const workflow = parse('on: push', 'jobs:', '  call:', '    uses: $/.github/workflows/build.yml', '  run:', '    runs-on: x', '    steps:', '      - uses: $/.github/actions/setup');
    expect(workflow.diagnostics).toEqual([]);
  });

  it('takes anchors and aliases of whole values, and reports a problem in an anchored value at the anchor', () => {
    const good = parse('on: push', 'env: &env', '  A: "1"', 'jobs:', '  a:', '    runs-on: &os ubuntu-latest', '    env: *env', '    steps: &steps', '      - run: make', '  b:', '    runs-on: *os', '    steps: *steps');
    expect(good.diagnostics).toEqual([]);
    const bad = parse('on: push', 'jobs:', '  a:', '    runs-on: x', '    steps: &steps', '      - run: make', '        colour: blue', '  b:', '    runs-on: x', '    steps: *steps');
    // Once, however many aliases repeat it.
    expect(bad.diagnostics).toEqual([schema(r(7, 9, 7, 15), "Unexpected value 'colour'")]);
  });

  it('reports the checks GitHub makes after the schema: needs, ids, cron schedules, the contexts of expressions', () => {
    const needs = parse('on: push', 'jobs:', '  a:', '    runs-on: x', '  b:', '    runs-on: x', '    needs: c', '  c:', '    runs-on: x', '    needs: [a, b]', '  d:', '    runs-on: x', '    needs: ghost');
    expect(needs.diagnostics).toEqual([
      schema(r(7, 12, 7, 13), "Job 'b' depends on job 'c' which creates a cycle in the dependency graph."),
      schema(r(10, 16, 10, 17), "Job 'c' depends on job 'b' which creates a cycle in the dependency graph."),
      schema(r(13, 12, 13, 17), "Job 'd' depends on unknown job 'ghost'."),
    ]);
    expect(parse('on: push', 'jobs:', '  a:', '    runs-on: x', '    needs: a').diagnostics).toEqual([schema(r(3, 3, 5, 13), 'The workflow must contain at least one job with no dependencies.')]);
    expect(parse('on:', '  schedule:', '    - cron: every day', 'jobs:', '  a:', '    runs-on: x').diagnostics).toEqual([
      schema(r(3, 13, 3, 22), "Invalid cron expression. Expected format: '* * * * *' (minute hour day month weekday)"),
    ]);
    expect(parse('on: push', 'jobs:', '  a:', '    runs-on: ${{ secrets.RUNNER }}').diagnostics).toEqual([schema(r(4, 14, 4, 35), "Unrecognized named-value: 'secrets'")]);
  });

  it('leaves to the contract rule what it reports itself: the keys of a calling job, a uses: that is no reference', () => {
    const both = parse('on: push', 'jobs:', '  a:', '    runs-on: x', '    uses: ./.github/workflows/b.yml', '    with:', '      a: 1', '    timeout-minutes: 5');
    expect(both.diagnostics).toEqual([]);
    const expression = parse('on: push', 'jobs:', '  a:', '    uses: ${{ inputs.callee }}', '  b:', '    runs-on: x', '    steps:', "      - uses: ''");
    expect(expression.diagnostics).toEqual([]);
    // A wrong value inside a calling job is GitHub's error all the same.
    const value = parse('on: push', 'jobs:', '  a:', '    uses: ./.github/workflows/b.yml', '    strategy:', '      matrix: 1');
    expect(value.diagnostics).toEqual([schema(r(6, 15, 6, 16), "Unexpected value '1'")]);
  });

  it('is not asked about a file our parser already reports: the library would say the same again in other words', () => {
    const workflow = parse('on: push', 'jobs:', '  a:', '    runs-on: x', '    runs-on: y', '    colour: blue');
    expect(workflow.diagnostics.map((diagnostic) => diagnostic.code)).toEqual(['duplicate-key']);
  });

  it('writes invisible characters of a message out, and bounds its length', () => {
    expect(parse('on: push', 'jobs:', '  a:', '    runs-on: x', '    "co\u202elour": 1').diagnostics).toEqual([schema(r(5, 5, 5, 14), "Unexpected value 'co\\u{202e}lour'")]);
    const long = parse('on: push', 'jobs:', '  a:', '    runs-on: x', `    timeout-minutes: ${'k'.repeat(5000)}`).diagnostics;
    expect(long).toEqual([schema(r(5, 22, 5, 5022), `Unexpected value '${'k'.repeat(282)}…`)]);
  });
});
