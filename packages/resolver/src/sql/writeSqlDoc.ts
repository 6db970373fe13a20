import { randomBytes } from 'node:crypto';
import type { DurableDoc } from '@bgstore/core/durable';
import { SyncError } from '@bgstore/protocol';
import { clientTexts, makeEntry, type LogEntry } from '../kvs/docLog';
import { encodeText, storedBytes, utf8 } from '../kvs/pieces';
import { write } from './client';
import { insertRow } from './insertRow';
import { snapshotBody, writePieces } from './snapshot';
import { keepChanges, type SqlLogEntry } from './sqlChanges';
import type { SqlDoc, WarmSqlDocs } from './sqlDocStore';

// Storing documents in Forge SQL (see sqlDocStore.ts): the next revision's log row (a change, or a
// new snapshot), then the garbage a new snapshot made deleted.

/** A document this size (JSON of state and client table) or more is refused: `bgstore.load` must answer within invoke's 5 MB. */
export const MAX_DOC_BYTES = 4_000_000;
/** A log row's body at most (a request is at most 1 MiB). */
const MAX_ROW_BYTES = 800_000;
/** The log is folded into a new snapshot when it outgrows this share of the snapshot, and this floor… */
const LOG_SHARE = 0.2;
const LOG_FLOOR = 65_536;
/** …or has this many rows. */
const MAX_ENTRIES = 1024;

/** The log row taking `previous` to `next` (marked published at `publishedAt`, when it is), when the log has room for it. */
function entryFor(previous: SqlDoc | undefined, next: DurableDoc<unknown>, publishedAt: number | undefined): { entry: LogEntry; body: string; bytes: number; size: number } | undefined {
  if (!previous || previous.doc.schemaVersion !== next.schemaVersion) return undefined;
  const texts = (previous.clientTexts ??= clientTexts(previous.doc.clients));
  const made = makeEntry(next.revision, previous.doc, next, texts);
  const entry: SqlLogEntry = publishedAt === undefined ? made.entry : { ...made.entry, u: [next.revision, publishedAt] };
  const text = JSON.stringify(entry);
  const bytes = storedBytes(text);
  const size = previous.size + made.growth;
  // The log stays under a fifth of the snapshot, and snapshot and log under 1.2× the document (a
  // shrunk document gets a new, smaller snapshot, and the old one becomes garbage).
  const room = Math.max(LOG_FLOOR, LOG_SHARE * previous.base.bytes);
  const stored = previous.base.bytes + previous.log.bytes + bytes;
  const fits = bytes <= MAX_ROW_BYTES && previous.log.bytes + bytes <= room && stored <= Math.max(LOG_FLOOR, (1 + LOG_SHARE) * size) && previous.log.entries < MAX_ENTRIES && size < MAX_DOC_BYTES;
  return fits ? { entry, body: encodeText(text), bytes: utf8(encodeText(text)), size } : undefined;
}

/** Deletes what the snapshot before `previous`'s made garbage: older rows, and pieces of neither of the last two snapshots. */
async function collect(key: string, previous: SqlDoc, snapshot: { revision: number; snap: string | null }, now: number): Promise<void> {
  const quiet = () => undefined;
  await write('DELETE FROM bgstore_log WHERE doc_key = ? AND revision < ?', key, previous.base.revision).catch(quiet);
  // Inbox entries past their time (their posters answered long ago; nothing applies them).
  await write('DELETE FROM bgstore_inbox WHERE doc_key = ? AND expires > 0 AND expires < ?', key, now).catch(quiet);
  // Pieces tagged with a revision up to the new snapshot's belong to it, to the one before, or to a
  // commit that lost its race (its revision is taken): only the first two are kept.
  if (previous.base.snap !== null || previous.base.older || snapshot.snap !== null) {
    await write(
      'DELETE FROM bgstore_piece WHERE doc_key = ? AND revision <= ? AND NOT (revision = ? AND snap = ?) AND NOT (revision = ? AND snap = ?)',
      key, snapshot.revision, snapshot.revision, snapshot.snap ?? '', previous.base.revision, previous.base.snap ?? '',
    ).catch(quiet);
  }
}

/**
 * Stores `next` as the revision after `previous` (or as the first): a log row with the change, or a
 * new snapshot when the log has grown enough, the schema changed, or the document is new. With
 * `publishedAt`, the row records that this commit is published on Realtime then; a snapshot's row
 * records the last publish before it too (the rows that did are collected).
 * @throws SqlLostRaceError when another commit took the revision; SyncError `TOO_LARGE` (nothing
 *   stored) when the document is too large
 */
export async function writeSqlDoc(key: string, previous: SqlDoc | undefined, next: DurableDoc<unknown>, warm: WarmSqlDocs, now: number, post?: string, publishedAt?: number): Promise<void> {
  const published = publishedAt === undefined ? previous?.published : { revision: next.revision, at: publishedAt };
  const entry = entryFor(previous, next, publishedAt);
  if (entry && previous) {
    await insertRow(key, next, 'e', entry.size, entry.body, post);
    const changes = keepChanges(previous.changes, previous.doc.revision, [{ entry: entry.entry, chars: entry.body.length }]);
    warm.set(key, { doc: next, base: previous.base, log: { bytes: previous.log.bytes + entry.bytes, entries: previous.log.entries + 1 }, size: entry.size, changes, ...(published ? { published } : {}) });
    return;
  }
  const text = JSON.stringify({ s: next.state, c: next.clients });
  const size = utf8(text);
  if (size >= MAX_DOC_BYTES) {
    throw new SyncError('TOO_LARGE', `[bgstore] the document would be ${size} bytes; at most ${MAX_DOC_BYTES - 1} can be stored (bgstore.load answers within invoke's 5 MB). Nothing was written: keep less in this store, or split it`);
  }
  const inline = storedBytes(text) <= MAX_ROW_BYTES;
  const snap = inline ? null : randomBytes(12).toString('base64url');
  const pieces = snap ? await writePieces(key, next.revision, snap, text) : 0;
  const older = previous?.base.snap != null;
  await insertRow(key, next, 's', size, encodeText(snapshotBody(inline ? text : undefined, snap, pieces, older, published)), post);
  const base = { revision: next.revision, snap, bytes: size, older };
  warm.set(key, { doc: next, base, log: { bytes: 0, entries: 0 }, size, changes: keepChanges(undefined, next.revision, []), ...(published ? { published } : {}) });
  if (previous) await collect(key, previous, base, now);
}
