import type { ClientRecord } from '@bgstore/core/durable';
import { replayEntries, type LogEntry } from './docLog';
import type { HeadData, Manifest, StoredDoc } from './docStore';
import { fetchParts, fetchPieces, joinPieces, type ReadCache } from './readCache';
import { stateHash } from './stateHash';

// A cold read completed with the caller's base instead of the snapshot's pieces (#17). The base is
// forged until proven: it is brought to the head's revision with the log as storage holds it, and
// used only when its hash then equals the head's `h`. The client table is not the caller's to give
// (it holds other callers' records): it is read as ever, from the manifest and the log — a few
// hundred bytes each, where the state is most of the document.

/** What a caller says its state is: the state at `revision` of the document `doc` (its id, when it knew one). */
export interface CallerBase {
  revision: number;
  doc?: string;
  state: unknown;
}

/** What a read with a base came to: the document, or something storage replaced meanwhile (read again), or a base that does not check out (read the pieces). */
export type BaseRead = { read: StoredDoc } | 'missing' | 'refused';

/**
 * Whether `base` can stand in for the snapshot of the head `data` at `revision`: the head keeps a
 * hash, names pieces (a state kept whole in the manifest costs nothing more to read), and the base
 * is of this document at or after the snapshot (the log since it is there to bring it forward).
 */
export const baseFits = (base: CallerBase, data: HeadData, revision: number) =>
  data.h !== undefined && (data.f?.length ?? 0) > 0 && (base.doc === undefined || base.doc === data.i) && base.revision >= data.b && base.revision <= revision;

/**
 * Reads what a cold read needs beside the state — the manifest, the log entries after the snapshot
 * that the head's tail lacks (`revisions`, the tail already taken into `c`), the client table's pieces —
 * and brings `base` to `revision` with the log. Its hash must equal the head's, else `refused`.
 */
export async function readWithBase(key: string, revision: number, schemaVersion: number, data: HeadData, revisions: number[], c: ReadCache, base: CallerBase): Promise<BaseRead> {
  const missing = await fetchParts(key, [data.m], revisions, c);
  if (missing.size > 0) return 'missing';
  const manifest = JSON.parse(c.texts.get(data.m)!) as Manifest;
  if (!manifest.p) return 'refused'; // the state is whole in the manifest: the ordinary read has it all
  if (manifest.q && !(await fetchPieces(key, manifest.q, c))) return 'missing';
  if (!revisions.every((r) => c.entries.has(r))) return 'missing';
  const entries = revisions.map((r) => c.entries.get(r)!);
  let state: unknown;
  try {
    // Patches that do not apply to the base mean it is not the state it claims to be; nor is one
    // too deep to hash (a stack overflow is a RangeError, not a verdict on storage).
    state = replayEntries(base.state, {}, entries.filter((e) => e.r > base.revision)).state;
    if (stateHash(state) !== data.h) return 'refused';
  } catch {
    return 'refused';
  }
  const table = 'c' in manifest ? manifest.c! : (joinPieces(manifest.q, c) as Record<string, unknown>);
  const clients = replayEntries(null, table, entries.map(({ r, c: changed, x }): LogEntry => ({ r, ...(changed ? { c: changed } : {}), ...(x ? { x } : {}) }))).clients;
  c.latest = { snapshot: data.m, revision, state, clients };
  for (const name of c.texts.keys()) if (name !== data.m) c.texts.delete(name);
  const doc = { revision, schemaVersion, state, clients: clients as Record<string, ClientRecord> };
  return { read: { doc, id: data.i, layout: { v: 3, head: data, manifest, named: [data.m, ...(manifest.p ?? []), ...(manifest.q ?? [])] }, cache: c } };
}
