// `--format github`: workflow commands GitHub Actions turns into annotations, escaped byte for byte as
// GitHub's toolkit escapes them, and the other basics of running in a job (colour, --min-severity, privacy).
import { escapeData, escapeProperty } from '../../src/cli/format-github.js';
import { checkout, cleanCheckouts, HEAD, run } from './harness.js';

const ORIGIN = 'https://github.com/my-org/app.git';
const NOTICE = '::notice title=Workflow Warden::GITHUB_TOKEN is not set: calls into other repositories are not read, and each is reported as unresolved.';

afterEach(cleanCheckouts);

describe('--format github', () => {
  it('writes each finding as an annotation command, escaping the comma, colon and newlines of its text and its file name', async () => {
    const root = await checkout('local', { head: HEAD, origin: ORIGIN }, {
      '.github/workflows/a:b,c.yml': 'on: push\njobs:\n  x:\n    uses: ./.github/workflows/missing.yml\n',
    });

    const result = await run(['check', root, '--format', 'github', '--visibility', 'public']);

    expect(result).toEqual({
      code: 1,
      stderr: '',
      stdout:
        `${NOTICE}\n` +
        // One line, so columns: GitHub's end column is the last character's (the range ends after it).
        '::error file=.github/workflows/a%3Ab%2Cc.yml,line=4,endLine=4,col=11,endColumn=41,title=resolution%3A called workflow could not be read::' +
        './.github/workflows/missing.yml: .github/workflows/missing.yml does not exist in my-org/app at 0123456, so GitHub cannot run this call.\n' +
        // Two lines: GitHub takes no columns then. The message's comma and colon stay; its newlines are %0A.
        "::error file=.github/workflows/ci.yml,line=7,endLine=8,title=contract%3A call does not match the called workflow's contract::" +
        './.github/workflows/build.yml requires input target (string), not passed in with:, so GitHub fails the call.' +
        '%0A%0AFix: Pass the required inputs target (string) under with: in job "build", then fill in the placeholder values.' +
        "%0A%0A  target: '' # string: What to build\n",
    });
  });

  it('escapes % first, then CR and LF; properties also : and ,', () => {
    expect(escapeData('100%0A: a,b\r\nc')).toBe('100%250A: a,b%0D%0Ac');
    expect(escapeProperty('100%0A: a,b\r\nc')).toBe('100%250A%3A a%2Cb%0D%0Ac');
  });

  it('names files relative to GITHUB_WORKSPACE when the checkout is a directory inside it', async () => {
    const root = await checkout('local', { head: HEAD, origin: ORIGIN });

    const result = await run(['check', root, '--format', 'github', '--visibility', 'public'], { env: { GITHUB_WORKSPACE: `${root}/..` } });

    const name = root.slice(root.lastIndexOf('/') + 1);
    expect(result.stdout.split('\n')[1]).toMatch(new RegExp(`^::error file=${name}/\\.github/workflows/ci\\.yml,line=7,`));
  });

  it('hides private repositories in a public repository when it runs in GitHub Actions, as the check run does', async () => {
    const root = await checkout(undefined, { head: HEAD, origin: ORIGIN }, {
      '.github/workflows/ci.yml': 'on: push\njobs:\n  release:\n    uses: ./.github/workflows/release.yml\n',
      '.github/workflows/release.yml': 'on: workflow_call\njobs:\n  publish:\n    uses: my-org/secret-tools/.github/workflows/publish.yml@main\n',
    });
    const file = `${root}/.github/workflows/ci.yml`;

    const local = await run(['check', file, '--format', 'github', '--visibility', 'public']);
    const inActions = await run(['check', file, '--format', 'github', '--visibility', 'public'], { env: { GITHUB_ACTIONS: 'true' } });

    expect(local.stdout).toContain('my-org/secret-tools');
    expect(inActions.stdout).not.toContain('secret-tools');
    expect(inActions.stdout).toContain('Call chain: ci.yml → ./.github/workflows/release.yml → a private workflow');
    expect(inActions.code).toBe(1);
  });
});

describe('the text format in a terminal', () => {
  it('colours severities, files and the verdict on a terminal, never with NO_COLOR or into a file', async () => {
    const root = await checkout('local', { head: HEAD, origin: ORIGIN });

    const coloured = await run(['check', root, '--visibility', 'public'], { tty: true });
    const noColor = await run(['check', root, '--visibility', 'public'], { tty: true, env: { NO_COLOR: '1' } });
    const piped = await run(['check', root, '--visibility', 'public']);

    expect(coloured.stdout).toContain('\u001b[1m.github/workflows/ci.yml\u001b[22m\n');
    expect(coloured.stdout).toContain('.github/workflows/ci.yml:7:5  \u001b[31merror\u001b[39m  \u001b[2mcontract\u001b[22m  ./.github/workflows/build.yml requires');
    expect(coloured.stdout).toContain('\u001b[31m1 error and 0 warnings in 2 workflow files: failure\u001b[39m\n');
    expect(noColor.stdout).toBe(piped.stdout);
    expect(piped.stdout).not.toContain('\u001b[');
  });
});

describe('--min-severity', () => {
  it('leaves warnings out and says how many, keeping the verdict and the exit code', async () => {
    const root = await checkout('repo-policy', { head: HEAD, origin: ORIGIN });

    const all = await run(['check', root, '--visibility', 'public']);
    const errors = await run(['check', root, '--visibility', 'public', '--min-severity', 'error']);

    expect(all.stdout).toContain('  warning  pinning  ');
    expect(errors.stdout).not.toContain('  warning  ');
    expect(errors.stdout).toContain('Note: 1 warning is not shown (--min-severity error).\n');
    expect(errors.stdout).toContain('\n1 error and 0 warnings in 1 workflow file: failure\n');
    expect([all.code, errors.code]).toEqual([1, 1]);
  });
});

describe('--format github past GitHub\'s annotations per step', () => {
  it('says in a notice when a kind has more findings than GitHub annotates', async () => {
    const jobs = Array.from({ length: 11 }, (_, index) => `  job${index}:\n    uses: ./.github/workflows/missing-${index}.yml\n`).join('');
    const root = await checkout(undefined, { head: HEAD, origin: ORIGIN }, { '.github/workflows/ci.yml': `on: push\njobs:\n${jobs}` });

    const result = await run(['check', root, '--format', 'github', '--visibility', 'public']);

    const lines = result.stdout.trimEnd().split('\n');
    expect(lines.filter((line) => line.startsWith('::error '))).toHaveLength(11);
    expect(lines.at(-1)).toBe(
      '::notice title=Workflow Warden::GitHub annotates only the first 10 errors and 10 warnings of a step; this check reported 11 errors. ' +
        'Every one is in this log, and in code scanning when the SARIF is uploaded.',
    );
  });
});
