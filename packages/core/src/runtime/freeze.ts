import type { WirePatch } from '@bgstore/protocol';

const env = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env;

/**
 * Whether states handed to the app are frozen, so an accidental `state.items.push(x)` throws instead
 * of silently diverging from the host. On unless `NODE_ENV` is `production` (bundlers replace it).
 */
export const freezing = env?.NODE_ENV !== 'production';

/** Freezes `value` and everything in it that is not frozen yet: O(new parts), frozen subtrees are skipped. */
export function deepFreeze<T>(value: T): T {
  if (!freezing || typeof value !== 'object' || value === null || Object.isFrozen(value)) return value;
  Object.freeze(value);
  for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  return value;
}

/**
 * Freezes what patches changed in `state`: each container on a patch's path and the new values.
 * Unchanged parts were frozen before and keep their identity, so this costs O(change).
 */
export function freezeChanged<T>(state: T, patches: readonly WirePatch[]): T {
  if (!freezing) return state;
  Object.freeze(state);
  for (const p of patches) {
    let node: unknown = state;
    for (const key of p.path) {
      if (typeof node !== 'object' || node === null) break;
      node = (node as Record<string | number, unknown>)[key];
      if (typeof node === 'object' && node !== null && !Object.isFrozen(node)) Object.freeze(node);
    }
    deepFreeze(node);
  }
  return state;
}
