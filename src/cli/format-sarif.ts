// `--format sarif`: SARIF 2.1.0 as GitHub code scanning reads it (upload with github/codeql-action/upload-sarif
// or the code-scanning API). Rules come from each rule module's metadata; results point at
// repository-relative paths; partialFingerprints keep one alert per problem across commits.
import type { FindingSeverity } from '../engine/types.js';
import type { ConfigurableRuleId, Severity } from '../policy/types.js';
import { ALL_RULES } from '../rules/index.js';
import { findingText, type CheckReport, type ReportFinding } from './report.js';

export const SARIF_SCHEMA = 'https://json.schemastore.org/sarif-2.1.0.json';
/** The app's page: the tool's home, and where each rule's anchor points. */
export const INFORMATION_URI = 'https://github.com/apps/workflow-warden';
/** The key of our fingerprint in `partialFingerprints`; the version changes if its recipe ever does. */
export const FINGERPRINT_KEY = 'workflowWardenFinding/v1';

type SarifLevel = 'error' | 'warning' | 'note' | 'none';

export interface SarifRule {
  id: string;
  name: string;
  shortDescription: { text: string };
  fullDescription: { text: string };
  help: { text: string };
  helpUri: string;
  defaultConfiguration: { level: SarifLevel };
}

export interface SarifResult {
  ruleId: string;
  ruleIndex: number;
  level: 'error' | 'warning';
  message: { text: string };
  locations: {
    physicalLocation: {
      artifactLocation: { uri: string };
      region: { startLine: number; startColumn: number; endLine: number; endColumn: number };
    };
  }[];
  partialFingerprints: Record<string, string>;
}

export interface SarifLog {
  $schema: string;
  version: '2.1.0';
  runs: {
    tool: { driver: { name: string; informationUri: string; version: string; semanticVersion: string; rules: SarifRule[] } };
    columnKind: 'utf16CodeUnits';
    results: SarifResult[];
  }[];
}

export function sarifLog(report: CheckReport): SarifLog {
  const rules = ALL_RULES.map((rule) => sarifRule(rule.meta, report.rules[rule.meta.id].severity));
  const index = new Map(rules.map((rule, position) => [rule.id, position]));
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: { name: report.tool.name, informationUri: INFORMATION_URI, version: report.tool.version, semanticVersion: report.tool.version, rules },
        },
        // Our columns count UTF-16 code units (JavaScript strings), SARIF's default, stated for readers.
        columnKind: 'utf16CodeUnits',
        results: report.findings.map((finding) => sarifResult(finding, index.get(finding.ruleId) ?? -1)),
      },
    ],
  };
}

export function formatSarif(report: CheckReport): string {
  return `${JSON.stringify(sarifLog(report), null, 2)}\n`;
}

function sarifRule(meta: { id: ConfigurableRuleId; description: string; docs: string }, severity: Severity): SarifRule {
  return {
    id: meta.id,
    name: meta.id,
    shortDescription: { text: meta.description },
    fullDescription: { text: meta.docs },
    help: { text: meta.docs },
    helpUri: `${INFORMATION_URI}#${meta.id}`,
    defaultConfiguration: { level: severity === 'off' ? 'none' : severity },
  };
}

function sarifResult(finding: ReportFinding, ruleIndex: number): SarifResult {
  const { path, line, column, endLine, endColumn } = finding.location;
  return {
    ruleId: finding.ruleId,
    ruleIndex,
    level: level(finding.severity),
    message: { text: findingText(finding) },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: path.split('/').map(encodeURIComponent).join('/') },
          region: { startLine: line, startColumn: column, endLine, endColumn: endLine === line ? Math.max(endColumn, column) : endColumn },
        },
      },
    ],
    partialFingerprints: { [FINGERPRINT_KEY]: finding.fingerprint },
  };
}

function level(severity: FindingSeverity): 'error' | 'warning' {
  return severity === 'error' ? 'error' : 'warning';
}
