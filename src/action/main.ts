// The GitHub Action (action.yml at the repository's root): `check` on the job's workspace, with the job's
// token, through the API of the host the job runs on (GITHUB_API_URL, GITHUB_SERVER_URL). Findings go to the
// log as annotations (or another --format), SARIF to a file for code scanning, the verdict and call graph to
// the job summary, counts to the step's outputs; the fail level decides whether the step fails.
//
// Inputs arrive as the runner passes them: `INPUT_<NAME>` with the name upper-cased and spaces made
// underscores (hyphens stay), each declared input present with its default.
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { runCheck, type CheckOutcome } from '../cli/check.js';
import { escapeData } from '../cli/format-github.js';
import { formatSarif } from '../cli/format-sarif.js';
import { policyLabel } from '../cli/format-text.js';
import { errorMessage, ioReason, UsageError, type CliIO, type Output } from '../cli/io.js';
import { countSeverities } from '../cli/report.js';
import { renderCheckRun } from '../report/check-run.js';
import { buildPicture, renderMermaid } from '../report/graph-picture.js';
import { createRedactor } from '../report/redact.js';

type Env = Readonly<Record<string, string | undefined>>;

const FAIL_LEVELS = ['error', 'warning', 'none'] as const;
type FailLevel = (typeof FAIL_LEVELS)[number];
const TITLE = 'Workflow Warden';

/** What the runner gives the process; the step's exit code is returned. */
export interface ActionIO {
  env: Env;
  stdout: Output;
  cwd: string;
}

/** `core.getInput`'s reading: trimmed, empty when not given. */
export function actionInput(env: Env, name: string): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim();
}

export async function runAction(io: ActionIO): Promise<number> {
  const { env, stdout } = io;
  const input = (name: string): string => actionInput(env, name);
  const failLevel = input('fail-level') || 'error';
  if (!(FAIL_LEVELS as readonly string[]).includes(failLevel)) return failStep(stdout, `fail-level must be error, warning or none, got ${JSON.stringify(failLevel)}`);
  const workspace = resolve(io.cwd, env.GITHUB_WORKSPACE || '.');
  const policy = input('policy');
  const sarif = input('sarif-file');
  const minSeverity = input('min-severity') || 'warning';
  const token = input('token');
  const args = [
    workspace,
    '--format',
    input('format') || 'github',
    '--min-severity',
    minSeverity,
    ...(policy === '' ? [] : ['--policy', policy]),
    ...(env.GITHUB_REPOSITORY ? ['--repo', env.GITHUB_REPOSITORY] : []),
  ];
  const cli: CliIO = {
    stdout,
    // The CLI's own errors (an invalid policy, an unreadable file) become error annotations on the run.
    stderr: { write: (text: string) => void errorLines(stdout, text) },
    env: { ...env, GITHUB_TOKEN: token === '' ? undefined : token },
    cwd: workspace,
  };
  let outcome: CheckOutcome;
  try {
    outcome = await runCheck(args, cli, { ...(env.GITHUB_SHA && { fallbackCommit: env.GITHUB_SHA }) });
  } catch (error) {
    return failStep(stdout, error instanceof UsageError ? errorMessage(error) : `unexpected error: ${errorMessage(error)}`);
  }
  if (outcome.report === undefined) return outcome.code;
  const counts = countSeverities(outcome.report.findings);
  if (sarif !== '') {
    try {
      await mkdir(dirname(resolve(workspace, sarif)), { recursive: true });
      await writeFile(resolve(workspace, sarif), formatSarif(outcome.report), 'utf8');
    } catch (error) {
      return failStep(stdout, `cannot write the SARIF file ${sarif}: ${ioReason(error)}`);
    }
  }
  await setOutputs(env, {
    conclusion: outcome.report.conclusion,
    errors: String(counts.errors),
    warnings: String(counts.warnings),
    'sarif-file': sarif === '' ? '' : resolve(workspace, sarif),
  });
  if (env.GITHUB_STEP_SUMMARY) await appendFile(env.GITHUB_STEP_SUMMARY, stepSummary(outcome, minSeverity), 'utf8');
  return exitCode(outcome, failLevel as FailLevel, counts.errors + counts.warnings);
}

function exitCode(outcome: CheckOutcome, failLevel: FailLevel, shown: number): number {
  if (failLevel === 'none') return 0;
  if (failLevel === 'warning' && shown > 0) return 1;
  return outcome.code;
}

/**
 * The check run's summary (verdict, findings, the call graph as a tree, policy, notes), then the graph as a
 * Mermaid picture: a job summary is GitHub Markdown. A public repository's summary is public, so both pass
 * the check run's redaction.
 */
function stepSummary(outcome: CheckOutcome, minSeverity: string): string {
  const { run, repository, report } = outcome;
  if (run === undefined || repository === undefined || report === undefined) {
    return `## ${TITLE}\n\n${[...(report?.notes ?? []), `${report?.workflows.length ?? 0} workflow files checked.`].join('\n\n')}\n`;
  }
  // What --min-severity leaves out of the log is left out here too.
  const findings = run.evaluation.findings.filter((finding) => finding.severity === 'error' || minSeverity === 'warning');
  const summary = renderCheckRun({
    graph: run.graph,
    evaluation: { ...run.evaluation, findings },
    repository,
    policy: { description: policyLabel(report.policy) },
    notes: report.notes,
  }).summary;
  const rootTexts = run.graph.roots.flatMap((root) => run.graph.nodes.get(root)?.text ?? []);
  const picture = renderMermaid(buildPicture(run.graph, createRedactor({ graph: run.graph, repository, rootTexts })));
  return `## ${TITLE}\n\n${summary}\n\n\`\`\`mermaid\n${picture}\`\`\`\n`;
}

/** Step outputs through the GITHUB_OUTPUT file, in the heredoc form that takes any value. */
async function setOutputs(env: Env, outputs: Record<string, string>): Promise<void> {
  if (!env.GITHUB_OUTPUT) return;
  const delimiter = `ghadelimiter_${randomUUID()}`;
  const text = Object.entries(outputs)
    .map(([name, value]) => `${name}<<${delimiter}\n${value}\n${delimiter}\n`)
    .join('');
  await appendFile(env.GITHUB_OUTPUT, text, 'utf8');
}

function errorLines(stdout: Output, text: string): void {
  for (const line of text.split('\n')) {
    if (line.trim() !== '') stdout.write(`::error title=${TITLE}::${escapeData(line)}\n`);
  }
}

function failStep(stdout: Output, message: string): number {
  errorLines(stdout, message);
  return 2;
}
