import { migrationRunner, sql } from '@forge/sql';
import { createClientTable } from '@bgstore/core/durable';
import type { InboxEntry, StoragePort } from '../storage/port';
import { isMissingColumn, isMissingTable, withSqlRateLimit } from './client';
import { createGuesses } from './guesses';
import { sqlCommitGapMs } from './commitGap';
import { currentInstallation, keptKey, warmPerInstallation } from '../installation';
import { enqueueBgstoreMigrations } from './schema';
import { readSqlChanges } from './sqlChanges';
import { createSqlInbox, dropEntries, entryText, parseInboxRows, splitKey } from './sqlInbox';
import { createWarmSqlDocs, INBOX_READ_LIMIT, PENDING_ROWS, pendingLine, pendingRows, readSqlDoc, readSqlRevision, SqlLostRaceError, writeSqlDoc, type InboxSink, type SqlDoc } from './sqlDocStore';

/** What waits for a commit, as its read found it (the inbox table's rows, the latest rows' batches), and the document read. */
type Waiting = NonNullable<Parameters<InboxSink>[0]> & { doc: SqlDoc | undefined };

/** Waiting batches one commit carries at most: by count, and by their intents' JSON characters. */
const CARRY_ENTRIES = 32;
const CARRY_CHARS = 400_000;

/**
 * The longest-waiting batches one commit carries. Under many writers most batches wait on rows (a
 * loser's INSERT leaves them there). More per commit would serve more posters at once, but every
 * attempt replays them all (a recipe run per intent), and a lost attempt throws that work away:
 * profiled at 200 pages with 256, replaying carried intents took most of the CPU.
 */
function carriedAtMost(entries: InboxEntry[]): InboxEntry[] {
  let chars = 0;
  const taken: InboxEntry[] = [];
  for (const entry of entries) {
    chars += JSON.stringify(entry.intents).length;
    if (taken.length >= CARRY_ENTRIES || (taken.length > 0 && chars > CARRY_CHARS)) break;
    taken.push(entry);
  }
  return taken;
}

/** Options of {@link sqlStorage}. */
export interface SqlStorageOptions {
  /** Documents this function instance remembers, so its next read asks only for newer rows (0: none). @default 4 */
  warmDocuments?: number;
  /**
   * Create bgstore's tables (through `@forge/sql`'s migration runner) the first time they are found
   * missing. Off: run `enqueueBgstoreMigrations(migrationRunner).run()` yourself, e.g. on install. @default true
   */
  migrate?: boolean;
  /**
   * Commit on what this instance last stored or read, without reading first, while nobody else is
   * seen writing the document: a lone writer's commit is then one request (the INSERT, on condition
   * that no later revision exists). A guess that was behind costs one request more than a read would
   * have; after one, commits read first until a read finds nobody else wrote. @default true
   */
  guess?: boolean;
  /** Stamps inbox entries. @default Date.now */
  now?: () => number;
}

const MANIFEST_HINT = "add a Forge SQL module to manifest.yml (modules: sql: - key: main, engine: mysql) and deploy again";

function misconfiguration(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'APP_NOT_ENABLED') return `Forge SQL is not enabled for this app (${code}): ${MANIFEST_HINT}`;
  if (isMissingTable(error)) return "bgstore's tables are missing: run enqueueBgstoreMigrations(migrationRunner).run() from @bgstore/resolver/sql (or leave sqlStorage's `migrate` on)";
  if (error instanceof Error && error.name === 'MigrationExecutionError') return `bgstore's tables could not be created (${error.message}): ${String((error as { cause?: unknown }).cause)}`;
  if (error instanceof TypeError && /__forge_fetch__/.test(error.message)) return `no Forge runtime here (${error.message}): registerStores must run in a Forge function, and ${MANIFEST_HINT}`;
  return undefined;
}

type Runner = typeof migrationRunner;

/**
 * Documents in Forge SQL instead of KVS: pass it as `registerStores(resolver, stores, { storage:
 * sqlStorage() })`. Every guarantee is the KVS backend's (exactly once, per-caller policies, read
 * policy, schema migration, byte limits, garbage collection); each request is one statement, and a
 * commit is one INSERT of the next revision's row. Needs a `sql` module in the manifest.
 */
export function sqlStorage(options: SqlStorageOptions = {}): StoragePort<SqlDoc> {
  const warm = warmPerInstallation(createWarmSqlDocs(options.warmDocuments ?? 4));
  const migrate = options.migrate ?? true;
  // Migrations in flight, by installation: calls that meet missing tables at once share one run.
  const migrating = new Map<string, Promise<unknown>>();
  const migrateHere = () => {
    const installation = currentInstallation();
    let run = migrating.get(installation);
    if (!run) {
      run = enqueueBgstoreMigrations(new (migrationRunner.constructor as new (client: typeof sql) => Runner)(sql)).run().finally(() => migrating.delete(installation));
      migrating.set(installation, run);
    }
    return run;
  };
  // A call that meets missing tables creates them and tries again.
  // A 429 comes back as RATE_LIMITED (the commit loop does not retry a SyncError).
  const withTables = <T>(run: () => Promise<T>): Promise<T> =>
    withSqlRateLimit(async () => {
      try {
        return await run();
      } catch (error) {
        // (A missing column: tables of an older release, a migration to run.)
        if (!migrate || !(isMissingTable(error) || isMissingColumn(error))) throw error;
        await migrateHere();
        return run();
      }
    });
  const inbox = createSqlInbox();
  const now = options.now ?? Date.now;
  // Every read fetches the document's inbox rows (and the latest row's waiting batches) in its own
  // answer; the inbox read that follows it (with it, or after it) takes them from there instead of
  // asking again.
  const alongside = new Map<string, Promise<Waiting | undefined>>();
  // Entries of the inbox table in the last whole read of it, by document: only those are deleted
  // (a batch waiting on a log row goes with the next row; one already deleted needs no request).
  const inTable = new Map<string, Set<string>>();
  // Entries a lost commit just left on the row that won (their post is done), and on which row.
  const postedOnRow = new Set<string>();
  const postedRows = new Map<string, number>();
  // Entries known to wait on a log row: never deleted (later rows supersede them).
  const rowEntries = new Set<string>();
  const guesses = createGuesses(warm, options.guess !== false, now);
  // The batches this instance posted that may still wait, by document: a commit on a guess carries
  // them (no request). Not the others a read found waiting: a blind guess mostly loses, and each
  // carried batch is replayed for nothing then (leaders, which read, carry those). Bounded.
  const knownWaiting = new Map<string, InboxEntry[]>();
  const remember = (key: string, entries: InboxEntry[]) => {
    if (knownWaiting.size > 64) knownWaiting.clear();
    knownWaiting.set(keptKey(key), entries.slice(-CARRY_ENTRIES));
  };
  const read = async (key: string, previous: SqlDoc | undefined) => {
    let done!: (waiting: Waiting | undefined) => void;
    // (Set before any wait: the inbox read that goes with this read may start at once.)
    alongside.set(keptKey(key), new Promise<Waiting | undefined>((resolve) => (done = resolve)));
    // What the last read found waiting, in its own answer.
    const last: { seen?: Parameters<InboxSink>[0] } = {};
    const readOnce = async (from: SqlDoc | undefined) => {
      const prior = from ?? warm.get(key);
      const doc = await withTables(() => readSqlDoc(key, from, warm, (rows) => (last.seen = rows)));
      const seen = last.seen as Parameters<InboxSink>[0];
      guesses.read(key, prior, doc, seen && (seen.pending ? [...seen.rows, ...pendingRows(seen.pending)] : seen.rows));
      // Batches waiting: others write it (the next commits here guess blind, see guesses.ts).
      if (seen && (seen.pending || seen.rows.length > 0)) guesses.contended(key, now());
      return doc;
    };
    try {
      const doc = await readOnce(previous);
      done(last.seen && { ...last.seen, doc });
      return doc;
    } finally {
      done(undefined);
    }
  };
  /** The line that leaves `entry` on the row that won, when it is small enough to wait there. */
  const postLine = (entry: InboxEntry | undefined) => {
    const text = entry && entryText(entry);
    return text === undefined ? undefined : pendingLine(splitKey(entry!.key)[1], entry!.expires ?? 0, text);
  };
  return {
    read,
    guess: (key) => guesses.take(key),
    readRevision: (key) => withTables(() => readSqlRevision(key)),
    readChanges: (key, since, upTo) => withTables(() => readSqlChanges(key, since, upTo)),
    lastPublished: (read) => read.published,
    async commit(key, previous, next, note) {
      // A commit on a plain guess posts nothing: a guess that was behind reads and tries again at once.
      // Nor does one whose batch already waits on one of the latest rows.
      const onRow = note.post && postedRows.get(note.post.key);
      const waitsOnRow = onRow !== undefined && next.revision - onRow < PENDING_ROWS - 2;
      // A blind guess posts (that is its point): under contention, one request stores or posts the batch.
      const plainGuess = guesses.isTaken(key, previous) && !guesses.isBlind(key, previous);
      const post = plainGuess || waitsOnRow ? undefined : postLine(note.post);
      try {
        await withTables(() => writeSqlDoc(key, previous, next, warm, now(), post, note.publishedAt));
      } catch (error) {
        if (error instanceof SqlLostRaceError && error.posted && note.post) {
          postedOnRow.add(note.post.key);
          remember(key, [...(knownWaiting.get(keptKey(key)) ?? []).filter((e) => e.key !== note.post!.key), note.post]);
          if (postedRows.size > 256) postedRows.clear();
          postedRows.set(note.post.key, next.revision);
        }
        throw error;
      }
      guesses.stored(key, previous);
      // What it carried waits no more.
      const carried = new Set(note.applied);
      remember(key, (knownWaiting.get(keptKey(key)) ?? []).filter((e) => !carried.has(e.key)));
      // Stored: the inbox-table entries it applied go, in one statement (best effort: they expire anyway).
      const known = inTable.get(keptKey(key));
      const applied = note.applied.filter((entry) => !known || known.has(entry));
      return (await dropEntries(key, applied)) ? [] : applied;
    },
    // The inbox comes with every read at no extra request, so it is always worth looking.
    mayHaveWaiting: () => true,
    commitGapMs: sqlCommitGapMs,
    isLostRace: (error) => error instanceof SqlLostRaceError,
    leftWaiting: (error) => error instanceof SqlLostRaceError && error.posted,
    misconfiguration,
    inbox: {
      ...inbox,
      async post(entry) {
        // Lost a race: others write this document, plain guesses would lose too (blind ones post).
        guesses.lost(splitKey(entry.key)[0]);
        guesses.contended(splitKey(entry.key)[0], now());
        // Left on the row that won by the commit's own statement: posted.
        if (postedOnRow.delete(entry.key)) {
          if (rowEntries.size > 256) rowEntries.clear();
          rowEntries.add(entry.key);
          return true;
        }
        // Known here as waiting from the start (a commit on this instance meanwhile carries it), and
        // as in the table for the commit that applies it to delete it.
        const docKey = splitKey(entry.key)[0];
        const others = (knownWaiting.get(keptKey(docKey)) ?? []).filter((e) => e.key !== entry.key);
        remember(docKey, [...others, entry]);
        inTable.get(keptKey(docKey))?.add(entry.key);
        const posted = await withTables(() => inbox.post(entry)).catch((error: unknown) => {
          remember(docKey, others);
          throw error;
        });
        if (!posted) remember(docKey, others);
        return posted;
      },
      async read(key, at) {
        const shared = alongside.get(keptKey(key));
        alongside.delete(keptKey(key));
        const seen = shared && (await shared);
        if (!seen) {
          inTable.delete(keptKey(key));
          return inbox.read(key, at);
        }
        // A whole read of the table tells which of its entries are still there.
        if (inTable.size > 64) inTable.clear();
        const table = parseInboxRows(key, seen.rows, at);
        if (seen.rows.length < INBOX_READ_LIMIT) inTable.set(keptKey(key), new Set(table.map((e) => e.key)));
        else inTable.delete(keptKey(key));
        // Then the batches waiting on the latest rows, longest-waiting first, but those already
        // stored (carried by an earlier commit: the client table has all their intents).
        const stored = seen.doc ? createClientTable(seen.doc.doc.clients as never) : undefined;
        const onRows = parseInboxRows(key, pendingRows(seen.pending), at).filter((e) => !table.some((t) => t.key === e.key) && !(stored && e.intents.every((i) => stored.lookup(i.clientId, i.seq))));
        return carriedAtMost([...table, ...onRows]);
      },
      known(key, at) {
        // Those not expired and not stored in the copy a guess commits on (the client table has their intents).
        const warmDoc = warm.get(key);
        const stored = warmDoc ? createClientTable(warmDoc.doc.clients as never) : undefined;
        return (knownWaiting.get(keptKey(key)) ?? []).filter((e) => (e.expires ?? Infinity) > at && !(stored && e.intents.every((i) => stored.lookup(i.clientId, i.seq))));
      },
      async drop(entryKey) {
        // Only an entry of the inbox table that the last whole read of it still had costs a request.
        if (rowEntries.delete(entryKey)) return;
        const known = inTable.get(keptKey(splitKey(entryKey)[0]));
        if (known && !known.has(entryKey)) return;
        await inbox.drop(entryKey);
      },
    },
  };
}
