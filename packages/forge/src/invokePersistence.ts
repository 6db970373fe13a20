import { invoke as bridgeInvoke } from '@forge/bridge';
import type { ActionRecipes, CommitBatch, CommitResult, LoadedChanges, LoadedDoc, Persistence, StoreDefinition } from '@bgstore/core';
import { errorText, isChanges, isResolverError, isSyncError, jsonBytes, RESOLVER_FUNCTIONS, SyncError, type BaseWanted, type CommitRequest, type CommitResponse, type LoadRequest, type RealtimeGrant, type RevisionRequest, type RevisionResponse, type SyncResponse } from '@bgstore/protocol';
import { canPackBase, MAX_BASE_REQUEST, packBase } from './basePack';

/** Calls a resolver function; `@forge/bridge`'s `invoke` by default. */
export type Invoke = (functionKey: string, payload: Record<string, unknown>) => Promise<unknown>;

/** Who wants the resolver's Realtime grant for the document's channel (see `startHost`'s `realtimeHint`). */
export interface RealtimeGrants {
  /** Whether the next load should ask for a grant (none held, or a new subscription needs a fresh one). */
  wants(): boolean;
  granted(grant: RealtimeGrant): void;
  /** A load asked for a grant and got none (Realtime unavailable to the resolver, or over its budget). */
  missing(): void;
  /** This page's commit stored `revision` on `base`; `ask` asks the resolver to publish what followed `heard` (#17). */
  committed?(revision: number, base: number, ask: (heard: number) => Promise<unknown>): void;
}

/** Options of {@link createInvokePersistence}. */
export interface InvokePersistenceOptions {
  /** @default invoke from @forge/bridge */
  invoke?: Invoke;
  /** Asks loads for a subscribe-only Realtime grant when it wants one. */
  realtime?: RealtimeGrants;
  /** The clock a 429's reset time is read against (the host's). @default Date.now */
  now?: () => number;
}

const isList = (value: unknown) => value === undefined || Array.isArray(value);

/** A revision check; and a writer's ask to publish what followed the revision it heard (#17). */
type CheckRequest = Required<Omit<RevisionRequest, 'publish' | 'heard'>>;
type PublishRequest = Required<RevisionRequest>;

/** A commit request with every field the resolver reads (`doc` only once an answer named the document, `base` only when the host has one to offer). */
type FullCommitRequest = Required<Omit<CommitRequest, 'doc' | 'base'>> & Pick<CommitRequest, 'doc' | 'base'>;

/** After a base that storage reads about as cheaply (one read unit), or that did not fit a request, this many commits offer none. */
const QUIET_COMMITS = 64;
const SMALL_BASE = 10_240;

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

// Commit and revision requests are typed `Required<…Request>`: a field the resolver reads that is
// not sent here (as `floors` once was) is a compile error, not a silent gap. A load's fields are
// optional by nature (`since` only when the host holds a revision).
async function call<T>(invoke: Invoke, key: string, payload: LoadRequest | FullCommitRequest | CheckRequest | PublishRequest, now: () => number): Promise<T> {
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
 * and commits over `invoke`, and the resolver re-runs intents on the stored state in KVS. A host
 * that holds a revision asks only for the changes since it (`sync`: one invocation that is the
 * revision check and the reload), and commits get back only what the host lacks.
 * @example
 * startHost(board, { persistence: createInvokePersistence(board) }); // what startHost does by default
 */
export function createInvokePersistence<TState, TActions extends ActionRecipes<TState>>(definition: StoreDefinition<TState, TActions>, options: InvokePersistenceOptions = {}): Persistence<TState> {
  const invoke: Invoke = options.invoke ?? ((key, payload) => bridgeInvoke(key, payload) as Promise<unknown>);
  const store = definition.name;
  const grants = options.realtime;
  const now = options.now ?? Date.now;
  // The stored document's id, from the latest answer that named one: changes and patches are only
  // taken for the document this host's revision belongs to (one deleted and stored again is another).
  let doc: string | undefined;
  const learn = (answer: { doc?: unknown }) => {
    if (typeof answer.doc === 'string') doc = answer.doc;
  };
  const load = async (since?: number): Promise<SyncResponse> => {
    const asked = grants?.wants() === true;
    const request: LoadRequest = { store, ...(since !== undefined ? { since, ...(doc ? { doc } : {}) } : {}), ...(asked ? { realtime: true } : {}) };
    const r = await call<SyncResponse>(invoke, RESOLVER_FUNCTIONS.load, request, now);
    learn(r);
    if (r.realtime && typeof r.realtime.channel === 'string' && typeof r.realtime.token === 'string') grants?.granted(r.realtime);
    else if (asked) grants?.missing();
    return r;
  };
  const whole = (r: SyncResponse): LoadedDoc<TState> => {
    if (isChanges(r)) throw new SyncError('STORAGE_FAILED', `[bgstore] ${RESOLVER_FUNCTIONS.load} answered changes to a load that named no revision`);
    return { revision: r.revision, state: r.state as TState, clients: r.clients ?? {} };
  };
  // Commits offer the host's base to a resolver instance that keeps no copy of the document (#17).
  let quiet = 0;
  const sendBase = async (request: FullCommitRequest, state: unknown, offered: boolean): Promise<CommitResponse> => {
    if (!offered) throw new SyncError('STORAGE_FAILED', `[bgstore] ${RESOLVER_FUNCTIONS.commit} asked for a base that was not offered`);
    const packed = await packBase(state, MAX_BASE_REQUEST - jsonBytes(request));
    if (!packed.base || packed.bytes < SMALL_BASE) quiet = QUIET_COMMITS;
    // Sent once: the resolver asks only a request that offers (`true`), and never one that sent it.
    const again = async (base?: string) => call<CommitResponse | BaseWanted>(invoke, RESOLVER_FUNCTIONS.commit, base ? { ...request, base } : request, now);
    let r: CommitResponse | BaseWanted;
    try {
      r = await again(packed.base);
    } catch (error) {
      // invoke measured the request larger than this did: without the base, storage is read.
      if (!packed.base || !isSyncError(error) || error.code !== 'TOO_LARGE') throw error;
      quiet = QUIET_COMMITS;
      r = await again();
    }
    if ('sendBase' in r) throw new SyncError('STORAGE_FAILED', `[bgstore] ${RESOLVER_FUNCTIONS.commit} asked for a base again`);
    return r;
  };
  return {
    load: async () => whole(await load()),
    async sync(revision): Promise<LoadedChanges | LoadedDoc<TState>> {
      const r = await load(revision);
      if (!isChanges(r)) return whole(r);
      if (r.since !== revision || !Number.isSafeInteger(r.revision) || r.revision < revision) {
        throw new SyncError('STORAGE_FAILED', `[bgstore] ${RESOLVER_FUNCTIONS.load} answered the changes from ${String(r.since)} to ${String(r.revision)} when asked for those since ${revision}`);
      }
      return { since: r.since, revision: r.revision, patches: r.patches };
    },
    async commit(batch: CommitBatch): Promise<CommitResult<TState>> {
      const request: FullCommitRequest = { store, baseRevision: batch.baseRevision, intents: batch.intents, floors: batch.floors ?? [], patches: true, ...(doc ? { doc } : {}) };
      const offer = batch.base !== undefined && canPackBase() && quiet-- <= 0;
      let r = await call<CommitResponse | BaseWanted>(invoke, RESOLVER_FUNCTIONS.commit, offer ? { ...request, base: true } : request, now);
      if ('sendBase' in r) r = await sendBase(request, batch.base?.(), offer);
      learn(r);
      if (!isList(r.patches) || !Array.isArray(r.outcomes)) throw new SyncError('STORAGE_FAILED', `[bgstore] ${RESOLVER_FUNCTIONS.commit} answered a malformed result`);
      if (r.outcomes.some((o) => o.ok && !o.duplicate) && r.revision > batch.baseRevision) {
        grants?.committed?.(r.revision, batch.baseRevision, (heard) => call(invoke, RESOLVER_FUNCTIONS.revision, { store, publish: r.revision, heard } satisfies PublishRequest, now));
      }
      return r as CommitResult<TState>;
    },
    async revision(): Promise<number> {
      const request: CheckRequest = { store };
      return (await call<RevisionResponse>(invoke, RESOLVER_FUNCTIONS.revision, request, now)).revision;
    },
  };
}
