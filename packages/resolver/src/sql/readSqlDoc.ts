import type { DurableDoc } from '@bgstore/core/durable';
import { replayEntries } from '../kvs/docLog';
import { decodeText, utf8 } from '../kvs/pieces';
import { isSqlRateLimited, select, type Row } from './client';
import { PENDING_ROWS } from './pending';
import { readSnapshot, type SnapshotBody } from './snapshot';
import { keepChanges, laterPublished, publishedOf, type KeptChanges, type Published, type SqlLogEntry } from './sqlChanges';
import { SqlLostRaceError, type SqlDoc, type WarmSqlDocs } from './sqlDocStore';

// Reading documents in Forge SQL (see sqlDocStore.ts): the rows from the latest snapshot on, or only
// the rows after a copy already read, with what waits for the next commit in the same answer.

const READ_ATTEMPTS = 5;
/** At most this many inbox entries are read (and applied) by one commit. */
export const INBOX_READ_LIMIT = 21;

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
