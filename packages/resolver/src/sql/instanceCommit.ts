import { keptKey } from '../installation';
import type { InboxEntry, StoragePort } from '../storage/port';
import type { SqlInstance } from './instance';
import { PENDING_ROWS, pendingLine } from './pending';
import { SqlLostRaceError, type SqlDoc } from './sqlDocStore';
import { dropEntries, entryText, splitKey } from './sqlInbox';
import { writeSqlDoc } from './writeSqlDoc';

/** The line that leaves `entry` on the row that won, when it is small enough to wait there. */
const postLine = (entry: InboxEntry | undefined) => {
  const text = entry && entryText(entry);
  return text === undefined ? undefined : pendingLine(splitKey(entry!.key)[1], entry!.expires ?? 0, text);
};

/**
 * The port's `commit` on a `sqlStorage()` instance (see `writeSqlDoc`): its batch posted by the same
 * statement where that pays, and what it left, carried or applied kept track of.
 */
export function createInstanceCommit({ warm, guesses, now, withTables, inTable, postedOnRow, postedRows, knownWaiting, remember }: SqlInstance): StoragePort<SqlDoc>['commit'] {
  return async (key, previous, next, note) => {
    // A commit on a plain guess posts nothing: a guess that was behind reads and tries again at once.
    // Nor does one whose batch already waits on one of the latest rows.
    const onRow = note.post && postedRows.get(note.post.key);
    const waitsOnRow = onRow !== undefined && next.revision - onRow < PENDING_ROWS - 2;
    // A blind guess posts (that is its point): under contention, one request stores or posts the batch.
    const plainGuess = guesses.isTaken(key, previous) && !guesses.isBlind(key, previous);
    const post = plainGuess || waitsOnRow ? undefined : postLine(note.post);
    try {
      await withTables(() => writeSqlDoc(key, previous, next, warm, now(), post, note.publishedAt));
    } catch (error) {
      if (error instanceof SqlLostRaceError && error.posted && note.post) {
        postedOnRow.add(note.post.key);
        remember(key, [...(knownWaiting.get(keptKey(key)) ?? []).filter((e) => e.key !== note.post!.key), note.post]);
        if (postedRows.size > 256) postedRows.clear();
        postedRows.set(note.post.key, next.revision);
      }
      throw error;
    }
    guesses.stored(key, previous);
    // What it carried waits no more.
    const carried = new Set(note.applied);
    remember(key, (knownWaiting.get(keptKey(key)) ?? []).filter((e) => !carried.has(e.key)));
    // Stored: the inbox-table entries it applied go, in one statement (best effort: they expire anyway).
    const known = inTable.get(keptKey(key));
    const applied = note.applied.filter((entry) => !known || known.has(entry));
    return (await dropEntries(key, applied)) ? [] : applied;
  };
}
