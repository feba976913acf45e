// One-click fixes on a pull request: one review whose comments carry GitHub suggested changes, for the
// findings whose proved edit lies on lines the PR wrote in one of its top-level workflow files. GitHub
// rejects a review whose comments leave the diff, and a suggestion on lines the author did not write
// would edit code the PR does not own, so anything else stays in the check run's text.
import type { Finding } from '../engine/types.js';
import type { CallGraph, RepoId } from '../graph/types.js';
import { silentLogger, type Logger } from '../log.js';
import { renderFix, type FixEdit, type RenderedFix } from '../report/fix-text.js';
import { requestFailure } from '../source/github.js';
import type { ProbotOctokit } from 'probot';
import type { TouchedLines } from './diff.js';

/** A comment of `POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews`, on the head side of the diff. */
export interface ReviewComment {
  path: string;
  /** The last line of the range (the only line of a single-line comment). */
  line: number;
  side: 'RIGHT';
  /** The first line, for a comment over several lines. */
  start_line?: number;
  start_side?: 'RIGHT';
  body: string;
}

/** The request body of the review, less `commit_id` (the head SHA, given when posting). */
export interface SuggestionReview {
  event: 'COMMENT';
  body: string;
  comments: ReviewComment[];
  /** Fixes with an edit that are not offered as suggestions, and why: for the check run's summary. */
  skipped: SkippedSuggestion[];
}

export type SuggestionSkipReason =
  /** The edit is in a file the PR does not change (a called workflow, another repository). */
  | 'not-in-pull-request'
  /** Some line of the edit was not added or changed by the PR (an insertion's anchor line included). */
  | 'unchanged-lines'
  /** Another suggestion already covers one of its lines (pins go first). */
  | 'overlap'
  /** The finding names a repository the readers of this PR may not see. */
  | 'private';

export interface SkippedSuggestion {
  finding: Finding;
  edit: FixEdit;
  reason: SuggestionSkipReason;
}

export interface SuggestionReviewInput {
  graph: CallGraph;
  findings: readonly Finding[];
  touched: TouchedLines;
  /** Paths of the top-level workflow files evaluated at the PR head: the only files suggestions may edit. */
  rootPaths: Iterable<string>;
  /** True for repositories the readers may not see (private or internal ones, on a public repository). */
  redact?: (repo: RepoId) => boolean;
}

interface Candidate {
  finding: Finding;
  rendered: RenderedFix;
  edit: FixEdit;
}

export function buildSuggestionReview(input: SuggestionReviewInput): SuggestionReview {
  const skipped: SkippedSuggestion[] = [];
  const kept: Candidate[] = [];
  const rootPaths = new Set(input.rootPaths);
  for (const candidate of pinsFirst(candidates(input.graph, input.findings, input.touched))) {
    const reason = skipReason(input, rootPaths, candidate, kept);
    if (reason === undefined) kept.push(candidate);
    else skipped.push({ finding: candidate.finding, edit: candidate.edit, reason });
  }
  const comments = kept.sort(byPlace).map(suggestionComment);
  return { event: 'COMMENT', body: reviewBody(comments.length), comments, skipped };
}

/**
 * Proving an edit re-parses its file, so a file with hundreds of findings would cost hundreds of parses:
 * one review carries at most this many suggestions (the rest stay in the annotations).
 */
export const MAX_SUGGESTIONS = 50;

/**
 * Findings whose fix has a proved whole-line edit, among those whose fix is in a job of a top-level file
 * that the pull request touched (so the cap counts only suggestions that can be posted).
 */
function candidates(graph: CallGraph, findings: readonly Finding[], touched: TouchedLines): Candidate[] {
  const found: Candidate[] = [];
  for (const finding of findings) {
    const fix = finding.fix;
    if (found.length >= MAX_SUGGESTIONS || fix === undefined || !('jobId' in fix) || !graph.roots.includes(fix.node)) continue;
    const node = graph.nodes.get(fix.node);
    const job = node?.workflow?.jobs.find((candidate) => candidate.id === fix.jobId);
    const lines = node && touched.get(node.address.path);
    if (!job || !lines || ![...lines].some((line) => line >= job.range.start.line && line <= job.range.end.line)) continue;
    const rendered = renderFix(graph, fix);
    if (rendered.edit !== undefined) found.push({ finding, rendered, edit: rendered.edit });
  }
  return found;
}

/** A pin is the fix that matters most; the others anchored on its line come again once it is committed. */
function pinsFirst(list: Candidate[]): Candidate[] {
  const rank = (candidate: Candidate): number => (candidate.finding.fix?.kind === 'replace-uses' || candidate.finding.fix?.kind === 'replace-step-uses' ? 0 : 1);
  return [...list].sort((a, b) => rank(a) - rank(b));
}

function skipReason(input: SuggestionReviewInput, rootPaths: ReadonlySet<string>, candidate: Candidate, kept: readonly Candidate[]): SuggestionSkipReason | undefined {
  const { edit, finding } = candidate;
  if (input.redact !== undefined && finding.mentions.some(input.redact)) return 'private';
  if (!input.graph.roots.includes(edit.node) || !rootPaths.has(edit.path)) return 'not-in-pull-request';
  const lines = input.touched.get(edit.path);
  for (let line = edit.startLine; line <= edit.endLine; line += 1) {
    if (lines?.has(line) !== true) return 'unchanged-lines';
  }
  const overlaps = kept.some((other) => other.edit.path === edit.path && edit.startLine <= other.edit.endLine && other.edit.startLine <= edit.endLine);
  return overlaps ? 'overlap' : undefined;
}

function byPlace(a: Candidate, b: Candidate): number {
  if (a.edit.path !== b.edit.path) return a.edit.path < b.edit.path ? -1 : 1;
  return a.edit.startLine - b.edit.startLine;
}

function suggestionComment({ finding, rendered, edit }: Candidate): ReviewComment {
  const fence = fenceFor(edit.replacement);
  const suggestion = [`${fence}suggestion`, ...edit.replacement, fence].join('\n');
  const body = `**${finding.ruleId}** (${finding.severity}): ${finding.message}\n\n${rendered.summary}\n\n${suggestion}`;
  const range = edit.startLine < edit.endLine ? { start_line: edit.startLine, start_side: 'RIGHT' as const } : {};
  return { path: edit.path, line: edit.endLine, side: 'RIGHT', ...range, body };
}

/** A fence longer than any run of backticks in the lines, so none of them can close it. */
function fenceFor(lines: readonly string[]): string {
  const longest = Math.max(0, ...lines.flatMap((line) => (line.match(/`+/g) ?? []).map((run) => run.length)));
  return '`'.repeat(Math.max(3, longest + 1));
}

function reviewBody(count: number): string {
  return count === 1
    ? '1 workflow policy finding on lines this pull request changes has a fix: commit it from the suggestion below.'
    : `${count} workflow policy findings on lines this pull request changes have fixes: commit them from the suggestions below, one at a time or as a batch.`;
}

// ---- Posting ----------------------------------------------------------------------------------------

/** What posting needs of an Octokit: Probot's `context.octokit` fits. */
export type ReviewClient = Pick<ProbotOctokit, 'rest' | 'paginate'>;

export interface PostReviewInput {
  owner: string;
  repo: string;
  pullNumber: number;
  /** The commit the review is about: the evaluated head. */
  headSha: string;
  review: SuggestionReview;
  /** The app's bot account (`<app-slug>[bot]`): only its own comments count as already posted. */
  botLogin: string;
  logger?: Logger;
}

export type ReviewOutcome =
  | { kind: 'posted'; reviewId: number; url: string; posted: ReviewComment[]; alreadyPosted: ReviewComment[] }
  /** Every suggestion is already on the PR (or there was none): no review was created. */
  | { kind: 'nothing-new'; alreadyPosted: ReviewComment[] }
  /** GitHub answered 422: a line is no longer in the diff, most likely because the branch moved. */
  | { kind: 'rejected'; reason: string; notPosted: ReviewComment[]; alreadyPosted: ReviewComment[] }
  | { kind: 'failed'; reason: string; notPosted: ReviewComment[]; alreadyPosted: ReviewComment[] };

/** The fields of a listed review comment that tell whether a suggestion is already there. */
interface ExistingComment {
  path: string;
  line?: number | null;
  start_line?: number | null;
  body: string;
  user?: { login: string } | null;
}

/**
 * Posts the suggestions not already on the PR as one review. Re-evaluations therefore add no duplicates:
 * a suggestion counts as posted when the bot has a comment with the same path, lines and body (an outdated
 * one has no line any more, so it is offered again). Never throws: failures come back as the outcome.
 */
export async function postSuggestionReview(octokit: ReviewClient, input: PostReviewInput): Promise<ReviewOutcome> {
  const { owner, repo, pullNumber, headSha, review } = input;
  const logger = input.logger ?? silentLogger;
  const details = { owner, repo, pullNumber, headSha };
  if (review.comments.length === 0) return { kind: 'nothing-new', alreadyPosted: [] };
  let existing: ExistingComment[];
  try {
    existing = await octokit.paginate(octokit.rest.pulls.listReviewComments, { owner, repo, pull_number: pullNumber, per_page: 100 });
  } catch (error) {
    const reason = `The pull request's review comments could not be listed, so no suggestion was posted (it could repeat one): ${requestFailure(error, false, 'GitHub').message}`;
    logger.error(details, reason);
    return { kind: 'failed', reason, notPosted: review.comments, alreadyPosted: [] };
  }
  const mine = existing.filter((comment) => comment.user?.login.toLowerCase() === input.botLogin.toLowerCase());
  const alreadyPosted = review.comments.filter((comment) => mine.some((other) => samePlaceAndBody(other, comment)));
  const fresh = review.comments.filter((comment) => !alreadyPosted.includes(comment));
  if (fresh.length === 0) return { kind: 'nothing-new', alreadyPosted };
  try {
    const { data } = await octokit.rest.pulls.createReview({
      owner,
      repo,
      pull_number: pullNumber,
      commit_id: headSha,
      event: review.event,
      body: reviewBody(fresh.length),
      comments: fresh,
    });
    return { kind: 'posted', reviewId: data.id, url: data.html_url, posted: fresh, alreadyPosted };
  } catch (error) {
    const failure = requestFailure(error, false, 'GitHub');
    if (failure.status === 422) {
      const reason = `GitHub did not take the suggestions (${failure.message}): their lines are no longer in the pull request's diff, most likely because the branch moved. The evaluation of the new head offers them again.`;
      logger.warn(details, reason);
      return { kind: 'rejected', reason, notPosted: fresh, alreadyPosted };
    }
    const reason = `The review with the suggestions could not be posted: ${failure.message}`;
    logger.error(details, reason);
    return { kind: 'failed', reason, notPosted: fresh, alreadyPosted };
  }
}

function samePlaceAndBody(existing: ExistingComment, comment: ReviewComment): boolean {
  return (
    existing.path === comment.path &&
    existing.line === comment.line &&
    (existing.start_line ?? undefined) === comment.start_line &&
    existing.body.replace(/\r\n/g, '\n') === comment.body
  );
}
