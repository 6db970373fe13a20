import type { ActionRecipes, StoreDefinition } from '@bgstore/core';
import { commitAnswer, commitIntents, emptyDoc, upgradeDoc, type DurableDoc } from '@bgstore/core/durable';
import { isId, isSyncError, jsonBytes, LIMITS, RESOLVER_FUNCTIONS, SYNC_ERROR_CODES, SyncError, type ClientRecord, type CommitResponse, type LoadResponse, type Outcome, type ResolverError, type RevisionResponse, type StoredIntent } from '@bgstore/protocol';
import { isLostRace, readDoc, readRevision, writeDoc, type StoredDoc } from './docStore';
import { assertMayRead, callerKey, verdictOf, type StoreContext, type StorePolicy } from './policy';
import { createWarmDocuments } from './readCache';
import { dropInbox, inboxKey, postInbox, readInbox } from './inbox';
import { documentKey } from './scope';

/** What `registerStores` needs of a `@forge/resolver` Resolver. */
export interface ResolverLike {
  define(functionKey: string, fn: (request: { payload: unknown; context: unknown }) => unknown): unknown;
}

/** Options of {@link registerStores}. */
export interface RegisterStoresOptions {
  /** Server policy per store name: scope, write and read authorisation, anonymous access. @default site scope, signed-in writers, anyone reads */
  policies?: Record<string, StorePolicy>;
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
  /** Largest accepted payload, UTF-8 bytes of JSON (invoke takes 500,000). @default 500_000 */
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

/** Storage's own client table: records of one caller never push out another's; full means refuse. */
const TABLE = { maxClients: LIMITS.clientsPerDoc, maxBytes: LIMITS.clientTableBytes, perCaller: LIMITS.clientsPerCaller, perCallerBytes: LIMITS.callerBytes, ttlMs: LIMITS.clientTtlMs, whenFull: 'refuse' } as const;

/** KVS answers that mean storage is set up wrong: retrying cannot help. */
const MISCONFIGURED = new Set(['INVALID_ENTITY_TYPE', 'ENTITY_TYPE_TOO_SHORT', 'ENTITY_TYPE_TOO_LARGE', 'NOT_FOUND_ENTITY', 'FORBIDDEN', 'PERMISSION_DENIED', 'MISSING_SCOPE']);

const fail = (code: ResolverError['error']['code'], message: string): ResolverError => ({ error: { code, message: message.startsWith('[bgstore]') ? message : `[bgstore] ${message}` } });
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const cut = (s: string) => (s.length > LIMITS.refusalMessage ? `${s.slice(0, LIMITS.refusalMessage - 1)}…` : s);

/**
 * Reads a commit's intents. Each is judged alone: a malformed one is refused (`BAD_REQUEST`) by its
 * own outcome, the others go on. Only a payload that is not a list at all is refused whole.
 */
function parseIntents(raw: unknown, max: number): { intents: StoredIntent[]; refused: Outcome[] } {
  if (!Array.isArray(raw)) throw new SyncError('BAD_REQUEST', 'intents must be an array');
  if (raw.length > max) throw new SyncError('TOO_LARGE', `at most ${max} intents per commit, got ${raw.length}`);
  const intents: StoredIntent[] = [];
  const refused: Outcome[] = [];
  raw.forEach((i, n) => {
    if (!isObj(i) || typeof i.clientId !== 'string' || !isSeq(i.seq)) throw new SyncError('BAD_REQUEST', `intents[${n}] must have a string clientId and a positive integer seq`);
    const shape = isId(i.clientId) && typeof i.name === 'string' && i.name.length <= LIMITS.actionName && Array.isArray(i.args);
    if (!shape) return void refused.push({ clientId: i.clientId.slice(0, LIMITS.idLength), seq: i.seq, ok: false, code: 'BAD_REQUEST', message: `[bgstore] intents[${n}] must be {clientId (1–${LIMITS.idLength} url-safe characters), seq, name, args[]}` });
    const intent: StoredIntent = { clientId: i.clientId, seq: i.seq, name: i.name as string, args: i.args as unknown[] };
    if (i.refused !== undefined) {
      // A host's own refusal is recorded as told, but only with a known code and a bounded message.
      const r = isObj(i.refused) ? i.refused : {};
      const code = (SYNC_ERROR_CODES as readonly unknown[]).includes(r.code) ? (r.code as StoredIntent['refused'] & object)['code'] : 'BAD_REQUEST';
      intent.refused = { code, message: cut(typeof r.message === 'string' ? r.message : 'refused by the host') };
      intent.args = [];
    }
    intents.push(intent);
  });
  return { intents, refused };
}

function floorsOf(raw: unknown): [string, number][] {
  if (!Array.isArray(raw)) return [];
  return raw.filter((f): f is [string, number] => Array.isArray(f) && isId(f[0]) && Number.isSafeInteger(f[1]) && f[1] >= 0).slice(0, 1000);
}

/** A caller's own records, under their bare client ids. */
function ownClients(clients: Record<string, ClientRecord>, context: StoreContext, anyClientId?: string): Record<string, ClientRecord> {
  if (!context.accountId) return {};
  const prefix = `${callerKey(context, anyClientId ?? '')}|`;
  const out: Record<string, ClientRecord> = {};
  for (const [key, record] of Object.entries(clients)) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = record;
  return out;
}

/**
 * Defines bgstore's resolver functions (`bgstore.load`, `bgstore.commit`, `bgstore.revision`) for
 * the given stores, with each store's server policy. Every answer is data: failures come back as
 * `{error: {code, message}}`. Only `context` is trusted; everything in a payload may be forged.
 * @example
 * const resolver = new Resolver();
 * registerStores(resolver, [board], { policies: { board: { scope: 'space' } } });
 * export const handler = resolver.getDefinitions();
 */
export function registerStores(resolver: ResolverLike, definitions: readonly RegisteredStore[], options: RegisterStoresOptions = {}): void {
  const stores = new Map<string, AnyDefinition>();
  for (const d of definitions as readonly AnyDefinition[]) {
    if (typeof d?.name !== 'string' || typeof d.actions !== 'object') throw new TypeError('[bgstore] registerStores takes store definitions made by defineStore');
    if (stores.has(d.name)) throw new Error(`[bgstore] registerStores: two stores are named '${d.name}'`);
    stores.set(d.name, d);
  }
  const policies = options.policies ?? {};
  for (const name of Object.keys(policies)) if (!stores.has(name)) throw new TypeError(`[bgstore] registerStores: a policy names store '${name}', which is not registered`);
  const policyOf = (name: string): StorePolicy => (Object.hasOwn(policies, name) ? policies[name]! : {});
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

  const handle = <T>(run: (definition: AnyDefinition, payload: Record<string, unknown>, context: StoreContext, policy: StorePolicy) => Promise<T>) =>
    async ({ payload, context }: { payload: unknown; context: unknown }): Promise<T | ResolverError> => {
      try {
        if (!isObj(payload)) return fail('BAD_REQUEST', 'the payload must be an object');
        let bytes: number;
        try {
          bytes = jsonBytes(payload);
        } catch {
          return fail('BAD_REQUEST', 'the payload is not JSON');
        }
        if (bytes > maxPayload) return fail('TOO_LARGE', `the payload is ${bytes} bytes, over ${maxPayload}; the host sends smaller batches`);
        const definition = typeof payload.store === 'string' && stores.has(payload.store) ? stores.get(payload.store) : undefined;
        if (!definition) return fail('BAD_REQUEST', `unknown store ${JSON.stringify(payload.store)?.slice(0, 80)}; registered: ${[...stores.keys()].join(', ')}`);
        return await run(definition, payload, (isObj(context) ? context : {}) as StoreContext, policyOf(definition.name));
      } catch (error) {
        if (isSyncError(error)) return fail(error.code, error.message);
        const code = (error as { code?: unknown }).code;
        if (typeof code === 'string' && MISCONFIGURED.has(code)) {
          return fail('MISCONFIGURED', `storage is not set up for bgstore (${code}): declare the '${'bgstore-doc'}' entity under app.storage.entities in manifest.yml (DOC_ENTITY_DECLARATION) and the storage:app scope, then deploy again`);
        }
        if (error instanceof RangeError) return fail('BAD_REQUEST', `the payload is too deeply nested: ${error.message}`);
        if (error instanceof TypeError && /__forge_fetch__/.test(error.message)) {
          return fail('MISCONFIGURED', `no Forge storage here (${error.message}): registerStores must run in a Forge function whose app has the storage:app scope in manifest.yml`);
        }
        return fail('STORAGE_FAILED', `storage failed${typeof code === 'string' ? ` (${code})` : ''}: ${error instanceof Error ? error.message : String(error)}`);
      }
    };

  const keyOf = (definition: AnyDefinition, policy: StorePolicy, context: StoreContext) => documentKey(definition.name, policy.scope ?? 'site', context);

  const load = async (definition: AnyDefinition, key: string) => {
    const stored = await readDoc(key, undefined, warm);
    return { stored, doc: stored ? upgradeDoc(definition, stored.doc) : (emptyDoc(definition) as DurableDoc<unknown>) };
  };

  resolver.define(
    RESOLVER_FUNCTIONS.load,
    handle(async (definition, _payload, context, policy): Promise<LoadResponse> => {
      assertMayRead(definition.name, policy, context);
      const { doc } = await load(definition, keyOf(definition, policy, context));
      // Only the caller's own client records: nobody learns another caller's client ids.
      return { revision: doc.revision, schemaVersion: doc.schemaVersion, state: doc.state, clients: ownClients(doc.clients, context) };
    }),
  );

  resolver.define(
    RESOLVER_FUNCTIONS.revision,
    handle(async (definition, _payload, context, policy): Promise<RevisionResponse> => {
      assertMayRead(definition.name, policy, context);
      return { revision: await readRevision(keyOf(definition, policy, context)) };
    }),
  );

  resolver.define(
    RESOLVER_FUNCTIONS.commit,
    handle(async (definition, payload, context, policy): Promise<CommitResponse | ResolverError> => {
      const baseRevision = payload.baseRevision;
      if (!Number.isSafeInteger(baseRevision) || (baseRevision as number) < 0) return fail('BAD_REQUEST', 'baseRevision must be a non-negative integer');
      const parsed = parseIntents(payload.intents, maxIntents);
      // A commit's answer can carry the stored state: whoever may not read may not commit either.
      assertMayRead(definition.name, policy, context);
      if (!context.accountId && !policy.allowAnonymousWrites) {
        return fail('UNAUTHORIZED', `store '${definition.name}' does not let anonymous viewers write (allowAnonymousWrites in its registerStores policy)`);
      }
      const key = keyOf(definition, policy, context);
      const caller = context.accountId ?? null;
      // Dedupe identity is the caller plus the client id: a caller can only ever name its own records.
      const own = (clientId: string) => `${callerKey(context, clientId)}|${clientId}`;
      const bare = new Map(parsed.intents.map((i) => [own(i.clientId), i.clientId]));
      // The caller's policy is applied here, with its own context, before the batch can be carried
      // by another caller's commit: refused intents go to storage as refusals.
      const mine = parsed.intents.map((i): StoredIntent => {
        const intent = { ...i, clientId: own(i.clientId) };
        if (intent.refused || !policy.authorize) return intent;
        const verdict = verdictOf(() => policy.authorize!(context, i));
        return verdict === true ? intent : { ...intent, args: [], refused: { code: 'UNAUTHORIZED', message: cut(`[bgstore] ${definition.name}.${i.name}: ${verdict}`) } };
      });
      const floors = floorsOf(payload.floors).map(([c, f]): [string, number] => [own(c), f]);
      const strip = (o: Outcome): Outcome => ({ ...o, clientId: bare.get(o.clientId) ?? o.clientId });
      // Storage failures back off and give up after `maxAttempts`. A lost race (another commit
      // moved the head, or replaced what this one was reading) posts the batch to the document's
      // inbox, so the next winner applies it too, and retries after a jittered wait that grows with
      // each loss, reading only what changed, until the contention budget is spent.
      const started = Date.now();
      const posted = { key: inboxKey(key, caller, mine), done: false };
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
          const result = commitIntents(definition, doc, [...carried, ...mine], { now: now(), table: TABLE, floors });
          const outcomes = result.outcomes.slice(carried.length);
          const inbox = [...(posted.done ? [posted.key] : []), ...others.map((entry) => entry.key)];
          if (result.changed) await writeDoc(key, stored, result.doc, { minPiece: options.minPiece, alsoDelete: inbox, warm });
          // Stored by others' commits: this batch's inbox entry is done with (if they did not delete it).
          else if (posted.done) await dropInbox(posted.key);
          const carriedApplied = result.outcomes.slice(0, carried.length).some((o) => !o.duplicate);
          const answer = commitAnswer(doc, baseRevision as number, { doc: result.doc, outcomes }, carriedApplied);
          return { ...answer, outcomes: [...answer.outcomes.map(strip), ...parsed.refused] };
        } catch (error) {
          if (isSyncError(error)) throw error;
          if (isLostRace(error)) {
            races++;
            if (Date.now() - started >= contentionBudgetMs) {
              throw new SyncError('STORAGE_BUSY', `[bgstore] the document is busy: ${races} other commits won the race in ${Date.now() - started} ms; retry the batch (no intent applies twice)`);
            }
            if (!posted.done) posted.done = await postInbox({ key: posted.key, caller, intents: mine }).catch(() => false);
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
