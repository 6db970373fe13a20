// One page for the hook tests: a real host and replicas of the core test board over the
// emulator's event bus, with a manual clock advanced inside `act`.
import { act } from '@testing-library/react';
import { useRef } from 'react';
import { createHost, createReplica, type ReadonlyStore } from '@bgstore/core';
import { board } from '../../core/test/board';
import { createWorld } from '../../core/test/world';

export { board };

export function createPage(options: { host?: boolean; optimistic?: boolean } = {}) {
  const world = createWorld();
  const replica = (name = 'feed') => createReplica(board, { transport: world.transport(name), clock: world.clock, optimistic: options.optimistic });
  const startHost = () => createHost(board, { transport: world.transport('bg'), clock: world.clock });
  const host = options.host === false ? undefined : startHost();
  /** Advances the clock by `ms`, delivering messages and running timers, inside `act`. */
  const run = (ms = 10) => act(() => world.run(ms));
  return { world, host, replica, startHost, run };
}

/** How many times the calling component has rendered, this one included. */
export function useRenderCount(): number {
  const n = useRef(0);
  return ++n.current;
}

/** Wraps a store to count its live subscriptions. */
export function countListeners<TStore extends ReadonlyStore<unknown>>(store: TStore): { store: TStore; live: () => number } {
  let live = 0;
  const subscribe: TStore['subscribe'] = (listener) => {
    live++;
    const stop = store.subscribe(listener);
    let stopped = false;
    return () => {
      if (!stopped) live--;
      stopped = true;
      stop();
    };
  };
  return { store: { ...store, subscribe }, live: () => live };
}
