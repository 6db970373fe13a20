// @bgstore/resolver/sql — documents in Forge SQL: `registerStores(resolver, stores, { storage: sqlStorage() })`.
// A separate entry, so apps on the KVS default never load @forge/sql.
export { sqlStorage } from './sqlStorage';
export type { SqlStorageOptions } from './sqlStorage';
export { BGSTORE_MIGRATIONS, enqueueBgstoreMigrations } from './schema';
export type { MigrationQueue } from './schema';
