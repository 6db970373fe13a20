import { enablePatches, produceWithPatches } from 'immer';
import { findNonJson, type SyncErrorCode, type WirePatch } from '@bgstore/protocol';
import type { ActionRecipes, StoreDefinition } from './defineStore';
import { coalescePatches } from './patches';

/** What running one intent gave: the next state and its patches, or why it was refused. */
export type IntentOutcome<TState> = { ok: true; state: TState; patches: WirePatch[] } | { ok: false; code: SyncErrorCode; message: string };

let patchesEnabled = false;

const describePath = (path: (string | number)[]) => (path.length ? path.map((k) => `[${JSON.stringify(k)}]`).join('') : '(root)');

/**
 * Runs action `name` with `args` on `state` as the host does: checks the name and arguments, runs
 * the recipe with immer, refuses non-JSON results, and coalesces the patches. Never throws.
 * The resolver re-runs intents with the same function, so both sides agree on every outcome.
 */
export function runIntent<TState, TActions extends ActionRecipes<TState>>(
  definition: StoreDefinition<TState, TActions>,
  state: TState,
  name: string,
  args: unknown,
): IntentOutcome<TState> {
  if (!patchesEnabled) {
    enablePatches();
    patchesEnabled = true;
  }
  const store = definition.name;
  if (typeof name !== 'string' || !Object.prototype.hasOwnProperty.call(definition.actions, name)) {
    return { ok: false, code: 'UNKNOWN_ACTION', message: `[bgstore] store '${store}' has no action ${JSON.stringify(name)}; are all modules built from the same store definition?` };
  }
  if (!Array.isArray(args)) return { ok: false, code: 'INVALID_ARGS', message: `[bgstore] ${store}.${name}: arguments must be an array` };
  const badArg = findNonJson(args);
  if (badArg) {
    return { ok: false, code: 'INVALID_ARGS', message: `[bgstore] ${store}.${name}: argument ${describePath(badArg)} is not JSON (use plain objects, arrays, strings, finite numbers, booleans, null)` };
  }
  const validator = definition.validate[name];
  if (validator) {
    let verdict: true | string;
    try {
      verdict = validator(args);
    } catch (error) {
      verdict = `validator threw: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (verdict !== true) return { ok: false, code: 'INVALID_ARGS', message: `[bgstore] ${store}.${name}: ${typeof verdict === 'string' ? verdict : 'arguments refused by the validator'}` };
  }
  const recipe = definition.actions[name] as unknown as (draft: unknown, ...a: unknown[]) => unknown;
  let next: TState;
  let raw: WirePatch[];
  try {
    [next, raw] = produceWithPatches(state, (draft) => recipe(draft, ...args) as never) as unknown as [TState, WirePatch[]];
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, code: 'ACTION_FAILED', message: `[bgstore] ${store}.${name} threw: ${message}` };
  }
  for (const p of raw) {
    if (p.op === 'remove') continue;
    const bad = findNonJson(p.value);
    if (bad) {
      return { ok: false, code: 'NON_JSON_STATE', message: `[bgstore] ${store}.${name} put a non-JSON value at ${describePath([...p.path, ...bad])}; state must be plain JSON` };
    }
  }
  return { ok: true, state: next, patches: coalescePatches(state, next, raw) };
}

/**
 * Replays intents on a state in order, as hosts rebase and optimistic replicas render: refused
 * ones (`refused` set) are skipped, and one that fails now simply has no effect.
 */
export function replayIntents<TState, TActions extends ActionRecipes<TState>>(
  definition: StoreDefinition<TState, TActions>,
  state: TState,
  intents: Iterable<{ name: string; args: unknown[]; refused?: unknown }>,
): TState {
  let next = state;
  for (const intent of intents) {
    if (intent.refused) continue;
    const r = runIntent(definition, next, intent.name, intent.args);
    if (r.ok) next = r.state;
  }
  return next;
}
