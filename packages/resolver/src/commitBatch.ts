import type { ActionRecipes, StoreDefinition } from '@bgstore/core';
import { commitAnswer, commitIntents, emptyDoc, upgradeDoc, type ClientTableOptions, type DurableDoc } from '@bgstore/core/durable';
import type { CommitResponse, StoredIntent } from '@bgstore/protocol';
import { retryContended, type ContentionOptions } from './contention';
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
}

/** How {@link commitBatch} commits: the client table's bounds, the time intents are recorded at, and the retry budgets. */
export interface CommitSettings extends Omit<ContentionOptions, 'isLostRace' | 'onLostRace'> {
  table: ClientTableOptions;
  now: () => number;
}

/**
 * Commits a batch to the document at `key`, combined with what waits in its inbox: each attempt
 * reads the document (only what changed since the last attempt's read) and the inbox, applies the
 * waiting batches and then this one, and commits conditionally. A lost race posts this batch to the
 * inbox, so the next winner applies it too, and tries again. The answer's outcomes are this batch's
 * only, under the intents' own keys.
 */
export async function commitBatch<R extends DocRead>(storage: StoragePort<R>, definition: AnyDefinition, key: string, batch: Batch, settings: CommitSettings): Promise<CommitResponse> {
  const posted = { key: storage.inbox.keyOf(key, batch.caller, batch.intents), done: false };
  let previous: R | undefined;
  const attempt = async (): Promise<CommitResponse> => {
    const [read, waiting] = await Promise.all([storage.read(key, previous), storage.inbox.read(key)]);
    previous = read;
    const doc = currentDoc(definition, read);
    const others = waiting.filter((entry) => entry.key !== posted.key);
    // Entries posted before intents recorded their caller run with the entry's.
    const carried = others.flatMap((entry) => entry.intents.map((i) => (i.caller === undefined ? { ...i, caller: entry.caller } : i)));
    const result = commitIntents(definition, doc, [...carried, ...batch.intents], { now: settings.now(), table: settings.table, floors: batch.floors });
    const outcomes = result.outcomes.slice(carried.length);
    const applied = [...(posted.done ? [posted.key] : []), ...others.map((entry) => entry.key)];
    if (result.changed) await storage.commit(key, read, result.doc, applied);
    // Stored by others' commits: this batch's inbox entry is done with (if they did not delete it).
    else if (posted.done) await storage.inbox.drop(posted.key);
    const carriedApplied = result.outcomes.slice(0, carried.length).some((o) => !o.duplicate);
    return commitAnswer(doc, batch.baseRevision, { doc: result.doc, outcomes }, carriedApplied);
  };
  const onLostRace = async () => {
    if (!posted.done) posted.done = await storage.inbox.post({ key: posted.key, caller: batch.caller, intents: batch.intents }).catch(() => false);
  };
  return retryContended(attempt, { ...settings, isLostRace: (error) => storage.isLostRace(error), onLostRace });
}
