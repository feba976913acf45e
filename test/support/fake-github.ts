// An in-memory GitHub for tests, benchmarks and end-to-end runs: repositories, commits (with their history),
// branches and tags on one host, answered over REST and over GraphQL (queries are executed against GitHub's published schema,
// so a query the real API would reject is rejected here too). Serve it with nock (`intercept`) or on a
// loopback port (`listen`); both go through `handle`.
import { createHash } from 'node:crypto';
import { createServer, STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { schema as githubSchemaSource } from '@octokit/graphql-schema';
import {
  buildClientSchema,
  execute,
  GraphQLError,
  parse,
  validate,
  type DocumentNode,
  type GraphQLSchema,
  type IntrospectionQuery,
} from 'graphql';
import nock from 'nock';
import type { ActionsAccessLevel, Visibility } from '../../src/graph/types.js';

/** A file's content: text, or a marker for content GitHub will not return as text. */
export type FakeFile = string | { binary: true } | { oversize: number };

export interface FakeRepoOptions {
  visibility?: Visibility;
  archived?: boolean;
  defaultBranch?: string;
  /** Actions access level for workflows outside the repository (private/internal repositories). */
  accessLevel?: ActionsAccessLevel;
}

export interface FakeRepo {
  id: number;
  owner: string;
  name: string;
  visibility: Visibility;
  archived: boolean;
  defaultBranch: string;
  accessLevel: ActionsAccessLevel;
  branches: Map<string, string>;
  /** Tag name → the SHA the ref points at: the commit (lightweight) or the tag object (annotated). */
  tags: Map<string, string>;
  /** Commits in creation order, which stands for commit date (`TAG_COMMIT_DATE` orders by it). */
  commits: Map<string, Map<string, FakeFile>>;
  /** Commit → its parents' SHAs: the history compares walk. */
  parents: Map<string, string[]>;
  /** Annotated tag objects: tag-object SHA → tag name and target commit. */
  tagObjects: Map<string, { name: string; target: string }>;
}

export interface FakeRequest {
  method: string;
  /** Path without the query string, as sent (GitHub Enterprise prefixes included). */
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** What the server does with a request: answer it, never answer, or drop the connection. */
export type FakeOutcome = { kind: 'respond'; response: FakeResponse } | { kind: 'hang' } | { kind: 'drop' };

export type Fault =
  /** Wait before answering every request of the route, until `clearFaults`. */
  | { delayMs: number }
  /** Answer the next `times` (default 1) requests with this status instead of the real answer. */
  | { status: number; times?: number; headers?: Record<string, string>; body?: unknown }
  /** Never answer the next `times` (default 1) requests. */
  | { hang: true; times?: number }
  /** Drop the connection of the next `times` (default 1) requests. */
  | { networkError: true; times?: number };

export interface LoggedRequest {
  method: string;
  path: string;
  /** The matched route, e.g. `GET /repos/{owner}/{repo}`, or undefined when none matched. */
  route?: string;
  query: Record<string, string>;
  body?: unknown;
  graphql?: { query: string; variables: Record<string, unknown>; operationName?: string };
  outcome: number | 'hang' | 'drop';
}

export interface RouteContext {
  request: FakeRequest;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Where the API lives as seen by this request, for absolute URLs in answers. */
  apiBase: string;
}

export type RouteHandler = (context: RouteContext) => FakeResponse;
export type RepoRouteHandler = (repo: FakeRepo, context: RouteContext) => FakeResponse;

interface Route {
  key: string;
  method: string;
  match(path: string): Record<string, string> | undefined;
  handle: RouteHandler;
}

interface FaultState {
  route: string;
  fault: Fault;
  remaining: number;
}

export interface FakeGitHubOptions {
  /**
   * Whether GraphQL `repository(owner:, name:)` follows renames by default, as github.com does
   * (`followRenames: Boolean = true`). False models servers that answer NOT_FOUND for an old name.
   */
  graphqlFollowsRenames?: boolean;
}

const DOCS = 'https://docs.github.com/rest';

let cachedSchema: GraphQLSchema | undefined;

/**
 * GitHub's schema, built once. The package's schema.graphql repeats two field definitions, so strict
 * `buildSchema` rejects it; its introspection JSON describes the same schema and builds cleanly and faster.
 */
export function githubSchema(): GraphQLSchema {
  cachedSchema ??= buildClientSchema(githubSchemaSource.json as IntrospectionQuery);
  return cachedSchema;
}

class NotFoundError extends Error {}

export class FakeGitHub {
  readonly requests: LoggedRequest[] = [];
  /** Answers of `GET /repos/{owner}/{repo}/commits/{commit_sha}/pulls`, by commit (GitHub's pull request shape). */
  readonly pullsByCommit = new Map<string, object[]>();
  /** Requests being answered now, and the most seen at once: proves concurrency without timing. */
  inFlight = 0;
  maxInFlight = 0;
  private readonly repos = new Map<string, FakeRepo>();
  /** Old `owner/name` (lower case) → repository id, for renamed and transferred repositories. */
  private readonly renamed = new Map<string, number>();
  private readonly routes: Route[] = [];
  private faults: FaultState[] = [];
  private nextId = 1000;
  private shaCounter = 0;
  private readonly graphqlFollowsRenames: boolean;

  constructor(options: FakeGitHubOptions = {}) {
    this.graphqlFollowsRenames = options.graphqlFollowsRenames ?? true;
    this.route('POST', '/graphql', (context) => this.answerGraphql(context.request));
    this.repoRoute('GET', '', (repo, context) => ({ status: 200, body: restRepo(repo, context.apiBase) }));
    this.repoRoute('GET', '/actions/permissions/access', answerActionsAccess);
    // Pull requests whose head is a commit (`GET .../commits/{commit_sha}/pulls`): none unless a test says so.
    this.repoRoute('GET', '/commits/{commit_sha}/pulls', (_repo, context) => ({ status: 200, body: this.pullsByCommit.get(context.params.commit_sha ?? '') ?? [] }));
    this.repoRoute('GET', '/compare/{basehead}', answerCompare);
  }

  // ---- fixtures ------------------------------------------------------------------------------------

  addRepo(fullName: string, options: FakeRepoOptions = {}): FakeRepo {
    const [owner, name] = splitFullName(fullName);
    const repo: FakeRepo = {
      id: this.nextId++,
      owner,
      name,
      visibility: options.visibility ?? 'public',
      archived: options.archived ?? false,
      defaultBranch: options.defaultBranch ?? 'main',
      accessLevel: options.accessLevel ?? 'none',
      branches: new Map(),
      tags: new Map(),
      commits: new Map(),
      parents: new Map(),
      tagObjects: new Map(),
    };
    this.repos.set(fullName.toLowerCase(), repo);
    return repo;
  }

  repo(fullName: string): FakeRepo {
    const repo = this.repos.get(fullName.toLowerCase());
    if (!repo) throw new Error(`FakeGitHub: no repository ${fullName}`);
    return repo;
  }

  /**
   * Add a commit holding exactly `files`; returns its deterministic 40-hex SHA. `parents` defaults to the
   * branch's previous head when `branch` is given (so a branch's commits form its history), else none.
   */
  commit(fullName: string, files: Record<string, FakeFile>, options: { branch?: string; parents?: string[] } = {}): string {
    const repo = this.repo(fullName);
    const previousHead = options.branch === undefined ? undefined : repo.branches.get(options.branch);
    const parents = options.parents ?? (previousHead === undefined ? [] : [previousHead]);
    for (const parent of parents) this.requireCommit(repo, parent);
    const sha = this.nextSha('commit', `${repo.id}:${JSON.stringify(files)}`);
    repo.commits.set(sha, new Map(Object.entries(files)));
    repo.parents.set(sha, parents);
    if (options.branch !== undefined) repo.branches.set(options.branch, sha);
    return sha;
  }

  /**
   * Add an impostor commit: readable by SHA through the repository but on none of its branches or tags, as a
   * commit pushed only to a fork is (GitHub serves a fork network's commits through every repository of it).
   * Its parent defaults to the head of the default branch, as when a fork's branch was cut from it.
   */
  impostor(fullName: string, files: Record<string, FakeFile>, options: { parent?: string } = {}): string {
    const repo = this.repo(fullName);
    const parent = options.parent ?? repo.branches.get(repo.defaultBranch);
    return this.commit(fullName, files, { parents: parent === undefined ? [] : [parent] });
  }

  branch(fullName: string, name: string, sha: string): void {
    const repo = this.repo(fullName);
    this.requireCommit(repo, sha);
    repo.branches.set(name, sha);
  }

  /** Point tag `name` at commit `sha`; returns what the ref points at (the tag object's SHA when annotated). */
  tag(fullName: string, name: string, sha: string, options: { annotated?: boolean } = {}): string {
    const repo = this.repo(fullName);
    this.requireCommit(repo, sha);
    let target = sha;
    if (options.annotated) {
      target = this.nextSha('tag', `${repo.id}:${name}:${sha}`);
      repo.tagObjects.set(target, { name, target: sha });
    }
    repo.tags.set(name, target);
    return target;
  }

  /** Rename or transfer a repository; the old name keeps redirecting as on GitHub. */
  rename(fullName: string, newFullName: string): void {
    const repo = this.repo(fullName);
    const [owner, name] = splitFullName(newFullName);
    this.repos.delete(fullName.toLowerCase());
    this.renamed.set(fullName.toLowerCase(), repo.id);
    repo.owner = owner;
    repo.name = name;
    this.repos.set(newFullName.toLowerCase(), repo);
  }

  static binary(): FakeFile {
    return { binary: true };
  }

  static oversize(byteSize: number): FakeFile {
    return { oversize: byteSize };
  }

  // ---- routes --------------------------------------------------------------------------------------

  /** Add a route; `pattern` uses Octokit's `{param}` syntax, e.g. `/repos/{owner}/{repo}/pulls/{pull_number}/files`. */
  route(method: string, pattern: string, handle: RouteHandler): void {
    const regex = patternRegex(pattern);
    this.routes.push({ key: `${method} ${pattern}`, method, match: (path) => matchRegex(regex, path), handle });
  }

  /**
   * Add a route under `/repos/{owner}/{repo}` (`subPattern` like `/check-runs`). It also answers under
   * `/repositories/{id}` (where GitHub's redirects point), answers 301 for an old name and 404 for no repository.
   */
  repoRoute(method: string, subPattern: string, handle: RepoRouteHandler): void {
    const byName = patternRegex(`/repos/{owner}/{repo}${subPattern}`);
    const byId = patternRegex(`/repositories/{repository_id}${subPattern}`);
    this.routes.push({
      key: `${method} /repos/{owner}/{repo}${subPattern}`,
      method,
      match: (path) => matchRegex(byName, path) ?? matchRegex(byId, path),
      handle: (context) => this.withRepo(context, handle),
    });
  }

  // ---- faults and log ------------------------------------------------------------------------------

  /** Inject a fault for one route key (`POST /graphql`, `GET /repos/{owner}/{repo}`, …) or `*` for all. */
  inject(route: string, fault: Fault): void {
    const remaining = 'delayMs' in fault ? Number.POSITIVE_INFINITY : (fault.times ?? 1);
    this.faults.push({ route, fault, remaining });
  }

  clearFaults(): void {
    this.faults = [];
  }

  /** A 403 secondary rate limit answer as GitHub sends it. */
  static secondaryRateLimit(retryAfterSeconds: number, times = 1): Fault {
    return {
      status: 403,
      times,
      headers: { 'retry-after': String(retryAfterSeconds) },
      body: {
        message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.',
        documentation_url: `${DOCS}/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits`,
      },
    };
  }

  static tooManyRequests(retryAfterSeconds: number, times = 1): Fault {
    return { status: 429, times, headers: { 'retry-after': String(retryAfterSeconds) }, body: { message: 'Too Many Requests' } };
  }

  /** Requests seen, for one route key or all. */
  count(route?: string): number {
    return route === undefined ? this.requests.length : this.requests.filter((entry) => entry.route === route).length;
  }

  graphqlRequests(): LoggedRequest[] {
    return this.requests.filter((entry) => entry.graphql !== undefined);
  }

  clearLog(): void {
    this.requests.length = 0;
    this.maxInFlight = this.inFlight;
  }

  // ---- serving -------------------------------------------------------------------------------------

  /** Answer one request as GitHub would, with faults applied and the request logged. */
  async handle(request: FakeRequest, origin: string): Promise<FakeOutcome> {
    const [rawPath = '/', search = ''] = request.path.split('?', 2);
    const { path, apiBase } = normalizeApiPath(rawPath, origin);
    const found = this.findRoute(request.method, path);
    const entry = logEntry(request, path, search, found?.route.key);
    this.requests.push(entry);
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const outcome = await this.applyFaults(found?.route.key, () => {
      if (!found) return { status: 404, body: { message: 'Not Found', documentation_url: DOCS } };
      return found.route.handle({ request, params: found.params, query: new URLSearchParams(search), apiBase });
    });
    // A hanging request stays in flight.
    if (outcome.kind !== 'hang') this.inFlight -= 1;
    entry.outcome = outcome.kind === 'respond' ? outcome.response.status : outcome.kind;
    return outcome;
  }

  /** Serve on 127.0.0.1 on a free port. `close` also ends requests left hanging. */
  async listen(): Promise<{ url: string; close(): Promise<void> }> {
    const server = createServer((req, res) => {
      void this.serveHttp(req, res, url);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const close = async (): Promise<void> => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    };
    return { url, close };
  }

  /** Answer every request to `baseUrl`'s origin through nock. Remove with `nock.cleanAll()`. */
  intercept(baseUrl = 'https://api.github.com'): nock.Scope {
    const origin = new URL(baseUrl).origin;
    const scope = nock(origin).persist();
    for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE']) {
      scope.intercept(() => true, method).reply((uri, body, callback) => {
        const request: FakeRequest = { method, path: uri, headers: {}, body: typeof body === 'string' ? body : JSON.stringify(body) };
        void this.handle(request, origin).then((outcome) => {
          if (outcome.kind === 'drop') callback(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), [500]);
          if (outcome.kind === 'respond') callback(null, [outcome.response.status, encodeBody(outcome.response), responseHeaders(outcome.response)]);
        });
      });
    }
    return scope;
  }

  // ---- internals -----------------------------------------------------------------------------------

  private async serveHttp(req: IncomingMessage, res: ServerResponse, origin: string): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([name, value]) => [name, String(value)]));
    const outcome = await this.handle(
      { method: req.method ?? 'GET', path: req.url ?? '/', headers, body: Buffer.concat(chunks).toString('utf8') },
      origin,
    );
    if (outcome.kind === 'drop') req.socket.destroy();
    if (outcome.kind === 'respond') {
      res.writeHead(outcome.response.status, responseHeaders(outcome.response));
      res.end(encodeBody(outcome.response));
    }
  }

  private findRoute(method: string, path: string): { route: Route; params: Record<string, string> } | undefined {
    for (const route of this.routes) {
      if (route.method !== method) continue;
      const params = route.match(path);
      if (params) return { route, params };
    }
    return undefined;
  }

  private async applyFaults(routeKey: string | undefined, answer: () => FakeResponse): Promise<FakeOutcome> {
    const applies = (state: FaultState): boolean => state.route === '*' || state.route === routeKey;
    for (const state of this.faults) {
      if (applies(state) && 'delayMs' in state.fault) await sleep(state.fault.delayMs);
    }
    const state = this.faults.find((candidate) => applies(candidate) && !('delayMs' in candidate.fault) && candidate.remaining > 0);
    if (!state) return { kind: 'respond', response: answer() };
    state.remaining -= 1;
    const fault = state.fault;
    if ('hang' in fault) return { kind: 'hang' };
    if ('networkError' in fault) return { kind: 'drop' };
    if ('status' in fault) {
      const body = fault.body ?? { message: STATUS_CODES[fault.status] ?? 'Error' };
      return { kind: 'respond', response: { status: fault.status, headers: fault.headers, body } };
    }
    return { kind: 'respond', response: answer() };
  }

  private withRepo(context: RouteContext, handle: RepoRouteHandler): FakeResponse {
    const { owner, repo: name, repository_id: id } = context.params;
    if (id !== undefined) {
      const repo = [...this.repos.values()].find((candidate) => String(candidate.id) === id);
      return repo ? handle(repo, context) : notFound();
    }
    const fullName = `${owner ?? ''}/${name ?? ''}`.toLowerCase();
    const repo = this.repos.get(fullName);
    if (repo) return handle(repo, context);
    const movedId = this.renamed.get(fullName);
    if (movedId === undefined) return notFound();
    // GitHub redirects an old name to the repository's id, keeping the rest of the path.
    const rest = context.request.path.split('?', 2)[0]!.replace(/^.*?\/repos\/[^/]+\/[^/]+/, '');
    const location = `${context.apiBase}/repositories/${movedId}${rest}`;
    return {
      status: 301,
      headers: { location },
      body: { message: 'Moved Permanently', url: location, documentation_url: `${DOCS}/guides/best-practices-for-using-the-rest-api#follow-redirects` },
    };
  }

  private requireCommit(repo: FakeRepo, sha: string): void {
    if (!repo.commits.has(sha)) throw new Error(`FakeGitHub: no commit ${sha} in ${repo.owner}/${repo.name}`);
  }

  private nextSha(kind: string, content: string): string {
    this.shaCounter += 1;
    return createHash('sha1').update(`${kind}\0${this.shaCounter}\0${content}`).digest('hex');
  }

  // ---- GraphQL ---------------------------------------------------------------------------------------

  private answerGraphql(request: FakeRequest): FakeResponse {
    const payload = parseGraphqlBody(request.body);
    if (!payload) return { status: 400, body: { message: 'Problems parsing JSON', documentation_url: DOCS } };
    let document: DocumentNode;
    try {
      document = parse(payload.query);
    } catch (error) {
      return { status: 200, body: { errors: [formatError(error as GraphQLError)] } };
    }
    const invalid = validate(githubSchema(), document);
    if (invalid.length > 0) return { status: 200, body: { errors: invalid.map(formatError) } };
    const result = execute({
      schema: githubSchema(),
      document,
      rootValue: this.queryRoot(),
      variableValues: payload.variables,
      operationName: payload.operationName,
    });
    if (result instanceof Promise) throw new Error('FakeGitHub: resolvers must be synchronous');
    const body: Record<string, unknown> = { data: result.data ?? null };
    if (result.errors) body.errors = result.errors.map(formatError);
    return { status: 200, body };
  }

  private queryRoot(): object {
    return {
      repository: (args: { owner: string; name: string; followRenames?: boolean }) => {
        const fullName = `${args.owner}/${args.name}`;
        const repo = this.repos.get(fullName.toLowerCase()) ?? this.followRename(fullName, args.followRenames ?? true);
        if (!repo) throw new NotFoundError(`Could not resolve to a Repository with the name '${fullName}'.`);
        return repositoryView(repo);
      },
    };
  }

  private followRename(fullName: string, followRenames: boolean): FakeRepo | undefined {
    if (!followRenames || !this.graphqlFollowsRenames) return undefined;
    const id = this.renamed.get(fullName.toLowerCase());
    return [...this.repos.values()].find((repo) => repo.id === id);
  }
}

// ---- GraphQL views: plain objects whose fields (or field methods, for fields with arguments) graphql-js reads.

function repositoryView(repo: FakeRepo): object {
  return {
    __typename: 'Repository',
    name: repo.name,
    nameWithOwner: `${repo.owner}/${repo.name}`,
    visibility: repo.visibility.toUpperCase(),
    isPrivate: repo.visibility !== 'public',
    isArchived: repo.archived,
    defaultBranchRef: () => refView(repo, 'refs/heads/', repo.defaultBranch),
    ref: ({ qualifiedName }: { qualifiedName: string }) => {
      const prefix = ['refs/heads/', 'refs/tags/'].find((candidate) => qualifiedName.startsWith(candidate));
      return prefix ? refView(repo, prefix, qualifiedName.slice(prefix.length)) : null;
    },
    refs: (args: RefsArgs) => refConnectionView(repo, args),
    object: ({ oid, expression }: { oid?: string; expression?: string }) => {
      if (oid !== undefined) return objectView(repo, oid.toLowerCase());
      return expression === undefined ? null : expressionView(repo, expression);
    },
  };
}

function refView(repo: FakeRepo, prefix: string, name: string): object | null {
  const target = (prefix === 'refs/tags/' ? repo.tags : repo.branches).get(name);
  if (target === undefined) return null;
  return { __typename: 'Ref', name, prefix, target: objectView(repo, target) };
}

interface RefsArgs {
  refPrefix: string;
  first?: number | null;
  after?: string | null;
  orderBy?: { field: 'ALPHABETICAL' | 'TAG_COMMIT_DATE'; direction: 'ASC' | 'DESC' } | null;
}

/** GitHub's page limit for connections. */
const MAX_PAGE = 100;

/**
 * `refs(refPrefix:, first:, after:, orderBy:)` as GitHub pages it: alphabetical by default, or by the date of
 * the commit a tag points at (here: creation order), names breaking ties; cursors are opaque.
 */
function refConnectionView(repo: FakeRepo, args: RefsArgs): object {
  if (args.first === undefined || args.first === null) {
    throw new Error('You must provide a `first` or `last` value to properly paginate the `refs` connection.');
  }
  if (args.first > MAX_PAGE) {
    throw new Error(`Requesting ${args.first} records on the \`refs\` connection exceeds the \`first\` limit of ${MAX_PAGE} records.`);
  }
  const prefix = args.refPrefix;
  const source = prefix === 'refs/tags/' ? repo.tags : prefix === 'refs/heads/' ? repo.branches : new Map<string, string>();
  const order = [...repo.commits.keys()];
  const dateOf = (target: string): number => order.indexOf(repo.tagObjects.get(target)?.target ?? target);
  const byDate = args.orderBy?.field === 'TAG_COMMIT_DATE' && prefix === 'refs/tags/';
  const sorted = [...source]
    .sort(([nameA, targetA], [nameB, targetB]) => (byDate ? dateOf(targetA) - dateOf(targetB) : 0) || compareNames(nameA, nameB))
    .map(([name]) => name);
  if (args.orderBy?.direction === 'DESC') sorted.reverse();
  const start = args.after ? decodeCursor(args.after) + 1 : 0;
  const page = sorted.slice(start, start + args.first);
  const edges = page.map((name, index) => ({ cursor: encodeCursor(start + index), node: refView(repo, prefix, name) }));
  return {
    totalCount: sorted.length,
    edges,
    nodes: edges.map((edge) => edge.node),
    pageInfo: {
      hasNextPage: start + page.length < sorted.length,
      hasPreviousPage: start > 0,
      startCursor: edges[0]?.cursor ?? null,
      endCursor: edges.at(-1)?.cursor ?? null,
    },
  };
}

function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function encodeCursor(index: number): string {
  return Buffer.from(`cursor:${index + 1}`).toString('base64');
}

function decodeCursor(cursor: string): number {
  const index = Number(Buffer.from(cursor, 'base64').toString('utf8').replace(/^cursor:/, ''));
  return Number.isInteger(index) && index > 0 ? index - 1 : -1;
}

function objectView(repo: FakeRepo, sha: string): object | null {
  const tag = repo.tagObjects.get(sha);
  if (tag) return { __typename: 'Tag', oid: sha, abbreviatedOid: sha.slice(0, 7), name: tag.name, target: objectView(repo, tag.target) };
  const files = repo.commits.get(sha);
  if (!files) return null;
  return {
    __typename: 'Commit',
    oid: sha,
    abbreviatedOid: sha.slice(0, 7),
    file: ({ path }: { path: string }) => treeEntryView(files, path),
  };
}

/** `<rev>` or `<rev>:<path>`, with git's order for a name: tags before branches. */
function expressionView(repo: FakeRepo, expression: string): object | null {
  const [rev = '', path] = expression.split(':', 2);
  const sha = repo.commits.has(rev.toLowerCase()) ? rev.toLowerCase() : (repo.tags.get(rev) ?? repo.branches.get(rev));
  if (sha === undefined) return null;
  if (path === undefined) return objectView(repo, sha);
  const commit = repo.tagObjects.get(sha)?.target ?? sha;
  const files = repo.commits.get(commit);
  const entry = files ? treeEntryView(files, path) : null;
  return entry ? (entry as { object: object }).object : null;
}

function treeEntryView(files: Map<string, FakeFile>, path: string): object | null {
  const name = path.split('/').pop() ?? path;
  const file = files.get(path);
  if (file !== undefined) {
    const object = blobView(file) as { oid: string };
    return { __typename: 'TreeEntry', name, path, type: 'blob', oid: object.oid, object };
  }
  const isDirectory = [...files.keys()].some((candidate) => candidate.startsWith(`${path}/`));
  if (!isDirectory) return null;
  const object = treeView(files, path) as { oid: string };
  return { __typename: 'TreeEntry', name, path, type: 'tree', oid: object.oid, object };
}

/** A directory: its entries directly under `path`, sorted by name as git does. */
function treeView(files: Map<string, FakeFile>, path: string): object {
  const names = new Set<string>();
  for (const candidate of files.keys()) {
    if (candidate.startsWith(`${path}/`)) names.add(candidate.slice(path.length + 1).split('/')[0] ?? '');
  }
  return {
    __typename: 'Tree',
    oid: hashOf(`tree:${path}`),
    entries: () => [...names].sort(compareNames).map((name) => treeEntryView(files, `${path}/${name}`)),
  };
}

function blobView(file: FakeFile): object {
  if (typeof file === 'string') {
    return { __typename: 'Blob', oid: hashOf(file), byteSize: Buffer.byteLength(file), isBinary: false, isTruncated: false, text: file };
  }
  if ('binary' in file) return { __typename: 'Blob', oid: hashOf('binary'), byteSize: 1024, isBinary: true, isTruncated: false, text: null };
  // GitHub returns the beginning of a large blob's text and flags it as truncated.
  return { __typename: 'Blob', oid: hashOf(`oversize:${file.oversize}`), byteSize: file.oversize, isBinary: false, isTruncated: true, text: 'on:\n' };
}

// ---- REST answers ------------------------------------------------------------------------------------

function restRepo(repo: FakeRepo, apiBase: string): Record<string, unknown> {
  const fullName = `${repo.owner}/${repo.name}`;
  return {
    id: repo.id,
    name: repo.name,
    full_name: fullName,
    owner: { login: repo.owner },
    private: repo.visibility !== 'public',
    visibility: repo.visibility,
    archived: repo.archived,
    default_branch: repo.defaultBranch,
    url: `${apiBase}/repos/${fullName}`,
  };
}

/** The setting only exists for private and internal repositories; for a public one this fake answers 404. */
function answerActionsAccess(repo: FakeRepo): FakeResponse {
  if (repo.visibility === 'public') return notFound();
  return { status: 200, body: { access_level: repo.accessLevel } };
}

/**
 * `GET /repos/{owner}/{repo}/compare/{base}...{head}`, each side a commit SHA, branch or tag. Status is from
 * head's point of view: `ahead` when base is an ancestor of head, `behind` when head is an ancestor of base.
 * Histories with nothing in common answer 404, as GitHub does.
 */
function answerCompare(repo: FakeRepo, context: RouteContext): FakeResponse {
  const [baseName = '', headName = '', ...rest] = (context.params.basehead ?? '').split('...');
  const base = resolveRevision(repo, baseName);
  const head = resolveRevision(repo, headName);
  if (rest.length > 0 || base === undefined || head === undefined) return notFound();
  const baseHistory = history(repo, base);
  const headHistory = history(repo, head);
  const mergeBase = headHistory.find((sha) => baseHistory.includes(sha));
  if (mergeBase === undefined) {
    return { status: 404, body: { message: `No common ancestor between ${baseName} and ${headName}.`, documentation_url: DOCS } };
  }
  const ahead = headHistory.filter((sha) => !baseHistory.includes(sha));
  const behind = baseHistory.filter((sha) => !headHistory.includes(sha));
  const status = ahead.length === 0 ? (behind.length === 0 ? 'identical' : 'behind') : behind.length === 0 ? 'ahead' : 'diverged';
  const perPage = Number(context.query.get('per_page') ?? '250');
  const fullName = `${repo.owner}/${repo.name}`;
  const basehead = `${baseName}...${headName}`;
  return {
    status: 200,
    body: {
      url: `${context.apiBase}/repos/${fullName}/compare/${basehead}`,
      html_url: `https://github.com/${fullName}/compare/${basehead}`,
      permalink_url: `https://github.com/${fullName}/compare/${repo.owner}:${base}...${repo.owner}:${head}`,
      diff_url: `https://github.com/${fullName}/compare/${basehead}.diff`,
      patch_url: `https://github.com/${fullName}/compare/${basehead}.patch`,
      base_commit: restCommit(repo, base, context.apiBase),
      merge_base_commit: restCommit(repo, mergeBase, context.apiBase),
      status,
      ahead_by: ahead.length,
      behind_by: behind.length,
      total_commits: ahead.length,
      // Oldest first, as GitHub lists them.
      commits: ahead.reverse().slice(0, perPage).map((sha) => restCommit(repo, sha, context.apiBase)),
      files: [],
    },
  };
}

/** A commit SHA (full), then a tag (peeled), then a branch, as git resolves a name. */
function resolveRevision(repo: FakeRepo, revision: string): string | undefined {
  if (repo.commits.has(revision.toLowerCase())) return revision.toLowerCase();
  const tagged = repo.tags.get(revision);
  if (tagged !== undefined) return repo.tagObjects.get(tagged)?.target ?? tagged;
  return repo.branches.get(revision);
}

/** The commit and every ancestor, nearest first. */
function history(repo: FakeRepo, sha: string): string[] {
  const seen = new Set([sha]);
  const queue = [sha];
  for (let index = 0; index < queue.length; index++) {
    for (const parent of repo.parents.get(queue[index]!) ?? []) {
      if (!seen.has(parent)) {
        seen.add(parent);
        queue.push(parent);
      }
    }
  }
  return queue;
}

function restCommit(repo: FakeRepo, sha: string, apiBase: string): Record<string, unknown> {
  const url = (commit: string): string => `${apiBase}/repos/${repo.owner}/${repo.name}/commits/${commit}`;
  return { sha, url: url(sha), parents: (repo.parents.get(sha) ?? []).map((parent) => ({ sha: parent, url: url(parent) })) };
}

function notFound(): FakeResponse {
  return { status: 404, body: { message: 'Not Found', documentation_url: DOCS } };
}

// ---- helpers -----------------------------------------------------------------------------------------

function formatError(error: GraphQLError): Record<string, unknown> {
  const formatted: Record<string, unknown> = {};
  if (error.originalError instanceof NotFoundError) formatted.type = 'NOT_FOUND';
  if (error.path) formatted.path = error.path;
  if (error.locations) formatted.locations = error.locations;
  formatted.message = error.message;
  return formatted;
}

function parseGraphqlBody(body: string): { query: string; variables: Record<string, unknown>; operationName?: string } | undefined {
  try {
    const parsed = JSON.parse(body) as { query?: unknown; variables?: unknown; operationName?: unknown };
    if (typeof parsed.query !== 'string') return undefined;
    const variables = typeof parsed.variables === 'object' && parsed.variables !== null ? (parsed.variables as Record<string, unknown>) : {};
    const operationName = typeof parsed.operationName === 'string' ? parsed.operationName : undefined;
    return { query: parsed.query, variables, operationName };
  } catch {
    return undefined;
  }
}

function logEntry(request: FakeRequest, path: string, search: string, route: string | undefined): LoggedRequest {
  const entry: LoggedRequest = { method: request.method, path, route, query: Object.fromEntries(new URLSearchParams(search)), outcome: 0 };
  if (request.body === '') return entry;
  try {
    entry.body = JSON.parse(request.body);
  } catch {
    entry.body = request.body;
  }
  if (path === '/graphql') entry.graphql = parseGraphqlBody(request.body);
  return entry;
}

/** GitHub Enterprise Server serves REST under `/api/v3` and GraphQL at `/api/graphql`. */
function normalizeApiPath(path: string, origin: string): { path: string; apiBase: string } {
  if (path === '/api/graphql') return { path: '/graphql', apiBase: `${origin}/api/v3` };
  if (path.startsWith('/api/v3/')) return { path: path.slice('/api/v3'.length), apiBase: `${origin}/api/v3` };
  return { path, apiBase: origin };
}

function patternRegex(pattern: string): RegExp {
  const source = pattern.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, '(?<$1>[^/]+)');
  return new RegExp(`^${source}/?$`);
}

function matchRegex(regex: RegExp, path: string): Record<string, string> | undefined {
  const match = regex.exec(path);
  if (!match) return undefined;
  return Object.fromEntries(Object.entries(match.groups ?? {}).map(([name, value]) => [name, decodeURIComponent(value)]));
}

function splitFullName(fullName: string): [string, string] {
  const [owner, name, ...rest] = fullName.split('/');
  if (!owner || !name || rest.length > 0) throw new Error(`FakeGitHub: expected owner/name, got ${fullName}`);
  return [owner, name];
}

function encodeBody(response: FakeResponse): string {
  return response.body === undefined ? '' : JSON.stringify(response.body);
}

function responseHeaders(response: FakeResponse): Record<string, string> {
  return { 'content-type': 'application/json; charset=utf-8', ...response.headers };
}

function hashOf(content: string): string {
  return createHash('sha1').update(content).digest('hex');
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
