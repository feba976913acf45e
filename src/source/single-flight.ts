// Single flight: concurrent evaluations of one installation that need the same file at the same ref (a burst of
// pull requests calling `acme/shared/...@v1`) share one request for it instead of each asking GitHub. A level is
// split into what another evaluation is already reading (joined) and the rest (its own part).
//
// Batching: the own part is not sent at once. It goes into the installation's open batch, which collects the own
// parts of every level asked in a short window (`batchWindowMs`, 5 ms by default) and is then read as one level,
// through the source of the evaluation that opened it (one installation: same token, same visibility), so 20
// evaluations reading different files at once make one GraphQL query instead of 20. A batch is sent early once it
// holds as many files or repositories as one GraphQL level query reads (`MAX_FILES_PER_QUERY`); a part that fills
// a query by itself is read alone, at once. Each evaluation gets back only what it asked: its files in its order,
// and only its repositories. A batched read is offered to other evaluations while in flight like any other read.
// If it fails as a whole (the source throws), each evaluation in it reads its own part again on its own, once, so
// a batch never fails an evaluation that would not have failed alone (a batch of one just fails, as it would
// have). On GitHub a whole query fails only for reasons that have nothing to do with which files it carries (the
// network, a 5xx, the deadline, the rate limit); what is wrong with one file or repository is an error on its own
// alias, answered per item (see `graphqlPartial`), so one evaluation's missing file never fails the others. Such
// a whole failure comes back as every item's error, not as a throw, and is not read again per part: each part
// alone would have met the same network or limit, and reading 20 parts again would spend a limit 20 times.
//
// Installations (cache scopes) never share a read nor a batch. Nothing is kept once answered: remembering is the
// cache's.
import { repoKey, type RepoId, type RepoMetadata, type ResolutionError } from '../graph/types.js';
import { MAX_FILES_PER_QUERY } from './github.js';
import type { LevelRequest, LevelResult, WorkflowFileRequest, WorkflowFileResult, WorkflowSource } from './port.js';

type RepoAnswer = RepoMetadata | ResolutionError | undefined;

interface FileFlight {
  file: WorkflowFileResult;
  repo: RepoAnswer;
}

/** The reads in flight for one installation (its cache scope): files by `repo/path@ref`, repositories by key. */
export interface Flights {
  files: Map<string, Promise<FileFlight | undefined>>;
  repos: Map<string, Promise<RepoAnswer>>;
  /** The batch collecting own parts until its window closes; none when nothing waits to be sent. */
  batch?: Batch;
}

/** Own parts of concurrent levels of one scope, read together as one level when the window closes. */
interface Batch {
  /** The source of the level that opened the batch. */
  source: WorkflowSource;
  /** Each file once, in the order the members added them. */
  files: WorkflowFileRequest[];
  /** Where each file (by `fileKey`) sits in `files`. */
  fileIndex: Map<string, number>;
  /** Repositories asked for besides those of `files`, each once. */
  repos: RepoId[];
  /** Every repository the read covers (of `files` and `repos`), by key: what the size cap counts. */
  repoKeys: Set<string>;
  members: number;
  /** Settles once the read is answered (or fails), after its offers to other readers were withdrawn. */
  answer: Promise<LevelResult>;
  resolve: (result: LevelResult) => void;
  reject: (error: unknown) => void;
  /** Offers made to other readers, withdrawn when the read is answered. */
  registered: Registration[];
  /** Stops the window's timer (the batch is sent before its window closes). */
  cancelWindow: () => void;
  sent: boolean;
}

type Registration = [Map<string, Promise<unknown>>, string, Promise<unknown>];

export interface SingleFlightOptions {
  /**
   * How long an open batch waits for more levels before it is sent; 0: one `setImmediate` turn. Default 5 ms.
   * Evaluations of one installation seldom ask a level in the same event-loop turn: those that waited on the
   * same read (a burst joining `lib@v1`) resume together, but each then reads the cache (DynamoDB, a few ms,
   * with jitter) before asking its next level, so one turn would batch almost nothing. 5 ms covers that spread
   * and costs a level at most 5 ms against the 100 ms or more its GraphQL query takes (a 10-level graph: 50 ms).
   */
  batchWindowMs?: number;
  /** Files (and repositories) a batch holds at most: default one GraphQL level query's, `MAX_FILES_PER_QUERY`. */
  maxBatchSize?: number;
}

const DEFAULT_BATCH_WINDOW_MS = 5;

const byScope = new Map<string, Flights>();

/** The flights of a scope; a scope with nothing in flight holds no memory. */
function flightsOf(scope: string): Flights {
  let flights = byScope.get(scope);
  if (!flights) {
    flights = { files: new Map(), repos: new Map() };
    byScope.set(scope, flights);
  }
  return flights;
}

function fileKey(request: WorkflowFileRequest): string {
  const at = request.ref.kind === 'commit' ? request.ref.sha.toLowerCase() : `@${request.ref.name}`;
  return `${repoKey(request.repo)}/${request.path}@${at}`;
}

/** Reads in flight per scope, for tests and logs. */
export function flightsInProgress(scope: string): number {
  const flights = byScope.get(scope);
  return flights ? flights.files.size + flights.repos.size : 0;
}

/** Withdraws offers still standing and forgets a scope that has nothing in flight and nothing waiting. */
function withdraw(scope: string, flights: Flights, registered: Registration[]): void {
  for (const [map, key, value] of registered) if (map.get(key) === value) map.delete(key);
  if (flights.files.size === 0 && flights.repos.size === 0 && !flights.batch && byScope.get(scope) === flights) byScope.delete(scope);
}

/** Offers a read of `key` to concurrent readers, unless one is offered already. */
function offer<T>(registered: Registration[], map: Map<string, Promise<T>>, key: string, value: Promise<T>): void {
  if (map.has(key)) return;
  map.set(key, value);
  registered.push([map as Map<string, Promise<unknown>>, key, value]);
}

export class SingleFlightSource implements WorkflowSource {
  readonly fetchRefFacts?: WorkflowSource['fetchRefFacts'];
  private readonly batchWindowMs: number;
  private readonly maxBatchSize: number;

  constructor(
    private readonly source: WorkflowSource,
    /** The installation's cache scope: one installation never receives what another read. */
    private readonly scope: string,
    options: SingleFlightOptions = {},
  ) {
    if (source.fetchRefFacts) this.fetchRefFacts = (requests) => source.fetchRefFacts!(requests);
    this.batchWindowMs = Math.max(0, options.batchWindowMs ?? DEFAULT_BATCH_WINDOW_MS);
    this.maxBatchSize = Math.max(1, options.maxBatchSize ?? MAX_FILES_PER_QUERY);
  }

  get host(): string {
    return this.source.host;
  }

  fetchActionsAccess(...args: Parameters<WorkflowSource['fetchActionsAccess']>): ReturnType<WorkflowSource['fetchActionsAccess']> {
    return this.source.fetchActionsAccess(...args);
  }

  async fetchLevel(request: LevelRequest): Promise<LevelResult> {
    const flights = flightsOf(this.scope);
    const joinedFiles = new Map<number, Promise<FileFlight | undefined>>();
    const ownFiles: number[] = [];
    request.files.forEach((file, index) => {
      const flight = flights.files.get(fileKey(file));
      if (flight) joinedFiles.set(index, flight);
      else ownFiles.push(index);
    });
    const joinedRepos = new Map<string, Promise<RepoAnswer>>();
    const ownRepos = request.repos.filter((repo) => {
      const flight = flights.repos.get(repoKey(repo));
      if (flight) joinedRepos.set(repoKey(repo), flight);
      return !flight;
    });
    const own = this.readBatched(flights, { files: ownFiles.map((index) => request.files[index]!), repos: ownRepos });
    const [ownResult, joined, joinedRepoAnswers] = await Promise.all([
      own,
      Promise.all([...joinedFiles].map(async ([index, flight]) => [index, await flight] as const)),
      Promise.all([...joinedRepos].map(async ([key, flight]) => [key, await flight] as const)),
    ]);
    const files = new Array<WorkflowFileResult>(request.files.length);
    const repos = new Map(ownResult.repos);
    ownFiles.forEach((index, position) => {
      files[index] = ownResult.files[position]!;
    });
    // What a joined read did not answer (it failed as a whole) is read here after all.
    const retry: number[] = [];
    for (const [index, flight] of joined) {
      if (!flight) {
        retry.push(index);
        continue;
      }
      files[index] = flight.file;
      if (flight.repo !== undefined) repos.set(repoKey(request.files[index]!.repo), flight.repo);
    }
    const retryRepos: RepoId[] = [];
    for (const [key, answer] of joinedRepoAnswers) {
      if (answer !== undefined) repos.set(key, answer);
      else retryRepos.push(request.repos.find((repo) => repoKey(repo) === key)!);
    }
    if (retry.length > 0 || retryRepos.length > 0) {
      const late = await this.source.fetchLevel({ files: retry.map((index) => request.files[index]!), repos: retryRepos });
      retry.forEach((index, position) => {
        files[index] = late.files[position]!;
      });
      for (const [key, answer] of late.repos) repos.set(key, answer);
    }
    return { files, repos };
  }

  /**
   * Reads an own part in the scope's batch (see the header). Runs up to its first `await` at once, so the
   * part is offered to other readers before `fetchLevel` returns to the event loop.
   */
  private async readBatched(flights: Flights, request: LevelRequest): Promise<LevelResult> {
    if (request.files.length === 0 && request.repos.length === 0) return { files: [], repos: new Map() };
    const fileKeys = new Set(request.files.map(fileKey));
    const repoKeys = new Set([...request.files.map((file) => file.repo), ...request.repos].map(repoKey));
    if (fileKeys.size >= this.maxBatchSize || repoKeys.size >= this.maxBatchSize) return this.readShared(flights, request);
    let batch = flights.batch;
    if (batch && !this.fits(batch, fileKeys, repoKeys)) {
      this.send(flights, batch);
      batch = undefined;
    }
    batch ??= this.openBatch(flights);
    this.join(flights, batch, request);
    if (batch.files.length >= this.maxBatchSize || batch.repoKeys.size >= this.maxBatchSize) this.send(flights, batch);
    let result: LevelResult;
    try {
      result = await batch.answer;
    } catch (error) {
      // Alone, this part would have been read once and failed so: a batch of one fails as such.
      if (batch.members === 1) throw error;
      return this.readShared(flightsOf(this.scope), request);
    }
    const repos = new Map<string, RepoMetadata | ResolutionError>();
    for (const key of repoKeys) {
      const answer = result.repos.get(key);
      if (answer !== undefined) repos.set(key, answer);
    }
    return { files: request.files.map((file) => result.files[batch.fileIndex.get(fileKey(file))!]!), repos };
  }

  /** Whether a part adds few enough files and repositories for the batch to stay within one query. */
  private fits(batch: Batch, fileKeys: Set<string>, repoKeys: Set<string>): boolean {
    const newRepos = [...repoKeys].filter((key) => !batch.repoKeys.has(key)).length;
    return batch.files.length + fileKeys.size <= this.maxBatchSize && batch.repoKeys.size + newRepos <= this.maxBatchSize;
  }

  private openBatch(flights: Flights): Batch {
    let resolve!: (result: LevelResult) => void;
    let reject!: (error: unknown) => void;
    const answer = new Promise<LevelResult>((onAnswer, onFailure) => {
      resolve = onAnswer;
      reject = onFailure;
    });
    // Members and joiners each handle the failure; this keeps a batch nobody awaits any more from being unhandled.
    answer.catch(() => undefined);
    const batch: Batch = {
      source: this.source,
      files: [],
      fileIndex: new Map(),
      repos: [],
      repoKeys: new Set(),
      members: 0,
      answer,
      resolve,
      reject,
      registered: [],
      cancelWindow: () => undefined,
      sent: false,
    };
    const close = () => this.send(flights, batch);
    if (this.batchWindowMs === 0) {
      const immediate = setImmediate(close);
      batch.cancelWindow = () => clearImmediate(immediate);
    } else {
      const timer = setTimeout(close, this.batchWindowMs);
      batch.cancelWindow = () => clearTimeout(timer);
    }
    flights.batch = batch;
    return batch;
  }

  /** Adds a part to the batch and offers its files and repositories to other readers at once. */
  private join(flights: Flights, batch: Batch, request: LevelRequest): void {
    batch.members += 1;
    const answered = batch.answer.then(
      (result) => result,
      () => undefined,
    );
    for (const file of request.files) {
      const key = fileKey(file);
      if (batch.fileIndex.has(key)) continue;
      const position = batch.files.push(file) - 1;
      batch.fileIndex.set(key, position);
      const repo = repoKey(file.repo);
      batch.repoKeys.add(repo);
      offer(batch.registered, flights.files, key, answered.then((result) => (result ? { file: result.files[position]!, repo: result.repos.get(repo) } : undefined)));
    }
    for (const repo of request.repos) {
      const key = repoKey(repo);
      if (!batch.repos.some((other) => repoKey(other) === key)) batch.repos.push(repo);
      batch.repoKeys.add(key);
      offer(batch.registered, flights.repos, key, answered.then((result) => result?.repos.get(key)));
    }
  }

  /** Sends the batch as one level; its offers are withdrawn before its members and joiners see the answer. */
  private send(flights: Flights, batch: Batch): void {
    if (batch.sent) return;
    batch.sent = true;
    if (flights.batch === batch) flights.batch = undefined;
    batch.cancelWindow();
    let reading: Promise<LevelResult>;
    try {
      reading = batch.source.fetchLevel({ files: batch.files, repos: batch.repos });
    } catch (error) {
      reading = Promise.reject(error);
    }
    reading.then(
      (result) => {
        withdraw(this.scope, flights, batch.registered);
        batch.resolve(result);
      },
      (error: unknown) => {
        withdraw(this.scope, flights, batch.registered);
        batch.reject(error);
      },
    );
  }

  /** Reads a level at once and offers each of its files and repositories to concurrent readers until it is answered. */
  private async readShared(flights: Flights, request: LevelRequest): Promise<LevelResult> {
    if (request.files.length === 0 && request.repos.length === 0) return { files: [], repos: new Map() };
    const reading = this.source.fetchLevel(request);
    const answered = reading.then(
      (result) => result,
      () => undefined,
    );
    const registered: Registration[] = [];
    request.files.forEach((file, position) => {
      const key = repoKey(file.repo);
      offer(registered, flights.files, fileKey(file), answered.then((result) => (result ? { file: result.files[position]!, repo: result.repos.get(key) } : undefined)));
    });
    for (const repo of request.repos) offer(registered, flights.repos, repoKey(repo), answered.then((result) => result?.repos.get(repoKey(repo))));
    try {
      return await reading;
    } finally {
      withdraw(this.scope, flights, registered);
    }
  }
}
