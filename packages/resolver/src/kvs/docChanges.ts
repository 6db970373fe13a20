import { kvs } from '@forge/kvs';
import type { DocChanges } from '../storage/port';
import type { LogEntry } from './docLog';
import { DOC_ENTITY, parseHead, type HeadData, type StoredDoc } from './docStore';
import type { Head } from './legacyLayouts';
import { takeTail } from './logTail';
import { fetchEntries, type ReadCache, type WarmDocuments } from './readCache';

// The read side of "only what the caller lacks": a caller that holds revision `since` needs the log
// entries after it, not the snapshot. That is the head, whose tail holds the latest entries, and a
// batched read of older ones (a few KVS units however large the document).

/** A caller further behind than this reads the whole document (its changes would cost about as much). */
const MAX_CHANGES = 256;

const range = (from: number, to: number) => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

/** What the log entries after a revision add up to: their patches in order, and the client records they leave written or removed. */
export function changesOf(revision: number, schemaVersion: number, entries: readonly LogEntry[], id?: string): DocChanges {
  const clients: Record<string, unknown> = {};
  const removed = new Set<string>();
  for (const entry of entries) {
    for (const id of entry.x ?? []) {
      delete clients[id];
      removed.add(id);
    }
    for (const [id, record] of Object.entries(entry.c ?? {})) {
      clients[id] = record;
      removed.delete(id);
    }
  }
  return { revision, schemaVersion, ...(id ? { id } : {}), patches: entries.flatMap((e) => e.p ?? []), steps: entries.map((e) => e.p?.length ?? 0), clients, removed: [...removed] };
}

/**
 * The changes after `since` (see `StoragePort.readChanges`): up to `upTo`'s revision when given
 * (its entries are mostly in its cache already), else up to the stored head's, read now. Undefined
 * when they are not in the log: `since` is before the current snapshot, further behind than
 * {@link MAX_CHANGES}, ahead of storage, or of an older layout; or a commit folded them meanwhile.
 */
export async function readChanges(key: string, since: number, warm: WarmDocuments, upTo?: StoredDoc): Promise<DocChanges | undefined> {
  let at: { revision: number; schemaVersion: number; data: HeadData; cache: ReadCache };
  if (upTo) {
    if (upTo.layout.v !== 3) return undefined;
    at = { revision: upTo.doc.revision, schemaVersion: upTo.doc.schemaVersion, data: upTo.layout.head, cache: upTo.cache };
  } else {
    const head = await kvs.entity<Head>(DOC_ENTITY).get(key);
    if (!head) return undefined;
    const data = parseHead(head);
    // An older layout keeps no log (nor an id): only "unchanged" can be answered without the document.
    if (data.v !== 3) return head.revision === since ? changesOf(since, head.schemaVersion, []) : undefined;
    at = { revision: head.revision, schemaVersion: head.schemaVersion, data, cache: warm.get(key, data.i) };
  }
  if (since === at.revision) return changesOf(since, at.schemaVersion, [], at.data.i);
  if (since > at.revision || since < at.data.b || at.revision - since > MAX_CHANGES) return undefined;
  const revisions = range(since + 1, at.revision);
  // The head's tail usually holds them: nothing more is read.
  takeTail(key, at.data, at.revision, at.cache, revisions);
  if (!(await fetchEntries(key, revisions, at.cache))) return undefined;
  return changesOf(at.revision, at.schemaVersion, revisions.map((r) => at.cache.entries.get(r)!), at.data.i);
}
