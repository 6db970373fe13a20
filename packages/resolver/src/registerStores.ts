import { commitIntents, emptyDoc, upgradeDoc, type ActionRecipes, type DurableDoc, type StoreContext, type StoreDefinition } from '@bgstore/core';
import { isSyncError, RESOLVER_FUNCTIONS, SyncError, type CommitResponse, type LoadResponse, type ResolverError, type RevisionResponse, type StoredIntent } from '@bgstore/protocol';
import { isLostRace, readDoc, readRevision, writeDoc, type StoredDoc } from './docStore';
import { createWarmDocuments } from './readCache';
import { dropInbox, inboxKey, postInbox, readInbox } from './inbox';
import { documentKey } from './scope';

/** What `registerStores` needs of a `@forge/resolver` Resolver. */
export interface ResolverLike {
  define(functionKey: string, fn: (request: { payload: unknown; context: unknown }) => unknown): unknown;
}

/** Options of {@link registerStores}. */
export interface RegisterStoresOptions {
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
  /** At most this many intents per commit. @default 1000 */
  maxIntents?: number;
  /** Largest accepted payload, JSON characters (invoke takes 500 KB). @default 500_000 */
  maxPayload?: number;
  /** @default Date.now */
  now?: () => number;
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
}

type AnyDefinition = StoreDefinition<unknown, ActionRecipes<unknown>>;

/** Any store definition made by `defineStore` (its state and action types do not matter here). */
export interface RegisteredStore {
  readonly name: string;
  readonly schemaVersion: number;
  readonly actions: object;
}

const fail = (code: ResolverError['error']['code'], message: string): ResolverError => ({ error: { code, message: message.startsWith('[bgstore]') ? message : `[bgstore] ${message}` } });
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function parseIntents(raw: unknown, max: number): StoredIntent[] {
  if (!Array.isArray(raw)) throw new SyncError('BAD_REQUEST', 'intents must be an array');
  if (raw.length > max) throw new SyncError('TOO_LARGE', `at most ${max} intents per commit, got ${raw.length}`);
  return raw.map((i, n) => {
    const ok = isObj(i) && typeof i.clientId === 'string' && i.clientId.length > 0 && i.clientId.length <= 200 && Number.isSafeInteger(i.seq) && (i.seq as number) > 0 && typeof i.name === 'string' && Array.isArray(i.args);
    if (!ok) throw new SyncError('BAD_REQUEST', `intents[${n}] must be {clientId, seq, name, args[]}`);
    if (i.refused !== undefined && !(isObj(i.refused) && typeof i.refused.code === 'string' && typeof i.refused.message === 'string')) throw new SyncError('BAD_REQUEST', `intents[${n}].refused must be {code, message}`);
    return i as unknown as StoredIntent;
  });
}

/**
 * Defines bgstore's resolver functions (`bgstore.load`, `bgstore.commit`, `bgstore.revision`) for
 * the given stores. Every answer is data: failures come back as `{error: {code, message}}`.
 * @example
 * const resolver = new Resolver();
 * registerStores(resolver, [board]);
 * export const handler = resolver.getDefinitions();
 */
export function registerStores(resolver: ResolverLike, definitions: readonly RegisteredStore[], options: RegisterStoresOptions = {}): void {
  const stores = new Map<string, AnyDefinition>();
  for (const d of definitions as readonly AnyDefinition[]) {
    if (typeof d?.name !== 'string' || typeof d.actions !== 'object') throw new TypeError('[bgstore] registerStores takes store definitions made by defineStore');
    if (stores.has(d.name)) throw new Error(`[bgstore] registerStores: two stores are named '${d.name}'`);
    stores.set(d.name, d);
  }
  const maxAttempts = options.maxAttempts ?? 6;
  const maxIntents = options.maxIntents ?? 1000;
  const maxPayload = options.maxPayload ?? 500_000;
  const now = options.now ?? Date.now;
  const retryDelayMs = options.retryDelayMs ?? 50;
  const contentionBudgetMs = options.contentionBudgetMs ?? 10_000;
  const warm = createWarmDocuments(options.warmDocuments ?? 4);
  if (options.minPiece !== undefined && !(Number.isSafeInteger(options.minPiece) && options.minPiece >= 16)) {
    throw new TypeError(`[bgstore] registerStores: minPiece must be an integer of at least 16, got ${String(options.minPiece)}`);
  }

  const handle = <T>(run: (definition: AnyDefinition, payload: Record<string, unknown>, context: StoreContext) => Promise<T>) =>
    async ({ payload, context }: { payload: unknown; context: unknown }): Promise<T | ResolverError> => {
      try {
        if (!isObj(payload)) return fail('BAD_REQUEST', 'the payload must be an object');
        if (JSON.stringify(payload).length > maxPayload) return fail('TOO_LARGE', `the payload is over ${maxPayload} characters; the host sends smaller batches`);
        const definition = typeof payload.store === 'string' ? stores.get(payload.store) : undefined;
        if (!definition) return fail('BAD_REQUEST', `unknown store ${JSON.stringify(payload.store)}; registered: ${[...stores.keys()].join(', ')}`);
        return await run(definition, payload, (isObj(context) ? context : {}) as StoreContext);
      } catch (error) {
        if (isSyncError(error)) return fail(error.code, error.message);
        const code = (error as { code?: unknown }).code;
        return fail('STORAGE_FAILED', `storage failed${typeof code === 'string' ? ` (${code})` : ''}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };

  const load = async (definition: AnyDefinition, key: string) => {
    const stored = await readDoc(key, undefined, warm);
    return { stored, doc: stored ? upgradeDoc(definition, stored.doc) : (emptyDoc(definition) as DurableDoc<unknown>) };
  };

  resolver.define(
    RESOLVER_FUNCTIONS.load,
    handle(async (definition, _payload, context): Promise<LoadResponse> => {
      const { doc } = await load(definition, documentKey(definition, context));
      return { revision: doc.revision, schemaVersion: doc.schemaVersion, state: doc.state, clients: doc.clients };
    }),
  );

  resolver.define(
    RESOLVER_FUNCTIONS.revision,
    handle(async (definition, _payload, context): Promise<RevisionResponse> => ({ revision: await readRevision(documentKey(definition, context)) })),
  );

  resolver.define(
    RESOLVER_FUNCTIONS.commit,
    handle(async (definition, payload, context): Promise<CommitResponse | ResolverError> => {
      const baseRevision = payload.baseRevision;
      if (!Number.isSafeInteger(baseRevision) || (baseRevision as number) < 0) return fail('BAD_REQUEST', 'baseRevision must be a non-negative integer');
      const intents = parseIntents(payload.intents, maxIntents);
      if (!context.accountId && !definition.allowAnonymousWrites) {
        return fail('UNAUTHORIZED', `store '${definition.name}' does not let anonymous viewers write (allowAnonymousWrites)`);
      }
      const key = documentKey(definition, context);
      const caller = context.accountId ?? null;
      // The caller's policy is applied here, with its own context, before the batch can be carried
      // by another caller's commit: refused intents go to storage as refusals.
      const own = intents.map((intent) => {
        if (intent.refused || !definition.authorize) return intent;
        let verdict: true | string;
        try {
          verdict = definition.authorize(context, intent);
        } catch (error) {
          verdict = `authorize() threw: ${error instanceof Error ? error.message : String(error)}`;
        }
        return verdict === true ? intent : { ...intent, refused: { code: 'UNAUTHORIZED' as const, message: `[bgstore] ${definition.name}.${intent.name}: ${verdict}` } };
      });
      // Storage failures back off and give up after `maxAttempts`. A lost race (another commit
      // moved the head, or replaced what this one was reading) posts the batch to the document's
      // inbox, so the next winner applies it too, and retries after a jittered wait that grows with
      // each loss, reading only what changed, until the contention budget is spent.
      const started = Date.now();
      const posted = { key: inboxKey(key, caller, own), done: false };
      let stored: StoredDoc | undefined;
      let failures = 0;
      let races = 0;
      for (;;) {
        try {
          const [read, waiting] = await Promise.all([readDoc(key, stored, warm), readInbox(key)]);
          stored = read;
          const doc = stored ? upgradeDoc(definition, stored.doc) : (emptyDoc(definition) as DurableDoc<unknown>);
          const others = waiting.filter((entry) => entry.key !== posted.key);
          const carried = others.flatMap((entry) => entry.intents);
          const result = commitIntents(definition, doc, [...carried, ...own], { now: now() });
          const outcomes = result.outcomes.slice(carried.length);
          const inbox = [...(posted.done ? [posted.key] : []), ...others.map((entry) => entry.key)];
          if (result.changed) await writeDoc(key, stored, result.doc, { minPiece: options.minPiece, alsoDelete: inbox, warm });
          // Stored by others' commits: this batch's inbox entry is done with (if they did not delete it).
          else if (posted.done) await dropInbox(posted.key);
          const carriedApplied = result.outcomes.slice(0, carried.length).some((o) => !o.duplicate);
          const rebase = doc.revision !== baseRevision || carriedApplied || outcomes.some((o) => o.duplicate);
          return { revision: result.doc.revision, outcomes, ...(rebase ? { state: result.doc.state } : {}) };
        } catch (error) {
          if (isSyncError(error)) throw error;
          if (isLostRace(error)) {
            races++;
            if (Date.now() - started >= contentionBudgetMs) {
              throw new SyncError('STORAGE_BUSY', `[bgstore] the document is busy: ${races} other commits won the race in ${Date.now() - started} ms; retry the batch (no intent applies twice)`);
            }
            if (!posted.done) posted.done = await postInbox({ key: posted.key, caller, intents: own }).catch(() => false);
            await sleep(Math.random() * Math.min(1000, (retryDelayMs / 2) * 2 ** races));
          } else {
            if (++failures >= maxAttempts) throw error;
            await sleep(Math.min(2000, retryDelayMs * 2 ** (failures - 1)));
          }
        }
      }
    }),
  );
}
