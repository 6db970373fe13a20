import { Filter, FilterConditions, kvs } from '@forge/kvs';
import { randomId, type ClientRecord, type DurableDoc } from '@bgstore/core/durable';
import { SyncError } from '@bgstore/protocol';
import { clientTexts, makeEntry, replayEntries, type LogEntry } from './docLog';
import { readLegacy, type Head, type LegacyHead } from './legacyLayouts';
import { createWarmDocuments, entryKey, fetchEntries, fetchPieces, joinPieces, newCache, pieceKey, type ReadCache, type WarmDocuments } from './readCache';
import { cutPieces, encodeText, fixedPieces, MAX_OPERATIONS, MAX_TRANSACTION_BYTES, nameOf, PIECE_BYTES, storedBytes, targetFor, utf8 } from './pieces';

/** The custom entity holding each document's head; declare it in `manifest.yml` (see README). */
export const DOC_ENTITY = 'bgstore-doc';

/** The entity declaration `registerStores` needs under `app.storage.entities`. */
export const DOC_ENTITY_DECLARATION = {
  name: DOC_ENTITY,
  attributes: { revision: { type: 'integer' }, schemaVersion: { type: 'integer' }, chunks: { type: 'integer' }, data: { type: 'string' } },
} as const;

// Layout 3 (see the README): a small head, a snapshot, and a log.
// - The head (a `bgstore-doc` entity under the document's key) holds the revision and, in `data`,
//   which snapshot is current (`m`, the name of its manifest piece; `b`, its revision), the bytes of
//   the snapshot and of the log after it, and what is still to delete. It stays small whatever the
//   state's size, and it is the only thing a revision check reads.
// - The snapshot is content-addressed pieces (`<key>:<hash of text>`): a manifest naming the pieces
//   of the state's JSON and of the client table's (or holding them whole while small).
// - The log: one entry per revision after the snapshot, `<key>:l<revision>`, holding that commit's
//   patches and client-table changes.
// A commit is one transaction conditioned on the head's revision: it writes its log entry and the
// head — O(change) bytes. When the log outgrows a fifth of the snapshot (or 1,024 entries), the
// commit instead writes a new snapshot (only the pieces storage lacks) and the head naming it.
// What a snapshot replaces is listed in the head and deleted by later commits, with the room their
// transactions have, so a reader that just read the previous head still finds what it names.
// Layouts 1 and 2 are still read; the next commit moves them.

interface HeadData {
  v: 3;
  /** The document's id: random, from its first write in this layout (a recreated document gets a new one). */
  i: string;
  /** The snapshot's manifest piece, its revision, and its bytes (state and client table). */
  m: string;
  b: number;
  z: number;
  /** Bytes of the log entries after the snapshot. */
  n: number;
  /** About how many bytes the document (state and client table) has now. */
  e: number;
  /** Pieces no longer named, and inclusive ranges of log entries no longer needed, to delete. */
  g?: string[];
  k?: [number, number][];
}

interface Manifest {
  /** The snapshot's revision. */
  r: number;
  /** The state whole (small ones), or the names of the pieces of its JSON, in order. */
  s?: unknown;
  p?: string[];
  /** The client table whole (small ones), or the names of the pieces of its JSON, in order. */
  c?: Record<string, unknown>;
  q?: string[];
  /** The target piece size the state was cut with. */
  t?: number;
}

/** A stored document, and how it is stored (for the next write). */
export interface StoredDoc {
  doc: DurableDoc<unknown>;
  /** @internal the head's data (layout 3), or what an older layout names, to move and delete. */
  layout: { v: 3; head: HeadData; manifest: Manifest; named: string[] } | { v: 1 | 2; named: string[] };
  /** @internal */
  cache: ReadCache;
  /** @internal the client records' JSON, to tell which ones a commit changed. */
  clientTexts?: Map<string, string>;
}

/** How documents are stored. */
export interface WriteOptions {
  /** Smallest target piece size in characters; a state up to twice this stays whole in its manifest. @default 4096 */
  minPiece?: number;
  /** Other keys to delete in the same transaction while it has room (inbox entries this commit applied). */
  alsoDelete?: readonly string[];
  /** Where to keep what this write makes known (the new snapshot), for the next read. */
  warm?: WarmDocuments;
}

/** Parts up to this many characters stay whole in the manifest. */
const MAX_INLINE = 32_768;
/** A body larger than this is refused: `bgstore.load` must answer within invoke's 5 MB. */
const MAX_BODY_BYTES = 4_000_000;
/** The log is folded into a new snapshot when it outgrows this share of the snapshot… */
const LOG_SHARE = 0.2;
/** …or has this many entries. */
const MAX_ENTRIES = 1024;
/** On a second read, log entries after the revision read before are asked for with the head, this many. */
const SPECULATIVE_ENTRIES = 8;
const READ_ATTEMPTS = 5;

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
const parseHead = (head: Head): HeadData | LegacyHead => JSON.parse(head.data.startsWith('{"v":') ? head.data : '{"v":1}') as HeadData | LegacyHead;
const COLD = createWarmDocuments(0);


/**
 * Reads a document: its head, the snapshot it names, and the log after it, replayed. Something
 * missing means commits replaced it between the reads; the read is tried again, keeping what it
 * read (pieces and entries never change), so each try reads only what is new. Pass the previous
 * read of the same document as `previous` to reuse what it read: a commit that lost a race then
 * reads the head and the entries after its revision, together, in one round trip. `warm` keeps
 * what reads learn for later invocations on this instance.
 * @throws SyncError `STORAGE_FAILED` when the document kept changing, or is damaged
 */
export async function readDoc(key: string, previous?: StoredDoc, warm: WarmDocuments = COLD): Promise<StoredDoc | undefined> {
  let cache = previous?.cache;
  for (let attempt = 0; attempt < READ_ATTEMPTS; attempt++) {
    const since = attempt === 0 && cache && previous?.layout.v === 3 ? previous.doc.revision : undefined;
    const [head] = await Promise.all([
      kvs.entity<Head>(DOC_ENTITY).get(key),
      since === undefined || !cache ? undefined : fetchEntries(key, range(since + 1, since + SPECULATIVE_ENTRIES), cache, false),
    ]);
    if (!head) return undefined;
    const data = parseHead(head);
    if (data.v !== 3) {
      const legacy = await readLegacy(key, head, data);
      if (!legacy) continue;
      return { doc: legacy.doc, layout: { v: data.v, named: legacy.named }, cache: cache ?? newCache() };
    }
    if (cache?.id !== data.i) cache = warm.get(key, data.i);
    const c = cache;
    // Replay from the latest state this instance knows, if it is of this snapshot and not ahead.
    const latest = c.latest && c.latest.snapshot === data.m && c.latest.revision <= head.revision ? c.latest : undefined;
    const revisions = range((latest?.revision ?? data.b) + 1, head.revision);
    const [hasManifest, hasEntries] = await Promise.all([fetchPieces(key, [data.m], c), fetchEntries(key, revisions, c)]);
    if (!hasManifest || !hasEntries) continue;
    const manifest = JSON.parse(c.texts.get(data.m)!) as Manifest;
    const names = [...(manifest.p ?? []), ...(manifest.q ?? [])];
    if (!latest && c.snapshot?.name !== data.m) {
      if (!(await fetchPieces(key, names, c))) continue;
      // Another read on this instance may have moved on meanwhile and let go of these pieces.
      if (!names.every((name) => c.texts.has(name))) continue;
      const state = 's' in manifest ? manifest.s : joinPieces(manifest.p, c);
      const clients = ('c' in manifest ? manifest.c : joinPieces(manifest.q, c)) as Record<string, unknown>;
      c.snapshot = { name: data.m, state, clients };
      // Once parsed, the pieces' text is not needed again (a warm instance keeps the state, not both).
      for (const name of c.texts.keys()) if (name !== data.m) c.texts.delete(name);
    }
    if (!revisions.every((r) => c.entries.has(r)) || (!latest && c.snapshot?.name !== data.m)) continue;
    const base = latest ?? { revision: data.b, state: c.snapshot!.state, clients: c.snapshot!.clients };
    const { state, clients } = replayEntries(base.state, base.clients, revisions.map((r) => c.entries.get(r)!));
    if (!c.latest || c.latest.snapshot !== data.m || c.latest.revision < head.revision) c.latest = { snapshot: data.m, revision: head.revision, state, clients };
    for (const r of c.entries.keys()) if (r <= head.revision - SPECULATIVE_ENTRIES || r <= data.b) c.entries.delete(r);
    const doc = { revision: head.revision, schemaVersion: head.schemaVersion, state, clients: clients as Record<string, ClientRecord> };
    return { doc, layout: { v: 3, head: data, manifest, named: [data.m, ...names] }, cache: c };
  }
  throw new DocChangedError(`[bgstore] document ${key} kept changing while it was read`);
}

/** Thrown by {@link readDoc} when commits kept replacing what it was reading: a lost race, not a failure. */
export class DocChangedError extends Error {
  readonly code = 'DOC_CHANGED';
  constructor(message: string) {
    super(message);
    this.name = 'DocChangedError';
  }
}

/** Whether `error` means other commits got there first: the head moved (the transaction's condition failed), or a read kept missing what they replaced. */
export const isLostRace = (error: unknown) => error instanceof DocChangedError || (error as { code?: unknown } | null)?.code === 'CONDITIONAL_CHECK_FAILED';

/** Reads only a document's revision (0 when none is stored): its head, a few hundred bytes. */
export async function readRevision(key: string): Promise<number> {
  return (await kvs.entity<Head>(DOC_ENTITY).get(key))?.revision ?? 0;
}

/** A new snapshot of `next`: its manifest and pieces, and which of them storage lacks. */
function planSnapshot(next: DurableDoc<unknown>, stored: Set<string>, minPiece: number, previousTarget: number | undefined) {
  const state = JSON.stringify(next.state);
  const clients = JSON.stringify(next.clients);
  const size = utf8(state) + utf8(clients);
  if (size > MAX_BODY_BYTES) {
    throw new SyncError('TOO_LARGE', `[bgstore] the document would be ${size} bytes; at most ${MAX_BODY_BYTES} can be stored (bgstore.load answers within invoke's 5 MB). Nothing was written: keep less in this store, or split it`);
  }
  const inline = (text: string, limit: number) => text.length <= limit && storedBytes(text) <= limit * 2;
  const plan = (stateCut: (text: string) => string[]) => {
    const p = inline(state, Math.min(2 * minPiece, MAX_INLINE)) ? undefined : stateCut(state);
    const q = inline(clients, MAX_INLINE) ? undefined : cutPieces(clients, targetFor(clients.length, minPiece, undefined));
    const named = (texts: string[]) => texts.map((text) => [nameOf(text), text] as const);
    const pieces = { p: p && named(p), q: q && named(q) };
    const names = (list: (readonly [string, string])[]) => list.map(([name]) => name);
    const manifest: Manifest = { r: next.revision, ...(pieces.p ? { p: names(pieces.p) } : { s: next.state }), ...(pieces.q ? { q: names(pieces.q) } : { c: next.clients }) };
    const seen = new Set(stored);
    const fresh: [string, string][] = [];
    for (const [name, text] of [...(pieces.p ?? []), ...(pieces.q ?? [])]) {
      if (!seen.has(name)) fresh.push([name, text]);
      seen.add(name);
    }
    return { manifest, fresh };
  };
  const target = targetFor(state.length, minPiece, previousTarget);
  let { manifest, fresh } = plan((text) => cutPieces(text, target));
  // Content-chosen cuts can come out too many for one transaction; fixed cuts are the fewest.
  if (fresh.length + 2 > MAX_OPERATIONS) ({ manifest, fresh } = plan(fixedPieces));
  else if (manifest.p) manifest.t = target;
  const text = JSON.stringify(manifest);
  if (storedBytes(text) > PIECE_BYTES) throw new SyncError('TOO_LARGE', `[bgstore] the document's manifest would be ${storedBytes(text)} bytes, over a KVS value; keep less in this store, or split it`);
  const name = nameOf(text);
  if (!stored.has(name)) fresh.push([name, text]);
  const named = [name, ...(manifest.p ?? []), ...(manifest.q ?? [])];
  return { name, named, fresh, bytes: size, manifestText: text };
}

/**
 * Writes `next` in one transaction, on condition that the stored head is still `previous`'s
 * revision (or absent): a log entry and the head, or — when the log has grown enough, or the
 * document is new or of an older layout — a new snapshot and the head; plus deletion of what
 * earlier snapshots replaced, as much as the transaction has room for.
 * @throws SyncError `TOO_LARGE` (nothing written) when it cannot fit one transaction;
 *   `ForgeKvsAPIError` `CONDITIONAL_CHECK_FAILED` when another commit won the race
 */
export async function writeDoc(key: string, previous: StoredDoc | undefined, next: DurableDoc<unknown>, options: WriteOptions = {}): Promise<void> {
  const minPiece = options.minPiece ?? 4096;
  const layout = previous?.layout;

  let entry: { value: LogEntry; text: string; bytes: number; size: number } | undefined;
  if (layout?.v === 3 && previous!.doc.schemaVersion === next.schemaVersion) {
    const texts = (previous!.clientTexts ??= clientTexts(previous!.doc.clients));
    const made = makeEntry(next.revision, previous!.doc, next, texts);
    const text = JSON.stringify(made.entry);
    const bytes = storedBytes(text);
    const { head } = layout;
    const size = head.e + made.growth;
    // The log stays under a fifth of the snapshot, and snapshot and log under 1.2× the document.
    const fits = bytes <= PIECE_BYTES && head.n + bytes <= LOG_SHARE * head.z && head.z + head.n + bytes <= (1 + LOG_SHARE) * size && next.revision - head.b <= MAX_ENTRIES && size <= MAX_BODY_BYTES;
    if (fits) entry = { value: made.entry, text, bytes, size };
  }
  if (layout?.v === 3 && entry) {
    const { head } = layout;
    const data: HeadData = { v: 3, i: head.i, m: head.m, b: head.b, z: head.z, n: head.n + entry.bytes, e: entry.size };
    const pending = { g: head.g ?? [], k: head.k ?? [] };
    await execute(key, previous, next, { sets: [[entryKey(key, next.revision), entry.text]], data, pending, later: { g: [], k: [] }, named: layout.named.length, alsoDelete: options.alsoDelete ?? [] });
    // This instance knows the new revision: its next read of the document needs only the head.
    const c = previous!.cache;
    if (c.id === head.i && c.latest?.snapshot === head.m && c.latest.revision === previous!.doc.revision) {
      c.entries.set(next.revision, entry.value);
      c.latest = { snapshot: head.m, revision: next.revision, state: next.state, clients: next.clients };
    }
    return;
  }
  // A new snapshot. What the previous one named and this one does not becomes garbage, and so
  // does the log it folds in; later commits delete both.
  // Pieces of earlier layouts are stored unencoded: a moving document rewrites every piece.
  const oldGarbage = layout?.v === 3 ? (layout.head.g ?? []) : [];
  const reusable = layout?.v === 3 ? [...layout.named, ...oldGarbage] : [];
  const snapshot = planSnapshot(next, new Set(reusable), minPiece, layout?.v === 3 ? layout.manifest.t : undefined);
  const keep = new Set(snapshot.named);
  const older = [...new Set(oldGarbage)].filter((name) => !keep.has(name));
  // A name can appear twice (the same text twice in the state); each key is deleted once.
  const replaced = [...new Set(layout?.named ?? [])].filter((name) => !keep.has(name) && !older.includes(name));
  const log: [number, number][] = layout?.v === 3 && previous!.doc.revision > layout.head.b ? [[layout.head.b + 1, previous!.doc.revision]] : [];
  const id = layout?.v === 3 ? layout.head.i : randomId(12);
  await execute(key, previous, next, {
    sets: snapshot.fresh.map(([name, text]) => [pieceKey(key, name), text]),
    data: { v: 3, i: id, m: snapshot.name, b: next.revision, z: snapshot.bytes, n: 0, e: snapshot.bytes },
    // Only garbage of earlier revisions is deleted now; this commit's waits a revision.
    pending: { g: older, k: layout?.v === 3 ? (layout.head.k ?? []) : [] },
    later: { g: replaced, k: log },
    named: snapshot.named.length,
    alsoDelete: options.alsoDelete ?? [],
  });
  const c = options.warm?.get(key, id) ?? previous?.cache;
  if (!c || c.id !== id) return;
  c.texts.clear();
  c.texts.set(snapshot.name, snapshot.manifestText);
  c.snapshot = { name: snapshot.name, state: next.state, clients: next.clients };
  c.latest = { snapshot: snapshot.name, revision: next.revision, state: next.state, clients: next.clients };
}

/** What one commit writes: `sets` (full keys), the head's data, garbage to delete now while there is room, garbage to leave for later. */
interface Write {
  sets: [string, string][];
  data: HeadData;
  pending: { g: string[]; k: [number, number][] };
  later: { g: string[]; k: [number, number][] };
  named: number;
  alsoDelete: readonly string[];
}

/** Runs the transaction: the sets, the head, and deletions of pending garbage while there is room. */
async function execute(key: string, previous: StoredDoc | undefined, next: DurableDoc<unknown>, { sets, data, pending, later, named, alsoDelete }: Write): Promise<void> {
  const operations = sets.length + 1;
  const bytes = sets.reduce((n, [k, text]) => n + storedBytes(text) + k.length, 600);
  if (operations > MAX_OPERATIONS || bytes > MAX_TRANSACTION_BYTES) {
    throw new SyncError('TOO_LARGE', `[bgstore] the document would need ${bytes} bytes in ${operations} writes; one commit can write at most ${MAX_TRANSACTION_BYTES} bytes in ${MAX_OPERATIONS} operations. Nothing was written: keep less in this store, or split it`);
  }
  let room = MAX_OPERATIONS - operations;
  const deletes = alsoDelete.slice(0, room);
  room -= deletes.length;
  const g = [...pending.g];
  while (room > 0 && g.length) {
    deletes.push(pieceKey(key, g.shift()!));
    room--;
  }
  const k = pending.k.map(([a, b]): [number, number] => [a, b]);
  while (room > 0 && k.length) {
    const first = k[0]!;
    deletes.push(entryKey(key, first[0]));
    room--;
    if (first[0] === first[1]) k.shift();
    else first[0]++;
  }
  g.push(...later.g);
  k.push(...later.k);
  if (g.length) data.g = g;
  if (k.length) data.k = k;

  const conditions = previous ? new Filter<Head>().and('revision', FilterConditions.equalTo(previous.doc.revision)) : new Filter<Head>().and('revision', FilterConditions.notExists());
  const tx = kvs.transact();
  for (const [k2, text] of sets) tx.set<string>(k2, encodeText(text));
  tx.set<Head>(key, { revision: next.revision, schemaVersion: next.schemaVersion, chunks: named, data: JSON.stringify(data) }, { entityName: DOC_ENTITY, conditions });
  for (const d of deletes) tx.delete(d);
  await tx.execute();
}
