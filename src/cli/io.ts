// What every command is given and returns: the process's streams, environment and working directory
// (passed in, so tests run commands in-process), and the documented exit codes.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

export interface Output {
  write(text: string): unknown;
  /** True for a terminal (process.stdout has it): colours are for terminals only. */
  isTTY?: boolean;
}

export interface CliIO {
  stdout: Output;
  stderr: Output;
  env: Readonly<Record<string, string | undefined>>;
  /** Relative paths in arguments are taken from here. */
  cwd: string;
}

/** The contract scripts and CI steps rely on; `--help` prints it. */
export const EXIT = {
  /** A valid policy; a check with no error findings (warnings allowed). */
  ok: 0,
  /** An invalid policy (validate-policy); error findings that block under the policy (check). */
  findings: 1,
  /** Usage errors, unreadable files or directories, an invalid policy given to check. */
  usage: 2,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export const EXIT_CODES_HELP = `Exit codes:
  0  validate-policy: the policy is valid;    check: no error findings (warnings allowed)
  1  validate-policy: the policy is invalid;  check: error findings, policy violations (enforcement: block)
  2  usage error, unreadable file or directory, or (check) an invalid policy: nothing was checked`;

/** Something the user must change in the command line or the environment: reported on stderr, exit 2. */
export class UsageError extends Error {}

export const PROGRAM = 'workflow-warden';

export function fail(io: CliIO, command: string | undefined, message: string, showHelpHint = false): ExitCode {
  const prefix = command === undefined ? PROGRAM : `${PROGRAM} ${command}`;
  const hint = showHelpHint ? `\nRun '${prefix} --help' for usage.` : '';
  io.stderr.write(`${prefix}: ${message}${hint}\n`);
  return EXIT.usage;
}

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
}

export interface ParsedArgs {
  strings: Record<string, string>;
  flags: Set<string>;
  positionals: string[];
}

/**
 * node:util's parseArgs, with our own wording for mistakes (its strict-mode messages differ between
 * Node versions): an unknown option, a value missing or given to a flag.
 */
export function parseCommandArgs(args: readonly string[], options: Record<string, OptionSpec>): ParsedArgs {
  const { tokens } = parseArgs({ args: [...args], options, allowPositionals: true, strict: false, tokens: true });
  const parsed: ParsedArgs = { strings: {}, flags: new Set(), positionals: [] };
  for (const token of tokens) {
    if (token.kind === 'positional') parsed.positionals.push(token.value);
    if (token.kind !== 'option') continue;
    const spec = options[token.name];
    if (spec === undefined) throw new UsageError(`unknown option ${token.rawName}`);
    if (spec.type === 'boolean') {
      if (token.value !== undefined) throw new UsageError(`option ${token.rawName} takes no value`);
      parsed.flags.add(token.name);
    } else {
      if (token.value === undefined || token.value === '') throw new UsageError(`option ${token.rawName} needs a value`);
      parsed.strings[token.name] = token.value;
    }
  }
  return parsed;
}

/**
 * The message of anything thrown. Not `instanceof Error`: errors from node:fs may come from another realm
 * (a VM context, as under Jest), where that test fails.
 */
export function errorMessage(error: unknown): string {
  return typeof error === 'object' && error !== null && 'message' in error && typeof error.message === 'string' ? error.message : String(error);
}

/** The `code` of a Node.js system error (`ENOENT`, `EISDIR`, …). */
export function errorCode(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error && typeof error.code === 'string' ? error.code : undefined;
}

/** `ENOENT: no such file or directory, open '/x'` → `no such file or directory`: the path is already in our message. */
export function ioReason(error: unknown): string {
  const message = errorMessage(error);
  return /^[A-Z]+: ([^,]+)/.exec(message)?.[1] ?? message;
}

let version: string | undefined;

/** The package's version, from the package.json above this module (src/cli under ts-jest, dist/src/cli once built). */
export function toolVersion(): string {
  if (version !== undefined) return version;
  let folder = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 5 && version === undefined; level += 1) {
    try {
      const manifest: unknown = JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
      if (isManifest(manifest) && manifest.name === PROGRAM) version = manifest.version;
    } catch {
      // No package.json at this level: keep walking up.
    }
    folder = dirname(folder);
  }
  version ??= '0.0.0';
  return version;
}

function isManifest(value: unknown): value is { name: string; version: string } {
  return typeof value === 'object' && value !== null && 'name' in value && 'version' in value && typeof value.version === 'string';
}
