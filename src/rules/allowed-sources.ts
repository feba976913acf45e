// allowed-sources: which reusable workflows may be called at all, in the syntax of GitHub's "allowed actions
// and reusable workflows" setting. Every call of the tree is checked, so an allowed workflow cannot smuggle in
// a blocked one.
import type { Fix, Rule, RuleContext } from '../engine/types.js';
import { compilePatterns, matchesPattern } from '../policy/patterns.js';
import { formatUses, type UsesReference } from '../workflow/uses.js';
import { chainMentions, describeCall } from './describe.js';

type RemoteWorkflow = Extract<UsesReference, { kind: 'remote-workflow' }>;

/**
 * The pattern a fix proposes: this one workflow file at any ref. Narrower than `owner/repo/*`, which would
 * also trust every other workflow of that repository, present and future; `@*` because which refs are
 * acceptable is the pinning rule's business, so bumping a pin never needs a policy edit.
 */
function allowPatternFor(reference: RemoteWorkflow): string {
  return `${reference.owner}/${reference.repo}/${reference.path}@*`;
}

/** Adding an allow pattern is the only fix offered: a deny is the organization's decision, never undone here. */
function allowFix(context: RuleContext<'allowed-sources'>, reference: RemoteWorkflow): Fix | undefined {
  const file = context.policy.sources.at(-1);
  if (file === undefined) return undefined;
  return { kind: 'edit-policy', file, suggestion: `Add "${allowPatternFor(reference)}" to rules.allowed-sources.allow.` };
}

export const AllowedSourcesRule: Rule<'allowed-sources'> = {
  meta: {
    id: 'allowed-sources',
    description: 'Only reusable workflows the policy allows are called, anywhere in the call graph.',
    docs:
      'Decides every remote call (owner/repo/.github/workflows/file.yml@ref) with the pattern syntax of GitHub\'s ' +
      '"allowed actions and reusable workflows" setting: `allow` lists what may be called (when present, anything ' +
      'else is reported) and `deny` blocks, winning over any allow. Calls within the same repository (./ and $/) ' +
      'are always allowed. Transitive calls are checked too and reported at the top-level line with their chain. ' +
      'The fix names the policy file and the narrowest pattern that admits the call: that workflow file at any ref.',
    fixable: true,
  },

  checkEdge(context, visit) {
    const reference = visit.edge.uses.reference;
    if (reference.kind !== 'remote-workflow') return;
    const { allow, deny } = context.settings;
    const target = formatUses(reference);
    const patterns = compilePatterns([...(allow ?? []), ...deny.map((pattern) => `!${pattern}`)]);
    const call = describeCall(context.graph, visit.edge, visit.chain);
    const base = { location: { node: visit.caller.key, jobId: visit.edge.jobId, key: 'uses' }, chain: visit.chain, mentions: chainMentions(context.graph, visit.chain) };
    const blockedBy = patterns.block.find((pattern) => matchesPattern(pattern, target));
    if (blockedBy !== undefined) {
      context.report({
        ...base,
        message: `${call} is blocked by the deny pattern "${blockedBy}" in rules.allowed-sources: the organization does not allow this workflow to run.`,
      });
      return;
    }
    if (allow === undefined || patterns.decide(target) === 'allowed') return;
    const fix = allowFix(context, reference);
    context.report({
      ...base,
      message: `${call} matches no pattern in rules.allowed-sources.allow: only workflows the organization allows may run, transitive calls included.`,
      ...(fix && { fix }),
    });
  },
};
