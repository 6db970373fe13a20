import type { WirePatch } from '@bgstore/protocol';

// States handed to the app are frozen, so an accidental `state.items.push(x)` throws instead of
// silently diverging from the host — unless `NODE_ENV` is `production`. The functions test
// `process.env.NODE_ENV` in place, written out whole: bundlers replace it (webpack's production
// mode, as the Forge CLI bundles UI Kit; esbuild's and vite's `define`) and minifiers fold the test
// where it stands and drop the freezing code of a production bundle (a constant is inlined only from
// the top of a module, which a package's one-file build does not keep it at). Read through
// `globalThis.process` it stayed unreplaced, and a browser froze every state in production.

/**
 * Arrays longer than this are left extensible (their elements are still frozen): V8 copies a frozen
 * (or sealed) array by `slice` about 150× slower than a plain one (10,000 elements: ~1.5 ms against
 * ~10 µs), and immer copies an array by `slice` on every change to it — so freezing a big list made
 * every development-mode action on it cost milliseconds. A `push` on such a list is not caught in
 * development; a write to one of its elements still is.
 */
export const FREEZE_ARRAY_MAX = 512;

// Big arrays already walked: they cannot be frozen, so `isFrozen` cannot say they were done.
const walked = new WeakSet<object>();

const freezeOne = (value: object) => {
  if (!Array.isArray(value) || value.length <= FREEZE_ARRAY_MAX) Object.freeze(value);
  else walked.add(value);
};
const done = (value: object) => Object.isFrozen(value) || walked.has(value);

/** Freezes `value` and everything in it that is not frozen yet: O(new parts), frozen subtrees are skipped. */
export function deepFreeze<T>(value: T): T {
  // The test wraps the work (an early return would leave the helpers above in a production bundle).
  if (process.env.NODE_ENV !== 'production' && typeof value === 'object' && value !== null && !done(value)) {
    freezeOne(value);
    if (Array.isArray(value)) for (const item of value) deepFreeze(item);
    else for (const key of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[key]);
  }
  return value;
}

/**
 * Freezes what patches changed in `state`: each container on a patch's path and the new values.
 * Unchanged parts were frozen before and keep their identity, so this costs O(change).
 */
export function freezeChanged<T>(state: T, patches: readonly WirePatch[]): T {
  if (process.env.NODE_ENV !== 'production') {
    if (typeof state === 'object' && state !== null && !done(state)) freezeOne(state);
    for (const p of patches) {
      // The containers on the path shallowly (their other children were frozen before), the new value whole.
      let node: unknown = state;
      for (const key of p.path) {
        if (typeof node !== 'object' || node === null) break;
        if (!done(node)) freezeOne(node);
        node = (node as Record<string | number, unknown>)[key];
      }
      deepFreeze(node);
    }
  }
  return state;
}
