// Findings as rule tests compare them, and the one way those tests run a rule: through the real resolver
// (see graph.ts), the real policy parser (see policy.ts) and the engine's own evaluatePolicy.
import { evaluatePolicy } from '../../src/engine/evaluate.js';
import type { AnyRule, Finding, RefFacts } from '../../src/engine/types.js';
import { repoFullName, type CallGraph, type PlatformLimits, type RepoMetadata } from '../../src/graph/types.js';
import { graphOf, type RepoSpec, type World } from './graph.js';
import { policyFrom } from './policy.js';

/** A finding as the tables write it: the chain as its `uses:` values were written, repositories by name. */
export interface FindingView {
  ruleId: Finding['ruleId'];
  severity: Finding['severity'];
  message: string;
  location: Finding['location'];
  /** The `uses:` values of the chain, top-level call first. */
  chain: string[];
  fix?: Finding['fix'];
  mentions: string[];
}

export function findingView(finding: Finding): FindingView {
  const { ruleId, severity, message, location, fix } = finding;
  return {
    ruleId,
    severity,
    message,
    location,
    chain: finding.chain.map((edge) => edge.uses.raw),
    ...(fix && { fix }),
    mentions: finding.mentions.map(repoFullName),
  };
}

/** Commits by repository (`owner/name` as a test wrote it, as in `World.commits`), or by a name a test gave an extra commit. */
export type Commits = Record<string, string>;

function commitOf(commits: Commits, repo: string): string {
  const sha = commits[repo];
  if (sha === undefined) throw new Error(`no commit for ${repo}`);
  return sha;
}

/** The node key of `path` at the commit of `repo`. */
export function nodeAt(commits: Commits, repo: string, path: string): string {
  return `${repo.toLowerCase()}/${path}@${commitOf(commits, repo)}`;
}

/** The 7-character form of the commit of `repo`, as messages name commits. */
export function shortCommit(commits: Commits, repo: string): string {
  return commitOf(commits, repo).slice(0, 7);
}

/**
 * `value` with every commit of `commits`, full or in its 7-character form, written `{owner/repo}`: tables
 * that use it are written before the world exists, at the cost of not telling the two forms apart.
 */
export function withCommitPlaceholders<T>(value: T, commits: Commits): T {
  let text = JSON.stringify(value);
  for (const [repo, sha] of Object.entries(commits)) text = text.split(sha).join(`{${repo}}`).split(sha.slice(0, 7)).join(`{${repo}}`);
  return JSON.parse(text) as T;
}

/** The node key of `.github/workflows/<name>.yml` of `repo`, as `withCommitPlaceholders` writes it. */
export function placeholderNode(repo: string, name: string): string {
  return `${repo}/.github/workflows/${name}.yml@{${repo}}`;
}

/** The metadata GitHub gave for `fullName` while the graph was resolved. */
function repositoryOf(graph: CallGraph, fullName: string): RepoMetadata {
  const metadata = graph.repos.get(fullName.toLowerCase());
  if (!metadata || 'kind' in metadata) throw new Error(`no metadata for ${fullName}`);
  return metadata;
}

/** The repository under evaluation: the owner of the graph's first top-level file. */
function evaluatedRepository(graph: CallGraph): RepoMetadata {
  const root = graph.nodes.get(graph.roots[0] ?? '');
  if (!root) throw new Error('the graph has no top-level file');
  return repositoryOf(graph, repoFullName(root.address.repo));
}

export interface GraphEvaluation {
  /** The policy file's text; `version: 1` (every default) when absent. */
  policy?: string;
  /** The repository under evaluation when the graph does not have it (GitHub did not answer for it). */
  repository?: RepoMetadata;
  refFacts?: Map<string, RefFacts>;
}

/** A fixed day, so that no result depends on the day the tests run (exceptions expire). */
const NOW = new Date('2026-08-01T00:00:00Z');

/** Runs `rule` alone over a resolved graph, as the engine does, and returns its findings' views. */
export function evaluateGraph(rule: AnyRule, graph: CallGraph, options: GraphEvaluation = {}): FindingView[] {
  const evaluation = evaluatePolicy(
    {
      graph,
      policy: policyFrom(options.policy ?? 'version: 1\n'),
      repository: options.repository ?? evaluatedRepository(graph),
      ...(options.refFacts && { refFacts: options.refFacts }),
      now: NOW,
    },
    [rule],
  );
  return evaluation.findings.map(findingView);
}

export interface RuleEvaluation {
  repos: Record<string, RepoSpec>;
  /** Top-level files as `owner/name:path`; the first one's repository is the one under evaluation. */
  roots?: string[];
  /** The policy file's text; `version: 1` (every default) when absent. */
  policy?: string;
  /** The platform limits to resolve the graph under; github.com's when absent. */
  limits?: PlatformLimits;
}

/** The top-level file of most tests. */
export const CI_ROOT = 'octo-org/app:.github/workflows/ci.yml';

/** Builds the world, resolves its graph from `roots` (`CI_ROOT` by default) and runs `rule` alone over it. */
export async function evaluateRule(rule: AnyRule, run: RuleEvaluation): Promise<{ findings: FindingView[]; world: World; graph: CallGraph }> {
  const { graph, world } = await graphOf(run.repos, run.roots ?? [CI_ROOT], run.limits);
  return { findings: evaluateGraph(rule, graph, { policy: run.policy }), world, graph };
}

/** The valid and the invalid cases of a rule as one `it.each` table, each row marked with its kind (`$kind: $name`). */
export function ruleTable<Case extends object>(valid: readonly Case[], invalid: readonly Case[]): (Case & { kind: 'valid' | 'invalid' })[] {
  return [...valid.map((entry) => ({ kind: 'valid' as const, ...entry })), ...invalid.map((entry) => ({ kind: 'invalid' as const, ...entry }))];
}
