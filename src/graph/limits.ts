// GitHub's nesting limits per host. github.com and GHE.com (changelog 2025-11-06): 10 levels and 50 unique
// reusable workflows per top-level file; GitHub Enterprise Server: 4 levels and 20 unique.
import type { PlatformLimits } from './types.js';

export const GITHUB_COM_LIMITS: PlatformLimits = { maxLevels: 10, maxUnique: 50 };
export const ENTERPRISE_SERVER_LIMITS: PlatformLimits = { maxLevels: 4, maxUnique: 20 };

/** `github.com` and `*.ghe.com` run GitHub's cloud limits; any other host is an Enterprise Server. */
export function platformLimitsForHost(host: string, override?: Partial<PlatformLimits>): PlatformLimits {
  return { ...(isGitHubCloud(host) ? GITHUB_COM_LIMITS : ENTERPRISE_SERVER_LIMITS), ...override };
}

/** `github.com` and GHE.com subdomains; any other host is a GitHub Enterprise Server. */
export function isGitHubCloud(host: string): boolean {
  const normalized = host.toLowerCase();
  return normalized === 'github.com' || normalized.endsWith('.ghe.com');
}

/**
 * Composite actions nested deeper than this fail the job on every host: the Actions runner's
 * `CompositeActionsMaxDepth` (a step running a composite action is depth 1).
 */
export const COMPOSITE_ACTION_MAX_DEPTH = 9;
