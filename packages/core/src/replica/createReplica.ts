import { downEvent, inboxEvent, isId, SyncError, upEvent, type DurableStatus, type RandomSource } from '@bgstore/protocol';
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ChannelStats } from '../runtime/channel';
import { connectPeer } from '../runtime/peer';
import { randomId, systemClock, type Clock, type Logger, type Transport } from '../runtime/ports';
import { createActions, createCalls } from '../runtime/calls';
import { ANONYMOUS_CALLER, type ActionCall, type ActionRecipes, type Caller, type InferActions, type StoreDefinition } from '../state/defineStore';
import { replayIntents } from '../state/runIntent';
import { createReplicaMachine, isFinal, nextWake, pendingForView, replicaTiming, step, type ReplicaCounters, type ReplicaEvent, type ReplicaMachine, type ResyncReason, type SyncPhase } from './machine';

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
  /** Uniform numbers in [0, 1) for the jitter of retries (tests seed it). @default Math.random */
  random?: RandomSource;
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
  /**
   * A digest beat that disagrees with this replica's state makes it resync at most once per this
   * long per host boot, so forged digests cannot make it (and the host) resend the whole state on
   * every beat. Keep it at the host's `digestMs`. @default 10_000
   */
  digestMs?: number;
  /** Messages longer than this (JSON characters) are sent in chunks. @default 60_000 */
  maxMessageSize?: number;
  logger?: Logger;
  /**
   * The page's user, whom actions see as `this.caller` in the optimistic view (storage runs them
   * with the caller Forge names). A promise is used once it settles. @default anonymous
   */
  caller?: Caller | PromiseLike<Caller>;
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
 * What a replica shows: the confirmed state, with pending calls replayed on it when optimistic.
 * When only new calls were added on an unchanged confirmed state, just those run (each recipe
 * once per call).
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

/** The replica's two zustand stores (its state as shown, its sync status) and `render`, which brings both up to date. */
function createStores<TState>(definition: StoreDefinition<TState, ActionRecipes<TState>>, m: ReplicaMachine<TState>, optimistic: boolean, caller: { current: Caller }) {
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

/**
 * Creates a replica of a store: a zustand store kept equal to the host's over `transport`,
 * whatever order modules start in and whatever the bus does to messages.
 * @example
 * const replica = createReplica(board, { transport });
 * await replica.actions.add('c1', 'Write docs');
 * replica.getState().cards;
 */
export function createReplica<TState, TActions extends ActionRecipes<TState>>(definition: StoreDefinition<TState, TActions>, options: ReplicaOptions): Replica<TState, TActions> {
  const { clock = systemClock, createId = randomId } = options;
  const store = definition.name;
  const clientId = createId();
  // Hosts drop messages from an id that is not one, or that starts with `.` as aliases do (#18.9).
  if (!isId(clientId) || clientId.startsWith('.')) throw new TypeError(`[bgstore] createId gave ${JSON.stringify(clientId)}: a client id is 1–64 characters of A–Z a–z 0–9 _ . - and does not start with '.'`);
  const m = createReplicaMachine(definition as unknown as StoreDefinition<TState, ActionRecipes<TState>>, clientId, replicaTiming(options), options.random ?? Math.random);
  const calls = createCalls();
  const caller = { current: ANONYMOUS_CALLER };
  const { state, status, render } = createStores(definition, m, options.optimistic ?? true, caller);
  if (typeof (options.caller as PromiseLike<Caller> | undefined)?.then === 'function') {
    void Promise.resolve(options.caller).then((c) => {
      caller.current = c ?? ANONYMOUS_CALLER;
      render();
    }, () => undefined);
  } else if (options.caller) caller.current = options.caller as Caller;

  const { channel, wake } = connectPeer({
    transport: options.transport,
    store,
    id: m.clientId,
    listen: downEvent(store),
    // Only once subscribed does a hello claim the inbox: an answer sent there earlier would be lost.
    inbox: { event: inboxEvent(store, m.clientId), onReady: () => void (m.inbox = true) },
    send: upEvent(store),
    clock,
    maxMessageSize: options.maxMessageSize ?? 60_000,
    createId,
    logger: options.logger,
    accepts: ['beat', 'snapshot', 'patch', 'ack', 'reject', 'status'],
    onMessage: (message) => run({ type: 'message', message }),
    nextWake: () => nextWake(m),
    onTick: () => run({ type: 'tick' }),
  });

  let flushScheduled = false;
  /** Runs one event through the machine and performs its effects; returns the call a `call` event opened. */
  function run(event: ReplicaEvent): ActionCall | undefined {
    let opened: ActionCall | undefined;
    for (const e of step(m, event, clock.now())) {
      if (e.type === 'send') channel.send(e.message);
      else if (e.type === 'opened') opened = calls.open(e.seq);
      else if (e.type === 'applied') calls.applied(e.seq);
      else if (e.type === 'settled') calls.settle(e.seq, e.error);
    }
    render();
    wake.arm();
    return opened;
  }

  const actions = createActions(definition, calls, {
    closed: () => (m.phase === 'closed' ? `[bgstore] replica of '${store}' is closed` : undefined),
    call(name, args) {
      const call = run({ type: 'call', name, args })!;
      // Calls made in one task go out in one message.
      if (!flushScheduled) {
        flushScheduled = true;
        queueMicrotask(() => {
          flushScheduled = false;
          run({ type: 'flush' });
        });
      }
      return call;
    },
  });

  run({ type: 'start' });

  return {
    getState: state.getState,
    getInitialState: state.getInitialState,
    subscribe: state.subscribe,
    actions,
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
