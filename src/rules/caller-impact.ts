// caller-impact: what a change to a reusable workflow, or to an action, does to the workflows in other repositories
// that call it (or run it in a step), at their next run. Their calls come from the index of the installation's
// default branches (and of evaluated pull requests); a caller is reached by the merge when it names the branch the
// change merges into, later when it names a tag or another branch that moves to the change, and never when it pins a
// commit SHA. What GitHub would refuse (an input or secret contract broken, more permissions than the caller grants,
// a callee it cannot reach, too many levels) is an error for callers the merge reaches; the rest (a call the caller's
// own policy forbids, callers reached only when a ref moves, an action's inputs, which the runner does not enforce) a
// warning. On a public repository, callers in private repositories are counted, never named.
import type { CallerRecord, PassedValue } from '../callers/port.js';
import type { BaseVersion, CallerImpactFacts, Finding, FindingLocation, FindingSeverity, Rule, RuleContext } from '../engine/types.js';
import type { GraphEdge, GraphNode, NodeKey, RepoId, Visibility } from '../graph/types.js';
import { repoFullName, repoKey } from '../graph/types.js';
import { githubVisibilityTable } from '../policy/parse.js';
import type { ActionInput, ActionManifest, Workflow, WorkflowCallTrigger } from '../workflow/model.js';
import { listText, usesLocation } from './describe.js';
import { comparePermissions, parsePermissions, type PermissionSet } from './permissions.js';

type Context = RuleContext<'caller-impact'>;

/** How a caller meets the change: at the merge, or when the ref it names moves to it. */
type Reach = { kind: 'merge'; branch: string } | { kind: 'moves'; ref: string };

/**
 * What a harm does to a caller's run: GitHub fails it (an error when the merge reaches it); the caller's own policy
 * reports it; or, for an action's inputs, which the runner does not check, the step runs without a required one (the
 * action's code may fail) or with one the action no longer reads (the runner warns).
 */
type Effect = 'fails' | 'policy' | 'missing-action-input' | 'unexpected-action-input';

/** One way the change hurts callers, at one place of the changed file. */
interface Harm {
  /** Callers hurt the same way share it. */
  id: string;
  /** What changed, as the message opens. */
  what: string;
  effect: Effect;
  location: FindingLocation;
  chain: GraphEdge[];
  mentions: readonly RepoId[];
}

/** Callers listed by name in one finding; the rest are counted. */
const MAX_NAMED_CALLERS = 10;

export const CallerImpactRule: Rule<'caller-impact'> = {
  meta: {
    id: 'caller-impact',
    description: 'A change to a reusable workflow or an action does not break, or weaken, the workflows that call it from other repositories.',
    docs:
      'For each reusable workflow a pull request changes, the callers in other repositories (from the index of the ' +
      "installation's default branches and evaluated pull requests) are judged against the new version: a required " +
      'input or secret they do not pass, an input or secret they pass that is no longer declared, a literal input of the ' +
      'wrong type, more GITHUB_TOKEN permissions than they grant, a new call into a repository they cannot reach or ' +
      "past GitHub's level limit — GitHub fails those runs — and a new call their own policy forbids (allowed-sources, " +
      "pinning, max-depth). For each action a pull request changes (its action.yml), the steps running it: an input " +
      'the change makes required (no default) that they do not pass, an input the change removes that they pass — ' +
      "warnings, since the runner checks neither (the action's code fails, or the runner warns of an unexpected input) " +
      "— and a new step of a composite action that their own policy forbids or that their repository cannot reach. " +
      'Callers naming the branch the change merges into are reached by the merge (errors where GitHub would fail); ' +
      'callers naming a tag or another branch are reached when it moves (warnings); callers pinned to a commit SHA are ' +
      'not reached and only counted. On a public repository, callers in private or internal repositories are counted, ' +
      'not named.',
    fixable: false,
  },

  checkRoot(context, root) {
    const facts = context.impact;
    const callers = facts?.callers.get(root.key) ?? [];
    if (!facts || callers.length === 0) return;
    const harms = new Map<string, { harm: Harm; reach: Reach; callers: CallerRecord[] }>();
    for (const caller of callers) {
      const reach = reachOf(facts, caller);
      if (!reach) continue;
      for (const harm of harmsTo(context, facts, root, caller)) {
        const key = `${reachKey(reach)}\n${harm.id}`;
        const entry = harms.get(key) ?? { harm, reach, callers: [] };
        entry.callers.push(caller);
        harms.set(key, entry);
      }
    }
    for (const { harm, reach, callers: hurt } of harms.values()) report(context, root, harm, reach, hurt);
  },
};

/** Undefined for a caller the change never reaches: one pinned to a commit SHA. */
export function reachOf(facts: CallerImpactFacts, caller: CallerRecord): Reach | undefined {
  if (caller.refKind === 'sha') return undefined;
  return caller.ref === facts.branch ? { kind: 'merge', branch: caller.ref } : { kind: 'moves', ref: caller.ref };
}

function reachKey(reach: Reach): string {
  return reach.kind === 'merge' ? 'merge' : `moves\n${reach.ref}`;
}

function report(context: Context, root: GraphNode, harm: Harm, reach: Reach, callers: CallerRecord[]): void {
  const severity: FindingSeverity | undefined = harm.effect === 'fails' && reach.kind === 'merge' ? undefined : 'warning';
  const { named, hidden } = nameable(context, root, callers);
  const names = named.slice(0, MAX_NAMED_CALLERS).map(describeCaller);
  const more = named.length - names.length + hidden.length;
  const counted = more === 0 ? '' : ` and ${more} more${hidden.length > 0 ? ` (${hidden.length} in repositories this one may not name)` : ''}`;
  const whom = `${callers.length === 1 ? '1 caller' : `${callers.length} callers`}: ${names.length > 0 ? listText(names) : 'none named'}${counted}`;
  const when = reach.kind === 'merge' ? `once this merges into ${reach.branch}` : `once ${reach.ref} moves to this change`;
  context.report({
    ...(severity && { severity }),
    message: `${harm.what}, which hurts ${whom}. ${consequence(harm.effect, when)}.`,
    location: harm.location,
    chain: harm.chain,
    mentions: [...harm.mentions, ...named.map((caller) => caller.caller.repo)],
  });
}

function consequence(effect: Effect, when: string): string {
  switch (effect) {
    case 'fails':
      return `GitHub fails their runs ${when}`;
    case 'policy':
      return `Their own policy reports it ${when}`;
    case 'missing-action-input':
      return `GitHub's runner does not fail a step for a missing action input: it is the action's own code that fails without it, ${when}`;
    case 'unexpected-action-input':
      return `The runner warns of an unexpected input and the action ignores it, ${when}`;
  }
}

/**
 * Callers whose names the readers of this check may see: public ones; on a repository that is not public, also
 * those of its own owner. The rest are counted.
 */
function nameable(context: Context, root: GraphNode, callers: CallerRecord[]): { named: CallerRecord[]; hidden: CallerRecord[] } {
  const isPublic = context.repository.visibility === 'public';
  const owner = root.address.repo.owner.toLowerCase();
  const named: CallerRecord[] = [];
  const hidden: CallerRecord[] = [];
  for (const record of callers) {
    const visible = record.caller.visibility === 'public' || (!isPublic && record.caller.repo.owner.toLowerCase() === owner);
    (visible ? named : hidden).push(record);
  }
  return { named, hidden };
}

/** `octo-org/web .github/workflows/ci.yml:12 (job deploy, @main)`. */
function describeCaller(record: CallerRecord): string {
  const { caller } = record;
  const where = caller.source === 'default-branch' ? '' : `, ${caller.source.replace('/', ' #')}`;
  return `${repoFullName(caller.repo)} ${caller.path}:${caller.line} (job ${caller.jobId}, @${record.ref}${where})`;
}

// ---- What the change does to one caller -------------------------------------------------------------

function harmsTo(context: Context, facts: CallerImpactFacts, root: GraphNode, caller: CallerRecord): Harm[] {
  if (root.kind === 'action') return actionHarmsTo(context, facts, root, caller);
  const workflow = root.workflow;
  // A file GitHub rejects is reported by the rules about files; a caller would fail on it either way.
  if (!workflow || workflow.diagnostics.length > 0) return [];
  const trigger = workflow.on?.workflowCall;
  const at = (range: FindingLocation['range']): FindingLocation => ({ node: root.key, ...(range && { range }) });
  if (!trigger) {
    return [{ id: 'not-callable', what: 'This workflow no longer declares on: workflow_call', effect: 'fails', location: at(workflow.on?.range), chain: [], mentions: [] }];
  }
  const base = facts.base.get(root.key);
  return [
    ...inputHarms(trigger, base?.workflow?.on?.workflowCall, caller, at),
    ...secretHarms(trigger, caller, at),
    ...permissionHarms(workflow, root, caller),
    ...callHarms(context, facts, root, base, caller),
  ];
}

type At = (range: FindingLocation['range']) => FindingLocation;

function inputHarms(trigger: WorkflowCallTrigger, base: WorkflowCallTrigger | undefined, caller: CallerRecord, at: At): Harm[] {
  const passed = new Map(Object.entries(caller.inputs ?? {}).map(([name, value]) => [name.toLowerCase(), { name, value }]));
  const harms: Harm[] = [];
  for (const input of trigger.inputs) {
    const given = passed.get(input.name.toLowerCase());
    const type = input.type?.value ?? 'string';
    if (given === undefined) {
      if (input.required && input.default === undefined) {
        harms.push({ id: `input-required\n${input.name}`, what: `Input ${input.name} (${type}) is required and has no default, but is not passed`, effect: 'fails', location: at(input.range), chain: [], mentions: [] });
      }
      continue;
    }
    const before = base?.inputs.find((candidate) => candidate.name.toLowerCase() === input.name.toLowerCase())?.type?.value;
    if (!fits(type, given.value)) {
      harms.push({ id: `input-type\n${input.name}\n${type}\n${given.value}`, what: `Input ${input.name} is a ${type}, but ${article(given.value)} ${given.value} is passed`, effect: 'fails', location: at(input.type?.range ?? input.range), chain: [], mentions: [] });
    } else if (given.value === 'expression' && before !== undefined && before !== type) {
      harms.push({ id: `input-retyped\n${input.name}`, what: `Input ${input.name} changes from ${before} to ${type}, and an expression GitHub checks only at run time is passed`, effect: 'policy', location: at(input.type?.range ?? input.range), chain: [], mentions: [] });
    }
  }
  const declared = new Set(trigger.inputs.map((input) => input.name.toLowerCase()));
  for (const { name } of passed.values()) {
    if (declared.has(name.toLowerCase())) continue;
    harms.push({ id: `input-undeclared\n${name.toLowerCase()}`, what: `Input ${name} is not declared (any more), but is passed`, effect: 'fails', location: at(trigger.range), chain: [], mentions: [] });
  }
  return harms;
}

/** GitHub converts numbers and booleans to text for a string input, never a string to a number or a boolean. */
function fits(type: string, value: PassedValue): boolean {
  if (value === 'expression' || value === 'null' || !['string', 'number', 'boolean'].includes(type)) return true;
  return type === 'string' ? value !== 'other' : value === type;
}

function article(value: PassedValue): string {
  return value === 'expression' || value === 'other' ? 'an' : 'a';
}

function secretHarms(trigger: WorkflowCallTrigger, caller: CallerRecord, at: At): Harm[] {
  if (caller.secrets === 'inherit') return [];
  const passed = new Set((caller.secrets ?? []).map((name) => name.toLowerCase()));
  const harms: Harm[] = [];
  for (const secret of trigger.secrets) {
    if (secret.required && !passed.has(secret.name.toLowerCase())) {
      harms.push({ id: `secret-required\n${secret.name}`, what: `Secret ${secret.name} is required, but is not passed`, effect: 'fails', location: at(secret.range), chain: [], mentions: [] });
    }
  }
  const declared = new Set(trigger.secrets.map((secret) => secret.name.toLowerCase()));
  for (const name of caller.secrets ?? []) {
    if (declared.has(name.toLowerCase())) continue;
    harms.push({ id: `secret-undeclared\n${name.toLowerCase()}`, what: `Secret ${name} is not declared (any more), but is passed`, effect: 'fails', location: at(trigger.range), chain: [], mentions: [] });
  }
  return harms;
}

/**
 * What a change to an action does to a step running it. The runner checks no input, so an action may already declare
 * as required an input its callers leave out, and callers may pass inputs it never declared: only what the change
 * itself makes required, or removes, is reported (everything, when the version before could not be read).
 */
function actionHarmsTo(context: Context, facts: CallerImpactFacts, root: GraphNode, caller: CallerRecord): Harm[] {
  const action = root.action;
  // A file the runner rejects is reported by the rules about files.
  if (!action || action.diagnostics.length > 0) return [];
  const base = facts.base.get(root.key);
  return [...actionInputHarms(root, action, base?.action, caller), ...callHarms(context, facts, root, base, caller)];
}

function actionInputHarms(root: GraphNode, action: ActionManifest, base: ActionManifest | undefined, caller: CallerRecord): Harm[] {
  // A record indexed before steps' inputs were: what the step passes is not known.
  if (caller.inputs === undefined) return [];
  const passed = Object.keys(caller.inputs);
  const passes = new Set(passed.map((name) => name.toLowerCase()));
  const declared = new Map((action.inputs ?? []).map((input) => [input.name.toLowerCase(), input]));
  const before = new Map((base?.inputs ?? []).map((input) => [input.name.toLowerCase(), input]));
  const harms: Harm[] = [];
  for (const input of declared.values()) {
    const was = before.get(input.name.toLowerCase());
    if (!mustPass(input) || passes.has(input.name.toLowerCase()) || (base && was && mustPass(was))) continue;
    harms.push({
      id: `action-input-required\n${input.name.toLowerCase()}`,
      what: `Input ${input.name} is now required and has no default, but is not passed`,
      effect: 'missing-action-input',
      location: { node: root.key, range: input.range },
      chain: [],
      mentions: [],
    });
  }
  for (const name of passed) {
    if (declared.has(name.toLowerCase()) || (base && !before.has(name.toLowerCase()))) continue;
    harms.push({
      id: `action-input-undeclared\n${name.toLowerCase()}`,
      what: `Input ${name} is no longer declared, but is passed`,
      effect: 'unexpected-action-input',
      location: { node: root.key, range: FIRST_LINE },
      chain: [],
      mentions: [],
    });
  }
  return harms;
}

/** An input a step must pass for the action to have it: required, with no default to fall back on. */
function mustPass(input: ActionInput): boolean {
  return input.required && input.default === undefined;
}

/** Where a finding about the whole file points: an input no longer declared has no place left in it. */
const FIRST_LINE = { start: { line: 1, column: 1 }, end: { line: 1, column: 1 } };

/** What the workflow's jobs ask for, against what the calling job grants (nothing to compare when it grants the default). */
function permissionHarms(workflow: Workflow, root: GraphNode, caller: CallerRecord): Harm[] {
  if (caller.grant === undefined) return [];
  const grant: PermissionSet =
    typeof caller.grant === 'string' ? { scopes: new Map(), rest: caller.grant === 'read-all' ? 'read' : 'write' } : { scopes: new Map(Object.entries(caller.grant)), rest: 'none' };
  const harms: Harm[] = [];
  for (const job of workflow.jobs) {
    const permissions = job.permissions ?? workflow.permissions;
    if (permissions === undefined) continue;
    const excess = comparePermissions(parsePermissions(permissions), grant);
    if (excess.length === 0) continue;
    const scopes = excess.map((each) => `${each.scope}: ${each.requested}`);
    harms.push({
      id: `permissions\n${job.id}\n${scopes.join(',')}`,
      what: `Job ${job.id} asks for ${listText(scopes)}, more GITHUB_TOKEN permissions than granted`,
      effect: 'fails',
      location: job.permissions ? { node: root.key, jobId: job.id, key: 'permissions' } : { node: root.key, key: 'permissions' },
      chain: [],
      mentions: [],
    });
  }
  return harms;
}

// ---- New calls ----------------------------------------------------------------------------------------

/** The calls and steps' actions of the workflow (or composite action) that the version before the change did not make. */
function newEdges(context: Context, root: GraphNode, base: BaseVersion | undefined): GraphEdge[] {
  const before = new Set<string>();
  for (const job of base?.workflow?.jobs ?? []) {
    if (job.uses) before.add(`workflow\n${job.uses.value}`);
    for (const step of job.steps) if (step.uses) before.add(`action\n${step.uses.value}`);
  }
  const runs = base?.action?.runs;
  for (const step of runs?.using === 'composite' ? runs.steps : []) if (step.uses) before.add(`action\n${step.uses.value}`);
  return context.graph.edges.filter((edge) => edge.from === root.key && !before.has(`${edge.kind}\n${edge.uses.raw}`));
}

function callHarms(context: Context, facts: CallerImpactFacts, root: GraphNode, base: BaseVersion | undefined, caller: CallerRecord): Harm[] {
  const added = newEdges(context, root, base);
  if (added.length === 0) return [];
  const isNew = (chain: readonly GraphEdge[]): boolean => chain[0] !== undefined && added.includes(chain[0]);
  const harms: Harm[] = [];
  for (const finding of facts.callerFindings.get(repoKey(caller.caller.repo)) ?? []) {
    if (finding.root !== root.key || !isNew(finding.chain)) continue;
    harms.push(policyHarm(root, finding));
  }
  harms.push(...reachHarms(context, root, added, caller.caller.visibility));
  // A composite action's steps add no workflow level.
  if (root.kind === 'action') return harms;
  const stats = context.graph.stats.get(root.key);
  const levels = (stats?.levels ?? 1) + 1;
  const limit = facts.callerLevels.get(repoKey(caller.caller.repo));
  const longest = added[0];
  if (stats && longest && levels > context.graph.limits.maxLevels) {
    harms.push({ id: 'levels', what: `The new calls make a chain of ${levels} workflow levels from its callers, above GitHub's limit of ${context.graph.limits.maxLevels}`, effect: 'fails', location: usesLocation({ caller: root, edge: longest }), chain: [longest], mentions: [] });
  } else if (stats && longest && limit !== undefined && levels > limit) {
    harms.push({ id: `max-depth\n${limit}`, what: `The new calls make a chain of ${levels} workflow levels from its callers, above their policy's max-depth of ${limit}`, effect: 'policy', location: usesLocation({ caller: root, edge: longest }), chain: [longest], mentions: [] });
  }
  return harms;
}

function policyHarm(root: GraphNode, finding: Finding): Harm {
  const first = finding.chain[0]!;
  return {
    id: `policy\n${finding.ruleId}\n${finding.message}`,
    what: `A call this change adds breaks the callers' own ${finding.ruleId} rule (${finding.message.replace(/\.$/, '')})`,
    effect: 'policy',
    location: usesLocation({ caller: root, edge: first }),
    chain: finding.chain,
    mentions: finding.mentions,
  };
}

/** A new call into a repository the caller's visibility cannot reach: GitHub fails the caller's whole run. */
function reachHarms(context: Context, root: GraphNode, added: GraphEdge[], callerVisibility: Visibility): Harm[] {
  const harms: Harm[] = [];
  const allowed = githubVisibilityTable()[callerVisibility];
  const seen = new Set<NodeKey>();
  const queue: { edge: GraphEdge; chain: GraphEdge[] }[] = added.map((edge) => ({ edge, chain: [edge] }));
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const target = next.edge.to === undefined ? undefined : context.graph.nodes.get(next.edge.to);
    if (!target || seen.has(target.key)) continue;
    seen.add(target.key);
    const metadata = context.graph.repos.get(repoKey(target.address.repo));
    const visibility = metadata && 'visibility' in metadata ? metadata.visibility : undefined;
    if (visibility !== undefined && !allowed.includes(visibility) && repoKey(target.address.repo) !== repoKey(root.address.repo)) {
      harms.push({
        id: `visibility\n${target.key}\n${callerVisibility}`,
        what: `A call this change adds reaches ${next.edge.uses.raw} in ${visibility === 'internal' ? 'an' : 'a'} ${visibility} repository, which workflows in ${callerVisibility} repositories cannot call`,
        effect: 'fails',
        location: usesLocation({ caller: root, edge: next.chain[0]! }),
        chain: next.chain,
        mentions: [target.address.repo],
      });
      continue;
    }
    for (const edge of context.graph.edges) if (edge.from === target.key) queue.push({ edge, chain: [...next.chain, edge] });
  }
  return harms;
}
