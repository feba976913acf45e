// `--format json`: for scripts. The shape is a contract, versioned by `version`; fields are only ever
// added. Every key is always present (null when it does not apply), so consumers need no guesswork.
import type { Conclusion } from '../engine/types.js';
import { countSeverities, type CheckReport, type ReportFinding } from './report.js';

/** A finding as the JSON output gives it: the report's, without its rendering-only fields. */
export type JsonFinding = Pick<ReportFinding, 'ruleId' | 'severity' | 'message' | 'location' | 'site' | 'chain' | 'fix'>;

export interface JsonReport {
  version: 1;
  tool: { name: string; version: string };
  /** `owner/name`, or null when the checkout's repository is unknown (no --repo, no origin remote). */
  repository: string | null;
  /** The checkout's HEAD commit SHA, or `working-tree`. */
  commit: string;
  /** The policy file (as given, or repository-relative) or shipped preset in force. */
  policy: { kind: 'file' | 'preset'; name: string };
  notes: string[];
  /** The top-level workflow files evaluated, repository-relative. */
  workflows: string[];
  findings: JsonFinding[];
  summary: { errors: number; warnings: number };
  /** As the check run concludes: `failure` when an error finding exists under `enforcement: block`. */
  conclusion: Conclusion;
}

export function jsonReport(report: CheckReport): JsonReport {
  return {
    version: 1,
    tool: report.tool,
    repository: report.repository,
    commit: report.commit,
    policy: { kind: report.policy.kind, name: report.policy.name },
    notes: report.notes,
    workflows: report.workflows,
    findings: report.findings.map((finding) => ({
      ruleId: finding.ruleId,
      severity: finding.severity,
      message: finding.message,
      location: finding.location,
      site: finding.site,
      chain: finding.chain,
      fix: finding.fix,
    })),
    summary: countSeverities(report.findings),
    conclusion: report.conclusion,
  };
}

export function formatJson(report: CheckReport): string {
  return `${JSON.stringify(jsonReport(report), null, 2)}\n`;
}
