import { mkdir, symlink } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalCheckoutSource } from '../../src/cli/local-source.js';
import { apiEndpoint, OFFLINE_ERROR, OfflineSource } from '../../src/cli/remote.js';
import type { ActionsAccessLevel, RepoId, RepoMetadata } from '../../src/graph/types.js';
import type { LevelRequest, LevelResult, WorkflowFileRequest, WorkflowSource } from '../../src/source/port.js';
import { checkout, cleanCheckouts, HEAD } from './harness.js';

const app: RepoId = { owner: 'My-Org', name: 'app' };
const shared: RepoId = { owner: 'octo-org', name: 'shared' };
const APP: RepoMetadata = { repo: app, visibility: 'internal', archived: false };
const SHARED: RepoMetadata = { repo: shared, visibility: 'public', archived: false, defaultBranch: 'main' };

/** A remote that answers every file with its own path and records what it was asked. */
class RecordingRemote implements WorkflowSource {
  readonly host = 'github.com';
  readonly asked: LevelRequest[] = [];

  async fetchLevel(request: LevelRequest): Promise<LevelResult> {
    this.asked.push(request);
    return {
      files: request.files.map((file) => ({ ok: true, commit: 'c'.repeat(40), text: `remote ${file.path}` })),
      repos: new Map([['octo-org/shared', SHARED]]),
    };
  }

  async fetchActionsAccess(): Promise<Map<string, ActionsAccessLevel>> {
    return new Map<string, ActionsAccessLevel>();
  }
}

function local(path: string, sha = HEAD): WorkflowFileRequest {
  return { repo: { owner: 'my-org', name: 'APP' }, path, ref: { kind: 'commit', sha } };
}

afterEach(cleanCheckouts);

describe('LocalCheckoutSource', () => {
  it('reads its own repository at its commit from disk, sends the rest to the remote, and answers in request order', async () => {
    const root = await checkout('local');
    const remote = new RecordingRemote();
    const source = new LocalCheckoutSource({ root, repository: APP, commit: HEAD.toUpperCase(), remote });
    const atOtherCommit = local('.github/workflows/ci.yml', 'd'.repeat(40));
    const named: WorkflowFileRequest = { repo: shared, path: '.github/workflows/deploy.yml', ref: { kind: 'named', name: 'v1' } };

    const result = await source.fetchLevel({
      files: [local('.github/workflows/ci.yml'), named, local('.github/workflows/missing.yml'), atOtherCommit],
      repos: [app, shared],
    });

    expect(remote.asked).toEqual([{ files: [named, atOtherCommit], repos: [shared] }]);
    expect(result.files).toEqual([
      { ok: true, commit: HEAD, text: expect.stringContaining('uses: ./.github/workflows/build.yml') as unknown as string },
      { ok: true, commit: 'c'.repeat(40), text: 'remote .github/workflows/deploy.yml' },
      { ok: false, commit: HEAD, error: { kind: 'file-not-found', message: '.github/workflows/missing.yml does not exist in the checkout' } },
      { ok: true, commit: 'c'.repeat(40), text: 'remote .github/workflows/ci.yml' },
    ]);
    expect(result.repos).toEqual(new Map([['octo-org/shared', SHARED], ['my-org/app', APP]]));
  });

  it('never reads outside .github/workflows, and asks the remote nothing when everything is local', async () => {
    const root = await checkout('local');
    const remote = new RecordingRemote();
    const source = new LocalCheckoutSource({ root, repository: APP, commit: HEAD, remote });

    const result = await source.fetchLevel({ files: [local('.github/workflows/../../.git/config'), local('README.md')], repos: [] });

    expect(remote.asked).toEqual([]);
    expect(result.files.map((file) => (file.ok ? 'read' : file.error.kind))).toEqual(['file-not-found', 'file-not-found']);
    expect(result.repos).toEqual(new Map([['my-org/app', APP]]));
  });

  it('reads the checkout’s own actions, and nothing a symbolic link points to outside it', async () => {
    const root = await checkout(undefined, {}, { '.github/actions/setup/action.yml': 'runs:\n  using: node24\n  main: x.js\n' });
    const elsewhere = await checkout(undefined, {}, { 'action.yml': 'runs:\n  using: node24\n  main: not-for-the-report.js\n' });
    await mkdir(join(root, 'leak'));
    await symlink(elsewhere, join(root, 'leak', 'outside'));
    const remote = new RecordingRemote();
    const source = new LocalCheckoutSource({ root, repository: APP, commit: HEAD, remote });

    const result = await source.fetchLevel({
      files: [local('.github/actions/setup/action.yml'), local('.github/actions/setup/action.yaml'), local('leak/outside/action.yml'), local('./action.yml')],
      repos: [],
    });

    expect(remote.asked).toEqual([]);
    expect(result.files).toEqual([
      { ok: true, commit: HEAD, text: 'runs:\n  using: node24\n  main: x.js\n' },
      { ok: false, commit: HEAD, error: { kind: 'file-not-found', message: '.github/actions/setup/action.yaml does not exist in the checkout' } },
      { ok: false, commit: HEAD, error: { kind: 'file-not-found', message: 'leak/outside/action.yml points outside the checkout' } },
      { ok: false, commit: HEAD, error: { kind: 'file-not-found', message: './action.yml is not a workflow or action file' } },
    ]);
  });

  it('has online facts only when its remote has them', () => {
    const offline = new LocalCheckoutSource({ root: '.', repository: APP, commit: HEAD, remote: new OfflineSource('github.com') });

    expect(offline.fetchRefFacts).toBeUndefined();
    expect(offline.host).toBe('github.com');
  });
});

describe('OfflineSource', () => {
  it('answers every remote read with the typed offline error, never success', async () => {
    const source = new OfflineSource('ghe.example.com');
    const named: WorkflowFileRequest = { repo: shared, path: '.github/workflows/deploy.yml', ref: { kind: 'named', name: 'v1' } };

    expect(await source.fetchLevel({ files: [named], repos: [app] })).toEqual({
      files: [{ ok: false, error: OFFLINE_ERROR }],
      repos: new Map([['octo-org/shared', OFFLINE_ERROR], ['my-org/app', OFFLINE_ERROR]]),
    });
    expect(await source.fetchActionsAccess([shared])).toEqual(new Map([['octo-org/shared', OFFLINE_ERROR]]));
    expect(OFFLINE_ERROR).toEqual({ kind: 'network', message: 'GITHUB_TOKEN is not set: workflows in other repositories are not read' });
  });
});

describe('apiEndpoint', () => {
  it.each([
    [{}, 'https://api.github.com', 'github.com'],
    [{ GITHUB_API_URL: 'https://api.github.com/' }, 'https://api.github.com', 'github.com'],
    [{ GITHUB_API_URL: 'https://api.octo.ghe.com' }, 'https://api.octo.ghe.com', 'octo.ghe.com'],
    [{ GITHUB_API_URL: 'https://ghe.example.com/api/v3', GHE_HOST: 'ignored.example.com' }, 'https://ghe.example.com/api/v3', 'ghe.example.com'],
    [{ GHE_HOST: 'ghe.example.com' }, 'https://ghe.example.com/api/v3', 'ghe.example.com'],
    [{ GHE_HOST: 'ghe.local:8080', GHE_PROTOCOL: 'http' }, 'http://ghe.local:8080/api/v3', 'ghe.local:8080'],
    // An Actions job names its host: a proxy or a loopback API still resolves calls as on that host.
    [{ GITHUB_API_URL: 'http://127.0.0.1:8080', GITHUB_SERVER_URL: 'https://github.com' }, 'http://127.0.0.1:8080', 'github.com'],
    [{ GITHUB_API_URL: 'https://ghe.example.com/api/v3', GITHUB_SERVER_URL: 'https://ghe.example.com' }, 'https://ghe.example.com/api/v3', 'ghe.example.com'],
  ])('%j → %s on %s', (env, baseUrl, host) => {
    expect(apiEndpoint(env)).toEqual({ baseUrl, host });
  });
});
