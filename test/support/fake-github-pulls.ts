// FakeGitHub routes for pull request reviews and the Git Data API, with GitHub's response shapes and its
// refusals: request bodies are validated against GitHub's OpenAPI description (an invalid one gets the 422 GitHub
// sends), review comments must sit on lines of the pull request's diff, and a ref update that is not a fast
// forward is refused unless forced. Commits made here join the FakeRepo's history, so other routes see them.
import { createHash } from 'node:crypto';
import type { FakeFile, FakeGitHub, FakeRepo, FakeResponse, RouteContext } from './fake-github.js';
import { validateRequest } from './openapi-schema.js';

const DOCS = 'https://docs.github.com/rest';

// ---- State -----------------------------------------------------------------------------------------------------

export interface FakeAccount {
  login: string;
  type: 'Bot' | 'User';
}

/** A PR files API entry: what the PR's diff holds for one file. */
export interface FakePullFile {
  filename: string;
  status: 'added' | 'removed' | 'modified' | 'renamed' | 'copied' | 'changed' | 'unchanged';
  patch?: string;
  previous_filename?: string;
}

export interface FakePull {
  number: number;
  headSha: string;
  /** The diff review comments must land in; replace it to model a branch that moved. */
  files: FakePullFile[];
  /** Review comments as GitHub lists them, oldest first. */
  comments: Record<string, unknown>[];
  /** Reviews as GitHub answers them. */
  reviews: Record<string, unknown>[];
}

export interface SeedComment {
  path: string;
  /** Null for an outdated comment, whose line left the diff. */
  line: number | null;
  start_line?: number | null;
  body: string;
  user: FakeAccount;
  commit_id?: string;
}

/** Head side (`RIGHT`) or base side (`LEFT`) lines a hunk covers, inclusive. */
interface HunkRange {
  first: number;
  last: number;
}

/**
 * Pull requests and Git Data objects for a FakeGitHub. `actor` is the account the requests act as: the app's
 * bot, which authors the reviews, comments and commits created here.
 */
export class FakePulls {
  private readonly pulls = new Map<string, FakePull>();
  private readonly trees = new Map<string, Map<string, FakeFile>>();
  private readonly commitTrees = new Map<string, string>();
  private readonly messages = new Map<string, string>();
  private readonly hooks: { route: string; action: () => void }[] = [];
  private nextId = 1;

  constructor(
    private readonly gh: FakeGitHub,
    readonly actor: FakeAccount = { login: 'workflow-warden[bot]', type: 'Bot' },
  ) {
    gh.repoRoute('GET', '/pulls/{pull_number}/comments', (repo, context) => this.listComments(repo, context));
    gh.repoRoute('POST', '/pulls/{pull_number}/reviews', (repo, context) => this.createReview(repo, context));
    gh.repoRoute('GET', '/git/ref/{ref}', (repo, context) => this.getRef(repo, context));
    gh.repoRoute('GET', '/git/commits/{commit_sha}', (repo, context) => this.getCommit(repo, context));
    gh.repoRoute('POST', '/git/trees', (repo, context) => this.createTree(repo, context));
    gh.repoRoute('POST', '/git/commits', (repo, context) => this.createCommit(repo, context));
    gh.repoRoute('PATCH', '/git/refs/{ref}', (repo, context) => this.updateRef(repo, context));
  }

  addPull(fullName: string, pull: { number: number; headSha: string; files: FakePullFile[] }): FakePull {
    const state: FakePull = { ...pull, comments: [], reviews: [] };
    this.pulls.set(pullKey(this.gh.repo(fullName), pull.number), state);
    return state;
  }

  pull(fullName: string, number: number): FakePull {
    const pull = this.pulls.get(pullKey(this.gh.repo(fullName), number));
    if (pull === undefined) throw new Error(`fake-github-pulls: no pull request #${number} in ${fullName}`);
    return pull;
  }

  /** A review comment already on the PR (by anyone), as GitHub would list it. */
  addComment(fullName: string, number: number, seed: SeedComment): void {
    const repo = this.gh.repo(fullName);
    const pull = this.pull(fullName, number);
    pull.comments.push(this.commentRecord(repo, pull, seed, null, 'https://api.github.com'));
  }

  /** Runs `action` right before the next request to `route` (a route key) is answered: a push in between. */
  beforeNext(route: string, action: () => void): void {
    this.hooks.push({ route, action });
  }

  /** The tree of a commit, as `GET /git/commits/{sha}` names it. */
  treeOf(fullName: string, commit: string): string {
    return this.commitTree(this.gh.repo(fullName), commit) ?? '';
  }

  private runHooks(route: string): void {
    const index = this.hooks.findIndex((hook) => hook.route === route);
    if (index === -1) return;
    const [hook] = this.hooks.splice(index, 1);
    hook?.action();
  }

  // ---- Pull request review comments and reviews ----------------------------------------------------------

  private listComments(repo: FakeRepo, context: RouteContext): FakeResponse {
    const pull = this.pulls.get(pullKey(repo, Number(context.params.pull_number)));
    if (pull === undefined) return notFound();
    const perPage = Math.min(100, Number(context.query.get('per_page') ?? '30') || 30);
    const page = Math.max(1, Number(context.query.get('page') ?? '1') || 1);
    const last = Math.max(1, Math.ceil(pull.comments.length / perPage));
    const url = (target: number): string =>
      `${context.apiBase}/repos/${repo.owner}/${repo.name}/pulls/${pull.number}/comments?per_page=${perPage}&page=${target}`;
    const links = [
      ...(page < last ? [`<${url(page + 1)}>; rel="next"`, `<${url(last)}>; rel="last"`] : []),
      ...(page > 1 ? [`<${url(1)}>; rel="first"`, `<${url(page - 1)}>; rel="prev"`] : []),
    ];
    return { status: 200, headers: links.length === 0 ? {} : { link: links.join(', ') }, body: pull.comments.slice((page - 1) * perPage, page * perPage) };
  }

  private createReview(repo: FakeRepo, context: RouteContext): FakeResponse {
    this.runHooks('POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews');
    const pull = this.pulls.get(pullKey(repo, Number(context.params.pull_number)));
    if (pull === undefined) return notFound();
    const parsed = parseBody(context, 'POST', '/repos/{owner}/{repo}/pulls/{pull_number}/reviews');
    if ('response' in parsed) return parsed.response;
    const body = parsed.body as { commit_id?: string; body?: string; event?: string; comments?: ReviewCommentInput[] };
    const commit = body.commit_id ?? pull.headSha;
    if (!repo.commits.has(commit)) return unprocessable('Unprocessable Entity', ['commit_id is not part of the pull request']);
    if ((body.event === 'COMMENT' || body.event === 'REQUEST_CHANGES') && !body.body) {
      return unprocessable('Unprocessable Entity', ['Body is required for a review with this event']);
    }
    const problems = (body.comments ?? []).flatMap((comment) => this.placementErrors(pull, comment));
    if (problems.length > 0) return unprocessable('Unprocessable Entity', problems);
    const id = this.nextId++;
    const fullName = `${repo.owner}/${repo.name}`;
    const review = {
      id,
      node_id: nodeId('PRR', id),
      user: this.user(this.actor),
      body: body.body ?? '',
      state: body.event === undefined ? 'PENDING' : body.event === 'COMMENT' ? 'COMMENTED' : body.event === 'APPROVE' ? 'APPROVED' : 'CHANGES_REQUESTED',
      html_url: `https://github.com/${fullName}/pull/${pull.number}#pullrequestreview-${id}`,
      pull_request_url: `${context.apiBase}/repos/${fullName}/pulls/${pull.number}`,
      _links: {
        html: { href: `https://github.com/${fullName}/pull/${pull.number}#pullrequestreview-${id}` },
        pull_request: { href: `${context.apiBase}/repos/${fullName}/pulls/${pull.number}` },
      },
      submitted_at: '2026-07-01T12:00:00Z',
      commit_id: commit,
      author_association: 'NONE',
    };
    pull.reviews.push(review);
    for (const comment of body.comments ?? []) {
      const seed = { path: comment.path, line: comment.line ?? null, start_line: comment.start_line ?? null, body: comment.body, user: this.actor, commit_id: commit };
      pull.comments.push(this.commentRecord(repo, pull, seed, id, context.apiBase, comment.side, comment.start_side));
    }
    return { status: 200, body: review };
  }

  /** GitHub's refusals for a comment outside the diff: the path must be in it, and the lines in one hunk. */
  private placementErrors(pull: FakePull, comment: ReviewCommentInput): string[] {
    const file = pull.files.find((candidate) => candidate.filename === comment.path);
    if (file === undefined) return ['Path could not be resolved'];
    const line = comment.line;
    if (line === undefined) return ['Line could not be resolved'];
    const start = comment.start_line ?? line;
    const hunk = hunkRanges(file.patch, comment.side ?? 'RIGHT').find((range) => range.first <= line && line <= range.last);
    if (hunk === undefined || start < hunk.first || start > line) {
      return ["Pull request review thread line must be part of the diff and Pull request review thread diff hunk can't be blank"];
    }
    return [];
  }

  private commentRecord(
    repo: FakeRepo,
    pull: FakePull,
    seed: SeedComment,
    reviewId: number | null,
    apiBase: string,
    side = 'RIGHT',
    startSide?: string,
  ): Record<string, unknown> {
    const id = this.nextId++;
    const fullName = `${repo.owner}/${repo.name}`;
    const file = pull.files.find((candidate) => candidate.filename === seed.path);
    const startLine = seed.start_line ?? null;
    return {
      url: `${apiBase}/repos/${fullName}/pulls/comments/${id}`,
      pull_request_review_id: reviewId,
      id,
      node_id: nodeId('PRRC', id),
      diff_hunk: file?.patch?.split('\n')[0] ?? '',
      path: seed.path,
      position: seed.line === null ? null : diffPosition(file?.patch, seed.line),
      original_position: 1,
      commit_id: seed.commit_id ?? pull.headSha,
      original_commit_id: seed.commit_id ?? pull.headSha,
      user: this.user(seed.user),
      body: seed.body,
      created_at: '2026-07-01T12:00:00Z',
      updated_at: '2026-07-01T12:00:00Z',
      html_url: `https://github.com/${fullName}/pull/${pull.number}#discussion_r${id}`,
      pull_request_url: `${apiBase}/repos/${fullName}/pulls/${pull.number}`,
      author_association: seed.user.type === 'Bot' ? 'NONE' : 'MEMBER',
      _links: {
        self: { href: `${apiBase}/repos/${fullName}/pulls/comments/${id}` },
        html: { href: `https://github.com/${fullName}/pull/${pull.number}#discussion_r${id}` },
        pull_request: { href: `${apiBase}/repos/${fullName}/pulls/${pull.number}` },
      },
      start_line: startLine,
      original_start_line: startLine,
      start_side: startLine === null ? null : (startSide ?? side),
      line: seed.line,
      original_line: seed.line ?? 1,
      side,
      subject_type: 'line',
    };
  }

  private user(account: FakeAccount): Record<string, unknown> {
    const id = account.type === 'Bot' ? 41898282 : 583231;
    return {
      login: account.login,
      id,
      node_id: nodeId(account.type === 'Bot' ? 'BOT' : 'U', id),
      avatar_url: `https://avatars.githubusercontent.com/u/${id}?v=4`,
      gravatar_id: '',
      url: `https://api.github.com/users/${encodeURIComponent(account.login)}`,
      html_url: `https://github.com/${account.type === 'Bot' ? `apps/${account.login.replace(/\[bot\]$/, '')}` : account.login}`,
      type: account.type,
      site_admin: false,
    };
  }

  // ---- Git Data: refs, commits, trees --------------------------------------------------------------------

  private getRef(repo: FakeRepo, context: RouteContext): FakeResponse {
    const ref = context.params.ref ?? '';
    const sha = refTarget(repo, ref);
    return sha === undefined ? notFound() : { status: 200, body: refBody(repo, ref, sha, context.apiBase) };
  }

  private getCommit(repo: FakeRepo, context: RouteContext): FakeResponse {
    const sha = (context.params.commit_sha ?? '').toLowerCase();
    const tree = this.commitTree(repo, sha);
    return tree === undefined ? notFound() : { status: 200, body: this.commitBody(repo, sha, tree, context.apiBase) };
  }

  private createTree(repo: FakeRepo, context: RouteContext): FakeResponse {
    this.runHooks('POST /repos/{owner}/{repo}/git/trees');
    const parsed = parseBody(context, 'POST', '/repos/{owner}/{repo}/git/trees');
    if ('response' in parsed) return parsed.response;
    const body = parsed.body as { base_tree?: string; tree: { path?: string; mode?: string; type?: string; sha?: string | null; content?: string }[] };
    const base = body.base_tree === undefined ? new Map<string, FakeFile>() : this.trees.get(body.base_tree);
    if (base === undefined) return unprocessable('Invalid tree info', ['base_tree is not a valid tree oid']);
    const files = new Map(base);
    for (const entry of body.tree) {
      if (entry.path === undefined || entry.mode === undefined || entry.type === undefined) return unprocessable('Must supply a valid tree.path, tree.mode and tree.type');
      if (entry.content !== undefined && entry.sha !== undefined) return unprocessable('Must supply either tree.sha or tree.content. Request will be rejected if both are present.');
      if (entry.sha === null) files.delete(entry.path);
      else if (entry.content !== undefined) files.set(entry.path, entry.content);
      else return unprocessable('tree.sha is not supported by this fake: send content');
    }
    const sha = hashOf(`tree\0${JSON.stringify([...files].sort(([a], [b]) => (a < b ? -1 : 1)))}`);
    this.trees.set(sha, files);
    const url = `${context.apiBase}/repos/${repo.owner}/${repo.name}/git/trees/${sha}`;
    return { status: 201, body: { sha, url, tree: topLevelEntries(files, repo, context.apiBase), truncated: false } };
  }

  private createCommit(repo: FakeRepo, context: RouteContext): FakeResponse {
    this.runHooks('POST /repos/{owner}/{repo}/git/commits');
    const parsed = parseBody(context, 'POST', '/repos/{owner}/{repo}/git/commits');
    if ('response' in parsed) return parsed.response;
    const body = parsed.body as { message: string; tree: string; parents?: string[] };
    const files = this.trees.get(body.tree);
    if (files === undefined) return unprocessable('Tree SHA does not exist');
    const parents = body.parents ?? [];
    if (parents.some((parent) => !repo.commits.has(parent))) return unprocessable('Parent SHA does not exist or is not a commit object');
    const sha = hashOf(`commit\0${body.tree}\0${parents.join(',')}\0${body.message}\0${this.nextId++}`);
    repo.commits.set(sha, new Map(files));
    repo.parents.set(sha, parents);
    this.commitTrees.set(sha, body.tree);
    this.messages.set(sha, body.message);
    return { status: 201, body: this.commitBody(repo, sha, body.tree, context.apiBase) };
  }

  private updateRef(repo: FakeRepo, context: RouteContext): FakeResponse {
    this.runHooks('PATCH /repos/{owner}/{repo}/git/refs/{ref}');
    const parsed = parseBody(context, 'PATCH', '/repos/{owner}/{repo}/git/refs/{ref}');
    if ('response' in parsed) return parsed.response;
    const body = parsed.body as { sha: string; force?: boolean };
    const ref = context.params.ref ?? '';
    const current = refTarget(repo, ref);
    if (current === undefined) return unprocessable('Reference does not exist');
    if (!repo.commits.has(body.sha)) return unprocessable('Object does not exist');
    if (body.force !== true && !isAncestor(repo, current, body.sha)) return unprocessable('Update is not a fast forward');
    const [kind, ...rest] = ref.split('/');
    (kind === 'tags' ? repo.tags : repo.branches).set(rest.join('/'), body.sha);
    return { status: 200, body: refBody(repo, ref, body.sha, context.apiBase) };
  }

  /** A commit's tree: the one it was created with, or one standing for the files of a fixture commit. */
  private commitTree(repo: FakeRepo, sha: string): string | undefined {
    const known = this.commitTrees.get(sha);
    if (known !== undefined) return known;
    const files = repo.commits.get(sha);
    if (files === undefined) return undefined;
    const tree = hashOf(`fixture-tree\0${sha}`);
    this.trees.set(tree, new Map(files));
    this.commitTrees.set(sha, tree);
    return tree;
  }

  private commitBody(repo: FakeRepo, sha: string, tree: string, apiBase: string): Record<string, unknown> {
    const base = `${apiBase}/repos/${repo.owner}/${repo.name}/git`;
    const person = { name: this.actor.login, email: `41898282+${this.actor.login}@users.noreply.github.com`, date: '2026-07-01T12:00:00Z' };
    return {
      sha,
      node_id: nodeId('C', sha),
      url: `${base}/commits/${sha}`,
      html_url: `https://github.com/${repo.owner}/${repo.name}/commit/${sha}`,
      author: person,
      committer: person,
      message: this.messages.get(sha) ?? `Commit ${sha.slice(0, 7)}`,
      tree: { sha: tree, url: `${base}/trees/${tree}` },
      parents: (repo.parents.get(sha) ?? []).map((parent) => ({
        sha: parent,
        url: `${base}/commits/${parent}`,
        html_url: `https://github.com/${repo.owner}/${repo.name}/commit/${parent}`,
      })),
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    };
  }
}

interface ReviewCommentInput {
  path: string;
  body: string;
  line?: number;
  side?: string;
  start_line?: number;
  start_side?: string;
}

// ---- Helpers ---------------------------------------------------------------------------------------------------

function pullKey(repo: FakeRepo, number: number): string {
  return `${repo.id}#${number}`;
}

function parseBody(context: RouteContext, method: string, path: string): { body: unknown } | { response: FakeResponse } {
  let body: unknown;
  try {
    body = JSON.parse(context.request.body === '' ? '{}' : context.request.body);
  } catch {
    return { response: { status: 400, body: { message: 'Problems parsing JSON', documentation_url: DOCS, status: '400' } } };
  }
  const errors = validateRequest(method, path, body).map((error) => `${error.instancePath || '/'} ${error.message ?? 'is invalid'}`);
  return errors.length === 0 ? { body } : { response: unprocessable(`Invalid request.\n\n${errors.join('\n')}`) };
}

function unprocessable(message: string, errors?: string[]): FakeResponse {
  return { status: 422, body: { message, ...(errors && { errors }), documentation_url: DOCS, status: '422' } };
}

function notFound(): FakeResponse {
  return { status: 404, body: { message: 'Not Found', documentation_url: DOCS, status: '404' } };
}

function hashOf(content: string): string {
  return createHash('sha1').update(content).digest('hex');
}

function nodeId(prefix: string, id: number | string): string {
  return `${prefix}_${Buffer.from(String(id)).toString('base64url')}`;
}

/** `heads/<branch>` or `tags/<tag>`: the SHA the ref points at. */
function refTarget(repo: FakeRepo, ref: string): string | undefined {
  const [kind, ...rest] = ref.split('/');
  const name = rest.join('/');
  if (kind === 'heads') return repo.branches.get(name);
  if (kind === 'tags') return repo.tags.get(name);
  return undefined;
}

function refBody(repo: FakeRepo, ref: string, sha: string, apiBase: string): Record<string, unknown> {
  const base = `${apiBase}/repos/${repo.owner}/${repo.name}/git`;
  const isTagObject = repo.tagObjects.has(sha);
  return {
    ref: `refs/${ref}`,
    node_id: nodeId('REF', ref),
    url: `${base}/refs/${ref}`,
    object: { type: isTagObject ? 'tag' : 'commit', sha, url: `${base}/${isTagObject ? 'tags' : 'commits'}/${sha}` },
  };
}

/** Whether `ancestor` is `commit` or in its history. */
function isAncestor(repo: FakeRepo, ancestor: string, commit: string): boolean {
  const queue = [commit];
  const seen = new Set(queue);
  for (let index = 0; index < queue.length; index += 1) {
    const sha = queue[index]!;
    if (sha === ancestor) return true;
    for (const parent of repo.parents.get(sha) ?? []) {
      if (!seen.has(parent)) {
        seen.add(parent);
        queue.push(parent);
      }
    }
  }
  return false;
}

/** The tree's own entries, as GitHub lists a tree that is not recursive: files, and directories as trees. */
function topLevelEntries(files: Map<string, FakeFile>, repo: FakeRepo, apiBase: string): Record<string, unknown>[] {
  const base = `${apiBase}/repos/${repo.owner}/${repo.name}/git`;
  const entries = new Map<string, Record<string, unknown>>();
  for (const [path, file] of files) {
    const [first = path, ...rest] = path.split('/');
    if (rest.length > 0) {
      const sha = hashOf(`subtree\0${first}`);
      entries.set(first, { path: first, mode: '040000', type: 'tree', sha, url: `${base}/trees/${sha}` });
    } else {
      const text = typeof file === 'string' ? file : JSON.stringify(file);
      const sha = hashOf(`blob ${Buffer.byteLength(text)}\0${text}`);
      entries.set(first, { path: first, mode: '100644', type: 'blob', size: Buffer.byteLength(text), sha, url: `${base}/blobs/${sha}` });
    }
  }
  return [...entries.values()].sort((a, b) => (String(a.path) < String(b.path) ? -1 : 1));
}

/** The lines each hunk covers on one side, read from the hunk headers only. */
function hunkRanges(patch: string | undefined, side: string): HunkRange[] {
  const ranges: HunkRange[] = [];
  for (const row of (patch ?? '').split('\n')) {
    const header = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/.exec(row);
    if (header === null) continue;
    const [start, count] = side === 'LEFT' ? [header[1], header[2]] : [header[3], header[4]];
    const first = Number(start);
    const length = count === undefined ? 1 : Number(count);
    if (length > 0) ranges.push({ first, last: first + length - 1 });
  }
  return ranges;
}

/** The deprecated `position`: rows below the file's first hunk header, down to the head-side line. */
function diffPosition(patch: string | undefined, line: number): number | null {
  const rows = (patch ?? '').split('\n');
  let next = 0;
  for (const [index, row] of rows.entries()) {
    const header = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(row);
    if (header !== null) {
      next = Number(header[1]);
      continue;
    }
    if (row.startsWith('-') || row.startsWith('\\')) continue;
    if (next === line) return index;
    next += 1;
  }
  return null;
}
