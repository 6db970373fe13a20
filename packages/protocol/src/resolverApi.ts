import type { SyncErrorCode } from './errors';

/** The resolver function keys bgstore defines (`registerStores`) and calls (`startHost`). */
export const RESOLVER_FUNCTIONS = {
  load: 'bgstore.load',
  commit: 'bgstore.commit',
  revision: 'bgstore.revision',
} as const;

/** How the resolver reports a failure: never an exception, always this. */
export interface ResolverError {
  error: { code: SyncErrorCode; message: string };
}

/** An intent on its way to storage (`refused`: the host refused it; storage only records that). */
export interface StoredIntent {
  clientId: string;
  seq: number;
  name: string;
  args: unknown[];
  refused?: { code: SyncErrorCode; message: string };
}

/** What storage remembers per client: every seq ≤ floor, plus `seqs`, were processed. */
export interface StoredClient {
  floor: number;
  seqs: number[];
  rejected: [seq: number, code: string, message: string][];
  seen: number;
}

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
}
export interface CommitResponse {
  revision: number;
  outcomes: ({ clientId: string; seq: number; duplicate?: true } & ({ ok: true } | { ok: false; code: SyncErrorCode; message: string }))[];
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
