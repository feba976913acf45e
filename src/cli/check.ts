// `workflow-warden check [dir]`: the app's evaluation of a local checkout. The same engine, rules and
// renderers as the check run; only the ports differ — files from disk and, for other repositories,
// GitHub (with GITHUB_TOKEN) or nothing (each such call then reported as unresolved).
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { readConfig } from '../config.js';
import { runEvaluation, type EvaluationRun } from '../engine/run.js';
import { repoFullName, repoKey, type PlatformLimits, type RepoId, type RepoMetadata, type Visibility } from '../graph/types.js';
import { compilePolicyFile, DEFAULT_POLICY_PATH, specialiseForRepository } from '../policy/load.js';
import { formatPolicyDiagnostic } from '../policy/parse.js';
import { compileShippedPreset, DEFAULT_PRESET } from '../policy/presets.js';
import type { Policy, PolicyDiagnostic } from '../policy/types.js';
import { readCheckout, type Checkout } from './checkout.js';
import { formatJson } from './format-json.js';
import { formatSarif } from './format-sarif.js';
import { formatText, summaryLine } from './format-text.js';
import { errorCode, errorMessage, EXIT, EXIT_CODES_HELP, fail, ioReason, parseCommandArgs, PROGRAM, toolVersion, UsageError, type CliIO, type ExitCode } from './io.js';
import { LocalCheckoutSource } from './local-source.js';
import { explainOffline, remoteSource, type RemoteSource } from './remote.js';
import { buildReport, type CheckReport, type PolicyChoice } from './report.js';

const COMMAND = 'check';
const TOOL_NAME = 'Workflow Warden';

const FORMATS = { text: formatText, json: formatJson, sarif: formatSarif } as const;
type Format = keyof typeof FORMATS;
const VISIBILITIES: readonly Visibility[] = ['public', 'private', 'internal'];
const REPO_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\/[A-Za-z0-9._-]+$/;

export const CHECK_HELP = `Usage: ${PROGRAM} ${COMMAND} [dir] [options]

Evaluates the workflows in <dir>/.github/workflows/*.y(a)ml of a local checkout (default: the current
directory) with the app's engine and rules, and reports the findings its check run would report.

  The checkout's workflows, and every ./ or $/ call they make, are read from disk (the working tree);
  the commit reported is HEAD, read from .git ("working-tree" when there is none). Calls into other
  repositories are read through the GitHub API when GITHUB_TOKEN is set; without it, each one is
  reported as unresolved (a resolution error): nothing passes unchecked.

Options:
  --policy <file>       The policy file to apply. Default: the checkout's .github/workflow-policy.yml,
                        else the shipped "recommended" preset. The output says which applied.
  --repo <owner/name>   The repository the checkout is of. Default: from the "origin" remote in .git/config.
  --visibility <v>      public, private or internal. Default: read from GitHub with GITHUB_TOKEN, else private.
  --format <format>     text (default), json, or sarif (SARIF 2.1.0 for GitHub code scanning).
  --output <file>       Write the report to this file instead of stdout (stdout then gets the summary).
  -h, --help            Show this help.

Environment:
  GITHUB_TOKEN          A token that can read the called repositories (contents and metadata).
  GITHUB_API_URL        The API's base URL (default https://api.github.com), or GHE_HOST and
                        GHE_PROTOCOL for GitHub Enterprise Server, as for the app.
  WARDEN_MAX_LEVELS, WARDEN_MAX_UNIQUE
                        Override the host's nesting limits, as for the app.

${EXIT_CODES_HELP}
`;

interface CheckOptions {
  dir: string;
  policy?: string;
  repo?: RepoId;
  visibility?: Visibility;
  format: Format;
  output?: string;
}

/** Throws UsageError for a wrong command line or environment (main reports it, exit 2). */
export async function checkCommand(args: readonly string[], io: CliIO): Promise<ExitCode> {
  const parsed = parseCommandArgs(args, {
    policy: { type: 'string' },
    repo: { type: 'string' },
    visibility: { type: 'string' },
    format: { type: 'string' },
    output: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (parsed.flags.has('help')) {
    io.stdout.write(CHECK_HELP);
    return EXIT.ok;
  }
  const options = checkOptions(parsed.strings, parsed.positionals);
  const limits = operatorLimits(io.env);
  const root = resolve(io.cwd, options.dir);
  if (!(await isDirectory(root))) return fail(io, COMMAND, `${options.dir} is not a directory`);
  const checkout = await readCheckout(root);
  const repo = options.repo ?? checkout.origin;
  if (repo === undefined) {
    throw new UsageError(`cannot tell which repository ${options.dir} is (no "origin" remote in its .git/config): pass --repo owner/name`);
  }
  const chosen = await choosePolicy(options.policy, root, io);
  if (typeof chosen === 'number') return chosen;
  const report = await checkReport(checkout, repo, chosen, options, limits, io);
  const written = await writeReport(report, options, io);
  if (written !== EXIT.ok) return written;
  return report.conclusion === 'failure' ? EXIT.findings : EXIT.ok;
}

/** The evaluation of the checkout, with what was assumed on the way said in the notes. */
async function checkReport(
  checkout: Checkout,
  repo: RepoId,
  chosen: { policy: Policy; choice: PolicyChoice },
  options: CheckOptions,
  limits: Partial<PlatformLimits>,
  io: CliIO,
): Promise<CheckReport> {
  const version = toolVersion();
  const remote = remoteSource(io.env, version, io.stderr);
  const offline = remote.online ? [] : ['GITHUB_TOKEN is not set: calls into other repositories are not read, and each is reported as unresolved.'];
  const { repository, note } = await repositoryMetadata(repo, options.visibility, remote);
  const specialised = specialiseForRepository(chosen.policy, repo);
  const run = await evaluate(checkout, repository, specialised.policy, remote, limits);
  return buildReport({
    tool: { name: TOOL_NAME, version },
    repository: repoFullName(repo),
    commit: checkout.commit,
    policy: chosen.choice,
    rules: specialised.policy.rules,
    notes: [...offline, ...(note === undefined ? [] : [note]), ...specialised.notes],
    workflows: checkout.workflows,
    ...(run && { graph: run.graph, evaluation: { ...run.evaluation, findings: explainOffline(run.graph, run.evaluation.findings) } }),
  });
}

function checkOptions(strings: Record<string, string>, positionals: string[]): CheckOptions {
  if (positionals.length > 1) throw new UsageError(`expected at most one directory, got ${positionals.length}`);
  const { policy, repo, visibility, format = 'text', output } = strings;
  if (!isFormat(format)) throw new UsageError(`--format must be text, json or sarif, got ${JSON.stringify(format)}`);
  if (repo !== undefined && !REPO_NAME.test(repo)) throw new UsageError(`--repo must be owner/name, got ${JSON.stringify(repo)}`);
  if (visibility !== undefined && !isVisibility(visibility)) {
    throw new UsageError(`--visibility must be public, private or internal, got ${JSON.stringify(visibility)}`);
  }
  const [owner = '', name = ''] = repo?.split('/') ?? [];
  return {
    dir: positionals[0] ?? '.',
    format,
    ...(policy !== undefined && { policy }),
    ...(repo !== undefined && { repo: { owner, name } }),
    ...(visibility !== undefined && { visibility }),
    ...(output !== undefined && { output }),
  };
}

function isFormat(value: string): value is Format {
  return Object.hasOwn(FORMATS, value);
}

function isVisibility(value: string): value is Visibility {
  return (VISIBILITIES as readonly string[]).includes(value);
}

/** The operator's override of the host's limits, read as the app reads it. */
function operatorLimits(env: CliIO['env']): Partial<PlatformLimits> {
  try {
    return readConfig({ ...env }).limits;
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory();
  } catch {
    return false;
  }
}

/**
 * `--policy`, else the repository's own policy file, else the shipped preset, compiled with `extends` of
 * the shipped presets. An unreadable or invalid policy ends the command (exit 2): nothing is checked
 * under a policy other than the one asked for.
 */
async function choosePolicy(option: string | undefined, root: string, io: CliIO): Promise<{ policy: Policy; choice: PolicyChoice } | ExitCode> {
  let text: string | undefined;
  let choice: PolicyChoice;
  if (option !== undefined) {
    choice = { kind: 'file', name: option, origin: 'option' };
    try {
      text = await readFile(resolve(io.cwd, option), 'utf8');
    } catch (error) {
      return fail(io, COMMAND, `cannot read the policy file ${option}: ${ioReason(error)}`);
    }
  } else {
    choice = { kind: 'file', name: DEFAULT_POLICY_PATH, origin: 'repository' };
    try {
      text = await readFile(join(root, DEFAULT_POLICY_PATH), 'utf8');
    } catch (error) {
      if (errorCode(error) !== 'ENOENT') {
        return fail(io, COMMAND, `cannot read the policy file ${DEFAULT_POLICY_PATH}: ${ioReason(error)}`);
      }
      choice = { kind: 'preset', name: DEFAULT_PRESET };
    }
  }
  const compiled = text === undefined ? compileShippedPreset(DEFAULT_PRESET) : compilePolicyFile(text, choice.name);
  if (compiled.policy === undefined) return invalidPolicy(io, compiled.diagnostics);
  return { policy: compiled.policy, choice };
}

function invalidPolicy(io: CliIO, diagnostics: readonly PolicyDiagnostic[]): ExitCode {
  io.stderr.write(diagnostics.map((diagnostic) => `${formatPolicyDiagnostic(diagnostic)}\n`).join(''));
  return fail(io, COMMAND, 'the policy is invalid, so nothing was checked');
}

/** `--visibility`, else what GitHub says of the repository, else private (the app would know; the CLI says it assumed). */
async function repositoryMetadata(repo: RepoId, visibility: Visibility | undefined, remote: RemoteSource): Promise<{ repository: RepoMetadata; note?: string }> {
  const assumed: RepoMetadata = { repo, visibility: visibility ?? 'private', archived: false };
  if (visibility !== undefined) return { repository: assumed };
  const name = repoFullName(repo);
  if (!remote.online) return { repository: assumed, note: `${name} is taken to be private: pass --visibility, or set GITHUB_TOKEN to read it from GitHub.` };
  const answer = await remote.source
    .fetchLevel({ files: [], repos: [repo] })
    .then((level) => level.repos.get(repoKey(repo)))
    .catch((error: unknown) => ({ message: errorMessage(error) }));
  // Keep the name the checkout uses: `./` calls resolve in it, whatever GitHub calls the repository now.
  if (answer !== undefined && 'visibility' in answer) return { repository: { ...answer, repo } };
  return { repository: assumed, note: `${name} could not be read from GitHub (${answer?.message ?? 'no answer'}): it is taken to be private; pass --visibility.` };
}

async function evaluate(
  checkout: Checkout,
  repository: RepoMetadata,
  policy: Policy,
  remote: RemoteSource,
  limits: Partial<PlatformLimits>,
): Promise<EvaluationRun | undefined> {
  if (checkout.workflows.length === 0) return undefined;
  const source = new LocalCheckoutSource({ root: checkout.root, repository, commit: checkout.commit, remote: remote.source });
  // No text given: the roots are read through the source too, so an oversize or binary file is reported as the app would.
  const roots = checkout.workflows.map((path) => ({ repo: repository.repo, path, commit: checkout.commit }));
  return runEvaluation({ roots, repository, policy, source, limits, now: new Date() });
}

async function writeReport(report: CheckReport, options: CheckOptions, io: CliIO): Promise<ExitCode> {
  const text = FORMATS[options.format](report);
  if (options.output === undefined) {
    io.stdout.write(text);
    return EXIT.ok;
  }
  try {
    await writeFile(resolve(io.cwd, options.output), text, 'utf8');
  } catch (error) {
    return fail(io, COMMAND, `cannot write ${options.output}: ${ioReason(error)}`);
  }
  io.stdout.write(`${summaryLine(report)}\nReport (${options.format}) written to ${options.output}\n`);
  return EXIT.ok;
}
