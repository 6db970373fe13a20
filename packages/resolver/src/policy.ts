import { hookVerdict } from '@bgstore/core/durable';
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

/** One action call as the write policy sees it before it is applied. Everything in it came from the caller's payload. */
export interface StoreIntent {
  clientId: string;
  seq: number;
  name: string;
  args: unknown[];
}

/**
 * A store's server policy, given to `registerStores` on the resolver side only: it never ships in a
 * frontend bundle, and it may import server-only code.
 * @example
 * registerStores(resolver, [board], {
 *   policies: { board: { scope: 'space', authorize: (ctx, intent) => intent.name !== 'wipe' || ctx.accountId === ADMIN || 'only the admin wipes' } },
 * });
 */
export interface StorePolicy {
  /** Where the durable document lives. @default 'site' */
  scope?: StoreScope;
  /** Decides per intent whether the caller may apply it: `true`, or the reason it may not (`UNAUTHORIZED`). */
  authorize?: (context: StoreContext, intent: StoreIntent) => true | string;
  /** Decides whether the caller may read the store (`bgstore.load`, `bgstore.revision`, and `bgstore.commit`, whose answer can carry the state): `true` or the reason not. */
  authorizeRead?: (context: StoreContext) => true | string;
  /** Whether anonymous viewers (no `accountId`) may write. @default false */
  allowAnonymousWrites?: boolean;
  /** Whether anonymous viewers may read. @default true */
  allowAnonymousReads?: boolean;
}

/** Runs a policy hook: a throw is a refusal with its message, never an escaping exception. */
const verdictOf = (run: () => true | string): true | string => hookVerdict(run, 'the store policy');

/** Throws `UNAUTHORIZED` unless the caller may read. */
export function assertMayRead(name: string, policy: StorePolicy, context: StoreContext): void {
  if (!context.accountId && policy.allowAnonymousReads === false) throw new SyncError('UNAUTHORIZED', `[bgstore] store '${name}' is not readable by anonymous viewers (allowAnonymousReads: false)`);
  if (!policy.authorizeRead) return;
  const verdict = verdictOf(() => policy.authorizeRead!(context));
  if (verdict !== true) throw new SyncError('UNAUTHORIZED', `[bgstore] ${name}: ${verdict}`);
}


/**
 * Applies the write policy to a batch with the caller's own context, before another caller's commit
 * can carry it: an intent the policy refuses keeps its place as a refusal (no args), so storage
 * records why. Intents the host already refused are left as they are.
 */
export function applyWritePolicy(name: string, policy: StorePolicy, context: StoreContext, intents: readonly StoredIntent[]): StoredIntent[] {
  return intents.map((i): StoredIntent => {
    if (i.refused || !policy.authorize) return i;
    const verdict = verdictOf(() => policy.authorize!(context, i));
    return verdict === true ? i : { ...i, args: [], refused: { code: 'UNAUTHORIZED', message: cutRefusal(`[bgstore] ${name}.${i.name}: ${verdict}`) } };
  });
}

/** Throws `UNAUTHORIZED` unless the caller may write (anonymous viewers only where the policy lets them). */
export function assertMayWrite(name: string, policy: StorePolicy, context: StoreContext): void {
  if (!context.accountId && !policy.allowAnonymousWrites) {
    throw new SyncError('UNAUTHORIZED', `[bgstore] store '${name}' does not let anonymous viewers write (allowAnonymousWrites in its registerStores policy)`);
  }
}

