import { createClientTable } from '@bgstore/core/durable';
import { keptKey } from '../installation';
import type { Inbox } from '../storage/port';
import { carriedAtMost, type SqlInstance } from './instance';
import { pendingRows } from './pending';
import { INBOX_READ_LIMIT } from './readSqlDoc';
import { parseInboxRows, splitKey } from './sqlInbox';

/**
 * The port's inbox on a `sqlStorage()` instance: the inbox table's, with the batches waiting on the
 * latest log rows, and requests spared where this instance knows the answer.
 */
export function createInstanceInbox({ inbox, warm, guesses, now, withTables, alongside, inTable, postedOnRow, rowEntries, knownWaiting, remember }: SqlInstance): Inbox {
  return {
    ...inbox,
    async post(entry) {
      // Lost a race: others write this document, plain guesses would lose too (blind ones post).
      guesses.lost(splitKey(entry.key)[0]);
      guesses.contended(splitKey(entry.key)[0], now());
      // Left on the row that won by the commit's own statement: posted.
      if (postedOnRow.delete(entry.key)) {
        if (rowEntries.size > 256) rowEntries.clear();
        rowEntries.add(entry.key);
        return true;
      }
      // Known here as waiting from the start (a commit on this instance meanwhile carries it), and
      // as in the table for the commit that applies it to delete it.
      const docKey = splitKey(entry.key)[0];
      const others = (knownWaiting.get(keptKey(docKey)) ?? []).filter((e) => e.key !== entry.key);
      remember(docKey, [...others, entry]);
      inTable.get(keptKey(docKey))?.add(entry.key);
      const posted = await withTables(() => inbox.post(entry)).catch((error: unknown) => {
        remember(docKey, others);
        throw error;
      });
      if (!posted) remember(docKey, others);
      return posted;
    },
    async read(key, at) {
      const shared = alongside.get(keptKey(key));
      alongside.delete(keptKey(key));
      const seen = shared && (await shared);
      if (!seen) {
        inTable.delete(keptKey(key));
        return inbox.read(key, at);
      }
      // A whole read of the table tells which of its entries are still there.
      if (inTable.size > 64) inTable.clear();
      const table = parseInboxRows(key, seen.rows, at);
      if (seen.rows.length < INBOX_READ_LIMIT) inTable.set(keptKey(key), new Set(table.map((e) => e.key)));
      else inTable.delete(keptKey(key));
      // Then the batches waiting on the latest rows, longest-waiting first, but those already
      // stored (carried by an earlier commit: the client table has all their intents).
      const stored = seen.doc ? createClientTable(seen.doc.doc.clients as never) : undefined;
      const onRows = parseInboxRows(key, pendingRows(seen.pending), at).filter((e) => !table.some((t) => t.key === e.key) && !(stored && e.intents.every((i) => stored.lookup(i.clientId, i.seq))));
      return carriedAtMost([...table, ...onRows]);
    },
    known(key, at) {
      // Those not expired and not stored in the copy a guess commits on (the client table has their intents).
      const warmDoc = warm.get(key);
      const stored = warmDoc ? createClientTable(warmDoc.doc.clients as never) : undefined;
      return (knownWaiting.get(keptKey(key)) ?? []).filter((e) => (e.expires ?? Infinity) > at && !(stored && e.intents.every((i) => stored.lookup(i.clientId, i.seq))));
    },
    async drop(entryKey) {
      // Only an entry of the inbox table that the last whole read of it still had costs a request.
      if (rowEntries.delete(entryKey)) return;
      const known = inTable.get(keptKey(splitKey(entryKey)[0]));
      if (known && !known.has(entryKey)) return;
      await inbox.drop(entryKey);
    },
  };
}
