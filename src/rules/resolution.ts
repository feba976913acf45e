// resolution: every call whose workflow could not be read fails the check, closed. A callee the app cannot
// read is a callee nobody checked, and in most cases (missing, renamed, no such ref) GitHub fails the run too.
import type { EdgeVisit, Fix, Rule } from '../engine/types.js';
import type { RepoId, ResolutionError } from '../graph/types.js';
import { repoFullName, repoKey } from '../graph/types.js';
import { formatUses } from '../workflow/uses.js';
import { chainMentions, describeCall, workflowLabel } from './describe.js';

/** What a call names, for messages: the repository, the file and the ref or commit it reads. */
interface Target {
  repo: string;
  path: string;
  ref: string;
}

function targetOf(visit: EdgeVisit): Target | undefined {
  const reference = visit.edge.uses.reference;
  if (reference.kind === 'remote-workflow') return { repo: `${reference.owner}/${reference.repo}`, path: reference.path, ref: reference.ref };
  if (reference.kind === 'local-workflow') return { repo: repoFullName(visit.caller.address.repo), path: reference.path, ref: visit.caller.address.commit.slice(0, 7) };
  return undefined;
}

/** Why GitHub gave no answer, for the errors a re-run of the check may cure. */
function transientReason(error: ResolutionError): string {
  switch (error.kind) {
    case 'rate-limited':
      return 'the rate limit was reached';
    case 'timeout':
      return 'GitHub did not answer in time';
    case 'network':
      return 'GitHub could not be reached';
    default:
      return error.status === undefined ? 'GitHub answered with an error' : `GitHub answered ${error.status}`;
  }
}

function edgeMessage(call: string, error: ResolutionError, target: Target): string {
  switch (error.kind) {
    case 'repo-not-found':
      return (
        `${call}: the repository ${target.repo} does not exist or the app cannot see it. ` +
        'If it is private or internal, install the app on it (or grant the app access to it); until then the call cannot be checked and the check fails closed.'
      );
    case 'repo-renamed':
      return error.renamedTo === undefined
        ? `${call}: the repository ${target.repo} was renamed or transferred, and GitHub Actions follows no redirects, so this call fails.`
        : `${call}: the repository ${target.repo} is now ${repoFullName(error.renamedTo)}, and GitHub Actions follows no redirects, so this call fails. Call ${repoFullName(error.renamedTo)} instead.`;
    case 'ref-not-found':
      return `${call}: ${target.repo} has no tag or branch named ${target.ref}, so GitHub cannot run this call.`;
    case 'commit-not-found':
      return `${call}: the commit ${target.ref} does not exist in ${target.repo}, so GitHub cannot run this call.`;
    case 'file-not-found':
      return `${call}: ${target.path} does not exist in ${target.repo} at ${target.ref}, so GitHub cannot run this call.`;
    case 'too-large':
      return `${call}: ${target.path} in ${target.repo} is too large for the app to read, so the calls it makes cannot be checked and the check fails closed.`;
    case 'binary':
      return `${call}: ${target.path} in ${target.repo} is a binary file, not a workflow, so GitHub cannot run this call.`;
    case 'rate-limited':
    case 'server-error':
    case 'timeout':
    case 'network':
      return `${call} could not be read from GitHub (${transientReason(error)}), so it and the calls below it were not checked and the check fails closed. Re-run the check.`;
  }
}

/** Why a top-level file could not be read, completing "… could not be read: <reason>". */
function rootReason(error: ResolutionError): string {
  switch (error.kind) {
    case 'repo-not-found':
    case 'repo-renamed':
      return 'the app cannot see its repository';
    case 'ref-not-found':
    case 'commit-not-found':
    case 'file-not-found':
      return 'it does not exist at that commit';
    case 'too-large':
      return 'it is too large for the app to read';
    case 'binary':
      return 'it is a binary file';
    case 'rate-limited':
    case 'server-error':
    case 'timeout':
    case 'network':
      return `${transientReason(error)}; re-run the check`;
  }
}

function withRepo(repos: RepoId[], repo: RepoId | undefined): RepoId[] {
  return repo === undefined || repos.some((known) => repoKey(known) === repoKey(repo)) ? repos : [...repos, repo];
}

/** The same call under the repository's new name, keeping path, ref and comment: GitHub will not follow the old name. */
function renameFix(visit: EdgeVisit, renamedTo: RepoId | undefined): Fix | undefined {
  const reference = visit.edge.uses.reference;
  if (!renamedTo || reference.kind !== 'remote-workflow') return undefined;
  const uses = formatUses({ ...reference, owner: renamedTo.owner, repo: renamedTo.name });
  const comment = visit.callerJob.uses?.comment;
  return { kind: 'replace-uses', node: visit.caller.key, jobId: visit.edge.jobId, uses, ...(comment !== undefined && { comment }) };
}

export const ResolutionRule: Rule<'resolution'> = {
  meta: {
    id: 'resolution',
    description: 'Every called workflow can be read: it exists, the app can see it, and it is not in a renamed repository.',
    docs:
      'Reports every call whose workflow could not be read: a missing or invisible repository (a private one must ' +
      'grant the app access), a renamed or transferred repository (GitHub Actions follows no redirects), a missing ' +
      'tag, branch, commit or file, a file too large or binary, and GitHub failing to answer. A workflow the app ' +
      'cannot read was not checked, so the check fails closed: these findings are always errors and no exception ' +
      'waives them. Calls not followed because a platform limit was reached are reported by platform-limits.',
    fixable: true,
  },

  checkRoot(context, root) {
    if (!root.error) return;
    context.report({
      severity: 'error',
      message: `The workflow ${workflowLabel(root)} could not be read: ${rootReason(root.error)}. It was not checked, so the check fails closed.`,
      location: { node: root.key },
      chain: [],
      mentions: [root.address.repo],
    });
  },

  checkEdge(context, visit) {
    const error = visit.edge.error;
    const target = targetOf(visit);
    if (!error || !target) return;
    const renamedTo = error.kind === 'repo-renamed' ? error.renamedTo : undefined;
    const fix = renameFix(visit, renamedTo);
    context.report({
      severity: 'error',
      message: edgeMessage(describeCall(context.graph, visit.edge, visit.chain), error, target),
      location: { node: visit.caller.key, jobId: visit.edge.jobId, key: 'uses' },
      chain: visit.chain,
      ...(fix && { fix }),
      mentions: withRepo(chainMentions(context.graph, visit.chain), renamedTo),
    });
  },
};
