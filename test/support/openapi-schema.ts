// Validates request bodies the app sends against GitHub's own REST description (@octokit/openapi), so a
// body GitHub would reject (a bad conclusion, a missing name, 51 annotations) fails the test that builds it.
// The description is 13 MB: it is read once, on first use, and each operation's schema compiled once.
// Free of Jest, so the GitHub imitation can validate outside tests too (`npm run load`); openapi.ts adds the
// Jest assertion.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const SPEC_MODULE = '@octokit/openapi/generated/api.github.com.json';
const SCHEMA_REF = /^#\/components\/schemas\/([^/]+)$/;
/** OpenAPI 3.0 keywords that are not JSON Schema: `nullable` is translated, the rest are annotations. */
const OPENAPI_ONLY = new Set(['nullable', 'example', 'discriminator', 'xml', 'externalDocs']);

let spec: JsonObject | undefined;
let ajv: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();

function loadSpec(): JsonObject {
  if (spec === undefined) {
    const file = createRequire(import.meta.url).resolve(SPEC_MODULE);
    spec = JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
  }
  return spec;
}

function validator(): Ajv {
  if (ajv === undefined) {
    // Unknown keywords stay errors; GitHub's `required` inside `anyOf` branches and untyped `properties` are valid JSON Schema.
    ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, strictTypes: false });
    // Formats GitHub's description uses; those with no checkable shape are accepted as written.
    ajv.addFormat('date-time', /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})$/i);
    ajv.addFormat('date', /^\d{4}-\d{2}-\d{2}$/);
    ajv.addFormat('uri', { validate: (value: string) => URL.canParse(value) });
    for (const name of ['int32', 'int64', 'double', 'binary', 'repo.nwo', 'uri-template', 'email', 'timestamp']) ajv.addFormat(name, true);
    // GitHub's own extensions (`x-github`, `x-multi-segment`, …) are annotations too.
    ajv.addVocabulary(['x-github', 'x-github-breaking-changes', 'x-multi-segment']);
  }
  return ajv;
}

function isObject(value: Json | undefined): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function child(value: Json | undefined, key: string): Json | undefined {
  return isObject(value) ? value[key] : undefined;
}

/**
 * An OpenAPI 3.0 schema as JSON Schema (draft 7): `$ref`s to `#/components/schemas/X` become local
 * `#/definitions/X` (collected into `definitions`, recursion included), and `nullable: true` admits null.
 */
function toJsonSchema(node: Json, definitions: JsonObject): Json {
  if (Array.isArray(node)) return node.map((item) => toJsonSchema(item, definitions));
  if (!isObject(node)) return node;
  const ref = node['$ref'];
  if (typeof ref === 'string') return { $ref: localRef(ref, definitions) };
  const converted: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (OPENAPI_ONLY.has(key)) continue;
    // Under `properties` the keys are names, not keywords: convert each value, keep each key.
    converted[key] =
      key === 'properties' && isObject(value)
        ? Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, toJsonSchema(schema, definitions)]))
        : toJsonSchema(value, definitions);
  }
  return node['nullable'] === true ? admitNull(converted) : converted;
}

function localRef(ref: string, definitions: JsonObject): string {
  const name = SCHEMA_REF.exec(ref)?.[1];
  const target = name === undefined ? undefined : child(child(child(loadSpec(), 'components'), 'schemas'), name);
  if (name === undefined || target === undefined) throw new Error(`openapi: unsupported $ref ${ref}`);
  if (!(name in definitions)) {
    definitions[name] = true; // placeholder: a schema that refers to itself must not recurse forever
    definitions[name] = toJsonSchema(target, definitions);
  }
  return `#/definitions/${name}`;
}

function admitNull(schema: JsonObject): JsonObject {
  const type = schema['type'];
  if (typeof type === 'string' && schema['enum'] === undefined) return { ...schema, type: [type, 'null'] };
  return { anyOf: [schema, { type: 'null' }] };
}

function compile(method: string, path: string): ValidateFunction {
  const key = `${method.toUpperCase()} ${path}`;
  const cached = validators.get(key);
  if (cached !== undefined) return cached;
  const operation = child(child(loadSpec(), 'paths'), path);
  const body = child(child(child(child(operation, method.toLowerCase()), 'requestBody'), 'content'), 'application/json');
  const schema = child(body, 'schema');
  if (schema === undefined) throw new Error(`openapi: no JSON request body for ${key}`);
  const definitions: JsonObject = {};
  const root = toJsonSchema(schema, definitions);
  const validate = validator().compile(isObject(root) ? { ...root, definitions } : { allOf: [root], definitions });
  validators.set(key, validate);
  return validate;
}

/**
 * Ajv's errors for `body` as the request body of `method path` (a template as GitHub's description
 * writes it, e.g. `/repos/{owner}/{repo}/check-runs`); empty when GitHub would accept it.
 * Throws for an operation the description does not have: that is a mistake in the test.
 */
export function validateRequest(method: string, path: string, body: unknown): ErrorObject[] {
  const validate = compile(method, path);
  return validate(body) ? [] : [...(validate.errors ?? [])];
}
