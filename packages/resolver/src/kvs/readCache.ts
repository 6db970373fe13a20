import { kvs } from '@forge/kvs';
import { SyncError } from '@bgstore/protocol';
import type { LogEntry } from './docLog';
import { isUncompressed, nameOf, unpackText } from './pieces';
import { isKvsRateLimited } from './rateLimit';

// What reads of a document keep, and the reads of immutable parts (pieces, log entries) into it.

const BATCH = 25;

export const pieceKey = (key: string, name: string) => `${key}:${name}`;
export const entryKey = (key: string, revision: number) => `${key}:l${revision}`;

/**
 * What reads keep of immutable things — pieces (named by their hash), log entries (by revision),
 * the parsed snapshot and the latest replayed state — so the next read of the same document reads
 * only what is new: the head and the entries after the revision it knows.
 */
export interface ReadCache {
  /** The document id these belong to. */
  id?: string;
  texts: Map<string, string>;
  entries: Map<number, LogEntry>;
  snapshot?: { name: string; state: unknown; clients: Record<string, unknown> };
  latest?: { snapshot: string; revision: number; state: unknown; clients: Record<string, unknown> };
  /** Pieces read as stored before compression: the next snapshot writes them again, compressed. */
  uncompressed?: Set<string>;
}

export const newCache = (id?: string): ReadCache => ({ id, texts: new Map(), entries: new Map() });
/**
 * What a warm function instance keeps of its last few documents, keyed by storage key and the
 * document's id, so another invocation on the same document (the next commit, a page load) reads
 * only the head and what is new. Everything kept is immutable under its key and was checked (pieces
 * against their hash), and the head is always read: it never answers for storage.
 */
export interface WarmDocuments {
  /** @internal */
  get(key: string, id: string): ReadCache;
  /** @internal whether a state of the document at `key` is kept (of any id): a read then needs no pieces. */
  has(key: string): boolean;
}

/** Keeps the caches of the last `size` documents read or written (0: none, every read is cold). */
export function createWarmDocuments(size: number): WarmDocuments {
  const docs = new Map<string, ReadCache>();
  return {
    get(key, id) {
      const slot = `${key}#${id}`;
      const cache = docs.get(slot) ?? newCache(id);
      docs.delete(slot);
      if (size > 0) docs.set(slot, cache);
      while (docs.size > size) docs.delete(docs.keys().next().value!);
      return cache;
    },
    has: (key) => [...docs].some(([slot, cache]) => slot.startsWith(`${key}#`) && cache.latest !== undefined),
  };
}


/**
 * Reads plain keys with `batchGet`, 25 at a time in parallel, each batch tried up to three times:
 * what it reads never changes, so retrying is safe. Absent keys are absent from the answer.
 */
async function getMany(keys: string[]): Promise<Map<string, unknown>> {
  const out = new Map<string, unknown>();
  const batches = Array.from({ length: Math.ceil(keys.length / BATCH) }, (_, i) => keys.slice(i * BATCH, (i + 1) * BATCH));
  await Promise.all(
    batches.map(async (batch) => {
      for (let attempt = 1; ; attempt++) {
        try {
          const { successfulKeys } = await kvs.batchGet<unknown>(batch.map((key) => ({ key })));
          for (const { key, value } of successfulKeys) out.set(key, value);
          return;
        } catch (error) {
          // A spent quota stays spent for the rest of its window: trying again at once only adds to it.
          if (attempt >= 3 || isKvsRateLimited(error)) throw error;
        }
      }
    }),
  );
  return out;
}

/** Reads pieces not yet in the cache into it; false if one is missing (a later commit deleted it). */
export async function fetchPieces(key: string, names: string[], cache: ReadCache): Promise<boolean> {
  return (await fetchParts(key, names, [], cache)).size === 0;
}

/** Reads log entries not yet in the cache into it; false if one is missing. */
export async function fetchEntries(key: string, revisions: number[], cache: ReadCache, required = true): Promise<boolean> {
  return (await fetchParts(key, [], revisions, cache)).size === 0 || !required;
}

/**
 * Reads pieces and log entries not yet in the cache into it, together: one batch get for up to 25
 * keys (Forge bills a batch as one request, by its answer's bytes), so a cold read asks for the
 * manifest, the pieces and the log in as few requests as their bytes need. Answers the names of
 * pieces (`name`) and entries (`l<revision>`) that are missing: a later commit deleted them.
 */
export async function fetchParts(key: string, names: string[], revisions: number[], cache: ReadCache): Promise<Set<string>> {
  const pieces = [...new Set(names)].filter((name) => !cache.texts.has(name));
  const entries = [...new Set(revisions)].filter((r) => !cache.entries.has(r));
  const missing = new Set<string>();
  if (pieces.length + entries.length === 0) return missing;
  const got = await getMany([...pieces.map((name) => pieceKey(key, name)), ...entries.map((r) => entryKey(key, r))]);
  for (const name of pieces) {
    const raw = got.get(pieceKey(key, name));
    if (typeof raw !== 'string') {
      missing.add(name);
      continue;
    }
    const text = unpackText(raw, `document ${key}: piece ${name}`);
    if (nameOf(text) !== name) throw new SyncError('STORAGE_FAILED', `[bgstore] document ${key}: piece ${name} does not match its name; the stored document is damaged`);
    cache.texts.set(name, text);
    if (isUncompressed(raw)) (cache.uncompressed ??= new Set()).add(name);
  }
  for (const r of entries) {
    const raw = got.get(entryKey(key, r));
    if (typeof raw === 'string') cache.entries.set(r, parseEntry(key, raw, r));
    else missing.add(`l${r}`);
  }
  return missing;
}

/** A stored log entry (a value as `packText` made it), checked to be of revision `r`. */
export function parseEntry(key: string, raw: unknown, r: number): LogEntry {
  if (typeof raw !== 'string') throw new SyncError('STORAGE_FAILED', `[bgstore] document ${key}: log entry ${r} is not a stored value; the stored document is damaged`);
  const entry = JSON.parse(unpackText(raw, `document ${key}: log entry ${r}`)) as LogEntry;
  if (entry?.r !== r) throw new SyncError('STORAGE_FAILED', `[bgstore] document ${key}: log entry ${r} names revision ${entry?.r}; the stored document is damaged`);
  return entry;
}

export const joinPieces = (names: string[] | undefined, cache: ReadCache) => JSON.parse((names ?? []).map((name) => cache.texts.get(name)!).join('')) as unknown;
