import { createReplica, type ActionRecipes, type Replica, type ReplicaOptions, type StoreDefinition } from '@bgstore/core';
import { createBridgeTransport } from './bridgeTransport';
import { pageCaller } from './pageCaller';

/** Options of {@link connect}: those of `createReplica`, with a bridge transport by default. */
export interface ConnectOptions extends Omit<ReplicaOptions, 'transport'> {
  /** @default createBridgeTransport() */
  transport?: ReplicaOptions['transport'];
}

/**
 * Connects a module (homepage feed, byline item, banner, macro…) to the store held by the page's
 * background script: a zustand replica, typed actions, and a sync status.
 * @example
 * const replica = connect(board);
 * await replica.actions.add('c1', 'Write the docs');
 */
export function connect<TState, TActions extends ActionRecipes<TState>>(definition: StoreDefinition<TState, TActions>, options: ConnectOptions = {}): Replica<TState, TActions> {
  const { transport, ...rest } = options;
  return createReplica(definition, { ...rest, caller: rest.caller ?? pageCaller(), transport: transport ?? createBridgeTransport() });
}
