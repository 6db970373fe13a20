import { downEvent, SyncError, upEvent, type DurableStatus } from '@bgstore/protocol';
import { createStore, type StoreApi } from 'zustand/vanilla';
import { createChannel, type ChannelStats } from '../runtime/channel';
import { randomId, systemClock, type Clock, type Logger, type Transport } from '../runtime/ports';
import { createWakeup } from '../runtime/schedule';
import { createCalls } from '../runtime/calls';
import type { ActionRecipes, InferActions, StoreDefinition } from '../state/defineStore';
import { checkIntent, replayIntents } from '../state/runIntent';
import { createReplicaMachine, isFinal, nextWake, pendingForView, step, type ReplicaCounters, type ReplicaEvent, type ResyncReason, type SyncPhase } from './machine';

/** Options of {@link createReplica}. */
export interface ReplicaOptions {
  transport: Transport;
  /**
   * Show actions at once, as pending, until the host confirms or refuses them (the recipe runs
   * locally on the replica's state; recipes are pure, so the host gets the same result).
   * @default true
   */
  optimistic?: boolean;
  clock?: Clock;
  /** Id source for the client id and chunk ids. @default randomId */
  createId?: () => string;
  /** An action the host has not applied by then rejects with `TIMEOUT`. @default 15_000 */
  intentTimeoutMs?: number;
  /** Unapplied actions are sent again this often. @default 500 */
  retryMs?: number;
  /** First `hello` retry delay; doubles up to `helloMaxMs` until the host answers. @default 100 */
  helloMinMs?: number;
  /** @default 5000 */
  helloMaxMs?: number;
  /** How long a patch that arrived early is held for the one before it, before resyncing. @default 100 */
  gapHoldMs?: number;
  /**
   * A replica follows only newer host boots, except when its own host has been silent this long
   * (it died): then any live host is followed. Keep it above the host's `heartbeatMs`. @default 6000
   */
  hostSilenceMs?: number;
  /** Messages longer than this (JSON characters) are sent in chunks. @default 60_000 */
  maxMessageSize?: number;
  logger?: Logger;
}

export type { ResyncReason, SyncPhase };

/** The sync status of a replica, as a store (`replica.sync`). */
export interface SyncStatus {
  phase: SyncPhase;
  /** The host boot this replica follows; null before the first state. */
  epoch: string | null;
  version: number | null;
  /** Actions called and not yet settled (saved, refused or timed out). */
  pending: number;
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

/** A read-only store, compatible with zustand's `useStore(store, selector)`. */
export interface ReadonlyStore<T> {
  getState(): T;
  getInitialState(): T;
  subscribe(listener: (state: T, previous: T) => void): () => void;
}

/** Counters of a replica, for diagnostics (never for decisions). */
export interface ReplicaStats extends ReplicaCounters {
  channel: ChannelStats;
}

/** A module's copy of the store: read it with selectors, change it with typed actions. */
export interface Replica<TState, TActions extends ActionRecipes<TState>> extends ReadonlyStore<TState> {
  /** Typed action calls: each settles when stored or refused; `.applied` when the host has it. */
  actions: InferActions<TActions>;
  sync: ReadonlyStore<SyncStatus>;
  readonly clientId: string;
  stats(): ReplicaStats;
  close(): void;
}

const readonlyView = <T>(api: StoreApi<T>): ReadonlyStore<T> => ({ getState: api.getState, getInitialState: api.getInitialState, subscribe: api.subscribe });

/**
 * Creates a replica of a store: a zustand store kept equal to the host's over `transport`,
 * whatever order modules start in and whatever the bus does to messages.
 * @example
 * const replica = createReplica(board, { transport });
 * await replica.actions.add('c1', 'Write docs');
 * replica.getState().cards;
 */
export function createReplica<TState, TActions extends ActionRecipes<TState>>(definition: StoreDefinition<TState, TActions>, options: ReplicaOptions): Replica<TState, TActions> {
  const clock = options.clock ?? systemClock;
  const createId = options.createId ?? randomId;
  const optimistic = options.optimistic ?? true;
  const store = definition.name;
  const m = createReplicaMachine(definition as unknown as StoreDefinition<TState, ActionRecipes<TState>>, createId(), {
    intentTimeoutMs: options.intentTimeoutMs ?? 15_000,
    retryMs: options.retryMs ?? 500,
    helloMinMs: options.helloMinMs ?? 100,
    helloMaxMs: options.helloMaxMs ?? 5000,
    gapHoldMs: options.gapHoldMs ?? 100,
    hostSilenceMs: options.hostSilenceMs ?? 6000,
  });
  const calls = createCalls();
  const state = createStore<TState>()(() => m.confirmed);
  const statusOf = (): SyncStatus => ({
    phase: m.phase,
    epoch: m.epoch,
    version: m.epoch === null ? null : m.version,
    pending: [...m.calls.values()].filter((c) => !isFinal(c)).length,
    lastError: m.lastError,
    resyncs: m.resyncs,
    lastResync: m.lastResync,
    durable: m.durable,
  });
  const status = createStore<SyncStatus>()(statusOf);

  // The optimistic view: pending calls replayed on the confirmed state. When only new calls were
  // added on an unchanged confirmed state, just those run (each recipe once per call).
  let view = { base: m.confirmed, seqs: [] as number[], state: m.confirmed };
  const render = () => {
    let next = m.confirmed;
    // A closed replica keeps showing what it showed last.
    if (m.phase === 'closed') next = state.getState();
    else if (optimistic) {
      const pending = pendingForView(m);
      const seqs = pending.map((c) => c.seq);
      const extends_ = view.base === m.confirmed && view.seqs.length <= seqs.length && view.seqs.every((s, i) => s === seqs[i]);
      next = extends_ ? replayIntents(definition, view.state, pending.slice(view.seqs.length)) : replayIntents(definition, m.confirmed, pending);
      view = { base: m.confirmed, seqs, state: next };
    }
    if (next !== state.getState()) state.setState(next, true);
    const s = statusOf();
    const current = status.getState();
    if ((Object.keys(s) as (keyof SyncStatus)[]).some((k) => s[k] !== current[k])) status.setState(s, true);
  };

  const channel = createChannel({
    transport: options.transport,
    store,
    id: m.clientId,
    listen: downEvent(store),
    send: upEvent(store),
    clock,
    maxMessageSize: options.maxMessageSize ?? 60_000,
    createId,
    logger: options.logger,
    onMessage(message) {
      if (message.type === 'hello' || message.type === 'intents' || message.type === 'chunk') return channel.ignore('unexpected');
      run({ type: 'message', message });
    },
  });
  const wake = createWakeup(
    clock,
    () => {
      const a = nextWake(m);
      const b = channel.nextWake();
      return a === undefined ? b : b === undefined ? a : Math.min(a, b);
    },
    () => {
      channel.tick(clock.now());
      run({ type: 'tick' });
    },
  );

  let flushScheduled = false;
  function run(event: ReplicaEvent): number | undefined {
    let queued: number | undefined;
    for (const e of step(m, event, clock.now())) {
      if (e.type === 'send') channel.send(e.message);
      else if (e.type === 'queued') queued = e.seq;
      else if (e.type === 'applied') calls.applied(e.seq);
      else calls.settle(e.seq, e.error);
    }
    render();
    wake.arm();
    return queued;
  }

  const actions = {} as Record<string, (...args: unknown[]) => unknown>;
  for (const name of Object.keys(definition.actions)) {
    actions[name] = (...args: unknown[]) => {
      if (m.phase === 'closed') return calls.refused(new SyncError('CLOSED', `[bgstore] replica of '${store}' is closed`));
      // The same checks as the host's, at the call site: a bad call fails at once, without a round trip.
      const refusal = checkIntent(definition, name, args);
      if (refusal) return calls.refused(new SyncError(refusal.code, refusal.message));
      const seq = run({ type: 'call', name, args: JSON.parse(JSON.stringify(args)) as unknown[] })!;
      if (!flushScheduled) {
        flushScheduled = true;
        queueMicrotask(() => {
          flushScheduled = false;
          run({ type: 'flush' });
        });
      }
      return calls.open(seq);
    };
  }

  run({ type: 'start' });

  return {
    getState: state.getState,
    getInitialState: state.getInitialState,
    subscribe: state.subscribe,
    actions: actions as InferActions<TActions>,
    sync: readonlyView(status),
    clientId: m.clientId,
    stats: () => ({ ...m.counters, channel: channel.stats() }),
    close() {
      if (m.phase === 'closed') return;
      run({ type: 'close' });
      wake.close();
      channel.close();
    },
  };
}
