import { keptKey } from '../installation';
import type { Inbox, InboxEntry } from '../storage/port';
import type { Guesses } from './guesses';
import type { InboxSink } from './readSqlDoc';
import type { SqlDoc, WarmSqlDocs } from './sqlDocStore';
import { createSqlInbox } from './sqlInbox';
import type { WithTables } from './tables';

// What one `sqlStorage()` keeps on its function instance, shared by its read (instanceRead.ts), commit
// (instanceCommit.ts) and inbox (instanceInbox.ts): warm copies, guesses, and which batches it knows
// to be waiting where, so that a commit learns most of that without a request of its own.

/** What waits for a commit, as its read found it (the inbox table's rows, the latest rows' batches), and the document read. */
export type Waiting = NonNullable<Parameters<InboxSink>[0]> & { doc: SqlDoc | undefined };

/** Waiting batches one commit carries at most: by count, and by their intents' JSON characters. */
const CARRY_ENTRIES = 32;
const CARRY_CHARS = 400_000;

/**
 * The longest-waiting batches one commit carries. Under many writers most batches wait on rows (a
 * loser's INSERT leaves them there). More per commit would serve more posters at once, but every
 * attempt replays them all (a recipe run per intent), and a lost attempt throws that work away:
 * profiled at 200 pages with 256, replaying carried intents took most of the CPU.
 */
export function carriedAtMost(entries: InboxEntry[]): InboxEntry[] {
  let chars = 0;
  const taken: InboxEntry[] = [];
  for (const entry of entries) {
    chars += JSON.stringify(entry.intents).length;
    if (taken.length >= CARRY_ENTRIES || (taken.length > 0 && chars > CARRY_CHARS)) break;
    taken.push(entry);
  }
  return taken;
}

/** One `sqlStorage()`'s state; the maps are keyed by `keptKey` (of the current installation). */
export interface SqlInstance {
  warm: WarmSqlDocs;
  guesses: Guesses;
  /** The clock (`SqlStorageOptions.now`). */
  now: () => number;
  withTables: WithTables;
  /** The inbox table's own calls. */
  inbox: Inbox;
  /**
   * Every read fetches the document's inbox rows (and the latest row's waiting batches) in its own
   * answer; the inbox read that follows it (with it, or after it) takes them from there instead of
   * asking again.
   */
  alongside: Map<string, Promise<Waiting | undefined>>;
  /**
   * Entries of the inbox table in the last whole read of it, by document: only those are deleted
   * (a batch waiting on a log row goes with the next row; one already deleted needs no request).
   */
  inTable: Map<string, Set<string>>;
  /** Entries a lost commit just left on the row that won (their post is done)… */
  postedOnRow: Set<string>;
  /** …and on which row. */
  postedRows: Map<string, number>;
  /** Entries known to wait on a log row: never deleted (later rows supersede them). */
  rowEntries: Set<string>;
  /**
   * The batches this instance posted that may still wait, by document: a commit on a guess carries
   * them (no request). Not the others a read found waiting: a blind guess mostly loses, and each
   * carried batch is replayed for nothing then (leaders, which read, carry those). Bounded.
   */
  knownWaiting: Map<string, InboxEntry[]>;
  /** Sets the batches `knownWaiting` holds for document `key` (its latest few; the map is bounded). */
  remember(key: string, entries: InboxEntry[]): void;
}

/** The state of a new `sqlStorage()`: nothing known to wait yet. */
export function createSqlInstance(parts: Pick<SqlInstance, 'warm' | 'guesses' | 'now' | 'withTables'>): SqlInstance {
  const knownWaiting = new Map<string, InboxEntry[]>();
  return {
    ...parts,
    inbox: createSqlInbox(),
    alongside: new Map(),
    inTable: new Map(),
    postedOnRow: new Set(),
    postedRows: new Map(),
    rowEntries: new Set(),
    knownWaiting,
    remember(key, entries) {
      if (knownWaiting.size > 64) knownWaiting.clear();
      knownWaiting.set(keptKey(key), entries.slice(-CARRY_ENTRIES));
    },
  };
}
