// resolution: every call whose workflow could not be read fails the check, closed. A callee the app cannot
// read is a callee nobody checked, and in most cases (missing, renamed, no such ref) GitHub fails the run too.
import type { ActionVisit, EdgeVisit, Fix, Rule, RuleContext } from '../engine/types.js';
import type { CallGraph, RepoId, ResolutionError } from '../graph/types.js';
import { actionDirectory } from '../graph/workspace.js';
import { repoFullName, repoKey } from '../graph/types.js';
import { formatUses } from '../workflow/uses.js';
import { calledRepo, chainMentions, describeCall, replaceUses, usesLocation, workflowLabel } from './describe.js';

/** What a call names, for messages: the repository, the file and the ref or commit it reads. */
interface Target {
  repo: string;
  path: string;
  ref: string;
}

function targetOf(graph: CallGraph, visit: EdgeVisit | ActionVisit): Target | undefined {
  const reference = visit.edge.uses.reference;
  const here = (repo: RepoId, commit: string) => ({ repo: repoFullName(repo), ref: commit.slice(0, 7) });
  switch (reference.kind) {
    case 'remote-workflow':
      return { repo: `${reference.owner}/${reference.repo}`, path: reference.path, ref: reference.ref };
    case 'local-workflow':
      return { ...here(visit.caller.address.repo, visit.caller.address.commit), path: reference.path };
    case 'action':
      return { repo: `${reference.owner}/${reference.repo}`, path: actionDirectory(reference.subpath ?? ''), ref: reference.ref };
    case 'local-action': {
      // `$/`: the calling file's repository at its commit; `./`: the workspace it resolved to.
      const workspace = reference.syntax === './' ? calledRepo(graph, visit.edge) : visit.caller.address.repo;
      return { ...here(workspace ?? visit.caller.address.repo, visit.caller.address.commit), path: actionDirectory(reference.path) };
    }
    default:
      return undefined;
  }
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

function edgeMessage(call: string, error: ResolutionError, target: Target, what: 'call' | 'step'): string {
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
      return `${call}: ${target.repo} has no tag or branch named ${target.ref}, so GitHub cannot run this ${what}.`;
    case 'commit-not-found':
      return `${call}: the commit ${target.ref} does not exist in ${target.repo}, so GitHub cannot run this ${what}.`;
    case 'file-not-found':
      if (what === 'step') {
        const where = target.path === '' ? 'the root' : target.path;
        return `${call}: there is no action.yml, action.yaml or Dockerfile in ${where} of ${target.repo} at ${target.ref}, so GitHub cannot run this step.`;
      }
      return `${call}: ${target.path} does not exist in ${target.repo} at ${target.ref}, so GitHub cannot run this call.`;
    case 'too-large':
      return `${call}: ${target.path} in ${target.repo} is too large for the app to read, so ${what === 'call' ? 'the calls it makes' : 'the steps it runs'} cannot be checked and the check fails closed.`;
    case 'binary':
      return `${call}: ${target.path} in ${target.repo} is a binary file, not ${what === 'call' ? 'a workflow' : 'an action'}, so GitHub cannot run this ${what}.`;
    case 'rate-limited':
    case 'server-error':
    case 'timeout':
    case 'network':
      return `${call} could not be read from GitHub (${transientReason(error)}), so it and ${what === 'call' ? 'the calls' : 'the steps'} below it were not checked and the check fails closed. Re-run the check.`;
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

function withRepo(repos: readonly RepoId[], repo: RepoId | undefined): readonly RepoId[] {
  return repo === undefined || repos.some((known) => repoKey(known) === repoKey(repo)) ? repos : [...repos, repo];
}

/** The same call under the repository's new name, keeping path, ref and comment: GitHub will not follow the old name. */
function renameFix(visit: EdgeVisit | ActionVisit, renamedTo: RepoId | undefined): Fix | undefined {
  const reference = visit.edge.uses.reference;
  if (!renamedTo || (reference.kind !== 'remote-workflow' && reference.kind !== 'action')) return undefined;
  const uses = formatUses({ ...reference, owner: renamedTo.owner, repo: renamedTo.name });
  return replaceUses(visit, uses, writtenComment(visit));
}

/** The comment as written after the `uses:` value, kept by a fix that changes only the repository's name. */
function writtenComment(visit: EdgeVisit | ActionVisit): string | undefined {
  const edge = visit.edge;
  if (edge.kind === 'workflow') return visit.callerJob?.uses?.comment;
  const runs = visit.caller.action?.runs;
  const steps = visit.callerJob?.steps ?? (runs?.using === 'composite' ? runs.steps : []);
  return steps.find((step) => step.index === edge.step)?.uses?.comment;
}

/** A call or an action that could not be read: always an error (fail closed). */
function checkRead(context: RuleContext<'resolution'>, visit: EdgeVisit | ActionVisit): void {
  const error = visit.edge.error;
  const target = targetOf(context.graph, visit);
  if (!error || !target) return;
  const renamedTo = error.kind === 'repo-renamed' ? error.renamedTo : undefined;
  const fix = renameFix(visit, renamedTo);
  context.report({
    severity: 'error',
    message: edgeMessage(describeCall(context.graph, visit.edge, visit.chain), error, target, visit.edge.kind === 'workflow' ? 'call' : 'step'),
    location: usesLocation(visit),
    chain: visit.chain,
    ...(fix && { fix }),
    mentions: withRepo(chainMentions(context.graph, visit.chain), renamedTo),
  });
}

export const ResolutionRule: Rule<'resolution'> = {
  meta: {
    id: 'resolution',
    description: 'Every called workflow and every action can be read: it exists, the app can see it, and it is not in a renamed repository.',
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
      message: `The ${root.kind} ${workflowLabel(root)} could not be read: ${rootReason(root.error)}. It was not checked, so the check fails closed.`,
      location: { node: root.key },
      chain: [],
      mentions: [root.address.repo],
    });
  },

  checkEdge(context, visit) {
    checkRead(context, visit);
  },

  checkAction(context, visit) {
    checkRead(context, visit);
    const unknown = visit.edge.workspaceUnknown;
    if (unknown === undefined) return;
    context.report({
      // Not proven wrong, so not an error; never a silent pass either.
      severity: 'warning',
      message: `${describeCall(context.graph, visit.edge, visit.chain)} runs an action from the job's workspace, which cannot be known statically: ${unknown}. It and the steps it runs were not checked.`,
      location: usesLocation(visit),
      chain: visit.chain,
      mentions: chainMentions(context.graph, visit.chain),
    });
  },
};
