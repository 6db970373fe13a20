import type { StoragePort } from '../storage/port';
import { readChanges } from './docChanges';
import { DOC_ENTITY, isLostRace, readDoc, readRevision, type StoredDoc } from './docStore';
import { writeDoc } from './docWrite';
import { dropInbox, inboxKey, postInbox, readInbox } from './inbox';
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

/** After another caller's commit, commits read the inbox this long (a batch that lost to it waits about as long). */
const OTHERS_WINDOW_MS = 30_000;
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
  return {
    // A 429 comes back as RATE_LIMITED: the commit loop does not retry a SyncError.
    read: (key, previous) => withRateLimit(() => readDoc(key, previous, warm, { now, sleep })),
    readRevision: (key) => withRateLimit(() => readRevision(key)),
    readChanges: (key, since, upTo) => withRateLimit(() => readChanges(key, since, warm, upTo)),
    commit: (key, previous, next, { applied, waitingUntil, caller, publishedAt }) =>
      withRateLimit(() => writeDoc(key, previous, next, { minPiece, alsoDelete: applied, waitingUntil, writer: writerOf(caller), warm, now: now(), publishedAt })),
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
    inbox: { keyOf: inboxKey, post: (entry) => postInbox(entry, now()), read: readInbox, drop: dropInbox },
  };
}
