import { expectValidRequest, validateRequest } from './openapi.js';

const CREATE = '/repos/{owner}/{repo}/check-runs';
const UPDATE = '/repos/{owner}/{repo}/check-runs/{check_run_id}';
const SHA = '0123456789abcdef0123456789abcdef01234567';

const annotation = { path: '.github/workflows/ci.yml', start_line: 8, end_line: 8, annotation_level: 'failure', message: 'A problem.' };

describe('validateRequest on check runs', () => {
  it('accepts a good create body', () => {
    expect(validateRequest('POST', CREATE, { name: 'Workflow policy', head_sha: SHA, status: 'in_progress' })).toEqual([]);
  });

  it('rejects a create body without a name', () => {
    const errors = validateRequest('POST', CREATE, { head_sha: SHA, status: 'in_progress' });
    expect(errors.map((error) => [error.keyword, error.params])).toEqual([['required', { missingProperty: 'name' }]]);
  });

  it('rejects a bad conclusion', () => {
    const errors = validateRequest('post', CREATE, { name: 'Workflow policy', head_sha: SHA, conclusion: 'passed' });
    expect(errors.map((error) => [error.instancePath, error.keyword])).toEqual([['/conclusion', 'enum']]);
  });

  it('rejects a completed update without a conclusion, and accepts one with it', () => {
    const errors = validateRequest('PATCH', UPDATE, { status: 'completed', output: { title: 'T', summary: 'S' } });
    expect(errors.some((error) => error.keyword === 'required' && error.params['missingProperty'] === 'conclusion')).toBe(true);
    expectValidRequest('PATCH', UPDATE, { status: 'completed', conclusion: 'success', output: { title: 'T', summary: 'S' } });
  });

  it('rejects an output without a summary, and 51 annotations in one request', () => {
    const noSummary = validateRequest('PATCH', UPDATE, { output: { title: 'T' } });
    expect(noSummary.map((error) => [error.instancePath, error.params])).toEqual([['/output', { missingProperty: 'summary' }]]);
    const tooMany = validateRequest('PATCH', UPDATE, { output: { title: 'T', summary: 'S', annotations: Array(51).fill(annotation) } });
    expect(tooMany.map((error) => [error.instancePath, error.keyword])).toEqual([['/output/annotations', 'maxItems']]);
    expectValidRequest('PATCH', UPDATE, { output: { title: 'T', summary: 'S', annotations: Array(50).fill(annotation) } });
  });

  it('rejects an annotation with a bad level or no line', () => {
    const errors = validateRequest('PATCH', UPDATE, {
      output: { title: 'T', summary: 'S', annotations: [{ ...annotation, annotation_level: 'error' }, { path: 'x', end_line: 1, annotation_level: 'notice', message: 'm' }] },
    });
    expect(errors.map((error) => [error.instancePath, error.keyword])).toEqual([
      ['/output/annotations/0/annotation_level', 'enum'],
      ['/output/annotations/1', 'required'],
    ]);
  });

  it('checks formats: a started_at that is no date-time is rejected', () => {
    const body = { name: 'Workflow policy', head_sha: SHA, started_at: 'yesterday' };
    expect(validateRequest('POST', CREATE, body).map((error) => error.keyword)).toEqual(['format']);
    expectValidRequest('POST', CREATE, { ...body, started_at: '2026-07-01T12:00:00Z' });
  });
});

describe('validateRequest on schemas with $ref and nullable', () => {
  it('resolves $ref to components: the referenced enum is checked', () => {
    const PERMISSIONS = '/orgs/{org}/actions/permissions';
    expectValidRequest('PUT', PERMISSIONS, { enabled_repositories: 'all' });
    const errors = validateRequest('PUT', PERMISSIONS, { enabled_repositories: 'some' });
    expect(errors.map((error) => [error.instancePath, error.keyword])).toEqual([['/enabled_repositories', 'enum']]);
  });

  // `PUT /repos/{owner}/{repo}/branches/{branch}/protection` has nullable members, required ones among them.
  const PROTECTION = '/repos/{owner}/{repo}/branches/{branch}/protection';
  const protection = { required_status_checks: null, enforce_admins: null, required_pull_request_reviews: null, restrictions: null };

  it('accepts null where OpenAPI says nullable', () => {
    expectValidRequest('PUT', PROTECTION, protection);
  });

  it('still checks the type of a nullable member that is not null', () => {
    const errors = validateRequest('PUT', PROTECTION, { ...protection, enforce_admins: 'yes' });
    expect(errors.map((error) => error.instancePath)).toContain('/enforce_admins');
  });
});

describe('validateRequest on operations it does not know', () => {
  it('throws, naming the operation: the test is wrong, not the body', () => {
    expect(() => validateRequest('POST', '/repos/{owner}/{repo}/no-such-thing', {})).toThrow('openapi: no JSON request body for POST /repos/{owner}/{repo}/no-such-thing');
  });
});
