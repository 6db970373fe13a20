// @bgstore/emulator/node — the Node-only half: module realms in `vm` contexts, the on-disk store.
export { createNodeRealm } from './realm';
export type { NodeRealm, NodeRealmOptions } from './realm';
export { bundleModule, clearBundleCache, loadBundle } from './realmBundle';
export type { Bundle, BundleOptions } from './realmBundle';
export { createFileKvsBackend } from './fileKvsStore';
export type { FileKvsBackend, FileKvsBackendOptions } from './fileKvsStore';
export { findMariaDb, startMariaDb } from '../sql/mariadbServer';
export type { MariaDbServer } from '../sql/mariadbServer';
export { createMysqlExecutor } from '../sql/mysqlExecutor';
export type { MysqlExecutorOptions } from '../sql/mysqlExecutor';
