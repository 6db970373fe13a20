import type { DurableDoc } from '@bgstore/core/durable';
import { jsonBytes, type CommitResponse, type WirePatch } from '@bgstore/protocol';
// A plain JSON diff (O(change) on immer-made states); it lives with the KVS log, which needed it first.
import { diffJson } from './kvs/docLog';
import type { DocRead, StoragePort } from './storage/port';

/** What a caller's answer is relative to: its base revision, and whether and on which document it applies patches. */
export interface AnswerBase {
  /** The revision the caller's answer is relative to. */
  baseRevision: number;
  /** The caller applies patches: what it lacks may come as patches instead of the state. */
  patches?: boolean;
  /** The stored document's id the caller's base revision belongs to (patches only for the same one). */
  doc?: string;
}

/** What a commit stored: the revision it read (`base`) and made, and the patches between them (none when the read was of another schema). */
export interface Committed {
  base: number;
  revision: number;
  patches?: WirePatch[];
  /** Whether this commit is the one to publish (at most one an interval), and the last published revision before it when that is earlier than `base`. */
  publish: boolean;
  since?: number;
  /** The read the commit was made on, to read the changes since `since` cheaply. */
  read?: DocRead;
}

/** The answer to a caller, and what its commit stored (for publishing), if anything. */
export interface Settled {
  answer: CommitResponse;
  committed?: Committed;
}

/** Patches this large are sent only if the state whole would be larger still. */
const LARGE_PATCHES = 65_536;

/**
 * The answer to a caller whose state is `baseRevision`'s: the plain answer when it can predict the
 * result; otherwise what it lacks — patches from its base (others' commits since, read from storage's
 * log, then this commit's) when storage has them — or the stored state whole.
 */
async function answerWithChanges<R extends DocRead>(storage: StoragePort<R>, key: string, read: R | undefined, doc: DurableDoc<unknown>, baseRevision: number, plain: CommitResponse, tail: WirePatch[] | undefined): Promise<CommitResponse> {
  if (plain.state === undefined || tail === undefined || baseRevision > doc.revision) return plain;
  let patches: WirePatch[] | undefined;
  if (baseRevision === doc.revision) patches = tail;
  else if (read && storage.readChanges) {
    const since = await storage.readChanges(key, baseRevision, read).catch(() => undefined);
    if (since && since.revision === doc.revision) patches = [...since.patches, ...tail];
  }
  if (!patches) return plain;
  const bytes = jsonBytes(patches);
  if (bytes > LARGE_PATCHES && bytes >= jsonBytes(plain.state)) return plain;
  const { state: _state, ...rest } = plain;
  return { ...rest, patches };
}

/** The answer to the caller (what it lacks, and the document's id), and what was stored, for publishing. */
export async function settle<R extends DocRead>(storage: StoragePort<R>, key: string, batch: AnswerBase, read: R | undefined, doc: DurableDoc<unknown>, result: { doc: DurableDoc<unknown>; changed: boolean }, plain: CommitResponse, publishing: Publishing, now: number): Promise<Settled> {
  // Patches are relative to what storage holds; a read of an older schema was migrated, so they would not apply.
  const tail = !read || read.doc.schemaVersion === doc.schemaVersion ? diffJson(doc.state, result.doc.state) : undefined;
  const sameDoc = batch.baseRevision === 0 || (read?.id !== undefined && read.id === batch.doc);
  const answered = batch.patches && sameDoc ? await answerWithChanges(storage, key, read, doc, batch.baseRevision, plain, tail) : plain;
  // The caller learns the document's id; a first commit makes one (the next read tells it).
  const named = read?.id ? { ...answered, doc: read.id } : answered;
  // The gap storage's quota asks of the document's writers, if it says (#19).
  const gapMs = storage.commitGapMs?.(result.doc, now);
  const answer = gapMs === undefined ? named : { ...named, gapMs };
  const since = publishing.publish && publishing.last !== undefined && publishing.last < doc.revision ? { since: publishing.last, read } : {};
  const committed: Committed | undefined = result.changed ? { base: doc.revision, revision: result.doc.revision, ...(tail ? { patches: tail } : {}), publish: publishing.publish, ...since } : undefined;
  return { answer, committed };
}

/** Whether a commit publishes (and records when, where storage keeps it), and the last published revision. */
export interface Publishing {
  publish: boolean;
  last?: number;
  publishedAt?: number;
}

/** A commit publishes when the document's last publish is at least `publishEveryMs` old (or storage cannot tell). */
export function publishing<R extends DocRead>(storage: StoragePort<R>, read: R | undefined, now: number, everyMs: number | undefined): Publishing {
  if (everyMs === undefined || !storage.lastPublished) return { publish: true };
  const last = read ? storage.lastPublished(read) : undefined;
  return last && Math.abs(now - last.at) < everyMs ? { publish: false, last: last.revision } : { publish: true, last: last?.revision, publishedAt: now };
}
