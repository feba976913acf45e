// The check run's "Pin all" button: evaluate the pull request again, commit every pin to its branch in
// one commit (or explain why not), and say what happened in the check run.
import type { RepoMetadata } from '../graph/types.js';
import { CHECK_RUN_LIMITS } from '../report/check-run.js';
import { analyzeTarget, type EvaluationEnvironment } from './evaluate.js';
import { pinAll, type PinAllResult } from './pin-all.js';
import { pullRequestTarget } from './targets.js';

const PIN_HEADING = '### Pin all';
const SEPARATOR = '\n\n---\n\n';

/** Why there is nothing to pin when the pull request could not be evaluated. */
const NOT_EVALUATED = {
  'invalid-policy': 'The workflow policy is invalid; fix it first.',
  'no-workflow-changes': 'This pull request no longer changes any workflow.',
  'too-many-workflows': 'This pull request reaches too many workflow files to evaluate.',
} as const;

export interface PinRequest {
  repository: RepoMetadata;
  pullNumber: number;
  checkRunId: number;
}

export async function applyPins(environment: EvaluationEnvironment, request: PinRequest): Promise<void> {
  const { octokit, log } = environment;
  const { owner, name } = request.repository.repo;
  const { data: pull } = await octokit.rest.pulls.get({ owner, repo: name, pull_number: request.pullNumber });
  const analysis = await analyzeTarget(environment, pullRequestTarget(request.repository, pull));
  const result: PinAllResult =
    analysis.kind === 'evaluated'
      ? await pinAll(octokit, {
          owner,
          repo: name,
          pull,
          graph: analysis.run.graph,
          findings: analysis.run.evaluation.findings,
          message: 'Pin reusable workflows and actions to commit SHAs\n\nRequested from the Workflow policy check run.',
          logger: log,
        })
      : { kind: 'failed', reason: NOT_EVALUATED[analysis.kind] };
  log.info({ pull: request.pullNumber, result: result.kind }, 'pin-all requested');
  const { data: run } = await octokit.rest.checks.get({ owner, repo: name, check_run_id: request.checkRunId });
  await octokit.rest.checks.update({
    owner,
    repo: name,
    check_run_id: request.checkRunId,
    output: { title: run.output.title ?? 'Workflow policy', summary: run.output.summary ?? '', text: pinText(describePinResult(result), run.output.text) },
  });
}

/**
 * What happened first, then the run's details as they were (an earlier Pin all note replaced): the details
 * hold the fixes nothing pinned. Past GitHub's limit for the text, the note alone.
 */
function pinText(note: string, previous: string | null | undefined): string {
  let details = previous ?? '';
  if (details.startsWith(PIN_HEADING)) {
    const end = details.indexOf(SEPARATOR);
    details = end === -1 ? '' : details.slice(end + SEPARATOR.length);
  }
  const text = details === '' ? note : `${note}${SEPARATOR}${details}`;
  return Buffer.byteLength(text, 'utf8') <= CHECK_RUN_LIMITS.text ? text : note;
}

export function describePinResult(result: PinAllResult): string {
  switch (result.kind) {
    case 'committed': {
      const skipped = result.skipped.length > 0 ? ` ${result.skipped.length} could not be pinned automatically; see the suggestions above.` : '';
      return `${PIN_HEADING}\nPinned ${result.pins.length} call${result.pins.length === 1 ? '' : 's'} in ${result.files.length} file${result.files.length === 1 ? '' : 's'} with commit ${result.sha.slice(0, 7)}. A new evaluation runs on that commit.${skipped}`;
    }
    case 'fork':
      return `${PIN_HEADING}\n${result.instructions}`;
    case 'stale':
      return `${PIN_HEADING}\nNothing was committed: ${result.reason} Re-run the check, then try again.`;
    case 'nothing-to-pin':
      return `${PIN_HEADING}\nNothing to pin automatically.${result.skipped.length > 0 ? ` ${result.skipped.length} pin${result.skipped.length === 1 ? '' : 's'} must be written by hand (see the annotations).` : ''}`;
    case 'failed':
      return `${PIN_HEADING}\nNothing was committed: ${result.reason}`;
  }
}
