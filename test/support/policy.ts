// Policies for tests, compiled through the real parser so a test cannot use a shape the file format forbids.
import { formatPolicyDiagnostic, compilePolicy } from '../../src/policy/parse.js';
import { shippedPresets } from '../../src/policy/presets.js';
import type { Policy, TagRequirement, UsesKind } from '../../src/policy/types.js';

/** What `allowed-sources` and `pinning` judge unless a policy narrows them: both kinds of `uses:`. */
export const BOTH_KINDS: UsesKind[] = ['reusable-workflows', 'actions'];

/** The tag-required callees both shipped presets list: SLSA's builders and generators. */
export const SLSA_TAG_REQUIREMENT: TagRequirement = {
  uses: 'slsa-framework/slsa-github-generator/.github/workflows/*',
  ref: 'vX.Y.Z',
  reason:
    "SLSA's builders and generators must be called by an exact vX.Y.Z tag: slsa-verifier checks the tag the builder ran at, so a SHA or a shorter tag such as v2 fails the build.",
  url: 'https://github.com/slsa-framework/slsa-github-generator#referencing-slsa-builders-and-generators',
};

/** Compiles a policy file's text; a test with an invalid policy fails at once with the diagnostics. */
export function policyFrom(text: string, file = '.github/workflow-policy.yml'): Policy {
  const { policy, diagnostics } = compilePolicy(text, file, shippedPresets);
  if (!policy) throw new Error(`invalid test policy:\n${diagnostics.map(formatPolicyDiagnostic).join('\n')}`);
  return policy;
}
