import { errorText, findNonJson, INTENT_BYTES, jsonBytes, type Refusal, type WirePatch } from '@bgstore/protocol';
import { immer } from '../runtime/immer';
import { ANONYMOUS_CALLER, type ActionRecipes, type Caller, type StoreDefinition } from './defineStore';
import { jsonBytesAtMost } from './jsonBound';
import { coalescePatches } from './patches';

/** What running one intent gave: the next state and its patches, or why it was refused. */
export type IntentOutcome<TState> = ({ ok: true; state: TState; patches: WirePatch[] }) | ({ ok: false } & Refusal);

const describePath = (path: (string | number)[]) => (path.length ? path.map((k) => `[${JSON.stringify(k)}]`).join('') : '(root)');

/**
 * Checks an action call before it runs, the same way on the replica (at the call site), the host and
 * the resolver: a known action, JSON arguments that fit a commit, and the definition's validator.
 * Returns the refusal, or undefined when the call may run.
 */
export function checkIntent<TState, TActions extends ActionRecipes<TState>>(definition: StoreDefinition<TState, TActions>, name: unknown, args: unknown): Refusal | undefined {
  const store = definition.name;
  if (typeof name !== 'string' || !Object.hasOwn(definition.actions, name)) {
    return { code: 'UNKNOWN_ACTION', message: `[bgstore] store '${store}' has no action ${JSON.stringify(name)}${process.env.NODE_ENV !== 'production' ? '; are all modules built from the same store definition?' : ''}` };
  }
  if (!Array.isArray(args)) return { code: 'INVALID_ARGS', message: `[bgstore] ${store}.${name}: arguments must be an array` };
  const bad = findNonJson(args);
  if (bad) {
    return { code: 'INVALID_ARGS', message: `[bgstore] ${store}.${name}: argument ${describePath(bad)} is not JSON${process.env.NODE_ENV !== 'production' ? ' (use plain objects, arrays, strings, finite numbers, booleans, null; no own __proto__ keys)' : ''}` };
  }
  const bytes = jsonBytesAtMost(args) > INTENT_BYTES ? jsonBytes(args) : 0;
  if (bytes > INTENT_BYTES) return { code: 'TOO_LARGE', message: `[bgstore] ${store}.${name}: arguments are ${bytes} bytes of JSON, over the ${INTENT_BYTES}${process.env.NODE_ENV !== 'production' ? " an intent may have (a commit must fit Forge's invoke)" : ''}` };
  const validator = definition.validate[name];
  if (!validator) return undefined;
  let verdict: true | string;
  try {
    verdict = validator(args);
  } catch (error) {
    verdict = `validator threw: ${errorText(error)}`;
  }
  return verdict === true ? undefined : { code: 'INVALID_ARGS', message: `[bgstore] ${store}.${name}: ${typeof verdict === 'string' ? verdict : 'arguments refused by the validator'}` };
}

type Recipe = (this: { caller: Caller }, draft: unknown, ...a: unknown[]) => unknown;

/** What a recipe sees as `this`: its caller (an account id, `null` anonymous). */
const thisFor = (caller: Caller | string | null | undefined) =>
  Object.freeze({ caller: typeof caller === 'object' && caller !== null ? caller : caller === undefined || caller === null ? ANONYMOUS_CALLER : Object.freeze({ accountId: caller }) });
const recipeOf = (definition: StoreDefinition<unknown, ActionRecipes<unknown>>, name: string) => definition.actions[name] as unknown as Recipe;

/**
 * Runs action `name` with `args` on `state` as the host does: checks the call, runs the recipe once
 * with immer (`this.caller` is `caller`: an account id, `null` or absent for anonymous), refuses
 * non-JSON results, and coalesces the patches. Never throws. The resolver re-runs intents with the
 * same function, so both sides agree on every outcome.
 */
export function runIntent<TState, TActions extends ActionRecipes<TState>>(
  definition: StoreDefinition<TState, TActions>,
  state: TState,
  name: string,
  args: unknown,
  caller?: Caller | string | null,
): IntentOutcome<TState> {
  const refused = checkIntent(definition, name, args);
  if (refused) return { ok: false, ...refused };
  return runChecked(definition, state, name, args as unknown[], caller);
}

/**
 * {@link runIntent} for a call {@link checkIntent} already passed (a peer's own call is checked at
 * its call site, and its arguments are a copy nobody else holds): the same outcome, without
 * checking the arguments again.
 */
export function runChecked<TState, TActions extends ActionRecipes<TState>>(
  definition: StoreDefinition<TState, TActions>,
  state: TState,
  name: string,
  args: unknown[],
  caller?: Caller | string | null,
): IntentOutcome<TState> {
  if (!Object.hasOwn(definition.actions, name)) return runIntent(definition, state, name, args, caller);
  const store = definition.name;
  const recipe = recipeOf(definition as never, name);
  let next: TState;
  let raw: WirePatch[];
  try {
    const self = thisFor(caller);
    [next, raw] = immer.produceWithPatches(state, (draft) => recipe.call(self, draft, ...args) as never) as unknown as [TState, WirePatch[]];
  } catch (error) {
    return { ok: false, code: 'ACTION_FAILED', message: `[bgstore] ${store}.${name} threw: ${errorText(error)}` };
  }
  for (const p of raw) {
    if (p.op === 'remove') continue;
    const bad = findNonJson(p.value);
    if (bad) return { ok: false, code: 'NON_JSON_STATE', message: `[bgstore] ${store}.${name} put a non-JSON value at ${describePath([...p.path, ...bad])}; state must be plain JSON` };
  }
  return { ok: true, state: next, patches: coalescePatches(state, next, raw) };
}

/**
 * Replays already-checked intents on a state, in order, as hosts rebase and optimistic replicas
 * render: without patches (nobody reads them), and one that fails now simply has no effect. Each
 * runs with its own recorded `caller` if it has one, else with `caller` (the page's user).
 */
export function replayIntents<TState, TActions extends ActionRecipes<TState>>(
  definition: StoreDefinition<TState, TActions>,
  state: TState,
  intents: Iterable<{ name: string; args: unknown[]; refused?: unknown; caller?: string | null }>,
  caller?: Caller,
): TState {
  let next = state;
  const own = thisFor(caller);
  for (const intent of intents) {
    if (intent.refused || !Object.hasOwn(definition.actions, intent.name)) continue;
    const recipe = recipeOf(definition as never, intent.name);
    try {
      const self = intent.caller === undefined ? own : thisFor(intent.caller);
      next = immer.produce(next, (draft) => recipe.call(self, draft, ...intent.args) as never) as TState;
    } catch {
      // It fails on this state: the host will refuse it too, and the view shows it without effect.
    }
  }
  return next;
}
