// secrets-inherit: `secrets: inherit` hands the callee every secret the caller can use, declared or not.
// Only callees the policy trusts may receive that; others get an explicit map of the secrets they declare.
import type { EdgeVisit, Fix, Rule, RuleContext } from '../engine/types.js';
import { repoKey } from '../graph/types.js';
import { compilePatterns } from '../policy/patterns.js';
import { formatUses } from '../workflow/uses.js';
import { chainMentions, describeCall } from './describe.js';

/**
 * Same repository (always: ./, $/ or the caller's own owner/name), a matching `allow` pattern, or the caller's
 * owner when `allowSameOwner`. An invalid `uses` calls nothing (the contract rule reports it).
 */
function mayInherit(context: RuleContext<'secrets-inherit'>, visit: EdgeVisit): boolean {
  const reference = visit.edge.uses.reference;
  if (reference.kind !== 'remote-workflow') return true;
  const caller = visit.caller.address.repo;
  const callee = { owner: reference.owner, name: reference.repo };
  if (repoKey(callee) === repoKey(caller)) return true;
  const { allow, allowSameOwner } = context.settings;
  if (allowSameOwner && callee.owner.toLowerCase() === caller.owner.toLowerCase()) return true;
  return compilePatterns(allow).matches(formatUses(reference));
}

/** The secrets the callee declares, in order, or why they are unknown. */
type Declared = { secrets: string[] } | { unknown: string };

/**
 * Unknown when the callee was not read, or its file has errors (GitHub rejects it, and a partly parsed
 * declaration could miss secrets), or it has no `on: workflow_call`.
 */
function declaredSecrets(visit: EdgeVisit): Declared {
  const workflow = visit.callee?.workflow;
  if (!workflow) return { unknown: 'it could not be read' };
  if (workflow.diagnostics.length > 0) return { unknown: 'the file has errors' };
  const trigger = workflow.on?.workflowCall;
  return trigger ? { secrets: trigger.secrets.map((secret) => secret.name) } : { unknown: 'it has no on: workflow_call' };
}

/** What `inherit` would expose beyond the callee's contract, for the message. */
function exposure(declared: Declared): string {
  if ('unknown' in declared) return `; what it declares is unknown because ${declared.unknown}`;
  const { secrets } = declared;
  if (secrets.length === 0) return ', although it declares none';
  return `, not only the ${secrets.length === 1 ? 'one' : secrets.length} it declares (${secrets.join(', ')})`;
}

export const SecretsInheritRule: Rule<'secrets-inherit'> = {
  meta: {
    id: 'secrets-inherit',
    description: '`secrets: inherit` is used only towards callees the policy trusts with every secret.',
    docs:
      'With `secrets: inherit`, GitHub passes the called workflow every secret the caller can use, including ones ' +
      'the callee never declares. The rule reports such calls unless the callee matches `allow`, or `allow-same-owner` ' +
      'is set and the callee repository belongs to the caller\'s owner; calls within the same repository are always ' +
      'allowed. Transitive calls are checked too. The fix replaces `inherit` with an explicit map of the secrets the ' +
      'callee declares under on.workflow_call.secrets.',
    fixable: true,
  },

  checkEdge(context, visit) {
    if (visit.callerJob.secrets?.kind !== 'inherit' || mayInherit(context, visit)) return;
    const declared = declaredSecrets(visit);
    const fix: Fix | undefined = 'secrets' in declared ? { kind: 'explicit-secrets', node: visit.caller.key, jobId: visit.edge.jobId, secrets: declared.secrets } : undefined;
    context.report({
      message:
        `${describeCall(context.graph, visit.edge, visit.chain)} is called with secrets: inherit, which the policy does not allow for it: ` +
        `GitHub would pass it every secret the caller can use${exposure(declared)}.`,
      location: { node: visit.caller.key, jobId: visit.edge.jobId, key: 'secrets' },
      chain: visit.chain,
      ...(fix && { fix }),
      mentions: chainMentions(context.graph, visit.chain),
    });
  },
};
