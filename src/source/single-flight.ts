// Single flight: concurrent evaluations of one installation that need the same file at the same ref (a burst of
// pull requests calling `acme/shared/...@v1`) share one request for it instead of each asking GitHub. A level is
// split into what another evaluation is already reading (joined) and the rest (read here, in one request as
// before, and offered to the others while in flight). Nothing is kept once answered: remembering is the cache's.
import { repoKey, type RepoId, type RepoMetadata, type ResolutionError } from '../graph/types.js';
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
}

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

export class SingleFlightSource implements WorkflowSource {
  readonly fetchRefFacts?: WorkflowSource['fetchRefFacts'];

  constructor(
    private readonly source: WorkflowSource,
    /** The installation's cache scope: one installation never receives what another read. */
    private readonly scope: string,
  ) {
    if (source.fetchRefFacts) this.fetchRefFacts = (requests) => source.fetchRefFacts!(requests);
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
    const own = this.readShared(flights, { files: ownFiles.map((index) => request.files[index]!), repos: ownRepos });
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

  /** Reads a level and offers each of its files and repositories to concurrent readers until it is answered. */
  private async readShared(flights: Flights, request: LevelRequest): Promise<LevelResult> {
    if (request.files.length === 0 && request.repos.length === 0) return { files: [], repos: new Map() };
    const reading = this.source.fetchLevel(request);
    const answered = reading.then(
      (result) => result,
      () => undefined,
    );
    const registered: [Map<string, Promise<unknown>>, string, Promise<unknown>][] = [];
    const offer = <T>(map: Map<string, Promise<T>>, key: string, value: Promise<T>) => {
      if (map.has(key)) return;
      map.set(key, value);
      registered.push([map as Map<string, Promise<unknown>>, key, value]);
    };
    request.files.forEach((file, position) => {
      const key = repoKey(file.repo);
      offer(flights.files, fileKey(file), answered.then((result) => (result ? { file: result.files[position]!, repo: result.repos.get(key) } : undefined)));
    });
    for (const repo of request.repos) offer(flights.repos, repoKey(repo), answered.then((result) => result?.repos.get(repoKey(repo))));
    try {
      return await reading;
    } finally {
      for (const [map, key, value] of registered) if (map.get(key) === value) map.delete(key);
      if (flights.files.size === 0 && flights.repos.size === 0 && byScope.get(this.scope) === flights) byScope.delete(this.scope);
    }
  }
}
