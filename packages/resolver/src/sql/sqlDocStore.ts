import { randomBytes } from 'node:crypto';
import type { DurableDoc } from '@bgstore/core/durable';
import { SyncError } from '@bgstore/protocol';
import type { DocRead } from '../storage/port';
import { clientTexts, makeEntry, replayEntries, type LogEntry } from '../kvs/docLog';
import { decodeText, encodeText, storedBytes, utf8 } from '../kvs/pieces';
import { isDeadlock, isDuplicateKey, isSqlRateLimited, select, write, type Row } from './client';
import { readSnapshot, snapshotBody, writePieces, type SnapshotBody } from './snapshot';
import { keepChanges, laterPublished, publishedOf, type KeptChanges, type Published, type SqlLogEntry } from './sqlChanges';

// Documents in Forge SQL (PROTOCOL.md, "Forge SQL layout"): one `bgstore_log` row per revision,
// keyed (document, revision) — a snapshot of the whole document, or the change since the row before.
// A commit is one INSERT of the next revision's row: whoever inserts revision r+1 first wins, every
// other gets a duplicate key and retries (a lost race). Correctness rests on that single statement;
// snapshot pieces are written before it and garbage is deleted after it, each statement on its own.

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

/** A document this size (JSON of state and client table) or more is refused: `bgstore.load` must answer within invoke's 5 MB. */
export const MAX_DOC_BYTES = 4_000_000;
/** A log row's body at most (a request is at most 1 MiB). */
const MAX_ROW_BYTES = 800_000;
/** The log is folded into a new snapshot when it outgrows this share of the snapshot, and this floor… */
const LOG_SHARE = 0.2;
const LOG_FLOOR = 65_536;
/** …or has this many rows. */
const MAX_ENTRIES = 1024;
const READ_ATTEMPTS = 5;
/** At most this many inbox entries are read (and applied) by one commit. */
export const INBOX_READ_LIMIT = 21;

/** Thrown when other commits got there first: the revision was taken, or a read kept missing what they replaced. */
export class SqlLostRaceError extends Error {
  readonly code = 'DOC_CHANGED';
  /** @param posted the commit's own batch was left on the row that won, for the next commit (see `writeSqlDoc`'s `post`) */
  constructor(message: string, readonly posted = false) {
    super(message);
    this.name = 'SqlLostRaceError';
  }
}

/**
 * Batches wait on the row whose revision their commit lost to (see `INSERT_OR_POST`), and count
 * while that row is one of the latest few: a commit that read the row before the batch was left
 * there may take the next revision without it, so the commit after still sees it. Older rows'
 * batches are not sent (their posters, still waiting, find them not applied and commit them).
 */
export const PENDING_ROWS = 8;
const LATEST = `(SELECT MAX(revision) FROM bgstore_log WHERE doc_key = ?)`;
const PENDING = `IF(revision > ${LATEST} - ${PENDING_ROWS}, pending, NULL) AS pending`;
const FROM_SNAPSHOT = `SELECT revision, schema_version, kind, size, body, ${PENDING}, '' AS entry FROM bgstore_log WHERE doc_key = ? AND revision >= (SELECT COALESCE(MAX(revision), 0) FROM bgstore_log WHERE doc_key = ? AND kind = 's')`;
/** The rows after the one already read, and the few before it for their waiting batches only (bodies not sent again). */
const SINCE = `SELECT revision, schema_version, kind, size, IF(revision > ?, body, '') AS body, ${PENDING}, '' AS entry FROM bgstore_log WHERE doc_key = ? AND revision > ?`;
/** Only the rows after the one already read, nothing that waits (a read without a sink). */
const ONLY_SINCE = `SELECT revision, schema_version, kind, size, body FROM bgstore_log WHERE doc_key = ? AND revision > ?`;
/** The document's inbox in the same answer (kind 'i'), so a commit's read is one request. */
const WITH_INBOX = ` UNION ALL (SELECT 0, 0, 'i', expires, body, NULL, entry FROM bgstore_inbox WHERE doc_key = ? ORDER BY entry LIMIT ${INBOX_READ_LIMIT})`;

const rethrowRateLimit = (error: unknown): undefined => {
  if (isSqlRateLimited(error)) throw error;
  return undefined;
};

/**
 * Where a read hands what waits for the next commit, read in the same answer: the inbox table's rows
 * and the latest rows' waiting batches (`pending`, in revision order; null when none); undefined when it read none.
 */
export type InboxSink = (waiting: { rows: Row[]; pending: string | null } | undefined) => void;

/**
 * The log rows from the latest snapshot on (or after `since`), in one statement — so they are of one
 * moment — in revision order; with `sink`, the inbox's rows in the same answer, handed to it.
 */
async function readRows(key: string, since: number | undefined, sink: InboxSink | undefined): Promise<Row[]> {
  // (From the rows before `since` that may be among the latest few: a plain range the index serves.)
  const [query, params] = since === undefined ? [FROM_SNAPSHOT, [key, key, key]] : sink ? [SINCE, [since, key, key, since - PENDING_ROWS]] : [ONLY_SINCE, [key, since]];
  const rows = sink ? await select(query + WITH_INBOX, ...params, key) : await select(query, ...params);
  const log = rows.filter((row) => row.kind !== 'i').sort((a, b) => Number(a.revision) - Number(b.revision));
  const pending = log.map((row) => (row.pending == null ? '' : String(row.pending))).join('');
  sink?.({ rows: rows.filter((row) => row.kind === 'i').sort((a, b) => (String(a.entry) < String(b.entry) ? -1 : 1)), pending: pending || null });
  // Rows up to the one read on before are sent only for their waiting batches.
  return since === undefined ? log : log.filter((row) => Number(row.revision) > since);
}

/**
 * The document the rows make, from `prior` when they continue it; 'missing' when they do not fit
 * together (a snapshot's pieces gone, a gap): commits replaced what was read, read again.
 */
async function build(key: string, rows: Row[], prior: SqlDoc | undefined): Promise<SqlDoc | 'missing' | undefined> {
  if (rows.length === 0) return prior;
  const start = rows.map((r) => r.kind).lastIndexOf('s');
  let from: { revision: number; state: unknown; clients: Record<string, unknown>; base: SqlDoc['base']; log: SqlDoc['log']; changes?: KeptChanges; published?: Published };
  if (start >= 0) {
    const row = rows[start]!;
    const body = JSON.parse(decodeText(String(row.body))) as SnapshotBody;
    const snapshot = await readSnapshot(key, Number(row.revision), body);
    if (!snapshot) return 'missing';
    const revision = Number(row.revision);
    from = { revision, state: snapshot.s, clients: snapshot.c, base: { revision, snap: body.k ?? null, bytes: Number(row.size), older: body.o === 1 }, log: { bytes: 0, entries: 0 }, published: publishedOf(body.u) };
  } else {
    if (!prior) return 'missing';
    from = { revision: prior.doc.revision, state: prior.doc.state, clients: prior.doc.clients, base: prior.base, log: prior.log, changes: prior.changes, published: prior.published };
  }
  const after = rows.slice(start + 1);
  if (after.some((row, i) => Number(row.revision) !== from.revision + i + 1)) return 'missing';
  const entries = after.map((row) => JSON.parse(decodeText(String(row.body))) as SqlLogEntry);
  const { state, clients } = replayEntries(from.state, from.clients, entries);
  const changes = keepChanges(from.changes, from.revision, entries.map((entry, i) => ({ entry, chars: String(after[i]!.body).length })));
  const published = entries.reduce((p, entry) => laterPublished(p, publishedOf(entry.u)), from.published);
  const last = rows[rows.length - 1]!;
  const bytes = after.reduce((n, row) => n + utf8(String(row.body)), from.log.bytes);
  const doc = { revision: Number(last.revision), schemaVersion: Number(last.schema_version), state, clients } as DurableDoc<unknown>;
  return { doc, base: from.base, log: { bytes, entries: from.log.entries + after.length }, size: Number(last.size), changes, ...(published ? { published } : {}) };
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

/**
 * Reads a document: the rows from its latest snapshot on, in one statement, then the snapshot's
 * pieces if it has any; from `previous` (or what this instance knows) only the rows after it.
 * @throws SqlLostRaceError when commits kept replacing what it read
 */
export async function readSqlDoc(key: string, previous: SqlDoc | undefined, warm: WarmSqlDocs, sink?: InboxSink): Promise<SqlDoc | undefined> {
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    const prior = attempt === 0 ? (previous ?? warm.get(key)) : undefined;
    // Only the first query carries the inbox; one that fails (its answer too large) reads without.
    const first = attempt === 0 ? sink : undefined;
    // Far behind, the rows after it can be more than one answer holds: read from the snapshot then.
    // (A 429 is not a too-large answer: reading more would be refused too.)
    const since = prior ? await readRows(key, prior.doc.revision, first).catch(rethrowRateLimit) : undefined;
    const built = since ? await build(key, since, prior) : await build(key, await readRows(key, undefined, since === undefined && prior ? undefined : first), undefined);
    if (built === 'missing') continue;
    if (built) warm.set(key, built);
    return built;
  }
  throw new SqlLostRaceError(`[bgstore] document ${key} kept changing while it was read`);
}

/** Only the revision (0 when none is stored). */
export async function readSqlRevision(key: string): Promise<number> {
  const [row] = await select('SELECT MAX(revision) AS r FROM bgstore_log WHERE doc_key = ?', key);
  return Number(row?.r ?? 0);
}

/**
 * Inserts the row of `next` on condition that the log has no row of its revision or later, in one
 * statement. The primary key alone would not do for a commit on an old read (a guess, or a read
 * long ago): the revision after it may be gone already, collected under a later snapshot.
 */
const INSERT_ROW =
  'INSERT INTO bgstore_log (doc_key, revision, schema_version, kind, size, body) SELECT ?, ?, ?, ?, ?, ? FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM bgstore_log WHERE doc_key = ? AND revision >= ?)';

/** Waiting batches a row holds at most (characters); a post beyond it replaces them (they are hints). */
const MAX_PENDING_CHARS = 100_000;

/**
 * The same INSERT, or else — when another commit took the revision and that row is still one of the
 * latest few, whose waiting batches reads send (`PENDING_ROWS`) — the batch appended to that row's
 * `pending`, where a later commit reads it: one statement both claims the revision and carries the
 * batch of a commit that loses. Its answer tells which: 1 row inserted, 2 updated (the appended
 * text is never the row's already, so a server that counts found rather than changed rows answers
 * the same), 0 neither (the revision is gone — collected — or far behind the latest). The INSERT
 * itself still needs no row after the revision, as `INSERT_ROW`.
 */
const INSERT_OR_POST = `INSERT INTO bgstore_log (doc_key, revision, schema_version, kind, size, body) SELECT ?, ?, ?, ?, ?, ? FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM bgstore_log WHERE doc_key = ? AND revision > ?) OR (EXISTS (SELECT 1 FROM bgstore_log WHERE doc_key = ? AND revision = ?) AND NOT EXISTS (SELECT 1 FROM bgstore_log WHERE doc_key = ? AND revision > ? + ${PENDING_ROWS - 2})) ON DUPLICATE KEY UPDATE pending = CONCAT(IF(CHAR_LENGTH(COALESCE(pending, '')) > ${MAX_PENDING_CHARS}, '', COALESCE(pending, '')), ?)`;

/** A waiting batch as one line of a row's `pending`: entry, expiry (ms) and the batch, tab-separated. */
export const pendingLine = (entry: string, expires: number, text: string) => `${entry}\t${expires}\t${encodeText(text)}\n`;

/** The lines of a row's `pending` as inbox rows (`entry`, `expires`, `body`), each entry once. */
export function pendingRows(pending: string | null): Row[] {
  const rows = new Map<string, Row>();
  for (const line of (pending ?? '').split('\n')) {
    const [entry, expires, body] = line.split('\t');
    if (entry && body !== undefined && !rows.has(entry)) rows.set(entry, { entry, expires: Number(expires) || 0, body });
  }
  return [...rows.values()];
}

/**
 * Inserts the row of `next` (or, with `post`, posts it where the revision was taken: see
 * {@link INSERT_OR_POST}); a later row, or a duplicate key, means another commit took the revision.
 * @throws SqlLostRaceError, its `posted` true when the batch now waits on the latest row
 */
async function insertRow(key: string, next: DurableDoc<unknown>, kind: 's' | 'e', size: number, body: string, post?: string): Promise<void> {
  const lost = (posted: boolean) => new SqlLostRaceError(`[bgstore] revision ${next.revision} of ${key} was taken by another commit`, posted);
  let affected: number;
  try {
    affected = post === undefined
      ? await write(INSERT_ROW, key, next.revision, next.schemaVersion, kind, size, body, key, next.revision)
      : await write(INSERT_OR_POST, key, next.revision, next.schemaVersion, kind, size, body, key, next.revision, key, next.revision, key, next.revision, post);
  } catch (error) {
    // Two inserts of the same revision at once: one gets the duplicate key (or, where the check's
    // read locks the range, InnoDB's deadlock error), and nothing of it is written.
    if (isDuplicateKey(error) || isDeadlock(error)) throw lost(false);
    throw error;
  }
  if (affected !== 1) throw lost(affected === 2);
}

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
