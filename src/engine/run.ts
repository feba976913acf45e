// One evaluation end to end, behind the ports: resolve the call graph, gather the online facts the
// rules need, run the rules. The GitHub App, the CLI and the policy dry run all call this; the dry run
// also uses the two halves on their own, to evaluate one graph under two policies.
import type { CacheStore } from '../cache/port.js';
import { platformLimitsForHost } from '../graph/limits.js';
import { resolveCallGraph, type RootFile } from '../graph/resolve.js';
import type { CallGraph, PlatformLimits, RepoMetadata } from '../graph/types.js';
import type { Logger } from '../log.js';
import type { Policy } from '../policy/types.js';
import { ALL_RULES } from '../rules/index.js';
import type { WorkflowSource } from '../source/port.js';
import { evaluatePolicy } from './evaluate.js';
import { gatherRefFacts } from './facts.js';
import { AllowedSourcesRule } from '../rules/allowed-sources.js';
import { PinningRule } from '../rules/pinning.js';
import { gatherCallerImpact, withCallerFindings, type CallersPort, type GatheredImpact } from './impact.js';
import type { CallerImpactFacts, Evaluation, Finding } from './types.js';

export interface RunEvaluationInput {
  /** The callee side: who calls the top-level files from other repositories. Absent: not looked at. */
  callers?: CallersPort;
  roots: RootFile[];
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
  /** The callee side, when the top-level files have callers elsewhere. */
  impact?: CallerImpactFacts;
  /** What could not be looked at, for the check's notes. */
  notes: string[];
}

export async function runEvaluation(input: RunEvaluationInput): Promise<EvaluationRun> {
  const graph = await resolveGraph(input);
  const { evaluation, impact, notes } = await evaluateGraphWithCallers({ ...input, graph });
  return { graph, evaluation, ...(impact && { impact }), notes };
}

export type ResolveGraphInput = Omit<RunEvaluationInput, 'policy' | 'now'> & { policy?: Policy };

/**
 * The first half alone: the call graph under the host's limits (the operator's override, and the policy's
 * `platform` when a policy is given). `workflow-warden graph` draws it without evaluating a policy.
 */
export async function resolveGraph(input: ResolveGraphInput): Promise<CallGraph> {
  const limits = evaluationLimits(input.source.host, input.limits, input.policy);
  return resolveCallGraph(input.roots, { ...portsOf(input), limits, knownRepos: [input.repository] });
}

/** The limits a graph is resolved under: the host's, then the operator's override, then the policy's `platform`. */
export function evaluationLimits(host: string, operator: Partial<PlatformLimits> | undefined, policy: Policy | undefined): PlatformLimits {
  return platformLimitsForHost(host, { ...operator, ...(policy && definedLimits(policy)) });
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
  return (await evaluateGraphWithCallers(input)).evaluation;
}

/** The rules a caller's own policy is applied with, to the calls a change to its callee adds. */
const CALLER_RULES = [AllowedSourcesRule, PinningRule];

async function evaluateGraphWithCallers(input: GraphEvaluationInput & { callers?: CallersPort }): Promise<{ evaluation: Evaluation; impact?: CallerImpactFacts; notes: string[] }> {
  // The ref facts and the callers a change reaches are read at once: neither needs the other.
  const [refFacts, gathered] = await Promise.all([
    gatherRefFacts({ ...portsOf(input), graph: input.graph, policy: input.policy }),
    input.callers ? gatherCallerImpact(input.graph, input.callers, input.logger) : Promise.resolve<GatheredImpact>({ policies: new Map<string, Policy>(), notes: [] }),
  ]);
  const impact = gathered.facts && withCallerFindings(gathered.facts, callerFindings(input, gathered.policies, refFacts));
  const evaluation = evaluatePolicy({ graph: input.graph, policy: input.policy, repository: input.repository, refFacts, ...(impact && { impact }), now: input.now }, ALL_RULES);
  return { evaluation, ...(impact && { impact }), notes: gathered.notes };
}

/** Each caller's own policy over this graph, as if that caller ran it (its exceptions for its repository apply). */
function callerFindings(input: GraphEvaluationInput, policies: Map<string, Policy>, refFacts: Awaited<ReturnType<typeof gatherRefFacts>>): Map<string, Finding[]> {
  const findings = new Map<string, Finding[]>();
  for (const [key, policy] of policies) {
    const [owner = '', name = ''] = key.split('/');
    const repository: RepoMetadata = { repo: { owner, name }, visibility: 'private', archived: false };
    findings.set(key, evaluatePolicy({ graph: input.graph, policy, repository, refFacts, now: input.now }, CALLER_RULES).findings);
  }
  return findings;
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
