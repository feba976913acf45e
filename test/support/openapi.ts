// The Jest side of openapi-schema.ts: an assertion that GitHub would accept a request body.
import { validateRequest } from './openapi-schema.js';

export { validateRequest };

/** Fails the test with Ajv's errors when GitHub would reject the body. */
export function expectValidRequest(method: string, path: string, body: unknown): void {
  expect(validateRequest(method, path, body)).toEqual([]);
}
