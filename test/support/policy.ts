// Policies for tests, compiled through the real parser so a test cannot use a shape the file format forbids.
import { formatPolicyDiagnostic, compilePolicy } from '../../src/policy/parse.js';
import { shippedPresets } from '../../src/policy/presets.js';
import type { Policy } from '../../src/policy/types.js';

/** Compiles a policy file's text; a test with an invalid policy fails at once with the diagnostics. */
export function policyFrom(text: string, file = '.github/workflow-policy.yml'): Policy {
  const { policy, diagnostics } = compilePolicy(text, file, shippedPresets);
  if (!policy) throw new Error(`invalid test policy:\n${diagnostics.map(formatPolicyDiagnostic).join('\n')}`);
  return policy;
}
