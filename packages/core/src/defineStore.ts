import type { Draft } from 'immer';

/** An action: an immer recipe over the state, with the arguments a caller passes. Pure and deterministic. */
export type ActionRecipe<TState> = (draft: Draft<TState>, ...args: never[]) => void | TState | Draft<TState>;

/** The actions of a store: a record of recipes. */
export type ActionRecipes<TState> = Record<string, ActionRecipe<TState>>;

/** Optional argument checks, per action: return `true` to accept, or a message saying what is wrong. */
export type ActionValidators<TActions> = { [K in keyof TActions]?: (args: unknown[]) => true | string };

/** What a caller passes to an action: the recipe's parameters after the draft. */
export type InferArgs<TRecipe> = TRecipe extends (draft: never, ...args: infer A) => unknown ? A : never;

/** The typed action functions of a replica or host: each resolves once the host applied it. */
export type InferActions<TActions> = { [K in keyof TActions]: (...args: InferArgs<TActions[K]>) => Promise<void> };

/** The state type of a store definition. */
export type InferState<TDefinition> = TDefinition extends { readonly initialState: infer S } ? S : never;

/**
 * Where a store's durable document lives, from the caller's Forge context (never from the payload):
 * one per site, per space, per content item, per user — or a function of the context returning a key.
 */
export type StoreScope = 'site' | 'space' | 'content' | 'user' | ((context: StoreContext) => string);

/** The parts of a resolver's `req.context` that scopes and authorization look at. */
export interface StoreContext {
  accountId?: string;
  cloudId?: string;
  installContext?: string;
  moduleKey?: string;
  extension?: { type?: string; content?: { id?: string | number; type?: string }; space?: { key?: string; id?: string | number }; [key: string]: unknown };
  [key: string]: unknown;
}

/** One action call as the resolver sees it before applying it. */
export interface StoreIntent {
  clientId: string;
  seq: number;
  name: string;
  args: unknown[];
}

/** Options of {@link defineStore}. */
export interface StoreOptions<TState, TActions extends ActionRecipes<TState>> {
  /** Names the store; namespaces its events, so it must be the same in every module. Letters, digits, `-_.:`. */
  name: string;
  /** The state before any action: plain JSON. */
  initialState: TState;
  /** Immer recipes `(draft, ...args) => void`, run by the host (and optimistically by replicas). */
  actions: TActions;
  /** Per-action argument checks, run by the host before the recipe. */
  validate?: ActionValidators<TActions>;
  /** Version of the state's shape, for stored documents. @default 1 */
  schemaVersion?: number;
  /** Turns a stored state of an older `schemaVersion` into the current shape. */
  migrate?: (state: unknown, fromVersion: number) => TState;
  /** Where the durable document lives. @default 'site' */
  scope?: StoreScope;
  /** Decides, in the resolver, whether a caller may apply an intent: `true` or the reason not. */
  authorize?: (context: StoreContext, intent: StoreIntent) => true | string;
  /** Whether anonymous viewers (no `accountId`) may write. They may always read. @default false */
  allowAnonymousWrites?: boolean;
}

/** A store definition: written once, imported by the host, every replica and the resolver. */
export interface StoreDefinition<TState, TActions extends ActionRecipes<TState>> {
  readonly name: string;
  readonly initialState: TState;
  readonly actions: TActions;
  readonly validate: ActionValidators<TActions>;
  readonly schemaVersion: number;
  readonly migrate?: (state: unknown, fromVersion: number) => TState;
  readonly scope: StoreScope;
  readonly authorize?: (context: StoreContext, intent: StoreIntent) => true | string;
  readonly allowAnonymousWrites: boolean;
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
export function defineStore<TState, TActions extends ActionRecipes<TState>>(options: StoreOptions<TState, TActions>): StoreDefinition<TState, TActions> {
  if (!NAME.test(options.name)) {
    throw new TypeError(`[bgstore] store name ${JSON.stringify(options.name)} must be 1–64 letters, digits or -_.: (it names bridge events)`);
  }
  if (typeof options.actions !== 'object' || options.actions === null) throw new TypeError('[bgstore] defineStore needs an `actions` object');
  for (const [key, fn] of Object.entries(options.actions)) {
    if (typeof fn !== 'function') throw new TypeError(`[bgstore] action '${key}' of store '${options.name}' must be a function (draft, ...args) => void`);
  }
  const schemaVersion = options.schemaVersion ?? 1;
  if (!Number.isSafeInteger(schemaVersion) || schemaVersion < 1) throw new TypeError('[bgstore] schemaVersion must be a positive integer');
  return Object.freeze({
    name: options.name,
    initialState: options.initialState,
    actions: options.actions,
    validate: options.validate ?? {},
    schemaVersion,
    migrate: options.migrate,
    scope: options.scope ?? 'site',
    authorize: options.authorize,
    allowAnonymousWrites: options.allowAnonymousWrites ?? false,
  });
}
