import { readCheckout, repoFromRemoteUrl, WORKING_TREE } from '../../src/cli/checkout.js';
import { checkout, cleanCheckouts, HEAD } from './harness.js';

const OTHER = 'fedcba9876543210fedcba9876543210fedcba98';

afterEach(cleanCheckouts);

describe('readCheckout', () => {
  it('reads HEAD through its branch ref, the origin remote and the workflow files (sorted, top level only)', async () => {
    const root = await checkout('loop', { head: HEAD, origin: 'git@github.com:Octo-Org/App.git' }, {
      '.github/workflows/nested/skipped.yml': 'on: push\n',
      '.github/workflows/README.md': '# not a workflow\n',
      '.github/workflows/release.yaml': 'on: push\n',
    });

    expect(await readCheckout(root)).toEqual({
      root,
      commit: HEAD,
      origin: { owner: 'Octo-Org', name: 'App' },
      workflows: ['.github/workflows/ci.yml', '.github/workflows/first.yml', '.github/workflows/release.yaml', '.github/workflows/second.yml'],
    });
  });

  it('reads a detached HEAD, and a branch that only packed-refs knows', async () => {
    const detached = await checkout(undefined, {}, { '.git/HEAD': `${OTHER}\n` });
    const packed = await checkout(undefined, {}, {
      '.git/HEAD': 'ref: refs/heads/release\n',
      '.git/packed-refs': `# pack-refs with: peeled fully-peeled sorted\n${HEAD} refs/heads/main\n${OTHER} refs/heads/release\n`,
    });

    expect(await readCheckout(detached)).toEqual({ root: detached, commit: OTHER, workflows: [] });
    expect(await readCheckout(packed)).toEqual({ root: packed, commit: OTHER, workflows: [] });
  });

  it('follows a .git file to a worktree, whose refs and config live in the common directory', async () => {
    const main = await checkout(undefined, { head: HEAD, origin: 'https://github.com/octo-org/app' }, {
      '.git/refs/heads/feature': `${OTHER}\n`,
      '.git/worktrees/feature/HEAD': 'ref: refs/heads/feature\n',
      '.git/worktrees/feature/commondir': '../..\n',
    });
    const worktree = await checkout('local', {}, { '.git': `gitdir: ${main}/.git/worktrees/feature\n` });

    expect(await readCheckout(worktree)).toEqual({
      root: worktree,
      commit: OTHER,
      origin: { owner: 'octo-org', name: 'app' },
      workflows: ['.github/workflows/build.yml', '.github/workflows/ci.yml'],
    });
  });

  it('names the working tree when there is no .git or no commit yet', async () => {
    const bare = await checkout('local');
    const unborn = await checkout(undefined, {}, { '.git/HEAD': 'ref: refs/heads/main\n' });

    expect((await readCheckout(bare)).commit).toBe(WORKING_TREE);
    expect(await readCheckout(unborn)).toEqual({ root: unborn, commit: WORKING_TREE, workflows: [] });
  });

  it('takes only the origin remote', async () => {
    const root = await checkout(undefined, { head: HEAD }, {
      '.git/config': '[remote "upstream"]\n\turl = https://github.com/upstream/app.git\n[remote "origin"]\n\turl = https://github.com/me/app-fork.git\n',
    });

    expect((await readCheckout(root)).origin).toEqual({ owner: 'me', name: 'app-fork' });
  });
});

describe('repoFromRemoteUrl', () => {
  it.each([
    ['https://github.com/octo-org/app.git', 'octo-org/app'],
    ['https://github.com/octo-org/app', 'octo-org/app'],
    ['https://x-access-token:secret@github.com/octo-org/app.git/', 'octo-org/app'],
    ['ssh://git@ghe.example.com:2222/octo-org/app.git', 'octo-org/app'],
    ['git@github.com:octo-org/app.git', 'octo-org/app'],
    ['https://ghe.example.com/scm/octo-org/my.app.git', 'octo-org/my.app'],
  ])('%s → %s', (url, expected) => {
    const repo = repoFromRemoteUrl(url);
    expect(repo && `${repo.owner}/${repo.name}`).toBe(expected);
  });

  it.each([['app.git'], ['not a url'], ['https://github.com/']])('%s → undefined', (url) => {
    expect(repoFromRemoteUrl(url)).toBeUndefined();
  });
});
