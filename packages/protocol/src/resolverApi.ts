import type { SyncErrorCode } from './errors';
import type { ClientRecord, Outcome, StoredIntent } from './vocabulary';

/** The resolver function keys bgstore defines (`registerStores`) and calls (`startHost`). */
export const RESOLVER_FUNCTIONS = {
  load: 'bgstore.load',
  commit: 'bgstore.commit',
  revision: 'bgstore.revision',
} as const;

/** How the resolver reports a failure: never an exception, always this. */
export interface ResolverError {
  /** `retryAfterMs` (with `RATE_LIMITED`): how long until the quota's window reopens, when storage said. */
  error: { code: SyncErrorCode; message: string; retryAfterMs?: number };
}

/** What storage remembers per client (the caller's own clients only). */
export type StoredClient = ClientRecord;

export interface LoadRequest {
  store: string;
}
export interface LoadResponse {
  revision: number;
  schemaVersion: number;
  state: unknown;
  clients: Record<string, StoredClient>;
}

export interface CommitRequest {
  store: string;
  baseRevision: number;
  intents: StoredIntent[];
  /** Per client of this caller: every seq ≤ floor has settled at the client, so gaps below it close. */
  floors?: [clientId: string, floor: number][];
}
export interface CommitResponse {
  revision: number;
  outcomes: Outcome[];
  /** The stored state, when it is not `baseRevision`'s state with the batch applied. */
  state?: unknown;
}

export interface RevisionRequest {
  store: string;
}
export interface RevisionResponse {
  revision: number;
}

/** True when a resolver answer is a `{error}`. */
export function isResolverError(value: unknown): value is ResolverError {
  return typeof value === 'object' && value !== null && 'error' in value && typeof (value as ResolverError).error?.code === 'string';
}
