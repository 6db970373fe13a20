// What a replica shows: its state (the host's, with this module's pending calls replayed on it when
// optimistic — except held ones) and its sync status, as two zustand stores brought up to date by `render`.
import type { DurableStatus, SyncError } from '@bgstore/protocol';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { isHeld, type ActionRecipes, type Caller, type StoreDefinition } from '../state/defineStore';
import { replayIntents } from '../state/runIntent';
import { isFinal, pendingForView, type Call, type CallStage, type ReplicaMachine, type ResyncReason, type SyncPhase } from './machine';

/** A read-only store, compatible with zustand's `useStore(store, selector)`. */
export interface ReadonlyStore<T> {
  getState(): T;
  getInitialState(): T;
  subscribe(listener: (state: T, previous: T) => void): () => void;
}

/** One of this module's action calls that has not settled yet (`replica.sync.getState().calls`). */
export interface PendingCall {
  readonly seq: number;
  readonly name: string;
  readonly args: readonly unknown[];
  /**
   * `queued` or `sent`: on its way to the background script; `applied`: the background script has
   * it and storage has not answered yet (for a held call: it is queued for storage, and no module
   * shows it).
   */
  readonly stage: CallStage;
  /**
   * Held until stored (`optimistic: { [name]: false }` in `defineStore`): no module shows its
   * effect before storage has accepted it, so show it as pending ("Reset requested…").
   */
  readonly held: boolean;
}

/** The sync status of a replica, as a store (`replica.sync`). */
export interface SyncStatus {
  phase: SyncPhase;
  /** The host boot this replica follows; null before the first state. */
  epoch: string | null;
  version: number | null;
  /** Actions called and not yet settled (saved, refused or timed out). */
  pending: number;
  /**
   * Those calls, oldest first: what a module shows as pending. The array and each entry keep their
   * identity while nothing about them changes, so selectors over it re-render only on a change.
   */
  calls: readonly PendingCall[];
  /** The last refusal or timeout of one of this replica's actions, or a build mismatch with the host. */
  lastError: SyncError | null;
  resyncs: number;
  lastResync: { reason: ResyncReason; at: number } | null;
  /**
   * How far the host's state is saved (revision, unsaved intents, saving, last storage error), or
   * null when the host keeps its state in memory only (or has not said yet).
   */
  durable: DurableStatus | null;
}

export const readonlyView = <T>(api: StoreApi<T>): ReadonlyStore<T> => ({ getState: api.getState, getInitialState: api.getInitialState, subscribe: api.subscribe });

/**
 * The state a replica shows: the confirmed state, with pending calls replayed on it when optimistic
 * (held calls never: only storage's answer brings them in). When only new calls were added on an
 * unchanged confirmed state, just those run (each recipe once per call).
 */
function createView<TState>(definition: StoreDefinition<TState, ActionRecipes<TState>>, m: ReplicaMachine<TState>, optimistic: boolean, caller: { current: Caller }): () => TState {
  let last = { base: m.confirmed, seqs: [] as number[], state: m.confirmed, caller: caller.current };
  return () => {
    if (!optimistic) return m.confirmed;
    const pending = pendingForView(m);
    const seqs = pending.map((c) => c.seq);
    const extends_ = last.base === m.confirmed && last.caller === caller.current && last.seqs.length <= seqs.length && last.seqs.every((s, i) => s === seqs[i]);
    const state = extends_ ? replayIntents(definition, last.state, pending.slice(last.seqs.length), caller.current) : replayIntents(definition, m.confirmed, pending, caller.current);
    last = { base: m.confirmed, seqs, state, caller: caller.current };
    return state;
  };
}

/** The unsettled calls as `PendingCall`s, reusing each entry (and the array) while it is unchanged. */
function createCallList<TState>(m: ReplicaMachine<TState>): () => readonly PendingCall[] {
  let entries = new Map<number, PendingCall>();
  let list: readonly PendingCall[] = Object.freeze([]);
  const entryOf = (c: Call): PendingCall => {
    const known = entries.get(c.seq);
    if (known && known.stage === c.stage) return known;
    return Object.freeze({ seq: c.seq, name: c.name, args: c.args, stage: c.stage, held: isHeld(m.definition, c.name) });
  };
  return () => {
    const next = [...m.calls.values()].filter((c) => !isFinal(c)).map(entryOf);
    if (next.length !== list.length || next.some((e, i) => e !== list[i])) {
      list = Object.freeze(next);
      entries = new Map(next.map((e) => [e.seq, e]));
    }
    return list;
  };
}

/** The replica's two zustand stores (its state as shown, its sync status) and `render`, which brings both up to date. */
export function createStores<TState>(definition: StoreDefinition<TState, ActionRecipes<TState>>, m: ReplicaMachine<TState>, optimistic: boolean, caller: { current: Caller }) {
  const state = createStore<TState>()(() => m.confirmed);
  const calls = createCallList(m);
  const statusOf = (): SyncStatus => {
    const list = calls();
    return {
      phase: m.phase,
      epoch: m.epoch,
      version: m.epoch === null ? null : m.version,
      pending: list.length,
      calls: list,
      lastError: m.lastError,
      resyncs: m.resyncs,
      lastResync: m.lastResync,
      durable: m.durable,
    };
  };
  const status = createStore<SyncStatus>()(statusOf);
  const view = createView(definition, m, optimistic, caller);
  const render = () => {
    // A closed replica keeps showing what it showed last.
    const next = m.phase === 'closed' ? state.getState() : view();
    if (next !== state.getState()) state.setState(next, true);
    const s = statusOf();
    const current = status.getState();
    if ((Object.keys(s) as (keyof SyncStatus)[]).some((k) => s[k] !== current[k])) status.setState(s, true);
  };
  return { state, status, render };
}
