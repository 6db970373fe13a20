import { migrationRunner, sql } from '@forge/sql';
import type { StoragePort } from '../storage/port';
import { isMissingTable, withSqlRateLimit } from './client';
import { createGuesses } from './guesses';
import { currentInstallation, keptKey, warmPerInstallation } from '../installation';
import { enqueueBgstoreMigrations } from './schema';
import type { Row } from './client';
import { createSqlInbox, dropEntries, parseInboxRows, splitKey } from './sqlInbox';
import { createWarmSqlDocs, INBOX_READ_LIMIT, readSqlDoc, readSqlRevision, SqlLostRaceError, writeSqlDoc, type SqlDoc } from './sqlDocStore';

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
        if (!migrate || !isMissingTable(error)) throw error;
        await migrateHere();
        return run();
      }
    });
  const inbox = createSqlInbox();
  const now = options.now ?? Date.now;
  // Every read fetches the document's inbox rows in its own answer; the inbox read that follows it
  // (with it, or after it) takes them from there instead of asking again.
  const alongside = new Map<string, Promise<Row[] | undefined>>();
  const seen = new Map<string, Set<string>>();
  const guesses = createGuesses(warm, options.guess !== false);
  const read = async (key: string, previous: SqlDoc | undefined) => {
    let sink!: (rows: Row[] | undefined) => void;
    const inboxRows = new Promise<Row[] | undefined>((resolve) => (sink = resolve));
    alongside.set(keptKey(key), inboxRows);
    const prior = previous ?? warm.get(key);
    const doc = await withTables(() => readSqlDoc(key, previous, warm, sink)).finally(() => sink(undefined));
    guesses.read(key, prior, doc, await inboxRows);
    return doc;
  };
  return {
    read,
    guess: (key) => guesses.take(key),
    readRevision: (key) => withTables(() => readSqlRevision(key)),
    async commit(key, previous, next, note) {
      await withTables(() => writeSqlDoc(key, previous, next, warm, now()));
      guesses.stored(key, previous);
      // Stored: the inbox entries it applied go, in one statement (best effort: they expire anyway).
      return (await dropEntries(key, note.applied)) ? [] : note.applied;
    },
    // The inbox comes with every read at no extra request, so it is always worth looking.
    mayHaveWaiting: () => true,
    isLostRace: (error) => error instanceof SqlLostRaceError,
    misconfiguration,
    inbox: {
      ...inbox,
      post(entry) {
        // Lost a race: others write this document, guesses would lose too.
        guesses.lost(splitKey(entry.key)[0]);
        return withTables(() => inbox.post(entry));
      },
      async read(key, at) {
        const shared = alongside.get(keptKey(key));
        alongside.delete(keptKey(key));
        const rows = shared && (await shared);
        const entries = rows ? parseInboxRows(key, rows, at) : await inbox.read(key, at);
        // A whole inbox read tells which entries are still there (what the winner already deleted is not).
        if (seen.size > 64) seen.clear();
        if (rows && rows.length < INBOX_READ_LIMIT) seen.set(keptKey(key), new Set(entries.map((e) => e.key)));
        else seen.delete(keptKey(key));
        return entries;
      },
      async drop(entryKey) {
        // The commit that applied a batch deletes its entry: when the last whole read of the inbox no
        // longer had it, there is nothing to delete, and no request is spent on it.
        const known = seen.get(keptKey(splitKey(entryKey)[0]));
        if (known && !known.has(entryKey)) return;
        await inbox.drop(entryKey);
      },
    },
  };
}
