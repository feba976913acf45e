// SARIF 2.1.0's JSON schema as Microsoft's SARIF SDK ships it (@microsoft/jest-sarif, MIT): the schema of the
// standard's final release candidate (rtm.5), JSON Schema draft-04 like the OASIS schema itself. The OASIS
// errata only tighten it where this project's output already complies (a region names its start line; enum
// values are strings).
import sarifSchema from '@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json' with { type: 'json' };
import ajvDraft04 from 'ajv-draft-04';
import ajvFormats from 'ajv-formats';

export function sarifValidator() {
  // Not `strict`: the schema requires properties inside an `anyOf` it declares outside it. Not `unicodeRegExp`:
  // rtm.5's pattern for `language` has a stray `]` that only the `u` flag rejects (the OASIS errata fixed it).
  // CommonJS modules whose `default` is their export: Node gives the module object to a default import.
  const ajv = new ajvDraft04.default({ allErrors: true, strict: false, unicodeRegExp: false });
  ajvFormats.default(ajv);
  return ajv.compile(sarifSchema);
}
