// The callee side: a change to octo-org/shared's deploy.yml judged against its callers in other repositories, as the
// reverse index records them, through the engine with the GraphQL imitation behind it.
import nock from 'nock';
import { callerRecords } from '../../src/callers/extract.js';
import { MemoryCallerIndex } from '../../src/callers/memory.js';
import type { CallerRecord } from '../../src/callers/port.js';
import { runEvaluation } from '../../src/engine/run.js';
import type { Policy } from '../../src/policy/types.js';
import type { RepoMetadata, Visibility } from '../../src/graph/types.js';
import { parseWorkflow } from '../../src/workflow/parse.js';
import { FakeGitHub } from '../support/fake-github.js';
import { findingView, type FindingView } from '../support/findings.js';
import { buildWorld, githubSource, repoId } from '../support/graph.js';
import { policyFrom } from '../support/policy.js';
import { action, wf } from '../support/workflows.js';

const SHARED = 'octo-org/shared';
const DEPLOY = wf('deploy');
const SCOPE = 'github.com#1';
const NOW = new Date('2026-08-01T00:00:00Z');

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

const BEFORE = 'on:\n  workflow_call:\n    inputs:\n      target: { type: string, required: false }\n      verbose: { type: boolean }\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n';

/** A caller's workflow calling deploy.yml at `ref`, passing `inputs` (YAML text after `with:`). */
function callerFile(ref: string, inputs = ''): string {
  return `on: push\njobs:\n  release:\n    uses: ${SHARED}/${DEPLOY}@${ref}\n${inputs === '' ? '' : `    with:\n${inputs}`}`;
}

interface CallerSpec {
  repo: string;
  visibility?: Visibility;
  text: string;
  /** The caller's own policy; the organization's when absent. */
  policy?: string;
}

async function evaluate(head: string, callers: CallerSpec[], options: { visibility?: Visibility; base?: string; extra?: (gh: FakeGitHub) => void } = {}): Promise<FindingView[]> {
  // One imitation per evaluation: a test may evaluate twice.
  nock.cleanAll();
  const gh = new FakeGitHub();
  options.extra?.(gh);
  const { commits } = buildWorld({ [SHARED]: { visibility: options.visibility ?? 'private', files: { [DEPLOY]: head } } }, gh);
  gh.intercept();
  const index = new MemoryCallerIndex();
  for (const caller of callers) {
    const records = callerRecords({ repo: repoId(caller.repo), visibility: caller.visibility ?? 'private', commit: 'c'.repeat(40), branch: 'main', source: 'default-branch', workflows: [parseWorkflow(caller.text, wf('ci'))] });
    await index.replace(SCOPE, repoId(caller.repo), 'default-branch', records);
  }
  const policies = new Map(callers.map((caller) => [caller.repo, policyFrom(caller.policy ?? 'version: 1\n')]));
  const repository: RepoMetadata = { repo: repoId(SHARED), visibility: options.visibility ?? 'private', archived: false, defaultBranch: 'main' };
  const run = await runEvaluation({
    roots: [{ repo: repoId(SHARED), path: DEPLOY, commit: commits[SHARED]! }],
    repository,
    policy: policyFrom('version: 1\n'),
    source: githubSource(),
    now: NOW,
    callers: {
      index,
      scope: SCOPE,
      branch: 'main',
      readBase: async () => new Map([[DEPLOY, options.base ?? BEFORE]]),
      policyOf: async (record: CallerRecord): Promise<Policy | undefined> => policies.get(`${record.caller.repo.owner}/${record.caller.repo.name}`),
    },
  });
  return run.evaluation.findings.filter((finding) => finding.ruleId === 'caller-impact').map(findingView);
}

const at = (line: number, startColumn: number, endLine: number, endColumn: number) => ({ start: { line, column: startColumn }, end: { line: endLine, column: endColumn } });

describe('caller-impact', () => {
  it('a new required input fails, at the input, naming the callers that do not pass it (file:line, job, ref)', async () => {
    const head = 'on:\n  workflow_call:\n    inputs:\n      target: { type: string, required: false }\n      environment: { type: string, required: true }\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n';
    const findings = await evaluate(head, [
      { repo: 'octo-org/web', text: callerFile('main', '      target: all\n') },
      { repo: 'octo-org/api', text: callerFile('main', '      environment: prod\n') },
      { repo: 'octo-org/pinned', text: callerFile('0123456789abcdef0123456789abcdef01234567') },
    ]);
    expect(findings).toEqual([
      {
        ruleId: 'caller-impact',
        severity: 'error',
        message:
          'Input environment (string) is required and has no default, but is not passed, which hurts 1 caller: octo-org/web .github/workflows/ci.yml:4 (job release, @main). ' +
          'GitHub fails their runs once this merges into main.',
        location: { node: expect.stringMatching(/^octo-org\/shared\/\.github\/workflows\/deploy\.yml@/) as unknown as string, range: at(5, 7, 5, 18) },
        chain: [],
        mentions: ['octo-org/web'],
      },
    ]);
  });

  it('an input callers pass is removed; a caller by a tag is reached when the tag moves (a warning)', async () => {
    const head = 'on:\n  workflow_call:\n    inputs:\n      target: { type: string }\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n';
    const findings = await evaluate(head, [
      { repo: 'octo-org/web', text: callerFile('main', '      verbose: true\n') },
      { repo: 'octo-org/old', text: callerFile('v1', '      verbose: true\n') },
    ]);
    expect(findings.map((finding) => [finding.severity, finding.message])).toEqual([
      ['error', 'Input verbose is not declared (any more), but is passed, which hurts 1 caller: octo-org/web .github/workflows/ci.yml:4 (job release, @main). GitHub fails their runs once this merges into main.'],
      ['warning', 'Input verbose is not declared (any more), but is passed, which hurts 1 caller: octo-org/old .github/workflows/ci.yml:4 (job release, @v1). GitHub fails their runs once v1 moves to this change.'],
    ]);
  });

  it('a new third-party call is a warning for the one caller whose own policy forbids it', async () => {
    const head = 'on: workflow_call\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: stranger/tool@v1\n';
    const findings = await evaluate(
      head,
      [
        { repo: 'octo-org/strict', text: callerFile('main'), policy: 'version: 1\nrules:\n  allowed-sources: { allow: ["octo-org/*"] }\n' },
        { repo: 'octo-org/lax', text: callerFile('main') },
      ],
      { extra: (gh) => buildWorld({ 'stranger/tool': { files: { 'action.yml': action() }, tags: { v1: {} } } }, gh) },
    );
    expect(findings).toEqual([
      expect.objectContaining({
        severity: 'warning',
        location: expect.objectContaining({ jobId: 'deploy', step: 0, key: 'uses' }) as unknown as FindingView['location'],
        mentions: [SHARED, 'stranger/tool', 'octo-org/strict'],
        message:
          "A call this change adds breaks the callers' own allowed-sources rule (stranger/tool@v1 matches no pattern in rules.allowed-sources.allow: only actions the organization allows may run, transitive uses included), " +
          'which hurts 1 caller: octo-org/strict .github/workflows/ci.yml:4 (job release, @main). Their own policy reports it once this merges into main.',
        chain: ['stranger/tool@v1'],
      }),
    ]);
  });

  it('a public workflow’s change counts its private callers, never names them', async () => {
    const head = 'on:\n  workflow_call:\n    secrets:\n      token: { required: true }\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n';
    const findings = await evaluate(
      head,
      [
        { repo: 'octo-org/secret-app', visibility: 'private', text: callerFile('main') },
        { repo: 'someone/public-app', visibility: 'public', text: callerFile('main') },
      ],
      { visibility: 'public' },
    );
    expect(findings.map((finding) => [finding.message, finding.mentions])).toEqual([
      [
        'Secret token is required, but is not passed, which hurts 2 callers: someone/public-app .github/workflows/ci.yml:4 (job release, @main) and 1 more (1 in repositories this one may not name). GitHub fails their runs once this merges into main.',
        ['someone/public-app'],
      ],
    ]);
    expect(JSON.stringify(findings)).not.toContain('secret-app');
  });

  it('more permissions than a caller grants, and a workflow no longer callable', async () => {
    const asking = 'on: workflow_call\npermissions:\n  contents: write\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n';
    const granting = `on: push\npermissions:\n  contents: read\njobs:\n  release:\n    uses: ${SHARED}/${DEPLOY}@main\n`;
    expect((await evaluate(asking, [{ repo: 'octo-org/web', text: granting }])).map((finding) => finding.message)).toEqual([
      'Job deploy asks for contents: write, more GITHUB_TOKEN permissions than granted, which hurts 1 caller: octo-org/web .github/workflows/ci.yml:6 (job release, @main). GitHub fails their runs once this merges into main.',
    ]);
    const notCallable = 'on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n';
    expect((await evaluate(notCallable, [{ repo: 'octo-org/web', text: callerFile('main') }])).map((finding) => finding.message)).toEqual([
      'This workflow no longer declares on: workflow_call, which hurts 1 caller: octo-org/web .github/workflows/ci.yml:4 (job release, @main). GitHub fails their runs once this merges into main.',
    ]);
  });
});

it('SHA-pinned callers are never reached: nothing to report', async () => {
  const head = 'on:\n  workflow_call:\n    inputs:\n      environment: { type: string, required: true }\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n';
  expect(await evaluate(head, [{ repo: 'octo-org/pinned', text: callerFile('0123456789abcdef0123456789abcdef01234567') }])).toEqual([]);
});

describe('caller-impact of a change to an action (its action.yml)', () => {
  const SETUP = 'setup/action.yml';
  const PINNED = '0123456789abcdef0123456789abcdef01234567';
  const BASE_ACTION = "name: setup\ninputs:\n  node:\n    required: true\n  verbose:\n    default: 'false'\nruns:\n  using: composite\n  steps:\n    - run: make\n      shell: bash\n";

  /** A caller's workflow running octo-org/shared/setup at `ref` in step 0 of job build (line 6), passing `inputs` (YAML text after `with:`). */
  function stepCaller(ref: string, inputs = ''): string {
    return `on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: ${SHARED}/setup@${ref}\n${inputs === '' ? '' : `        with:\n${inputs}`}`;
  }

  /** `unindexedInputs`: callers whose records are as written before steps' inputs were indexed (no `inputs`). */
  async function evaluateAction(head: string, callers: CallerSpec[], options: { extra?: (gh: FakeGitHub) => void; unindexedInputs?: string[] } = {}): Promise<{ findings: FindingView[]; callers: number }> {
    nock.cleanAll();
    const gh = new FakeGitHub();
    options.extra?.(gh);
    const { commits } = buildWorld({ [SHARED]: { visibility: 'private', files: { [SETUP]: head } } }, gh);
    gh.intercept();
    const index = new MemoryCallerIndex();
    for (const caller of callers) {
      const records = callerRecords({ repo: repoId(caller.repo), visibility: caller.visibility ?? 'private', commit: 'c'.repeat(40), branch: 'main', source: 'default-branch', workflows: [parseWorkflow(caller.text, wf('ci'))] });
      const written = options.unindexedInputs?.includes(caller.repo) ? records.map(({ inputs: _inputs, ...record }) => record) : records;
      await index.replace(SCOPE, repoId(caller.repo), 'default-branch', written);
    }
    const policies = new Map(callers.map((caller) => [caller.repo, policyFrom(caller.policy ?? 'version: 1\n')]));
    const run = await runEvaluation({
      roots: [{ kind: 'action', repo: repoId(SHARED), path: SETUP, commit: commits[SHARED]! }],
      repository: { repo: repoId(SHARED), visibility: 'private', archived: false, defaultBranch: 'main' },
      policy: policyFrom('version: 1\n'),
      source: githubSource(),
      now: NOW,
      callers: {
        index,
        scope: SCOPE,
        branch: 'main',
        readBase: async (paths) => new Map(paths.includes(SETUP) ? [[SETUP, BASE_ACTION]] : []),
        policyOf: async (record: CallerRecord): Promise<Policy | undefined> => policies.get(`${record.caller.repo.owner}/${record.caller.repo.name}`),
      },
    });
    const counted = [...(run.impact?.callers.values() ?? [])].flat().length;
    return { findings: run.evaluation.findings.filter((finding) => finding.ruleId === 'caller-impact').map(findingView), callers: counted };
  }

  it('an input the change makes required is a warning naming the steps that do not pass it; one required before is not reported', async () => {
    const head = BASE_ACTION.replace('inputs:\n', 'inputs:\n  token:\n    required: true\n');
    const { findings, callers } = await evaluateAction(head, [
      { repo: 'octo-org/web', text: stepCaller('main', '          verbose: true\n') },
      { repo: 'octo-org/api', text: stepCaller('main', '          token: ${{ secrets.TOKEN }}\n') },
      { repo: 'octo-org/pinned', text: stepCaller(PINNED) },
    ]);
    expect(callers).toBe(3);
    expect(findings).toEqual([
      {
        ruleId: 'caller-impact',
        severity: 'warning',
        message:
          'Input token is now required and has no default, but is not passed, which hurts 1 caller: octo-org/web .github/workflows/ci.yml:6 (job build, @main). ' +
          "GitHub's runner does not fail a step for a missing action input: it is the action's own code that fails without it, once this merges into main.",
        location: { node: expect.stringMatching(/^octo-org\/shared\/setup\/action\.yml@/) as unknown as string, range: at(3, 3, 3, 8) },
        chain: [],
        mentions: ['octo-org/web'],
      },
    ]);
  });

  it('an input the change removes is a warning for each step passing it, by how the change reaches it; one never declared is not reported', async () => {
    const head = BASE_ACTION.replace("  verbose:\n    default: 'false'\n", '');
    const { findings } = await evaluateAction(head, [
      { repo: 'octo-org/web', text: stepCaller('main', '          node: 20\n          verbose: true\n          legacy: x\n') },
      { repo: 'octo-org/old', text: stepCaller('v1', '          node: 20\n          verbose: true\n') },
    ]);
    expect(findings.map((finding) => [finding.severity, finding.message, finding.location.range])).toEqual([
      [
        'warning',
        'Input verbose is no longer declared, but is passed, which hurts 1 caller: octo-org/web .github/workflows/ci.yml:6 (job build, @main). The runner warns of an unexpected input and the action ignores it, once this merges into main.',
        at(1, 1, 1, 1),
      ],
      [
        'warning',
        'Input verbose is no longer declared, but is passed, which hurts 1 caller: octo-org/old .github/workflows/ci.yml:6 (job build, @v1). The runner warns of an unexpected input and the action ignores it, once v1 moves to this change.',
        at(1, 1, 1, 1),
      ],
    ]);
  });

  it('a new third-party step of a composite action is reported for the one caller whose own policy forbids it, as for a workflow', async () => {
    const head = BASE_ACTION.replace('    - run: make\n      shell: bash\n', '    - run: make\n      shell: bash\n    - uses: stranger/tool@v1\n');
    const { findings } = await evaluateAction(
      head,
      [
        { repo: 'octo-org/strict', text: stepCaller('main', '          node: 20\n'), policy: 'version: 1\nrules:\n  allowed-sources: { allow: ["octo-org/*"] }\n' },
        { repo: 'octo-org/lax', text: stepCaller('main', '          node: 20\n') },
      ],
      { extra: (gh) => buildWorld({ 'stranger/tool': { files: { 'action.yml': action() }, tags: { v1: {} } } }, gh) },
    );
    expect(findings).toEqual([
      {
        ruleId: 'caller-impact',
        severity: 'warning',
        location: { node: expect.stringMatching(/^octo-org\/shared\/setup\/action\.yml@/) as unknown as string, step: 1, key: 'uses' },
        mentions: [SHARED, 'stranger/tool', 'octo-org/strict'],
        message:
          "A call this change adds breaks the callers' own allowed-sources rule (stranger/tool@v1 matches no pattern in rules.allowed-sources.allow: only actions the organization allows may run, transitive uses included), " +
          'which hurts 1 caller: octo-org/strict .github/workflows/ci.yml:6 (job build, @main). Their own policy reports it once this merges into main.',
        chain: ['stranger/tool@v1'],
      },
    ]);
  });

  it('a caller pinned to a commit SHA is counted, never flagged; a record from before steps’ inputs were indexed is not judged on inputs', async () => {
    const head = BASE_ACTION.replace('inputs:\n', 'inputs:\n  token:\n    required: true\n');
    const { findings, callers } = await evaluateAction(
      head,
      [
        { repo: 'octo-org/pinned', text: stepCaller(PINNED) },
        { repo: 'octo-org/unindexed', text: stepCaller('main') },
      ],
      { unindexedInputs: ['octo-org/unindexed'] },
    );
    expect([findings, callers]).toEqual([[], 2]);
  });
});
