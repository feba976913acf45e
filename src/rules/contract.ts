// Rule `contract`: a call must respect what GitHub checks before it runs anything — a reference it can
// resolve, only the job keywords allowed beside `uses:`, a callee that declares `on: workflow_call`, and
// the callee's inputs and secrets. Source: "Reusing workflows" and "Reusable workflows reference"
// (../shared/reference), "Supported keywords for jobs that call a reusable workflow".
import type { ActionVisit, EdgeVisit, Finding, Rule, RuleContext } from '../engine/types.js';
import { isGitHubCloud } from '../graph/limits.js';
import type { Concurrency, Located, Workflow, WorkflowCallInput, WorkflowCallTrigger } from '../workflow/model.js';
import { chainMentions, describeCall, listText, usesLocation } from './describe.js';

// ---- The rule ---------------------------------------------------------------------------------------

/** A file with hundreds of YAML errors needs its first few fixed, not hundreds of annotations. */
const MAX_ROOT_DIAGNOSTICS = 20;

/** "Supported keywords for jobs that call a reusable workflow". */
const CALLING_JOB_KEYS: readonly string[] = ['name', 'uses', 'with', 'secrets', 'strategy', 'needs', 'if', 'concurrency', 'permissions'];
const ALLOWED_KEYS: ReadonlySet<string> = new Set(CALLING_JOB_KEYS);
const TYPED_INPUTS: ReadonlySet<string> = new Set(['string', 'number', 'boolean']);
const MAX_NORMALIZED_GROUP = 1000;

type Report = Omit<Finding, 'ruleId' | 'severity' | 'root' | 'chain' | 'mentions'> & Partial<Pick<Finding, 'severity'>>;

/** One call being checked: what every finding about it shares. */
interface Call {
  visit: EdgeVisit;
  /** The call as messages name it. */
  call: string;
  report(finding: Report): void;
}

export const ContractRule: Rule<'contract'> = {
  meta: {
    id: 'contract',
    description: 'Calls and steps must match what GitHub accepts: reference, job keywords, workflow_call, inputs and secrets, action metadata.',
    docs:
      'GitHub rejects a call before anything runs when its uses: is not a reusable-workflow reference (a file directly ' +
      'in .github/workflows, an @ref for other repositories, no expressions), when the calling job sets keywords other ' +
      'than name, uses, with, secrets, strategy, needs, if, concurrency and permissions, when the called file does not ' +
      'parse or lacks on: workflow_call, when a required input (without a default) or a required secret is missing ' +
      '(secrets: inherit passes every secret), or when an input or secret is passed that the callee does not declare. ' +
      'Input and secret names compare case-insensitively, as GitHub contexts do. Literal input values must have the ' +
      "declared type: GitHub converts numbers and booleans to strings for string inputs, but never converts a string — a " +
      'quoted "true" or "42" fails a boolean or number input (values with ${{ }} expressions are checked by GitHub at run ' +
      'time, not here). It also warns when the calling job and the called workflow use the same concurrency group with ' +
      "cancel-in-progress: true: the called workflow sees its caller's github.workflow, so the called job cancels the caller.",
    fixable: true,
  },
  checkRoot(context, root) {
    // A top-level file GitHub cannot read as written fails before any call: every problem, at its place.
    for (const diagnostic of (root.workflow ?? root.action)?.diagnostics.slice(0, MAX_ROOT_DIAGNOSTICS) ?? []) {
      context.report({
        message: `GitHub cannot run this ${root.kind} as written: ${diagnostic.message}`,
        location: { node: root.key, range: diagnostic.range },
        chain: [],
        mentions: [root.address.repo],
      });
    }
  },
  checkEdge(context, visit) {
    // Most calls keep their contract: what a finding says is built only for one.
    const call: Call = {
      visit,
      get call() {
        return describeCall(context.graph, visit.edge, visit.chain);
      },
      report: (finding) => context.report({ ...finding, chain: visit.chain, mentions: chainMentions(context.graph, visit.chain) }),
    };
    checkReference(call);
    checkJobKeys(call);
    const workflow = visit.callee?.workflow;
    const trigger = workflow && callableTrigger(call, workflow);
    if (!workflow || !trigger) return;
    checkInputs(call, trigger);
    checkSecrets(call, trigger);
    checkConcurrency(call, workflow);
  },
  checkAction(context, visit) {
    checkStepAction(context, visit);
  },
};

/**
 * A step's action: GitHub rejects the workflow when the reference is not one it can read (an expression, no @ref,
 * `$/` on GitHub Enterprise Server, where the syntax does not exist), and fails the step when the action's own
 * metadata file is broken.
 */
function checkStepAction(context: RuleContext<'contract'>, visit: ActionVisit): void {
  const reference = visit.edge.uses.reference;
  const report = (message: (call: string) => string): void =>
    context.report({
      location: usesLocation(visit),
      chain: visit.chain,
      mentions: chainMentions(context.graph, visit.chain),
      message: message(describeCall(context.graph, visit.edge, visit.chain)),
    });
  if (reference.kind === 'invalid') {
    report((call) => `${call} is not a valid action reference: ${reference.message}`);
    return;
  }
  if (reference.kind === 'local-action' && reference.syntax === '$/' && !isGitHubCloud(context.graph.host)) {
    report(
      (call) =>
        `${call} uses the $/ self-repository syntax, which GitHub Enterprise Server does not support (${context.graph.host}): write ./${reference.path} after a checkout, or owner/repo/path@ref.`,
    );
    return;
  }
  const problem = visit.callee?.action?.diagnostics[0];
  if (!problem) return;
  const others = (visit.callee?.action?.diagnostics.length ?? 1) - 1;
  const more = others > 0 ? `; ${others} more problem${others > 1 ? 's' : ''}` : '';
  report(
    (call) =>
      `${call} cannot run: GitHub rejects the action's ${visit.callee?.address.path ?? 'action.yml'} (line ${problem.range.start.line}: ${problem.message.replace(/\.$/, '')}${more}).`,
  );
}

function at(visit: EdgeVisit, key?: string, name?: string): Finding['location'] {
  return {
    node: visit.edge.from,
    jobId: visit.edge.jobId,
    ...(key !== undefined && { key }),
    ...(name !== undefined && { name }),
  };
}

function checkReference({ visit, call, report }: Call): void {
  const reference = visit.edge.uses.reference;
  if (reference.kind !== 'invalid') return;
  report({ message: `${call} is not a valid call: ${reference.message}`, location: at(visit, 'uses') });
}

/** One finding per keyword GitHub does not allow beside `uses:`, at that keyword. */
function checkJobKeys({ visit, call, report }: Call): void {
  const extra = [...new Set(visit.callerJob.keys.map((key) => key.value))].filter((key) => !ALLOWED_KEYS.has(key));
  for (const key of extra) {
    report({
      message:
        `The job calling ${call} also sets ${key}, which GitHub does not allow beside uses, so it rejects the workflow. ` +
        `A calling job takes only ${listText(CALLING_JOB_KEYS)}.`,
      location: at(visit, key),
      fix: { kind: 'remove-keys', node: visit.edge.from, jobId: visit.edge.jobId, keys: [key] },
    });
  }
}

/** The callee's `workflow_call` trigger, or a finding saying why GitHub cannot call the file. */
function callableTrigger({ visit, call, report }: Call, workflow: Workflow): WorkflowCallTrigger | undefined {
  const problem = workflow.diagnostics[0];
  if (problem) {
    const others = workflow.diagnostics.length - 1;
    const more = others > 0 ? `; ${others} more problem${others > 1 ? 's' : ''}` : '';
    const text = problem.message.replace(/\.$/, '');
    report({
      message: `${call} cannot be called: GitHub rejects the file it names (line ${problem.range.start.line}: ${text}${more}).`,
      location: at(visit, 'uses'),
    });
    return undefined;
  }
  const trigger = workflow.on?.workflowCall;
  if (!trigger) {
    report({
      message: `${call} cannot be called: its on: does not include workflow_call, which GitHub requires of a reusable workflow.`,
      location: at(visit, 'uses'),
    });
  }
  return trigger;
}

function byLowerName<T extends { name: string }>(items: readonly T[]): Map<string, T> {
  return new Map(items.map((item) => [item.name.toLowerCase(), item]));
}

function checkInputs(check: Call, trigger: WorkflowCallTrigger): void {
  const { visit, call, report } = check;
  const passed = visit.callerJob.with?.entries ?? {};
  const passedNames = new Set(Object.keys(passed).map((name) => name.toLowerCase()));
  const declared = byLowerName(trigger.inputs);
  const missing = trigger.inputs.filter((input) => input.required && !input.default && !passedNames.has(input.name.toLowerCase()));
  if (missing.length > 0) {
    const names = listText(missing.map((input) => `${input.name} (${inputType(input)})`));
    report({
      message: `${call} requires input${missing.length > 1 ? 's' : ''} ${names}, not passed in with:, so GitHub fails the call.`,
      location: at(visit, visit.callerJob.with ? 'with' : 'uses'),
      fix: {
        kind: 'add-inputs',
        node: visit.edge.from,
        jobId: visit.edge.jobId,
        inputs: missing.map((input) => ({
          name: input.name,
          type: inputType(input),
          ...(input.description !== undefined && { description: input.description }),
        })),
      },
    });
  }
  for (const [name, value] of Object.entries(passed)) {
    const input = declared.get(name.toLowerCase());
    if (!input) {
      const known = trigger.inputs.length > 0 ? `It declares ${listText(trigger.inputs.map((each) => each.name))}.` : 'It declares no inputs.';
      report({ message: `${call} declares no input ${name}, so GitHub rejects the call. ${known}`, location: at(visit, 'with', name) });
    } else {
      checkLiteralType(check, name, input, value);
    }
  }
}

/** GitHub requires `type`; a file without one is reported by GitHub itself, and the fix still needs a type. */
function inputType(input: WorkflowCallInput): string {
  return input.type?.value ?? 'string';
}

/**
 * GitHub converts a number or boolean to text for a string input, but never converts a string: a quoted
 * `"true"` for a boolean input fails with "Unexpected value 'true'". Expressions are left to run time.
 */
function checkLiteralType({ visit, call, report }: Call, name: string, input: WorkflowCallInput, value: Located<unknown>): void {
  const type = input.type?.value;
  const literal = value.value;
  if (type === undefined || !TYPED_INPUTS.has(type) || literal === null) return;
  if (typeof literal === 'string' && literal.includes('${{')) return;
  const fits = type === 'string' ? ['string', 'number', 'boolean'].includes(typeof literal) : typeof literal === type;
  if (fits) return;
  const hint = typeof literal === 'string' && type !== 'string' ? ` GitHub does not convert strings to ${type}s: remove the quotes.` : '';
  report({
    message: `Input ${input.name} of ${call} is a ${type}, but with: passes ${describeValue(literal)}, so GitHub rejects the call.${hint}`,
    location: at(visit, 'with', name),
  });
}

function describeValue(value: unknown): string {
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object' && value !== null) return 'a mapping';
  return `the ${typeof value} ${String(value)}`;
}

function checkSecrets({ visit, call, report }: Call, trigger: WorkflowCallTrigger): void {
  const secrets = visit.callerJob.secrets;
  if (secrets?.kind === 'inherit') return;
  const passed = secrets?.entries ?? {};
  const passedNames = new Set(Object.keys(passed).map((name) => name.toLowerCase()));
  const missing = trigger.secrets.filter((secret) => secret.required && !passedNames.has(secret.name.toLowerCase()));
  if (missing.length > 0) {
    const names = missing.map((secret) => secret.name);
    report({
      message: `${call} requires secret${names.length > 1 ? 's' : ''} ${listText(names)}, not passed in secrets:, so GitHub fails the call.`,
      location: at(visit, secrets ? 'secrets' : 'uses'),
      fix: { kind: 'add-secrets', node: visit.edge.from, jobId: visit.edge.jobId, secrets: names },
    });
  }
  const declared = byLowerName(trigger.secrets);
  for (const name of Object.keys(passed)) {
    if (declared.has(name.toLowerCase())) continue;
    const known = trigger.secrets.length > 0 ? `It declares ${listText(trigger.secrets.map((each) => each.name))}.` : 'It declares no secrets.';
    report({ message: `${call} declares no secret ${name}, so GitHub rejects the call. ${known}`, location: at(visit, 'secrets', name) });
  }
}

// ---- Concurrency --------------------------------------------------------------------------------------

interface ConcurrencyUse {
  /** The group with expressions normalised, `github.job` bound to the job it is evaluated in. */
  group: string;
  written: string;
  /** Where it is written, as messages name it (`job build of the called workflow`). */
  where: string;
}

/**
 * GitHub's note on calling jobs: the called workflow sees its caller's `github.workflow`, so the same
 * group with `cancel-in-progress: true` on both sides makes the called workflow cancel its caller.
 * The calling job's own group and its workflow's group both hold the caller.
 */
function checkConcurrency({ visit, call, report }: Call, callee: Workflow): void {
  const callerUses = [
    cancellingGroup(visit.callerJob.concurrency, visit.edge.jobId, `The job calling ${call}`),
    cancellingGroup(visit.caller.workflow?.concurrency, undefined, `The workflow of the job calling ${call}`),
  ];
  const calleeUses = [
    cancellingGroup(callee.concurrency, undefined, 'the called workflow'),
    ...callee.jobs.map((job) => cancellingGroup(job.concurrency, job.id, `job ${job.id} of the called workflow`)),
  ];
  for (const caller of callerUses) {
    const clash = caller && calleeUses.find((use) => use?.group === caller.group);
    if (!caller || !clash) continue;
    report({
      severity: 'warning',
      message:
        `${caller.where} and ${clash.where} both use concurrency group ${caller.written} with cancel-in-progress: true. ` +
        "A called workflow sees its caller's github.workflow, so the group is the same and starting the called workflow cancels the caller.",
      location: at(visit, caller === callerUses[0] ? 'concurrency' : undefined),
    });
    return;
  }
}

function cancellingGroup(concurrency: Concurrency | undefined, jobId: string | undefined, where: string): ConcurrencyUse | undefined {
  const written = concurrency?.group?.value;
  if (written === undefined || concurrency?.cancelInProgress?.value !== true) return undefined;
  return { group: normalizeGroup(written, jobId), written, where };
}

/**
 * `${{github.workflow}}` and `${{ github.workflow }}` are one group; `github.job` differs per job. Groups
 * longer than any real one are compared as written: the scan below is quadratic on hostile text.
 */
function normalizeGroup(group: string, jobId: string | undefined): string {
  if (group.length > MAX_NORMALIZED_GROUP) return group;
  return group.replace(/\$\{\{([^}]*)\}\}/g, (_match, expression: string) => {
    const bound = expression.trim().replace(/\s+/g, ' ').replace(/\bgithub\.job\b/gi, `github.job(${jobId ?? ''})`);
    return `\${{ ${bound} }}`;
  });
}
