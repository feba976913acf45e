import nock from 'nock';
import { evaluatePolicy } from '../../src/engine/evaluate.js';
import type { Conclusion, Evaluation, Finding, Fix } from '../../src/engine/types.js';
import type { CallGraph, GraphEdge, NodeKey, RepoId, RepoMetadata } from '../../src/graph/types.js';
import {
  annotationBatches,
  renderCheckRun,
  renderFailure,
  renderNoWorkflowChanges,
  showInvisible,
  type CheckAnnotation,
  type CheckRunInput,
  type CheckRunReport,
} from '../../src/report/check-run.js';
import { ALL_RULES } from '../../src/rules/index.js';
import { graphOf } from '../support/graph.js';
import { expectValidRequest } from '../support/openapi.js';
import { policyFrom } from '../support/policy.js';

const CI = '.github/workflows/ci.yml';
const RELEASE = '.github/workflows/release.yml';
const DEPLOY = 'octo-org/shared/.github/workflows/deploy.yml';
const POLICY_FILE = '.github/workflow-policy.yml';
const ORG_POLICY = { description: `octo-org/.github@1a2b3c4 ${POLICY_FILE}` };
const LEGEND = '✅ passes · ❌ error · ⚠️ warning · ⛔ not read · ✂️ not followed past a platform limit';
const CREATE = '/repos/{owner}/{repo}/check-runs';
const UPDATE = '/repos/{owner}/{repo}/check-runs/{check_run_id}';
const HEAD_SHA = '0123456789abcdef0123456789abcdef01234567';

const SHARED: RepoId = { owner: 'octo-org', name: 'shared' };
const LIB: RepoId = { owner: 'other-org', name: 'lib' };
const publicApp: RepoMetadata = { repo: { owner: 'octo-org', name: 'app' }, visibility: 'public', archived: false, defaultBranch: 'main' };

/** A reusable workflow making the given calls (`[job, uses]`), or running a step when it makes none. */
function callable(...calls: [string, string, string?][]): string {
  const jobs = calls.map(([job, uses, extra]) => `  ${job}:\n    uses: ${uses}\n${extra ?? ''}`).join('');
  return `on: workflow_call\njobs:\n${jobs || '  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: make\n'}`;
}

function range(line: number, startColumn: number, endColumn: number) {
  return { start: { line, column: startColumn }, end: { line, column: endColumn } };
}

function evaluationOf(findings: Finding[], conclusion: Conclusion, extra: Partial<Evaluation> = {}): Evaluation {
  return { findings, exceptionsUsed: [], exceptionsExpired: [], conclusion, ...extra };
}

function allStrings(report: CheckRunReport): string[] {
  return [
    report.title,
    report.summary,
    report.text ?? '',
    ...report.annotations.flatMap((annotation) => [annotation.path, annotation.title, annotation.message, annotation.raw_details ?? '']),
  ];
}

/** Every request the app sends for a report: the check created in progress, then completed, annotations 50 at a time. */
function expectSendable(report: CheckRunReport): void {
  expectValidRequest('POST', CREATE, { name: 'Workflow policy', head_sha: HEAD_SHA, status: 'in_progress', started_at: '2026-07-01T12:00:00Z' });
  const [first = [], ...rest] = annotationBatches(report.annotations);
  const output = { title: report.title, summary: report.summary, ...(report.text !== undefined && { text: report.text }) };
  expectValidRequest('PATCH', UPDATE, { status: 'completed', conclusion: report.conclusion, completed_at: '2026-07-01T12:00:05Z', output: { ...output, annotations: first } });
  for (const batch of rest) expectValidRequest('PATCH', UPDATE, { output: { ...output, annotations: batch } });
}

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

// ---- A public repository calling public workflows: two top-level files, one transitive call ----------

const CI_TEXT = ['name: CI', 'on: pull_request', 'jobs:', '  deploy:', `    uses: ${DEPLOY}@v1`, '  lint:', '    uses: ./.github/workflows/lint.yml', ''].join('\n');
const RELEASE_TEXT = ['on: push', 'jobs:', '  build:', '    uses: other-org/lib/.github/workflows/build.yml@main', ''].join('\n');

interface PublicWorld {
  graph: CallGraph;
  ci: NodeKey;
  release: NodeKey;
  deploy: NodeKey;
  commits: Record<string, string>;
  edge(from: NodeKey, jobId: string): GraphEdge;
}

let world: PublicWorld;

beforeAll(async () => {
  const built = await graphOf(
    {
      'octo-org/app': { files: { [CI]: CI_TEXT, [RELEASE]: RELEASE_TEXT, '.github/workflows/lint.yml': callable() } },
      'octo-org/shared': { files: { '.github/workflows/deploy.yml': callable(['test', 'other-org/lib/.github/workflows/test.yml@main']) }, tags: { v1: {} } },
      'other-org/lib': { files: { '.github/workflows/test.yml': callable(), '.github/workflows/build.yml': callable() } },
    },
    [`octo-org/app:${CI}`, `octo-org/app:${RELEASE}`],
  );
  nock.cleanAll(); // the next world has repositories of the same names
  const graph = built.graph;
  const [ci = '', release = ''] = graph.roots;
  const edge = (from: NodeKey, jobId: string): GraphEdge => {
    const found = graph.edges.find((candidate) => candidate.from === from && candidate.jobId === jobId);
    if (found === undefined) throw new Error(`no call ${jobId} in ${from}`);
    return found;
  };
  world = { graph, ci, release, deploy: edge(ci, 'deploy').to ?? '', commits: built.world.commits, edge };
});

const short = (repo: string): string => (world.commits[repo] ?? '').slice(0, 7);

function pinningFinding(root: NodeKey, jobId: string, severity: Finding['severity'] = 'error'): Finding {
  const edge = world.edge(root, jobId);
  const reference = edge.uses.reference;
  const repo = reference.kind === 'remote-workflow' ? { owner: reference.owner, name: reference.repo } : SHARED;
  const pinned = `${edge.uses.raw.split('@')[0]}@${world.commits[`${repo.owner}/${repo.name}`]}`;
  const ref = edge.uses.raw.split('@')[1] ?? '';
  return {
    ruleId: 'pinning',
    severity,
    message: `${edge.uses.raw} is not pinned to a full 40-character commit SHA.`,
    root,
    location: { node: root, jobId, key: 'uses' },
    chain: [edge],
    fix: { kind: 'replace-uses', node: root, jobId, uses: pinned, comment: ref },
    mentions: [repo],
  };
}

function transitiveFinding(): Finding {
  return {
    ruleId: 'allowed-sources',
    severity: 'error',
    message: `other-org/lib/.github/workflows/test.yml@main (called by job test in ${DEPLOY}@v1) matches no allowed source.`,
    root: world.ci,
    location: { node: world.deploy, jobId: 'test', key: 'uses' },
    chain: [world.edge(world.ci, 'deploy'), world.edge(world.deploy, 'test')],
    mentions: [SHARED, LIB],
  };
}

function callGraph(marks: { ci: string; deploy: string; test: string; lint: string; release: string; build: string }): string {
  return [
    '#### Call graph',
    `${marks.ci} **\`${CI}\`** — 3 reusable workflows, 3 levels`,
    `- ${marks.deploy} \`deploy\`: \`${DEPLOY}@v1\` → \`${short('octo-org/shared')}\``,
    `  - ${marks.test} \`test\`: \`other-org/lib/.github/workflows/test.yml@main\` → \`${short('other-org/lib')}\``,
    `- ${marks.lint} \`lint\`: \`./.github/workflows/lint.yml\` → \`${short('octo-org/app')}\``,
    '',
    `${marks.release} **\`${RELEASE}\`** — 1 reusable workflow, 2 levels`,
    `- ${marks.build} \`build\`: \`other-org/lib/.github/workflows/build.yml@main\` → \`${short('other-org/lib')}\``,
    '',
    LEGEND,
  ].join('\n');
}

function render(evaluation: Evaluation, extra: Partial<CheckRunInput> = {}): CheckRunReport {
  return renderCheckRun({ graph: world.graph, evaluation, repository: publicApp, policy: ORG_POLICY, ...extra });
}

describe('renderCheckRun: verdicts and summaries', () => {
  it('a clean pass: success, the call graph all green, no text, no annotations', () => {
    const report = render(evaluationOf([], 'success'), { policy: { description: 'the recommended preset (no org policy)' } });
    expect(report).toEqual({
      conclusion: 'success',
      title: 'Workflow policy passed',
      summary: [
        '### ✅ Passed',
        '2 workflows checked: every call follows the policy.',
        callGraph({ ci: '✅', deploy: '✅', test: '✅', lint: '✅', release: '✅', build: '✅' }),
        '**Policy:** the recommended preset (no org policy)',
      ].join('\n\n'),
      annotations: [],
    });
    expectSendable(report);
  });

  it('errors across two top-level files with a transitive finding', () => {
    const findings = [pinningFinding(world.ci, 'deploy'), transitiveFinding(), pinningFinding(world.release, 'build')];
    const report = render(evaluationOf(findings, 'failure'));
    expect(report.conclusion).toBe('failure');
    expect(report.title).toBe('3 policy violations in 2 workflows');
    expect(report.summary).toBe(
      [
        '### ❌ Blocked: 3 policy violations in 2 workflows',
        'Fix them before merging: each one is annotated on its line, with the fix to copy where one is known.',
        [
          '| | Rule | Where | Finding |',
          '| :-: | --- | --- | --- |',
          `| ❌ | \`pinning\` | \`${CI}:5\` | ${DEPLOY}@v1 is not pinned to a full 40-character commit SHA. |`,
          `| ❌ | \`allowed-sources\` | \`${CI}:5\` | other-org/lib/.github/workflows/test.yml@main (called by job test in ${DEPLOY}@v1) matches no allowed source. |`,
          `| ❌ | \`pinning\` | \`${RELEASE}:4\` | other-org/lib/.github/workflows/build.yml@main is not pinned to a full 40-character commit SHA. |`,
        ].join('\n'),
        callGraph({ ci: '❌', deploy: '❌', test: '❌', lint: '✅', release: '❌', build: '❌' }),
        `**Policy:** octo-org/.github@1a2b3c4 ${POLICY_FILE}`,
      ].join('\n\n'),
    );
    expectSendable(report);
  });

  it('puts each finding in the text, with its chain, where it is found and the fix to copy', () => {
    const report = render(evaluationOf([pinningFinding(world.ci, 'deploy'), transitiveFinding()], 'failure'));
    const pin = `${DEPLOY}@${world.commits['octo-org/shared']}`;
    expect(report.text).toBe(
      [
        '### Details',
        `#### ❌ \`pinning\` at \`${CI}:5\``,
        `${DEPLOY}@v1 is not pinned to a full 40-character commit SHA.`,
        `**Fix:** Replace the uses: of job "deploy" with ${pin} \\# v1.`,
        `\`\`\`yaml\nuses: ${pin} # v1\n\`\`\``,
        `#### ❌ \`allowed-sources\` at \`${CI}:5\``,
        `other-org/lib/.github/workflows/test.yml@main (called by job test in ${DEPLOY}@v1) matches no allowed source.`,
        `Call chain: \`ci.yml → ${DEPLOY}@v1 → other-org/lib/.github/workflows/test.yml@main\``,
        `Found in \`${DEPLOY}@v1\`, line 4.`,
      ].join('\n\n'),
    );
  });

  it('warnings only: neutral, titled by their number', () => {
    const findings = [pinningFinding(world.release, 'build', 'warning'), pinningFinding(world.ci, 'deploy', 'warning')];
    const report = render(evaluationOf(findings, 'neutral'));
    expect(report.conclusion).toBe('neutral');
    expect(report.title).toBe('2 warnings');
    expect(report.summary).toBe(
      [
        '### ⚠️ Passed with 2 warnings in 2 workflows',
        'Nothing blocks the merge; each warning is annotated on its line.',
        [
          '| | Rule | Where | Finding |',
          '| :-: | --- | --- | --- |',
          `| ⚠️ | \`pinning\` | \`${CI}:5\` | ${DEPLOY}@v1 is not pinned to a full 40-character commit SHA. |`,
          `| ⚠️ | \`pinning\` | \`${RELEASE}:4\` | other-org/lib/.github/workflows/build.yml@main is not pinned to a full 40-character commit SHA. |`,
        ].join('\n'),
        callGraph({ ci: '⚠️', deploy: '⚠️', test: '✅', lint: '✅', release: '⚠️', build: '⚠️' }),
        `**Policy:** octo-org/.github@1a2b3c4 ${POLICY_FILE}`,
      ].join('\n\n'),
    );
    expect(report.annotations.map((annotation) => annotation.annotation_level)).toEqual(['warning', 'warning']);
  });

  it('errors under `warn` enforcement are not blocking, and say so', () => {
    const report = render(evaluationOf([pinningFinding(world.ci, 'deploy'), pinningFinding(world.release, 'build', 'warning')], 'neutral'));
    expect(report.title).toBe('1 policy violation in 1 workflow, 1 warning (not blocking)');
    expect(report.summary.split('\n\n').slice(0, 2)).toEqual([
      '### ⚠️ Not blocking: 1 policy violation in 1 workflow and 1 warning',
      "The policy's enforcement is `warn`, so they do not block the merge — but GitHub may still fail these runs.",
    ]);
  });

  it('lists exceptions used (reason, waived findings) and expired ones (date), explicitly', () => {
    const waived = pinningFinding(world.ci, 'deploy');
    const report = render(
      evaluationOf([], 'success', {
        exceptionsUsed: [
          { exception: { file: POLICY_FILE, range: range(12, 5, 40), uses: 'octo-org/shared/.github/workflows/*@v*', reason: 'deploy is released by tag' }, waived: [waived] },
        ],
        exceptionsExpired: [
          { file: POLICY_FILE, range: range(20, 5, 40), uses: 'other-org/lib/.github/workflows/*@main', reason: 'until lib tags releases', expires: '2026-01-31' },
        ],
      }),
    );
    expect(report.title).toBe('Workflow policy passed');
    expect(report.summary.slice(report.summary.indexOf('**Policy:**'))).toBe(
      [
        `**Policy:** octo-org/.github@1a2b3c4 ${POLICY_FILE}`,
        [
          '#### Exceptions used',
          `- \`octo-org/shared/.github/workflows/*@v*\` (\`${POLICY_FILE}:12\`): “deploy is released by tag” — waived \`pinning\` at \`${CI}:5\``,
        ].join('\n'),
        [
          '#### Exceptions expired',
          `- ⏰ \`other-org/lib/.github/workflows/*@main\` expired on **2026-01-31** (\`${POLICY_FILE}:20\`) and no longer applies: “until lib tags releases”. Renew or remove it in the policy file.`,
        ].join('\n'),
      ].join('\n\n'),
    );
    expect(report.annotations).toEqual([]);
  });

  it('reports refs moved since the last evaluation (the re-run hazard), then the policy notes', () => {
    const report = render(evaluationOf([], 'success'), {
      movedRefs: [{ call: `${DEPLOY}@v1`, from: 'abc1234'.padEnd(40, '0'), to: 'def5678'.padEnd(40, '0') }],
      notes: ['The repository policy may not loosen rules.pinning.require; it was ignored.'],
    });
    expect(report.summary.slice(report.summary.indexOf('**Policy:**'))).toBe(
      [
        `**Policy:** octo-org/.github@1a2b3c4 ${POLICY_FILE}`,
        [
          '#### Refs moved since the last evaluation',
          'A re-run of all jobs runs a tag or branch as it is now, not the code checked before: pin these calls to a commit SHA.',
          `- \`${DEPLOY}@v1\` moved from \`abc1234\` to \`def5678\` since the last evaluation.`,
        ].join('\n'),
        '#### Notes\n- The repository policy may not loosen rules.pinning.require; it was ignored.',
      ].join('\n\n'),
    );
  });

  it('escapes Markdown in messages, so text from workflows cannot format the summary', () => {
    const finding = { ...pinningFinding(world.ci, 'deploy'), message: 'A | pipe, <b>tags</b>, [a](link) and *stars*.' };
    const report = render(evaluationOf([finding], 'failure'));
    expect(report.summary).toContain(`| ❌ | \`pinning\` | \`${CI}:5\` | A \\| pipe, \\<b\\>tags\\</b\\>, \\[a\\](link) and \\*stars\\*. |`);
  });
});

describe('renderCheckRun: annotations', () => {
  it('puts a transitive finding on the top-level uses: line, with chain, site and rule id', () => {
    const report = render(evaluationOf([transitiveFinding()], 'failure'));
    expect(report.annotations).toEqual<CheckAnnotation[]>([
      {
        path: CI,
        start_line: 5,
        end_line: 5,
        start_column: 11,
        end_column: 57,
        annotation_level: 'failure',
        title: 'allowed-sources: reusable workflow from a source the policy does not allow (in a called workflow)',
        message: [
          `other-org/lib/.github/workflows/test.yml@main (called by job test in ${DEPLOY}@v1) matches no allowed source.`,
          `Call chain: ci.yml → ${DEPLOY}@v1 → other-org/lib/.github/workflows/test.yml@main\nFound in ${DEPLOY}@v1, line 4.`,
        ].join('\n\n'),
      },
    ]);
  });

  it('carries the fix: its summary and the exact line to copy', () => {
    const report = render(evaluationOf([pinningFinding(world.release, 'build')], 'failure'));
    const pin = `other-org/lib/.github/workflows/build.yml@${world.commits['other-org/lib']}`;
    expect(report.annotations).toEqual<CheckAnnotation[]>([
      {
        path: RELEASE,
        start_line: 4,
        end_line: 4,
        start_column: 11,
        end_column: 56,
        annotation_level: 'failure',
        title: 'pinning: reusable workflow not pinned to a verified commit',
        message: [
          'other-org/lib/.github/workflows/build.yml@main is not pinned to a full 40-character commit SHA.',
          `Fix: Replace the uses: of job "build" with ${pin} # main.`,
          `uses: ${pin} # main`,
        ].join('\n\n'),
      },
    ]);
  });

  it('gives a multi-line range no columns, as GitHub requires', () => {
    const finding: Finding = { ...pinningFinding(world.ci, 'deploy'), location: { node: world.ci, jobId: 'deploy' }, chain: [] };
    const onFile: Finding = { ...finding, ruleId: 'contract', location: { node: world.ci, key: 'on' } };
    const report = render(evaluationOf([finding, onFile], 'failure'));
    expect(report.annotations.map(({ start_line, end_line, start_column, end_column }) => ({ start_line, end_line, start_column, end_column }))).toEqual([
      { start_line: 2, end_line: 2, start_column: 1, end_column: 2 },
      { start_line: 4, end_line: 4, start_column: 3, end_column: 8 },
    ]);
  });

  it('sends 120 annotations as 50, 50 and 20, each request valid', () => {
    const base = pinningFinding(world.ci, 'deploy');
    const findings = Array.from({ length: 120 }, (_, index) => ({ ...base, message: `Finding ${index + 1}.` }));
    const report = render(evaluationOf(findings, 'failure'));
    const batches = annotationBatches(report.annotations);
    expect(batches.map((batch) => batch.length)).toEqual([50, 50, 20]);
    expect(batches.flat().map((annotation) => annotation.message.split('\n')[0])).toEqual(findings.map((finding) => finding.message));
    expectSendable(report);
  });

  it('batches by a smaller size when asked, and never above GitHub’s 50 or below 1', () => {
    const annotations = render(evaluationOf(Array(7).fill(pinningFinding(world.ci, 'deploy')) as Finding[], 'failure')).annotations;
    expect(annotationBatches(annotations, 3).map((batch) => batch.length)).toEqual([3, 3, 1]);
    expect(annotationBatches(annotations, 0).map((batch) => batch.length)).toEqual([7]);
    expect(annotationBatches(annotations, 2.5).map((batch) => batch.length)).toEqual([7]);
    expect(annotationBatches([], 50)).toEqual([]);
  });
});

// ---- GitHub's size limits -----------------------------------------------------------------------------

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

function expectWellFormed(text: string): void {
  expect(text).not.toContain('\uFFFD');
  expect(LONE_SURROGATE.test(text)).toBe(false);
}

describe('renderCheckRun: GitHub limits', () => {
  it('cuts a huge multibyte message at a character boundary, saying how much was left out', () => {
    const message = '€'.repeat(70_000);
    const report = render(evaluationOf([{ ...pinningFinding(world.ci, 'deploy'), message, fix: undefined }], 'failure'));
    const annotationMessage = report.annotations[0]?.message ?? '';
    expect(Buffer.byteLength(annotationMessage)).toBeLessThanOrEqual(64_000);
    const match = /^(€+)\n\n… ([\d,]+) more characters left out: GitHub limits this message to 64 KB\.$/.exec(annotationMessage);
    expect(match).not.toBeNull();
    expect((match?.[1]?.length ?? 0) + Number((match?.[2] ?? '').replace(/,/g, ''))).toBe(70_000);
    // The row does not fit the summary: it is left out with a note, and the rest of the summary stays.
    expect(Buffer.byteLength(report.summary)).toBeLessThanOrEqual(65_535);
    expect(report.summary).toContain("| … | | | 1 more finding not listed here (GitHub limits the summary's size): each is annotated on its line. |");
    expect(report.summary).toContain(`**Policy:** octo-org/.github@1a2b3c4 ${POLICY_FILE}`);
    expect(Buffer.byteLength(report.text ?? '')).toBeLessThanOrEqual(65_535);
    expect(report.text).toBe(
      "### Details\n\n… the details of 1 more finding are left out (GitHub limits this text's size): each is annotated on its line.",
    );
    expectSendable(report);
  });

  it('never splits a surrogate pair', () => {
    const message = '😀'.repeat(20_001);
    const report = render(evaluationOf([{ ...pinningFinding(world.ci, 'deploy'), message, fix: undefined }], 'failure'));
    const annotationMessage = report.annotations[0]?.message ?? '';
    expect(Buffer.byteLength(annotationMessage)).toBeLessThanOrEqual(64_000);
    expectWellFormed(annotationMessage);
    expect(annotationMessage).toMatch(/^(😀)+\n\n… [\d,]+ more characters left out/);
  });

  it('lists as many findings as fit in the summary and counts the rest', () => {
    const base = { ...pinningFinding(world.ci, 'deploy'), fix: undefined };
    const filler = 'described at some length to fill the table '.repeat(5);
    const findings = Array.from({ length: 1200 }, (_, index) => ({ ...base, message: `Finding number ${index + 1} of a long list, ${filler}.` }));
    const report = render(evaluationOf(findings, 'failure'));
    expect(Buffer.byteLength(report.summary)).toBeLessThanOrEqual(65_535);
    const rows = report.summary.split('\n').filter((line) => line.startsWith('| ❌ |')).length;
    expect(rows).toBeGreaterThan(100);
    expect(report.summary).toContain(`| … | | | ${(1200 - rows).toLocaleString('en-US')} more findings not listed here`);
    expect(report.summary).toContain(`**Policy:** octo-org/.github@1a2b3c4 ${POLICY_FILE}`);
    const sections = (report.text ?? '').split('\n\n#### ').length - 1;
    expect(Buffer.byteLength(report.text ?? '')).toBeLessThanOrEqual(65_535);
    expect(report.text).toContain(`… the details of ${(1200 - sections).toLocaleString('en-US')} more findings are left out`);
    // 1,200 findings, 500 annotations: ten update requests, no more.
    expect(annotationBatches(report.annotations)).toHaveLength(10);
    expectSendable(report);
  });
});

// ---- Privacy on public repositories -------------------------------------------------------------------

/** What only private and internal repositories hold: none of it may appear in a public repository's check. */
const PRIVATE_MARKERS = ['secret-sauce', 'magic.yml', 'sauce-job', 'vault', 'keys.yml', 'rotate-keys', 'infra-lint', 'ghost', 'boo.yml'];

const REDACTION_CI = [
  'on: pull_request',
  'permissions: {}',
  'jobs:',
  '  deploy:',
  `    uses: ${DEPLOY}@v1`,
  '  infra:',
  '    uses: octo-org/infra/.github/workflows/apply.yml@v2',
  '',
].join('\n');

interface PrivateWorld {
  graph: CallGraph;
  commits: Record<string, string>;
  ci: NodeKey;
  edge(from: NodeKey, jobId: string): GraphEdge;
}

let hidden: PrivateWorld;

beforeAll(async () => {
  const inherit = '    secrets: inherit\n';
  const built = await graphOf(
    {
      'octo-org/app': { files: { [CI]: REDACTION_CI } },
      // Public, but calls a private repository the PR does not name, and one that does not exist.
      'octo-org/shared': {
        files: { '.github/workflows/deploy.yml': callable(['call', 'octo-org/secret-sauce/.github/workflows/magic.yml@main', inherit], ['other', 'octo-org/ghost/.github/workflows/boo.yml@v1']) },
        tags: { v1: {} },
      },
      'octo-org/secret-sauce': {
        visibility: 'private',
        accessLevel: 'organization',
        files: { '.github/workflows/magic.yml': callable(['sauce-job', 'other-org/lib/.github/workflows/test.yml@main', inherit]) },
      },
      // Internal and named by the PR: its name may show, its contents may not.
      'octo-org/infra': {
        visibility: 'internal',
        accessLevel: 'organization',
        files: {
          '.github/workflows/apply.yml': callable(['rotate-keys', 'octo-org/vault/.github/workflows/keys.yml@v3'], ['infra-lint', 'other-org/lib/.github/workflows/test.yml@main']),
        },
        tags: { v2: {} },
      },
      'octo-org/vault': { visibility: 'private', files: { '.github/workflows/keys.yml': callable() }, tags: { v3: {} } },
      'other-org/lib': { files: { '.github/workflows/test.yml': callable() } },
    },
    [`octo-org/app:${CI}`],
  );
  nock.cleanAll();
  const graph = built.graph;
  const edge = (from: NodeKey, jobId: string): GraphEdge => {
    const found = graph.edges.find((candidate) => candidate.from === from && candidate.jobId === jobId);
    if (found === undefined) throw new Error(`no call ${jobId} in ${from}`);
    return found;
  };
  hidden = { graph, commits: built.world.commits, ci: graph.roots[0] ?? '', edge };
});

function privateMarkers(): string[] {
  const commits = ['octo-org/secret-sauce', 'octo-org/infra', 'octo-org/vault'].map((repo) => hidden.commits[repo] ?? '');
  return [...PRIVATE_MARKERS, ...commits, ...commits.map((commit) => commit.slice(0, 7))];
}

function expectNoPrivateNames(report: CheckRunReport): void {
  const leaks = allStrings(report).flatMap((text) => privateMarkers().filter((marker) => text.toLowerCase().includes(marker.toLowerCase())));
  expect(leaks).toEqual([]);
  expect(report.annotations.filter((annotation) => annotation.path !== CI)).toEqual([]);
}

function renderHidden(evaluation: Evaluation, extra: Partial<CheckRunInput> = {}): CheckRunReport {
  return renderCheckRun({ graph: hidden.graph, evaluation, repository: publicApp, policy: ORG_POLICY, ...extra });
}

describe('renderCheckRun: privacy on a public repository', () => {
  it('shows no private name, commit or content in anything sent, with every rule reporting', () => {
    const policy = policyFrom('version: 1\nextends: recommended\nrules:\n  allowed-sources:\n    allow: ["octo-org/*"]\n  pinning:\n    scope: all\n');
    const evaluation = evaluatePolicy({ graph: hidden.graph, policy, repository: publicApp, now: new Date('2026-07-01T00:00:00Z') }, ALL_RULES);
    // The evaluation itself does name them: the renderer is what keeps them out.
    expect(JSON.stringify(evaluation.findings.map((finding) => finding.message))).toContain('secret-sauce');
    const report = renderHidden(evaluation);
    expectNoPrivateNames(report);
    expectSendable(report);
    // Calls written inside octo-org/infra are its contents, although the PR names it.
    expect(report.annotations.some((annotation) => annotation.message.includes('Call chain: ci.yml → octo-org/infra/.github/workflows/apply.yml@v2 → …'))).toBe(true);
    // The PR's own line names octo-org/infra: that name stays, where the findings about that line are.
    expect(report.annotations.map((annotation) => annotation.message)).toContain(
      'octo-org/infra/.github/workflows/apply.yml@v2 is in an internal repository, which a top-level workflow in a public repository cannot call. ' +
        'GitHub fails the whole run when any nested workflow is inaccessible to the initial caller.',
    );
  });

  it('draws the call graph without hidden names, commits or the calls inside private workflows', () => {
    const report = renderHidden(evaluationOf([], 'success'));
    expect(report.summary).toContain(
      [
        '#### Call graph',
        `✅ **\`${CI}\`**`,
        `- ✅ \`deploy\`: \`${DEPLOY}@v1\` → \`${hidden.commits['octo-org/shared']?.slice(0, 7)}\``,
        '  - ✅ `call`: a private workflow',
        '  - ⛔ `other`: a private workflow',
        '- ✅ `infra`: `octo-org/infra/.github/workflows/apply.yml@v2` — private: its calls are not shown',
      ].join('\n'),
    );
    expectNoPrivateNames(report);
  });

  it('hides the details of findings inside private workflows, keeping the visible part of the chain', () => {
    const toSauce = hidden.edge(hidden.edge(hidden.ci, 'deploy').to ?? '', 'call');
    const inside: Finding = {
      ruleId: 'secrets-inherit',
      severity: 'error',
      message: 'other-org/lib/.github/workflows/test.yml@main (called by job sauce-job in octo-org/secret-sauce/.github/workflows/magic.yml@main) gets secrets: inherit.',
      root: hidden.ci,
      location: { node: toSauce.to ?? '', jobId: 'sauce-job', key: 'secrets' },
      chain: [hidden.edge(hidden.ci, 'deploy'), toSauce, hidden.edge(toSauce.to ?? '', 'sauce-job')],
      fix: { kind: 'explicit-secrets', node: toSauce.to ?? '', jobId: 'sauce-job', secrets: [] },
      mentions: [SHARED, { owner: 'octo-org', name: 'secret-sauce' }, LIB],
    };
    const report = renderHidden(evaluationOf([inside], 'failure'));
    expect(report.annotations).toEqual<CheckAnnotation[]>([
      {
        path: CI,
        start_line: 5,
        end_line: 5,
        start_column: 11,
        end_column: 57,
        annotation_level: 'failure',
        title: 'secrets-inherit: secrets: inherit to a workflow not allowed to receive them (in a called workflow)',
        message:
          'A workflow this call reaches breaks the secrets-inherit rule. It is in a private or internal repository (or one the app cannot read), so its details are not shown in this public repository.' +
          `\n\nCall chain: ci.yml → ${DEPLOY}@v1 → a private workflow → …`,
      },
    ]);
    expectNoPrivateNames(report);
  });

  it('replaces hidden names case-insensitively in messages, fixes, exceptions, moved refs and notes', () => {
    const deployEdge = hidden.edge(hidden.ci, 'deploy');
    const sauce: RepoId = { owner: 'octo-org', name: 'secret-sauce' };
    const setting: Fix = { kind: 'repository-setting', repo: sauce, setting: 'Actions access', value: 'organization', url: 'https://github.com/octo-org/secret-sauce/settings/actions' };
    const visibility: Finding = {
      ruleId: 'visibility',
      severity: 'error',
      message: 'Octo-Org/Secret-Sauce/.github/workflows/magic.yml@main is in OCTO-ORG/SECRET-SAUCE, which octo-org/app cannot call.',
      root: hidden.ci,
      location: { node: deployEdge.to ?? '', jobId: 'call', key: 'uses' },
      chain: [deployEdge, hidden.edge(deployEdge.to ?? '', 'call')],
      fix: setting,
      mentions: [SHARED, sauce],
    };
    const report = renderHidden(
      evaluationOf([visibility], 'failure', {
        exceptionsExpired: [{ file: POLICY_FILE, range: range(9, 5, 9), uses: 'octo-org/secret-sauce/.github/workflows/*@*', reason: 'octo-org/secret-sauce is ours', expires: '2026-01-01' }],
      }),
      {
        movedRefs: [{ call: 'octo-org/secret-sauce/.github/workflows/magic.yml@main', from: 'a'.repeat(40), to: 'b'.repeat(40) }],
        notes: ['A note about octo-org/secret-sauce.'],
      },
    );
    expect(report.annotations[0]?.message).toBe(
      'a private workflow is in a private repository, which octo-org/app cannot call.' +
        `\n\nCall chain: ci.yml → ${DEPLOY}@v1 → a private workflow\nFound in ${DEPLOY}@v1, line 4.` +
        // The settings page's address names the repository: only the sentence stays.
        '\n\nFix: Set "Actions access" to "organization" in the settings of a private repository.',
    );
    expect(report.summary).toContain('- ⏰ `a private workflow` expired on **2026-01-01**');
    expect(report.summary).toContain('“a private repository is ours”');
    expect(report.summary).toContain('- A ref of a private workflow moved since the last evaluation.');
    expect(report.summary).toContain('- A note about a private repository.');
    expectNoPrivateNames(report);
  });

  it('hides what a private callee named by the PR declares, but keeps the access fix for it', () => {
    const infra = hidden.edge(hidden.ci, 'infra');
    const infraRepo: RepoId = { owner: 'octo-org', name: 'infra' };
    const inputs: Finding = {
      ruleId: 'contract',
      severity: 'error',
      message: 'octo-org/infra/.github/workflows/apply.yml@v2 requires the input region.',
      root: hidden.ci,
      location: { node: hidden.ci, jobId: 'infra', key: 'with' },
      chain: [infra],
      fix: { kind: 'add-inputs', node: hidden.ci, jobId: 'infra', inputs: [{ name: 'region', type: 'string' }] },
      mentions: [infraRepo],
    };
    const access: Finding = {
      ...inputs,
      ruleId: 'visibility',
      message: 'octo-org/infra/.github/workflows/apply.yml@v2 is in octo-org/infra, whose Actions access setting is none.',
      location: { node: hidden.ci, jobId: 'infra', key: 'uses' },
      fix: { kind: 'repository-setting', repo: infraRepo, setting: 'Actions access', value: 'organization', url: 'https://github.com/octo-org/infra/settings/actions' },
    };
    const report = renderHidden(evaluationOf([inputs, access], 'failure'));
    expect(report.annotations.map((annotation) => annotation.message)).toEqual([
      'The workflow this call names breaks the contract rule. It is in a private or internal repository (or one the app cannot read), so its details are not shown in this public repository.',
      'octo-org/infra/.github/workflows/apply.yml@v2 is in octo-org/infra, whose Actions access setting is none.' +
        '\n\nFix: Set "Actions access" to "organization" in the settings of octo-org/infra.\n\nhttps://github.com/octo-org/infra/settings/actions',
    ]);
    expect(allStrings(report).filter((text) => text.includes('region'))).toEqual([]);
    expectNoPrivateNames(report);
  });

  it('shows everything on a private repository', () => {
    const sauceEdge = hidden.edge(hidden.edge(hidden.ci, 'deploy').to ?? '', 'call');
    const finding: Finding = {
      ruleId: 'pinning',
      severity: 'error',
      message: 'octo-org/secret-sauce/.github/workflows/magic.yml@main is not pinned.',
      root: hidden.ci,
      location: { node: sauceEdge.from, jobId: 'call', key: 'uses' },
      chain: [hidden.edge(hidden.ci, 'deploy'), sauceEdge],
      mentions: [{ owner: 'octo-org', name: 'secret-sauce' }],
    };
    const report = renderCheckRun({ graph: hidden.graph, evaluation: evaluationOf([finding], 'failure'), repository: { ...publicApp, visibility: 'private' }, policy: ORG_POLICY });
    expect(report.annotations[0]?.message).toBe(
      `octo-org/secret-sauce/.github/workflows/magic.yml@main is not pinned.\n\nCall chain: ci.yml → ${DEPLOY}@v1 → octo-org/secret-sauce/.github/workflows/magic.yml@main\nFound in ${DEPLOY}@v1, line 4.`,
    );
    expect(report.summary).toContain('  - ❌ `call`: `octo-org/secret-sauce/.github/workflows/magic.yml@main` → `');
    expect(report.summary).toContain('    - ✅ `sauce-job`: `other-org/lib/.github/workflows/test.yml@main`');
  });
});

// ---- When there is nothing, or nothing could be done -------------------------------------------------

describe('renderFailure', () => {
  it('fails closed, saying what went wrong and what to do', () => {
    const report = renderFailure({ reason: 'GitHub did not answer in time (10 s).' });
    expect(report).toEqual({
      conclusion: 'failure',
      title: 'Not evaluated: GitHub did not answer in time (10 s).',
      summary: [
        '### ❌ The workflow policy could not be evaluated',
        '**What went wrong:** GitHub did not answer in time (10 s).',
        '**What to do:** fix the cause named above if it is in your hands — for a policy file, edit it at the file and line given — ' +
          'then re-run this check (**Re-run** on the Checks tab) or push a new commit. If GitHub failed or was slow, re-running is enough.',
        'This check fails closed: a change that could not be checked must not merge.',
      ].join('\n\n'),
      annotations: [],
    });
    expectSendable(report);
  });

  it('shows the detail as written, e.g. the policy file, line and reason', () => {
    const report = renderFailure({
      reason: 'The org policy file is invalid.',
      detail: 'octo-org/.github .github/workflow-policy.yml:12:14: rules.pinning.require must be one of sha, ref, any',
    });
    expect(report.title).toBe('Not evaluated: The org policy file is invalid.');
    expect(report.summary.split('\n\n').slice(1, 3)).toEqual([
      '**What went wrong:** The org policy file is invalid.',
      '```text\nocto-org/.github .github/workflow-policy.yml:12:14: rules.pinning.require must be one of sha, ref, any\n```',
    ]);
  });

  it('keeps the title within 255 and the summary within 65,535, closing a cut code block', () => {
    const report = renderFailure({ reason: `Bad ${'x'.repeat(400)}`, detail: Array.from({ length: 20_000 }, (_, index) => `line ${index} ✓`).join('\n') });
    expect(Buffer.byteLength(report.title)).toBeLessThanOrEqual(255);
    expect(report.title).toMatch(/^Not evaluated: Bad x+ … \([\d,]+ more characters\)$/);
    expect(Buffer.byteLength(report.summary)).toBeLessThanOrEqual(65_535);
    expect(report.summary).toMatch(/\nline \d+ ✓\n```\n\n… [\d,]+ more characters left out: GitHub limits the summary to 65,535 characters\.$/);
    expectWellFormed(report.summary);
    expectSendable(report);
  });
});

describe('renderNoWorkflowChanges', () => {
  it('completes with success, so a required check never hangs', () => {
    const report = renderNoWorkflowChanges();
    expect(report).toEqual({
      conclusion: 'success',
      title: 'No workflow changes',
      summary: "### ✅ No workflow changes\n\nThis pull request adds or changes no workflow file and no action's `action.yml`, so there is nothing to check.",
      annotations: [],
    });
    expectSendable(report);
  });
});

describe('invisible characters', () => {
  it('shows bidirectional overrides and zero-width characters as visible marks, leaving other text alone', () => {
    expect(showInvisible('octo-org/shared/.github/workflows/de\u202Eploy.yml@v1\u200B é → ok')).toBe(
      'octo-org/shared/.github/workflows/de[U+202E]ploy.yml@v1[U+200B] é → ok',
    );
  });
});
