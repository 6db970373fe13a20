import { kvs } from '@forge/kvs';
import type { ClientRecord, DurableDoc } from '@bgstore/core/durable';
import { replayEntries } from './docLog';
import type { Generation } from './garbage';
import { baseFits, readWithBase, type CallerBase } from './baseRead';
import { readLegacy, type Head, type LegacyHead } from './legacyLayouts';
import { takeTail } from './logTail';
import { stateHash } from './stateHash';
import { createWarmDocuments, fetchParts, fetchPieces, joinPieces, newCache, type ReadCache, type WarmDocuments } from './readCache';

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
//   state's size, and it is the only thing a revision check reads. It also names the snapshot's
//   pieces (`f`), so a cold read asks for them with the manifest, and carries the log's latest
//   entries (`l`, see logTail.ts) within its one read unit, so a read a few revisions behind reads it alone.
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
  /** The names of the snapshot's pieces (the manifest's `p` and `q`), so a cold read asks for them with the manifest (#17). */
  f?: string[];
  /** The latest log entries as stored, the last of this head's revision, as many as fit one read unit (see logTail.ts, #17). */
  l?: string[];
  /** The SHA-256 Merkle hash of the state at this head's revision (stateHash.ts): a cold commit checks the caller's base against it (#17). */
  h?: string;
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
  /** The stored bytes of each piece of `p`, then of `q` (absent in manifests of earlier versions): what a fold makes garbage. */
  v?: number[];
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

/** Log entries a read keeps in the cache behind the head's revision, for callers a few revisions behind. */
const KEPT_ENTRIES = 8;
/**
 * A read that finds something gone (a fold landed during it, and garbage over its budget went at
 * once, see garbage.ts) reads again from a fresh head: at once the first time (the next fold is
 * then furthest away), then after a wait doubling from 250 ms to 4 s, so a burst of folds is waited
 * out (Forge's write quota ends one within about 16 s: 33 whole rewrites of 1.2 MB a minute) — at
 * most this many attempts, none starting past this budget (invoke allows 25 s).
 */
const READ_ATTEMPTS = 8;
const READ_BUDGET_MS = 15_000;
const retryWait = (attempt: number) => (attempt < 2 ? 0 : Math.min(4_000, 250 * 2 ** (attempt - 2)));

/** The time a read's retries are measured and waited on. @default Date.now and setTimeout */
export interface ReadTiming {
  now?(): number;
  sleep?(ms: number): Promise<void>;
}
const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);
/** The head's `data`: layout 3's, or what an older layout's says. */
export const parseHead = (head: Head): HeadData | LegacyHead => JSON.parse(head.data.startsWith('{"v":') ? head.data : '{"v":1}') as HeadData | LegacyHead;
const COLD = createWarmDocuments(0);


/**
 * Reads a document: its head, then in one batched read what the head names and this instance
 * lacks — the snapshot's manifest and pieces (named in the head too), the log entries after it
 * older than the head's tail — and replays the log. Something missing means commits replaced it
 * between the reads; the read is tried again, keeping what it read (pieces and entries never
 * change), so each try reads only what is new. Pass the previous read of the same document as
 * `previous` to reuse what it read: a commit that lost a race then reads the head, whose tail
 * usually holds the entries after its revision. `warm` keeps what reads learn for later
 * invocations on this instance; `timing` measures and waits retries. A cold read given the caller's
 * `base` reads the manifest and log but not the state's pieces when the base checks out (baseRead.ts).
 * @throws DocChangedError when commits overtook every attempt (a lost race: a load answers `STORAGE_BUSY`)
 * @throws SyncError `STORAGE_FAILED` when the document is damaged
 */
export async function readDoc(key: string, previous?: StoredDoc, warm: WarmDocuments = COLD, timing: ReadTiming = {}, callerBase?: CallerBase): Promise<StoredDoc | undefined> {
  let cache = previous?.cache;
  let given = callerBase;
  const { now = Date.now, sleep = pause } = timing;
  const started = now();
  let attempt = 0;
  for (; attempt < READ_ATTEMPTS; attempt++) {
    const wait = retryWait(attempt);
    if (attempt > 0 && now() - started + wait >= READ_BUDGET_MS) break;
    if (wait > 0) await sleep(wait);
    const head = await kvs.entity<Head>(DOC_ENTITY).get(key);
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
    takeTail(key, data, head.revision, c, revisions);
    const cold = !latest && c.snapshot?.name !== data.m;
    // A caller's base, once its hash checks out, stands in for the snapshot's pieces (baseRead.ts).
    if (cold && given && baseFits(given, data, head.revision)) {
      const got = await readWithBase(key, head.revision, head.schemaVersion, data, revisions, c, given);
      if (got === 'missing') continue;
      if (got !== 'refused') {
        keepEntries(c, head.revision, data.b);
        return got.read;
      }
      given = undefined;
    }
    // A cold read asks for the pieces the head names with the manifest; the manifest says which it needs.
    const missing = await fetchParts(key, [data.m, ...(cold ? (data.f ?? []) : [])], revisions, c);
    if (missing.has(data.m) || revisions.some((r) => missing.has(`l${r}`))) continue;
    const manifest = JSON.parse(c.texts.get(data.m)!) as Manifest;
    const names = [...(manifest.p ?? []), ...(manifest.q ?? [])];
    if (cold) {
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
    // The state kept here is hashed by the next commit (the head's `h`): hashing it now from the one
    // it was replayed from, whose hash is known, keeps that O(change) after others' commits.
    if (latest && data.h !== undefined && state !== latest.state) stateHash(state, latest.state);
    if (!c.latest || c.latest.snapshot !== data.m || c.latest.revision < head.revision) c.latest = { snapshot: data.m, revision: head.revision, state, clients };
    keepEntries(c, head.revision, data.b);
    const doc = { revision: head.revision, schemaVersion: head.schemaVersion, state, clients: clients as Record<string, ClientRecord> };
    return { doc, id: data.i, layout: { v: 3, head: data, manifest, named: [data.m, ...names] }, cache: c };
  }
  throw new DocChangedError(`[bgstore] document ${key} kept changing while it was read: commits replaced what each of ${attempt} read attempts in ${now() - started} ms was reading; try again`);
}

/** Drops log entries the cache no longer needs: more than a few behind `revision`, or in the snapshot `b`. */
function keepEntries(c: ReadCache, revision: number, b: number) {
  for (const r of c.entries.keys()) if (r <= revision - KEPT_ENTRIES || r <= b) c.entries.delete(r);
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
