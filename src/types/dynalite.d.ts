// dynalite ships no type definitions; this covers the part of its API the project uses.
declare module 'dynalite' {
  import type { Server } from 'node:http';

  interface DynaliteOptions {
    /** LevelDB directory; in memory when omitted. */
    path?: string;
    /** How long a table stays CREATING / DELETING / UPDATING (500 ms by default). */
    createTableMs?: number;
    deleteTableMs?: number;
    updateTableMs?: number;
    maxItemSizeKb?: number;
  }

  /** An http.Server whose close() also closes the store. */
  function dynalite(options?: DynaliteOptions): Server;

  export = dynalite;
}
