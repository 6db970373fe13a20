// The Forge SQL tables of bgstore (see PROTOCOL.md, "Forge SQL layout"). Migrations are only ever
// appended: a deployed installation has run the earlier ones, and `migrationRunner` runs each name once.
// Only SQL that TiDB (Forge SQL) and MySQL 8 share, which MariaDB (the emulator's server) accepts too.

/** bgstore's migrations, in order: `[name, DDL statement]`. */
export const BGSTORE_MIGRATIONS: readonly (readonly [string, string])[] = Object.freeze([
  [
    'bgstore-001-log',
    // One row per revision of a document: a snapshot ('s') or the change since the previous row ('e').
    // The primary key (document, revision) is the serialisation point of commits.
    'CREATE TABLE IF NOT EXISTS bgstore_log (doc_key VARCHAR(512) NOT NULL, revision BIGINT NOT NULL, schema_version INT NOT NULL, kind CHAR(1) NOT NULL, size BIGINT NOT NULL, body LONGTEXT NOT NULL, PRIMARY KEY (doc_key, revision), KEY bgstore_log_kind (doc_key, kind, revision))',
  ],
  [
    'bgstore-002-piece',
    // A large snapshot's text in pieces (a request is at most 1 MiB), written before its log row.
    'CREATE TABLE IF NOT EXISTS bgstore_piece (doc_key VARCHAR(512) NOT NULL, revision BIGINT NOT NULL, snap CHAR(16) NOT NULL, idx INT NOT NULL, body LONGTEXT NOT NULL, PRIMARY KEY (doc_key, revision, snap, idx))',
  ],
  [
    'bgstore-003-inbox',
    // Batches whose commit lost the race, waiting for the next winner; `entry` sorts by time posted,
    // `expires` (ms) is when it stops counting (0: never).
    'CREATE TABLE IF NOT EXISTS bgstore_inbox (doc_key VARCHAR(512) NOT NULL, entry VARCHAR(64) NOT NULL, expires BIGINT NOT NULL DEFAULT 0, body LONGTEXT NOT NULL, PRIMARY KEY (doc_key, entry))',
  ],
  [
    'bgstore-004-pending',
    // Batches whose commit lost the race to this row, appended by the same statement that tried to
    // take the revision (one request, not an INSERT and then a post): the next revision's commit
    // reads them with the row. Null (no default: TiDB and MySQL allow none on TEXT) when none waits.
    'ALTER TABLE bgstore_log ADD COLUMN pending LONGTEXT NULL',
  ],
]);

/** What `migrationRunner` (from `@forge/sql`) offers that bgstore uses. */
export interface MigrationQueue {
  enqueue(name: string, statement: string): MigrationQueue;
}

/**
 * Adds bgstore's migrations to a `migrationRunner` (call `run()` after, with your own migrations).
 * @example
 * import { migrationRunner } from '@forge/sql';
 * await enqueueBgstoreMigrations(migrationRunner).run();
 */
export function enqueueBgstoreMigrations<Q extends MigrationQueue>(runner: Q): Q {
  for (const [name, statement] of BGSTORE_MIGRATIONS) runner.enqueue(name, statement);
  return runner;
}
