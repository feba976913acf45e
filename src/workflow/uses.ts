// The grammar of `uses:` strings, job level (reusable workflows) and step level (actions).

/** A full 40-hex commit SHA pins; anything else (tag, branch, short SHA) is a named ref. */
export type RefKind = 'sha' | 'named';

export type InvalidUsesReason =
  | 'empty'
  | 'expression'
  | 'missing-ref'
  | 'empty-ref'
  | 'subdirectory'
  | 'not-a-workflow-path'
  | 'bad-characters'
  | 'path-traversal'
  | 'ref-on-local';

export type UsesReference =
  /** `owner/repo/.github/workflows/file.yml@ref` */
  | {
      kind: 'remote-workflow';
      owner: string;
      repo: string;
      path: string;
      ref: string;
      refKind: RefKind;
    }
  /** `./.github/workflows/file.yml` or `$/.github/workflows/file.yml`: the containing repository at its commit. */
  | { kind: 'local-workflow'; syntax: './' | '$/'; path: string }
  /** Step level `owner/repo[/path]@ref`. */
  | { kind: 'action'; owner: string; repo: string; subpath?: string; ref: string; refKind: RefKind }
  /** Step level `./path/to/action`. */
  | { kind: 'local-action'; path: string }
  /** Step level `docker://image:tag`. */
  | { kind: 'docker'; image: string }
  | { kind: 'invalid'; reason: InvalidUsesReason; message: string };

export interface ParsedUses {
  raw: string;
  reference: UsesReference;
  /** The version named in a trailing comment (`# v1.2.3` → `v1.2.3`), if any. */
  versionComment?: string;
}
