// `workflow-warden validate-policy <file>`: what the app would say of a policy file, before it is merged.
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { compilePolicyFile } from '../policy/load.js';
import { formatPolicyDiagnostic } from '../policy/parse.js';
import { EXIT, EXIT_CODES_HELP, fail, ioReason, parseCommandArgs, PROGRAM, UsageError, type CliIO, type ExitCode } from './io.js';

const COMMAND = 'validate-policy';

export const VALIDATE_POLICY_HELP = `Usage: ${PROGRAM} ${COMMAND} <file>

Validates a Workflow Warden policy file (.github/workflow-policy.yml) as the app reads it: YAML, the
schema, and \`extends\` of the shipped presets (recommended, strict). Prints each problem as
file:line:column: message, or one line saying the policy is valid.

Options:
  -h, --help  Show this help

${EXIT_CODES_HELP}
`;

/** Throws UsageError for a wrong command line (main reports it, exit 2). */
export async function validatePolicyCommand(args: readonly string[], io: CliIO): Promise<ExitCode> {
  const parsed = parseCommandArgs(args, { help: { type: 'boolean', short: 'h' } });
  if (parsed.flags.has('help')) {
    io.stdout.write(VALIDATE_POLICY_HELP);
    return EXIT.ok;
  }
  const [file, ...rest] = parsed.positionals;
  if (file === undefined) throw new UsageError('missing the policy file to validate');
  if (rest.length > 0) throw new UsageError(`expected one policy file, got ${parsed.positionals.length}`);
  let text: string;
  try {
    text = await readFile(resolve(io.cwd, file), 'utf8');
  } catch (error) {
    return fail(io, COMMAND, `cannot read ${file}: ${ioReason(error)}`);
  }
  // Diagnostics name the file as the user wrote it, so terminals and editors link them.
  const { policy, diagnostics } = compilePolicyFile(text, file);
  if (policy === undefined || diagnostics.length > 0) {
    io.stdout.write(diagnostics.map((diagnostic) => `${formatPolicyDiagnostic(diagnostic)}\n`).join(''));
    io.stdout.write(`${file}: invalid policy (${diagnostics.length} problem${diagnostics.length === 1 ? '' : 's'})\n`);
    return EXIT.findings;
  }
  io.stdout.write(`${file}: OK, a valid policy (enforcement: ${policy.enforcement}; from ${policy.sources.join(', ')})\n`);
  return EXIT.ok;
}
