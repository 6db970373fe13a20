import { keptKey } from '../installation';
import type { StoragePort } from '../storage/port';
import { readChanges } from './docChanges';
import { DOC_ENTITY, isLostRace, readDoc, readRevision, type StoredDoc } from './docStore';
import { writeDoc } from './docWrite';
import { dropInbox, dropInboxAll, inboxKey, postInbox, readInbox } from './inbox';
import { nameOf } from './pieces';
import { withRateLimit } from './rateLimit';
import { createWarmDocuments, type WarmDocuments } from './readCache';

/** Options of {@link createKvsStorage}. */
export interface KvsStorageOptions {
  /** Documents whose immutable parts a warm function instance keeps between invocations (0: none). @default 4 */
  warmDocuments?: number;
  /** @internal what is kept, when the caller shares it (registerStores' cold commits, coldBase.ts); else `warmDocuments` of its own. */
  warm?: WarmDocuments;
  /** Smallest target piece size in characters; a state up to twice this stays whole. @default 4096 */
  minPiece?: number;
  /** The time, for inbox entries' lifetimes and garbage's grace. @default Date.now */
  now?: () => number;
  /** Waits before a read overtaken by commits tries again (see `readDoc`). @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * After another caller's commit, commits read the inbox this long: a batch that lost the race to it
 * was posted at once, and its poster commits it itself if no winner has within about a second (see
 * inboxWait.ts). Longer waits are flagged in the head (`p`) by the commits that saw them.
 */
const OTHERS_WINDOW_MS = 1_500;
/** Documents whose contention an instance remembers (beyond, all are forgotten). */
const MAX_REMEMBERED = 64;
/** Who committed, as the head keeps it: a short hash (the head names no account). */
const writerOf = (caller: string | null) => nameOf(`w:${caller ?? ''}`).slice(0, 8);

/** KVS answers that mean storage is set up wrong: retrying cannot help. */
const MISCONFIGURED = new Set(['INVALID_ENTITY_TYPE', 'ENTITY_TYPE_TOO_SHORT', 'ENTITY_TYPE_TOO_LARGE', 'NOT_FOUND_ENTITY', 'FORBIDDEN', 'PERMISSION_DENIED', 'MISSING_SCOPE']);

function misconfiguration(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && MISCONFIGURED.has(code)) {
    return `storage is not set up for bgstore (${code}): declare the '${DOC_ENTITY}' entity under app.storage.entities in manifest.yml (DOC_ENTITY_DECLARATION) and the storage:app scope, then deploy again`;
  }
  // @forge/kvs outside a Forge function (or without storage) has no runtime fetch to call.
  if (error instanceof TypeError && /__forge_fetch__/.test(error.message)) {
    return `no Forge storage here (${error.message}): registerStores must run in a Forge function whose app has the storage:app scope in manifest.yml`;
  }
  return undefined;
}

/**
 * Documents in Forge KVS (layout 3, see the README): a small head entity per document, the state in
 * content-addressed pieces, a log of changes, and an inbox of waiting batches per document.
 * @throws TypeError when `minPiece` is not an integer of at least 16
 */
export function createKvsStorage(options: KvsStorageOptions = {}): StoragePort<StoredDoc> {
  const warm = options.warm ?? createWarmDocuments(options.warmDocuments ?? 4);
  const { minPiece, now = Date.now, sleep } = options;
  if (minPiece !== undefined && !(Number.isSafeInteger(minPiece) && minPiece >= 16)) {
    throw new TypeError(`[bgstore] registerStores: minPiece must be an integer of at least 16, got ${String(minPiece)}`);
  }
  // Until when each document counts as contended on this instance (per installation: one instance serves many).
  const contendedUntil = new Map<string, number>();
  const sawContended = (key: string, until: number | undefined) => {
    if (until === undefined || until <= (contendedUntil.get(keptKey(key)) ?? 0)) return;
    if (contendedUntil.size >= MAX_REMEMBERED) contendedUntil.clear();
    contendedUntil.set(keptKey(key), until);
  };
  return {
    // A 429 comes back as RATE_LIMITED: the commit loop does not retry a SyncError.
    read: async (key, previous) => {
      const read = await withRateLimit(() => readDoc(key, previous, warm, { now, sleep }));
      if (read?.layout.v === 3) sawContended(key, read.layout.head.p);
      return read;
    },
    readRevision: (key) => withRateLimit(() => readRevision(key)),
    readChanges: (key, since, upTo) => withRateLimit(() => readChanges(key, since, warm, upTo)),
    commit: async (key, previous, next, { applied, waitingUntil, caller, publishedAt }) => {
      const kept = await withRateLimit(() => writeDoc(key, previous, next, { minPiece, alsoDelete: applied, waitingUntil, writer: writerOf(caller), warm, now: now(), publishedAt }));
      // What the head now says (only what heads say counts: another instance could not know more).
      sawContended(key, waitingUntil);
      return kept;
    },
    contended: (key, at) => (contendedUntil.get(keptKey(key)) ?? 0) > at,
    lastPublished: (read) => (read.layout.v === 3 && read.layout.head.u ? { revision: read.layout.head.u[0], at: read.layout.head.u[1] } : undefined),
    mayHaveWaiting(read, caller, at) {
      if (!read) return false;
      // Heads of earlier layouts say nothing of the inbox: read it, as they did.
      if (read.layout.v !== 3) return true;
      const { p, w } = read.layout.head;
      return (p ?? 0) > at || (w !== undefined && w[0] !== writerOf(caller) && at - w[1] < OTHERS_WINDOW_MS);
    },
    isLostRace,
    misconfiguration,
    inbox: { keyOf: inboxKey, post: (entry) => postInbox(entry, now()), read: readInbox, drop: dropInbox, dropAll: dropInboxAll },
  };
}
