// The GitHub Action as a runner runs it: `node action/index.mjs` (the committed bundle) in a fresh process,
// with the inputs as INPUT_* variables and the job's GITHUB_* variables and files, against the GitHub
// imitation served on loopback for every remote read.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { parse } from 'yaml';
import { actionInput } from '../../src/action/main.js';
import type { SarifLog } from '../../src/cli/format-sarif.js';
import { addSharedDeploy, checkout, cleanCheckouts, FIXTURES, HEAD } from '../cli/harness.js';
import { FakeGitHub } from '../support/fake-github.js';
import { sarifValidator } from '../support/sarif.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const run = promisify(execFile);

interface ActionManifest {
  inputs: Record<string, { default?: string }>;
  outputs: Record<string, unknown>;
  runs: { using: string; main: string };
}

interface StepResult {
  code: number;
  stdout: string;
  stderr: string;
  outputs: Record<string, string>;
  summary: string;
}

let server: { url: string; close(): Promise<void> } | undefined;
const temporary: string[] = [];

afterEach(async () => {
  await server?.close();
  server = undefined;
  await cleanCheckouts();
  await Promise.all(temporary.splice(0).map((path) => rm(path, { recursive: true, force: true })));
});

async function manifest(): Promise<ActionManifest> {
  return parse(await readFile(join(ROOT, 'action.yml'), 'utf8')) as ActionManifest;
}

/** The runner's name mangling, as @actions/core reads it back: upper case, spaces to underscores, hyphens kept. */
function inputVariable(name: string): string {
  return `INPUT_${name.replace(/ /g, '_').toUpperCase()}`;
}

/** Every declared input with its default (as the runner sets them), `with:` values over them. */
async function runStep(workspace: string, apiUrl: string, inputs: Record<string, string>): Promise<StepResult> {
  const action = await manifest();
  const files = await mkdtemp(join(tmpdir(), 'warden-runner-'));
  temporary.push(files);
  const output = join(files, 'output');
  const summary = join(files, 'summary');
  await writeFile(output, '');
  await writeFile(summary, '');
  const env: Record<string, string> = {
    GITHUB_ACTIONS: 'true',
    GITHUB_WORKSPACE: workspace,
    GITHUB_REPOSITORY: 'my-org/app',
    GITHUB_SHA: HEAD,
    GITHUB_API_URL: apiUrl,
    GITHUB_SERVER_URL: 'https://github.com',
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
  };
  for (const [name, input] of Object.entries(action.inputs)) {
    // `${{ github.token }}` is the job's token, which the runner puts in place of the expression.
    env[inputVariable(name)] = inputs[name] ?? (input.default === '${{ github.token }}' ? 'job-token' : (input.default ?? ''));
  }
  const entry = join(ROOT, action.runs.main);
  // execFile rejects on a non-zero exit, with the output on the error.
  const { code, stdout, stderr } = await run(process.execPath, [entry], { cwd: workspace, env }).then(
    (result) => ({ code: 0, ...result }),
    (error: { code: number; stdout: string; stderr: string }) => error,
  );
  return { code, stdout, stderr, outputs: readOutputs(await readFile(output, 'utf8')), summary: await readFile(summary, 'utf8') };
}

/** GITHUB_OUTPUT's heredoc form: `name<<DELIMITER`, the value, the delimiter. */
function readOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index++) {
    const match = /^([^<]+)<<(.+)$/.exec(lines[index] ?? '');
    if (!match) continue;
    const end = lines.indexOf(match[2]!, index + 1);
    outputs[match[1]!] = lines.slice(index + 1, end).join('\n');
    index = end;
  }
  return outputs;
}

async function world(): Promise<{ gh: FakeGitHub; v1: string; workspace: string }> {
  const gh = new FakeGitHub();
  const v1 = addSharedDeploy(gh);
  gh.addRepo('my-org/app', { visibility: 'private' });
  gh.commit('my-org/app', { README: 'app' }, { branch: 'main' });
  const local = join(FIXTURES, 'local/.github/workflows');
  const workspace = await checkout('remote', { head: HEAD, origin: 'https://github.com/my-org/app.git' }, {
    '.github/workflows/ci.yml': await readFile(join(local, 'ci.yml'), 'utf8'),
    '.github/workflows/build.yml': await readFile(join(local, 'build.yml'), 'utf8'),
  });
  server = await gh.listen();
  return { gh, v1, workspace };
}

describe('the GitHub Action', () => {
  it('is a node24 action whose entry is the committed bundle, with the documented inputs and outputs', async () => {
    const action = await manifest();

    expect(action.runs).toEqual({ using: 'node24', main: 'action/index.mjs' });
    expect(Object.keys(action.inputs)).toEqual(['policy', 'format', 'min-severity', 'fail-level', 'sarif-file', 'token']);
    expect(Object.keys(action.outputs)).toEqual(['conclusion', 'errors', 'warnings', 'sarif-file']);
    expect(actionInput({ 'INPUT_FAIL-LEVEL': ' warning ', INPUT_SARIF_FILE: 'x' }, 'fail-level')).toBe('warning');
    expect(actionInput({ 'INPUT_MY_INPUT': 'spaces' }, 'my input')).toBe('spaces');
  });

  it('checks the workspace with the job token through the host API: annotations in the log, SARIF that validates, outputs and a summary; fails the step', async () => {
    const { gh, v1, workspace } = await world();

    const step = await runStep(workspace, server!.url, { 'sarif-file': 'results/warden.sarif' });

    expect(step.stderr).toBe('');
    expect(step.code).toBe(1);
    expect(step.stdout.split('\n')).toEqual([
      "::error file=.github/workflows/ci.yml,line=7,endLine=8,title=contract%3A call does not match the called workflow's contract::" +
        './.github/workflows/build.yml requires input target (string), not passed in with:, so GitHub fails the call.' +
        '%0A%0AFix: Pass the required inputs target (string) under with: in job "build", then fill in the placeholder values.' +
        "%0A%0A  target: '' # string: What to build",
      '::error file=.github/workflows/deploy.yml,line=8,endLine=8,col=11,endColumn=57,title=pinning%3A reusable workflow not pinned to a verified commit::' +
        'octo-org/shared/.github/workflows/deploy.yml@v1 is not pinned to a full 40-character commit SHA: the tag v1 can be moved to other code by anyone who can push ' +
        'to octo-org/shared, and a re-run of all jobs runs whatever it points to then.' +
        `%0A%0AFix: Replace the uses: of job "deploy" with octo-org/shared/.github/workflows/deploy.yml@${v1} # v1.` +
        `%0A%0Auses: octo-org/shared/.github/workflows/deploy.yml@${v1} # v1`,
      '',
    ]);
    // Every read went to the API at GITHUB_API_URL (the imitation), and each was answered.
    expect(gh.requests.filter((request) => request.outcome !== 200)).toEqual([]);
    expect(gh.requests.length).toBeGreaterThan(0);

    const sarifPath = join(workspace, 'results/warden.sarif');
    expect(step.outputs).toEqual({ conclusion: 'failure', errors: '2', warnings: '0', 'sarif-file': sarifPath });
    const log = JSON.parse(await readFile(sarifPath, 'utf8')) as SarifLog;
    const validate = sarifValidator();
    expect(validate(log) ? [] : validate.errors).toEqual([]);
    expect(log.runs[0]!.results.map((result) => [result.ruleId, result.locations[0]!.physicalLocation.artifactLocation.uri])).toEqual([
      ['contract', '.github/workflows/ci.yml'],
      ['pinning', '.github/workflows/deploy.yml'],
    ]);

    expect(step.summary).toMatch(/^## Workflow Warden\n\n### ❌ Blocked: 2 policy violations in 2 workflows\n/);
    expect(step.summary).toContain('#### Call graph');
    expect(step.summary).toContain('```mermaid\nflowchart LR\n');
    expect(step.summary).toContain('["octo-org/shared/.github/workflows/deploy.yml@v1"]');
  }, 30_000);

  it('follows the fail level: none never fails on findings, warning also fails on warnings; a bad input fails with an error annotation', async () => {
    const { workspace } = await world();
    await writeFile(join(workspace, 'warn.yml'), 'version: 1\nextends: recommended\nrules:\n  pinning: { severity: warning }\n  contract: { severity: warning }\n');

    const none = await runStep(workspace, server!.url, { 'fail-level': 'none' });
    const warningsOnly = await runStep(workspace, server!.url, { policy: 'warn.yml' });
    const failOnWarnings = await runStep(workspace, server!.url, { policy: 'warn.yml', 'fail-level': 'warning', format: 'text' });
    const wrong = await runStep(workspace, server!.url, { 'fail-level': 'sometimes' });

    expect([none.code, none.outputs.conclusion]).toEqual([0, 'failure']);
    expect([warningsOnly.code, warningsOnly.outputs]).toEqual([0, { conclusion: 'neutral', errors: '0', warnings: '2', 'sarif-file': '' }]);
    expect(failOnWarnings.code).toBe(1);
    expect(failOnWarnings.stdout).toContain('Policy: warn.yml (--policy)\n');
    expect(wrong).toMatchObject({ code: 2, stdout: '::error title=Workflow Warden::fail-level must be error, warning or none, got "sometimes"\n' });
  }, 60_000);
});
