import type { WarmSqlDocs } from './sqlDocStore';

// One function instance serves many installations (one Forge app, many sites), each with its own
// Forge SQL database, and a store's document key names no installation unless scoped per site. So
// whatever an instance keeps of a document (its warm copy, whether it is current, what its inbox
// held) is kept under the installation too, or one site would read, or write on, another's copy.

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
