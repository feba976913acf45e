// The GitHub App: which events it answers and how. Handlers stay thin: read the event, call the
// evaluation, write the result. Each delivery is processed once, however often GitHub sends it.
import pLimit from 'p-limit';
import type { ApplicationFunction, Context, Probot } from 'probot';
import { repoKey } from '../graph/types.js';
import type { WardenServices } from '../services.js';
import { afterRefMoved, backfillInstallation, indexRepositories, startBackfill } from './callers.js';
import { evaluateTarget, type EvaluationEnvironment } from './evaluate.js';
import { applyPins } from './pin-action.js';
import { parseCheckOrigin, pullRequestTarget, repositoryMetadata, type CheckOrigin, type RepositoryPayload } from './targets.js';

export function createWardenApp(services: WardenServices): ApplicationFunction {
  return (app: Probot) => {
    // Asked once per process: the app's slug does not change while it runs.
    let login: Promise<string | undefined> | undefined;
    const botLogin = () =>
      (login ??= app
        .auth()
        .then((octokit) => octokit.rest.apps.getAuthenticated())
        .then(({ data }) => (data?.slug ? `${data.slug}[bot]` : undefined))
        .catch((error: unknown) => {
          app.log.warn({ err: error }, 'could not read the app’s own identity');
          login = undefined;
          return undefined;
        }));
    const slot = pLimit(services.config.maxConcurrentEvaluations);
    const environment = (context: Context): EvaluationEnvironment => ({
      octokit: context.octokit,
      log: context.log,
      services,
      botLogin,
      cacheScope: cacheScope(services.config.host, context.payload),
      slot: (work) => slot(work),
      delivery: context.id,
    });

    // The backfill of an installation's callers index goes on after its deliveries, one bounded chunk at a time:
    // the same path in both runtimes (npm start's work loop and the Lambda worker both hand deliveries to Probot).
    // One chunk per installation at a time in this process; installations whose cursor says complete are
    // remembered, so they cost nothing more, not even the read.
    const backfilling = new Set<string>();
    const backfilled = new Set<string>();
    const continueBackfill = async (context: Context, started: number): Promise<void> => {
      const scope = cacheScope(services.config.host, context.payload);
      const deadline = started + services.config.evaluationTimeoutMs;
      if (!hasInstallation(context.payload) || endsInstallation(context) || backfilling.has(scope) || backfilled.has(scope)) return;
      if (services.now().getTime() >= deadline) return;
      backfilling.add(scope);
      try {
        const cursor = await services.callers.readCursor(scope);
        // No cursor: no backfill was started (the installation predates the index, or its cursor expired).
        if (cursor === undefined) return;
        if (cursor.complete) {
          backfilled.add(scope);
          return;
        }
        const after = await backfillInstallation(environment(context), { deadline, start: cursor });
        if (after?.complete) backfilled.add(scope);
      } catch (error) {
        context.log.warn({ err: error }, 'the backfill of the callers index could not go on; a later delivery tries again');
      } finally {
        backfilling.delete(scope);
      }
    };

    /**
     * Runs a handler once per delivery id; a failed run gives the delivery back for GitHub's or the queue's retry.
     * A delivery handled (its check run completed, its work after the verdict done) lets the installation's
     * backfill go on by one chunk, within what is left of the delivery's share of time.
     */
    const once =
      <E extends Context>(handler: (context: E) => Promise<void>) =>
      async (context: E): Promise<void> => {
        const started = services.now().getTime();
        if (!(await services.state.claimDelivery(context.id))) {
          context.log.info({ delivery: context.id }, 'duplicate delivery ignored');
          return;
        }
        try {
          await handler(context);
        } catch (error) {
          // Let GitHub's redelivery or the queue's retry take it up now rather than after the lease.
          await services.state.releaseDelivery(context.id);
          throw error;
        }
        await services.state.completeDelivery(context.id);
        await continueBackfill(context, started);
      };

    app.on(
      ['pull_request.opened', 'pull_request.synchronize', 'pull_request.reopened', 'pull_request.ready_for_review', 'pull_request.edited'],
      once(async (context) => {
        const { payload } = context;
        // An edit matters only when it moves the base: the diff and the repository policy change with it.
        if (payload.action === 'edited' && !('changes' in payload && payload.changes.base)) return;
        await evaluateTarget(environment(context), pullRequestTarget(repositoryMetadata(payload.repository), payload.pull_request));
      }),
    );

    app.on(
      'merge_group.checks_requested',
      once(async (context) => {
        const { merge_group: group, repository: payloadRepository } = context.payload;
        if (!payloadRepository) return;
        const repository = repositoryMetadata(payloadRepository);
        await evaluateTarget(environment(context), {
          repository,
          headSha: group.head_sha,
          baseSha: group.base_sha,
          subject: `${repoKey(repository.repo)}@${group.head_ref}`,
          mergeGroup: { base: group.base_sha, head: group.head_sha, ref: group.head_ref },
          baseRef: group.base_ref.replace(/^refs\/heads\//, ''),
        });
      }),
    );

    const rerun = async (context: Context, origin: CheckOrigin | undefined, headSha: string, repository: RepositoryPayload) => {
      const metadata = repositoryMetadata(repository);
      if (origin && 'mergeGroup' in origin) {
        const { base, head, ref } = origin.mergeGroup;
        await evaluateTarget(environment(context), { repository: metadata, headSha: head, baseSha: base, subject: `${repoKey(metadata.repo)}@${ref}`, mergeGroup: origin.mergeGroup });
        return;
      }
      if (!origin) {
        context.log.warn({ headSha }, 're-run requested for a commit with no known pull request or merge group; nothing to evaluate');
        return;
      }
      if ('branch' in origin) {
        // A branch evaluated after a ref it calls moved: the same commit, all of its workflows again.
        const { branch } = origin;
        await evaluateTarget(environment(context), { repository: metadata, headSha, baseSha: headSha, subject: `${repoKey(metadata.repo)}@${branch}`, headRef: branch, baseRef: branch, drift: {} });
        return;
      }
      const { data: pull } = await context.octokit.rest.pulls.get({ owner: metadata.repo.owner, repo: metadata.repo.name, pull_number: origin.pull });
      await evaluateTarget(environment(context), pullRequestTarget(metadata, pull));
    };

    app.on(
      'check_run.rerequested',
      once(async (context) => {
        const run = context.payload.check_run;
        const fromEvent = run.pull_requests[0];
        const origin = parseCheckOrigin(run.external_id) ?? (fromEvent ? { pull: fromEvent.number } : undefined);
        await rerun(context, origin, run.head_sha, context.payload.repository);
      }),
    );

    /** GitHub lists no pull request on a fork's (or a merge group's) suite: our own check run in the suite knows its origin. */
    const suiteOrigin = async (context: Context<'check_suite.rerequested'>, suiteId: number): Promise<CheckOrigin | undefined> => {
      const { owner, repo } = context.repo();
      const { data } = await context.octokit.rest.checks.listForSuite({ owner, repo, check_suite_id: suiteId, check_name: services.config.checkName, per_page: 1 });
      return parseCheckOrigin(data.check_runs[0]?.external_id);
    };

    app.on(
      'check_suite.rerequested',
      once(async (context) => {
        const suite = context.payload.check_suite;
        const fromEvent = suite.pull_requests[0];
        const origin = fromEvent ? { pull: fromEvent.number } : await suiteOrigin(context, suite.id);
        await rerun(context, origin, suite.head_sha ?? '', context.payload.repository);
      }),
    );

    app.on(
      'check_run.requested_action',
      once(async (context) => {
        const { check_run: run, requested_action: action, repository } = context.payload;
        const origin = parseCheckOrigin(run.external_id);
        if (action?.identifier !== 'pin-all' || !origin || !('pull' in origin)) return;
        await applyPins(environment(context), { repository: repositoryMetadata(repository), pullNumber: origin.pull, checkRunId: run.id });
      }),
    );

    // Cache invalidation: refs move on push/create/delete, repository metadata on repository events.
    const invalidateRef = async (context: Context<'push' | 'create' | 'delete'>) => {
      const { payload } = context;
      const scope = cacheScope(services.config.host, payload);
      const owner = payload.repository.owner?.login;
      if (!owner) return;
      const ref = 'ref_type' in payload ? payload.ref : payload.ref.replace(/^refs\/(heads|tags)\//, '');
      const key = repoKey({ owner, name: payload.repository.name });
      await services.cache.invalidate('ref', scope, key, ref);
      await services.cache.invalidate('tags', scope, key);
      // The default branch's head (where the organization policy is read) may be the ref that moved.
      if (context.name === 'push') await services.cache.invalidate('head', scope, key);
      // A commit no ref reached may be reached now; one a ref reached may not be after a deletion or a force push.
      await services.cache.invalidate('unreachable', scope, key);
      if (context.name === 'delete' || ('forced' in payload && payload.forced)) await services.cache.invalidate('reachable', scope, key);
    };
    app.on(['create', 'delete'], invalidateRef);

    // The callee side: a push to a default branch indexes what it calls; a moved tag or branch (GitHub sends `push`
    // for a tag's creation, move and deletion too) re-evaluates the default branches of the callers that name it.
    app.on(
      'push',
      once(async (context) => {
        const { payload } = context;
        // First forget the ref's cached commit, so the callers evaluated below resolve it where it is now.
        await invalidateRef(context);
        await afterRefMoved(
          environment(context),
          {
            repository: repositoryMetadata({ ...payload.repository, owner: { login: payload.repository.owner?.login ?? '' } }),
            ref: payload.ref,
            refType: payload.ref.startsWith('refs/tags/') ? 'tag' : 'branch',
            ...(!payload.deleted && { after: payload.after }),
          },
          (target) => evaluateTarget(environment(context), target),
        );
      }),
    );

    app.on('repository', async (context) => {
      const { payload } = context;
      const scope = cacheScope(services.config.host, payload);
      const names = [{ owner: payload.repository.owner.login, name: payload.repository.name }];
      if (payload.action === 'renamed') names.push({ owner: payload.repository.owner.login, name: payload.changes.repository.name.from });
      if (payload.action === 'transferred') {
        const from = payload.changes.owner.from;
        const login = 'user' in from ? from.user?.login : 'organization' in from ? from.organization?.login : undefined;
        if (login) names.push({ owner: login, name: payload.repository.name });
      }
      for (const repo of names) {
        const key = repoKey(repo);
        await services.cache.invalidate('repo', scope, key, 'meta');
        await services.cache.invalidate('access', scope, key, 'access');
        await services.cache.invalidate('ref', scope, key);
        await services.cache.invalidate('head', scope, key);
      }
    });

    app.on(['installation', 'installation_repositories'], async (context) => {
      context.log.info({ action: context.payload.action, installation: context.payload.installation.id }, 'installation changed');
    });

    // The callers index of a new installation is backfilled: its cursor is written here, and its first chunk runs
    // right after (continueBackfill), the next ones after later deliveries. The repositories given to an existing
    // installation are indexed on their own.
    app.on(
      'installation.created',
      once(async (context) => {
        backfilled.delete(cacheScope(services.config.host, context.payload));
        await startBackfill(environment(context));
      }),
    );
    app.on(
      'installation_repositories.added',
      once(async (context) => {
        const added = context.payload.repositories_added.map((repository) => repositoryMetadata({ name: repository.name, owner: { login: repository.full_name.split('/')[0] ?? '' }, private: repository.private }));
        await indexRepositories(environment(context), added);
      }),
    );
  };
}

function hasInstallation(payload: object): boolean {
  const installation = 'installation' in payload ? (payload.installation as { id?: unknown } | undefined) : undefined;
  return typeof installation?.id === 'number';
}

/** The app is leaving the installation (uninstalled or suspended): its token stops working, nothing is indexed. */
function endsInstallation(context: Context): boolean {
  const action = 'action' in context.payload ? context.payload.action : undefined;
  return context.name === 'installation' && (action === 'deleted' || action === 'suspend');
}

/**
 * The part of the cache an event's installation reads and writes: files and refs one installation can
 * read (a private repository shared with it) must never be served to another installation.
 */
export function cacheScope(host: string, payload: object): string {
  const installation = 'installation' in payload ? (payload.installation as { id?: unknown } | undefined) : undefined;
  return typeof installation?.id === 'number' ? `${host}#${installation.id}` : `${host}#no-installation`;
}
