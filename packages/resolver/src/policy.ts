import type { ActionRecipes, Clock, InferArgs, StoreDefinition } from '@bgstore/core';
import { checkIntent } from '@bgstore/core/durable';
import { cutRefusal, SyncError, type StoredIntent } from '@bgstore/protocol';

/**
 * Where a store's durable document lives, from the caller's Forge context (never from the payload):
 * one per site, per space, per content item, per user — or a function of the context returning a key.
 */
export type StoreScope = 'site' | 'space' | 'content' | 'user' | ((context: StoreContext) => string);

/** The parts of a resolver's `req.context` that scopes and policies look at. Set by the platform: it cannot be forged. */
export interface StoreContext {
  accountId?: string;
  cloudId?: string;
  installContext?: string;
  moduleKey?: string;
  localId?: string;
  extension?: { type?: string; content?: { id?: string | number; type?: string }; space?: { key?: string; id?: string | number }; issue?: { id?: string | number; key?: string }; [key: string]: unknown };
  [key: string]: unknown;
}

/** One action call as the write policy sees it before it is applied, for any store. */
export interface AnyStoreIntent {
  clientId: string;
  seq: number;
  name: string;
  args: unknown[];
}

/** Any store definition. */
type AnyDefinition = StoreDefinition<unknown, ActionRecipes<unknown>>;

/** The actions of a store definition. */
type ActionsOf<S> = S extends { readonly actions: infer A } ? A : never;

/**
 * One action call as the write policy sees it before it is applied: for a store `S` (a definition's
 * type), one of its actions with that action's argument types; without `S`, any call. The name,
 * arguments and client id came from the caller's payload: the name is one of the store's actions
 * and the arguments passed its `validate` (the only run-time check of their shape — write one for
 * every action whose arguments a policy reads), but they may be forged; `context` is the truth.
 */
export type StoreIntent<S = never> = [S] extends [never]
  ? AnyStoreIntent
  : { [K in keyof ActionsOf<S> & string]: { clientId: string; seq: number; name: K; args: InferArgs<ActionsOf<S>[K]> } }[keyof ActionsOf<S> & string];

/**
 * A store's server policy, given to `registerStores` on the resolver side only: it never ships in a
 * frontend bundle, and it may import server-only code.
 * @example
 * registerStores(resolver, [board], {
 *   policies: { board: { scope: 'space', authorize: (ctx, intent) => intent.name !== 'wipe' || ctx.accountId === ADMIN || 'only the admin wipes' } },
 * });
 */
export interface StorePolicy<S = never> {
  /** Where the durable document lives. @default 'site' */
  scope?: StoreScope;
  /**
   * Decides per intent whether the caller may apply it: `true`, or the reason it may not
   * (`UNAUTHORIZED`). May be async (a product REST call); it gets `policyTimeoutMs` to answer, and
   * a throw or a timeout refuses. Called once per distinct intent of a commit (all of them at once),
   * before storage is touched, never again on a storage retry. A check that depends on the caller
   * only ("is this user a space admin") goes through `once`: it runs at most once per commit, however
   * many intents ask.
   * @example
   * authorize: async (ctx, intent, { once }) =>
   *   intent.name !== 'reset' || (await once('admin', () => isSpaceAdmin(ctx))) || 'only space admins reset'
   */
  authorize?: (context: StoreContext, intent: StoreIntent<S>, request: PolicyRequest) => PolicyVerdict | Promise<PolicyVerdict>;
  /**
   * Decides whether the caller may read the store (`bgstore.load`, `bgstore.revision`, and
   * `bgstore.commit`, whose answer can carry the state): `true` or the reason not. May be async,
   * like `authorize`; called once per request.
   */
  authorizeRead?: (context: StoreContext) => PolicyVerdict | Promise<PolicyVerdict>;
  /** Whether anonymous viewers (no `accountId`) may write. @default false */
  allowAnonymousWrites?: boolean;
  /** Whether anonymous viewers may read. @default true */
  allowAnonymousReads?: boolean;
}

/** What `authorize` shares across the intents of one commit (one caller, one request). */
export interface PolicyRequest {
  /** Runs `check` the first time `key` is asked in this commit; later asks get the same promise. */
  once<T>(key: string, check: () => T | Promise<T>): Promise<T>;
}

/** A policy's answer: `true`, or the reason it refuses (`false` refuses without one). */
export type PolicyVerdict = boolean | string;

/** How long a policy hook may take, and the timers that measure it. */
export interface PolicyTime {
  timeoutMs: number;
  clock: Pick<Clock, 'setTimeout'> & { clearTimeout?(handle: unknown): void };
}

/**
 * Runs a policy hook, sync or async: a throw, a rejection or no answer within the time limit is a
 * refusal saying which, never an escaping exception.
 */
export async function verdictOf(run: () => PolicyVerdict | Promise<PolicyVerdict>, time: PolicyTime): Promise<true | string> {
  let timer: unknown;
  const late = new Promise<string>((resolve) => {
    timer = time.clock.setTimeout(() => resolve(`the store policy did not answer within ${time.timeoutMs} ms (policyTimeoutMs)`), time.timeoutMs);
  });
  try {
    const v = await Promise.race([Promise.resolve().then(run), late]);
    return v === true ? true : typeof v === 'string' ? v : 'refused by the store policy';
  } catch (error) {
    return `the store policy threw: ${error instanceof Error ? error.message : String(error)}`;
  } finally {
    time.clock.clearTimeout?.(timer);
  }
}

/** Throws `UNAUTHORIZED` unless the caller may read. */
export async function assertMayRead(name: string, policy: StorePolicy, context: StoreContext, time: PolicyTime): Promise<void> {
  if (!context.accountId && policy.allowAnonymousReads === false) throw new SyncError('UNAUTHORIZED', `[bgstore] store '${name}' is not readable by anonymous viewers (allowAnonymousReads: false)`);
  if (!policy.authorizeRead) return;
  const verdict = await verdictOf(() => policy.authorizeRead!(context), time);
  if (verdict !== true) throw new SyncError('UNAUTHORIZED', `[bgstore] ${name}: ${verdict}`);
}

/**
 * Applies the write policy to a batch with the caller's own context, before another caller's commit
 * can carry it: an intent the policy refuses keeps its place as a refusal (no args), so storage
 * records why. Intents the host already refused, and calls storage will refuse anyway (an unknown
 * action, arguments its validators refuse), are left as they are. Identical intents (same
 * action and arguments) share one call, so a batch costs one policy call per distinct intent, and
 * what they ask through `once` runs once per batch.
 */
export async function applyWritePolicy(definition: AnyDefinition, policy: StorePolicy, context: StoreContext, intents: readonly StoredIntent[], time: PolicyTime): Promise<StoredIntent[]> {
  const name = definition.name;
  const authorize = policy.authorize;
  if (!authorize) return [...intents];
  const shared = new Map<string, Promise<unknown>>();
  const request: PolicyRequest = {
    once<T>(key: string, check: () => T | Promise<T>) {
      if (!shared.has(key)) shared.set(key, Promise.resolve().then(check));
      return shared.get(key) as Promise<T>;
    },
  };
  const verdicts = new Map<string, Promise<true | string>>();
  const verdictFor = (i: StoredIntent) => {
    const key = JSON.stringify([i.name, i.args]);
    if (!verdicts.has(key)) verdicts.set(key, verdictOf(() => authorize(context, { clientId: i.clientId, seq: i.seq, name: i.name, args: i.args }, request), time));
    return verdicts.get(key)!;
  };
  // The policy sees only calls of the store's actions whose arguments pass its validators (as its
  // types say); the rest storage refuses with their own code. Distinct intents are judged at once.
  const judged = intents.map(async (i): Promise<StoredIntent> => {
    if (i.refused || checkIntent(definition, i.name, i.args)) return i;
    const verdict = await verdictFor(i);
    return verdict === true ? i : { ...i, args: [], refused: { code: 'UNAUTHORIZED', message: cutRefusal(`[bgstore] ${name}.${i.name}: ${verdict}`) } };
  });
  return Promise.all(judged);
}

/** Throws `UNAUTHORIZED` unless the caller may write (anonymous viewers only where the policy lets them). */
export function assertMayWrite(name: string, policy: StorePolicy, context: StoreContext): void {
  if (!context.accountId && !policy.allowAnonymousWrites) {
    throw new SyncError('UNAUTHORIZED', `[bgstore] store '${name}' does not let anonymous viewers write (allowAnonymousWrites in its registerStores policy)`);
  }
}

