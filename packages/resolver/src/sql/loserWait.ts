import { createClientTable } from '@bgstore/core/durable';
import { isSyncError } from '@bgstore/protocol';
import { keptKey } from '../installation';
import type { InboxEntry } from '../storage/port';
import type { SqlDoc } from './sqlDocStore';

// A commit whose INSERT lost and left its batch on the row that won waits for others to carry it,
// rather than racing again (each try is a read and an INSERT, most of which lose again under
// contention; see `INSERT_OR_POST` in sqlDocStore.ts). It reads once it has waited; while the reads
// show others committing without its batch yet (they read before it was left there), it waits
// again: the batch still waits on one of the latest rows, and the next commit carries it. It
// commits its own batch (its reads here skip what others left) when nobody committed since its last
// look, when its batch is about to leave the rows a read sends, or after a few rounds. A read refused by the
// installation's quota (429) is waited out, not answered: the batch is already stored for the
// next commit, and a page sending it again would cost more requests than one more read.

/** Rounds of waiting and reading at most, before the commit goes on as any other. */
const MAX_ROUNDS = 4;

/**
 * One read of the document after `previous`; `quiet`: only the document, without what waits for a
 * commit (a waiting loser's reads: the batches others left are many under many writers, and it
 * needs only to see whether its own was carried — then it answers; if not, it commits its own alone).
 */
export type ReadOnce = (previous: SqlDoc | undefined, quiet: boolean) => Promise<SqlDoc | undefined>;

/** See the comment above. */
export interface LoserWait {
  /** A commit of `key` lost: revision `row` was taken, and `entry` left on that row. */
  posted(key: string, entry: InboxEntry, row: number): void;
  /**
   * Reads `key` with `readOnce` — after waiting for others to carry this instance's batch when one
   * of its commits just left it (see above), else at once. `carried`: the batch is stored by
   * another commit, so this one has nothing to do (it leaves others' waiting batches to others).
   */
  read(key: string, previous: SqlDoc | undefined, readOnce: ReadOnce): Promise<{ doc: SqlDoc | undefined; carried: boolean }>;
}

/** Whether every intent of `entry` is in the document's client table: a commit carried it. */
function carried(doc: SqlDoc, entry: InboxEntry): boolean {
  const table = createClientTable(doc.doc.clients as never);
  return entry.intents.every((i) => table.lookup(i.clientId, i.seq) !== undefined);
}

/**
 * Creates the wait. `waitMs` is a round's wait (about one commit of someone else: a read and an
 * INSERT); `rowsSent` how many of the latest rows a read sends waiting batches of.
 */
export function createLoserWait(sleep: (ms: number) => Promise<void>, waitMs: number, rowsSent: number): LoserWait {
  const waiting = new Map<string, { entry: InboxEntry; row: number }>();
  return {
    posted(key, entry, row) {
      if (waiting.size > 64) waiting.clear();
      waiting.set(keptKey(key), { entry, row });
    },
    async read(key, previous, readOnce) {
      const mine = waiting.get(keptKey(key));
      waiting.delete(keptKey(key));
      if (!mine) return { doc: await readOnce(previous, false), carried: false };
      let from = previous;
      // The latest revision known: none committed since this one means nobody else is committing.
      let known = mine.row;
      for (let round = 1; ; round++) {
        await sleep(waitMs);
        let doc: SqlDoc | undefined;
        try {
          doc = await readOnce(from, true);
        } catch (error) {
          if (round < MAX_ROUNDS && isSyncError(error) && error.code === 'RATE_LIMITED') continue;
          throw error;
        }
        const revision = doc?.doc.revision ?? 0;
        const leaving = revision - mine.row >= rowsSent - 2;
        if (doc && carried(doc, mine.entry)) return { doc, carried: true };
        if (!doc || round >= MAX_ROUNDS || revision <= known || leaving) return { doc, carried: false };
        known = revision;
        from = doc;
      }
    },
  };
}
