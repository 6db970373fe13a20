import { errorText, isSyncError, LIMITS, RESOLVER_FUNCTIONS, type ResolverError, type RevisionResponse, type SyncResponse } from '@bgstore/protocol';
import { answerCommit, type CommitDeps } from './answerCommit';
import { CALLERS } from './callerKeys';
import { createColdBases } from './coldBase';
import type { AnyDefinition, CommitSettings } from './commitBatch';
import { createKvsStorage } from './kvs/kvsStorage';
import { createWarmDocuments } from './kvs/readCache';
import { keptKey } from './installation';
import { loadAnswer } from './loadAnswer';
import { checkPayload, fail, isObj } from './payload';
import { assertMayRead, assertMayWrite, type PolicyTime, type StoreContext, type StorePolicy } from './policy';
import { changeOf, createChangeFeed, type ChangeFeed, type ChangeFeedOptions } from './realtime';
import { documentKey } from './scope';
import type { StoragePort } from './storage/port';

/** What `registerStores` needs of a `@forge/resolver` Resolver. */
export interface ResolverLike {
  define(functionKey: string, fn: (request: { payload: unknown; context: unknown }) => unknown): unknown;
}

/** A definition's store name, as a literal type when `defineStore` saw one. */
type NameOf<S> = S extends { readonly name: infer N extends string } ? N : never;

/**
 * Server policies by store name. Typed per store when every definition's name is a literal (as
 * `defineStore` infers it): a name that is not a registered store fails to compile, and each
 * `authorize` sees its store's actions and their argument types.
 */
export type PoliciesOf<TStores extends readonly RegisteredStore[]> = string extends NameOf<TStores[number]>
  ? Record<string, StorePolicy>
  : { [S in TStores[number] as NameOf<S>]?: StorePolicy<S> };

/** Options of {@link registerStores}. */
export interface RegisterStoresOptions<TStores extends readonly RegisteredStore[] = readonly RegisteredStore[]> {
  /** Server policy per store name: scope, write and read authorisation, anonymous access. @default site scope, signed-in writers, anyone reads */
  policies?: PoliciesOf<TStores>;
  /**
   * Commit attempts when storage fails. A commit that loses the compare-and-set race to other
   * commits retries after a jittered wait instead, for up to `contentionBudgetMs`. @default 6
   */
  maxAttempts?: number;
  /** How long a commit that keeps losing the race to other commits retries before answering `STORAGE_BUSY` (invoke allows 25 s). @default 10_000 */
  contentionBudgetMs?: number;
  /**
   * Documents whose immutable parts (pieces, log entries, the parsed state) this function instance
   * keeps between invocations, so the next commit or load on a warm instance reads only the head and
   * what changed; 0 keeps none. Each costs its parsed state in memory (a few times its JSON). @default 4
   */
  warmDocuments?: number;
  /**
   * Where documents live. @default Forge KVS (`warmDocuments` and `minPiece` apply to it); for Forge
   * SQL, `sqlStorage()` from `@bgstore/resolver/sql`.
   */
  storage?: StoragePort;
  /** At most this many intents per commit. @default 1000 */
  maxIntents?: number;
  /** Largest accepted payload, UTF-8 bytes of JSON (invoke takes 500,000). @default 500_000 */
  maxPayload?: number;
  /** @default Date.now */
  now?: () => number;
  /** How long an `authorize` or `authorizeRead` call may take before it counts as a refusal. @default 5000 */
  policyTimeoutMs?: number;
  /**
   * Where the contention loop's waits and its budget, and the store policies' `policyTimeoutMs`,
   * are measured: `now` and `setTimeout` (the emulator's clock in tests, so no test races the wall
   * clock); `clearTimeout`, when given, drops a policy's timer once it answered. `now` above, when
   * given, still stamps client records. @default the system clock
   */
  clock?: { now(): number; setTimeout(fn: () => void, ms: number): unknown; clearTimeout?(handle: unknown): void };
  /**
   * First wait before retrying after a storage failure (doubles per attempt, at most 2 s); after a
   * lost race, a random wait below half this, doubling per loss up to 1 s (see `contentionBudgetMs`). @default 50
   */
  retryDelayMs?: number;
  /**
   * Smallest target size, in characters, of the pieces a document's state is stored in; a state up
   * to twice this is kept whole in its head. A commit writes only the pieces its changes touch.
   * @default 4096
   */
  minPiece?: number;
  /**
   * Publish each commit's changes on the document's Forge Realtime channel (`@forge/realtime`), and
   * hand pages that ask a subscribe-only token for it, so open pages apply others' changes without
   * invoking anything. Only the resolver can publish there. Failures never fail a commit or a load.
   * @default true
   */
  realtime?: boolean | Omit<ChangeFeedOptions, 'now'>;
}

const isRevision = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;

/** Any store definition made by `defineStore` (its state and action types do not matter here). */
export interface RegisteredStore {
  readonly name: string;
  readonly schemaVersion: number;
  readonly actions: object;
}

/** Storage's own client table: records of one caller never push out another's; full means refuse. */
const TABLE = { maxClients: LIMITS.clientsPerDoc, maxBytes: LIMITS.clientTableBytes, perCaller: LIMITS.clientsPerCaller, perCallerBytes: LIMITS.callerBytes, ttlMs: LIMITS.clientTtlMs, whenFull: 'refuse', callers: CALLERS } as const;

type Handler<T> = (definition: AnyDefinition, payload: Record<string, unknown>, context: StoreContext, policy: StorePolicy) => Promise<T>;

/** The registered stores, by name. @throws TypeError or Error when a definition is not one, or two share a name */
function storesByName(definitions: readonly RegisteredStore[]): Map<string, AnyDefinition> {
  const stores = new Map<string, AnyDefinition>();
  for (const d of definitions as readonly AnyDefinition[]) {
    if (typeof d?.name !== 'string' || typeof d.actions !== 'object') throw new TypeError('[bgstore] registerStores takes store definitions made by defineStore');
    if (stores.has(d.name)) throw new Error(`[bgstore] registerStores: two stores are named '${d.name}'`);
    stores.set(d.name, d);
  }
  return stores;
}

/** Turns whatever a handler throws into an answer: refusals keep their code, storage trouble says what it was. */
function answerError(error: unknown, storage: Pick<StoragePort, 'misconfiguration' | 'isLostRace'>): ResolverError {
  if (isSyncError(error)) {
    const answer = fail(error.code, error.message);
    return error.retryAfterMs === undefined ? answer : { error: { ...answer.error, retryAfterMs: error.retryAfterMs } };
  }
  // A load whose every read attempt commits overtook (#18.3): busy, as a commit that keeps losing is.
  if (storage.isLostRace(error)) return fail('STORAGE_BUSY', error instanceof Error ? error.message : String(error));
  const misconfigured = storage.misconfiguration(error);
  if (misconfigured !== undefined) return fail('MISCONFIGURED', misconfigured);
  if (error instanceof RangeError) return fail('BAD_REQUEST', `the payload is too deeply nested: ${error.message}`);
  const code = (error as { code?: unknown } | null)?.code;
  return fail('STORAGE_FAILED', `storage failed${typeof code === 'string' ? ` (${code})` : ''}: ${errorText(error)}`);
}

/**
 * Defines bgstore's resolver functions (`bgstore.load`, `bgstore.commit`, `bgstore.revision`) for
 * the given stores, with each store's server policy. A load that names the caller's revision
 * (`since`) answers only the changes since it when storage has them; a commit answers what the
 * caller lacks; each commit is published on the document's Realtime channel (see `realtime`). Every answer is data: failures come back as
 * `{error: {code, message}}`. Only `context` is trusted; everything in a payload may be forged.
 * @example
 * const resolver = new Resolver();
 * registerStores(resolver, [board], { policies: { board: { scope: 'space' } } });
 * export const handler = resolver.getDefinitions();
 */
export function registerStores<const TStores extends readonly RegisteredStore[]>(resolver: ResolverLike, definitions: TStores, options: RegisterStoresOptions<TStores> = {}): void {
  const stores = storesByName(definitions);
  // Typed per store for callers; one shape here.
  const policies = (options.policies ?? {}) as unknown as Record<string, StorePolicy>;
  for (const name of Object.keys(policies)) if (!stores.has(name)) throw new TypeError(`[bgstore] registerStores: a policy names store '${name}', which is not registered`);
  const policyOf = (name: string): StorePolicy => (Object.hasOwn(policies, name) ? policies[name]! : {});
  const maxIntents = options.maxIntents ?? 1000;
  const maxPayload = options.maxPayload ?? 500_000;
  const clock = options.clock;
  const timing = clock ? { clock: () => clock.now(), sleep: (ms: number) => new Promise<void>((resolve) => void clock.setTimeout(resolve, ms)) } : {};
  const now = options.now ?? (clock ? () => clock.now() : Date.now);
  // The KVS backend's warm copies are shared with cold commits, which ask callers for their base when there is none (#17).
  const warm = createWarmDocuments(options.warmDocuments ?? 4);
  const storage = options.storage ?? createKvsStorage({ warm, minPiece: options.minPiece, now, sleep: timing.sleep });
  const bases = options.storage ? undefined : createColdBases(warm, { now, sleep: timing.sleep });
  const feed: ChangeFeed | undefined = options.realtime === false ? undefined : createChangeFeed({ ...(typeof options.realtime === 'object' ? options.realtime : {}), now });
  const settings: CommitSettings = { ...timing, table: TABLE, now, maxAttempts: options.maxAttempts ?? 6, budgetMs: options.contentionBudgetMs ?? 10_000, retryDelayMs: options.retryDelayMs ?? 50, ...(feed ? { publishEveryMs: feed.publishEveryMs } : {}) };
  const policyTime: PolicyTime = {
    timeoutMs: options.policyTimeoutMs ?? 5000,
    clock: clock ?? { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>) },
  };

  const handle =
    <T>(run: Handler<T>) =>
    async ({ payload, context }: { payload: unknown; context: unknown }): Promise<T | ResolverError> => {
      try {
        const checked = checkPayload(payload, stores, maxPayload);
        if ('error' in checked) return checked;
        const { definition } = checked;
        return await run(definition, checked.payload, (isObj(context) ? context : {}) as StoreContext, policyOf(definition.name));
      } catch (error) {
        return answerError(error, storage);
      }
    };
  const keyOf = (definition: AnyDefinition, policy: StorePolicy, context: StoreContext) => documentKey(definition.name, policy.scope ?? 'site', context);
  // The revision each document was last published up to by a writer's ask, on this instance: asks
  // that would publish nothing newer publish nothing (a forged ask costs at most one publish per commit).
  const trailing = new Map<string, number>();
  const publishTrailing = async (store: string, key: string, heard: number, asked: number): Promise<number> => {
    const changes = storage.readChanges ? await storage.readChanges(key, heard).catch(() => undefined) : undefined;
    const revision = changes?.revision ?? (await storage.readRevision(key));
    const slot = keptKey(key); // per installation: another site's document may share the key
    if (revision < asked || revision <= (trailing.get(slot) ?? -1)) return revision;
    trailing.set(slot, revision);
    if (trailing.size > 64) trailing.delete(trailing.keys().next().value!);
    await feed!.publish(key, changes ? changeOf(store, heard, changes) : { v: 1, store, base: heard, revision });
    return revision;
  };

  resolver.define(
    RESOLVER_FUNCTIONS.load,
    handle(async (definition, payload, context, policy): Promise<SyncResponse> => {
      await assertMayRead(definition.name, policy, context, policyTime);
      return loadAnswer(storage, feed, definition, keyOf(definition, policy, context), payload, context);
    }),
  );

  resolver.define(
    RESOLVER_FUNCTIONS.revision,
    handle(async (definition, payload, context, policy): Promise<RevisionResponse> => {
      await assertMayRead(definition.name, policy, context, policyTime);
      const key = keyOf(definition, policy, context);
      const { publish: asked, heard } = payload;
      if (!feed || !isRevision(asked) || !isRevision(heard) || heard >= asked) return { revision: await storage.readRevision(key) };
      // A writer heard no publish of its commit (#17): publish what followed the last it heard.
      assertMayWrite(definition.name, policy, context);
      return { revision: await publishTrailing(definition.name, key, heard, asked) };
    }),
  );

  const commit: CommitDeps = { storage, bases, feed, settings, maxIntents, policyTime, keyOf };
  resolver.define(
    RESOLVER_FUNCTIONS.commit,
    handle((definition, payload, context, policy) => answerCommit(commit, definition, payload, context, policy)),
  );
}
