// The policy language: the file as written (`PolicyFile`) and the policy the engine reads after
// presets and defaults are applied (`Policy`). PRODUCT.md §2 is the contract for names and rule ids.
import type { Visibility } from '../graph/types.js';
import type { SourceRange } from '../workflow/model.js';

/** Stable rule ids: they appear in every finding and in the policy file. */
export const RULE_IDS = [
  'allowed-sources',
  'visibility',
  'pinning',
  'max-depth',
  'secrets-inherit',
  'permissions',
  'contract',
  'caller-impact',
  'platform-limits',
  'resolution',
  'policy',
] as const;

export type RuleId = (typeof RULE_IDS)[number];

/** Rules configured under `rules:` (`policy` reports the policy file itself and has no settings). */
export type ConfigurableRuleId = Exclude<RuleId, 'policy'>;

/**
 * Rules an exception may waive. `platform-limits` and `resolution` describe runs GitHub fails (or that
 * the app cannot see, so it fails closed); waiving them would only hide a failure. `caller-impact` is about
 * callers, not about a call an exception's `uses` could name.
 */
export type ExemptibleRuleId = Exclude<RuleId, 'platform-limits' | 'resolution' | 'policy' | 'caller-impact'>;

export type Severity = 'error' | 'warning' | 'off';
export type Enforcement = 'block' | 'warn' | 'off';
export type RepoPolicyMode = 'none' | 'tighten-only' | 'override';
export type PinningRequirement = 'sha' | 'ref' | 'any';
export type PinningScope = 'external' | 'all';
/** What a rule may be limited to, in the words of GitHub's "allowed actions and reusable workflows" setting. */
export type UsesKind = 'reusable-workflows' | 'actions';
export const USES_KINDS: readonly UsesKind[] = ['reusable-workflows', 'actions'];

/** The ref form a tag-required callee's maintainers require: an exact release tag, `v1.2.3` (a `-rc.1` prerelease allowed). */
export type TagForm = 'vX.Y.Z';

/** A problem in a policy file, with a 1-based position; `end*` is exclusive (editor convention). */
export interface PolicyDiagnostic {
  file: string;
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  message: string;
}

/** Where something was written in a policy file (for findings about exceptions, for example). */
export interface PolicyLocation {
  file: string;
  range: SourceRange;
}

// ---------------------------------------------------------------------------------------------
// The file as written (keys as in YAML). Mirrors policies/schema.json; only valid documents get
// this type.

export interface RuleSettingsFile {
  severity?: Severity;
}

export interface RulesFile {
  'allowed-sources'?: RuleSettingsFile & { allow?: string[]; deny?: string[]; 'applies-to'?: UsesKind[] };
  visibility?: RuleSettingsFile & {
    allow?: Partial<Record<Visibility, Visibility[]>>;
    'check-access-setting'?: boolean;
  };
  pinning?: RuleSettingsFile & {
    require?: PinningRequirement;
    scope?: PinningScope;
    verify?: boolean;
    'tag-required'?: TagRequirementFile[];
    'applies-to'?: UsesKind[];
  };
  'max-depth'?: RuleSettingsFile & { levels?: number };
  'secrets-inherit'?: RuleSettingsFile & { allow?: string[]; 'allow-same-owner'?: boolean };
  permissions?: RuleSettingsFile;
  contract?: RuleSettingsFile;
  'caller-impact'?: RuleSettingsFile;
  'platform-limits'?: { severity?: 'error' };
  resolution?: { severity?: 'error' };
}

/** A callee whose maintainers require it to be called by a tag of one form (SLSA's builders: `@vX.Y.Z`). */
export interface TagRequirementFile {
  uses: string;
  ref?: TagForm;
  reason: string;
  url?: string;
}

export interface ExceptionFile {
  uses: string;
  rules: ExemptibleRuleId[];
  repos?: string[];
  reason: string;
  /** `YYYY-MM-DD`. */
  expires?: string;
}

export interface RepositoryOverrideFile {
  match: string[];
  enforcement?: Enforcement;
  rules?: RulesFile;
}

export interface PolicyFile {
  version: 1;
  extends?: string | string[];
  enforcement?: Enforcement;
  platform?: { 'max-levels'?: number; 'max-unique'?: number };
  rules?: RulesFile;
  exceptions?: ExceptionFile[];
  repositories?: RepositoryOverrideFile[];
  'repo-policy'?: RepoPolicyMode;
}

// ---------------------------------------------------------------------------------------------
// The resolved policy: presets merged, defaults applied. Plain data (cacheable, serialisable).

export interface RuleSettingsBase {
  severity: Severity;
}

export interface RuleSettings {
  /**
   * `allow` absent: every source is allowed except `deny`. Present: only matching sources. `appliesTo`: the kinds of
   * `uses:` the rule judges (both unless the policy narrows it), here and for `pinning`.
   */
  'allowed-sources': RuleSettingsBase & { allow?: string[]; deny: string[]; appliesTo: UsesKind[] };
  /** Caller visibility → callee visibilities it may call. */
  visibility: RuleSettingsBase & { allow: Record<Visibility, Visibility[]>; checkAccessSetting: boolean };
  /**
   * `tagRequired`: callees called by an exact tag instead of a SHA, because their maintainers require it; entries
   * of every layer add up (a later entry for the same `uses` replaces an earlier one).
   */
  pinning: RuleSettingsBase & { require: PinningRequirement; scope: PinningScope; verify: boolean; tagRequired: TagRequirement[]; appliesTo: UsesKind[] };
  /** `levels` absent: the host's platform limit (already enforced by `platform-limits`). */
  'max-depth': RuleSettingsBase & { levels?: number };
  /** Callees that may receive `secrets: inherit`: matching `allow`, or sharing the caller's owner. */
  'secrets-inherit': RuleSettingsBase & { allow: string[]; allowSameOwner: boolean };
  permissions: RuleSettingsBase;
  contract: RuleSettingsBase;
  /** What a change to a callee does to its callers (PRODUCT: the callee side); errors are runs GitHub would fail. */
  'caller-impact': RuleSettingsBase;
  'platform-limits': { severity: 'error' };
  resolution: { severity: 'error' };
}

export interface TagRequirement {
  /** Pattern of the callee (`owner/repo/.github/workflows/*` syntax), matched against the call without its ref. */
  uses: string;
  ref: TagForm;
  /** Why, in one sentence: shown in every finding about such a call. */
  reason: string;
  /** Where the maintainers document it. */
  url?: string;
}

export interface PolicyException {
  /** Pattern of the called workflow (`owner/repo/.github/workflows/file.yml@ref` syntax). */
  uses: string;
  rules: ExemptibleRuleId[];
  /** Caller repositories (`owner/repo` patterns); absent: every repository. */
  repos?: string[];
  reason: string;
  /** `YYYY-MM-DD`; the engine decides whether it has passed. */
  expires?: string;
  location: PolicyLocation;
}

export interface RepositoryOverride {
  /** `owner/repo` patterns; `!` excludes. */
  match: string[];
  enforcement?: Enforcement;
  /** Merged over the policy's rules with the same semantics as `extends` (see resolvePolicy). */
  rules?: RulesFile;
  location: PolicyLocation;
}

export interface Policy {
  version: 1;
  enforcement: Enforcement;
  /** Overrides of the host's limits; absent fields mean the host's own figures. */
  platform: { maxLevels?: number; maxUnique?: number };
  rules: RuleSettings;
  exceptions: PolicyException[];
  repositories: RepositoryOverride[];
  repoPolicy: RepoPolicyMode;
  /** Files merged into this policy, presets first, the policy file itself last. */
  sources: string[];
}
