// The presets shipped in the project's policies/ folder (`extends: recommended`, and the policy the
// app applies when an org has none).
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compilePolicy, type CompilePolicyResult, type PresetSource, type ResolveOptions } from './parse.js';

export const PRESET_NAMES: readonly string[] = ['recommended', 'strict'];

/** Name of the preset applied when an organization has no policy file. */
export const DEFAULT_PRESET = 'recommended';

const texts = new Map<string, PresetSource>();
const compiled = new Map<string, CompilePolicyResult>();
let directory: string | undefined;

/**
 * The policies/ folder, found by walking up from this module: it is two levels up from src/policy
 * (ts-jest) and three from dist/src/policy (after tsc), and tsc does not copy the .yml files.
 */
function presetsDirectory(): string | undefined {
  if (directory !== undefined) return directory;
  let current = dirname(fileURLToPath(import.meta.url));
  for (let level = 0; level < 5; level += 1) {
    const candidate = join(current, 'policies');
    if (existsSync(join(candidate, `${DEFAULT_PRESET}.yml`))) {
      directory = candidate;
      return directory;
    }
    current = dirname(current);
  }
  return undefined;
}

/** A shipped preset's text; undefined for names that are not shipped presets (or an unreadable file). */
export function loadShippedPreset(name: string): PresetSource | undefined {
  // Only known names reach the file system: a policy file must not choose paths.
  if (!PRESET_NAMES.includes(name)) return undefined;
  const cached = texts.get(name);
  if (cached !== undefined) return cached;
  const folder = presetsDirectory();
  if (folder === undefined) return undefined;
  try {
    const source = { file: `policies/${name}.yml`, text: readFileSync(join(folder, `${name}.yml`), 'utf8') };
    texts.set(name, source);
    return source;
  } catch {
    return undefined;
  }
}

/** Resolve options for policies whose `extends` names shipped presets. */
export const shippedPresets: ResolveOptions = { loadPreset: loadShippedPreset, presetNames: PRESET_NAMES };

/** A shipped preset parsed, validated and resolved (once per process). */
export function compileShippedPreset(name: string): CompilePolicyResult {
  const cached = compiled.get(name);
  if (cached !== undefined) return cached;
  const source = loadShippedPreset(name);
  const missing = { file: `policies/${name}.yml`, line: 1, column: 1, endLine: 1, endColumn: 1, message: `preset ${JSON.stringify(name)} not found` };
  const result: CompilePolicyResult =
    source === undefined ? { diagnostics: [missing] } : compilePolicy(source.text, source.file, shippedPresets);
  compiled.set(name, result);
  return result;
}
