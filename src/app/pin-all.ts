// The check run's "Pin all" action: every `uses:` replacement the findings propose for the PR's top-level
// files, applied in one commit on the PR branch through the Git Data API — only when the branch is in the
// same repository (an app cannot push to a fork) and still at the evaluated commit (a pin computed on old
// content must never overwrite newer work).
import type { Finding, Fix } from '../engine/types.js';
import type { CallGraph, NodeKey } from '../graph/types.js';
import { repoKey } from '../graph/types.js';
import { silentLogger, type Logger } from '../log.js';
import { applyEdits, renderFix, type FixEdit } from '../report/fix-text.js';
import { requestFailure } from '../source/github.js';
import type { ProbotOctokit } from 'probot';

/** The check run's requested action. GitHub's limits: label 20, description 40, identifier 20 characters. */
export const PIN_ALL_ACTION = {
  label: 'Pin all',
  description: 'Commit every pin to this branch',
  identifier: 'pin-all',
} as const;

/** The parts of a pull request (a webhook's `pull_request`, or `GET /pulls/{n}`) this action reads. */
export interface PinAllPullRequest {
  /** `repo` is null when the fork the PR came from was deleted. */
  head: { ref: string; sha: string; repo: { full_name: string } | null };
  base: { repo: { full_name: string } };
}

export interface PinAllInput {
  /** The repository the check ran in (the PR's base repository). */
  owner: string;
  repo: string;
  pull: PinAllPullRequest;
  graph: CallGraph;
  findings: readonly Finding[];
  /** The commit message. */
  message: string;
  logger?: Logger;
}

/** One `uses:` line rewritten. */
export interface Pin {
  path: string;
  jobId: string;
  /** For a step's action: the step, counted from 1 as people count them. */
  step?: number;
  /** The line replaced, 1-based, in the file at the evaluated head. */
  line: number;
  /** The line as written. */
  text: string;
}

export interface PinSkip {
  path: string;
  jobId: string;
  /** For a step's action: the step, counted from 1. */
  step?: number;
  /** What to write by hand: the fix's text. */
  text: string;
  reason:
    /** The file's layout allows no safe whole-line edit (a flow-style job, for example). */
    | 'no-edit'
    /** Another pin already rewrites that line. */
    | 'overlap'
    /** The call is in a workflow of another repository: only its owners can pin it. */
    | 'other-repository';
}

export type PinAllResult =
  | { kind: 'committed'; sha: string; files: string[]; pins: Pin[]; skipped: PinSkip[] }
  | { kind: 'fork'; instructions: string }
  | { kind: 'stale'; reason: string }
  | { kind: 'nothing-to-pin'; skipped: PinSkip[] }
  | { kind: 'failed'; reason: string };

/** What the action needs of an Octokit: Probot's `context.octokit` fits. */
export type PinAllClient = Pick<ProbotOctokit, 'rest'>;

/** A job's call or a step's action, rewritten: the pins this action commits. */
type ReplaceUses = Extract<Fix, { kind: 'replace-uses' | 'replace-step-uses' }>;

/** Which line a pin is: its job (top-level files have jobs only) and, for an action, its step. */
function placeOf(fix: ReplaceUses): { jobId: string; step?: number } {
  return fix.kind === 'replace-uses' ? { jobId: fix.jobId } : { jobId: fix.jobId ?? '', step: fix.step + 1 };
}

function describePlace(place: { jobId: string; step?: number }): string {
  return place.step === undefined ? `job \`${place.jobId}\`` : `job \`${place.jobId}\`, step ${place.step}`;
}

/** One file's new text, with the pins it got. */
interface FileChange {
  node: NodeKey;
  path: string;
  content: string;
  pins: Pin[];
}

interface PinPlan {
  changes: FileChange[];
  skipped: PinSkip[];
}

/** Never throws: every refusal and failure comes back as the result, with a reason for the check run. */
export async function pinAll(octokit: PinAllClient, input: PinAllInput): Promise<PinAllResult> {
  try {
    return await pinAllUnguarded(octokit, input);
  } catch (error) {
    // A defect in planning must cost the action, not the webhook's handler.
    const reason = `The pins could not be prepared: ${error instanceof Error ? error.message : String(error)}`;
    (input.logger ?? silentLogger).error({ owner: input.owner, repo: input.repo, err: error }, reason);
    return { kind: 'failed', reason };
  }
}

async function pinAllUnguarded(octokit: PinAllClient, input: PinAllInput): Promise<PinAllResult> {
  const plan = planPins(input);
  const pins = plan.changes.flatMap((change) => change.pins);
  if (pins.length === 0) return { kind: 'nothing-to-pin', skipped: plan.skipped };
  const { head, base } = input.pull;
  if (head.repo === null) {
    return { kind: 'failed', reason: 'The repository this pull request came from no longer exists, so its branch cannot take a commit.' };
  }
  if (head.repo.full_name.toLowerCase() !== base.repo.full_name.toLowerCase()) {
    return { kind: 'fork', instructions: forkInstructions(head.repo.full_name, pins, plan.skipped) };
  }
  const stale = plan.changes.find((change) => commitOf(input.graph, change.node) !== head.sha);
  if (stale !== undefined) {
    return {
      kind: 'stale',
      reason: `The pins were computed for commit ${short(commitOf(input.graph, stale.node))}, but the pull request's head is now ${short(head.sha)}: nothing was committed. Use "${PIN_ALL_ACTION.label}" on the check run of the new head.`,
    };
  }
  return commitPins(octokit, input, plan);
}

// ---- Planning (pure) --------------------------------------------------------------------------------

/** The replace-uses edits per file of this repository's top-level workflows, applied to the evaluated text. */
function planPins(input: PinAllInput): PinPlan {
  const { graph } = input;
  const skipped: PinSkip[] = [];
  const edits = new Map<NodeKey, { edit: FixEdit; fix: ReplaceUses; text: string }[]>();
  const here = repoKey({ owner: input.owner, name: input.repo });
  for (const fix of uniqueReplaceUses(input.findings)) {
    const rendered = renderFix(graph, fix);
    const node = graph.nodes.get(fix.node);
    const path = node?.address.path ?? '';
    const text = rendered.text ?? `uses: ${fix.uses}`;
    if (node === undefined || !graph.roots.includes(fix.node) || repoKey(node.address.repo) !== here) {
      skipped.push({ path, ...placeOf(fix), text, reason: 'other-repository' });
    } else if (rendered.edit === undefined || node.text === undefined) {
      skipped.push({ path, ...placeOf(fix), text, reason: 'no-edit' });
    } else {
      edits.set(fix.node, [...(edits.get(fix.node) ?? []), { edit: rendered.edit, fix, text }]);
    }
  }
  const changes: FileChange[] = [];
  for (const [key, planned] of edits) {
    const change = applyToFile(graph, key, planned, skipped);
    if (change !== undefined) changes.push(change);
  }
  changes.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { changes, skipped };
}

/** Findings of several rules may propose the very same replacement: it is one pin. */
function uniqueReplaceUses(findings: readonly Finding[]): ReplaceUses[] {
  const seen = new Set<string>();
  const fixes: ReplaceUses[] = [];
  for (const { fix } of findings) {
    if (fix?.kind !== 'replace-uses' && fix?.kind !== 'replace-step-uses') continue;
    const identity = JSON.stringify([fix.node, placeOf(fix), fix.uses, fix.comment ?? '']);
    if (seen.has(identity)) continue;
    seen.add(identity);
    fixes.push(fix);
  }
  return fixes;
}

function applyToFile(
  graph: CallGraph,
  key: NodeKey,
  planned: { edit: FixEdit; fix: ReplaceUses; text: string }[],
  skipped: PinSkip[],
): FileChange | undefined {
  const node = graph.nodes.get(key);
  if (node?.text === undefined) return undefined;
  const path = node.address.path;
  const result = applyEdits(node.text, planned.map((entry) => entry.edit));
  for (const entry of planned) {
    if (result.skipped.includes(entry.edit)) skipped.push({ path, ...placeOf(entry.fix), text: entry.text, reason: 'overlap' });
  }
  const pins = planned
    .filter((entry) => result.applied.includes(entry.edit))
    .map((entry) => ({ path, ...placeOf(entry.fix), line: entry.edit.startLine, text: entry.edit.replacement.join('\n') }))
    .sort((a, b) => a.line - b.line);
  return { node: key, path, content: result.text, pins };
}

function commitOf(graph: CallGraph, key: NodeKey): string {
  return graph.nodes.get(key)?.address.commit ?? '';
}

function short(sha: string): string {
  return sha.slice(0, 7);
}

function forkInstructions(fork: string, pins: Pin[], skipped: PinSkip[]): string {
  // Another rewrite of a line already listed would contradict it; other repositories' calls are not theirs.
  const byHand = skipped.filter((skip) => skip.reason === 'no-edit');
  const lines = [
    ...pins.map((pin) => `- \`${pin.path}\` line ${pin.line} (${describePlace(pin)}): \`${pin.text.trim()}\``),
    ...byHand.map((skip) => `- \`${skip.path}\` ${describePlace(skip)}: \`${skip.text.trim()}\``),
  ];
  return [
    `This pull request comes from the fork ${fork}, and a GitHub App cannot push to a fork's branch. Apply these pins by hand:`,
    '',
    ...lines,
    '',
    "Pins on lines this pull request changes are also in the app's review as suggested changes: commit them from the pull request's page.",
  ].join('\n');
}

// ---- Committing (Git Data API) ------------------------------------------------------------------------

/** The request being made, to say what failed. */
type Step = 'read the branch' | 'read the head commit' | 'create the tree' | 'create the commit' | 'update the branch';

class StepError extends Error {
  constructor(
    readonly step: Step,
    readonly original: unknown,
  ) {
    super(step);
  }
}

async function step<T>(name: Step, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw new StepError(name, error);
  }
}

async function commitPins(octokit: PinAllClient, input: PinAllInput, plan: PinPlan): Promise<PinAllResult> {
  const { owner, repo, pull } = input;
  const { ref, sha: headSha } = pull.head;
  const logger = input.logger ?? silentLogger;
  try {
    const current = await currentHead(octokit, input);
    if (current !== headSha) {
      return {
        kind: 'stale',
        reason:
          current === undefined
            ? `The branch ${ref} no longer exists: nothing was committed.`
            : `The branch ${ref} moved since the evaluation (evaluated ${short(headSha)}, now ${short(current)}): nothing was committed. Use "${PIN_ALL_ACTION.label}" on the check run of the new head.`,
      };
    }
    const { data: headCommit } = await step('read the head commit', () => octokit.rest.git.getCommit({ owner, repo, commit_sha: headSha }));
    const tree = plan.changes.map((change) => ({ path: change.path, mode: '100644' as const, type: 'blob' as const, content: change.content }));
    const { data: newTree } = await step('create the tree', () => octokit.rest.git.createTree({ owner, repo, base_tree: headCommit.tree.sha, tree }));
    const { data: commit } = await step('create the commit', () =>
      octokit.rest.git.createCommit({ owner, repo, message: input.message, tree: newTree.sha, parents: [headSha] }),
    );
    await step('update the branch', () => octokit.rest.git.updateRef({ owner, repo, ref: `heads/${ref}`, sha: commit.sha, force: false }));
    return { kind: 'committed', sha: commit.sha, files: plan.changes.map((change) => change.path), pins: plan.changes.flatMap((change) => change.pins), skipped: plan.skipped };
  } catch (error) {
    const result = failureResult(error, ref);
    logger.warn({ owner, repo, ref, headSha, result: result.kind }, result.reason);
    return result;
  }
}

/** The branch's commit now, or undefined when the branch is gone. */
async function currentHead(octokit: PinAllClient, input: PinAllInput): Promise<string | undefined> {
  const { owner, repo, pull } = input;
  try {
    const { data } = await octokit.rest.git.getRef({ owner, repo, ref: `heads/${pull.head.ref}` });
    return data.object.sha;
  } catch (error) {
    if (requestFailure(error, false, 'GitHub').status === 404) return undefined;
    throw new StepError('read the branch', error);
  }
}

function failureResult(error: unknown, ref: string): { kind: 'stale' | 'failed'; reason: string } {
  const name = error instanceof StepError ? error.step : 'commit the pins';
  const failure = requestFailure(error instanceof StepError ? error.original : error, false, 'GitHub');
  // GitHub's answer when the branch is no longer an ancestor of the new commit; other 422s (protected
  // branches, rulesets) are refusals, not a moved branch.
  if (name === 'update the branch' && failure.status === 422 && /fast.forward/i.test(failure.message)) {
    return { kind: 'stale', reason: `The branch ${ref} moved while the pins were being committed: nothing was changed on it. Use "${PIN_ALL_ACTION.label}" on the check run of the new head.` };
  }
  const permission = failure.status === 403 ? ' The app needs write access to the repository contents to push pins.' : '';
  return { kind: 'failed', reason: `Could not ${name} to commit the pins (${failure.message}).${permission}` };
}
