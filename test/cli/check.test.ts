import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CHECK_HELP } from '../../src/cli/check.js';
import type { JsonReport } from '../../src/cli/format-json.js';
import { MAX_WORKFLOW_BYTES } from '../../src/source/github.js';
import { checkout, cleanCheckouts, HEAD, run } from './harness.js';

const ORIGIN = 'https://github.com/my-org/app.git';
const OFFLINE_NOTE = 'Note: GITHUB_TOKEN is not set: calls into other repositories are not read, and each is reported as unresolved.';
const PRIVATE_NOTE = 'Note: my-org/app is taken to be private: pass --visibility, or set GITHUB_TOKEN to read it from GitHub.';
const PRESET = 'Policy: the shipped "recommended" preset (no policy file given, and none in the checkout)';
/** What `check` prints first for the checkout of my-org/app at HEAD, with no token and no --visibility. */
const HEADER = ['Workflow Warden 0.1.0: my-org/app at 0123456', PRESET, OFFLINE_NOTE, PRIVATE_NOTE];
const HINT = "\nRun 'workflow-warden check --help' for usage.\n";
/** The `local` fixture's one finding, as the text format ends with it. */
const CONTRACT_FINDING_LINES = [
  '',
  '.github/workflows/ci.yml',
  '.github/workflows/ci.yml:7:5  error  contract  ./.github/workflows/build.yml requires input target (string), not passed in with:, so GitHub fails the call.',
  '    Fix: Pass the required inputs target (string) under with: in job "build", then fill in the placeholder values.',
  "          target: '' # string: What to build",
  '',
  '1 error and 0 warnings in 2 workflow files: failure',
  '',
];

afterEach(cleanCheckouts);

function json(stdout: string): JsonReport {
  return JSON.parse(stdout) as JsonReport;
}

describe('workflow-warden check, local calls only', () => {
  it('reports a contract error of a ./ call at its exact line, with the fix, and exits 1', async () => {
    const root = await checkout('local', { head: HEAD, origin: ORIGIN });

    const result = await run(['check', root]);

    expect(result).toEqual({
      code: 1,
      stderr: '',
      stdout: [
        ...HEADER,
        ...CONTRACT_FINDING_LINES,
      ].join('\n'),
    });
  });

  it("reports what GitHub's own schema rejects at its line in a top-level file, and at the calling uses: line for a called file", async () => {
    // Rows 9, 10, 11 and 1 of docs/workflow-parser.md. Every file of .github/workflows is also a top-level file here.
    const longId = 'j'.repeat(100);
    const root = await checkout(undefined, { head: HEAD, origin: ORIGIN }, {
      '.github/workflows/ci.yml': [
        'name: CI',
        'on: push',
        'env:',
        '  TOKEN: a',
        '  token: b',
        'jobs:',
        '  ids:',
        '    uses: ./.github/workflows/ids.yml',
        '  keys:',
        '    uses: ./.github/workflows/keys.yml',
        '  env:',
        '    uses: ./.github/workflows/env.yml',
        '',
      ].join('\n'),
      '.github/workflows/ids.yml': `on: workflow_call\njobs:\n  ${longId}:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n`,
      '.github/workflows/keys.yml': 'on: workflow_call\njobs:\n  build:\n    runs-on: ubuntu-latest\n    timeout-minutes: soon\n    steps:\n      - run: make\n        bogus: 1\n',
      '.github/workflows/env.yml': 'on: workflow_call\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n        env: ${{ fromJSON(vars.BUILD_ENV) }}\n',
    });

    const result = await run(['check', root]);

    const invalidId = `The identifier '${longId}' is invalid. IDs may only contain alphanumeric characters, '_', and '-'. IDs must start with a letter or '_' and and must be less than 100 characters`;
    const asWritten = 'error  contract  GitHub cannot run this workflow as written:';
    expect(result).toEqual({
      code: 1,
      stderr: '',
      stdout: [
        ...HEADER,
        '',
        '.github/workflows/ci.yml',
        `.github/workflows/ci.yml:5:3  ${asWritten} 'token' is already defined`,
        `.github/workflows/ci.yml:8:11  error  contract  ./.github/workflows/ids.yml cannot be called: GitHub rejects the file it names (line 3: ${invalidId}).`,
        ".github/workflows/ci.yml:10:11  error  contract  ./.github/workflows/keys.yml cannot be called: GitHub rejects the file it names (line 5: Unexpected value 'soon'; 1 more problem).",
        '',
        '.github/workflows/ids.yml',
        `.github/workflows/ids.yml:3:3  ${asWritten} ${invalidId}.`,
        '',
        '.github/workflows/keys.yml',
        `.github/workflows/keys.yml:5:22  ${asWritten} Unexpected value 'soon'`,
        `.github/workflows/keys.yml:8:9  ${asWritten} Unexpected value 'bogus'`,
        '',
        '6 errors and 0 warnings in 4 workflow files: failure',
        '',
      ].join('\n'),
    });
  });

  it('reports a loop of ./ calls from every workflow in it, each with its chain', async () => {
    const root = await checkout('loop', { head: HEAD, origin: ORIGIN });

    const result = await run(['check', root, '--format', 'json', '--visibility', 'internal']);

    expect(result.code).toBe(1);
    const report = json(result.stdout);
    expect(report.notes).toEqual([OFFLINE_NOTE.slice('Note: '.length)]);
    expect(report.findings.map((finding) => [finding.ruleId, finding.location.path, finding.location.line, finding.location.column, finding.chain])).toEqual([
      ['platform-limits', '.github/workflows/ci.yml', 6, 11, ['./.github/workflows/first.yml', './.github/workflows/second.yml', './.github/workflows/first.yml']],
      ['platform-limits', '.github/workflows/first.yml', 5, 11, ['./.github/workflows/second.yml', './.github/workflows/first.yml']],
      ['platform-limits', '.github/workflows/second.yml', 5, 11, ['./.github/workflows/first.yml', './.github/workflows/second.yml']],
    ]);
    expect(report.findings[0]!.message).toBe(
      './.github/workflows/first.yml leads into a loop: my-org/app/.github/workflows/first.yml@0123456 → my-org/app/.github/workflows/second.yml@0123456 → ' +
        'my-org/app/.github/workflows/first.yml@0123456. GitHub does not allow a reusable workflow to call itself, directly or through others, and fails the run.',
    );
    expect(report.conclusion).toBe('failure');
  });

  it('reads the checkout’s own composite action and reports what it runs at the action’s line', async () => {
    const root = await checkout(undefined, {}, {
      '.github/workflows/ci.yml': 'on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: $/.github/actions/setup\n',
      '.github/actions/setup/action.yml': 'runs:\n  using: composite\n  steps:\n    - uses: docker://alpine:3.20\n',
    });

    const result = await run(['check', root, '--repo', 'my-org/app', '--visibility', 'private', '--format', 'json']);

    expect(result.code).toBe(1);
    expect(json(result.stdout).findings.map((finding) => [finding.ruleId, finding.location.path, finding.location.line, finding.chain, finding.message])).toEqual([
      [
        'pinning',
        '.github/workflows/ci.yml',
        6,
        ['$/.github/actions/setup', 'docker://alpine:3.20'],
        'docker://alpine:3.20 (step 1 in my-org/app/.github/actions/setup@working) is not pinned to an image digest: the tag 3.20 can be pushed to with other content, and every run pulls whatever it names then. Pin it as docker://<image>@sha256:<digest>.',
      ],
    ]);
  });

  it('exits 0 for a clean checkout, and says when there is no commit', async () => {
    const root = await checkout(undefined, {}, {
      '.github/workflows/ci.yml': 'on: push\njobs:\n  build:\n    uses: ./.github/workflows/build.yml\n    with:\n      target: all\n',
      '.github/workflows/build.yml': 'on:\n  workflow_call:\n    inputs:\n      target: { type: string, required: true }\njobs:\n  make:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n',
    });

    const result = await run(['check', root, '--repo', 'my-org/app', '--visibility', 'private']);

    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: ['Workflow Warden 0.1.0: my-org/app at the working tree (no commit found in .git)', PRESET, OFFLINE_NOTE, '', 'No findings in 2 workflow files: success', ''].join('\n'),
    });
  });

  it('reports workflow files that cannot be read as the app would: binary, too large', async () => {
    const root = await checkout(undefined, { head: HEAD, origin: ORIGIN }, {
      '.github/workflows/logo.yml': Buffer.from([0x6f, 0x6e, 0x00, 0x01]),
      '.github/workflows/huge.yml': `# ${'x'.repeat(MAX_WORKFLOW_BYTES)}\n`,
    });

    const result = await run(['check', root, '--format', 'json', '--visibility', 'public']);

    expect(result.code).toBe(1);
    expect(json(result.stdout).findings.map((finding) => [finding.ruleId, finding.location.path, finding.message])).toEqual([
      ['resolution', '.github/workflows/huge.yml', 'The workflow my-org/app/.github/workflows/huge.yml@0123456 could not be read: it is too large for the app to read. It was not checked, so the check fails closed.'],
      ['resolution', '.github/workflows/logo.yml', 'The workflow my-org/app/.github/workflows/logo.yml@0123456 could not be read: it is a binary file. It was not checked, so the check fails closed.'],
    ]);
  });

  it('says so and exits 0 when the checkout has no workflows', async () => {
    const root = await checkout(undefined, { head: HEAD, origin: ORIGIN });

    const result = await run(['check', root, '--visibility', 'public']);

    expect(result).toEqual({
      code: 0,
      stderr: '',
      stdout: [
        'Workflow Warden 0.1.0: my-org/app at 0123456',
        PRESET,
        OFFLINE_NOTE,
        `Note: There is no .github/workflows directory in ${root}: there is nothing to check.`,
        '',
        'No findings in 0 workflow files: success',
        '',
      ].join('\n'),
    });
  });
});

describe('workflow-warden check, any directory or file', () => {
  const unknownNote = (taken: string): string =>
    `Note: The repository is unknown (no --repo, and no "origin" remote in .git/config): ${taken}, and every call into a repository counts as external. ` +
    'Pass --repo owner/name to name it.';

  it('checks a directory with no git metadata under an unknown identity, saying so in one note, and exits 1 on its contract error', async () => {
    const root = await checkout('local');

    const result = await run(['check', root]);

    expect(result).toEqual({
      code: 1,
      stderr: '',
      stdout: [
        'Workflow Warden 0.1.0: an unknown repository at the working tree (no commit found in .git)',
        PRESET,
        OFFLINE_NOTE,
        unknownNote('it is taken to be private'),
        ...CONTRACT_FINDING_LINES,
      ].join('\n'),
    });
  });

  it('with an unknown identity, a call into any owner is external and a secrets: inherit to it is not the same owner; --visibility still applies', async () => {
    const root = await checkout(undefined, {}, {
      '.github/workflows/ci.yml': 'on: push\njobs:\n  deploy:\n    uses: my-org/tools/.github/workflows/deploy.yml@main\n    secrets: inherit\n',
    });

    const result = await run(['check', root, '--format', 'json', '--visibility', 'public']);

    const report = json(result.stdout);
    expect(report.repository).toBeNull();
    expect(report.notes).toEqual([OFFLINE_NOTE.slice('Note: '.length), unknownNote('it is taken to be public (--visibility)').slice('Note: '.length)]);
    expect(report.findings.map((finding) => [finding.ruleId, finding.location.line])).toEqual([
      ['resolution', 4],
      ['pinning', 4],
      ['secrets-inherit', 5],
    ]);
    expect(report.findings[1]!.message).toContain('anyone who can push to my-org/tools');
    expect(result.code).toBe(1);
    // The same checkout known to be my-org's: the call is within the owner, so neither pinning nor secrets-inherit applies.
    await mkdir(join(root, '.git'));
    await writeFile(join(root, '.git/config'), `[remote "origin"]\n\turl = ${ORIGIN}\n`);
    await writeFile(join(root, '.git/HEAD'), `${HEAD}\n`);
    const known = json((await run(['check', root, '--format', 'json', '--visibility', 'public'])).stdout);
    expect(known.findings.map((finding) => finding.ruleId)).toEqual(['resolution']);
    expect(known.repository).toBe('my-org/app');
  });

  it('--repo still names the repository of a checkout without git metadata', async () => {
    const root = await checkout('local');

    const result = await run(['check', root, '--repo', 'my-org/app', '--format', 'json']);

    expect(json(result.stdout).repository).toBe('my-org/app');
    expect(json(result.stdout).notes).toEqual([OFFLINE_NOTE.slice('Note: '.length), PRIVATE_NOTE.slice('Note: '.length)]);
  });

  it('checks one workflow file: only it is a top-level file, its ./ calls and the policy come from its checkout', async () => {
    const root = await checkout('local', { head: HEAD, origin: ORIGIN }, { '.github/workflow-policy.yml': 'version: 1\nextends: recommended\nenforcement: warn\n' });

    const result = await run(['check', join(root, '.github/workflows/ci.yml'), '--format', 'json', '--visibility', 'private']);

    const report = json(result.stdout);
    expect(report.workflows).toEqual(['.github/workflows/ci.yml']);
    expect(report.policy).toEqual({ kind: 'file', name: '.github/workflow-policy.yml' });
    expect(report.findings.map((finding) => [finding.ruleId, finding.location.path, finding.location.line])).toEqual([['contract', '.github/workflows/ci.yml', 7]]);
    expect(report.conclusion).toBe('neutral');
    expect(result.code).toBe(0);
  });

  it('takes a checkout\'s .github/workflows directory for the checkout itself', async () => {
    const root = await checkout('local', { head: HEAD, origin: ORIGIN });

    const result = await run(['check', '.github/workflows', '--format', 'json', '--visibility', 'private'], { cwd: root });

    expect(json(result.stdout).workflows).toEqual(['.github/workflows/build.yml', '.github/workflows/ci.yml']);
  });

  it('refuses a file that is not a workflow of a .github/workflows directory (exit 2)', async () => {
    const root = await checkout('local', {}, { 'ci.yml': 'on: push\n' });

    expect(await run(['check', 'ci.yml'], { cwd: root })).toEqual({
      code: 2,
      stdout: '',
      stderr:
        'workflow-warden check: ci.yml is not a workflow file in a .github/workflows directory: GitHub runs workflows only from there, and their ./ calls ' +
        "resolve in the repository around them. Give the checkout's directory, or the file where it is in its checkout.\n",
    });
  });
});

describe('workflow-warden check, remote calls without GITHUB_TOKEN', () => {
  it('reports each remote call as unresolved (fail closed), saying to set GITHUB_TOKEN, and exits 1', async () => {
    const root = await checkout('remote', { head: HEAD, origin: ORIGIN });

    const result = await run(['check', root], { env: { GITHUB_API_URL: 'https://api.github.com' } });

    expect(result).toEqual({
      code: 1,
      stderr: '',
      stdout: [
        ...HEADER,
        '',
        '.github/workflows/deploy.yml',
        '.github/workflows/deploy.yml:8:11  error  resolution  octo-org/shared/.github/workflows/deploy.yml@v1 was not resolved: GITHUB_TOKEN is not set, ' +
          'so workflows in other repositories are not read, and this call and the calls below it were not checked (the check fails closed). ' +
          'Set GITHUB_TOKEN to a token that can read octo-org/shared and run the check again.',
        '.github/workflows/deploy.yml:8:11  error  pinning  octo-org/shared/.github/workflows/deploy.yml@v1 is not pinned to a full 40-character commit SHA: ' +
          'the ref v1 can be moved to other code by anyone who can push to octo-org/shared, and a re-run of all jobs runs whatever it points to then.',
        '',
        '2 errors and 0 warnings in 1 workflow file: failure',
        '',
      ].join('\n'),
    });
  });

  it('places a remote call made inside a ./ workflow on the top-level line, naming where it is', async () => {
    const root = await checkout(undefined, { head: HEAD, origin: ORIGIN }, {
      '.github/workflows/ci.yml': 'on: push\njobs:\n  release:\n    uses: ./.github/workflows/release.yml\n',
      '.github/workflows/release.yml': 'on: workflow_call\njobs:\n  publish:\n    uses: my-org/tools/.github/workflows/publish.yml@main\n',
    });

    const result = await run(['check', root, '--format', 'json', '--visibility', 'private']);

    const [fromCi, fromRelease] = json(result.stdout).findings;
    expect(fromCi).toEqual({
      ruleId: 'resolution',
      severity: 'error',
      message:
        'my-org/tools/.github/workflows/publish.yml@main (called by job publish in my-org/app/.github/workflows/release.yml@0123456) was not resolved: ' +
        'GITHUB_TOKEN is not set, so workflows in other repositories are not read, and this call and the calls below it were not checked (the check fails closed). ' +
        'Set GITHUB_TOKEN to a token that can read my-org/tools and run the check again.',
      location: { path: '.github/workflows/ci.yml', line: 4, column: 11, endLine: 4, endColumn: 42 },
      site: { workflow: 'my-org/app/.github/workflows/release.yml@0123456', line: 4, column: 11, endLine: 4, endColumn: 58 },
      chain: ['./.github/workflows/release.yml', 'my-org/tools/.github/workflows/publish.yml@main'],
      fix: null,
    });
    expect(fromRelease).toMatchObject({ ruleId: 'resolution', location: { path: '.github/workflows/release.yml', line: 4, column: 11 }, site: null });
    expect(result.code).toBe(1);
  });
});

describe('workflow-warden check, choosing the policy', () => {
  it("applies the repository's own policy file and says so", async () => {
    const root = await checkout('repo-policy', { head: HEAD, origin: ORIGIN });

    const result = await run(['check', root, '--visibility', 'public']);

    expect(result.stdout.split('\n')[1]).toBe("Policy: .github/workflow-policy.yml (the repository's policy file)");
    expect(result.stdout).toContain('.github/workflows/deploy.yml:8:11  warning  pinning  octo-org/shared/.github/workflows/deploy.yml@v1 is not pinned');
    // The unresolved call is still an error: resolution findings always are.
    expect(result.stdout).toContain('\n1 error and 1 warning in 1 workflow file: failure\n');
    expect(result.code).toBe(1);
  });

  it('applies --policy over the repository policy, relative to the working directory', async () => {
    const root = await checkout('repo-policy', { head: HEAD, origin: ORIGIN }, {
      'warn.yml': 'version: 1\nextends: recommended\nenforcement: warn\n',
    });

    const result = await run(['check', '.', '--policy', 'warn.yml', '--visibility', 'public'], { cwd: root });

    expect(result.stdout.split('\n')[1]).toBe('Policy: warn.yml (--policy)');
    // enforcement: warn makes errors non-blocking, as the check run's neutral conclusion.
    expect(result.stdout).toContain('\n2 errors and 0 warnings in 1 workflow file: neutral\n');
    expect(result.code).toBe(0);
  });

  it('exits 2 with each problem of an invalid policy on stderr, checking nothing', async () => {
    const root = await checkout('local', { head: HEAD, origin: ORIGIN }, {
      '.github/workflow-policy.yml': 'version: 1\nenforcement: strict\n',
    });

    expect(await run(['check', root])).toEqual({
      code: 2,
      stdout: '',
      stderr:
        '.github/workflow-policy.yml:2:14: invalid value "strict" for enforcement; allowed values: "block", "warn", "off"\n' +
        'workflow-warden check: the policy is invalid, so nothing was checked\n',
    });
  });

  it('applies the repositories overrides of the policy that match the repository', async () => {
    const root = await checkout('remote', { head: HEAD, origin: ORIGIN }, {
      'policy.yml': 'version: 1\nextends: recommended\nrepositories:\n  - match: ["my-org/*"]\n    rules:\n      pinning: { severity: off }\n',
    });

    const result = await run(['check', root, '--policy', join(root, 'policy.yml'), '--format', 'json', '--visibility', 'private']);

    const report = json(result.stdout);
    expect(report.notes).toContain(`${join(root, 'policy.yml')}:4:5: repositories[0] applies to my-org/app.`);
    expect(report.findings.map((finding) => finding.ruleId)).toEqual(['resolution']);
  });
});

describe('workflow-warden check, command line', () => {
  it('writes the report to --output and prints the summary', async () => {
    const root = await checkout('local', { head: HEAD, origin: ORIGIN });
    const output = join(root, 'report.json');

    const result = await run(['check', root, '--format', 'json', '--output', output, '--visibility', 'public']);

    expect(result).toEqual({ code: 1, stderr: '', stdout: `1 error and 0 warnings in 2 workflow files: failure\nReport (json) written to ${output}\n` });
    const written = JSON.parse(await readFile(output, 'utf8')) as JsonReport;
    expect(written.findings.map((finding) => [finding.ruleId, finding.location.line])).toEqual([['contract', 7]]);
  });

  it('exits 2 on unknown options and bad values', async () => {
    const root = await checkout('local', { head: HEAD, origin: ORIGIN });
    const usage = (message: string) => ({ code: 2, stdout: '', stderr: `workflow-warden check: ${message}${HINT}` });

    expect(await run(['check', root, '--fix'])).toEqual(usage('unknown option --fix'));
    expect(await run(['check', root, '--format', 'xml'])).toEqual(usage('--format must be text, json, sarif or github, got "xml"'));
    expect(await run(['check', root, '--min-severity', 'note'])).toEqual(usage('--min-severity must be warning or error, got "note"'));
    expect(await run(['check', root, '--format'])).toEqual(usage('option --format needs a value'));
    expect(await run(['check', root, '--visibility', 'secret'])).toEqual(usage('--visibility must be public, private or internal, got "secret"'));
    expect(await run(['check', root, '--repo', 'app'])).toEqual(usage('--repo must be owner/name, got "app"'));
    expect(await run(['check', root, root])).toEqual(usage('expected at most one directory or workflow file, got 2'));
    expect(await run(['check', root], { env: { WARDEN_MAX_LEVELS: 'ten' } })).toEqual(usage('WARDEN_MAX_LEVELS must be a positive integer, got "ten"'));
    expect(await run(['check', root], { env: { GITHUB_API_URL: 'api.github.com' } })).toEqual(usage('GITHUB_API_URL is not a URL: "api.github.com"'));
  });

  it('exits 2 when the directory or the policy file is missing, or the output cannot be written', async () => {
    const bare = await checkout('local');

    expect(await run(['check', 'no-such-dir'])).toEqual({ code: 2, stdout: '', stderr: 'workflow-warden check: cannot read no-such-dir: no such file or directory\n' });
    expect(await run(['check', bare, '--repo', 'my-org/app', '--policy', 'missing.yml'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'workflow-warden check: cannot read the policy file missing.yml: no such file or directory\n',
    });
    expect(await run(['check', bare, '--repo', 'my-org/app', '--output', join(bare, 'no-dir', 'out.txt')])).toEqual({
      code: 2,
      stdout: '',
      stderr: `workflow-warden check: cannot write ${join(bare, 'no-dir', 'out.txt')}: no such file or directory\n`,
    });
  });

  it('prints its help, with options, environment and exit codes', async () => {
    const result = await run(['check', '--help']);

    expect(result).toEqual({ code: 0, stdout: CHECK_HELP, stderr: '' });
    for (const text of ['Usage: workflow-warden check [dir|file] [options]', '--min-severity <level>', 'NO_COLOR', '--policy <file>', '--repo <owner/name>', '--visibility <v>', '--format <format>', '--output <file>', 'GITHUB_TOKEN', 'GITHUB_API_URL', 'Exit codes:']) {
      expect(result.stdout).toContain(text);
    }
  });
});
