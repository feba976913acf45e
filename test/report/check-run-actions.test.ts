// The call graph of the summary with actions: under each workflow, the first few actions that pass and every one on
// a finding's chain; the rest counted on one line.
import nock from 'nock';
import { evaluatePolicy } from '../../src/engine/evaluate.js';
import type { RepoMetadata } from '../../src/graph/types.js';
import { renderCheckRun } from '../../src/report/check-run.js';
import { ALL_RULES } from '../../src/rules/index.js';
import { graphOf } from '../support/graph.js';
import { policyFrom } from '../support/policy.js';
import { action, steps, workflow } from '../support/workflows.js';

const CI = '.github/workflows/ci.yml';
const app: RepoMetadata = { repo: { owner: 'octo-org', name: 'app' }, visibility: 'private', archived: false, defaultBranch: 'main' };

beforeAll(() => nock.disableNetConnect());
afterEach(() => nock.cleanAll());
afterAll(() => nock.enableNetConnect());

describe('the summary’s call graph with actions', () => {
  it('lists five passing actions and the failing one, counts the rest, and follows a composite action into its steps', async () => {
    const tools = Object.fromEntries(Array.from({ length: 8 }, (_, index) => [`octo-org/tool${index}`, { files: { 'action.yml': action() }, tags: { v1: {} } }]));
    const { graph, world } = await graphOf(
      {
        ...tools,
        'octo-org/setup': { files: { 'action.yml': action('octo-org/tool0@v1', 'evil/miner@v1') }, tags: { v1: {} } },
        'evil/miner': { files: { 'action.yml': action() }, tags: { v1: {} } },
        'octo-org/app': { files: { [CI]: workflow('on: push\n', { build: steps(...Object.keys(tools).map((name) => `${name}@v1`), 'octo-org/setup@v1') }) } },
      },
      [`octo-org/app:${CI}`],
    );
    const evaluation = evaluatePolicy(
      { graph, policy: policyFrom('version: 1\nrules:\n  allowed-sources: { allow: ["octo-org/*"] }\n'), repository: app, now: new Date('2026-08-01T00:00:00Z') },
      ALL_RULES,
    );
    const report = renderCheckRun({ graph, evaluation, repository: app, policy: { description: 'a test policy' } });
    const short = (repo: string): string => world.commits[repo]!.slice(0, 7);
    const tree = report.summary.slice(report.summary.indexOf('#### Call graph'), report.summary.indexOf('\n\n✅ passes'));
    expect(tree).toBe(
      [
        '#### Call graph',
        '❌ **`.github/workflows/ci.yml`** — 0 reusable workflows, 1 level, 10 actions',
        ...[0, 1, 2, 3, 4].map((index) => `- ✅ \`build\` step ${index + 1}: \`octo-org/tool${index}@v1\` → \`${short(`octo-org/tool${index}`)}\``),
        // A finding marks the deepest call of its chain the tree shows.
        `- ✅ \`build\` step 9: \`octo-org/setup@v1\` → \`${short('octo-org/setup')}\``,
        `  - ✅ step 1: \`octo-org/tool0@v1\` → \`${short('octo-org/tool0')}\``,
        `  - ❌ step 2: \`evil/miner@v1\` → \`${short('evil/miner')}\``,
        '- ✅ … and 3 more actions that pass',
      ].join('\n'),
    );
  });
});
