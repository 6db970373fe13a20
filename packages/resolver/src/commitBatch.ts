import type { ActionRecipes, StoreDefinition } from '@bgstore/core';
import { commitAnswer, commitIntents, emptyDoc, upgradeDoc, type ClientTableOptions, type DurableDoc } from '@bgstore/core/durable';
import { isSyncError, jsonBytes, type CommitResponse, type StoredIntent, type SyncError, type WirePatch } from '@bgstore/protocol';
import { retryContended, type ContentionOptions } from './contention';
import { checkWait, CONTENDED_MS, LetOlderLead, olderLeads } from './inboxWait';
// A plain JSON diff (O(change) on immer-made states); it lives with the KVS log, which needed it first.
import { diffJson } from './kvs/docLog';
import type { DocRead, InboxEntry, StoragePort } from './storage/port';

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
export interface CommitSettings extends Omit<ContentionOptions, 'isLostRace' | 'onLostRace' | 'raceWait'> {
  table: ClientTableOptions;
  now: () => number;
  /** Commits are published on Realtime at most this often per document (see `StoragePort.lastPublished`); absent: nothing is published. */
  publishEveryMs?: number;
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
async function settle<R extends DocRead>(storage: StoragePort<R>, key: string, batch: Batch, read: R | undefined, doc: DurableDoc<unknown>, result: { doc: DurableDoc<unknown>; changed: boolean }, plain: CommitResponse, publishing: Publishing, now: number) {
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
interface Publishing {
  publish: boolean;
  last?: number;
  publishedAt?: number;
}

/** A commit publishes when the document's last publish is at least `publishEveryMs` old (or storage cannot tell). */
function publishing<R extends DocRead>(storage: StoragePort<R>, read: R | undefined, now: number, everyMs: number | undefined): Publishing {
  if (everyMs === undefined || !storage.lastPublished) return { publish: true };
  const last = read ? storage.lastPublished(read) : undefined;
  return last && Math.abs(now - last.at) < everyMs ? { publish: false, last: last.revision } : { publish: true, last: last?.revision, publishedAt: now };
}

/**
 * How long a posted batch may wait beyond its poster's contention budget. By then its poster has
 * answered (invoke allows 25 s), so nothing may apply it any more: commits ignore it, storage drops it.
 */
export const INBOX_GRACE_MS = 20_000;

/** A caller's intents, each recorded as refused for `reason`: what withdraws a waiting batch. */
const refusedAll = (intents: readonly StoredIntent[], reason: SyncError): StoredIntent[] => intents.map((i) => ({ ...i, refused: { code: 'TOO_LARGE', message: reason.message } }));
const isTooLarge = (error: unknown): error is SyncError => isSyncError(error) && error.code === 'TOO_LARGE';

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
export async function commitBatch<R extends DocRead>(storage: StoragePort<R>, definition: AnyDefinition, key: string, batch: Batch, settings: CommitSettings): Promise<{ answer: CommitResponse; committed?: Committed }> {
  const ttl = settings.budgetMs + INBOX_GRACE_MS;
  // `live`: the posted entry may still be in the inbox (until this commit or a reading shows it gone).
  const posted = { key: storage.inbox.keyOf(key, batch.caller, batch.intents, settings.now()), live: false };
  let previous: R | undefined;
  /** Whether this commit lost a race: others are writing, so the inbox is read with the document. */
  let lost = false;
  /** Whether the batch waits in the inbox for a winner: attempts check before they commit. */
  let waiting = false;
  /** Whether waiting batches are carried (not after they made a commit too large). */
  let carry = true;
  /** Where this instance saw the document contended, the batch is posted before anything is read. */
  let postFirst = storage.contended?.(key, settings.now()) ?? false;
  /** What the backend expects the document to be: the first attempt commits on it without reading. */
  let guessed = postFirst ? undefined : storage.guess?.(key);
  const readBoth = async (now: number): Promise<[R | undefined, InboxEntry[]]> => {
    // On a guess, only the waiting batches storage knows of without asking (#19).
    if (guessed) return [guessed, storage.inbox.known?.(key, now) ?? []];
    if (lost) return Promise.all([storage.read(key, previous), storage.inbox.read(key, now)]);
    const read = await storage.read(key, previous);
    return [read, storage.mayHaveWaiting(read, batch.caller, now) ? await storage.inbox.read(key, now) : []];
  };
  const post = async () => {
    if (posted.live) return;
    posted.live = await storage.inbox.post({ key: posted.key, caller: batch.caller, intents: batch.intents, expires: settings.now() + ttl }).catch(() => false);
    waiting = posted.live;
  };
  /** A waiting batch's check: the document, and whether its intents are all stored (by a winner, or before). */
  const check = async (now: number) => {
    const read = await storage.read(key, previous);
    previous = read;
    const doc = currentDoc(definition, read);
    const own = commitIntents(definition, doc, batch.intents, { now, table: settings.table, floors: batch.floors });
    return { read, doc, own };
  };
  const attempt = async (): Promise<{ answer: CommitResponse; committed?: Committed }> => {
    const now = settings.now();
    if (postFirst) {
      postFirst = false;
      await post();
      // Posted: wait for a winner (the contention loop's wait) before the first check.
      if (posted.live) throw new LetOlderLead();
    }
    let read: R | undefined;
    let listed: InboxEntry[];
    if (waiting) {
      const checked = await check(now);
      read = checked.read;
      if (!checked.own.changed) {
        // Stored: the winner that applied the entry deleted it with its commit (or left it to expire, applied).
        posted.live = false;
        return settle(storage, key, batch, read, checked.doc, checked.own, commitAnswer(checked.doc, batch.baseRevision, checked.own), publishing(storage, read, now, settings.publishEveryMs), now);
      }
      listed = await storage.inbox.read(key, now);
      if (olderLeads(listed, posted.key, now, settings.retryDelayMs)) throw new LetOlderLead();
    } else {
      [read, listed] = await readBoth(now);
      previous = read;
    }
    const doc = currentDoc(definition, read);
    const publish = publishing(storage, read, now, settings.publishEveryMs);
    const ownListed = listed.some((entry) => entry.key === posted.key);
    let others = carry ? listed.filter((entry) => entry.key !== posted.key) : [];
    let intents = batch.intents;
    for (;;) {
      // A carried batch runs with the caller that posted it (its entry's, from that caller's context).
      const carried = others.flatMap((entry) => entry.intents.map((i) => ({ ...i, caller: entry.caller })));
      const result = commitIntents(definition, doc, [...carried, ...intents], { now, table: settings.table, floors: batch.floors });
      if (guessed && !result.changed) {
        // Nothing to store: the answer is then the stored document's, which a guess may be behind.
        guessed = undefined;
        return attempt();
      }
      const applied = [...(posted.live ? [posted.key] : []), ...others.map((entry) => entry.key)];
      // Entries left waiting (not carried): later commits read the inbox until they expire. A race lost
      // or batches carried mean others are writing: later commits read it a while, instances that see it post first.
      const left = listed.filter((entry) => entry.key !== posted.key && !applied.includes(entry.key));
      const contended = lost || others.length > 0;
      const waitingUntil = Math.max(contended ? now + CONTENDED_MS : 0, ...left.map((entry) => entry.expires ?? now + ttl));
      try {
        if (result.changed) {
          const post = { key: posted.key, caller: batch.caller, intents: batch.intents, expires: now + ttl };
          const kept = await storage.commit(key, read, result.doc, { applied, waitingUntil, caller: batch.caller, post, ...(publish.publishedAt === undefined ? {} : { publishedAt: publish.publishedAt }) });
          if (!kept.includes(posted.key)) posted.live = false;
          // Others' entries it had no room to delete (a fold): applied, so they leave the inbox now.
          const leftOver = kept.filter((k) => k !== posted.key);
          if (leftOver.length) await (storage.inbox.dropAll ? storage.inbox.dropAll(leftOver) : Promise.all(leftOver.map((k) => storage.inbox.drop(k))));
        } else if (posted.live && ownListed) {
          // Stored by others' commits, which left the entry (no room): this batch is done with it.
          await storage.inbox.drop(posted.key);
          posted.live = false;
        } else if (lost) posted.live = false;
      } catch (error) {
        if (!isTooLarge(error)) {
          // A race lost on what was read (not on a guess, which is just behind): others are writing.
          if (!guessed && storage.isLostRace(error)) lost = true;
          throw error;
        }
        if (others.length) {
          // Others' batches must not cost this one its commit: without them.
          others = [];
          carry = false;
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
  };
  const onLostRace = async () => {
    if (waiting) return;
    lost = true;
    await post();
  };
  // A guess that was behind is not a race lost to a commit in flight: read and try again at once —
  // unless storage left the batch waiting for the next winner with it (#19), then it waits as posted.
  // Nor is a refusal for size a verdict on what is stored (others may have shrunk it): read first.
  const attemptOnGuess = async () => {
    try {
      return await attempt();
    } catch (error) {
      if (!guessed || !(storage.isLostRace(error) || isTooLarge(error)) || storage.leftWaiting?.(error)) throw error;
      guessed = undefined;
      return attempt();
    } finally {
      guessed = undefined;
    }
  };
  /** Checks made so far: a posted batch waits on its own schedule (see inboxWait.ts). */
  let checks = 0;
  const random = settings.random ?? Math.random;
  try {
    return await retryContended(attemptOnGuess, {
      ...settings,
      isLostRace: (error) => error instanceof LetOlderLead || storage.isLostRace(error),
      onLostRace,
      raceWait: () => (waiting ? checkWait(++checks, posted.key, settings.retryDelayMs, random) : undefined),
    });
  } finally {
    // Whatever the answer, the entry leaves the inbox with it: nothing applies it after.
    if (posted.live) await storage.inbox.drop(posted.key);
  }
}
