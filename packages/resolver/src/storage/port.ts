import type { DurableDoc } from '@bgstore/core/durable';
import type { StoredIntent, WirePatch } from '@bgstore/protocol';

// The storage port: everything `registerStores` asks of where documents live. A backend answers
// with whole documents and revisions; how it lays them out (KVS heads, pieces and logs; SQL rows)
// stays behind it. Each call stands alone, so a backend whose requests are single statements fits:
// `commit` is conditional on the revision read, and correctness never rests on a transaction
// spanning calls. A backend may keep what reads learned (immutable parts) between calls, never the
// head: every `read` asks storage for the current revision (only `guess` may answer without asking,
// for a commit, whose condition then checks it).
// Room to grow without breaking a backend: optional members, such as `readChanges` (the changes
// since a caller's revision, for answers with only what the caller lacks). The commit loop
// (`commitBatch`) and the load answer decide when to call what, so such policies change there, not
// in each backend.

/**
 * One read of a stored document: the document with its revision, and whatever the backend keeps to
 * commit after it or to read the same document again cheaply (only the backend looks at the rest).
 */
export interface DocRead {
  readonly doc: DurableDoc<unknown>;
  /** The stored document's id, if the backend keeps one: another after the document is deleted and stored again. */
  readonly id?: string;
}

/** What changed in a document after a revision: as a backend's log holds it, without the state. */
export interface DocChanges {
  /** The revision the changes lead to. */
  revision: number;
  /** The document's id (see `DocRead.id`). */
  id?: string;
  schemaVersion: number;
  /** Patches taking the state at the revision asked about to `revision`'s, in order. */
  patches: WirePatch[];
  /** How many of `patches` each revision made, in order (optional: lets a Realtime publish say where each revision starts). */
  steps?: number[];
  /** Client-table records written since (whole records, by table key), and keys removed since. */
  clients: Record<string, unknown>;
  removed: string[];
}

/** A batch waiting in a document's inbox for the next commit that wins to apply it too. */
export interface InboxEntry {
  /** The entry's own key (unique per batch; entries are read oldest first). */
  key: string;
  /** The account that posted it (null for anonymous callers), as its own context said. */
  caller: string | null;
  /** Its intents, client ids already the caller's own keys and its policy's refusals recorded. */
  intents: StoredIntent[];
  /** Until when (ms) a commit may apply it; after that it is ignored and storage drops it. */
  expires?: number;
}

/**
 * Where batches whose commit lost the race wait, so commits combine instead of queueing. Entries are
 * hints: read late or not at all, applied at most once (the client table dedupes), deleted by the
 * commit that applied them or by their poster before it answers, and ignored once they expire.
 */
export interface Inbox {
  /** The key a batch posted at `now` is posted under for document `key`. */
  keyOf(key: string, caller: string | null, intents: readonly StoredIntent[], now: number): string;
  /** Posts a batch, to expire at `entry.expires`; false (nothing posted) when it is too large to wait there. */
  post(entry: InboxEntry): Promise<boolean>;
  /** The longest-waiting batches of document `key` not expired at `now` (a bounded few); none when reading fails. */
  read(key: string, now: number): Promise<InboxEntry[]>;
  /**
   * The waiting batches of document `key` this instance knows of without a request (its last read of
   * them, and what it posted since), for a commit on a `guess` to carry. Optional; without it: none.
   */
  known?(key: string, now: number): InboxEntry[];
  /** Deletes an entry (applied, or its poster answered); a failure leaves it to expire. */
  drop(entryKey: string): Promise<void>;
  /** Deletes entries a commit applied but had no room to delete, in as few requests as storage allows. Optional: else one `drop` each. */
  dropAll?(entryKeys: readonly string[]): Promise<void>;
}

/** What a commit tells storage beyond the document: the inbox entries it applied, and what may still wait. */
export interface CommitNote {
  /** Inbox entries `next` includes, to delete with it where room allows. */
  applied: readonly string[];
  /**
   * Until when (ms) the document's inbox may hold entries, as far as this commit knows (0: none):
   * entries it left, or a while after it lost a race or carried others' batches (the document is
   * contended). Kept with the document, so a later commit reads the inbox only while someone may
   * have posted.
   */
  waitingUntil: number;
  /** Who commits (null: anonymous): a later commit by someone else reads the inbox a while. */
  caller: string | null;
  /** This commit is published on Realtime at this time: kept with the document (see `StoragePort.lastPublished`). */
  publishedAt?: number;
  /**
   * This commit's own batch, as it would be posted to the inbox if the commit loses its race. A
   * backend that can leave it for the next commit in the same request as the commit does so (then
   * `inbox.post` of it answers true without posting again); others ignore it.
   */
  post?: InboxEntry;
}

/**
 * A storage backend for durable documents, keyed by `documentKey` (one per store and scope).
 * `R` is the backend's read: what `read` answers and `commit` and the next `read` take back.
 */
export interface StoragePort<R extends DocRead = DocRead> {
  /**
   * Reads the document at `key`, undefined when none is stored. With `previous` (an earlier read of
   * the same key, e.g. before a lost race) a backend may read only the changes since its revision.
   * A read that keeps seeing other commits replace what it reads throws a lost race.
   */
  read(key: string, previous?: R): Promise<R | undefined>;
  /**
   * What this instance last knew of the document, without a request, when the backend expects it to
   * be current (e.g. its own last commit, with nobody else writing since): a commit may start from
   * it instead of a `read`. `commit` on it is conditional as always, so a guess that was behind
   * fails as a lost race, and the commit reads and tries again at once. Optional; undefined: read.
   */
  guess?(key: string): R | undefined;
  /** Only the document's revision, 0 when none is stored: the cheapest read there is. */
  readRevision(key: string): Promise<number>;
  /**
   * The changes after revision `since`: up to `upTo`'s revision (a read this backend answered), or
   * else up to the stored revision (no patches when that is `since`). Undefined when the backend no
   * longer has them (or never kept them, or they would cost about as much as the document): the
   * caller reads the whole document instead. Optional: without it, callers always get documents.
   */
  readChanges?(key: string, since: number, upTo?: R): Promise<DocChanges | undefined>;
  /**
   * Stores `next` (its revision one above `previous`'s) on condition that the stored revision is
   * still `previous`'s (or that none is stored, without `previous`); else throws a lost race and
   * writes nothing. Answers the applied inbox entries it did not delete (no room).
   * @throws SyncError `TOO_LARGE` (nothing written) when `next` cannot be stored
   */
  commit(key: string, previous: R | undefined, next: DurableDoc<unknown>, note: CommitNote): Promise<readonly string[]>;
  /**
   * Whether the document's inbox may hold entries for a commit by `caller` at `now`, as the last
   * commit noted: it left entries waiting, or someone else committed lately. A lone writer's
   * commits skip the inbox read. A backend that cannot tell answers true.
   */
  mayHaveWaiting(read: R | undefined, caller: string | null, now: number): boolean;
  /**
   * Whether this instance saw the document contended lately (a head saying batches wait, a race
   * lost): a commit then posts its batch to the inbox first and waits for a winner to apply it,
   * instead of reading and racing (see commitBatch). Optional; without it: never.
   */
  contended?(key: string, now: number): boolean;
  /**
   * The last revision a commit published on Realtime, and when, as the read's document keeps it
   * (`CommitNote.publishedAt`): commits on every instance publish at most once an interval. Optional:
   * without it every commit publishes.
   */
  lastPublished?(read: R): { revision: number; at: number } | undefined;
  /**
   * The widest gap (ms) a page need keep between its commits to `doc` at `now` so that the
   * document's writers stay within storage's request quota, told to the page with the answer
   * (`CommitResponse.gapMs`); pages use their own (`maxCommitGapMs`) where it is narrower. Optional;
   * without it (KVS): none is told.
   */
  commitGapMs?(doc: DurableDoc<unknown>, now: number): number | undefined;
  /**
   * Whether a posted batch's first check may come sooner on a document with few writers (see
   * inboxWait.ts): where the request quota has room for a check that comes too soon (Forge SQL).
   * Optional; without it (KVS, whose read units bind first) the full wait.
   */
  readonly earlyChecks?: boolean;
  /** Whether `error` (from `read` or `commit`) means other commits got there first: retry, do not fail. */
  isLostRace(error: unknown): boolean;
  /**
   * Whether a lost race (see `isLostRace`) left the commit's batch waiting for the next winner (see
   * `CommitNote.post`): even a commit on a `guess` then waits to be carried instead of reading and
   * trying again at once. Optional; without it: never.
   */
  leftWaiting?(error: unknown): boolean;
  /** How to fix storage when `error` means it is set up wrong (retrying cannot help), else undefined. */
  misconfiguration(error: unknown): string | undefined;
  readonly inbox: Inbox;
}
