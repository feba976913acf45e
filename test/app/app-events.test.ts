// Deliveries that change no check run: push, create and delete clear a repository's cached refs and ref facts;
// repository events clear its cached metadata (under its old name too); installation events are taken quietly.
// Asserted on the DynamoDB table itself, before and after.
import {
  APP,
  CALLABLE,
  calling,
  CI,
  createPull,
  expectSettled,
  installationPayload,
  LIB,
  LIB_WF,
  pullRequestPayload,
  pushPayload,
  refPayload,
  repositoryEventPayload,
  startHarness,
  type AppHarness,
} from '../support/app.js';

/** Cache keys carry the installation (31337 in the harness's payloads): what one installation read is never served to another. */
const SCOPE = 'github.com#31337';

const SHARED = 'octo-org/shared';
const SHARED_WF = `${SHARED}/.github/workflows/d.yml`;

let h: AppHarness;
let world: World;
/** What one evaluation wrote to the table: each test starts from it. */
let evaluated: Record<string, unknown>[];
/** The pull request's commits: its workflow directory is cached at the head, its repository policy at the base. */
let pullCommits: { head: string; base: string };

interface World {
  lib: string;
  impostor: string;
  shared: string;
}

beforeAll(async () => {
  h = await startHarness();
  try {
    world = buildWorld();
    const pull = createPull(h.gh, { repo: APP, base: { 'README.md': 'app\n' }, head: { [CI]: calling(CALLS(world)) } });
    pullCommits = { head: pull.headSha, base: pull.baseSha };
    await h.receive('pull_request', pullRequestPayload(h.gh, 'opened', pull));
    evaluated = await h.table();
  } finally {
    await h.close();
  }
});

beforeEach(async () => {
  h = await startHarness();
  // The same fixtures in the same order: the same commit SHAs.
  expect(buildWorld()).toEqual(world);
  await h.load(evaluated);
});

afterEach(async () => {
  try {
    await h.settle();
    expectSettled(h);
  } finally {
    await h.close();
  }
});

/** octo-org/app (private) calls other-org/lib by branch, by tag, pinned, and pinned to an impostor commit (unreachable), and octo-org/shared (internal) by branch. */
function CALLS({ lib, impostor }: World): Record<string, string> {
  return { a: `${LIB_WF}@main`, b: `${LIB_WF}@v1`, c: `${LIB_WF}@${lib} # v1`, d: `${LIB_WF}@${impostor}`, e: `${SHARED_WF}@main` };
}

function buildWorld(): World {
  h.gh.addRepo(LIB);
  const lib = h.gh.commit(LIB, { '.github/workflows/x.yml': CALLABLE }, { branch: 'main' });
  h.gh.tag(LIB, 'v1', lib);
  const impostor = h.gh.impostor(LIB, { '.github/workflows/x.yml': CALLABLE.replace('echo', 'curl evil') });
  h.gh.addRepo(SHARED, { visibility: 'internal', accessLevel: 'organization' });
  const shared = h.gh.commit(SHARED, { '.github/workflows/d.yml': CALLABLE }, { branch: 'main' });
  h.gh.addRepo(APP, { visibility: 'private' });
  return { lib, impostor, shared };
}

/**
 * The cache's keys (`pk sk`), without the state store's items. The evaluated repository's own metadata
 * comes from the webhook, so it is never read from GitHub nor cached.
 */
async function cacheKeys(): Promise<string[]> {
  const items = await h.table();
  return items
    .map((item) => `${String(item.pk)} ${String(item.sk)}`)
    .filter((key) => !/^(delivery|check-run|subject|callers|called-by|backfill)#/.test(key))
    .sort();
}

function allKeys(): string[] {
  const { lib, impostor, shared } = world;
  return [
    `access#${SCOPE}#octo-org/shared access`,
    `directory#${SCOPE}#octo-org/app@${pullCommits.head} .github/workflows`,
    // octo-org/.github does not exist: remembered as a repository with no default branch, so no policy.
    `head#${SCOPE}#octo-org/.github default-branch`,
    `policy#${SCOPE}#octo-org/app@${pullCommits.base} .github/workflow-policy.yml`,
    `reachable#${SCOPE}#other-org/lib ` + lib,
    `ref#${SCOPE}#octo-org/shared main`,
    `ref#${SCOPE}#other-org/lib main`,
    `ref#${SCOPE}#other-org/lib v1`,
    `repo#${SCOPE}#octo-org/shared meta`,
    `repo#${SCOPE}#other-org/lib meta`,
    `tags#${SCOPE}#other-org/lib tags`,
    `unreachable#${SCOPE}#other-org/lib ` + impostor,
    `workflow#${SCOPE}#octo-org/app@${pullCommits.head} .github/workflows/ci.yml`,
    `workflow#${SCOPE}#octo-org/shared@${shared} .github/workflows/d.yml`,
    `workflow#${SCOPE}#other-org/lib@${impostor} .github/workflows/x.yml`,
    `workflow#${SCOPE}#other-org/lib@${lib} .github/workflows/x.yml`,
  ].sort();
}

function without(...keys: string[]): string[] {
  return allKeys().filter((key) => !keys.includes(key));
}

describe('push, create, delete', () => {
  it('the cache holds what the evaluation read: refs, tags, reachability, metadata, access, files', async () => {
    expect(await cacheKeys()).toEqual(allKeys());
  });

  it('a push to a branch forgets that branch, the tags, and the commits no ref reached', async () => {
    const after = h.gh.commit(LIB, { '.github/workflows/x.yml': CALLABLE, 'README.md': 'new\n' }, { branch: 'main' });
    await h.receive('push', pushPayload(h.gh, LIB, { ref: 'refs/heads/main', before: world.lib, after }));
    expect(await cacheKeys()).toEqual(
      without(`ref#${SCOPE}#other-org/lib main`, `tags#${SCOPE}#other-org/lib tags`, `unreachable#${SCOPE}#other-org/lib ${world.impostor}`),
    );
    // main is the default branch: its workflows are read once, for the callers index, after the cache was cleared.
    expect(graphqlOperations()).toEqual(['WardenDefaultBranch other-org/lib']);
  });

  it('a forced push also forgets the commits a ref reached: history was rewritten', async () => {
    const after = h.gh.commit(LIB, { '.github/workflows/x.yml': CALLABLE }, { parents: [] });
    await h.receive('push', { ...pushPayload(h.gh, LIB, { ref: 'refs/heads/main', before: world.lib, after }), forced: true });
    expect(await cacheKeys()).toEqual(
      without(
        `ref#${SCOPE}#other-org/lib main`,
        `tags#${SCOPE}#other-org/lib tags`,
        `unreachable#${SCOPE}#other-org/lib ${world.impostor}`,
        `reachable#${SCOPE}#other-org/lib ${world.lib}`,
      ),
    );
  });

  it('a push of a tag forgets that tag by its short name', async () => {
    await h.receive('push', pushPayload(h.gh, LIB, { ref: 'refs/tags/v1', before: world.lib, after: world.lib }));
    expect(await cacheKeys()).toEqual(without(`ref#${SCOPE}#other-org/lib v1`, `tags#${SCOPE}#other-org/lib tags`, `unreachable#${SCOPE}#other-org/lib ${world.impostor}`));
  });

  it('create of a tag: the tags and unreached commits are forgotten, other refs kept', async () => {
    await h.receive('create', refPayload(h.gh, 'create', LIB, { ref: 'v2', refType: 'tag' }));
    expect(await cacheKeys()).toEqual(without(`tags#${SCOPE}#other-org/lib tags`, `unreachable#${SCOPE}#other-org/lib ${world.impostor}`));
  });

  it('delete of a tag: that ref, the tags and every reachability answer are forgotten', async () => {
    await h.receive('delete', refPayload(h.gh, 'delete', LIB, { ref: 'v1', refType: 'tag' }));
    expect(await cacheKeys()).toEqual(
      without(
        `ref#${SCOPE}#other-org/lib v1`,
        `tags#${SCOPE}#other-org/lib tags`,
        `unreachable#${SCOPE}#other-org/lib ${world.impostor}`,
        `reachable#${SCOPE}#other-org/lib ${world.lib}`,
      ),
    );
  });

  it('an event for another repository touches nothing of these', async () => {
    await h.receive('delete', refPayload(h.gh, 'delete', APP, { ref: 'main', refType: 'branch' }));
    expect(await cacheKeys()).toEqual(allKeys());
  });
});

describe('repository events', () => {
  it('renamed: metadata, access and refs are forgotten under the new name and the old one', async () => {
    // The cache knows octo-org/shared; it is renamed to octo-org/shared-v2.
    h.gh.rename(SHARED, 'octo-org/shared-v2');
    await h.receive('repository', repositoryEventPayload(h.gh, 'renamed', 'octo-org/shared-v2', { repository: { name: { from: 'shared' } } }));
    expect(await cacheKeys()).toEqual(without(`access#${SCOPE}#octo-org/shared access`, `ref#${SCOPE}#octo-org/shared main`, `repo#${SCOPE}#octo-org/shared meta`));
  });

  it.each(['privatized', 'publicized', 'archived'])('%s: that repository’s metadata is forgotten', async (action) => {
    await h.receive('repository', repositoryEventPayload(h.gh, action, SHARED));
    expect(await cacheKeys()).toEqual(without(`access#${SCOPE}#octo-org/shared access`, `ref#${SCOPE}#octo-org/shared main`, `repo#${SCOPE}#octo-org/shared meta`));
  });

  it('transferred: forgotten under the previous owner too', async () => {
    await h.services.cache.putMany('repo', [{ key: { host: SCOPE, partition: 'legacy-org/shared', sort: 'meta' }, value: { repo: { owner: 'legacy-org', name: 'shared' }, visibility: 'public', archived: false } }]);
    expect(await cacheKeys()).toContain(`repo#${SCOPE}#legacy-org/shared meta`);
    const changes = { owner: { from: { organization: { login: 'legacy-org', id: 77 } } } };
    await h.receive('repository', repositoryEventPayload(h.gh, 'transferred', SHARED, changes));
    expect(await cacheKeys()).toEqual(without(`access#${SCOPE}#octo-org/shared access`, `ref#${SCOPE}#octo-org/shared main`, `repo#${SCOPE}#octo-org/shared meta`));
  });
});

describe('installation events', () => {
  it.each([
    ['installation', 'deleted'],
    ['installation', 'suspend'],
    ['installation', 'new_permissions_accepted'],
    ['installation_repositories', 'removed'],
  ] as const)('%s.%s: handled without error, no request, the cache untouched', async (event, action) => {
    await expect(h.receive(event, installationPayload(event, action))).resolves.toBeUndefined();
    expect(h.gh.requests).toEqual([]);
    expect(await cacheKeys()).toEqual(allKeys());
  });

  it('installation.created: the installation’s repositories are listed for the callers index, the cache untouched', async () => {
    h.gh.installation({ repositories: [] });
    await expect(h.receive('installation', installationPayload('installation', 'created'))).resolves.toBeUndefined();
    expect(h.gh.requests.map((entry) => `${entry.method} ${entry.path.split('?')[0] ?? ''}`)).toEqual(['GET /installation/repositories']);
    expect(await cacheKeys()).toEqual(allKeys());
  });

  it('installation_repositories.added: each added repository’s default branch is read for the callers index, the cache untouched', async () => {
    const payload = installationPayload('installation_repositories', 'added');
    const added = (payload.repositories_added as { full_name: string }[]).map((repository) => `WardenDefaultBranch ${repository.full_name}`);
    expect(added.length).toBeGreaterThan(0);
    await expect(h.receive('installation_repositories', payload)).resolves.toBeUndefined();
    expect(graphqlOperations()).toEqual(added);
    expect(await cacheKeys()).toEqual(allKeys());
  });
});

/** The GraphQL operations sent, each as `Name owner/name`. */
function graphqlOperations(): string[] {
  return h.gh.requests.map((entry) => {
    if (entry.graphql === undefined) return `${entry.method} ${entry.path}`;
    const name = /query (\w+)/.exec(entry.graphql.query)?.[1] ?? 'anonymous';
    return `${name} ${String(entry.graphql.variables.owner)}/${String(entry.graphql.variables.name)}`;
  });
}
