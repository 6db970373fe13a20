import type { ActionRecipes, StoreDefinition } from '@bgstore/core';
import { commitAnswer, commitIntents, emptyDoc, upgradeDoc, type ClientTableOptions, type DurableDoc } from '@bgstore/core/durable';
import { jsonBytes, type CommitResponse, type StoredIntent, type WirePatch } from '@bgstore/protocol';
import { retryContended, type ContentionOptions } from './contention';
// A plain JSON diff (O(change) on immer-made states); it lives with the KVS log, which needed it first.
import { diffJson } from './kvs/docLog';
import type { DocRead, StoragePort } from './storage/port';

/** Any store definition (its state and action types do not matter here). */
export type AnyDefinition = StoreDefinition<unknown, ActionRecipes<unknown>>;

/** The document a read found, brought to the definition's schema, or a new one when none is stored. */
export const currentDoc = (definition: AnyDefinition, read: DocRead | undefined): DurableDoc<unknown> =>
  read ? upgradeDoc(definition, read.doc) : (emptyDoc(definition) as DurableDoc<unknown>);

/** One caller's batch, judged and keyed: its intents carry their caller's own client-table keys. */
export interface Batch {
  /** The account that sent it (null for anonymous callers). */
  caller: string | null;
  intents: StoredIntent[];
  /** Per client (own keys): every seq ≤ floor has settled at the client. */
  floors: [string, number][];
  /** The revision the caller's answer is relative to. */
  baseRevision: number;
  /** The caller applies patches: what it lacks may come as patches instead of the state. */
  patches?: boolean;
  /** The stored document's id the caller's base revision belongs to (patches only for the same one). */
  doc?: string;
}

/** How {@link commitBatch} commits: the client table's bounds, the time intents are recorded at, and the retry budgets. */
export interface CommitSettings extends Omit<ContentionOptions, 'isLostRace' | 'onLostRace'> {
  table: ClientTableOptions;
  now: () => number;
}

/** What a commit stored: the revision it read (`base`) and made, and the patches between them (none when the read was of another schema). */
export interface Committed {
  base: number;
  revision: number;
  patches?: WirePatch[];
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

/**
 * Commits a batch to the document at `key`, combined with what waits in its inbox: each attempt
 * reads the document (only what changed since the last attempt's read) and the inbox, applies the
 * waiting batches and then this one, and commits conditionally. A lost race posts this batch to the
 * inbox, so the next winner applies it too, and tries again. The answer's outcomes are this batch's
 * only, under the intents' own keys; with it, what the commit stored (for publishing), if anything.
 */
export async function commitBatch<R extends DocRead>(storage: StoragePort<R>, definition: AnyDefinition, key: string, batch: Batch, settings: CommitSettings): Promise<{ answer: CommitResponse; committed?: Committed }> {
  const posted = { key: storage.inbox.keyOf(key, batch.caller, batch.intents), done: false };
  let previous: R | undefined;
  const attempt = async () => {
    const [read, waiting] = await Promise.all([storage.read(key, previous), storage.inbox.read(key)]);
    previous = read;
    const doc = currentDoc(definition, read);
    const others = waiting.filter((entry) => entry.key !== posted.key);
    const carried = others.flatMap((entry) => entry.intents);
    const result = commitIntents(definition, doc, [...carried, ...batch.intents], { now: settings.now(), table: settings.table, floors: batch.floors });
    const outcomes = result.outcomes.slice(carried.length);
    const applied = [...(posted.done ? [posted.key] : []), ...others.map((entry) => entry.key)];
    if (result.changed) await storage.commit(key, read, result.doc, applied);
    // Stored by others' commits: this batch's inbox entry is done with (if they did not delete it).
    else if (posted.done) await storage.inbox.drop(posted.key);
    const carriedApplied = result.outcomes.slice(0, carried.length).some((o) => !o.duplicate);
    // Patches are relative to what storage holds; a read of an older schema was migrated, so they would not apply.
    const tail = !read || read.doc.schemaVersion === doc.schemaVersion ? diffJson(doc.state, result.doc.state) : undefined;
    const plain: CommitResponse = commitAnswer(doc, batch.baseRevision, { doc: result.doc, outcomes }, carriedApplied);
    const sameDoc = batch.baseRevision === 0 || (read?.id !== undefined && read.id === batch.doc);
    const answered = batch.patches && sameDoc ? await answerWithChanges(storage, key, read, doc, batch.baseRevision, plain, tail) : plain;
    // The caller learns the document's id; a first commit makes one (the next read tells it).
    const answer = read?.id ? { ...answered, doc: read.id } : answered;
    return { answer, ...(result.changed ? { committed: { base: doc.revision, revision: result.doc.revision, ...(tail ? { patches: tail } : {}) } } : {}) };
  };
  const onLostRace = async () => {
    if (!posted.done) posted.done = await storage.inbox.post({ key: posted.key, caller: batch.caller, intents: batch.intents }).catch(() => false);
  };
  return retryContended(attempt, { ...settings, isLostRace: (error) => storage.isLostRace(error), onLostRace });
}
