// Rule `visibility`: "A workflow that contains nested reusable workflows will fail if any of the nested
// workflows is inaccessible to the initial caller workflow" (Reusable workflows reference, "Access and
// permissions for nested workflows"). Every call of a top-level file's tree is judged against the
// top-level file's repository, by visibility (GitHub's table, which an org may tighten) and, for private
// and internal callees, by the callee's Actions access setting.
import type { ActionVisit, EdgeVisit, Fix, Rule, RuleContext } from '../engine/types.js';
import type { ActionsAccessLevel, RepoId, ResolutionError, Visibility } from '../graph/types.js';
import { repoFullName, repoKey } from '../graph/types.js';
import { githubVisibilityTable } from '../policy/parse.js';
import { calledRepo, chainMentions, describeCall, listText, usesLocation } from './describe.js';

type Context = RuleContext<'visibility'>;

/** The two repositories a call is judged by, with what the messages need. */
interface Access {
  context: Context;
  visit: EdgeVisit | ActionVisit;
  call: string;
  root: RepoId;
  callee: RepoId;
  rootVisibility: Visibility;
  calleeVisibility: Visibility;
}

export const VisibilityRule: Rule<'visibility'> = {
  meta: {
    id: 'visibility',
    description: 'Every workflow and action of the tree must be accessible to the top-level caller: by visibility and by Actions access setting.',
    docs:
      'GitHub fails a whole run when any nested workflow is inaccessible to the initial caller, so every call of the tree is ' +
      "judged against the top-level file's repository, never the intermediate caller's. By visibility (GitHub's table: private " +
      'may call private, internal and public; internal may call internal and public; public only public; the same repository ' +
      'is always allowed; `allow` can only tighten it). With check-access-setting, a private or internal callee in another ' +
      'repository must share its workflows (its Actions access setting): none shares with no one; user with repositories of the ' +
      'same personal account; organization with repositories of the same organization; enterprise with the whole enterprise, ' +
      'which is accepted as is because enterprise membership cannot be checked through the API the app uses. A setting the app ' +
      'could not read is a warning. The suggested value is organization for a callee of the same owner (GitHub offers user ' +
      'instead for a personal account, which the app cannot tell apart) and enterprise otherwise.',
    fixable: true,
  },
  checkEdge(context, visit) {
    judge(context, visit);
  },
  checkAction(context, visit) {
    // `./` and `$/` actions are in the workspace's or the calling file's repository, judged by the calls that reach it.
    if (visit.edge.uses.reference.kind === 'action') judge(context, visit);
  },
};

/** Whether the top-level repository may reach the repository a call or an action is in. */
function judge(context: Context, visit: EdgeVisit | ActionVisit): void {
  const graph = context.graph;
  const root = visit.root.address.repo;
  const callee = visit.callee?.address.repo ?? calledRepo(graph, visit.edge);
  // The same repository is always allowed; an unparsed reference names no repository to judge.
  if (!callee || visit.edge.uses.reference.kind === 'invalid' || repoKey(callee) === repoKey(root)) return;
  const rootVisibility = visibilityOf(context, root);
  const calleeVisibility = visibilityOf(context, callee);
  // Unknown metadata: the `resolution` rule reports why the repository could not be read.
  if (!rootVisibility || !calleeVisibility) return;
  const access: Access = {
    context,
    visit,
    // Most calls are allowed: the call is described only for a finding.
    get call() {
      return describeCall(graph, visit.edge, visit.chain);
    },
    root,
    callee,
    rootVisibility,
    calleeVisibility,
  };
  if (!checkVisibility(access) && context.settings.checkAccessSetting && calleeVisibility !== 'public') checkAccessSetting(access);
}

function visibilityOf(context: Context, repo: RepoId): Visibility | undefined {
  const metadata = context.graph.repos.get(repoKey(repo));
  if (metadata && 'visibility' in metadata) return metadata.visibility;
  return repoKey(context.repository.repo) === repoKey(repo) ? context.repository.visibility : undefined;
}

function article(visibility: Visibility): string {
  return visibility === 'internal' ? 'an' : 'a';
}

function report(access: Access, finding: { message: string; severity?: 'warning'; fix?: Fix }): void {
  const { context, visit } = access;
  const named = chainMentions(context.graph, visit.chain);
  const mentions = named.some((repo) => repoKey(repo) === repoKey(access.callee)) ? named : [...named, access.callee];
  context.report({
    ...finding,
    location: usesLocation(visit),
    chain: visit.chain,
    mentions,
  });
}

/** Reports a callee visibility the top-level repository may not call; true when it did. */
function checkVisibility(access: Access): boolean {
  const { rootVisibility: from, calleeVisibility: to } = access;
  const allowed = access.context.settings.allow[from];
  if (allowed.includes(to)) return false;
  const where = `${access.call} is in ${article(to)} ${to} repository`;
  const action = access.visit.edge.kind === 'action';
  if (!githubVisibilityTable()[from].includes(to)) {
    report(access, {
      message:
        `${where}, which a top-level workflow in ${article(from)} ${from} repository cannot ${action ? 'use' : 'call'}. ` +
        (action
          ? "An action in a called workflow runs as part of the initial caller's job, so GitHub fails the job when the initial caller cannot reach it."
          : 'GitHub fails the whole run when any nested workflow is inaccessible to the initial caller.'),
    });
  } else {
    const others = allowed.length > 0 ? `only ${listText(allowed)} repositories` : 'only workflows of their own repository';
    report(access, { message: `${where}; the policy lets top-level workflows in ${from} repositories call ${others}.` });
  }
  return true;
}

function checkAccessSetting(access: Access): void {
  const level = access.context.graph.access.get(repoKey(access.callee));
  if (level === undefined || typeof level !== 'string') {
    unverified(access, level);
    return;
  }
  const sameOwner = access.root.owner.toLowerCase() === access.callee.owner.toLowerCase();
  if (level === 'enterprise' || (sameOwner && level !== 'none')) return;
  report(access, denied(access, level, sameOwner));
}

function denied(access: Access, level: Exclude<ActionsAccessLevel, 'enterprise'>, sameOwner: boolean): { message: string; fix?: Fix } {
  const { call } = access;
  const callee = repoFullName(access.callee);
  const root = repoFullName(access.root);
  const fails = 'GitHub fails the run.';
  switch (level) {
    case 'none':
      return {
        message: `${call} is in ${callee}, whose Actions access setting is none: no workflow outside it may call it, so ${fails}`,
        fix: settingFix(access, sameOwner ? 'organization' : 'enterprise'),
      };
    case 'user':
      return {
        message: `${call} is in ${callee}, whose Actions access setting shares its workflows only with repositories of ${access.callee.owner}, not with ${root}, so ${fails}`,
      };
    case 'organization':
      return {
        message:
          `${call} is in ${callee}, whose Actions access setting shares its workflows only within ${access.callee.owner}, not with ${root}, so ${fails} ` +
          'Setting it to enterprise helps only if both organizations belong to the same enterprise.',
        fix: settingFix(access, 'enterprise'),
      };
  }
}

function unverified(access: Access, error: ResolutionError | undefined): void {
  const callee = repoFullName(access.callee);
  const reason = error?.message ?? `The Actions access setting of ${callee} was not read.`;
  const sameOwner = access.root.owner.toLowerCase() === access.callee.owner.toLowerCase();
  report(access, {
    severity: 'warning',
    message:
      `Could not verify that ${access.call} is shared with ${repoFullName(access.root)}: ${reason} ` +
      `GitHub fails the run unless the Actions access setting of ${callee} covers the caller.`,
    fix: settingFix(access, sameOwner ? 'organization' : 'enterprise'),
  });
}

/** The callee's Actions settings page; on GitHub Enterprise Server the web host is the API's host. */
function settingFix(access: Access, value: ActionsAccessLevel): Fix {
  const { callee } = access;
  return {
    kind: 'repository-setting',
    repo: callee,
    setting: 'Actions access',
    value,
    url: `https://${access.context.graph.host}/${callee.owner}/${callee.name}/settings/actions`,
  };
}
