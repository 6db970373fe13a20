import { createHash } from 'node:crypto';
import { Filter, FilterConditions, kvs } from '@forge/kvs';
import type { ClientRecord, DurableDoc } from '@bgstore/core/durable';
import { SyncError } from '@bgstore/protocol';

/** The custom entity holding each document's head; declare it in `manifest.yml` (see README). */
export const DOC_ENTITY = 'bgstore-doc';

/** The entity declaration `registerStores` needs under `app.storage.entities`. */
export const DOC_ENTITY_DECLARATION = {
  name: DOC_ENTITY,
  attributes: { revision: { type: 'integer' }, schemaVersion: { type: 'integer' }, chunks: { type: 'integer' }, data: { type: 'string' } },
} as const;

// Layout. The head (a `bgstore-doc` entity under the document's key) holds the revision, and in
// `data` the state and the client table, each either whole (small ones) or as the names of the
// pieces that joined make its JSON. A piece is stored under `<key>:<name>`, its name being a hash
// of its text, so pieces never change once written: a commit writes only the pieces that are new,
// swaps the head on condition of the revision it read, and deletes pieces no longer named (`g`
// lists those it had no room to delete yet). Pieces are cut where the content says (a rolling
// hash), so changing one item rewrites the piece around it, not every piece after it. The client
// table changes on every commit, so it is kept apart from the state, in the head while small.
//
// Layout 1 (heads whose `data` is a slice of the body, pieces `<key>:c<i>` carrying `{r, d}`) is
// still read; the first commit moves it to this layout.

interface Head {
  revision: number;
  schemaVersion: number;
  chunks: number;
  data: string;
}
interface HeadData {
  /** The layout: 2. */
  v: 2;
  /** The state itself (small states), or the names of the pieces of its JSON, in order. */
  s?: unknown;
  p?: string[];
  /** The client table itself (small tables), or the names of the pieces of its JSON, in order. */
  c?: Record<string, ClientRecord>;
  q?: string[];
  /** The target piece size the state was cut with. */
  t?: number;
  /** Pieces no longer named, still to delete. */
  g?: string[];
}

/** A stored document and the piece names its head lists (and those waiting to be deleted). */
export interface StoredDoc {
  doc: DurableDoc<unknown>;
  pieces: string[];
  garbage: string[];
  target?: number;
}

/** How pieces are sized. */
export interface PieceOptions {
  /** Smallest target piece size in characters; a state up to twice this stays in the head. @default 4096 */
  minPiece?: number;
}

/** Forge's storage limits (KVS docs; the emulator's `src/kvs/README.md`): a value ≤ 240 KiB, a transaction ≤ 25 operations and ≤ 4 MB. */
const PIECE_BYTES = 200_000;
const MAX_OPERATIONS = 25;
const MAX_TRANSACTION_BYTES = 4_000_000;
const MAX_TARGET = 131_072;
/** Parts up to this many characters stay in the head (which is written on every commit anyway). */
const MAX_INLINE = 32_768;
/** A body larger than this is refused: `bgstore.load` must answer within invoke's 5 MB. */
const MAX_BODY_BYTES = 4_000_000;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
const pieceKey = (key: string, name: string) => `${key}:${name}`;
const nameOf = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 22);
const storedBytes = (text: string) => utf8(JSON.stringify(text));

// 256 fixed pseudo-random words for the rolling hash (xorshift32 from a constant seed). Changing
// them moves every cut, which costs one full rewrite per document: keep them.
const GEAR = (() => {
  const table = new Uint32Array(256);
  let x = 0x9e3779b9;
  for (let i = 0; i < 256; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    table[i] = x >>> 0;
  }
  return table;
})();

/**
 * Cuts `text` where a rolling hash of the last 32 characters has its top bits zero: about one cut
 * per `target` characters after a minimum of `target / 2`, at most `4 × target` (and what a KVS value
 * holds). The same content gets the same cuts wherever it sits.
 */
export function cutPieces(text: string, target: number): string[] {
  const bits = Math.round(Math.log2(target));
  const mask = bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
  const min = target >> 1;
  const max = Math.min(target * 4, PIECE_BYTES);
  const pieces: string[] = [];
  let start = 0;
  let h = 0;
  for (let i = 0; i < text.length; i++) {
    h = ((h << 1) + GEAR[text.charCodeAt(i) & 255]!) >>> 0;
    const length = i + 1 - start;
    if ((length >= min && (h & mask) === 0) || length >= max) {
      pieces.push(text.slice(start, i + 1));
      start = i + 1;
      h = 0;
    }
  }
  if (start < text.length) pieces.push(text.slice(start));
  // Escaped and encoded, a piece must still fit a KVS value.
  return pieces.flatMap((p) => (storedBytes(p) <= PIECE_BYTES ? [p] : fixedPieces(p)));
}

/** Cuts `text` into as few pieces as fit KVS values, ignoring content. */
function fixedPieces(text: string): string[] {
  const pieces: string[] = [];
  for (let pos = 0; pos < text.length; ) {
    let n = Math.min(text.length - pos, PIECE_BYTES);
    while (storedBytes(text.slice(pos, pos + n)) > PIECE_BYTES) n = Math.floor(n * 0.7);
    pieces.push(text.slice(pos, pos + n));
    pos += n;
  }
  return pieces;
}

/**
 * The target piece size for a body of `length` characters: the previous one while it stays within
 * [length / 20, length / 5] (so cuts do not move back and forth), else the power of two just above
 * length / 16 — a whole rewrite then takes 7 to 15 pieces — within [minPiece, 128 Ki].
 */
function targetFor(length: number, minPiece: number, previous: number | undefined): number {
  const clamp = (t: number) => Math.min(MAX_TARGET, Math.max(minPiece, t));
  if (previous !== undefined && clamp(previous) === previous && clamp(length / 20) <= previous && previous <= clamp(length / 5)) return previous;
  return clamp(2 ** Math.ceil(Math.log2(Math.max(1, length / 16))));
}

/**
 * Reads one piece, trying a failed read twice more at once: a document read takes one call per
 * piece, and one failure should not cost the whole read. Pieces never change, so this is safe.
 */
async function getPiece(key: string): Promise<string | undefined> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await kvs.get<string>(key);
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

const readHeadData = (head: Head): HeadData | undefined => (head.data.startsWith('{"v":2') ? (JSON.parse(head.data) as HeadData) : undefined);

/**
 * Reads a document: its head, then the pieces it names. A piece missing means another commit
 * replaced the revision between the reads; the read is tried again.
 */
export async function readDoc(key: string): Promise<StoredDoc | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const head = await kvs.entity<Head>(DOC_ENTITY).get(key);
    if (!head) return undefined;
    const data = readHeadData(head);
    if (!data) {
      // Layout 1: the head holds the first slice, pieces 1… carry the revision they belong to.
      const names = Array.from({ length: head.chunks - 1 }, (_, i) => `c${i + 1}`);
      const rest = await Promise.all(names.map((name) => kvs.get<{ r: number; d: string }>(pieceKey(key, name))));
      if (rest.some((p) => p?.r !== head.revision)) continue;
      const body = JSON.parse([head.data, ...rest.map((p) => p!.d)].join('')) as { state: unknown; clients: Record<string, ClientRecord> };
      return { doc: { revision: head.revision, schemaVersion: head.schemaVersion, state: body.state, clients: body.clients }, pieces: [], garbage: names };
    }
    const names = [...(data.p ?? []), ...(data.q ?? [])];
    const texts = await Promise.all([...new Set(names)].map(async (name) => [name, await getPiece(pieceKey(key, name))] as const));
    if (texts.some(([, text]) => typeof text !== 'string')) continue;
    const byName = new Map(texts as [string, string][]);
    for (const [name, text] of byName) {
      if (nameOf(text) !== name) throw new SyncError('STORAGE_FAILED', `[bgstore] document ${key}: piece ${name} does not match its name; the stored document is damaged`);
    }
    const join = (list: string[] | undefined) => JSON.parse((list ?? []).map((name) => byName.get(name)!).join('')) as unknown;
    const state = 's' in data ? data.s : join(data.p);
    const clients = ('c' in data ? data.c : join(data.q)) as Record<string, ClientRecord>;
    const doc = { revision: head.revision, schemaVersion: head.schemaVersion, state, clients };
    return { doc, pieces: names, garbage: data.g ?? [], target: data.t };
  }
  throw new SyncError('STORAGE_FAILED', `[bgstore] document ${key} kept changing while it was read`);
}

/** Reads only a document's revision (0 when none is stored). */
export async function readRevision(key: string): Promise<number> {
  return (await kvs.entity<Head>(DOC_ENTITY).get(key))?.revision ?? 0;
}

/**
 * Writes `next` in one transaction, on condition that the stored head is still `previous`'s
 * revision (or absent): the pieces it does not have yet, the head, and deletion of pieces no
 * longer named (as many as the transaction has room for; the rest on a later commit).
 * @throws SyncError `TOO_LARGE` (nothing written) when it cannot fit one transaction;
 *   `ForgeKvsAPIError` `CONDITIONAL_CHECK_FAILED` when another commit won the race
 */
export async function writeDoc(key: string, previous: StoredDoc | undefined, next: DurableDoc<unknown>, options: PieceOptions = {}): Promise<void> {
  const minPiece = options.minPiece ?? 4096;
  const state = JSON.stringify(next.state);
  const clients = JSON.stringify(next.clients);
  const size = utf8(state) + utf8(clients);
  if (size > MAX_BODY_BYTES) {
    throw new SyncError('TOO_LARGE', `[bgstore] the document would be ${size} bytes; at most ${MAX_BODY_BYTES} can be stored (bgstore.load answers within invoke's 5 MB). Nothing was written: keep less in this store, or split it`);
  }
  const stored = new Set([...(previous?.pieces ?? []), ...(previous?.garbage ?? [])]);
  const inline = (text: string, limit: number) => text.length <= limit && storedBytes(text) <= limit * 2;

  /** The pieces of both parts, and which of them storage does not have yet. */
  const plan = (stateCut: (text: string) => string[]) => {
    const p = inline(state, Math.min(2 * minPiece, MAX_INLINE)) ? undefined : stateCut(state);
    const q = inline(clients, MAX_INLINE) ? undefined : cutPieces(clients, targetFor(clients.length, minPiece, undefined));
    const named = (texts: string[]) => texts.map((text) => [nameOf(text), text] as const);
    const pieces = { p: p && named(p), q: q && named(q) };
    const names = (list: (readonly [string, string])[]) => list.map(([name]) => name);
    const data: HeadData = { v: 2, ...(pieces.p ? { p: names(pieces.p) } : { s: next.state }), ...(pieces.q ? { q: names(pieces.q) } : { c: next.clients }) };
    const seen = new Set(stored);
    const fresh: [string, string][] = [];
    for (const [name, text] of [...(pieces.p ?? []), ...(pieces.q ?? [])]) {
      if (!seen.has(name)) fresh.push([name, text]);
      seen.add(name);
    }
    return { data, fresh };
  };
  const target = targetFor(state.length, minPiece, previous?.target);
  let { data, fresh } = plan((text) => cutPieces(text, target));
  // Content-chosen cuts can come out too many for one transaction; fixed cuts are the fewest.
  if (fresh.length + 1 > MAX_OPERATIONS) ({ data, fresh } = plan(fixedPieces));
  else if (data.p) data.t = target;

  const operations = 1 + fresh.length;
  const bytes = fresh.reduce((n, [, text]) => n + storedBytes(text) + 64, storedBytes(JSON.stringify(data)));
  if (operations > MAX_OPERATIONS || bytes > MAX_TRANSACTION_BYTES) {
    throw new SyncError('TOO_LARGE', `[bgstore] the document would need ${bytes} bytes in ${operations} writes; one commit can write at most ${MAX_TRANSACTION_BYTES} bytes in ${MAX_OPERATIONS} operations. Nothing was written: keep less in this store, or split it`);
  }
  // Pieces no longer named are deleted while there is room; the rest wait in `g`.
  const named = new Set([...(data.p ?? []), ...(data.q ?? [])]);
  const unused = [...stored].filter((name) => !named.has(name));
  const deleting = unused.slice(0, MAX_OPERATIONS - operations);
  if (unused.length > deleting.length) data.g = unused.slice(deleting.length);

  const conditions = previous ? new Filter<Head>().and('revision', FilterConditions.equalTo(previous.doc.revision)) : new Filter<Head>().and('revision', FilterConditions.notExists());
  const tx = kvs.transact();
  for (const [name, text] of fresh) tx.set<string>(pieceKey(key, name), text);
  tx.set<Head>(key, { revision: next.revision, schemaVersion: next.schemaVersion, chunks: named.size, data: JSON.stringify(data) }, { entityName: DOC_ENTITY, conditions });
  for (const name of deleting) tx.delete(pieceKey(key, name));
  await tx.execute();
}
