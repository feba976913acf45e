import { MAIN_HELP } from '../../src/cli/main.js';
import { VALIDATE_POLICY_HELP } from '../../src/cli/validate-policy.js';
import { run } from './harness.js';

describe('workflow-warden validate-policy', () => {
  it('accepts a valid policy extending a shipped preset: one OK line, exit 0', async () => {
    const result = await run(['validate-policy', 'policies/valid.yml']);

    expect(result).toEqual({
      code: 0,
      stdout: 'policies/valid.yml: OK, a valid policy (enforcement: block; from policies/recommended.yml, policies/valid.yml)\n',
      stderr: '',
    });
  });

  it('prints each problem as file:line:column: message and exits 1', async () => {
    const result = await run(['validate-policy', 'policies/invalid.yml']);

    expect(result).toEqual({
      code: 1,
      stdout: [
        'policies/invalid.yml:6:14: invalid value "tag" for rules.pinning.require; allowed values: "sha", "ref", "any"',
        'policies/invalid.yml:8:5: unknown key "allow-same-owners" in rules.secrets-inherit; did you mean "allow-same-owner"?',
        'policies/invalid.yml: invalid policy (2 problems)',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('names the file as given, relative to the working directory', async () => {
    const result = await run(['validate-policy', 'invalid.yml'], { cwd: `${process.cwd()}/test/fixtures/cli/policies` });

    expect(result.code).toBe(1);
    expect(result.stdout.split('\n')[0]).toBe('invalid.yml:6:14: invalid value "tag" for rules.pinning.require; allowed values: "sha", "ref", "any"');
  });

  it('exits 2 when the file cannot be read', async () => {
    expect(await run(['validate-policy', 'policies/missing.yml'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'workflow-warden validate-policy: cannot read policies/missing.yml: no such file or directory\n',
    });
    expect(await run(['validate-policy', 'policies'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'workflow-warden validate-policy: cannot read policies: illegal operation on a directory\n',
    });
  });

  it('exits 2 on usage errors, with a pointer to --help', async () => {
    const hint = "\nRun 'workflow-warden validate-policy --help' for usage.\n";
    expect(await run(['validate-policy'])).toEqual({ code: 2, stdout: '', stderr: `workflow-warden validate-policy: missing the policy file to validate${hint}` });
    expect(await run(['validate-policy', 'a.yml', 'b.yml'])).toEqual({ code: 2, stdout: '', stderr: `workflow-warden validate-policy: expected one policy file, got 2${hint}` });
    expect(await run(['validate-policy', '--strict', 'policies/valid.yml'])).toEqual({
      code: 2,
      stdout: '',
      stderr: `workflow-warden validate-policy: unknown option --strict${hint}`,
    });
    expect(await run(['validate-policy', '--help=yes'])).toEqual({ code: 2, stdout: '', stderr: `workflow-warden validate-policy: option --help takes no value${hint}` });
  });

  it('prints its help with the exit codes and exits 0', async () => {
    const result = await run(['validate-policy', '--help']);

    expect(result).toEqual({ code: 0, stdout: VALIDATE_POLICY_HELP, stderr: '' });
    expect(result.stdout).toContain('Usage: workflow-warden validate-policy <file>');
    expect(result.stdout).toContain('  1  validate-policy: the policy is invalid;');
    expect((await run(['validate-policy', '-h'])).stdout).toBe(VALIDATE_POLICY_HELP);
  });
});

describe('workflow-warden', () => {
  it('prints the commands and exit codes for --help (exit 0) and with no command (exit 2)', async () => {
    expect(await run(['--help'])).toEqual({ code: 0, stdout: MAIN_HELP, stderr: '' });
    expect(await run([])).toEqual({ code: 2, stdout: MAIN_HELP, stderr: '' });
    expect(MAIN_HELP).toContain('  check [dir|file]         Evaluate a checkout');
    expect(MAIN_HELP).toContain('  graph [dir|owner/repo]   Draw the resolved call graph');
    expect(MAIN_HELP).toContain('Exit codes:\n  0  ');
  });

  it('rejects an unknown command with exit 2', async () => {
    expect(await run(['lint'])).toEqual({
      code: 2,
      stdout: '',
      stderr: 'workflow-warden: unknown command "lint": use validate-policy, check, graph or callers\nRun \'workflow-warden --help\' for usage.\n',
    });
  });

  it('prints the package version', async () => {
    expect(await run(['--version'])).toEqual({ code: 0, stdout: '0.1.0\n', stderr: '' });
  });
});
