import { Filter, FilterConditions, kvs } from '@forge/kvs';
import type { ClientRecord, DurableDoc } from '@bgstore/core';
import { SyncError } from '@bgstore/protocol';

/** The custom entity holding each document's head; declare it in `manifest.yml` (see README). */
export const DOC_ENTITY = 'bgstore-doc';

/** The entity declaration `registerStores` needs under `app.storage.entities`. */
export const DOC_ENTITY_DECLARATION = {
  name: DOC_ENTITY,
  attributes: { revision: { type: 'integer' }, schemaVersion: { type: 'integer' }, chunks: { type: 'integer' }, data: { type: 'string' } },
} as const;

interface Head {
  revision: number;
  schemaVersion: number;
  chunks: number;
  data: string;
}

/** A stored document and how many pieces it is split into. */
export interface StoredDoc {
  doc: DurableDoc<unknown>;
  chunks: number;
}

/** Forge's limits (FORGE.md): a value ≤ 240 KiB, a transaction ≤ 25 operations and ≤ 4 MB. */
const PIECE_BYTES = 200_000;
const MAX_OPERATIONS = 25;
const MAX_TRANSACTION_BYTES = 4_000_000;

const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
// Pieces keep their key across revisions (so a rewrite costs one operation per piece) and carry
// the revision they belong to, so a read that races a write notices and reads again.
const chunkKey = (key: string, i: number) => `${key}:c${i}`;

interface Piece {
  r: number;
  d: string;
}

/** Splits JSON text into pieces whose stored form fits a KVS value. */
function split(json: string): string[] {
  const pieces: string[] = [];
  for (let pos = 0; pos < json.length; ) {
    let n = Math.min(json.length - pos, PIECE_BYTES);
    while (utf8(JSON.stringify(json.slice(pos, pos + n))) > PIECE_BYTES) n = Math.floor(n * 0.7);
    pieces.push(json.slice(pos, pos + n));
    pos += n;
  }
  return pieces.length ? pieces : [''];
}

/**
 * Reads a document: its head, then the pieces of that revision. A piece missing means another
 * commit replaced the revision between the reads; the read is tried again.
 */
export async function readDoc(key: string): Promise<StoredDoc | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const head = await kvs.entity<Head>(DOC_ENTITY).get(key);
    if (!head) return undefined;
    const rest = await Promise.all(Array.from({ length: head.chunks - 1 }, (_, i) => kvs.get<Piece>(chunkKey(key, i + 1))));
    if (rest.some((p) => p?.r !== head.revision)) continue;
    const body = JSON.parse([head.data, ...rest.map((p) => p!.d)].join('')) as { state: unknown; clients: Record<string, ClientRecord> };
    return { doc: { revision: head.revision, schemaVersion: head.schemaVersion, state: body.state, clients: body.clients }, chunks: head.chunks };
  }
  throw new SyncError('STORAGE_FAILED', `[bgstore] document ${key} kept changing while it was read`);
}

/** Reads only a document's revision (0 when none is stored). */
export async function readRevision(key: string): Promise<number> {
  return (await kvs.entity<Head>(DOC_ENTITY).get(key))?.revision ?? 0;
}

/**
 * Writes `next` in one transaction, on condition that the stored head is still `previous`'s
 * revision (or absent): the head, every piece, and deletion of pieces a shrunk document no longer has.
 * @throws SyncError `TOO_LARGE` (nothing written) when it cannot fit one transaction;
 *   `ForgeKvsAPIError` `CONDITIONAL_CHECK_FAILED` when another commit won the race
 */
export async function writeDoc(key: string, previous: StoredDoc | undefined, next: DurableDoc<unknown>): Promise<void> {
  const pieces = split(JSON.stringify({ state: next.state, clients: next.clients }));
  const operations = Math.max(pieces.length, previous?.chunks ?? 0);
  const bytes = pieces.reduce((n, p) => n + utf8(p) + 32, 0);
  if (operations > MAX_OPERATIONS || bytes > MAX_TRANSACTION_BYTES) {
    throw new SyncError('TOO_LARGE', `[bgstore] the document would be ${bytes} bytes in ${pieces.length} pieces; one commit can write at most ${MAX_TRANSACTION_BYTES} bytes in ${MAX_OPERATIONS} operations. Nothing was written: keep less in this store, or split it`);
  }
  const conditions = previous ? new Filter<Head>().and('revision', FilterConditions.equalTo(previous.doc.revision)) : new Filter<Head>().and('revision', FilterConditions.notExists());
  const tx = kvs.transact().set<Head>(key, { revision: next.revision, schemaVersion: next.schemaVersion, chunks: pieces.length, data: pieces[0]! }, { entityName: DOC_ENTITY, conditions });
  pieces.slice(1).forEach((piece, i) => tx.set<Piece>(chunkKey(key, i + 1), { r: next.revision, d: piece }));
  for (let i = pieces.length; previous && i < previous.chunks; i++) tx.delete(chunkKey(key, i));
  await tx.execute();
}
