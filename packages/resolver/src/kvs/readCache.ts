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
  const wanted = [...new Set(names)].filter((name) => !cache.texts.has(name));
  if (wanted.length === 0) return true;
  const got = await getMany(wanted.map((name) => pieceKey(key, name)));
  let complete = true;
  for (const name of wanted) {
    const raw = got.get(pieceKey(key, name));
    if (typeof raw !== 'string') {
      complete = false;
      continue;
    }
    const text = unpackText(raw, `document ${key}: piece ${name}`);
    if (nameOf(text) !== name) throw new SyncError('STORAGE_FAILED', `[bgstore] document ${key}: piece ${name} does not match its name; the stored document is damaged`);
    cache.texts.set(name, text);
    if (isUncompressed(raw)) (cache.uncompressed ??= new Set()).add(name);
  }
  return complete;
}

/** Reads log entries not yet in the cache into it; false if one is missing. */
export async function fetchEntries(key: string, revisions: number[], cache: ReadCache, required = true): Promise<boolean> {
  const wanted = revisions.filter((r) => !cache.entries.has(r));
  if (wanted.length === 0) return true;
  const got = await getMany(wanted.map((r) => entryKey(key, r)));
  let complete = true;
  for (const r of wanted) {
    const raw = got.get(entryKey(key, r));
    if (typeof raw !== 'string') {
      complete = false;
      continue;
    }
    const entry = JSON.parse(unpackText(raw, `document ${key}: log entry ${r}`)) as LogEntry;
    if (entry.r !== r) throw new SyncError('STORAGE_FAILED', `[bgstore] document ${key}: log entry ${r} names revision ${entry.r}; the stored document is damaged`);
    cache.entries.set(r, entry);
  }
  return complete || !required;
}

export const joinPieces = (names: string[] | undefined, cache: ReadCache) => JSON.parse((names ?? []).map((name) => cache.texts.get(name)!).join('')) as unknown;
