import { useCallback, useRef, useSyncExternalStore } from 'react';
import type { ReadonlyStore } from '@bgstore/core';
import { shallow as zustandShallow } from 'zustand/vanilla/shallow';

/**
 * Shallow equality of two objects, arrays, Maps or Sets (zustand's): pass it as `equalityFn` when a
 * selector builds a new object or array on every call.
 * @example
 * const { title, count } = useReplica(replica, (s) => ({ title: s.meta.title, count: s.count }), shallow);
 */
export const shallow: <T>(a: T, b: T) => boolean = zustandShallow;

const identity = <T>(value: T) => value;

/**
 * Reads a replica (or any read-only store, such as `replica.sync`) and re-renders only when the
 * selected value changes. Replicas keep the identity of untouched slices, so selecting a slice is
 * enough; a selector that builds a new object each time needs an `equalityFn` (e.g. `shallow`).
 * @example
 * const cards = useReplica(replica, (s) => s.cards);
 * const { open, done } = useReplica(replica, (s) => ({ open: s.open, done: s.done }), shallow);
 */
export function useReplica<TState, TSelected = TState>(
  store: ReadonlyStore<TState>,
  selector: (state: TState) => TSelected = identity as (state: TState) => TSelected,
  equalityFn: (a: TSelected, b: TSelected) => boolean = Object.is,
): TSelected {
  const cache = useRef<{ state: TState; selector: (state: TState) => TSelected; selected: TSelected } | null>(null);
  const subscribe = useCallback((onChange: () => void) => store.subscribe(() => onChange()), [store]);
  const getSelection = () => {
    const state = store.getState();
    const last = cache.current;
    if (last && last.state === state && last.selector === selector) return last.selected;
    const selected = selector(state);
    // Keep the previous selection when equal, so React sees no change and skips the render.
    const kept = last && equalityFn(last.selected, selected) ? last.selected : selected;
    cache.current = { state, selector, selected: kept };
    return kept;
  };
  return useSyncExternalStore(subscribe, getSelection, getSelection);
}
