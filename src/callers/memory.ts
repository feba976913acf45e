// The reverse index in memory: the command line's (an index built by scanning repositories) and the tests'.
import { repoKey, type RepoId } from '../graph/types.js';
import type { BackfillCursor, Callee, CallerIndex, CallerRecord, RecordSource } from './port.js';

export class MemoryCallerIndex implements CallerIndex {
  /** By scope, caller repository and source: what one source wrote, replaced as a whole. */
  private readonly written = new Map<string, CallerRecord[]>();
  private readonly cursors = new Map<string, BackfillCursor>();

  async replace(scope: string, repo: RepoId, source: RecordSource, records: CallerRecord[]): Promise<void> {
    this.written.set(`${scope}\u0000${repoKey(repo)}\u0000${source}`, [...records]);
  }

  async callersOf(scope: string, callee: Callee): Promise<CallerRecord[]> {
    return this.all(scope).filter((record) => record.callee.kind === callee.kind && repoKey(record.callee.repo) === repoKey(callee.repo) && record.callee.path === callee.path);
  }

  async callersOfRepository(scope: string, repo: RepoId): Promise<CallerRecord[]> {
    return this.all(scope).filter((record) => repoKey(record.callee.repo) === repoKey(repo));
  }

  async readCursor(scope: string): Promise<BackfillCursor | undefined> {
    return this.cursors.get(scope);
  }

  async writeCursor(scope: string, cursor: BackfillCursor): Promise<void> {
    this.cursors.set(scope, cursor);
  }

  private all(scope: string): CallerRecord[] {
    return [...this.written].filter(([key]) => key.startsWith(`${scope}\u0000`)).flatMap(([, records]) => records);
  }
}
