import { kvs } from '@forge/kvs';
import type { ClientRecord, DurableDoc } from '@bgstore/core/durable';
import { replayEntries } from './docLog';
import type { Generation } from './garbage';
import { readLegacy, type Head, type LegacyHead } from './legacyLayouts';
import { createWarmDocuments, fetchEntries, fetchPieces, joinPieces, newCache, type ReadCache, type WarmDocuments } from './readCache';

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
// What a snapshot replaces is listed in the head and deleted once a grace period has passed (by
// time, see garbage.ts), so a reader that read an earlier head still finds what it names.
// Layouts 1 and 2 are still read; the next commit moves them. Reading is here, writing in docWrite.ts.

/** A head's `data` (layout 3). */
export interface HeadData {
  v: 3;
  /** The document's id: random, from its first write in this layout (a recreated document gets a new one). */
  i: string;
  /** The snapshot's manifest piece, its revision, and its bytes (state and client table). */
  m: string;
  b: number;
  z: number;
  /** About how many bytes the snapshot's values take stored (compressed, #17); absent in heads written before compression. */
  y?: number;
  /** Bytes of the log entries after the snapshot. */
  n: number;
  /** About how many bytes the document (state and client table) has now. */
  e: number;
  /** Earlier versions' garbage: pieces no longer named, inclusive ranges of log entries no longer needed. */
  g?: string[];
  k?: [number, number][];
  /** Garbage by generation, each deleted once its grace has passed (see garbage.ts). */
  d?: Generation[];
  /** Until when (ms) the inbox may hold batches, as the last commit knew: later commits read it only until then. */
  p?: number;
  /** Who last committed (a short hash of the caller) and when (ms): others' commits read the inbox a while after. */
  w?: [string, number];
  /** The last revision published on Realtime, and when (ms): commits publish at most once an interval (#17). */
  u?: [number, number];
  /** How many garbage transactions rewrote this head (see garbage.ts); `chunks` is the snapshot's pieces plus this. */
  x?: number;
}

/** A snapshot's manifest piece. */
export interface Manifest {
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
  /** The document's id (layout 3's head `i`). */
  id?: string;
  /** @internal the head's data (layout 3), or what an older layout names, to move and delete. */
  layout: { v: 3; head: HeadData; manifest: Manifest; named: string[] } | { v: 1 | 2; named: string[] };
  /** @internal */
  cache: ReadCache;
  /** @internal the client records' JSON, to tell which ones a commit changed. */
  clientTexts?: Map<string, string>;
}

/** On a second read, log entries after the revision read before are asked for with the head, this many. */
const SPECULATIVE_ENTRIES = 8;
const READ_ATTEMPTS = 5;

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
/** The head's `data`: layout 3's, or what an older layout's says. */
export const parseHead = (head: Head): HeadData | LegacyHead => JSON.parse(head.data.startsWith('{"v":') ? head.data : '{"v":1}') as HeadData | LegacyHead;
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
    return { doc, id: data.i, layout: { v: 3, head: data, manifest, named: [data.m, ...names] }, cache: c };
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
