import type { ActionRecipes, StoreDefinition } from '@bgstore/core';
import { commitAnswer, commitIntents, emptyDoc, upgradeDoc, type ClientTableOptions, type DurableDoc } from '@bgstore/core/durable';
import { isSyncError, type StoredIntent, type SyncError } from '@bgstore/protocol';
import { retryContended, type ContentionOptions } from './contention';
import { checkWait, CONTENDED_MS, LetOlderLead, olderLeads } from './inboxWait';
import { writersIn } from './writers';
import { publishing, settle, type AnswerBase, type Publishing, type Settled } from './settle';
import type { DocRead, InboxEntry, StoragePort } from './storage/port';

/** Any store definition (its state and action types do not matter here). */
export type AnyDefinition = StoreDefinition<unknown, ActionRecipes<unknown>>;

/** The document a read found, brought to the definition's schema, or a new one when none is stored. */
export const currentDoc = (definition: AnyDefinition, read: DocRead | undefined): DurableDoc<unknown> =>
  read ? upgradeDoc(definition, read.doc) : (emptyDoc(definition) as DurableDoc<unknown>);

/** One caller's batch, judged and keyed: its intents carry their caller's own client-table keys. */
export interface Batch extends AnswerBase {
  /** The account that sent it (null for anonymous callers). */
  caller: string | null;
  intents: StoredIntent[];
  /** Per client (own keys): every seq ≤ floor has settled at the client. */
  floors: [string, number][];
}

/** How {@link commitBatch} commits: the client table's bounds, the time intents are recorded at, and the retry budgets. */
export interface CommitSettings extends Omit<ContentionOptions, 'isLostRace' | 'onLostRace' | 'raceWait'> {
  table: ClientTableOptions;
  now: () => number;
  /** Commits are published on Realtime at most this often per document (see `StoragePort.lastPublished`); absent: nothing is published. */
  publishEveryMs?: number;
}

/**
 * How long a posted batch may wait beyond its poster's contention budget. By then its poster has
 * answered (invoke allows 25 s), so nothing may apply it any more: commits ignore it, storage drops it.
 */
export const INBOX_GRACE_MS = 20_000;

/** A caller's intents, each recorded as refused for `reason`: what withdraws a waiting batch. */
const refusedAll = (intents: readonly StoredIntent[], reason: SyncError): StoredIntent[] => intents.map((i) => ({ ...i, refused: { code: 'TOO_LARGE', message: reason.message } }));
const isTooLarge = (error: unknown): error is SyncError => isSyncError(error) && error.code === 'TOO_LARGE';

/** One commit of a batch: what it commits, and what its attempts share (they change the mutable fields). */
interface Commit<R extends DocRead> {
  readonly storage: StoragePort<R>;
  readonly definition: AnyDefinition;
  readonly key: string;
  readonly batch: Batch;
  readonly settings: CommitSettings;
  /** How long a posted entry may wait: the contention budget and the grace. */
  readonly ttl: number;
  /** `live`: the posted entry may still be in the inbox (until this commit or a reading shows it gone). */
  readonly posted: { key: string; live: boolean };
  /** The last read: the next reads only what changed since. */
  previous: R | undefined;
  /** Whether this commit lost a race: others are writing, so the inbox is read with the document. */
  lost: boolean;
  /** Whether the batch waits in the inbox for a winner: attempts check before they commit. */
  waiting: boolean;
  /** Whether waiting batches are carried (not after they made a commit too large). */
  carry: boolean;
  /** Where this instance saw the document contended, the batch is posted before anything is read. */
  postFirst: boolean;
  /** What the backend expects the document to be: the first attempt commits on it without reading. */
  guessed: R | undefined;
}

/** What one attempt read: the document (as stored and brought to the schema), the waiting batches listed, and whether it publishes. */
interface Attempt<R extends DocRead> {
  now: number;
  read: R | undefined;
  doc: DurableDoc<unknown>;
  listed: InboxEntry[];
  publish: Publishing;
}

/** The document (or the guess) and, when batches may wait there, the inbox's entries. */
async function readBoth<R extends DocRead>(c: Commit<R>, now: number): Promise<[R | undefined, InboxEntry[]]> {
  const { storage, key } = c;
  // On a guess, only the waiting batches storage knows of without asking (#19).
  if (c.guessed) return [c.guessed, storage.inbox.known?.(key, now) ?? []];
  if (c.lost) return Promise.all([storage.read(key, c.previous), storage.inbox.read(key, now)]);
  const read = await storage.read(key, c.previous);
  return [read, storage.mayHaveWaiting(read, c.batch.caller, now) ? await storage.inbox.read(key, now) : []];
}

/** Posts the batch to the inbox (once), so that the next winner applies it: from then on it waits. */
async function post<R extends DocRead>(c: Commit<R>): Promise<void> {
  if (c.posted.live) return;
  c.posted.live = await c.storage.inbox.post({ key: c.posted.key, caller: c.batch.caller, intents: c.batch.intents, expires: c.settings.now() + c.ttl }).catch(() => false);
  c.waiting = c.posted.live;
}

/** A waiting batch's check: the document, and whether its intents are all stored (by a winner, or before). */
async function check<R extends DocRead>(c: Commit<R>, now: number) {
  const read = await c.storage.read(c.key, c.previous);
  c.previous = read;
  const doc = currentDoc(c.definition, read);
  const own = commitIntents(c.definition, doc, c.batch.intents, { now, table: c.settings.table, floors: c.batch.floors });
  return { read, doc, own };
}

/** One attempt: post first or check (when waiting), or read; then combine and store. */
async function attempt<R extends DocRead>(c: Commit<R>): Promise<Settled> {
  const { storage, key, batch, settings } = c;
  const now = settings.now();
  if (c.postFirst) {
    c.postFirst = false;
    await post(c);
    // Posted: wait for a winner (the contention loop's wait) before the first check.
    if (c.posted.live) throw new LetOlderLead();
  }
  let read: R | undefined;
  let listed: InboxEntry[];
  if (c.waiting) {
    const checked = await check(c, now);
    read = checked.read;
    if (!checked.own.changed) {
      // Stored: the winner that applied the entry deleted it with its commit (or left it to expire, applied).
      c.posted.live = false;
      return settle(storage, key, batch, read, checked.doc, checked.own, commitAnswer(checked.doc, batch.baseRevision, checked.own), publishing(storage, read, now, settings.publishEveryMs), now);
    }
    listed = await storage.inbox.read(key, now);
    if (olderLeads(listed, c.posted.key, now, settings.retryDelayMs)) throw new LetOlderLead();
  } else {
    [read, listed] = await readBoth(c, now);
    c.previous = read;
  }
  const settled = await combine(c, { now, read, doc: currentDoc(c.definition, read), listed, publish: publishing(storage, read, now, settings.publishEveryMs) });
  // None: the guess may be behind (nothing to store on it), so the attempt is made again on a read.
  return settled ?? attempt(c);
}

/**
 * Applies the carried batches and then this one to what the attempt read, and stores the result
 * conditionally. Too large, it tries again without the carried batches, or with its own withdrawn.
 * Undefined when the commit was on a guess and has nothing to store (the guess is then dropped).
 */
async function combine<R extends DocRead>(c: Commit<R>, at: Attempt<R>): Promise<Settled | undefined> {
  const { storage, definition, key, batch, settings, posted, ttl } = c;
  const { now, read, doc, listed, publish } = at;
  const ownListed = listed.some((entry) => entry.key === posted.key);
  let others = c.carry ? listed.filter((entry) => entry.key !== posted.key) : [];
  let intents = batch.intents;
  for (;;) {
    // A carried batch runs with the caller that posted it (its entry's, from that caller's context).
    const carried = others.flatMap((entry) => entry.intents.map((i) => ({ ...i, caller: entry.caller })));
    const result = commitIntents(definition, doc, [...carried, ...intents], { now, table: settings.table, floors: batch.floors });
    if (c.guessed && !result.changed) {
      // Nothing to store: the answer is then the stored document's, which a guess may be behind.
      c.guessed = undefined;
      return undefined;
    }
    const applied = [...(posted.live ? [posted.key] : []), ...others.map((entry) => entry.key)];
    // Entries left waiting (not carried): later commits read the inbox until they expire. A race lost
    // or batches carried mean others are writing: later commits read it a while, instances that see it post first.
    const left = listed.filter((entry) => entry.key !== posted.key && !applied.includes(entry.key));
    const contended = c.lost || others.length > 0;
    const waitingUntil = Math.max(contended ? now + CONTENDED_MS : 0, ...left.map((entry) => entry.expires ?? now + ttl));
    try {
      if (result.changed) {
        const own = { key: posted.key, caller: batch.caller, intents: batch.intents, expires: now + ttl };
        const kept = await storage.commit(key, read, result.doc, { applied, waitingUntil, caller: batch.caller, post: own, ...(publish.publishedAt === undefined ? {} : { publishedAt: publish.publishedAt }) });
        if (!kept.includes(posted.key)) posted.live = false;
        // Others' entries it had no room to delete (a fold): applied, so they leave the inbox now.
        const leftOver = kept.filter((k) => k !== posted.key);
        if (leftOver.length) await (storage.inbox.dropAll ? storage.inbox.dropAll(leftOver) : Promise.all(leftOver.map((k) => storage.inbox.drop(k))));
      } else if (posted.live && ownListed) {
        // Stored by others' commits, which left the entry (no room): this batch is done with it.
        await storage.inbox.drop(posted.key);
        posted.live = false;
      } else if (c.lost) posted.live = false;
    } catch (error) {
      if (!isTooLarge(error)) {
        // A race lost on what was read (not on a guess, which is just behind): others are writing.
        if (!c.guessed && storage.isLostRace(error)) c.lost = true;
        throw error;
      }
      if (others.length) {
        // Others' batches must not cost this one its commit: without them.
        others = [];
        c.carry = false;
        continue;
      }
      // Its own batch no longer fits. Posted, it may still be applied from the inbox by a commit that
      // wins later: withdraw it in storage (refused, as it is answered), deleting its entry.
      if (!posted.live || intents !== batch.intents) throw error;
      intents = refusedAll(batch.intents, error);
      continue;
    }
    const outcomes = result.outcomes.slice(carried.length);
    const carriedApplied = result.outcomes.slice(0, carried.length).some((o) => !o.duplicate);
    return settle(storage, key, batch, read, doc, result, commitAnswer(doc, batch.baseRevision, { doc: result.doc, outcomes }, carriedApplied), publish, now);
  }
}

// A guess that was behind is not a race lost to a commit in flight: read and try again at once —
// unless storage left the batch waiting for the next winner with it (#19), then it waits as posted.
// Nor is a refusal for size a verdict on what is stored (others may have shrunk it): read first.
async function attemptOnGuess<R extends DocRead>(c: Commit<R>): Promise<Settled> {
  try {
    return await attempt(c);
  } catch (error) {
    if (!c.guessed || !(c.storage.isLostRace(error) || isTooLarge(error)) || c.storage.leftWaiting?.(error)) throw error;
    c.guessed = undefined;
    return attempt(c);
  } finally {
    c.guessed = undefined;
  }
}

/**
 * Commits a batch to the document at `key`, combined with what waits in its inbox: an attempt reads
 * the document (only what changed since the last read) and, when the head says batches may wait,
 * the inbox; applies the waiting batches and then this one, and commits conditionally. A lost race
 * posts this batch to the inbox, so the next winner applies it too; from then on the batch waits
 * (see inboxWait.ts): each check reads only the document, answers once its intents are stored, and
 * commits itself (reading the inbox) only when they are not and no older batch waits to lead. Where
 * this instance saw the document contended (`StoragePort.contended`) the batch is posted first.
 * The answer's outcomes are this batch's only, under the intents' own keys; with it, what the commit
 * stored (for publishing), if anything.
 * Waiting batches never cost this one its commit: when they make it too large it commits alone. A
 * posted batch that itself no longer fits is withdrawn — its intents stored as refused — so what its
 * caller is told is what storage holds; and the poster deletes its entry before answering, unless a
 * check found it applied (the winner deleted it with its commit).
 */
export async function commitBatch<R extends DocRead>(storage: StoragePort<R>, definition: AnyDefinition, key: string, batch: Batch, settings: CommitSettings): Promise<Settled> {
  const ttl = settings.budgetMs + INBOX_GRACE_MS;
  const posted = { key: storage.inbox.keyOf(key, batch.caller, batch.intents, settings.now()), live: false };
  const postFirst = storage.contended?.(key, settings.now()) ?? false;
  const guessed = postFirst ? undefined : storage.guess?.(key);
  const c: Commit<R> = { storage, definition, key, batch, settings, ttl, posted, previous: undefined, lost: false, waiting: false, carry: true, postFirst, guessed };
  // Checks made so far: a posted batch waits on its own schedule (see inboxWait.ts).
  let checks = 0;
  const random = settings.random ?? Math.random;
  try {
    return await retryContended(() => attemptOnGuess(c), {
      ...settings,
      isLostRace: (error) => error instanceof LetOlderLead || storage.isLostRace(error),
      onLostRace: async () => {
        if (c.waiting) return;
        c.lost = true;
        await post(c);
      },
      // (Sooner with few writers, where storage has room for it: `StoragePort.earlyChecks`.)
      raceWait: () => (c.waiting ? checkWait(++checks, posted.key, settings.retryDelayMs, random, storage.earlyChecks ? writersIn((c.previous ?? guessed)?.doc) : Infinity) : undefined),
    });
  } finally {
    // Whatever the answer, the entry leaves the inbox with it: nothing applies it after.
    if (posted.live) await storage.inbox.drop(posted.key);
  }
}
