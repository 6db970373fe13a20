import type { ActionRecipes, InferActions, InferArgs, PendingCall, ReadonlyStore, Replica, SyncStatus } from '@bgstore/core';
import { shallow, useReplica } from './useReplica';

/**
 * The sync status of a replica: phase (connecting / live / resyncing / closed), version, pending
 * actions, last error, and how far the host's state is saved.
 * @example
 * const saving = useSyncStatus(replica, (s) => s.durable?.saving ?? false);
 */
export function useSyncStatus<TSelected = SyncStatus>(
  replica: { sync: ReadonlyStore<SyncStatus> },
  selector?: (status: SyncStatus) => TSelected,
  equalityFn?: (a: TSelected, b: TSelected) => boolean,
): TSelected {
  return useReplica(replica.sync, selector as (status: SyncStatus) => TSelected, equalityFn);
}

/**
 * The typed actions of a replica: the same object on every render, so it is safe in effect and
 * callback dependencies. Each call returns an `ActionCall`: it resolves once the change is stored
 * (`call.applied` earlier, once the host has it) and rejects with a `SyncError` (refused, timed
 * out, closed), so catch it; the last error is also in `useSyncStatus`.
 * @example
 * const { add } = useActions(replica);
 * <Button onClick={() => add(id(), title).catch(console.error)}>Add</Button>
 */
export function useActions<TState, TActions extends ActionRecipes<TState>>(replica: Replica<TState, TActions>): InferActions<TActions> {
  return replica.actions;
}

/** A pending call of action `K`, with that action's argument types. */
export type PendingCallOf<TActions, K extends keyof TActions> = { [N in K]: Omit<PendingCall, 'name' | 'args'> & { readonly name: N; readonly args: Readonly<InferArgs<TActions[N]>> } }[K];

const selectCalls = (name: string | undefined) => (s: SyncStatus) => (name === undefined ? s.calls : s.calls.filter((c) => c.name === name));

/**
 * This module's calls that have not settled yet (oldest first), of action `name` or of every
 * action: what to show as pending. A held action (`optimistic: { reset: false }` in `defineStore`)
 * changes no module's state until storage has accepted it, so show it from here ("Reset
 * requested…"); its call rejects when the server policy refuses it. A misspelt action name fails
 * to compile. Re-renders only when the list changes.
 * @example
 * const resetting = usePending(replica, 'reset').length > 0;
 * {resetting ? <Text>Reset requested — waiting for the server</Text> : null}
 */
export function usePending<TState, TActions extends ActionRecipes<TState>, K extends keyof TActions & string = keyof TActions & string>(
  replica: Replica<TState, TActions>,
  name?: K,
): readonly PendingCallOf<TActions, K>[] {
  return useReplica(replica.sync, selectCalls(name), shallow) as readonly PendingCallOf<TActions, K>[];
}

/** Hooks bound to one replica, for a module that only ever uses that one. */
export interface StoreHooks<TState, TActions extends ActionRecipes<TState>> {
  /** {@link useReplica} over the bound replica. */
  useStore: <TSelected = TState>(selector?: (state: TState) => TSelected, equalityFn?: (a: TSelected, b: TSelected) => boolean) => TSelected;
  /** {@link useSyncStatus} over the bound replica. */
  useSyncStatus: <TSelected = SyncStatus>(selector?: (status: SyncStatus) => TSelected, equalityFn?: (a: TSelected, b: TSelected) => boolean) => TSelected;
  /** {@link usePending} over the bound replica: its unsettled calls, of action `name` or of all. */
  usePending: <K extends keyof TActions & string = keyof TActions & string>(name?: K) => readonly PendingCallOf<TActions, K>[];
  /** The bound replica's actions (not a hook: usable outside components too). */
  actions: InferActions<TActions>;
}

/**
 * Binds the hooks to a replica once, at module level.
 * @example
 * const replica = connect(board);
 * export const { useStore, useSyncStatus, usePending, actions } = createStoreHooks(replica);
 */
export function createStoreHooks<TState, TActions extends ActionRecipes<TState>>(replica: Replica<TState, TActions>): StoreHooks<TState, TActions> {
  return {
    useStore: (selector, equalityFn) => useReplica(replica, selector as (state: TState) => never, equalityFn),
    useSyncStatus: (selector, equalityFn) => useReplica(replica.sync, selector as (status: SyncStatus) => never, equalityFn),
    usePending: (name) => usePending(replica, name),
    actions: replica.actions,
  };
}
