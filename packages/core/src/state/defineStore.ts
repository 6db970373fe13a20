import { digest } from '@bgstore/protocol';
import type { Draft } from 'immer';

/** An action: an immer recipe over the state, with the arguments a caller passes. Pure and deterministic. */
export type ActionRecipe<TState> = (draft: Draft<TState>, ...args: never[]) => void | TState | Draft<TState>;

/** The actions of a store: a record of recipes. */
export type ActionRecipes<TState> = Record<string, ActionRecipe<TState>>;

/** Who called an action: the signed-in account, or `null` for an anonymous viewer. */
export interface Caller {
  readonly accountId: string | null;
}

/** The caller of an anonymous viewer (and of a host or replica not told who its user is). */
export const ANONYMOUS_CALLER: Caller = Object.freeze({ accountId: null });

/**
 * What an action sees as `this` when written with method syntax (`vote(draft, option) { … }`):
 * `this.caller` is who called it — on the server, the account Forge's `context` names (trusted);
 * on the page, for the optimistic view, the page's own user. It is recorded with the intent, so
 * every re-run sees the same caller.
 */
export interface ActionThis {
  readonly caller: Caller;
}

/** Optional argument checks, per action: return `true` to accept, or a message saying what is wrong. */
export type ActionValidators<TActions> = { [K in keyof TActions]?: (args: unknown[]) => true | string };

/** What a caller passes to an action: the recipe's parameters after the draft. */
export type InferArgs<TRecipe> = TRecipe extends (draft: never, ...args: infer A) => unknown ? A : never;

/**
 * One action call. It settles when its outcome is final: resolved once the change is stored (or,
 * with a host that keeps its state in memory only, once applied), rejected with a `SyncError` when
 * refused, timed out or closed. `applied` resolves earlier, once the host's state has the change,
 * so a UI can show "saving…"; it rejects like the call when the call is refused first.
 * @example
 * const call = replica.actions.add('c1', 'Write docs');
 * await call.applied; // the host has it; every module shows it
 * await call;         // it is stored
 */
export interface ActionCall extends Promise<void> {
  readonly applied: Promise<void>;
}

/** The typed action functions of a replica or host: each returns an {@link ActionCall}. */
export type InferActions<TActions> = { [K in keyof TActions]: (...args: InferArgs<TActions[K]>) => ActionCall };

/** The state type of a store definition. */
export type InferState<TDefinition> = TDefinition extends { readonly initialState: infer S } ? S : never;

/** Options of {@link defineStore}. */
export interface StoreOptions<TState, TActions extends ActionRecipes<TState>, TName extends string = string> {
  /** Names the store; namespaces its events, so it must be the same in every module. Letters, digits, `-_.:`. */
  name: TName;
  /** The state before any action: plain JSON. */
  initialState: TState;
  /**
   * Immer recipes `(draft, ...args) => void`, run by the host (and optimistically by replicas).
   * Pure and deterministic. Written as methods, they see their caller as `this.caller` ({@link ActionThis}).
   */
  actions: TActions & ThisType<ActionThis>;
  /** Per-action argument checks, run at the call site, on the host and in the resolver. */
  validate?: ActionValidators<TActions>;
  /**
   * Actions the server policy may refuse, held until stored: `{ reset: false }`. Every other action
   * shows on every module at once (optimistic); a held one changes no module's state until storage
   * has accepted it (its policy ran), and a refused one never shows. The calling module sees it in
   * `replica.sync` (`calls`, `held: true`) or `usePending(replica, 'reset')`. A misspelt action name
   * fails to compile. With a host that keeps its state in memory only (no server policy), a held
   * action shows once the host applied it. @default every action optimistic
   */
  optimistic?: { readonly [K in keyof NoInfer<TActions>]?: boolean };
  /** Version of the state's shape, for stored documents. @default 1 */
  schemaVersion?: number;
  /** Turns a stored state of an older `schemaVersion` into the current shape. */
  migrate?: (state: unknown, fromVersion: number) => TState;
}

/** A store definition: written once, imported by the host, every replica and the resolver. */
export interface StoreDefinition<TState, TActions extends ActionRecipes<TState>, TName extends string = string> {
  readonly name: TName;
  readonly initialState: TState;
  readonly actions: TActions;
  readonly validate: ActionValidators<TActions>;
  /** Which actions are held until stored (`false`); absent or `true`: shown at once. */
  readonly optimistic: { readonly [K in keyof TActions]?: boolean };
  readonly schemaVersion: number;
  readonly migrate?: (state: unknown, fromVersion: number) => TState;
  /** Tells builds apart: name, schema version and action names. Modules of one page must agree. */
  readonly fingerprint: string;
}

const NAME = /^[A-Za-z0-9_.:-]{1,64}$/;

/**
 * Defines a store once for every module. Action names and argument types flow from here to
 * `replica.actions.*` and `host.actions.*`.
 * @example
 * export const board = defineStore({
 *   name: 'board',
 *   initialState: { cards: [] as { id: string; title: string }[] },
 *   actions: {
 *     add: (draft, id: string, title: string) => void draft.cards.push({ id, title }),
 *   },
 * });
 */
export function defineStore<TState, TActions extends ActionRecipes<TState>, const TName extends string = string>(options: StoreOptions<TState, TActions, TName>): StoreDefinition<TState, TActions, TName> {
  const name = options.name;
  if (!NAME.test(name)) throw new TypeError(process.env.NODE_ENV !== 'production' ? `[bgstore] store name ${JSON.stringify(name)} must be 1–64 letters, digits or -_.: (it names bridge events)` : `[bgstore] bad store name ${JSON.stringify(name)}`);
  if (typeof options.actions !== 'object' || options.actions === null) throw new TypeError(process.env.NODE_ENV !== 'production' ? '[bgstore] defineStore needs an `actions` object' : '[bgstore] no actions');
  for (const [key, fn] of Object.entries(options.actions)) {
    if (typeof fn !== 'function') throw new TypeError(process.env.NODE_ENV !== 'production' ? `[bgstore] action '${key}' of store '${name}' must be a function (draft, ...args) => void` : `[bgstore] ${name}.${key} is not a function`);
  }
  const schemaVersion = options.schemaVersion ?? 1;
  if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) throw new TypeError('[bgstore] schemaVersion must be a positive integer');
  const moved = ['scope', 'authorize', 'allowAnonymousWrites'].filter((k) => k in options);
  if (moved.length) {
    throw new TypeError(
      process.env.NODE_ENV !== 'production'
        ? `[bgstore] store '${name}': ${moved.join(', ')} moved to the resolver: registerStores(resolver, [${name}], { policies: { '${name}': { ${moved.join(', ')} } } }) — server policy no longer ships in frontend bundles (see the changelog)`
        : `[bgstore] ${name}: ${moved.join(', ')} moved to registerStores`,
    );
  }
  const optimistic = options.optimistic ?? {};
  for (const [key, value] of Object.entries(optimistic)) {
    if (!Object.hasOwn(options.actions, key)) throw new TypeError(process.env.NODE_ENV !== 'production' ? `[bgstore] store '${name}': optimistic names '${key}', which is not one of its actions (${Object.keys(options.actions).join(', ')})` : `[bgstore] ${name}: optimistic.${key} is no action`);
    if (typeof value !== 'boolean') throw new TypeError(`[bgstore] store '${name}': optimistic.${key} must be true or false`);
  }
  // Modules that hold different actions would show different things: they are different builds.
  const held = Object.keys(optimistic).filter((k) => optimistic[k as keyof typeof optimistic] === false).sort();
  const fingerprint = digest(JSON.stringify([options.name, schemaVersion, Object.keys(options.actions).sort(), ...(held.length ? [held] : [])]));
  return Object.freeze({
    name: options.name,
    initialState: options.initialState,
    actions: options.actions,
    validate: options.validate ?? {},
    optimistic: Object.freeze({ ...optimistic }),
    schemaVersion,
    migrate: options.migrate,
    fingerprint,
  });
}

/** Whether action `name` of a definition is held until stored (`optimistic: { [name]: false }`). */
export const isHeld = (definition: { readonly optimistic?: Readonly<Record<string, boolean | undefined>> }, name: string): boolean => definition.optimistic?.[name] === false;
