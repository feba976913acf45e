// allowed-sources: which reusable workflows may be called and which actions may run at all, in the syntax of
// GitHub's "allowed actions and reusable workflows" setting, one pattern list for both. Every call and every
// step of the tree is checked (composite actions' steps too), so an allowed workflow or action cannot smuggle in
// a blocked one.
import type { ActionVisit, EdgeVisit, Fix, Rule, RuleContext } from '../engine/types.js';
import { compilePatterns, matchesPattern, type PatternSet } from '../policy/patterns.js';
import { formatUses, type UsesReference } from '../workflow/uses.js';
import { chainMentions, describeCall, usesLocation } from './describe.js';

type RemoteWorkflow = Extract<UsesReference, { kind: 'remote-workflow' }>;
type RemoteAction = Extract<UsesReference, { kind: 'action' }>;
type Context = RuleContext<'allowed-sources'>;

/**
 * The pattern a fix proposes: this one workflow file at any ref. Narrower than `owner/repo/*`, which would
 * also trust every other workflow of that repository, present and future; `@*` because which refs are
 * acceptable is the pinning rule's business, so bumping a pin never needs a policy edit.
 */
function allowPatternFor(reference: RemoteWorkflow | RemoteAction): string {
  if (reference.kind === 'action') return formatUses({ ...reference, ref: '*', refKind: 'named' });
  return `${reference.owner}/${reference.repo}/${reference.path}@*`;
}

/** Adding an allow pattern is the only fix offered: a deny is the organization's decision, never undone here. */
function allowFix(context: Context, reference: RemoteWorkflow | RemoteAction): Fix | undefined {
  const file = context.policy.sources.at(-1);
  if (file === undefined) return undefined;
  return { kind: 'edit-policy', file, suggestion: `Add "${allowPatternFor(reference)}" to rules.allowed-sources.allow.` };
}

type Settings = Context['settings'];

/** The rule's patterns, compiled once per policy rather than once per call. */
const compiled = new WeakMap<Settings, PatternSet>();

function patternsOf(settings: Settings): PatternSet {
  const known = compiled.get(settings);
  if (known) return known;
  const patterns = compilePatterns([...(settings.allow ?? []), ...settings.deny.map((pattern) => `!${pattern}`)]);
  compiled.set(settings, patterns);
  return patterns;
}

/**
 * Judges one remote call or action against the patterns. Same-repository references (`./`, `$/`) are always
 * allowed; `docker://` images are not what GitHub's setting governs, so neither does this rule.
 */
function check(context: Context, visit: EdgeVisit | ActionVisit, reference: RemoteWorkflow | RemoteAction): void {
  const allow = context.settings.allow;
  const target = formatUses(reference);
  const patterns = patternsOf(context.settings);
  const what = reference.kind === 'action' ? 'action' : 'workflow';
  // Most calls are allowed: what a finding says is built only for one.
  const call = () => describeCall(context.graph, visit.edge, visit.chain);
  const base = () => ({ location: usesLocation(visit), chain: visit.chain, mentions: chainMentions(context.graph, visit.chain) });
  const blockedBy = patterns.block.find((pattern) => matchesPattern(pattern, target));
  if (blockedBy !== undefined) {
    context.report({
      ...base(),
      message: `${call()} is blocked by the deny pattern "${blockedBy}" in rules.allowed-sources: the organization does not allow this ${what} to run.`,
    });
    return;
  }
  if (allow === undefined || patterns.decide(target) === 'allowed') return;
  const fix = allowFix(context, reference);
  context.report({
    ...base(),
    message: `${call()} matches no pattern in rules.allowed-sources.allow: only ${what}s the organization allows may run, transitive ${reference.kind === 'action' ? 'uses' : 'calls'} included.`,
    ...(fix && { fix }),
  });
}

export const AllowedSourcesRule: Rule<'allowed-sources'> = {
  meta: {
    id: 'allowed-sources',
    description: 'Only reusable workflows and actions the policy allows run, anywhere in the call graph.',
    docs:
      'Decides every remote call (owner/repo/.github/workflows/file.yml@ref) and every action a step runs ' +
      '(owner/repo[/path]@ref, in every workflow of the graph and in composite actions) with the pattern syntax of ' +
      'GitHub\'s "allowed actions and reusable workflows" setting: `allow` lists what may run (when present, anything ' +
      'else is reported) and `deny` blocks, winning over any allow. actions/* and github/* are not special: list them ' +
      'as GitHub\'s "allow actions created by GitHub" would. Same-repository references (./ and $/) are always allowed, ' +
      'and docker:// images are not governed by the setting. `applies-to` limits the rule to reusable-workflows or ' +
      'actions. Transitive uses are checked too and reported at the top-level line with their chain. The fix names ' +
      'the policy file and the narrowest pattern that admits the call: that workflow file, or that action, at any ref.',
    fixable: true,
  },

  checkEdge(context, visit) {
    const reference = visit.edge.uses.reference;
    if (reference.kind === 'remote-workflow' && context.settings.appliesTo.includes('reusable-workflows')) check(context, visit, reference);
  },

  checkAction(context, visit) {
    const reference = visit.edge.uses.reference;
    if (reference.kind === 'action' && context.settings.appliesTo.includes('actions')) check(context, visit, reference);
  },
};
