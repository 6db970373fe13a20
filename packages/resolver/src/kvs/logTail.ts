import { parseEntry, type ReadCache } from './readCache';
import { utf8 } from './pieces';

// The head carries the latest log entries (`l`, stored values as the entry keys hold them) while
// they fit the head's one read unit and the commit's one write unit. Every read reads the head
// anyway, so an instance a few commits behind — a warm one after another instance's commit, a page
// asking for the changes since its revision, a commit that lost a race — finds what it lacks there
// and reads nothing more; and a cold read asks the batch only for the entries older than the tail.
// The entries are still written under their own keys (a reader further behind, and readers of the
// previous release, read them there), so the tail costs no write unit and no layout change.

/** The head's `data` stays under this many bytes as sent (escaped in the entity): one 10 KB read unit with the entity's other fields. */
const HEAD_BYTES = 7168;
/**
 * A log commit's entry and head stay under this many bytes: one 10 KB write unit with the request's
 * framing and the garbage and inbox keys the transaction deletes with the room it has (23 keys).
 */
const COMMIT_BYTES = 7168;

/** Bytes a value takes inside the head's `data` as sent: JSON text inside a JSON string. */
const sentBytes = (value: unknown) => utf8(JSON.stringify(JSON.stringify(value)));

/**
 * The tail of the head written with a new log entry (`value`, as stored under its key): the
 * previous head's tail and `value`, the newest that fit beside the head's other fields (`rest`,
 * about as the new head will have them) and the entry. Empty when the entry alone leaves no room.
 */
export function nextTail(previous: readonly string[] | undefined, value: string, rest: object): string[] {
  const used = sentBytes(rest);
  let room = Math.min(HEAD_BYTES - used, COMMIT_BYTES - used - utf8(JSON.stringify(value)));
  const tail: string[] = [];
  for (const v of [value, ...[...(previous ?? [])].reverse()]) {
    room -= sentBytes(v) - 1; // its text escaped, less the string's outer quotes, plus a comma
    if (room < 0) break;
    tail.unshift(v);
  }
  return tail;
}

/**
 * Puts the entries of `revisions` that the head's tail holds (`l`, the last of them at `revision`,
 * none at or before the snapshot `b`) into the cache, checked like entries read from their keys.
 * @throws SyncError `STORAGE_FAILED` when one is damaged
 */
export function takeTail(key: string, data: { b: number; l?: string[] }, revision: number, cache: ReadCache, revisions: readonly number[]): void {
  const tail = data.l ?? [];
  const first = revision - tail.length + 1;
  for (const r of revisions) {
    if (r < first || r > revision || r <= data.b || cache.entries.has(r)) continue;
    cache.entries.set(r, parseEntry(key, tail[r - first], r));
  }
}
