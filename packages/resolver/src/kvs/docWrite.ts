import { Filter, FilterConditions, kvs } from '@forge/kvs';
import { randomId, type DurableDoc } from '@bgstore/core/durable';
import { SyncError } from '@bgstore/protocol';
import { clientTexts, makeEntry, type LogEntry } from './docLog';
import { DOC_ENTITY, type HeadData, type Manifest, type StoredDoc } from './docStore';
import { chunksOf, collectGarbage, garbageBudget, generationsOf, needsCollecting, takeGarbage, unlist, type Generation } from './garbage';
import type { Head } from './legacyLayouts';
import { nextTail } from './logTail';
import { stateHash } from './stateHash';
import { entryKey, pieceKey, type WarmDocuments } from './readCache';
import { cutPieces, fixedPieces, MAX_OPERATIONS, MAX_TRANSACTION_BYTES, nameOf, packText, PIECE_BYTES, readUnits, storedBytes, targetFor, utf8, valueBytes } from './pieces';

// Writing a document (layout 3, see docStore.ts): a commit is one transaction conditioned on the
// head — a log entry and the head, or a new snapshot (a fold) and the head — plus deletion of
// garbage past its grace (garbage.ts) and of inbox entries the commit applied, as room allows.

/** How documents are stored. */
export interface WriteOptions {
  /** Smallest target piece size in characters; a state up to twice this stays whole in its manifest. @default 4096 */
  minPiece?: number;
  /** Other keys to delete in the same transaction while it has room (inbox entries this commit applied). */
  alsoDelete?: readonly string[];
  /** Until when the inbox may hold batches (kept in the head; 0 or absent: none known). */
  waitingUntil?: number;
  /** Who commits (a short hash), kept in the head with the time. */
  writer?: string;
  /** Where to keep what this write makes known (the new snapshot), for the next read. */
  warm?: WarmDocuments;
  /** The time garbage is stamped with and measured against. @default Date.now() */
  now?: number;
  /** This commit is published on Realtime at this time (kept in the head's `u`; else the head keeps the last). */
  publishedAt?: number;
}

/** Parts up to this many characters stay whole in the manifest. */
const MAX_INLINE = 32_768;
/** A body larger than this is refused: `bgstore.load` must answer within invoke's 5 MB. */
const MAX_BODY_BYTES = 4_000_000;
/** The log is folded into a new snapshot when it outgrows this share of the snapshot… */
const LOG_SHARE = 0.2;
/** …or has this many entries… */
const MAX_ENTRIES = 1024;
/**
 * …or would cost a cold read more than this share of the snapshot's read units (and more than two
 * requests): a compressed snapshot is a few units, so its log is folded sooner than a fifth of its text.
 */
const LOG_READ_SHARE = 0.25;
const MIN_LOG_READS = 2;


/**
 * A new snapshot of `next`: its manifest and pieces, which of them storage lacks (their stored
 * values), and its stored bytes. The manifest lists each piece's stored bytes (`v`): what a later
 * fold replaces is then garbage of known bytes (#18.4). `sizeOf` tells those of stored pieces.
 */
function planSnapshot(next: DurableDoc<unknown>, stored: Set<string>, minPiece: number, previousTarget: number | undefined, sizeOf: (name: string) => number) {
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
    const seen = new Set(stored);
    const fresh: [string, string][] = [];
    const all = [...(pieces.p ?? []), ...(pieces.q ?? [])];
    for (const [name, text] of all) {
      if (!seen.has(name)) fresh.push([name, packText(text)]);
      seen.add(name);
    }
    const packed = new Map(fresh.map(([name, value]) => [name, valueBytes(value)]));
    const v = all.length ? { v: all.map(([name]) => packed.get(name) ?? sizeOf(name)) } : {};
    const manifest: Manifest = { r: next.revision, ...(pieces.p ? { p: names(pieces.p) } : { s: next.state }), ...(pieces.q ? { q: names(pieces.q) } : { c: next.clients }), ...v };
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
  const value = packText(text);
  if (!stored.has(name)) fresh.push([name, value]);
  const named = [name, ...(manifest.p ?? []), ...(manifest.q ?? [])];
  const total = valueBytes(value) + (manifest.v ?? []).reduce((n, b) => n + b, 0);
  return { name, named, fresh, bytes: size, manifestText: text, stored: total };
}

/**
 * The stored bytes of each value the previous snapshot names: from its manifest's `v` (and the
 * manifest's own), else — a snapshot of an earlier version — its stored bytes shared out by count.
 */
function storedSizes(previous: StoredDoc | undefined, estimate: number): (name: string) => number {
  const layout = previous?.layout;
  if (layout?.v !== 3) return () => Math.round(estimate / Math.max(1, layout?.named.length ?? 1));
  const { manifest, head } = layout;
  const names = [...(manifest.p ?? []), ...(manifest.q ?? [])];
  const sizes = new Map<string, number>(manifest.v?.length === names.length ? names.map((name, i) => [name, manifest.v![i]!]) : []);
  const own = valueBytes(packText(JSON.stringify(manifest)));
  sizes.set(head.m, own);
  const share = Math.max(0, (head.y ?? head.z) - own) / Math.max(1, names.length);
  return (name) => sizes.get(name) ?? Math.round(share);
}

/**
 * Writes `next` in one transaction, on condition that the stored head is still `previous`'s
 * revision (or absent): a log entry and the head, or — when the log has grown enough, or the
 * document is new or of an older layout — a new snapshot and the head; plus deletion of what
 * earlier snapshots replaced, as much as the transaction has room for.
 * @throws SyncError `TOO_LARGE` (nothing written) when it cannot fit one transaction;
 *   `ForgeKvsAPIError` `CONDITIONAL_CHECK_FAILED` when another commit won the race
 */
export async function writeDoc(key: string, previous: StoredDoc | undefined, next: DurableDoc<unknown>, options: WriteOptions = {}): Promise<string[]> {
  const minPiece = options.minPiece ?? 4096;
  const layout = previous?.layout;
  const now = options.now ?? Date.now();
  const common = { now, alsoDelete: options.alsoDelete ?? [], waitingUntil: options.waitingUntil ?? 0, writer: options.writer, publishedAt: options.publishedAt };

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
    const logReads = readUnits(head.n + bytes, next.revision - head.b);
    const cheap = logReads <= Math.max(MIN_LOG_READS, LOG_READ_SHARE * readUnits(head.y ?? head.z, layout.named.length));
    if (fits && cheap) entry = { value: made.entry, text, bytes, size };
  }
  if (layout?.v === 3 && entry) {
    const { head } = layout;
    const value = packText(entry.text);
    const h = stateHash(next.state, previous!.doc.state);
    const data: HeadData = { v: 3, i: head.i, m: head.m, b: head.b, z: head.z, ...(head.y === undefined ? {} : { y: head.y }), n: head.n + entry.bytes, e: entry.size, ...(head.f ? { f: head.f } : {}), h };
    data.l = nextTail(head.l, value, { ...head, h, l: undefined });
    const kept = await execute(key, previous, next, { ...common, sets: [[entryKey(key, next.revision), value]], data, garbage: generationsOf(head), named: layout.named.length });
    // This instance knows the new revision: its next read of the document needs only the head.
    const c = previous!.cache;
    if (c.id === head.i && c.latest?.snapshot === head.m && c.latest.revision === previous!.doc.revision) {
      c.entries.set(next.revision, entry.value);
      c.latest = { snapshot: head.m, revision: next.revision, state: next.state, clients: next.clients };
    }
    return kept;
  }
  // A new snapshot. What the previous one named and this one does not becomes garbage, and so
  // does the log it folds in: a generation of garbage, deleted once its grace has passed.
  // Pieces are reused only from what the head names, never from garbage (a garbage transaction may
  // be deleting it). Pieces of earlier layouts are stored unencoded: a moving document rewrites every piece.
  const garbage = layout?.v === 3 ? generationsOf(layout.head) : [];
  // Pieces stored before compression are written again (compressed, under the same name).
  const reusable = layout?.v === 3 ? layout.named.filter((name) => !previous!.cache.uncompressed?.has(name)) : [];
  // An earlier layout's pieces are about the document's size (unencoded) in all.
  const sizeOf = storedSizes(previous, layout?.v === 3 ? 0 : utf8(JSON.stringify(previous?.doc.state ?? null)));
  const snapshot = planSnapshot(next, new Set(reusable), minPiece, layout?.v === 3 ? layout.manifest.t : undefined, sizeOf);
  const keep = new Set(snapshot.named);
  // What is named again leaves the garbage; a name can appear twice (the same text twice in the state), each key is deleted once.
  unlist(garbage, keep);
  const listed = new Set(garbage.flatMap((g) => g[1]));
  const named = [...new Set(layout?.named ?? [])];
  // The manifest first: a load that has not read it yet fails at once, before reading pieces.
  const replaced = named.filter((name) => !keep.has(name) && !listed.has(name));
  const log: [number, number][] = layout?.v === 3 && previous!.doc.revision > layout.head.b ? [[layout.head.b + 1, previous!.doc.revision]] : [];
  // Its bytes: the replaced values', and the log it folds in (counted uncompressed).
  const sizes = replaced.map(sizeOf);
  const bytes = sizes.reduce((n, b) => n + b, 0) + (layout?.v === 3 ? layout.head.n : 0);
  if (replaced.length || log.length) garbage.push([now, replaced, log, bytes, sizes]);
  const id = layout?.v === 3 ? layout.head.i : randomId(12);
  const sets = snapshot.fresh.map(([name, value]): [string, string] => [pieceKey(key, name), value]);
  const kept = await execute(key, previous, next, {
    ...common,
    sets,
    data: { v: 3, i: id, m: snapshot.name, b: next.revision, z: snapshot.bytes, y: snapshot.stored, n: 0, e: snapshot.bytes, ...piecesNamed(snapshot.named), h: stateHash(next.state, previous?.doc.state) },
    garbage,
    named: snapshot.named.length,
  });
  if (previous) previous.cache.uncompressed = undefined;
  const c = options.warm?.get(key, id) ?? previous?.cache;
  if (!c || c.id !== id) return kept;
  c.texts.clear();
  c.texts.set(snapshot.name, snapshot.manifestText);
  c.snapshot = { name: snapshot.name, state: next.state, clients: next.clients };
  c.latest = { snapshot: snapshot.name, revision: next.revision, state: next.state, clients: next.clients };
  return kept;
}

/** The head's `f`: the snapshot's pieces (its names but the manifest's), for a cold read to ask for with the manifest. */
const piecesNamed = (named: string[]) => (named.length > 1 ? { f: [...new Set(named.slice(1))] } : {});

/** What one commit writes: `sets` (full keys, stored values: packText), the head's data, the garbage it lists (changed here), other keys to delete while there is room. */
interface Write {
  sets: [string, string][];
  data: HeadData;
  garbage: Generation[];
  named: number;
  alsoDelete: readonly string[];
  waitingUntil: number;
  writer: string | undefined;
  now: number;
  publishedAt: number | undefined;
}

/**
 * Runs the transaction: the sets, the head, then with the room left `alsoDelete` and garbage past
 * its grace; then, when deletable garbage is left over a share of the document, garbage
 * transactions. Answers the keys of `alsoDelete` it had no room for.
 */
async function execute(key: string, previous: StoredDoc | undefined, next: DurableDoc<unknown>, { sets, data, garbage, named, alsoDelete, waitingUntil, writer, now, publishedAt }: Write): Promise<string[]> {
  const operations = sets.length + 1;
  const bytes = sets.reduce((n, [k, value]) => n + valueBytes(value) + k.length, 600);
  if (operations > MAX_OPERATIONS || bytes > MAX_TRANSACTION_BYTES) {
    throw new SyncError('TOO_LARGE', `[bgstore] the document would need ${bytes} bytes in ${operations} writes; one commit can write at most ${MAX_TRANSACTION_BYTES} bytes in ${MAX_OPERATIONS} operations. Nothing was written: keep less in this store, or split it`);
  }
  const room = MAX_OPERATIONS - operations;
  const deletes = alsoDelete.slice(0, room);
  deletes.push(...takeGarbage(key, garbage, now, room - deletes.length, garbageBudget(data)));
  if (garbage.length) data.d = garbage;
  if (waitingUntil > now) data.p = waitingUntil;
  if (writer !== undefined) data.w = [writer, now];
  const published = publishedAt === undefined ? (previous?.layout.v === 3 ? previous.layout.head.u : undefined) : [next.revision, publishedAt];
  if (published) data.u = published as [number, number];

  const conditions = previous ? new Filter<Head>().and('revision', FilterConditions.equalTo(previous.doc.revision)) : new Filter<Head>().and('revision', FilterConditions.notExists());
  // A garbage transaction rewrites the head at the same revision (and counts itself in `chunks`):
  // a commit that read the head before it must not write back the garbage it deleted.
  if (previous?.layout.v === 3) conditions.and('chunks', FilterConditions.equalTo(chunksOf(previous.layout.named.length, previous.layout.head)));
  const head: Head = { revision: next.revision, schemaVersion: next.schemaVersion, chunks: named, data: JSON.stringify(data) };
  const tx = kvs.transact();
  for (const [k2, value] of sets) tx.set<string>(k2, value);
  tx.set<Head>(key, head, { entityName: DOC_ENTITY, conditions });
  for (const d of deletes) tx.delete(d);
  await tx.execute();
  if (garbage.length && needsCollecting(garbage, now, data)) await collectGarbage(key, head, data, now);
  return alsoDelete.slice(room);
}
