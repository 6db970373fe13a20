import type { ClientRecord } from '@bgstore/protocol';
import type { ClientCallers } from '@bgstore/core/durable';
import type { StoreContext } from './policy';

// How storage's client table names records: `<callerKey>|<clientId>`. Dedupe identity is the caller
// plus the client id, so a caller can only ever name (and so only ever touch) its own records. This
// module is the only place that knows the format; core's client table receives `CALLERS` to tell
// whose a record is, instead of parsing keys itself.

/**
 * Whose records a caller's client ids are kept under: the account, or for an anonymous viewer the
 * client id itself (66 random bits, known only to that page). A caller never sees or touches
 * another caller's records.
 */
export const callerKey = (context: StoreContext, clientId: string) => (context.accountId ? `a.${context.accountId}` : `anon.${clientId}`);

/** The client-table key of the caller's client `clientId`. */
export const ownKey = (context: StoreContext, clientId: string) => `${callerKey(context, clientId)}|${clientId}`;

/** A caller's own records, under their bare client ids (anonymous callers have none to see). */
export function ownClients(clients: Record<string, ClientRecord>, context: StoreContext, anyClientId?: string): Record<string, ClientRecord> {
  if (!context.accountId) return {};
  const prefix = `${callerKey(context, anyClientId ?? '')}|`;
  const out: Record<string, ClientRecord> = {};
  for (const [key, record] of Object.entries(clients)) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = record;
  return out;
}

/** Which of the client-table `keys` are the caller's own, as bare client ids. */
export function ownKeys(keys: readonly string[], context: StoreContext): string[] {
  if (!context.accountId) return [];
  const prefix = `${callerKey(context, '')}|`;
  return keys.filter((key) => key.startsWith(prefix)).map((key) => key.slice(prefix.length));
}

/** Tells core's client table whose a record is (per-caller budgets) and which are anonymous viewers' (the first to go when full). */
export const CALLERS: ClientCallers = {
  callerOf: (key) => key.slice(0, Math.max(0, key.lastIndexOf('|'))),
  isAnonymous: (key) => key.startsWith('anon.'),
};
