// The command line for org admins (PRODUCT.md §4): validate a policy file, evaluate a local checkout, draw a call graph.
// `main` takes its streams, environment and directory as arguments, so tests run it in-process.
import { callersCommand } from './callers.js';
import { checkCommand } from './check.js';
import { graphCommand } from './graph.js';
import { errorMessage, EXIT, EXIT_CODES_HELP, fail, PROGRAM, toolVersion, UsageError, type CliIO, type ExitCode } from './io.js';
import { validatePolicyCommand } from './validate-policy.js';

export type { CliIO, ExitCode, Output } from './io.js';
export { EXIT } from './io.js';

type Command = (args: readonly string[], io: CliIO) => Promise<ExitCode>;

const COMMANDS: Record<string, Command> = {
  'validate-policy': validatePolicyCommand,
  check: checkCommand,
  graph: graphCommand,
  callers: callersCommand,
};

export const MAIN_HELP = `Usage: ${PROGRAM} <command> [options]

Workflow Warden guards the call graph of reusable GitHub Actions workflows with an org policy.

Commands:
  validate-policy <file>   Validate a policy file; print each problem as file:line:column: message
  check [dir|file]         Evaluate a checkout's workflows against a policy (text, json, sarif or github)
  graph [dir|owner/repo]   Draw the resolved call graph (mermaid, dot or json)
  callers <owner/repo[/path]>  List who calls a repository's workflows and actions (text or json)

Options:
  -h, --help               Show this help (and '${PROGRAM} <command> --help' for a command's)
  --version                Print the version

${EXIT_CODES_HELP}
`;

/** Runs one command line (without the node and script arguments) and returns its exit code. Never throws. */
export async function main(argv: readonly string[], io: CliIO): Promise<ExitCode> {
  const [name, ...args] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(MAIN_HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version') {
    io.stdout.write(`${toolVersion()}\n`);
    return EXIT.ok;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    return fail(io, undefined, `unknown command ${JSON.stringify(name)}: use validate-policy, check, graph or callers`, true);
  }
  try {
    return await command(args, io);
  } catch (error) {
    if (error instanceof UsageError) return fail(io, name, error.message, true);
    // A defect, not a finding: say so plainly rather than print a stack trace as if it were a result.
    return fail(io, name, `unexpected error: ${errorMessage(error)}`);
  }
}
