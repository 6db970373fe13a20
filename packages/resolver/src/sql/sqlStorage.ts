import { warmPerInstallation } from '../installation';
import type { StoragePort } from '../storage/port';
import { sqlCommitGapMs } from './commitGap';
import { createGuesses } from './guesses';
import { createSqlInstance } from './instance';
import { createInstanceCommit } from './instanceCommit';
import { createInstanceInbox } from './instanceInbox';
import { createInstanceRead } from './instanceRead';
import { readSqlRevision } from './readSqlDoc';
import { readSqlChanges } from './sqlChanges';
import { createWarmSqlDocs, SqlLostRaceError, type SqlDoc } from './sqlDocStore';
import { createWithTables, misconfiguration } from './tables';

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

/**
 * Documents in Forge SQL instead of KVS: pass it as `registerStores(resolver, stores, { storage:
 * sqlStorage() })`. Every guarantee is the KVS backend's (exactly once, per-caller policies, read
 * policy, schema migration, byte limits, garbage collection); each request is one statement, and a
 * commit is one INSERT of the next revision's row. Needs a `sql` module in the manifest.
 */
export function sqlStorage(options: SqlStorageOptions = {}): StoragePort<SqlDoc> {
  const warm = warmPerInstallation(createWarmSqlDocs(options.warmDocuments ?? 4));
  const now = options.now ?? Date.now;
  const instance = createSqlInstance({
    warm,
    guesses: createGuesses(warm, options.guess !== false, now),
    now,
    withTables: createWithTables(options.migrate ?? true),
  });
  return {
    read: createInstanceRead(instance),
    guess: (key) => instance.guesses.take(key),
    readRevision: (key) => instance.withTables(() => readSqlRevision(key)),
    readChanges: (key, since, upTo) => instance.withTables(() => readSqlChanges(key, since, upTo)),
    lastPublished: (read) => read.published,
    commit: createInstanceCommit(instance),
    // The inbox comes with every read at no extra request, so it is always worth looking.
    mayHaveWaiting: () => true,
    commitGapMs: sqlCommitGapMs,
    isLostRace: (error) => error instanceof SqlLostRaceError,
    leftWaiting: (error) => error instanceof SqlLostRaceError && error.posted,
    misconfiguration,
    inbox: createInstanceInbox(instance),
  };
}
