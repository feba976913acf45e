// The policy in force for one repository (PRODUCT.md §2): the organization policy from the default
// branch of the org's `.github` repository (or the `recommended` preset when there is none), its
// `repositories` overrides for this repository, and the repository's own policy at the pull request's
// base commit as the organization's `repo-policy` allows. Files come through a port; compiled policies
// are kept in a bounded in-process cache keyed by commit.
import { repoFullName, repoKey, type RepoId, type RepoMetadata, type ResolutionError } from '../graph/types.js';
import {
  applyRules,
  collectPolicyLayers,
  formatPolicyDiagnostic,
  mergePolicyLayers,
  parsePolicy,
  type RawPolicyDocument,
  type ResolveOptions,
} from './parse.js';
import { compilePatterns } from './patterns.js';
import { compileShippedPreset, DEFAULT_PRESET, shippedPresets } from './presets.js';
import { tightenPolicy } from './tighten.js';
import type { Policy, PolicyDiagnostic } from './types.js';
import { Lru } from '../lru.js';

// ---- the port ------------------------------------------------------------------------------------

export interface PolicyFileRequest {
  repo: RepoId;
  /** A full commit SHA, or undefined for the repository's default branch as it is now. */
  ref?: string;
  path: string;
}

export type PolicyFileResult =
  | { found: true; text: string; commit: string }
  /** No such file (at `commit`), or no such repository: that repository simply has no policy. */
  | { found: false; commit?: string }
  | { error: ResolutionError };

export interface PolicyFileSource {
  /** One result per request, in order. Backends read them all in one round trip; never throws per item. */
  readPolicyFiles(requests: PolicyFileRequest[]): Promise<PolicyFileResult[]>;
}

// ---- compiling -----------------------------------------------------------------------------------

export const DEFAULT_ORG_POLICY_REPO = '.github';
export const DEFAULT_POLICY_PATH = '.github/workflow-policy.yml';

/** A policy file compiled, with the layers it is made of (what tighten-only applies). */
export interface CompiledPolicyFile {
  policy?: Policy;
  layers?: readonly RawPolicyDocument[];
  diagnostics: PolicyDiagnostic[];
}

export type PolicyCompiler = (text: string, file: string) => CompiledPolicyFile;

/** Parses, validates and resolves one policy file; `extends` names shipped presets unless told otherwise. */
export function compilePolicyFile(text: string, file: string, options: ResolveOptions = shippedPresets): CompiledPolicyFile {
  const parsed = parsePolicy(text, file);
  if (parsed.policy === undefined) return { diagnostics: parsed.diagnostics };
  const { layers, diagnostics } = collectPolicyLayers(parsed.policy, options);
  if (diagnostics.length > 0) return { diagnostics };
  return { policy: mergePolicyLayers(layers), layers, diagnostics: [] };
}

/** `octo-org/.github:.github/workflow-policy.yml`: diagnostics name the repository the file lives in. */
export function policyFileLabel(repo: RepoId, path: string): string {
  return `${repoFullName(repo)}:${path}`;
}

// ---- the cache -----------------------------------------------------------------------------------

/**
 * Compiled policies by file and commit (a file at a commit never changes, so neither does its
 * compilation), and effective policies by the commits they were made from and the repository they were
 * specialised for. Both bounded, so a long-lived process stays small. Results are shared: do not mutate.
 */
export class PolicyCache {
  private readonly files: Lru<CompiledPolicyFile>;
  private readonly effective: Lru<EffectivePolicy>;

  constructor(options: { maxFiles?: number; maxEffective?: number } = {}) {
    this.files = new Lru(Math.max(1, options.maxFiles ?? 200));
    this.effective = new Lru(Math.max(1, options.maxEffective ?? 1000));
  }

  get size(): { files: number; effective: number } {
    return { files: this.files.size, effective: this.effective.size };
  }

  compiled(key: string, compile: () => CompiledPolicyFile): CompiledPolicyFile {
    return remember(this.files, key, compile);
  }

  specialised(key: string, build: () => EffectivePolicy): EffectivePolicy {
    return remember(this.effective, key, build);
  }
}

function remember<V>(lru: Lru<V>, key: string, make: () => V): V {
  const cached = lru.get(key);
  if (cached !== undefined) return cached;
  const value = make();
  lru.set(key, value);
  return value;
}

/** The process's cache, used when a caller passes none. */
export const sharedPolicyCache = new PolicyCache();

// ---- loading -------------------------------------------------------------------------------------

export interface PolicyFileOrigin {
  /** `owner/name`. */
  repo: string;
  commit: string;
  path: string;
}

export interface PolicyOrigin {
  /** The organization policy file, when there is one. */
  org?: PolicyFileOrigin;
  /** The repository policy file, when it was applied (tighten-only or override). */
  repo?: PolicyFileOrigin;
  /** The shipped preset applied because the organization has no policy. */
  preset?: string;
}

export interface EffectivePolicy {
  /** Absent when any diagnostic exists: the check fails closed. */
  policy?: Policy;
  diagnostics: PolicyDiagnostic[];
  origin: PolicyOrigin;
  /** What was applied or ignored and why, as `file:line:column: message` where a line is known. */
  notes: string[];
}

export interface LoadPolicyOptions {
  source: PolicyFileSource;
  /** The organization (or user) that owns the repository and the policy repository. */
  owner: string;
  repository: RepoMetadata;
  /** The pull request's base commit: the trusted side. The head is never read. */
  baseCommit: string;
  orgPolicyRepo?: string;
  path?: string;
  cache?: PolicyCache;
  /** How a policy file is compiled (tests count compilations through it). */
  compile?: PolicyCompiler;
}

interface Settings {
  orgRepo: RepoId;
  repository: RepoMetadata;
  path: string;
  cache: PolicyCache;
  compile: PolicyCompiler;
}

/**
 * The policy in force for `repository`, read in one round trip: the organization policy from the
 * default branch of `<owner>/<orgPolicyRepo>` as it is now, and the repository's policy at `baseCommit`.
 *
 * - No organization policy (no file, or no such repository): the shipped `recommended` preset.
 * - The organization policy's `repositories` entries matching `owner/name` (`!` excludes) are applied in
 *   order, later ones winning: `rules` with applyRules' semantics, `enforcement` replaced. The result
 *   has no `repositories` left: it is specialised for this repository.
 * - The repository policy, under the organization's `repo-policy`: `none` ignores it (noted);
 *   `override` puts it in the organization policy's place (its own `extends` and `repositories` apply);
 *   `tighten-only` applies it with tightenPolicy, so the result is never looser.
 * - An invalid policy, or one that could not be read, gives diagnostics and no policy (fail closed);
 *   a read failure never falls back to the preset. Exceptions keep their `expires` for the engine.
 */
export async function loadEffectivePolicy(options: LoadPolicyOptions): Promise<EffectivePolicy> {
  const path = options.path ?? DEFAULT_POLICY_PATH;
  const settings: Settings = {
    orgRepo: { owner: options.owner, name: options.orgPolicyRepo ?? DEFAULT_ORG_POLICY_REPO },
    repository: options.repository,
    path,
    cache: options.cache ?? sharedPolicyCache,
    compile: options.compile ?? ((text, file) => compilePolicyFile(text, file)),
  };
  // The policy repository's own pull requests: its file is the organization policy, not a second one.
  const ownFile = repoKey(settings.orgRepo) === repoKey(options.repository.repo);
  const requests: PolicyFileRequest[] = [{ repo: settings.orgRepo, path }];
  if (!ownFile) requests.push({ repo: options.repository.repo, ref: options.baseCommit, path });
  const [orgFile, repoFile] = await readAll(options.source, requests);
  return effectivePolicy(settings, orgFile, repoFile);
}

async function readAll(source: PolicyFileSource, requests: PolicyFileRequest[]): Promise<PolicyFileResult[]> {
  const missing = (message: string): PolicyFileResult => ({ error: { kind: 'server-error', message } });
  try {
    const results = await source.readPolicyFiles(requests);
    return requests.map((_, index) => results[index] ?? missing('the policy source gave no answer for this file'));
  } catch (error) {
    // A port that throws is a bug in that port; the check still fails closed instead of crashing.
    return requests.map(() => missing(error instanceof Error ? error.message : String(error)));
  }
}

interface OrgPolicy {
  /** Cache identity: the file at its commit, or the preset. */
  id: string;
  compiled: CompiledPolicyFile;
  origin: PolicyOrigin;
  notes: string[];
}

function effectivePolicy(settings: Settings, orgFile: PolicyFileResult | undefined, repoFile: PolicyFileResult | undefined): EffectivePolicy {
  const orgLabel = policyFileLabel(settings.orgRepo, settings.path);
  if (orgFile === undefined || 'error' in orgFile) {
    const reason = orgFile === undefined ? 'no answer' : orgFile.error.message;
    return failed([readFailure(orgLabel, `the organization policy could not be read, so no policy applies: ${reason}`)], {});
  }
  const org = orgPolicy(settings, orgFile, orgLabel);
  const policy = org.compiled.policy;
  if (policy === undefined) return failed(org.compiled.diagnostics, org.origin);
  // A read failure is not cached: only answers that name a commit are.
  if (repoFile !== undefined && 'error' in repoFile) return withRepository(settings, org, policy, repoFile);
  const repository = repoFullName(settings.repository.repo);
  const repoId = repoFile?.found === true ? `${repoFile.commit}:${settings.path}` : '-';
  const key = [org.id, repository, repoId].join('\n');
  return settings.cache.specialised(key, () => withRepository(settings, org, policy, repoFile));
}

function orgPolicy(settings: Settings, file: Extract<PolicyFileResult, { found: boolean }>, label: string): OrgPolicy {
  if (file.found) {
    const origin: PolicyOrigin = { org: { repo: repoFullName(settings.orgRepo), commit: file.commit, path: settings.path } };
    const compiled = compileCached(settings, label, file.commit, file.text);
    return { id: `${label}@${file.commit}`, compiled, origin, notes: [] };
  }
  const where =
    file.commit === undefined
      ? `${repoFullName(settings.orgRepo)} does not exist or is not visible to the app`
      : `${label} does not exist on the default branch (${file.commit})`;
  const note = `No organization policy: ${where}; the shipped ${JSON.stringify(DEFAULT_PRESET)} preset applies.`;
  // The note names the commit looked at, so it is part of the identity of what gets cached.
  const id = `preset:${DEFAULT_PRESET}\n${label}@${file.commit ?? 'no repository'}`;
  return { id, compiled: compileShippedPreset(DEFAULT_PRESET), origin: { preset: DEFAULT_PRESET }, notes: [note] };
}

function compileCached(settings: Settings, label: string, commit: string, text: string): CompiledPolicyFile {
  return settings.cache.compiled(`${label}@${commit}`, () => settings.compile(text, label));
}

/** The organization policy specialised for the repository, then the repository policy as `repo-policy` says. */
function withRepository(settings: Settings, org: OrgPolicy, orgCompiled: Policy, repoFile: PolicyFileResult | undefined): EffectivePolicy {
  const repo = settings.repository.repo;
  const repoLabel = policyFileLabel(repo, settings.path);
  const mode = orgCompiled.repoPolicy;
  if (repoFile === undefined || isAbsent(repoFile) || mode === 'none') {
    const inForce = specialiseForRepository(orgCompiled, repo);
    const ignored = mode === 'none' && repoFile !== undefined && isFound(repoFile) ? [`${repoLabel}: ignored; the organization policy sets repo-policy: none.`] : [];
    return { policy: inForce.policy, diagnostics: [], origin: org.origin, notes: [...org.notes, ...inForce.notes, ...ignored] };
  }
  if (!isFound(repoFile)) {
    const reason = 'error' in repoFile ? repoFile.error.message : 'no answer';
    return failed([readFailure(repoLabel, `the repository policy could not be read, so no policy applies: ${reason}`)], org.origin, org.notes);
  }
  const origin: PolicyOrigin = { ...org.origin, repo: { repo: repoFullName(repo), commit: repoFile.commit, path: settings.path } };
  const compiled = compileCached(settings, repoLabel, repoFile.commit, repoFile.text);
  if (compiled.policy === undefined || compiled.layers === undefined) return failed(compiled.diagnostics, origin, org.notes);
  if (mode === 'override') {
    const replaced = specialiseForRepository(compiled.policy, repo);
    const notes = [...org.notes, `${repoLabel}: replaces the organization policy (repo-policy: override).`, ...replaced.notes];
    return { policy: replaced.policy, diagnostics: [], origin, notes };
  }
  const inForce = specialiseForRepository(orgCompiled, repo);
  const tightened = tightenPolicy(inForce.policy, compiled.layers);
  const notes = [...org.notes, ...inForce.notes, ...tightened.notes.map(formatPolicyDiagnostic)];
  return { policy: tightened.policy, diagnostics: [], origin, notes };
}

function isFound(file: PolicyFileResult): file is Extract<PolicyFileResult, { found: true }> {
  return 'found' in file && file.found;
}

function isAbsent(file: PolicyFileResult): boolean {
  return 'found' in file && !file.found;
}

/**
 * Applies the policy's `repositories` entries whose `match` takes `owner/name` (`!` excludes), in order,
 * so a later entry wins over an earlier one where both set something.
 */
export function specialiseForRepository(policy: Policy, repo: RepoId): { policy: Policy; notes: string[] } {
  const name = repoFullName(repo);
  let rules = policy.rules;
  let enforcement = policy.enforcement;
  const notes: string[] = [];
  policy.repositories.forEach((override, index) => {
    if (!compilePatterns(override.match).matches(name)) return;
    rules = applyRules(rules, override.rules);
    enforcement = override.enforcement ?? enforcement;
    const at = override.location.range.start;
    notes.push(`${override.location.file}:${at.line}:${at.column}: repositories[${index}] applies to ${name}.`);
  });
  return { policy: { ...policy, rules, enforcement, repositories: [] }, notes };
}

function failed(diagnostics: PolicyDiagnostic[], origin: PolicyOrigin, notes: string[] = []): EffectivePolicy {
  return { diagnostics, origin, notes };
}

function readFailure(file: string, message: string): PolicyDiagnostic {
  return { file, line: 1, column: 1, endLine: 1, endColumn: 1, message };
}
