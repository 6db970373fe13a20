import { kvs } from '@forge/kvs';
import type { ClientRecord, DurableDoc } from '@bgstore/core/durable';
import { SyncError } from '@bgstore/protocol';
import { decodeText, nameOf } from './pieces';

// Documents written by earlier layouts are read here; the next commit moves them to layout 3.
// - Layout 1: the head's `data` is the first slice of the body's JSON, pieces `<key>:c1…` carry
//   `{r: revision, d: slice}`.
// - Layout 2: `data` is `{v: 2, s | p, c | q, t, g}` — the state and client table whole or as the
//   names of content-addressed pieces `<key>:<hash>`, and pieces still to delete.

/** What an older head's `data` holds. */
export type LegacyHead = { v: 1 } | { v: 2; s?: unknown; p?: string[]; c?: Record<string, ClientRecord>; q?: string[]; g?: string[] };

/** A document's head: the `bgstore-doc` entity under the document's key. */
export interface Head {
  revision: number;
  schemaVersion: number;
  chunks: number;
  data: string;
}

/**
 * Reads a document of layout 1 or 2: the document and the names (under `<key>:`) of every piece
 * it has stored, for the move to delete. `undefined` when a piece is missing or of another
 * revision (a commit replaced the document meanwhile): read again.
 */
export async function readLegacy(key: string, head: Head, data: LegacyHead): Promise<{ doc: DurableDoc<unknown>; named: string[] } | undefined> {
  if (data.v === 1) {
    const names = Array.from({ length: head.chunks - 1 }, (_, i) => `c${i + 1}`);
    const rest = await Promise.all(names.map((name) => kvs.get<{ r: number; d: string }>(`${key}:${name}`)));
    if (rest.some((p) => p?.r !== head.revision)) return undefined;
    const body = JSON.parse([head.data, ...rest.map((p) => p!.d)].join('')) as { state: unknown; clients: Record<string, ClientRecord> };
    return { doc: { revision: head.revision, schemaVersion: head.schemaVersion, state: body.state, clients: body.clients }, named: names };
  }
  const names = [...new Set([...(data.p ?? []), ...(data.q ?? [])])];
  const texts = await Promise.all(names.map(async (name) => [name, await kvs.get<string>(`${key}:${name}`)] as const));
  if (texts.some(([, text]) => typeof text !== 'string')) return undefined;
  const byName = new Map(texts as [string, string][]);
  for (const [name, text] of byName) {
    // Moving to layout 3 rewrites a piece encoded under the same name: the document changed meanwhile.
    if (nameOf(text) !== name && nameOf(decodeText(text)) === name) return undefined;
    if (nameOf(text) !== name) throw new SyncError('STORAGE_FAILED', `[bgstore] document ${key}: piece ${name} does not match its name; the stored document is damaged`);
  }
  const join = (list: string[] | undefined) => JSON.parse((list ?? []).map((name) => byName.get(name)!).join('')) as unknown;
  const state = 's' in data ? data.s : join(data.p);
  const clients = ('c' in data ? data.c : join(data.q)) as Record<string, ClientRecord>;
  return { doc: { revision: head.revision, schemaVersion: head.schemaVersion, state, clients }, named: [...names, ...(data.g ?? [])] };
}
