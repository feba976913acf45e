// One evaluation end to end, behind the ports: resolve the call graph, gather the online facts the
// rules need, run the rules. The GitHub App, the CLI and the policy dry run all call this; the dry run
// also uses the two halves on their own, to evaluate one graph under two policies.
import type { CacheStore } from '../cache/port.js';
import { platformLimitsForHost } from '../graph/limits.js';
import { resolveCallGraph, type RootWorkflow } from '../graph/resolve.js';
import type { CallGraph, PlatformLimits, RepoMetadata } from '../graph/types.js';
import type { Logger } from '../log.js';
import type { Policy } from '../policy/types.js';
import { ALL_RULES } from '../rules/index.js';
import type { WorkflowSource } from '../source/port.js';
import { evaluatePolicy } from './evaluate.js';
import { gatherRefFacts } from './facts.js';
import type { Evaluation } from './types.js';

export interface RunEvaluationInput {
  roots: RootWorkflow[];
  repository: RepoMetadata;
  policy: Policy;
  source: WorkflowSource;
  cache?: CacheStore;
  /** See ResolveOptions.cacheScope. */
  cacheScope?: string;
  /** The operator's override of the host's limits; the policy's `platform` applies on top. */
  limits?: Partial<PlatformLimits>;
  now: Date;
  logger?: Logger;
}

export interface EvaluationRun {
  graph: CallGraph;
  evaluation: Evaluation;
}

export async function runEvaluation(input: RunEvaluationInput): Promise<EvaluationRun> {
  const limits = evaluationLimits(input.source.host, input.limits, input.policy);
  const graph = await resolveCallGraph(input.roots, { ...portsOf(input), limits, knownRepos: [input.repository] });
  const evaluation = await evaluateGraph({ ...input, graph });
  return { graph, evaluation };
}

/** The limits a graph is resolved under: the host's, then the operator's override, then the policy's `platform`. */
export function evaluationLimits(host: string, operator: Partial<PlatformLimits> | undefined, policy: Policy): PlatformLimits {
  return platformLimitsForHost(host, { ...operator, ...definedLimits(policy) });
}

export interface GraphEvaluationInput {
  /** Resolved under `evaluationLimits` of this policy (the platform-limits rule reads its cuts). */
  graph: CallGraph;
  repository: RepoMetadata;
  policy: Policy;
  source: WorkflowSource;
  cache?: CacheStore;
  /** See ResolveOptions.cacheScope. */
  cacheScope?: string;
  now: Date;
  logger?: Logger;
}

/** Gathers the online facts this policy's rules need, then runs the rules over a graph already resolved. */
export async function evaluateGraph(input: GraphEvaluationInput): Promise<Evaluation> {
  const refFacts = await gatherRefFacts({ ...portsOf(input), graph: input.graph, policy: input.policy });
  return evaluatePolicy({ graph: input.graph, policy: input.policy, repository: input.repository, refFacts, now: input.now }, ALL_RULES);
}

function portsOf(input: { source: WorkflowSource; cache?: CacheStore; cacheScope?: string; logger?: Logger }) {
  return {
    source: input.source,
    ...(input.cache && { cache: input.cache }),
    ...(input.cacheScope !== undefined && { cacheScope: input.cacheScope }),
    ...(input.logger && { logger: input.logger }),
  };
}

function definedLimits(policy: Policy): Partial<PlatformLimits> {
  const { maxLevels, maxUnique } = policy.platform;
  return { ...(maxLevels !== undefined && { maxLevels }), ...(maxUnique !== undefined && { maxUnique }) };
}
