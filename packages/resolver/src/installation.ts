import type { WarmSqlDocs } from './sql/sqlDocStore';

// One function instance serves many installations (one Forge app, many sites), each with its own
// storage and Realtime channels, and a store's document key names no installation unless scoped per
// site. So whatever an instance keeps of a document (its warm copy, whether it is current, what its
// inbox held, a Realtime token for its channel) is kept under the installation too, or one site
// would read, write on, or subscribe to another's. (KVS warm copies are also keyed by the stored
// document's random id.)

/** The installation this invocation runs for, as Forge's runtime names it ('' outside Forge). */
export function currentInstallation(): string {
  const runtime = (globalThis as { __forge_runtime__?: { appContext?: { installationId?: unknown } } }).__forge_runtime__;
  const id = runtime?.appContext?.installationId;
  return typeof id === 'string' ? id : '';
}

/** `key` under the current installation: what an instance keeps about a document is kept under this. */
export const keptKey = (key: string) => `${currentInstallation()}\n${key}`;

/** Warm documents kept under the current installation. */
export function warmPerInstallation(warm: WarmSqlDocs): WarmSqlDocs {
  return { get: (key) => warm.get(keptKey(key)), set: (key, doc) => warm.set(keptKey(key), doc) };
}
