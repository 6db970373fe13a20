import type { DurableDoc } from '@bgstore/core/durable';
import type { DocRead } from '../storage/port';
import type { KeptChanges, Published } from './sqlChanges';

// Documents in Forge SQL (PROTOCOL.md, "Forge SQL layout"): one `bgstore_log` row per revision,
// keyed (document, revision) — a snapshot of the whole document, or the change since the row before.
// A commit is one INSERT of the next revision's row: whoever inserts revision r+1 first wins, every
// other gets a duplicate key and retries (a lost race). Correctness rests on that single statement;
// snapshot pieces are written before it and garbage is deleted after it, each statement on its own.
// Reading is readSqlDoc.ts; storing, writeSqlDoc.ts (its one statement, insertRow.ts); the batches
// that wait on log rows, pending.ts. Here: what they share.

/** A read document and how it is stored (for the next write and the next read). */
export interface SqlDoc extends DocRead {
  doc: DurableDoc<unknown>;
  /**
   * @internal the snapshot it was replayed from: its revision, pieces id (null: inline), bytes, and
   * whether the snapshot before it had pieces (kept for readers until the next snapshot deletes them)
   */
  base: { revision: number; snap: string | null; bytes: number; older: boolean };
  /** @internal bytes and count of the log rows after the snapshot */
  log: { bytes: number; entries: number };
  /** @internal about how many bytes the document (state and client table) has */
  size: number;
  /** @internal */
  clientTexts?: Map<string, string>;
  /** @internal the latest rows' entries, for the changes since a revision (see sqlChanges.ts) */
  changes?: KeptChanges;
  /** @internal the last Realtime publish the rows read record */
  published?: Published;
}

/** Thrown when other commits got there first: the revision was taken, or a read kept missing what they replaced. */
export class SqlLostRaceError extends Error {
  readonly code = 'DOC_CHANGED';
  /** @param posted the commit's own batch was left on the row that won, for the next commit (see `writeSqlDoc`'s `post`) */
  constructor(message: string, readonly posted = false) {
    super(message);
    this.name = 'SqlLostRaceError';
  }
}

/** Documents read on this function instance: a later read asks only for the rows after them. */
export interface WarmSqlDocs {
  get(key: string): SqlDoc | undefined;
  set(key: string, doc: SqlDoc): void;
}

/** Keeps the last `max` documents read or written (0: none). */
export function createWarmSqlDocs(max: number): WarmSqlDocs {
  const docs = new Map<string, SqlDoc>();
  return {
    get: (key) => docs.get(key),
    set(key, doc) {
      if (max <= 0) return;
      docs.delete(key);
      docs.set(key, doc);
      if (docs.size > max) docs.delete(docs.keys().next().value!);
    },
  };
}
