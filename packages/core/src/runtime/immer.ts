import { enablePatches, Immer } from 'immer';

enablePatches();

/**
 * bgstore's own immer, set for speed: no auto-freeze (immer's deep freeze on every produce and
 * every applyPatches is O(state); bgstore freezes the changed paths in development instead, see
 * `freeze.ts`) and no strict iteration. The app's global immer settings are never touched.
 */
export const immer = new Immer({ autoFreeze: false, useStrictIteration: false });
