import { downEvent, inboxEvent, isId, upEvent, type RandomSource } from '@bgstore/protocol';
import type { ChannelStats } from '../runtime/channel';
import { connectPeer } from '../runtime/peer';
import { randomId, systemClock, type Clock, type Logger, type Transport } from '../runtime/ports';
import { createActions, createCalls } from '../runtime/calls';
import { ANONYMOUS_CALLER, type ActionCall, type ActionRecipes, type Caller, type InferActions, type StoreDefinition } from '../state/defineStore';
import { createReplicaMachine, nextWake, replicaTiming, step, type ReplicaCounters, type ReplicaEvent, type ResyncReason, type SyncPhase } from './machine';
import { createStores, readonlyView, type ReadonlyStore, type SyncStatus } from './view';

/** Options of {@link createReplica}. */
export interface ReplicaOptions {
  transport: Transport;
  /**
   * Show actions at once, as pending, until the host confirms or refuses them (the recipe runs
   * locally on the replica's state; recipes are pure, so the host gets the same result). Actions
   * the definition holds (`optimistic: { reset: false }`) are never shown before they are stored.
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
export type { PendingCall, ReadonlyStore, SyncStatus } from './view';

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
  if (!isId(clientId) || clientId.startsWith('.')) throw new TypeError(`[bgstore] createId gave ${JSON.stringify(clientId)}${process.env.NODE_ENV !== 'production' ? ": a client id is 1–64 characters of A–Z a–z 0–9 _ . - and does not start with '.'" : ', not an id'}`);
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
      else if (e.type === 'load-digest') loadDigest();
    }
    render();
    wake.arm();
    return opened;
  }

  /** The digest code, in a chunk of its own where the bundler splits (see `digest.ts`); a failed load is counted, never thrown. */
  function loadDigest() {
    import('./digestEngine').then(
      (digests) => run({ type: 'digest-loaded', digests }),
      (error) => {
        (options.logger ?? console).warn(`[bgstore] ${store}: digest checks are off (${String(error)})`);
        run({ type: 'digest-load-failed' });
      },
    );
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
