import { keptKey } from '../installation';
import type { StoragePort } from '../storage/port';
import type { SqlInstance, Waiting } from './instance';
import { pendingRows } from './pending';
import { readSqlDoc, type InboxSink } from './readSqlDoc';
import type { SqlDoc } from './sqlDocStore';

/**
 * The port's `read` on a `sqlStorage()` instance (see `readSqlDoc`): it hands what it found waiting,
 * in the same answer, to the inbox read that goes with it, and tells the guesses what it saw.
 */
export function createInstanceRead({ warm, guesses, now, withTables, alongside }: SqlInstance): StoragePort<SqlDoc>['read'] {
  return async (key: string, previous: SqlDoc | undefined) => {
    let done!: (waiting: Waiting | undefined) => void;
    // (Set before any wait: the inbox read that goes with this read may start at once.)
    alongside.set(keptKey(key), new Promise<Waiting | undefined>((resolve) => (done = resolve)));
    // What the last read found waiting, in its own answer.
    const last: { seen?: Parameters<InboxSink>[0] } = {};
    const readOnce = async (from: SqlDoc | undefined) => {
      const prior = from ?? warm.get(key);
      const doc = await withTables(() => readSqlDoc(key, from, warm, (rows) => (last.seen = rows)));
      const seen = last.seen as Parameters<InboxSink>[0];
      guesses.read(key, prior, doc, seen && (seen.pending ? [...seen.rows, ...pendingRows(seen.pending)] : seen.rows));
      // Batches waiting: others write it (the next commits here guess blind, see guesses.ts).
      if (seen && (seen.pending || seen.rows.length > 0)) guesses.contended(key, now());
      return doc;
    };
    try {
      const doc = await readOnce(previous);
      done(last.seen && { ...last.seen, doc });
      return doc;
    } finally {
      done(undefined);
    }
  };
}
