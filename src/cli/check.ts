// `workflow-warden check [dir|file]`: the app's evaluation of a local checkout. The same engine, rules and
// renderers as the check run; only the ports differ — files from disk and, for other repositories,
// GitHub (with GITHUB_TOKEN) or nothing (each such call then reported as unresolved).
import { readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { isWorkflowPath } from '../app/workflows.js';
import { readConfig } from '../config.js';
import { runEvaluation, type EvaluationRun } from '../engine/run.js';
import type { FindingSeverity } from '../engine/types.js';
import { repoFullName, repoKey, type PlatformLimits, type RepoId, type RepoMetadata, type Visibility } from '../graph/types.js';
import { compilePolicyFile, DEFAULT_POLICY_PATH, specialiseForRepository } from '../policy/load.js';
import { formatPolicyDiagnostic } from '../policy/parse.js';
import { compileShippedPreset, DEFAULT_PRESET } from '../policy/presets.js';
import type { Policy, PolicyDiagnostic } from '../policy/types.js';
import { readCheckout, unknownRepository, WORKFLOWS_DIR, WORKING_TREE, type Checkout } from './checkout.js';
import { formatGithub } from './format-github.js';
import { formatJson } from './format-json.js';
import { formatSarif } from './format-sarif.js';
import { formatText, summaryLine, type FormatOptions } from './format-text.js';
import { errorCode, errorMessage, EXIT, EXIT_CODES_HELP, fail, ioReason, parseCommandArgs, PROGRAM, toolVersion, UsageError, type CliIO, type ExitCode } from './io.js';
import { LocalCheckoutSource } from './local-source.js';
import { explainOffline, remoteSource, type RemoteSource } from './remote.js';
import { buildReport, type CheckReport, type PolicyChoice } from './report.js';

const COMMAND = 'check';
const TOOL_NAME = 'Workflow Warden';

const FORMATS = { text: formatText, json: formatJson, sarif: formatSarif, github: formatGithub } as const;
export type Format = keyof typeof FORMATS;
const VISIBILITIES: readonly Visibility[] = ['public', 'private', 'internal'];
const SEVERITIES: readonly FindingSeverity[] = ['error', 'warning'];
export const REPO_NAME = /^[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\/[A-Za-z0-9._-]+$/;

export const CHECK_HELP = `Usage: ${PROGRAM} ${COMMAND} [dir|file] [options]

Evaluates the workflows in <dir>/.github/workflows/*.y(a)ml of a local checkout (default: the current
directory), or the one workflow file given, with the app's engine and rules, and reports the findings
its check run would report.

  The checkout's workflows, and every ./ or $/ call they make, are read from disk (the working tree);
  the commit reported is HEAD, read from .git ("working-tree" when there is none). Calls into other
  repositories are read through the GitHub API when GITHUB_TOKEN is set; without it, each one is
  reported as unresolved (a resolution error): nothing passes unchecked.

  The repository is --repo, else the "origin" remote of .git/config. With neither it is unknown: the
  check goes on, says so in a note, counts every call into a repository as external (another owner's)
  and the checkout's visibility as private unless --visibility says otherwise.

Options:
  --policy <file>         The policy file to apply. Default: the checkout's .github/workflow-policy.yml,
                          else the shipped "recommended" preset. The output says which applied.
  --repo <owner/name>     The repository the checkout is of.
  --visibility <v>        public, private or internal. Default: read from GitHub with GITHUB_TOKEN, else private.
  --format <format>       text (default), json, sarif (SARIF 2.1.0 for GitHub code scanning), or github
                          (workflow-command annotations, for a step of a GitHub Actions job).
  --min-severity <level>  warning (default: report everything) or error (leave warnings out).
  --output <file>         Write the report to this file instead of stdout (stdout then gets the summary).
  -h, --help              Show this help.

Environment:
  GITHUB_TOKEN            A token that can read the called repositories (contents and metadata).
  GITHUB_API_URL          The API's base URL (default https://api.github.com), or GHE_HOST and
                          GHE_PROTOCOL for GitHub Enterprise Server, as for the app. In a GitHub Actions
                          job, GITHUB_SERVER_URL names the host (its platform limits and settings links).
  WARDEN_MAX_LEVELS, WARDEN_MAX_UNIQUE
                          Override the host's nesting limits, as for the app.
  NO_COLOR                No colours in the text format (they are used only on a terminal anyway).
  GITHUB_ACTIONS          Set by GitHub Actions: the report then lands in a job's log or code scanning,
                          so on a public repository private repositories are hidden as in the check run.

${EXIT_CODES_HELP}
`;

interface CheckOptions {
  target: string;
  policy?: string;
  repo?: RepoId;
  visibility?: Visibility;
  format: Format;
  minSeverity: FindingSeverity;
  output?: string;
}

/** Where the check looks: a checkout's root, and the single workflow file when one was named. */
interface Target {
  root: string;
  file?: string;
}

/** What a check gives its caller beside the exit code (the GitHub Action reads it). */
export interface CheckOutcome {
  code: ExitCode;
  report?: CheckReport;
  /** The graph and the evaluation the report shows (all findings, whatever --min-severity left out). */
  run?: EvaluationRun;
  repository?: RepoMetadata;
}

export interface CheckContext {
  /** The commit the files stand for when the checkout's .git does not say (an Actions job's GITHUB_SHA). */
  fallbackCommit?: string;
}

/** Throws UsageError for a wrong command line or environment (main reports it, exit 2). */
export async function checkCommand(args: readonly string[], io: CliIO): Promise<ExitCode> {
  return (await runCheck(args, io)).code;
}

export async function runCheck(args: readonly string[], io: CliIO, context: CheckContext = {}): Promise<CheckOutcome> {
  const parsed = parseCommandArgs(args, {
    policy: { type: 'string' },
    repo: { type: 'string' },
    visibility: { type: 'string' },
    format: { type: 'string' },
    'min-severity': { type: 'string' },
    output: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (parsed.flags.has('help')) {
    io.stdout.write(CHECK_HELP);
    return { code: EXIT.ok };
  }
  const options = checkOptions(parsed.strings, parsed.positionals);
  const limits = operatorLimits(io.env);
  const target = await findTarget(options.target, io);
  if (typeof target === 'string') return { code: fail(io, COMMAND, target) };
  const found = await readCheckout(target.root);
  const checkout: Checkout = {
    ...found,
    commit: found.commit === WORKING_TREE && context.fallbackCommit !== undefined ? context.fallbackCommit.toLowerCase() : found.commit,
    workflows: target.file === undefined ? found.workflows : [target.file],
  };
  const chosen = await choosePolicy(options.policy, target.root, io);
  if (typeof chosen === 'number') return { code: chosen };
  const { report, run, repository } = await checkReport(checkout, chosen, options, limits, io);
  const written = await writeReport(report, options, target.root, io);
  if (written !== EXIT.ok) return { code: written };
  return { code: report.conclusion === 'failure' ? EXIT.findings : EXIT.ok, report, ...(run && { run }), repository };
}

/** The evaluation of the checkout, with what was assumed on the way said in the notes. */
async function checkReport(
  checkout: Checkout,
  chosen: { policy: Policy; choice: PolicyChoice },
  options: CheckOptions,
  limits: Partial<PlatformLimits>,
  io: CliIO,
): Promise<{ report: CheckReport; run?: EvaluationRun; repository: RepoMetadata }> {
  const version = toolVersion();
  const remote = remoteSource(io.env, version, io.stderr);
  const offline = remote.client ? [] : ['GITHUB_TOKEN is not set: calls into other repositories are not read, and each is reported as unresolved.'];
  const named = options.repo ?? checkout.origin;
  const repo = named ?? unknownRepository(checkout.root);
  const { repository, note } =
    named === undefined ? unknownMetadata(repo, options.visibility) : await repositoryMetadata(repo, options.visibility, remote);
  const specialised = specialiseForRepository(chosen.policy, repo);
  const evaluated = await evaluate(checkout, repository, specialised.policy, remote, limits);
  // Offline, an unread call says to set GITHUB_TOKEN rather than to re-run: every surface shows it so.
  const run = evaluated && { ...evaluated, evaluation: { ...evaluated.evaluation, findings: explainOffline(evaluated.graph, evaluated.evaluation.findings) } };
  const missing = run === undefined && checkout.workflows.length === 0 && !(await isDirectory(join(checkout.root, WORKFLOWS_DIR)));
  const report = buildReport({
    tool: { name: TOOL_NAME, version },
    repository: named === undefined ? null : repoFullName(repo),
    commit: checkout.commit,
    policy: chosen.choice,
    rules: specialised.policy.rules,
    notes: [
      ...offline,
      ...(note === undefined ? [] : [note]),
      ...(missing ? [`There is no ${WORKFLOWS_DIR} directory in ${checkout.root}: there is nothing to check.`] : []),
      ...specialised.notes,
    ],
    workflows: checkout.workflows,
    minSeverity: options.minSeverity,
    // A job's log and code scanning are read by whoever can read the repository.
    ...(io.env.GITHUB_ACTIONS === 'true' && { publicSurfaceOf: repository }),
    ...(run && { graph: run.graph, evaluation: run.evaluation }),
  });
  return { report, ...(run && { run }), repository };
}

function checkOptions(strings: Record<string, string>, positionals: string[]): CheckOptions {
  if (positionals.length > 1) throw new UsageError(`expected at most one directory or workflow file, got ${positionals.length}`);
  const { policy, repo, visibility, format = 'text', output } = strings;
  const minSeverity = strings['min-severity'] ?? 'warning';
  if (!isFormat(format)) throw new UsageError(`--format must be text, json, sarif or github, got ${JSON.stringify(format)}`);
  if (!isSeverity(minSeverity)) throw new UsageError(`--min-severity must be warning or error, got ${JSON.stringify(minSeverity)}`);
  if (repo !== undefined && !REPO_NAME.test(repo)) throw new UsageError(`--repo must be owner/name, got ${JSON.stringify(repo)}`);
  if (visibility !== undefined && !isVisibility(visibility)) {
    throw new UsageError(`--visibility must be public, private or internal, got ${JSON.stringify(visibility)}`);
  }
  const [owner = '', name = ''] = repo?.split('/') ?? [];
  return {
    target: positionals[0] ?? '.',
    format,
    minSeverity,
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

function isSeverity(value: string): value is FindingSeverity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/** The operator's override of the host's limits, read as the app reads it. */
export function operatorLimits(env: CliIO['env']): Partial<PlatformLimits> {
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
 * A directory is the checkout's root, unless it is a checkout's `.github/workflows` (or `.github`) itself.
 * A file must be a workflow where GitHub runs it, directly in `.github/workflows/`: its `./` calls and the
 * repository's policy are found in the checkout around it. The message of an unusable target otherwise.
 */
export async function findTarget(path: string, io: CliIO): Promise<Target | string> {
  const absolute = resolve(io.cwd, path);
  let info;
  try {
    info = await stat(absolute);
  } catch (error) {
    return `cannot read ${path}: ${ioReason(error)}`;
  }
  if (info.isDirectory()) {
    if (absolute.endsWith(`${sep}.github${sep}workflows`)) return { root: dirname(dirname(absolute)) };
    if (basename(absolute) === '.github') return { root: dirname(absolute) };
    return { root: absolute };
  }
  const folder = dirname(absolute);
  const file = `${WORKFLOWS_DIR}/${basename(absolute)}`;
  if (!info.isFile() || !folder.endsWith(`${sep}.github${sep}workflows`) || !isWorkflowPath(file)) {
    return (
      `${path} is not a workflow file in a .github/workflows directory: GitHub runs workflows only from there, and their ./ calls ` +
      'resolve in the repository around them. Give the checkout\'s directory, or the file where it is in its checkout.'
    );
  }
  return { root: dirname(dirname(folder)), file };
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

/** No --repo and no origin: nothing is asked of GitHub about a repository nobody named. */
function unknownMetadata(repo: RepoId, visibility: Visibility | undefined): { repository: RepoMetadata; note: string } {
  const taken = visibility === undefined ? 'it is taken to be private' : `it is taken to be ${visibility} (--visibility)`;
  return {
    repository: { repo, visibility: visibility ?? 'private', archived: false },
    note:
      `The repository is unknown (no --repo, and no "origin" remote in .git/config): ${taken}, and every call into a repository ` +
      'counts as external. Pass --repo owner/name to name it.',
  };
}

/** `--visibility`, else what GitHub says of the repository, else private (the app would know; the CLI says it assumed). */
async function repositoryMetadata(repo: RepoId, visibility: Visibility | undefined, remote: RemoteSource): Promise<{ repository: RepoMetadata; note?: string }> {
  const assumed: RepoMetadata = { repo, visibility: visibility ?? 'private', archived: false };
  if (visibility !== undefined) return { repository: assumed };
  const name = repoFullName(repo);
  if (!remote.client) return { repository: assumed, note: `${name} is taken to be private: pass --visibility, or set GITHUB_TOKEN to read it from GitHub.` };
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

async function writeReport(report: CheckReport, options: CheckOptions, root: string, io: CliIO): Promise<ExitCode> {
  const format: FormatOptions = {
    colour: options.output === undefined && wantsColour(io),
    workspacePrefix: workspacePrefix(root, io.env.GITHUB_WORKSPACE),
  };
  const text = FORMATS[options.format](report, format);
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

/** A terminal, and no NO_COLOR of any non-empty value (no-color.org). */
export function wantsColour(io: CliIO): boolean {
  return io.stdout.isTTY === true && !io.env.NO_COLOR;
}

/**
 * Annotations name files relative to the job's workspace: a checkout in a subdirectory of it (actions/checkout
 * with `path:`) gets that directory in front of its repository-relative paths.
 */
function workspacePrefix(root: string, workspace: string | undefined): string {
  if (!workspace) return '';
  const inside = relative(resolve(workspace), root);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return '';
  return `${inside.split(sep).join('/')}/`;
}
