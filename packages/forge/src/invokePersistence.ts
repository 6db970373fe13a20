import { invoke as bridgeInvoke } from '@forge/bridge';
import type { ActionRecipes, CommitBatch, CommitResult, LoadedDoc, Persistence, StoreDefinition } from '@bgstore/core';
import { errorText, isResolverError, RESOLVER_FUNCTIONS, SyncError, type CommitRequest, type CommitResponse, type LoadRequest, type LoadResponse, type RevisionRequest, type RevisionResponse } from '@bgstore/protocol';

/** Calls a resolver function; `@forge/bridge`'s `invoke` by default. */
export type Invoke = (functionKey: string, payload: Record<string, unknown>) => Promise<unknown>;

/** Options of {@link createInvokePersistence}. */
export interface InvokePersistenceOptions {
  /** @default invoke from @forge/bridge */
  invoke?: Invoke;
  /** The clock a 429's reset time is read against (the host's). @default Date.now */
  now?: () => number;
}

/**
 * A refused invocation as `RATE_LIMITED`, or undefined: Forge's 429 `RATE_LIMIT_EXCEEDED` (the
 * installation's or the user's invocation quota; `resetsAt`, epoch ms, when the platform gives it)
 * or the bridge's own 500 calls per 25 s. The function did not run: nothing was stored.
 */
function rateLimited(key: string, error: unknown, now: () => number): SyncError | undefined {
  const e = error as { code?: unknown; status?: unknown; resetsAt?: unknown } | null;
  const text = error instanceof Error ? error.message : String(error);
  if (e?.status !== 429 && e?.code !== 'RATE_LIMIT_EXCEEDED' && !/\b429\b|RATE_LIMIT_EXCEEDED|rate limited/i.test(text)) return undefined;
  const retryAfterMs = typeof e?.resetsAt === 'number' && Number.isFinite(e.resetsAt) ? Math.max(0, e.resetsAt - now()) : undefined;
  return new SyncError('RATE_LIMITED', `[bgstore] ${key} was refused: the Forge quota is spent (${text})`, { cause: error, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
}

// Requests are typed `Required<…Request>`: a field the resolver reads that is not sent here (as
// `floors` once was) is a compile error, not a silent gap.
async function call<T>(invoke: Invoke, key: string, payload: Required<LoadRequest> | Required<CommitRequest> | Required<RevisionRequest>, now: () => number): Promise<T> {
  let answer: unknown;
  try {
    answer = await invoke(key, { ...payload });
  } catch (error) {
    // invoke's own limits are permanent for this request: retrying the same bytes cannot help.
    const text = errorText(error);
    if (/PAYLOAD_TOO_LARGE|payload of \d+ bytes exceeds/i.test(text)) throw new SyncError('TOO_LARGE', `[bgstore] ${key}: ${text}`, { cause: error });
    throw rateLimited(key, error, now) ?? error;
  }
  if (isResolverError(answer)) {
    const { retryAfterMs } = answer.error;
    throw new SyncError(answer.error.code, answer.error.message, typeof retryAfterMs === 'number' && retryAfterMs >= 0 ? { retryAfterMs } : undefined);
  }
  if (typeof answer !== 'object' || answer === null) {
    throw new SyncError('STORAGE_FAILED', `[bgstore] ${key} answered ${JSON.stringify(answer)}; is registerStores(resolver, [...]) wired into this module's resolver function?`);
  }
  return answer as T;
}

/**
 * Persistence through the app's resolver function (`registerStores` on the backend): the host loads
 * and commits over `invoke`, and the resolver re-runs intents on the stored state in KVS.
 * @example
 * startHost(board, { persistence: createInvokePersistence(board) }); // what startHost does by default
 */
export function createInvokePersistence<TState, TActions extends ActionRecipes<TState>>(definition: StoreDefinition<TState, TActions>, options: InvokePersistenceOptions = {}): Persistence<TState> {
  const invoke: Invoke = options.invoke ?? ((key, payload) => bridgeInvoke(key, payload) as Promise<unknown>);
  const store = definition.name;
  const now = options.now ?? Date.now;
  return {
    async load(): Promise<LoadedDoc<TState>> {
      const request: Required<LoadRequest> = { store };
      const r = await call<LoadResponse>(invoke, RESOLVER_FUNCTIONS.load, request, now);
      return { revision: r.revision, state: r.state as TState, clients: r.clients ?? {} };
    },
    async commit(batch: CommitBatch): Promise<CommitResult<TState>> {
      const request: Required<CommitRequest> = { store, baseRevision: batch.baseRevision, intents: batch.intents, floors: batch.floors ?? [] };
      const r = await call<CommitResponse>(invoke, RESOLVER_FUNCTIONS.commit, request, now);
      return r as CommitResult<TState>;
    },
    async revision(): Promise<number> {
      const request: Required<RevisionRequest> = { store };
      return (await call<RevisionResponse>(invoke, RESOLVER_FUNCTIONS.revision, request, now)).revision;
    },
  };
}
