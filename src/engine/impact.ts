// The callee side, gathered before the rules run (as ref facts are): for each top-level file that is a reusable
// workflow or an action's metadata file, who calls it from other repositories (the reverse index), the version of
// it the change replaces, and each reached caller's own policy. Never throws: an index or a policy that cannot be
// read costs the facts it would have given, and says so in a note.
import type { Callee, CallerIndex, CallerRecord } from '../callers/port.js';
import type { CallGraph, GraphNode, NodeKey } from '../graph/types.js';
import { repoKey } from '../graph/types.js';
import { manifestDirectory } from '../graph/workspace.js';
import { silentLogger, type Logger } from '../log.js';
import type { Policy } from '../policy/types.js';
import { parseActionManifest, parseWorkflow } from '../workflow/parse.js';
import type { BaseVersion, CallerImpactFacts, Finding } from './types.js';

/** Caller repositories whose own policy is read per change: each costs a request. Past it, their policy is not checked. */
export const MAX_CALLER_POLICIES = 20;

export interface CallersPort {
  index: CallerIndex;
  /** The installation's part of the index (as the cache's scope). */
  scope: string;
  /** The branch the change merges into; absent: no caller is reached by a merge. */
  branch?: string;
  /** The text of top-level files (workflows, action metadata files) before the change, by path; only asked for files that have callers. */
  readBase(paths: string[]): Promise<Map<string, string>>;
  /** The policy in force for a caller's repository (read from its default branch), when it can be read. */
  policyOf(caller: CallerRecord): Promise<Policy | undefined>;
}

export interface GatheredImpact {
  /** Absent when no top-level file is called from elsewhere. */
  facts?: CallerImpactFacts;
  /** Caller policies the facts hold, by caller `repoKey`, for the engine to run the caller's rules with. */
  policies: Map<string, Policy>;
  notes: string[];
}

export async function gatherCallerImpact(graph: CallGraph, port: CallersPort, logger: Logger = silentLogger): Promise<GatheredImpact> {
  const notes: string[] = [];
  const callers = new Map<NodeKey, CallerRecord[]>();
  for (const key of graph.roots) {
    const root = graph.nodes.get(key);
    // A file that was never callable has no callers to lose; one that stopped being callable does.
    if (!root?.text || !(root.workflow || root.action)) continue;
    try {
      const found = await port.index.callersOf(port.scope, calleeOf(root));
      const others = found.filter((record) => repoKey(record.caller.repo) !== repoKey(root.address.repo));
      if (others.length > 0) callers.set(key, others);
    } catch (error) {
      logger.warn({ err: error }, 'the callers index could not be read');
      notes.push(`The callers of ${root.address.path} could not be read from the index, so what this change does to them was not checked.`);
    }
  }
  if (callers.size === 0) return { policies: new Map(), notes };
  const base = await readBase(graph, port, [...callers.keys()], notes);
  const policies = await readPolicies(port, [...callers.values()].flat(), notes);
  const facts: CallerImpactFacts = {
    ...(port.branch !== undefined && { branch: port.branch }),
    callers,
    base,
    callerFindings: new Map(),
    callerLevels: new Map([...policies].flatMap(([key, policy]) => (policy.rules['max-depth'].severity !== 'off' && policy.rules['max-depth'].levels !== undefined ? [[key, policy.rules['max-depth'].levels]] : []))),
  };
  return { facts, policies, notes };
}

/** How the index names a top-level file as a callee: a workflow by its file, an action by its directory. */
function calleeOf(root: GraphNode): Callee {
  const { repo, path } = root.address;
  return root.kind === 'action' ? { kind: 'action', repo, path: manifestDirectory(path) } : { kind: 'workflow', repo, path };
}

async function readBase(graph: CallGraph, port: CallersPort, keys: NodeKey[], notes: string[]) {
  const base = new Map<NodeKey, BaseVersion>();
  const nodes = keys.flatMap((key) => graph.nodes.get(key) ?? []);
  try {
    const texts = await port.readBase(nodes.map((node) => node.address.path));
    for (const node of nodes) {
      const { path } = node.address;
      const text = texts.get(path);
      if (text !== undefined) base.set(node.key, node.kind === 'action' ? { action: parseActionManifest(text, path) } : { workflow: parseWorkflow(text, path, { githubSchema: false }) });
    }
  } catch {
    notes.push('The files before this change could not be read, so every call they make counts as new for their callers.');
  }
  return base;
}

/** The policies of the callers a change reaches (a SHA pin is never reached), each repository once, within the bound. */
async function readPolicies(port: CallersPort, records: CallerRecord[], notes: string[]): Promise<Map<string, Policy>> {
  const byRepo = new Map<string, CallerRecord>();
  for (const record of records) if (record.refKind === 'named' && !byRepo.has(repoKey(record.caller.repo))) byRepo.set(repoKey(record.caller.repo), record);
  const chosen = [...byRepo].slice(0, MAX_CALLER_POLICIES);
  if (byRepo.size > chosen.length) notes.push(`${byRepo.size - chosen.length} calling repositories past the first ${MAX_CALLER_POLICIES} were not checked against their own policies.`);
  const policies = new Map<string, Policy>();
  const answers = await Promise.all(chosen.map(async ([key, record]) => [key, await port.policyOf(record).catch(() => undefined)] as const));
  let unread = 0;
  for (const [key, policy] of answers) {
    if (policy) policies.set(key, policy);
    else unread += 1;
  }
  if (unread > 0) notes.push(`The policy of ${unread} calling ${unread === 1 ? 'repository' : 'repositories'} could not be read, so new calls were not checked against it.`);
  return policies;
}

/** What each caller's own policy finds in this graph: the engine runs the caller-facing rules with it. */
export function withCallerFindings(facts: CallerImpactFacts, findings: Map<string, Finding[]>): CallerImpactFacts {
  return { ...facts, callerFindings: findings };
}
