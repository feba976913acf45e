// `repo-policy: tighten-only`: a repository's own policy file applied over the organization's, so
// that the result is never looser than what the organization decided. Pure.
import { ENTERPRISE_SERVER_LIMITS } from '../graph/limits.js';
import type { Visibility } from '../graph/types.js';
import { diagnosticFromRange, type PolicyPath, type RawPolicyDocument } from './parse.js';
import { patternCovers } from './patterns.js';
import type { Enforcement, PinningRequirement, PinningScope, Policy, PolicyDiagnostic, RuleSettings, RulesFile, Severity, UsesKind } from './types.js';
import { USES_KINDS } from './types.js';

export interface TightenResult {
  policy: Policy;
  /** What was ignored and why, at the key that asked for it (file, line, column). */
  notes: PolicyDiagnostic[];
}

/**
 * Applies a repository policy over the policy in force (the organization's, already specialised for
 * the repository), layer by layer: the presets its `extends` names first, the file itself last. Only
 * what a layer writes counts (defaults never do), and each key may only move in the stricter direction:
 *
 * - `enforcement`: off < warn < block; a rule's `severity`: off < warning < error. Listing a rule with
 *   no `severity` turns it on (`error`) when it is off, as in any policy file.
 * - `allowed-sources` and `pinning` `applies-to`: kinds may be added, never dropped.
 * - `pinning`: `require` any < ref < sha; `scope` external < all (all is wider); `verify` only false → true;
 *   `tag-required` never applied (it accepts a tag where a SHA would be required).
 * - `max-depth.levels`: only lower (any value when none is in force: the host's limit still applies
 *   through `platform-limits`).
 * - `allowed-sources.allow`: intersected with the list in force: a call must match both. The result
 *   keeps each pattern of one list that lies within a pattern of the other (patternCovers) and the `!`
 *   blocks of both; a pattern that only partly overlaps the other list is dropped (stricter) and noted.
 *   No list in force: the repository's list applies. `deny`: added to the list in force.
 * - `secrets-inherit.allow`: intersected the same way; `allow-same-owner` only true → false.
 * - `visibility.allow`: for each caller visibility, only callee visibilities both lists allow;
 *   `check-access-setting` only false → true.
 * - `permissions`, `contract`: `severity` only. (`platform-limits` and `resolution` are always errors.)
 * - `platform.max-levels` / `max-unique`: only lower than the value in force. Where the organization
 *   set none, the host's own limit is in force, and the host is not known here: only figures at or
 *   below the lowest limit of any host (GitHub Enterprise Server's 4 levels, 20 workflows) are taken,
 *   since a higher one could hide a run GitHub fails. `rules.max-depth.levels` limits nesting freely.
 * - `exceptions`, `repositories` and `repo-policy` are never applied: a repository cannot exempt itself
 *   nor change what the organization lets it do.
 *
 * Anything that would loosen is ignored (the value in force stays) and produces a note naming the key
 * and its line. A value equal to the one in force changes nothing and is not noted.
 */
export function tightenPolicy(base: Policy, layers: readonly RawPolicyDocument[]): TightenResult {
  const notes: PolicyDiagnostic[] = [];
  let policy = base;
  for (const layer of layers) {
    const found: PolicyDiagnostic[] = [];
    policy = tightenLayer(policy, layer, (path, message) => found.push(diagnosticFromRange(layer.file, layer.locate(path), message)));
    notes.push(...found.sort((a, b) => a.line - b.line || a.column - b.column));
  }
  return { policy, notes };
}

type Note = (path: PolicyPath, message: string) => void;

const ENFORCEMENT_ORDER: readonly Enforcement[] = ['off', 'warn', 'block'];
const SEVERITY_ORDER: readonly Severity[] = ['off', 'warning', 'error'];
const REQUIRE_ORDER: readonly PinningRequirement[] = ['any', 'ref', 'sha'];
const SCOPE_ORDER: readonly PinningScope[] = ['external', 'all'];

/** The lowest limits of any host: a repository may bring the host's limit down to these without knowing it. */
const LOWEST_HOST_LIMITS = ENTERPRISE_SERVER_LIMITS;

function tightenLayer(policy: Policy, layer: RawPolicyDocument, note: Note): Policy {
  const value = layer.value;
  ignoredLists(value, note);
  if (value['repo-policy'] !== undefined && value['repo-policy'] !== policy.repoPolicy) {
    note(['repo-policy'], `repo-policy ${JSON.stringify(value['repo-policy'])} ignored; only the organization policy decides what a repository policy may do (${JSON.stringify(policy.repoPolicy)})`);
  }
  const maxLevels = lowerLimit(policy.platform.maxLevels, value.platform?.['max-levels'], ['platform', 'max-levels'], LOWEST_HOST_LIMITS.maxLevels, note);
  const maxUnique = lowerLimit(policy.platform.maxUnique, value.platform?.['max-unique'], ['platform', 'max-unique'], LOWEST_HOST_LIMITS.maxUnique, note);
  return {
    ...policy,
    enforcement: stricter(ENFORCEMENT_ORDER, policy.enforcement, value.enforcement, ['enforcement'], note),
    platform: { ...(maxLevels !== undefined ? { maxLevels } : {}), ...(maxUnique !== undefined ? { maxUnique } : {}) },
    rules: tightenRules(policy.rules, value.rules, note),
    sources: policy.sources.includes(layer.file) ? policy.sources : [...policy.sources, layer.file],
  };
}

function ignoredLists(value: RawPolicyDocument['value'], note: Note): void {
  if ((value.exceptions ?? []).length > 0) {
    note(['exceptions'], 'exceptions ignored; a repository policy cannot exempt its own repository: exceptions belong in the organization policy');
  }
  if ((value.repositories ?? []).length > 0) {
    note(['repositories'], 'repositories ignored; overrides for groups of repositories are decided by the organization policy');
  }
}

function tightenRules(rules: RuleSettings, written: RulesFile | undefined, note: Note): RuleSettings {
  if (written === undefined) return rules;
  const next: RuleSettings = { ...rules };
  const severity = (id: keyof RulesFile, current: Severity, given: Severity | undefined): Severity =>
    stricter(SEVERITY_ORDER, current, given ?? (current === 'off' ? 'error' : current), ['rules', id, 'severity'], note);
  const sources = written['allowed-sources'];
  if (sources !== undefined) {
    const current = rules['allowed-sources'];
    const allow = sources.allow === undefined ? current.allow : intersectAllow(current.allow, sources.allow, ['rules', 'allowed-sources', 'allow'], note);
    next['allowed-sources'] = {
      severity: severity('allowed-sources', current.severity, sources.severity),
      ...(allow !== undefined ? { allow } : {}),
      deny: [...new Set([...current.deny, ...(sources.deny ?? [])])],
      appliesTo: widerKinds(current.appliesTo, sources['applies-to'], ['rules', 'allowed-sources', 'applies-to'], note),
    };
  }
  const visibility = written.visibility;
  if (visibility !== undefined) {
    const current = rules.visibility;
    next.visibility = {
      severity: severity('visibility', current.severity, visibility.severity),
      allow: {
        public: intersectVisibility(current.allow.public, visibility.allow?.public, 'public', note),
        internal: intersectVisibility(current.allow.internal, visibility.allow?.internal, 'internal', note),
        private: intersectVisibility(current.allow.private, visibility.allow?.private, 'private', note),
      },
      checkAccessSetting: onlyOn(current.checkAccessSetting, visibility['check-access-setting'], ['rules', 'visibility', 'check-access-setting'], note),
    };
  }
  const pinning = written.pinning;
  if (pinning !== undefined) {
    const current = rules.pinning;
    next.pinning = {
      severity: severity('pinning', current.severity, pinning.severity),
      require: stricter(REQUIRE_ORDER, current.require, pinning.require, ['rules', 'pinning', 'require'], note),
      scope: stricter(SCOPE_ORDER, current.scope, pinning.scope, ['rules', 'pinning', 'scope'], note),
      verify: onlyOn(current.verify, pinning.verify, ['rules', 'pinning', 'verify'], note),
      tagRequired: current.tagRequired,
      appliesTo: widerKinds(current.appliesTo, pinning['applies-to'], ['rules', 'pinning', 'applies-to'], note),
    };
    (pinning['tag-required'] ?? []).forEach((entry, index) => {
      // One already in force (a preset the organization extends too) changes nothing.
      if (current.tagRequired.some((known) => known.uses === entry.uses)) return;
      note(['rules', 'pinning', 'tag-required', index], `rules.pinning.tag-required entry ${JSON.stringify(entry.uses)} ignored; it lets a callee be called by a tag instead of a SHA, and a repository policy may only tighten: tag requirements belong in the organization policy`);
    });
  }
  const depth = written['max-depth'];
  if (depth !== undefined) {
    const current = rules['max-depth'];
    const levels = lowerLevels(current.levels, depth.levels, note);
    next['max-depth'] = { severity: severity('max-depth', current.severity, depth.severity), ...(levels !== undefined ? { levels } : {}) };
  }
  const inherit = written['secrets-inherit'];
  if (inherit !== undefined) {
    const current = rules['secrets-inherit'];
    next['secrets-inherit'] = {
      severity: severity('secrets-inherit', current.severity, inherit.severity),
      allow: inherit.allow === undefined ? current.allow : intersectAllow(current.allow, inherit.allow, ['rules', 'secrets-inherit', 'allow'], note),
      allowSameOwner: onlyOff(current.allowSameOwner, inherit['allow-same-owner'], ['rules', 'secrets-inherit', 'allow-same-owner'], note),
    };
  }
  if (written.permissions !== undefined) {
    next.permissions = { severity: severity('permissions', rules.permissions.severity, written.permissions.severity) };
  }
  if (written.contract !== undefined) {
    next.contract = { severity: severity('contract', rules.contract.severity, written.contract.severity) };
  }
  if (written['caller-impact'] !== undefined) {
    next['caller-impact'] = { severity: severity('caller-impact', rules['caller-impact'].severity, written['caller-impact'].severity) };
  }
  return next;
}

/** `rules.pinning.require` for messages. */
function keyName(path: PolicyPath): string {
  return path.filter((segment) => typeof segment === 'string').join('.');
}

/** The stricter of the value in force and the one written, along `order` (loosest first). */
function stricter<T extends string>(order: readonly T[], current: T, written: T | undefined, path: PolicyPath, note: Note): T {
  if (written === undefined || order.indexOf(written) >= order.indexOf(current)) return written ?? current;
  note(path, `${keyName(path)} ${JSON.stringify(written)} ignored; it is looser than ${JSON.stringify(current)} in force, and a repository policy may only tighten (${order.join(' < ')})`);
  return current;
}

/** A check that may be switched on, never off. */
function onlyOn(current: boolean, written: boolean | undefined, path: PolicyPath, note: Note): boolean {
  if (written === undefined || written || !current) return current || written === true;
  note(path, `${keyName(path)} false ignored; the policy in force sets it to true, and a repository policy may only switch it on`);
  return current;
}

/** A permission that may be withdrawn, never granted. */
function onlyOff(current: boolean, written: boolean | undefined, path: PolicyPath, note: Note): boolean {
  if (written === undefined || !written || current) return current && written !== false;
  note(path, `${keyName(path)} true ignored; the policy in force sets it to false, and a repository policy may only switch it off`);
  return current;
}

/** The kinds of `uses:` a rule judges may grow (stricter), never shrink. */
function widerKinds(current: readonly UsesKind[], written: readonly UsesKind[] | undefined, path: PolicyPath, note: Note): UsesKind[] {
  if (written === undefined) return [...current];
  const dropped = current.filter((kind) => !written.includes(kind));
  if (dropped.length > 0) {
    note(path, `${keyName(path)} without ${dropped.join(', ')} ignored for those; the policy in force judges them, and a repository policy may only add kinds`);
  }
  return USES_KINDS.filter((kind) => current.includes(kind) || written.includes(kind));
}

function lowerLevels(current: number | undefined, written: number | undefined, note: Note): number | undefined {
  if (written === undefined) return current;
  if (current === undefined || written <= current) return written;
  note(['rules', 'max-depth', 'levels'], `rules.max-depth.levels ${written} ignored; it is higher than ${current} in force, and a repository policy may only lower it`);
  return current;
}

/** A platform limit; absent means the host's own, which is not known here (see tightenPolicy). */
function lowerLimit(current: number | undefined, written: number | undefined, path: PolicyPath, lowestHost: number, note: Note): number | undefined {
  if (written === undefined || written <= (current ?? lowestHost)) return written ?? current;
  const why =
    current !== undefined
      ? `it is higher than ${current} in force, and a repository policy may only lower it`
      : `the host's own limit is in force, and above ${lowestHost} (the lowest limit of any host) a figure could hide a run GitHub fails; rules.max-depth limits nesting freely`;
  note(path, `${keyName(path)} ${written} ignored; ${why}`);
  return current;
}

function intersectVisibility(current: readonly Visibility[], written: readonly Visibility[] | undefined, caller: Visibility, note: Note): Visibility[] {
  if (written === undefined) return [...current];
  written.forEach((callee, index) => {
    if (!current.includes(callee)) {
      note(['rules', 'visibility', 'allow', caller, index], `rules.visibility.allow.${caller} ${JSON.stringify(callee)} ignored; the policy in force does not let ${caller} repositories call ${callee} ones, and a repository policy may only narrow the list`);
    }
  });
  return current.filter((callee) => written.includes(callee));
}

/**
 * The patterns that allow what both lists allow (see tightenPolicy): `current` absent allows everything.
 * Blocks (`!`) of both lists are kept; they only ever remove.
 */
function intersectAllow(current: readonly string[] | undefined, written: readonly string[], path: PolicyPath, note: Note): string[] {
  if (current === undefined) return [...written];
  const isBlock = (pattern: string): boolean => pattern.startsWith('!');
  const inForce = current.filter((pattern) => !isBlock(pattern));
  const kept = new Set<string>();
  written.forEach((pattern, index) => {
    if (isBlock(pattern)) return;
    const within = inForce.some((outer) => patternCovers(outer, pattern));
    const covering = inForce.filter((inner) => patternCovers(pattern, inner));
    if (within) kept.add(pattern);
    covering.forEach((inner) => kept.add(inner));
    if (!within && covering.length === 0) {
      note([...path, index], `${keyName(path)} entry ${JSON.stringify(pattern)} ignored; it is not within the list in force (${inForce.map((p) => JSON.stringify(p)).join(', ') || 'empty'}), and a repository policy may only narrow that list`);
    }
  });
  for (const pattern of [...current, ...written]) if (isBlock(pattern)) kept.add(pattern);
  return [...kept];
}
