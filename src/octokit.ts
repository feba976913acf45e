// The Octokit the app runs with: Probot's, with the pace of GitHub requests set for a read-heavy app.
import Bottleneck from 'bottleneck';
import { ProbotOctokit } from 'probot';

/**
 * Octokit's throttling plugin queues every GraphQL request with the writes, one per second per installation:
 * GitHub's advice for content-creating requests. An evaluation is mostly GraphQL queries (a call-graph level
 * each), so at that pace one installation evaluates about eight pull requests a minute and a burst times
 * out. Queries cost GraphQL points, not content creation (GitHub allows 2,000 points a minute), so the queue
 * runs at three requests a second: still one at a time per installation, and with the few writes an
 * evaluation makes (create, complete, review) under GitHub's 80 content-creating requests a minute.
 */
const REQUESTS_PER_SECOND = 3;

const writes = new Bottleneck.Group({ id: 'warden-write', maxConcurrent: 1, minTime: Math.ceil(1000 / REQUESTS_PER_SECOND) });

/** The installation a client acts for, when it acts for one (Probot builds one client per installation). */
function installationOf(options: ConstructorParameters<typeof ProbotOctokit>[0]): string | undefined {
  const auth: unknown = options?.auth;
  const id = typeof auth === 'object' && auth !== null && 'installationId' in auth ? auth.installationId : undefined;
  return typeof id === 'number' || typeof id === 'string' ? String(id) : undefined;
}

/** Each installation has its own queue (keyed by `throttle.id`), so one busy organization never slows another. */
export const WardenOctokit = ProbotOctokit.defaults((options: ConstructorParameters<typeof ProbotOctokit>[0] = {}) => {
  if (!options.throttle || options.throttle.enabled === false) return options;
  const installation = installationOf(options);
  return { ...options, throttle: { ...options.throttle, write: writes, ...(installation !== undefined && { id: `installation-${installation}` }) } };
});
