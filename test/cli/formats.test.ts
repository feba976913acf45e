// The three output formats on one small case: a `./` call missing a required input (contract, with a fix).
import { Ajv } from 'ajv';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FINGERPRINT_KEY, INFORMATION_URI, SARIF_SCHEMA, type SarifLog } from '../../src/cli/format-sarif.js';
import { buildReport } from '../../src/cli/report.js';
import type { Evaluation, Finding } from '../../src/engine/types.js';
import { GITHUB_COM_LIMITS } from '../../src/graph/limits.js';
import type { CallGraph } from '../../src/graph/types.js';
import { parseWorkflow } from '../../src/workflow/parse.js';
import { ALL_RULES } from '../../src/rules/index.js';
import { policyFrom } from '../support/policy.js';
import { sarifValidator } from '../support/sarif.js';
import { checkout, cleanCheckouts, FIXTURES, HEAD, run } from './harness.js';

const ORIGIN = 'https://github.com/my-org/app.git';
const CONTRACT_MESSAGE = './.github/workflows/build.yml requires input target (string), not passed in with:, so GitHub fails the call.';
const FIX_SUMMARY = 'Pass the required inputs target (string) under with: in job "build", then fill in the placeholder values.';

afterEach(cleanCheckouts);

/**
 * What GitHub code scanning requires of an uploaded SARIF file (its "SARIF support" page): the log's
 * `$schema` and `version`, the tool driver's name and rules, and per result a `ruleId`, a message text and a
 * physical location with a repository-relative URI and a region starting at a line.
 */
const CODE_SCANNING_SARIF = {
  type: 'object',
  required: ['$schema', 'version', 'runs'],
  properties: {
    $schema: { type: 'string', format: 'uri' },
    version: { const: '2.1.0' },
    runs: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        required: ['tool', 'results'],
        properties: {
          tool: {
            type: 'object',
            required: ['driver'],
            properties: {
              driver: {
                type: 'object',
                required: ['name', 'rules'],
                properties: {
                  name: { type: 'string', minLength: 1 },
                  informationUri: { type: 'string', format: 'uri' },
                  version: { type: 'string' },
                  rules: {
                    type: 'array',
                    items: {
                      type: 'object',
                      required: ['id', 'shortDescription', 'fullDescription', 'helpUri', 'defaultConfiguration'],
                      properties: {
                        id: { type: 'string', minLength: 1 },
                        shortDescription: { type: 'object', required: ['text'], properties: { text: { type: 'string', minLength: 1 } } },
                        fullDescription: { type: 'object', required: ['text'], properties: { text: { type: 'string', minLength: 1 } } },
                        helpUri: { type: 'string', format: 'uri' },
                        defaultConfiguration: {
                          type: 'object',
                          required: ['level'],
                          properties: { level: { enum: ['none', 'note', 'warning', 'error'] } },
                        },
                      },
                    },
                  },
                },
              },
            },
          },
          results: {
            type: 'array',
            items: {
              type: 'object',
              required: ['ruleId', 'ruleIndex', 'level', 'message', 'locations', 'partialFingerprints'],
              properties: {
                ruleId: { type: 'string' },
                ruleIndex: { type: 'integer', minimum: 0 },
                level: { enum: ['error', 'warning'] },
                message: { type: 'object', required: ['text'], properties: { text: { type: 'string', minLength: 1 } } },
                locations: {
                  type: 'array',
                  minItems: 1,
                  maxItems: 10,
                  items: {
                    type: 'object',
                    required: ['physicalLocation'],
                    properties: {
                      physicalLocation: {
                        type: 'object',
                        required: ['artifactLocation', 'region'],
                        properties: {
                          artifactLocation: {
                            type: 'object',
                            required: ['uri'],
                            // Relative to the repository root: no scheme, no leading slash.
                            properties: { uri: { type: 'string', pattern: '^(?![a-z]+:)(?!/)' } },
                          },
                          region: {
                            type: 'object',
                            required: ['startLine'],
                            properties: {
                              startLine: { type: 'integer', minimum: 1 },
                              startColumn: { type: 'integer', minimum: 1 },
                              endLine: { type: 'integer', minimum: 1 },
                              endColumn: { type: 'integer', minimum: 1 },
                            },
                          },
                        },
                      },
                    },
                  },
                },
                partialFingerprints: { type: 'object', minProperties: 1, additionalProperties: { type: 'string' } },
              },
            },
          },
        },
      },
    },
  },
};

function isUri(value: string): boolean {
  try {
    return new URL(value).protocol === 'https:';
  } catch {
    return false;
  }
}

async function localCheckout(files: Record<string, string> = {}, head = HEAD): Promise<string> {
  return checkout('local', { head, origin: ORIGIN }, files);
}

async function sarifOf(root: string, extra: string[] = []): Promise<SarifLog> {
  const result = await run(['check', root, '--format', 'sarif', '--visibility', 'public', ...extra]);
  expect(result.stderr).toBe('');
  return JSON.parse(result.stdout) as SarifLog;
}

describe('--format text', () => {
  it('groups by top-level file; a finding below it shows its chain and where it is, indented', async () => {
    const root = await checkout(undefined, { head: HEAD, origin: ORIGIN }, {
      '.github/workflows/ci.yml': 'on: push\njobs:\n  release:\n    uses: ./.github/workflows/release.yml\n',
      '.github/workflows/release.yml': 'on: workflow_call\njobs:\n  publish:\n    uses: my-org/tools/.github/workflows/publish.yml@main\n',
    });

    const result = await run(['check', root, '--visibility', 'public']);

    const unresolved =
      'was not resolved: GITHUB_TOKEN is not set, so workflows in other repositories are not read, and this call and the calls below it were not checked ' +
      '(the check fails closed). Set GITHUB_TOKEN to a token that can read my-org/tools and run the check again.';
    expect(result.stdout).toBe(
      [
        'Workflow Warden 0.1.0: my-org/app at 0123456',
        'Policy: the shipped "recommended" preset (no policy file given, and none in the checkout)',
        'Note: GITHUB_TOKEN is not set: calls into other repositories are not read, and each is reported as unresolved.',
        '',
        '.github/workflows/ci.yml',
        `.github/workflows/ci.yml:4:11  error  resolution  my-org/tools/.github/workflows/publish.yml@main (called by job publish in my-org/app/.github/workflows/release.yml@0123456) ${unresolved}`,
        '    Call chain: ci.yml → ./.github/workflows/release.yml → my-org/tools/.github/workflows/publish.yml@main',
        '    Found in my-org/app/.github/workflows/release.yml@0123456, line 4.',
        '',
        '.github/workflows/release.yml',
        `.github/workflows/release.yml:4:11  error  resolution  my-org/tools/.github/workflows/publish.yml@main ${unresolved}`,
        '',
        '2 errors and 0 warnings in 2 workflow files: failure',
        '',
      ].join('\n'),
    );
    expect(result.code).toBe(1);
  });
});

describe('--format json', () => {
  it('gives the documented shape, every key present', async () => {
    const root = await localCheckout();

    const result = await run(['check', root, '--format', 'json', '--visibility', 'public']);

    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      version: 1,
      tool: { name: 'Workflow Warden', version: '0.1.0' },
      repository: 'my-org/app',
      commit: HEAD,
      policy: { kind: 'preset', name: 'recommended' },
      notes: ['GITHUB_TOKEN is not set: calls into other repositories are not read, and each is reported as unresolved.'],
      workflows: ['.github/workflows/build.yml', '.github/workflows/ci.yml'],
      findings: [
        {
          ruleId: 'contract',
          severity: 'error',
          message: CONTRACT_MESSAGE,
          location: { path: '.github/workflows/ci.yml', line: 7, column: 5, endLine: 8, endColumn: 20 },
          site: null,
          chain: ['./.github/workflows/build.yml'],
          fix: { summary: FIX_SUMMARY, text: "  target: '' # string: What to build" },
        },
      ],
      summary: { errors: 1, warnings: 0 },
      conclusion: 'failure',
    });
  });
});

describe('--format sarif', () => {
  it('validates against the SARIF 2.1.0 JSON schema', async () => {
    const root = await checkout(undefined, { head: HEAD, origin: ORIGIN }, {
      '.github/workflows/ci.yml': 'on: push\njobs:\n  release:\n    uses: ./.github/workflows/release.yml\n  build:\n    uses: ./.github/workflows/missing.yml\n',
      '.github/workflows/release.yml': 'on: workflow_call\njobs:\n  publish:\n    uses: my-org/tools/.github/workflows/publish.yml@main\n',
    });
    const log = await sarifOf(root);

    const validate = sarifValidator();
    expect(log.runs[0]!.results.length).toBeGreaterThan(2);
    expect(validate(log) ? [] : validate.errors).toEqual([]);
    // It is a real check: a level SARIF does not define, or a region starting before line 1, fails it.
    const wrong = structuredClone(log) as unknown as { runs: { results: { level: string; locations: { physicalLocation: { region: { startLine: number } } }[] }[] }[] };
    wrong.runs[0]!.results[0]!.level = 'fatal';
    wrong.runs[0]!.results[1]!.locations[0]!.physicalLocation.region.startLine = 0;
    expect(validate(wrong)).toBe(false);
    expect(validate.errors?.map((error) => error.instancePath)).toEqual(
      expect.arrayContaining(['/runs/0/results/0/level', '/runs/0/results/1/locations/0/physicalLocation/region/startLine']),
    );
  });

  it('is SARIF 2.1.0 with what code scanning requires', async () => {
    const log = await sarifOf(await localCheckout());

    const ajv = new Ajv({ allErrors: true, strict: true });
    ajv.addFormat('uri', isUri);
    const validate = ajv.compile(CODE_SCANNING_SARIF);
    expect(validate(log) ? [] : validate.errors).toEqual([]);
    expect(log.$schema).toBe(SARIF_SCHEMA);
    // The schema does reject what code scanning would: an absolute path.
    const absolute = structuredClone(log);
    absolute.runs[0]!.results[0]!.locations[0]!.physicalLocation.artifactLocation.uri = '/work/.github/workflows/ci.yml';
    expect(validate(absolute)).toBe(false);
  });

  it('describes every rule from its module, with the level the policy gives it', async () => {
    const root = await localCheckout({
      'policy.yml': 'version: 1\nextends: recommended\nrules:\n  pinning: { severity: warning }\n  allowed-sources: { severity: off }\n',
    });

    const { driver } = (await sarifOf(root, ['--policy', join(root, 'policy.yml')])).runs[0]!.tool;

    expect(driver.name).toBe('Workflow Warden');
    expect(driver.informationUri).toBe(INFORMATION_URI);
    expect(driver.version).toBe('0.1.0');
    expect(driver.rules.map((rule) => [rule.id, rule.defaultConfiguration.level])).toEqual([
      ['resolution', 'error'],
      ['platform-limits', 'error'],
      ['contract', 'error'],
      ['visibility', 'error'],
      ['permissions', 'error'],
      ['allowed-sources', 'none'],
      ['pinning', 'warning'],
      ['secrets-inherit', 'error'],
      ['max-depth', 'error'],
      ['caller-impact', 'error'],
    ]);
    const contract = ALL_RULES.find((rule) => rule.meta.id === 'contract')!.meta;
    expect(driver.rules[2]).toEqual({
      id: 'contract',
      name: 'contract',
      shortDescription: { text: contract.description },
      fullDescription: { text: contract.docs },
      help: { text: contract.docs },
      helpUri: `${INFORMATION_URI}#contract`,
      defaultConfiguration: { level: 'error' },
    });
  });

  it('gives each finding as a result on its line, pointing at its rule', async () => {
    const log = await sarifOf(await localCheckout());

    const [result, ...others] = log.runs[0]!.results;
    expect(others).toEqual([]);
    expect(result).toEqual({
      ruleId: 'contract',
      ruleIndex: 2,
      level: 'error',
      message: { text: `${CONTRACT_MESSAGE}\n\nFix: ${FIX_SUMMARY}\n\n  target: '' # string: What to build` },
      locations: [
        {
          physicalLocation: {
            artifactLocation: { uri: '.github/workflows/ci.yml' },
            region: { startLine: 7, startColumn: 5, endLine: 8, endColumn: 20 },
          },
        },
      ],
      partialFingerprints: { [FINGERPRINT_KEY]: expect.stringMatching(/^[0-9a-f]{64}$/) as unknown as string },
    });
    expect(log.runs[0]!.tool.driver.rules[result!.ruleIndex]!.id).toBe('contract');
  });

  it('keeps fingerprints across commits and edits above the line, and tells findings apart', async () => {
    const fingerprints = async (root: string): Promise<string[]> =>
      (await sarifOf(root)).runs[0]!.results.map((result) => result.partialFingerprints[FINGERPRINT_KEY] ?? '');
    const ci = await readFile(join(FIXTURES, 'local/.github/workflows/ci.yml'), 'utf8');

    const before = await fingerprints(await localCheckout());
    const moved = await fingerprints(await localCheckout({ '.github/workflows/ci.yml': `# A comment\n# moves every line down\n${ci}` }, 'f'.repeat(40)));
    const twoJobs = await fingerprints(
      await localCheckout({ '.github/workflows/ci.yml': `${ci}  again:\n    uses: ./.github/workflows/build.yml\n` }),
    );

    expect(before).toHaveLength(1);
    expect(moved).toEqual(before);
    expect(twoJobs).toHaveLength(2);
    expect(twoJobs[0]).toBe(before[0]);
    expect(twoJobs[1]).not.toBe(before[0]);
  });

  it('writes repository-relative URIs, percent-encoded', async () => {
    const root = await checkout(undefined, { head: HEAD, origin: ORIGIN }, {
      '.github/workflows/my ci.yml': 'on: push\njobs:\n  build:\n    uses: ./.github/workflows/missing.yml\n',
    });

    const log = await sarifOf(root);

    expect(log.runs[0]!.results.map((result) => [result.ruleId, result.locations[0]!.physicalLocation.artifactLocation.uri])).toEqual([
      ['resolution', '.github/workflows/my%20ci.yml'],
    ]);
  });
});

describe('buildReport', () => {
  const path = '.github/workflows/ci.yml';
  const key = `my-org/app/${path}@${HEAD}`;
  const text = 'on: push\njobs:\n  build:\n    uses: ./.github/workflows/build.yml\n';
  const graph: CallGraph = {
    host: 'github.com',
    limits: GITHUB_COM_LIMITS,
    roots: [key],
    nodes: new Map([[key, { key, kind: 'workflow' as const, address: { repo: { owner: 'my-org', name: 'app' }, path, commit: HEAD }, text, workflow: parseWorkflow(text, path) }]]),
    edges: [],
    repos: new Map(),
    access: new Map(),
    stats: new Map(),
  };
  const finding: Finding = { ruleId: 'contract', severity: 'error', message: 'first', root: key, location: { node: key, jobId: 'build', key: 'uses' }, chain: [], mentions: [] };
  const input = {
    tool: { name: 'Workflow Warden', version: '0.1.0' },
    repository: 'my-org/app',
    commit: HEAD,
    policy: { kind: 'preset', name: 'recommended' } as const,
    rules: policyFrom('version: 1\n').rules,
    notes: [],
    workflows: [path],
    graph,
    minSeverity: 'warning' as const,
  };
  const evaluation = (findings: Finding[]): Evaluation => ({ findings, exceptionsUsed: [], exceptionsExpired: [], conclusion: 'failure' });

  it('keeps two findings of one rule about the same thing as two alerts', () => {
    const single = buildReport({ ...input, evaluation: evaluation([finding]) });
    const double = buildReport({ ...input, evaluation: evaluation([finding, { ...finding, message: 'second' }]) });

    expect(double.findings.map((item) => [item.message, item.location.line])).toEqual([['first', 4], ['second', 4]]);
    expect(double.findings[0]!.fingerprint).toBe(single.findings[0]!.fingerprint);
    expect(double.findings[1]!.fingerprint).not.toBe(single.findings[0]!.fingerprint);
  });

  it('notes the exceptions used and expired, at their place in the policy file', () => {
    const range = { start: { line: 9, column: 5 }, end: { line: 9, column: 40 } };
    const exception = { file: 'policy.yml', range, uses: 'octo-org/*', reason: 'migrating' };
    const report = buildReport({
      ...input,
      evaluation: { ...evaluation([]), exceptionsUsed: [{ exception, waived: [finding] }], exceptionsExpired: [{ ...exception, expires: '2025-01-31' }] },
    });

    expect(report.notes).toEqual([
      'policy.yml:9:5: the exception for octo-org/* waived 1 finding (migrating).',
      'policy.yml:9:5: the exception for octo-org/* expired on 2025-01-31 and no longer applies.',
    ]);
  });
});
