// The GitHub the app talks to in full-flow tests and the load test: FakeGitHub plus what the app calls beyond
// resolution (check runs, pull requests and their files, compare, reviews, the Git Data API, the installation's
// repositories), the world-building helpers, and webhook payloads built from the real examples of
// @octokit/webhooks-examples with the repository, pull request and commit fields of the test's world. Nothing here
// depends on Jest, so `npm run load` serves the same fake (test/support/app.ts is the Jest harness around it).
import { createRequire } from 'node:module';
import { InstallationFakeGitHub, repositoryJson } from './fake-github-installation.js';
import { FakePulls, type FakePullFile } from './fake-github-pulls.js';
import type { FakeFile, FakeOutcome, FakeRepo, FakeRequest, FakeResponse, LoggedRequest, RouteContext } from './fake-github.js';
import { validateRequest } from './openapi-schema.js';

export const CHECK_RUNS = 'POST /repos/{owner}/{repo}/check-runs';
export const CHECK_RUN = 'PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}';
export const GET_CHECK_RUN = 'GET /repos/{owner}/{repo}/check-runs/{check_run_id}';
export const PULL_FILES = 'GET /repos/{owner}/{repo}/pulls/{pull_number}/files';
export const PULL = 'GET /repos/{owner}/{repo}/pulls/{pull_number}';
export const REVIEWS = 'POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews';
export const COMPARE = 'GET /repos/{owner}/{repo}/compare/{basehead}';
const GRAPHQL = 'POST /graphql';

/** Requests whose bodies GitHub validates, by route key: each is checked against the OpenAPI description. */
const VALIDATED_ROUTES = new Set([
  CHECK_RUNS,
  CHECK_RUN,
  REVIEWS,
  'POST /repos/{owner}/{repo}/git/trees',
  'POST /repos/{owner}/{repo}/git/commits',
  'PATCH /repos/{owner}/{repo}/git/refs/{ref}',
]);

const APP_SLUG = 'workflow-warden';
/** The one check suite every check run of the fake belongs to. */
const CHECK_SUITE_ID = 5000;
const DOCS = 'https://docs.github.com/rest';

// ---- Check runs ------------------------------------------------------------------------------------------------

export interface CheckAnnotationBody {
  path: string;
  start_line: number;
  end_line: number;
  start_column?: number;
  end_column?: number;
  annotation_level: string;
  title?: string;
  message: string;
  raw_details?: string;
}

/** A check run as GitHub keeps it: outputs replaced by each update, annotations appended. */
export interface FakeCheckRun {
  id: number;
  /** `owner/name` of the repository it is on. */
  repo: string;
  name: string;
  head_sha: string;
  external_id: string | null;
  status: string;
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
  output: { title: string | null; summary: string | null; text: string | null };
  annotations: CheckAnnotationBody[];
  actions: { label: string; description: string; identifier: string }[];
  /** The request bodies, the create first, then each update. */
  requests: Record<string, unknown>[];
}

interface CheckRunBody {
  name?: string;
  head_sha?: string;
  external_id?: string;
  status?: string;
  conclusion?: string;
  started_at?: string;
  completed_at?: string;
  output?: { title?: string; summary?: string; text?: string; annotations?: CheckAnnotationBody[] };
  actions?: FakeCheckRun['actions'];
}

// ---- Pull requests ---------------------------------------------------------------------------------------------

export interface PullSpec {
  number: number;
  base: { ref: string; sha: string };
  /** `repo` is the head repository, `owner/name`; the base repository when omitted. */
  head: { ref: string; sha: string; repo?: string };
  /** The PR files API entries; computed from the two commits when omitted. */
  files?: FakePullFile[];
  /** GitHub's `changed_files` count; the number of listed files when omitted (more: the list was cut short). */
  changedFiles?: number;
}

export type GraphqlFault = { status: number } | { delayMs: number };

interface PullRecord extends PullSpec {
  repo: string;
}

/**
 * FakeGitHub with what the app calls beyond resolution: check runs, pull requests and their files, the
 * compare API's file list, the app's own identity, reviews and the Git Data API (FakePulls), the
 * installation's repositories. Request bodies GitHub validates are checked and their problems collected.
 */
export class AppGitHub extends InstallationFakeGitHub {
  readonly pulls: FakePulls;
  readonly checkRuns: FakeCheckRun[] = [];
  /** Bodies GitHub would reject: the route and Ajv's errors. */
  readonly invalidBodies: { route: string; errors: string[] }[] = [];
  private readonly pullRecords = new Map<string, PullRecord>();
  private readonly graphqlFaults: { operation: string; fault: GraphqlFault; remaining: number; about?: string }[] = [];
  private nextCheckRunId = 90_001;
  private delayed = 0;

  constructor() {
    super();
    this.pulls = new FakePulls(this);
    this.route('GET', '/app', (context) => ({ status: 200, body: appJson(context.apiBase) }));
    this.repoRoute('POST', '/check-runs', (repo, context) => this.createCheckRun(repo, context));
    this.repoRoute('PATCH', '/check-runs/{check_run_id}', (repo, context) => this.updateCheckRun(repo, context));
    this.repoRoute('GET', '/check-runs/{check_run_id}', (repo, context) => this.getCheckRun(repo, context));
    this.repoRoute('GET', '/check-suites/{check_suite_id}/check-runs', (repo, context) => this.listSuiteCheckRuns(repo, context));
    this.repoRoute('GET', '/pulls/{pull_number}/files', (repo, context) => this.listPullFiles(repo, context));
    this.repoRoute('GET', '/pulls/{pull_number}', (repo, context) => this.getPull(repo, context));
  }

  /** Opens a pull request on `fullName` (the base repository); its head commit must be readable through it. */
  openPull(fullName: string, spec: PullSpec): PullRecord {
    const repo = this.repo(fullName);
    const files = spec.files ?? diffFiles(repo, spec.base.sha, spec.head.sha);
    const record: PullRecord = { ...spec, files, repo: fullName };
    this.pullRecords.set(`${fullName.toLowerCase()}#${spec.number}`, record);
    this.pulls.addPull(fullName, { number: spec.number, headSha: spec.head.sha, files });
    // `GET .../commits/{sha}/pulls` lists the open pull requests whose head is that commit.
    const sameHead = this.pullsByCommit.get(spec.head.sha) ?? [];
    this.pullsByCommit.set(spec.head.sha, [...sameHead, { number: spec.number, state: 'open', head: { ref: spec.head.ref, sha: spec.head.sha }, base: spec.base }]);
    return record;
  }

  /** What the webhook and the pulls API say of a pull request's size. */
  changedFiles(fullName: string, number: number): number {
    const record = this.pullRecords.get(`${fullName.toLowerCase()}#${number}`);
    return record?.changedFiles ?? record?.files?.length ?? 0;
  }

  /** The PR's branch moved to `headSha` (a commit of the base repository): its files follow, its reviews stay. */
  movePull(fullName: string, number: number, headSha: string): void {
    const record = this.pullRecords.get(`${fullName.toLowerCase()}#${number}`);
    if (record === undefined) throw new Error(`AppGitHub: no pull request #${number} in ${fullName}`);
    const pull = this.pulls.pull(fullName, number);
    record.head = { ...record.head, sha: headSha };
    pull.headSha = headSha;
    pull.files = diffFiles(this.repo(fullName), record.base.sha, headSha);
    record.files = pull.files;
  }

  /**
   * The next `times` GraphQL requests of one operation (`WardenLevel`, `WardenWorkflows`, …), about repository
   * `about` (`owner/name`, in any of its `owner`/`name` or `o<i>`/`n<i>` variables) when given, answer `status`
   * or answer late (`delayMs`).
   */
  faultGraphql(operation: string, fault: GraphqlFault, options: { times?: number; about?: string } = {}): void {
    this.graphqlFaults.push({ operation, fault, remaining: options.times ?? 1, ...(options.about !== undefined && { about: options.about.toLowerCase() }) });
  }

  /** Requests being answered or held back: zero once everything sent has been answered. */
  override get busy(): number {
    return super.busy + this.delayed;
  }

  override async handle(request: FakeRequest, origin: string): Promise<FakeOutcome> {
    const fault = this.takeGraphqlFault(request);
    // Through FakeGitHub's own faults, so the request is logged like any other and taken by this very request.
    if (fault !== undefined && 'status' in fault) this.inject(GRAPHQL, { status: fault.status, times: 1 });
    const index = this.requests.length;
    const answer = super.handle(request, origin);
    const entry = this.requests[index];
    if (entry !== undefined) this.validate(entry);
    let outcome = await answer;
    if (fault !== undefined && 'delayMs' in fault) {
      this.delayed += 1;
      await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      this.delayed -= 1;
    }
    if (entry?.route === COMPARE && outcome.kind === 'respond' && outcome.response.status === 200) {
      outcome = { kind: 'respond', response: this.withComparedFiles(entry, outcome.response) };
    }
    return outcome;
  }

  // ---- faults and validation -----------------------------------------------------------------------------------

  private takeGraphqlFault(request: FakeRequest): GraphqlFault | undefined {
    if (request.method !== 'POST' || !/graphql$/.test(request.path.split('?')[0] ?? '')) return undefined;
    const parsed = parseJson(request.body) as { query?: unknown; variables?: Record<string, unknown> };
    const operation = typeof parsed.query === 'string' ? /query\s+(\w+)/.exec(parsed.query)?.[1] : undefined;
    const repos = namedRepos(parsed.variables ?? {});
    const state = this.graphqlFaults.find(
      (candidate) => candidate.operation === operation && candidate.remaining > 0 && (candidate.about === undefined || repos.includes(candidate.about)),
    );
    if (state === undefined) return undefined;
    state.remaining -= 1;
    return state.fault;
  }

  private validate(entry: LoggedRequest): void {
    if (entry.route === undefined || !VALIDATED_ROUTES.has(entry.route)) return;
    const [method = '', path = ''] = entry.route.split(' ');
    const errors = validateRequest(method, path, entry.body ?? {}).map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`);
    if (errors.length > 0) this.invalidBodies.push({ route: entry.route, errors });
  }

  // ---- check runs ----------------------------------------------------------------------------------------------

  private createCheckRun(repo: FakeRepo, context: RouteContext): FakeResponse {
    const body = parseJson(context.request.body) as CheckRunBody;
    if (typeof body.name !== 'string' || typeof body.head_sha !== 'string') return unprocessable('name and head_sha are required');
    if (!repo.commits.has(body.head_sha)) return unprocessable('No commit found for SHA: ' + body.head_sha);
    const run: FakeCheckRun = {
      id: this.nextCheckRunId++,
      repo: `${repo.owner}/${repo.name}`,
      name: body.name,
      head_sha: body.head_sha,
      external_id: body.external_id ?? null,
      status: 'queued',
      conclusion: null,
      started_at: null,
      completed_at: null,
      output: { title: null, summary: null, text: null },
      annotations: [],
      actions: [],
      requests: [],
    };
    applyCheckRunBody(run, body);
    this.checkRuns.push(run);
    return { status: 201, body: checkRunJson(run, context.apiBase) };
  }

  private updateCheckRun(repo: FakeRepo, context: RouteContext): FakeResponse {
    const run = this.checkRuns.find((candidate) => String(candidate.id) === context.params.check_run_id && candidate.repo === `${repo.owner}/${repo.name}`);
    if (run === undefined) return notFound();
    applyCheckRunBody(run, parseJson(context.request.body) as CheckRunBody);
    return { status: 200, body: checkRunJson(run, context.apiBase) };
  }

  private getCheckRun(repo: FakeRepo, context: RouteContext): FakeResponse {
    const run = this.checkRuns.find((candidate) => String(candidate.id) === context.params.check_run_id && candidate.repo === `${repo.owner}/${repo.name}`);
    return run === undefined ? notFound() : { status: 200, body: checkRunJson(run, context.apiBase) };
  }

  /** Every check run of this fake is in suite 5000; the newest first, filtered by `check_name`, paginated by `per_page`. */
  private listSuiteCheckRuns(repo: FakeRepo, context: RouteContext): FakeResponse {
    if (context.params.check_suite_id !== String(CHECK_SUITE_ID)) return notFound();
    const name = context.query.get('check_name');
    const runs = this.checkRuns.filter((run) => run.repo === `${repo.owner}/${repo.name}` && (name === null || run.name === name)).reverse();
    const perPage = Math.min(100, Number(context.query.get('per_page') ?? '30') || 30);
    return { status: 200, body: { total_count: runs.length, check_runs: runs.slice(0, perPage).map((run) => checkRunJson(run, context.apiBase)) } };
  }

  // ---- pull requests -------------------------------------------------------------------------------------------

  private pullRecord(repo: FakeRepo, context: RouteContext): PullRecord | undefined {
    return this.pullRecords.get(`${repo.owner}/${repo.name}`.toLowerCase() + `#${context.params.pull_number ?? ''}`);
  }

  /** GitHub's page size is 30 unless told, at most 100; pages are linked in the `link` header. */
  private listPullFiles(repo: FakeRepo, context: RouteContext): FakeResponse {
    const record = this.pullRecord(repo, context);
    if (record === undefined) return notFound();
    const files = this.pulls.pull(record.repo, record.number).files;
    const perPage = Math.min(100, Number(context.query.get('per_page') ?? '30') || 30);
    const page = Math.max(1, Number(context.query.get('page') ?? '1') || 1);
    const last = Math.max(1, Math.ceil(files.length / perPage));
    const url = (target: number): string => `${context.apiBase}/repos/${repo.owner}/${repo.name}/pulls/${record.number}/files?per_page=${perPage}&page=${target}`;
    const links = [
      ...(page < last ? [`<${url(page + 1)}>; rel="next"`, `<${url(last)}>; rel="last"`] : []),
      ...(page > 1 ? [`<${url(1)}>; rel="first"`, `<${url(page - 1)}>; rel="prev"`] : []),
    ];
    const body = files.slice((page - 1) * perPage, page * perPage).map((file) => diffEntryJson(repo, record.head.sha, file, context.apiBase));
    return { status: 200, ...(links.length > 0 && { headers: { link: links.join(', ') } }), body };
  }

  private getPull(repo: FakeRepo, context: RouteContext): FakeResponse {
    const record = this.pullRecord(repo, context);
    if (record === undefined) return notFound();
    const side = (ref: string, sha: string, fullName: string) => {
      const sideRepo = this.repo(fullName);
      return { label: `${sideRepo.owner}:${ref}`, ref, sha, user: { login: sideRepo.owner }, repo: repositoryJson(sideRepo, context.apiBase) };
    };
    const fullName = `${repo.owner}/${repo.name}`;
    return {
      status: 200,
      body: {
        url: `${context.apiBase}/repos/${fullName}/pulls/${record.number}`,
        id: 7_000_000 + record.number,
        number: record.number,
        state: 'open',
        title: `Pull request ${record.number}`,
        html_url: `https://github.com/${fullName}/pull/${record.number}`,
        draft: false,
        merged: false,
        changed_files: this.changedFiles(fullName, record.number),
        head: side(record.head.ref, record.head.sha, record.head.repo ?? fullName),
        base: side(record.base.ref, record.base.sha, fullName),
      },
    };
  }

  /** FakeGitHub's compare lists no files; GitHub lists those changed between the merge base and the head. */
  private withComparedFiles(entry: LoggedRequest, response: FakeResponse): FakeResponse {
    const match = /^\/repos\/([^/]+)\/([^/]+)\/compare\/(.+)$/.exec(entry.path);
    const body = response.body as { merge_base_commit?: { sha?: string } } & Record<string, unknown>;
    const base = body.merge_base_commit?.sha;
    if (match === null || base === undefined) return response;
    const repo = this.repo(`${decodeURIComponent(match[1] ?? '')}/${decodeURIComponent(match[2] ?? '')}`);
    const headName = decodeURIComponent(match[3] ?? '').split('...')[1] ?? '';
    const head = repo.commits.has(headName) ? headName : (repo.branches.get(headName) ?? repo.tags.get(headName));
    if (head === undefined) return response;
    const files = diffFiles(repo, base, head).map((file) => diffEntryJson(repo, head, file, 'https://api.github.com'));
    return { ...response, body: { ...body, files } };
  }
}

/** `owner/name` of every repository a query's variables name (`owner`/`name`, `o<i>`/`n<i>`), lower case. */
function namedRepos(variables: Record<string, unknown>): string[] {
  const pairs = Object.keys(variables).flatMap((key) => {
    const index = /^o(\d+)$/.exec(key)?.[1];
    if (key === 'owner') return [[variables.owner, variables.name]];
    return index === undefined ? [] : [[variables[key], variables[`n${index}`]]];
  });
  return pairs.map(([owner, name]) => `${String(owner)}/${String(name)}`.toLowerCase());
}

function applyCheckRunBody(run: FakeCheckRun, body: CheckRunBody): void {
  run.requests.push(body as Record<string, unknown>);
  if (body.name !== undefined) run.name = body.name;
  if (body.external_id !== undefined) run.external_id = body.external_id;
  if (body.started_at !== undefined) run.started_at = body.started_at;
  if (body.status !== undefined) run.status = body.status;
  // GitHub: a conclusion completes the run.
  if (body.conclusion !== undefined) {
    run.conclusion = body.conclusion;
    run.status = 'completed';
  }
  if (body.completed_at !== undefined) run.completed_at = body.completed_at;
  if (body.output !== undefined) {
    run.output = { title: body.output.title ?? null, summary: body.output.summary ?? null, text: body.output.text ?? null };
    run.annotations.push(...(body.output.annotations ?? []));
  }
  if (body.actions !== undefined) run.actions = body.actions;
}

function checkRunJson(run: FakeCheckRun, apiBase: string): Record<string, unknown> {
  const url = `${apiBase}/repos/${run.repo}/check-runs/${run.id}`;
  return {
    id: run.id,
    node_id: `CR_${Buffer.from(String(run.id)).toString('base64url')}`,
    head_sha: run.head_sha,
    external_id: run.external_id,
    url,
    html_url: `https://github.com/${run.repo}/runs/${run.id}`,
    details_url: `https://github.com/apps/${APP_SLUG}`,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.started_at,
    completed_at: run.completed_at,
    output: { ...run.output, annotations_count: run.annotations.length, annotations_url: `${url}/annotations` },
    name: run.name,
    check_suite: { id: CHECK_SUITE_ID },
    app: appJson(apiBase),
    pull_requests: [],
  };
}

function appJson(apiBase: string): Record<string, unknown> {
  return {
    id: 4242,
    slug: APP_SLUG,
    node_id: 'A_kwHOAAAQag',
    client_id: 'Iv1.0123456789abcdef',
    owner: { login: 'octo-org', id: 9919, type: 'Organization', url: `${apiBase}/users/octo-org` },
    name: 'Workflow Warden',
    description: 'Guards reusable workflow call graphs.',
    external_url: 'https://example.com',
    html_url: `https://github.com/apps/${APP_SLUG}`,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    permissions: { checks: 'write', contents: 'write', pull_requests: 'write', metadata: 'read' },
    events: ['pull_request', 'merge_group', 'check_run', 'check_suite', 'push', 'repository'],
  };
}

/** An entry of the PR files (or compare) API, with GitHub's required fields. */
function diffEntryJson(repo: FakeRepo, head: string, file: FakePullFile, apiBase: string): Record<string, unknown> {
  const rows = (file.patch ?? '').split('\n');
  const additions = rows.filter((row) => row.startsWith('+')).length;
  const deletions = rows.filter((row) => row.startsWith('-')).length;
  const fullName = `${repo.owner}/${repo.name}`;
  return {
    sha: hashLike(`${head}:${file.filename}`),
    filename: file.filename,
    status: file.status,
    additions,
    deletions,
    changes: additions + deletions,
    blob_url: `https://github.com/${fullName}/blob/${head}/${file.filename}`,
    raw_url: `https://github.com/${fullName}/raw/${head}/${file.filename}`,
    contents_url: `${apiBase}/repos/${fullName}/contents/${file.filename}?ref=${head}`,
    ...(file.patch !== undefined && { patch: file.patch }),
    ...(file.previous_filename !== undefined && { previous_filename: file.previous_filename }),
  };
}

function hashLike(text: string): string {
  return Buffer.from(text).toString('hex').padEnd(40, '0').slice(0, 40);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text === '' ? '{}' : text);
  } catch {
    return {};
  }
}

function unprocessable(message: string): FakeResponse {
  return { status: 422, body: { message, documentation_url: DOCS, status: '422' } };
}

function notFound(): FakeResponse {
  return { status: 404, body: { message: 'Not Found', documentation_url: DOCS, status: '404' } };
}

// ---- Diffs -----------------------------------------------------------------------------------------------------

/** The files that differ between two commits of a repository, as the PR files API lists them (by path). */
function diffFiles(repo: FakeRepo, base: string, head: string): FakePullFile[] {
  const before = repo.commits.get(base);
  const after = repo.commits.get(head);
  if (before === undefined || after === undefined) throw new Error(`diffFiles: unknown commit in ${repo.owner}/${repo.name}`);
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  return paths.flatMap((path): FakePullFile[] => {
    const [old, now] = [textOf(before.get(path)), textOf(after.get(path))];
    if (old === now) return [];
    if (now === undefined) return [{ filename: path, status: 'removed', patch: unifiedPatch(old ?? '', '') }];
    return [{ filename: path, status: old === undefined ? 'added' : 'modified', patch: unifiedPatch(old ?? '', now) }];
  });
}

function textOf(file: FakeFile | undefined): string | undefined {
  return file === undefined ? undefined : typeof file === 'string' ? file : JSON.stringify(file);
}

/**
 * A unified diff of the whole file as one hunk (context lines kept): `+` rows are exactly the lines the
 * change wrote, by a longest-common-subsequence of lines.
 */
function unifiedPatch(before: string, after: string): string {
  const [a, b] = [splitLines(before), splitLines(after)];
  const lcs: number[][] = Array.from({ length: a.length + 1 }, () => new Array<number>(b.length + 1).fill(0));
  for (let i = a.length - 1; i >= 0; i -= 1) {
    for (let j = b.length - 1; j >= 0; j -= 1) {
      lcs[i]![j] = a[i] === b[j] ? lcs[i + 1]![j + 1]! + 1 : Math.max(lcs[i + 1]![j]!, lcs[i]![j + 1]!);
    }
  }
  const rows: string[] = [];
  let [i, j] = [0, 0];
  while (i < a.length || j < b.length) {
    if (i < a.length && j < b.length && a[i] === b[j]) {
      rows.push(` ${a[i]}`);
      i += 1;
      j += 1;
    } else if (j < b.length && (i === a.length || lcs[i]![j + 1]! >= lcs[i + 1]![j]!)) {
      rows.push(`+${b[j]}`);
      j += 1;
    } else {
      rows.push(`-${a[i]}`);
      i += 1;
    }
  }
  const range = (count: number): string => (count === 0 ? '0,0' : `1,${count}`);
  return [`@@ -${range(a.length)} +${range(b.length)} @@`, ...rows].join('\n');
}

function splitLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

// ---- World building --------------------------------------------------------------------------------------------

export const APP = 'octo-org/app';
export const POLICY_REPO = 'octo-org/.github';
export const POLICY_PATH = '.github/workflow-policy.yml';
export const CI = '.github/workflows/ci.yml';

export interface PullFixture {
  /** The base repository, already added. */
  repo: string;
  number?: number;
  /** Files of the base commit (the default branch's head). */
  base: Record<string, FakeFile>;
  /** Files of the head commit. */
  head: Record<string, FakeFile>;
  headRef?: string;
  /** The fork the head branch lives in (already added); its commit is served through the base repository too. */
  fork?: string;
}

export interface PullInfo {
  repo: string;
  number: number;
  baseSha: string;
  headSha: string;
  baseRef: string;
  headRef: string;
  headRepo: string;
}

/** The base commit on the default branch, the head commit on its branch (or in the fork), and the PR between them. */
export function createPull(gh: AppGitHub, fixture: PullFixture): PullInfo {
  const repo = gh.repo(fixture.repo);
  const baseRef = repo.defaultBranch;
  const headRef = fixture.headRef ?? 'feature';
  const baseSha = gh.commit(fixture.repo, fixture.base, { branch: baseRef });
  const headSha =
    fixture.fork === undefined
      ? gh.commit(fixture.repo, fixture.head, { parents: [baseSha], branch: headRef })
      : gh.impostor(fixture.repo, fixture.head, { parent: baseSha });
  const number = fixture.number ?? 7;
  const headRepo = fixture.fork ?? fixture.repo;
  gh.openPull(fixture.repo, { number, base: { ref: baseRef, sha: baseSha }, head: { ref: headRef, sha: headSha, repo: headRepo } });
  return { repo: fixture.repo, number, baseSha, headSha, baseRef, headRef, headRepo };
}

// ---- Webhook payloads ------------------------------------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface WebhookDefinition {
  name: string;
  examples: JsonObject[];
}

let definitions: WebhookDefinition[] | undefined;

/** A copy of the real example of `event` (with `action`, when given). */
function example(event: string, action?: string): JsonObject {
  definitions ??= createRequire(import.meta.url)('@octokit/webhooks-examples') as WebhookDefinition[];
  const found = definitions.find((definition) => definition.name === event)?.examples.find((candidate) => action === undefined || candidate.action === action);
  if (found === undefined) throw new Error(`no example of ${event}${action ? `.${action}` : ''}`);
  return structuredClone(found);
}

function hasExample(event: string, action: string): boolean {
  try {
    example(event, action);
    return true;
  } catch {
    return false;
  }
}

function object(value: Json | undefined): JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : {};
}

const INSTALLATION = { id: 31_337, node_id: 'MDIzOkludGVncmF0aW9uSW5zdGFsbGF0aW9uMzEzMzc=' };

/** The example's repository object with the fake repository's identity and settings. */
function repositoryPayload(gh: AppGitHub, fullName: string, template: Json | undefined): JsonObject {
  const repo = gh.repo(fullName);
  const base = object(template);
  return {
    ...base,
    id: repo.id,
    name: repo.name,
    full_name: `${repo.owner}/${repo.name}`,
    owner: { ...object(base.owner), login: repo.owner },
    private: repo.visibility !== 'public',
    visibility: repo.visibility,
    archived: repo.archived,
    default_branch: repo.defaultBranch,
    html_url: `https://github.com/${repo.owner}/${repo.name}`,
    url: `https://api.github.com/repos/${repo.owner}/${repo.name}`,
  };
}

export type PullAction = 'opened' | 'synchronize' | 'reopened' | 'ready_for_review' | 'edited' | 'closed';

/** `pull_request.<action>`; `changes` for `edited`. */
export function pullRequestPayload(gh: AppGitHub, action: PullAction, pull: PullInfo, changes?: JsonObject): JsonObject {
  const payload = example('pull_request', 'opened');
  const template = object(payload.pull_request);
  const side = (ref: string, sha: string, fullName: string, sideTemplate: Json | undefined): JsonObject => ({
    ...object(sideTemplate),
    label: `${gh.repo(fullName).owner}:${ref}`,
    ref,
    sha,
    repo: repositoryPayload(gh, fullName, object(sideTemplate).repo),
  });
  return {
    ...payload,
    action,
    number: pull.number,
    ...(changes !== undefined && { changes }),
    pull_request: {
      ...template,
      number: pull.number,
      state: 'open',
      draft: false,
      changed_files: gh.changedFiles(pull.repo, pull.number),
      head: side(pull.headRef, pull.headSha, pull.headRepo, template.head),
      base: side(pull.baseRef, pull.baseSha, pull.repo, template.base),
    },
    repository: repositoryPayload(gh, pull.repo, payload.repository),
    installation: INSTALLATION,
  };
}

export function mergeGroupPayload(gh: AppGitHub, repo: string, group: { headSha: string; baseSha: string; headRef: string; baseRef: string }): JsonObject {
  const payload = example('merge_group', 'checks_requested');
  return {
    ...payload,
    merge_group: { ...object(payload.merge_group), head_sha: group.headSha, base_sha: group.baseSha, head_ref: group.headRef, base_ref: group.baseRef },
    repository: repositoryPayload(gh, repo, payload.repository),
    installation: INSTALLATION,
  };
}

/** `check_run.<action>` about a check run the fake holds; `pullRequests` as GitHub lists them (none for forks). */
export function checkRunPayload(
  gh: AppGitHub,
  action: 'rerequested' | 'requested_action',
  run: FakeCheckRun,
  options: { identifier?: string; pullRequests?: number[] } = {},
): JsonObject {
  const payload = example('check_run', action);
  const template = object(payload.check_run);
  const pulls = (options.pullRequests ?? []).map((number) => ({ number, id: 7_000_000 + number, url: `https://api.github.com/repos/${run.repo}/pulls/${number}` }));
  return {
    ...payload,
    check_run: {
      ...template,
      id: run.id,
      name: run.name,
      head_sha: run.head_sha,
      external_id: run.external_id ?? '',
      status: run.status,
      conclusion: run.conclusion,
      pull_requests: pulls,
      check_suite: { ...object(template.check_suite), id: CHECK_SUITE_ID, head_sha: run.head_sha, pull_requests: pulls },
    },
    ...(action === 'requested_action' && { requested_action: { identifier: options.identifier ?? 'pin-all' } }),
    repository: repositoryPayload(gh, run.repo, payload.repository),
    installation: INSTALLATION,
  };
}

export function checkSuitePayload(gh: AppGitHub, repo: string, suite: { headSha: string; pullRequests: number[] }): JsonObject {
  const payload = example('check_suite', 'rerequested');
  const pulls = suite.pullRequests.map((number) => ({ number, id: 7_000_000 + number, url: `https://api.github.com/repos/${repo}/pulls/${number}` }));
  return {
    ...payload,
    check_suite: { ...object(payload.check_suite), id: CHECK_SUITE_ID, head_sha: suite.headSha, pull_requests: pulls },
    repository: repositoryPayload(gh, repo, payload.repository),
    installation: INSTALLATION,
  };
}

/** `push` of `ref` (`refs/heads/main`, `refs/tags/v1`). */
export function pushPayload(gh: AppGitHub, repo: string, push: { ref: string; before: string; after: string }): JsonObject {
  const payload = example('push');
  return { ...payload, ref: push.ref, before: push.before, after: push.after, repository: repositoryPayload(gh, repo, payload.repository), installation: INSTALLATION };
}

/** `create` or `delete` of a branch or tag, named without `refs/…` as GitHub sends it. */
export function refPayload(gh: AppGitHub, event: 'create' | 'delete', repo: string, ref: { ref: string; refType: 'branch' | 'tag' }): JsonObject {
  const payload = example(event);
  return { ...payload, ref: ref.ref, ref_type: ref.refType, repository: repositoryPayload(gh, repo, payload.repository), installation: INSTALLATION };
}

export function repositoryEventPayload(gh: AppGitHub, action: string, repo: string, changes?: JsonObject): JsonObject {
  // Not every action has an example (archived, unarchived): those take the shape of `edited`, less its `changes`.
  const payload: JsonObject = { ...(hasExample('repository', action) ? example('repository', action) : example('repository', 'edited')), action };
  delete payload.changes;
  return { ...payload, ...(changes !== undefined && { changes }), repository: repositoryPayload(gh, repo, payload.repository), installation: INSTALLATION };
}

export function installationPayload(event: 'installation' | 'installation_repositories', action: string): JsonObject {
  const payload = example(event, action);
  return { ...payload, installation: { ...object(payload.installation), ...INSTALLATION } };
}

// ---- Workflow texts --------------------------------------------------------------------------------------------

/** A reusable workflow with one plain job. */
export const CALLABLE = 'on: workflow_call\njobs:\n  run:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo\n';

/**
 * A workflow whose jobs each call one workflow: `on:` is line 1, `jobs:` line 2, and job i (0-based) has its
 * `uses:` on line 4 + 2i.
 */
export function calling(uses: Record<string, string>, on = 'pull_request'): string {
  return [`on: ${on}`, 'jobs:', ...Object.entries(uses).flatMap(([job, target]) => [`  ${job}:`, `    uses: ${target}`]), ''].join('\n');
}

/** The other owner's repository most app tests call into, and its one reusable workflow. */
export const LIB = 'other-org/lib';
export const LIB_WF = `${LIB}/.github/workflows/x.yml`;

/** other-org/lib with CALLABLE on main, tagged `v1` when asked; returns main's commit. */
export function addLib(gh: AppGitHub, options: { tagV1?: boolean } = {}): string {
  gh.addRepo(LIB);
  const sha = gh.commit(LIB, { '.github/workflows/x.yml': CALLABLE }, { branch: 'main' });
  if (options.tagV1) gh.tag(LIB, 'v1', sha);
  return sha;
}

/** Waits (a few milliseconds at a time) until something the app does in the background has happened. */
export async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setTimeout(resolve, 5));
}
