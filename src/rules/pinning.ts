// pinning: remote calls name code that cannot change under the caller. A tag or branch can be moved by whoever
// can push to the callee's repository, and "re-run all jobs" runs whatever the ref points to by then; a SHA
// pins, provided the commit really belongs to the repository it is called through (fork networks share
// objects, so an impostor commit pushed to a fork is addressable through the parent's name).
import type { ActionVisit, EdgeVisit, Finding, Fix, RefFacts, Rule, RuleContext } from '../engine/types.js';
import type { GraphNode } from '../graph/types.js';
import { repoKey } from '../graph/types.js';
import { matchesPattern } from '../policy/patterns.js';
import type { PinningScope, RuleSettings, TagRequirement } from '../policy/types.js';
import { formatUses, type UsesReference } from '../workflow/uses.js';
import { chainMentions, describeCall, replaceUses, usesLocation } from './describe.js';

type RemoteWorkflow = Extract<UsesReference, { kind: 'remote-workflow' }>;
/** What the rule pins: a reusable workflow in another repository, or an action of a repository. */
type Remote = RemoteWorkflow | Extract<UsesReference, { kind: 'action' }>;
type PinningContext = RuleContext<'pinning'>;

// ---- The most specific tag at a commit ---------------------------------------------------------

/** `v1`, `1.2.3`, `v1.2.3-rc.1`, `v2.0.0+build.5`: numbers, an optional prerelease, build metadata ignored. */
const VERSION_TAG = /^[vV]?(\d+(?:\.\d+)*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+[0-9A-Za-z.-]+)?$/;

interface Version {
  numbers: string[];
  prerelease?: string[];
}

function parseVersion(tag: string): Version | undefined {
  const match = VERSION_TAG.exec(tag);
  if (!match?.[1]) return undefined;
  return match[2] === undefined ? { numbers: match[1].split('.') } : { numbers: match[1].split('.'), prerelease: match[2].split('.') };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Decimal strings of any length (tags are user text: no number overflow). */
function compareNumbers(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  return x.length - y.length || compareText(x, y);
}

/** SemVer precedence of prerelease identifiers: numeric below alphanumeric; a longer list wins a tie. */
function comparePrerelease(a: readonly string[], b: readonly string[]): number {
  for (let index = 0; index < Math.min(a.length, b.length); index += 1) {
    const [x = '', y = ''] = [a[index], b[index]];
    const [xNumeric, yNumeric] = [/^\d+$/.test(x), /^\d+$/.test(y)];
    const order = xNumeric && yNumeric ? compareNumbers(x, y) : xNumeric !== yNumeric ? (xNumeric ? -1 : 1) : compareText(x, y);
    if (order !== 0) return order;
  }
  return a.length - b.length;
}

/** SemVer precedence over the components both have; a release ranks above its prereleases. */
function comparePrecedence(a: Version, b: Version): number {
  for (let index = 0; index < Math.min(a.numbers.length, b.numbers.length); index += 1) {
    const order = compareNumbers(a.numbers[index] ?? '0', b.numbers[index] ?? '0');
    if (order !== 0) return order;
  }
  if (a.prerelease && b.prerelease) return comparePrerelease(a.prerelease, b.prerelease);
  if (a.prerelease || b.prerelease) return a.prerelease ? -1 : 1;
  return 0;
}

/**
 * Negative when `a` names the commit more specifically: version tags before other names, more version
 * components first (v1.2.3, then v1.2, then v1), then higher precedence (so a release before its
 * prereleases), then by name so the order is total.
 */
function bySpecificity(a: string, b: string): number {
  const [x, y] = [parseVersion(a), parseVersion(b)];
  if (x && y) return y.numbers.length - x.numbers.length || comparePrecedence(y, x) || compareText(a, b);
  if (x || y) return x ? -1 : 1;
  return compareText(a, b);
}

/** The tag that names a commit most specifically (`v1.2.3` over `v1.2` over `v1`); undefined for none. */
export function mostSpecificTag(tags: readonly string[]): string | undefined {
  return [...tags].sort(bySpecificity)[0];
}

// ---- The rule ----------------------------------------------------------------------------------

/** One call being checked: the reference, how messages name it, and what every finding about it shares. */
interface Call {
  visit: EdgeVisit | ActionVisit;
  reference: Remote;
  name: string;
  shared: Pick<Finding, 'location' | 'chain' | 'mentions'>;
}

/** `external`: only calls into another owner, compared with the owner of the workflow making the call. */
function inScope(scope: PinningScope, reference: { owner: string }, caller: GraphNode): boolean {
  return scope === 'all' || reference.owner.toLowerCase() !== caller.address.repo.owner.toLowerCase();
}

function factsOf(context: PinningContext, reference: Remote): RefFacts | undefined {
  return context.refFacts.get(repoKey({ owner: reference.owner, name: reference.repo }));
}

/** Tags at a commit, most specific first. Facts are keyed by lower-case SHA, as GitHub writes them. */
function tagsAt(facts: RefFacts | undefined, commit: string): readonly string[] {
  const tags = facts?.tagsByCommit.get(commit.toLowerCase()) ?? [];
  return tags.length < 2 ? tags : [...tags].sort(bySpecificity);
}

/** The pinned line: the commit the ref resolved to (annotated tags already peeled), named by its most specific tag. */
function pinFix(context: PinningContext, { visit, reference }: Call): Fix | undefined {
  const resolved = visit.edge.resolvedRef;
  if (!resolved) return undefined;
  const uses = formatUses({ ...reference, ref: resolved.commit, refKind: 'sha' });
  const comment = tagsAt(factsOf(context, reference), resolved.commit)[0] ?? reference.ref;
  return replaceUses(visit, uses, comment);
}


function checkNamedRef(context: PinningContext, call: Call): void {
  const { require } = context.settings;
  const { reference } = call;
  const resolved = call.visit.edge.resolvedRef;
  if (require === 'any' || (require === 'ref' && resolved?.kind !== 'branch')) return;
  const ref = `the ${resolved?.kind ?? 'ref'} ${reference.ref}`;
  const message =
    require === 'sha'
      ? `${call.name} is not pinned to a full 40-character commit SHA: ${ref} can be moved to other code by anyone who can push to ${reference.owner}/${reference.repo}, and a re-run of all jobs runs whatever it points to then.`
      : `${call.name} uses ${ref}, which moves with every push: a re-run of all jobs runs whatever it points to then. Use a tag or a full commit SHA.`;
  const fix = pinFix(context, call);
  context.report({ ...call.shared, message, ...(fix && { fix }) });
}

/**
 * A pin passes only once its commit is shown reachable: unreachable is an impostor, and unknown (not decided
 * within the compare budget, or no facts at all because GitHub failed) is reported at the rule's severity too, so
 * the check fails closed rather than letting an impostor through as a warning (a neutral check passes).
 */
function verifyCommit(context: PinningContext, call: Call): void {
  const { reference } = call;
  const facts = factsOf(context, reference);
  const repo = `${reference.owner}/${reference.repo}`;
  const reachable = facts?.reachable.get(reference.ref.toLowerCase());
  if (reachable === false) {
    context.report({
      ...call.shared,
      message: `${call.name} pins a commit that is not reachable from any branch or tag of ${repo}: it can be an impostor commit from a fork, which GitHub serves under the parent repository's name too.`,
    });
  } else if (reachable === undefined && !call.visit.edge.error) {
    // An unreadable callee is already a resolution error (always an error); a second finding would only repeat it.
    const unknown = facts
      ? `whether its commit is reachable from a branch or tag of ${repo} could not be decided`
      : `the branches and tags of ${repo} could not be read from GitHub`;
    context.report({
      ...call.shared,
      message:
        `${call.name} could not be verified: ${unknown}, so an impostor commit from a fork cannot be ruled out. ` +
        `Pin a commit on the default branch of ${repo} or one a tag points at, or re-run the check if GitHub failed.`,
    });
  }
  if (facts) checkVersionComment(context, call, facts);
}

/** `@<sha> # v1.2.3` promises reviewers a version: the comment must name a tag at that very commit. */
function checkVersionComment(context: PinningContext, call: Call, facts: RefFacts): void {
  const { visit, reference } = call;
  const comment = visit.edge.uses.versionComment;
  const tags = tagsAt(facts, reference.ref);
  if (comment === undefined || tags.includes(comment)) return;
  const there = tags.length === 0 ? 'no tag points at it' : `tags at it: ${tags.join(', ')}`;
  const best = tags[0];
  context.report({
    ...call.shared,
    message: `${call.name} has the version comment ${comment}, but the tag ${comment} of ${reference.owner}/${reference.repo} is not at that commit (${there}): the comment misleads reviewers about the version that runs.`,
    ...(best !== undefined && { fix: replaceUses(visit, formatUses(reference), best) }),
  });
}

// ---- Callees that must be called by an exact tag ---------------------------------------------------

/** `v1.2.3`, `v1.2.3-rc.1`: an exact release tag, the form SLSA's builders and generators require. */
const EXACT_TAG = /^v\d+\.\d+\.\d+(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/** The requirement for this callee, matched on `owner/repo/path` (the ref is what is being judged). */
export function tagRequirementFor(settings: RuleSettings['pinning'], reference: Remote): TagRequirement | undefined {
  const path = reference.kind === 'action' ? reference.subpath : reference.path;
  const callee = `${reference.owner}/${reference.repo}${path === undefined ? '' : `/${path}`}`;
  return settings.tagRequired.find((requirement) => matchesPattern(requirement.uses, callee));
}

/** The reason and the maintainers' note, as every finding about such a call ends. */
function requirementText(requirement: TagRequirement): string {
  return requirement.url === undefined ? requirement.reason : `${requirement.reason} See ${requirement.url}`;
}

/**
 * What the callee's maintainers require instead of a SHA: an exact `vX.Y.Z` tag of the repository. A tag resolved
 * through the repository's own refs reaches its commit by definition; what is left to verify is that the name is a
 * tag, not a branch that happens to look like one. A SHA or a shorter tag gets the exact tag at its commit as the fix.
 */
function checkRequiredTag(context: PinningContext, call: Call, requirement: TagRequirement): void {
  const { reference, visit } = call;
  const resolved = visit.edge.resolvedRef;
  const why = requirementText(requirement);
  if (reference.refKind === 'named' && EXACT_TAG.test(reference.ref)) {
    if (resolved?.kind !== 'branch') return;
    context.report({
      ...call.shared,
      message: `${call.name} names ${reference.ref}, which is a branch of ${reference.owner}/${reference.repo}, not a tag: this ${reference.kind === 'action' ? 'action' : 'workflow'} must be called by an exact vX.Y.Z tag. ${why}`,
    });
    return;
  }
  const commit = reference.refKind === 'sha' ? reference.ref : resolved?.commit;
  const tag = commit === undefined ? undefined : tagsAt(factsOf(context, reference), commit).find((name) => EXACT_TAG.test(name));
  const written = reference.refKind === 'sha' ? 'a commit SHA' : `the ${resolved?.kind ?? 'ref'} ${reference.ref}`;
  const missing = tag === undefined ? ' No vX.Y.Z tag is known at the commit it runs: call the release you want by its tag.' : '';
  context.report({
    ...call.shared,
    message: `${call.name} must be called by an exact vX.Y.Z tag, not ${written}. ${why}${missing}`,
    ...(tag !== undefined && { fix: replaceUses(visit, formatUses({ ...reference, ref: tag, refKind: 'named' })) }),
  });
}

/** One remote call or action in the rule's scope: a tag it must be called by, a named ref, or a SHA to verify. */
function checkPin(context: PinningContext, visit: EdgeVisit | ActionVisit, reference: Remote): void {
  if (!inScope(context.settings.scope, reference, visit.caller)) return;
  // A verified pin reports nothing: what a finding says is built only for one.
  const call: Call = {
    visit,
    reference,
    get name() {
      return describeCall(context.graph, visit.edge, visit.chain);
    },
    get shared() {
      return { location: usesLocation(visit), chain: visit.chain, mentions: chainMentions(context.graph, visit.chain) };
    },
  };
  const requirement = tagRequirementFor(context.settings, reference);
  if (requirement) {
    if (context.settings.require !== 'any') checkRequiredTag(context, call, requirement);
  } else if (reference.refKind === 'named') checkNamedRef(context, call);
  else if (context.settings.verify) verifyCommit(context, call);
}

/** `name@sha256:<64 hex>`: the only way to name one image for good. */
const DIGEST = /@sha256:[0-9a-f]{64}$/i;

/**
 * A `docker://` image runs whatever its tag points to in the registry when the job starts. `require: sha` asks for
 * its digest; `require: ref` for an explicit tag other than `latest` (no tag means `latest`). Images have no owner to
 * compare, so `scope` does not narrow this.
 */
function checkImage(context: PinningContext, visit: ActionVisit, image: string): void {
  const { require } = context.settings;
  if (require === 'any' || DIGEST.test(image)) return;
  const tag = /:([^/:@]+)$/.exec(image)?.[1];
  if (require === 'ref' && tag !== undefined && tag !== 'latest') return;
  const name = describeCall(context.graph, visit.edge, visit.chain);
  const written = tag === undefined ? 'no tag, so latest' : `the tag ${tag}`;
  const message =
    require === 'sha'
      ? `${name} is not pinned to an image digest: ${written} can be pushed to with other content, and every run pulls whatever it names then. Pin it as docker://<image>@sha256:<digest>.`
      : `${name} names ${written}, which moves with every push of the image: name a release tag or pin the digest (docker://<image>@sha256:<digest>).`;
  context.report({ location: usesLocation(visit), chain: visit.chain, mentions: chainMentions(context.graph, visit.chain), message });
}

export const PinningRule: Rule<'pinning'> = {
  meta: {
    id: 'pinning',
    description: 'Remote reusable-workflow calls and actions are pinned (a full commit SHA, or at least a tag; an image digest) and the pins are genuine.',
    docs:
      'Applies to reusable-workflow calls and to the actions every step runs (workflows of the whole graph and composite ' +
      'actions), unless `applies-to` limits it. `require: sha` reports remote calls and actions not pinned to a full 40-character commit SHA, and docker:// images not pinned by digest; `require: ref` accepts tags ' +
      'and SHAs but not branches; `any` accepts every ref. `scope: external` checks only calls into another owner ' +
      'than that of the calling workflow, `all` every remote call; ./ and $/ calls run at the caller\'s own commit ' +
      'and are always pinned. A tag or branch can be moved to other code, and a re-run of all jobs runs whatever ' +
      'it points to then. With `verify`, a pinned commit must be shown reachable from a branch or tag of the repository ' +
      'it is called through (a commit pushed to a fork is served under the parent\'s name too), and a trailing ' +
      'version comment must name a tag at that commit. A pin that cannot be shown reachable is reported at the ' +
      'rule\'s severity whether it was found unreachable or could not be checked (GitHub failed, or no ref compared ' +
      'within the limit contains it): the check fails closed. A commit a branch or tag points at is verified at once, ' +
      'and one in the default branch\'s history or in the commented tag\'s with one or two compares; re-run the ' +
      'check when GitHub failed. The fix is the exact pinned line: the commit the ref ' +
      'resolves to (annotated tags peeled) with its most specific tag as the comment. Callees listed in ' +
      '`tag-required` (the presets list SLSA\'s builders and generators, whose maintainers require it because ' +
      'slsa-verifier checks the builder\'s ref) must instead be called by an exact vX.Y.Z tag under `require: sha` ' +
      'or `ref`: a SHA or a shorter tag such as v2 is reported with the exact tag at its commit as the fix, and a ' +
      'vX.Y.Z that names a branch is reported too.',
    fixable: true,
  },

  checkEdge(context, visit) {
    const reference = visit.edge.uses.reference;
    if (reference.kind === 'remote-workflow' && context.settings.appliesTo.includes('reusable-workflows')) checkPin(context, visit, reference);
  },

  checkAction(context, visit) {
    const reference = visit.edge.uses.reference;
    if (!context.settings.appliesTo.includes('actions')) return;
    if (reference.kind === 'action') checkPin(context, visit, reference);
    else if (reference.kind === 'docker') checkImage(context, visit, reference.image);
  },
};
