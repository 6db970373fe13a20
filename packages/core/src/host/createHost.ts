import { createEpoch, downEvent, errorText, inboxEvent, LIMITS, RETRY_POLICIES, upEvent, type DurableStatus, type RandomSource } from '@bgstore/protocol';
import type { ChannelStats } from '../runtime/channel';
import { connectPeer } from '../runtime/peer';
import { createActions, createCalls } from '../runtime/calls';
import { randomId, systemClock, type Clock, type Logger, type Persistence, type RemoteChange, type Transport } from '../runtime/ports';
import type { ActionCall, ActionRecipes, Caller, InferActions, StoreDefinition } from '../state/defineStore';
import { createHostMachine, nextWake, step, type HostCounters, type HostEvent, type HostPhase, type HostTiming } from './machine';
import { durableStatus } from './durableReport';
import { callStorage } from './storageCalls';

/** Options of {@link createHost}. */
export interface HostOptions<TState> {
  transport: Transport;
  /**
   * Durable storage: the host loads from it before serving replicas and commits accepted intents
   * to it in batches. @default none: the state lives as long as the host
   */
  persistence?: Persistence<TState>;
  /** Wait this long after the first unsaved intent before committing a batch. @default 200 */
  flushDelayMs?: number;
  /**
   * While other pages commit to the same document too, wait up to this long between the starts of
   * two commits, so each carries more actions and the installation's quotas pay for fewer commits
   * (the gap widens as commits find others' in between, and narrows when they do not; a quiet
   * document commits after `flushDelayMs`). 0 commits as soon as the last commit answered. @default 2000
   */
  maxCommitGapMs?: number;
  /** Check storage for other tabs' commits this often; 0 turns it off. @default 30_000 */
  revisionCheckMs?: number;
  /** First retry delay after a failed commit or load; doubles (with jitter) up to 30 s. @default 500 */
  retryMinMs?: number;
  /** Called whenever the durability status changes (e.g. to announce a new revision to other tabs). */
  onDurable?: (status: DurableStatus) => void;
  clock?: Clock;
  /** Id source for the epoch's random part and chunk ids. @default randomId */
  createId?: () => string;
  /** Uniform numbers in [0, 1) for the jitter of retries (tests seed it). @default Math.random */
  random?: RandomSource;
  /** A beat `{epoch, version}` is sent after this long without other traffic, so a replica that missed the last patch catches up. @default 2000 */
  heartbeatMs?: number;
  /** A beat carries a digest of the state (replicas compare and heal) at most this often. @default 10_000 */
  digestMs?: number;
  /** Patches kept to answer a lagging replica without a snapshot, as entries… @default 256 */
  logEntries?: number;
  /** …and as JSON bytes. @default 1_000_000 */
  logSize?: number;
  /** Messages longer than this (JSON characters) are sent in chunks. @default 60_000 */
  maxMessageSize?: number;
  logger?: Logger;
  /**
   * The page's user, whom the host's actions see as `this.caller` (storage re-runs them with the
   * caller Forge names, so this only shapes what the page shows first). A promise delays loading
   * until it settles. @default anonymous ({ accountId: null })
   */
  caller?: Caller | PromiseLike<Caller>;
}

export type { HostPhase };

/** Counters of a host, for diagnostics (never for decisions). */
export interface HostStats extends HostCounters {
  phase: HostPhase;
  epoch: string;
  version: number;
  /** Durability, when the host persists. */
  durable: DurableStatus | null;
  channel: ChannelStats;
}

/** The authoritative store, run by the background script. */
export interface Host<TState, TActions extends ActionRecipes<TState>> {
  getState(): TState;
  subscribe(listener: (state: TState, previous: TState) => void): () => void;
  /** Runs actions on the host itself; the same contract as a replica's (`.applied`, then stored or refused). */
  actions: InferActions<TActions>;
  /** Resolves once the persisted state is loaded and replicas are being served (or loading failed for good). */
  ready: Promise<void>;
  /** Commits unsaved intents now, without waiting for the debounce. */
  flush(): void;
  /** Asks storage whether other tabs committed, and rebases if so. */
  checkRevision(): void;
  /**
   * A change another page committed, as it arrived without asking (e.g. Forge Realtime): applied
   * when it is on exactly the host's durable revision (then rebased on, unsaved intents replayed),
   * else a reason to check storage. Only pass changes from a source other users cannot forge.
   */
  receiveChange(change: RemoteChange): void;
  readonly epoch: string;
  version(): number;
  stats(): HostStats;
  /** Stops serving; `onClose` callbacks run once. */
  close(): void;
  /** Runs `fn` when the host closes (adapters release what they hold). */
  onClose(fn: () => void): void;
}

/** The host's timings and bounds, from its options and bgstore's limits. */
function hostTiming(options: HostOptions<unknown>): HostTiming {
  return {
    heartbeatMs: options.heartbeatMs ?? 2000,
    digestMs: options.digestMs ?? 10_000,
    logEntries: Math.min(options.logEntries ?? 256, LIMITS.patchSpan),
    logBytes: options.logSize ?? 1_000_000,
    snapshotBurst: 16,
    snapshotsPerSecond: 8,
    flushDelayMs: options.flushDelayMs ?? 200,
    maxCommitGapMs: options.maxCommitGapMs ?? 2000,
    retry: {
      storage: { ...RETRY_POLICIES.storage, baseMs: options.retryMinMs ?? RETRY_POLICIES.storage.baseMs },
      busy: { ...RETRY_POLICIES.storageBusy, baseMs: options.retryMinMs ?? RETRY_POLICIES.storageBusy.baseMs },
      recheck: RETRY_POLICIES.revisionRecheck,
      throttled: RETRY_POLICIES.rateLimited,
      throttleReset: RETRY_POLICIES.rateLimitReset,
    },
    revisionCheckMs: options.revisionCheckMs ?? 30_000,
    maxBatchIntents: 500,
    maxBatchBytes: LIMITS.commitBytes,
  };
}

/** Tells every subscriber; a throwing one must not cost the effects after it (a call would never settle). */
function notify<TState>(listeners: Set<(state: TState, previous: TState) => void>, state: TState, previous: TState, threw: (message: string) => void) {
  for (const l of [...listeners]) {
    try {
      l(state, previous);
    } catch (error) {
      threw(errorText(error));
    }
  }
}

/**
 * Creates the authoritative host of a store: it runs intents, numbers versions under a random
 * epoch, broadcasts patches, answers `hello`s with the patches a replica missed or a snapshot, and
 * commits to `persistence` when given.
 * @example
 * const host = createHost(board, { transport });
 * await host.ready;
 */
export function createHost<TState, TActions extends ActionRecipes<TState>>(definition: StoreDefinition<TState, TActions>, options: HostOptions<TState>): Host<TState, TActions> {
  const { clock = systemClock, createId = randomId, logger = console, persistence } = options;
  // A host's id is its epoch: down messages name it once, and its own calls are stored under it.
  const epoch = createEpoch(clock.now(), options.createId ? options.createId() : randomId(4));
  const m = createHostMachine(definition as unknown as StoreDefinition<TState, ActionRecipes<TState>>, epoch, hostTiming(options as HostOptions<unknown>), persistence !== undefined, clock.now(), options.random ?? Math.random);
  const listeners = new Set<(state: TState, previous: TState) => void>();
  const closers: (() => void)[] = [];
  const calls = createCalls();
  let markReady!: () => void;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const { channel, wake } = connectPeer({
    transport: options.transport,
    store: definition.name, id: epoch,
    listen: upEvent(definition.name), send: downEvent(definition.name),
    clock, createId, logger,
    maxMessageSize: options.maxMessageSize ?? 60_000,
    accepts: ['hello', 'intents'],
    onMessage: (message) => run({ type: 'message', message }),
    nextWake: () => nextWake(m),
    onTick: () => run({ type: 'tick' }),
  });

  /** Runs one event through the machine and performs its effects; returns the call a `call` event opened. */
  function run(event: HostEvent): ActionCall | undefined {
    if (m.phase === 'closed') return undefined;
    const before = m.phase;
    let opened: ActionCall | undefined;
    for (const e of step(m, event, clock.now())) {
      if (e.type === 'send') channel.send(e.message, e.inbox === undefined ? undefined : inboxEvent(definition.name, e.inbox));
      else if (e.type === 'load' || e.type === 'commit' || e.type === 'check-revision') callStorage(persistence!, e, run);
      else if (e.type === 'opened') opened = calls.open(e.seq);
      else if (e.type === 'applied') calls.applied(e.seq);
      else if (e.type === 'settled') calls.settle(e.seq, e.error);
      else if (e.type === 'changed') notify(listeners, m.state, e.previous as TState, (error) => logger.warn(`[bgstore] ${definition.name}: a host subscriber threw: ${error}`));
      else if (e.type === 'durable') void (m.save && options.onDurable?.(durableStatus(m.save)));
      else logger.warn(e.message);
    }
    if (before === 'loading' && m.phase !== 'loading') markReady();
    wake.arm();
    return opened;
  }

  const actions = createActions(definition, calls, {
    closed: () => (m.phase === 'closed' ? `[bgstore] host of '${definition.name}' is closed` : undefined),
    call: (name, args) => run({ type: 'call', name, args })!,
  });

  startAs(options.caller, m, definition.name, logger, () => run({ type: 'start' }));

  const close = () => {
    if (m.phase === 'closed') return;
    run({ type: 'close' });
    wake.close();
    channel.close();
    listeners.clear();
    markReady();
    for (const fn of closers.splice(0)) fn();
  };

  return {
    getState: () => m.state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    actions,
    ready,
    epoch,
    version: () => m.version,
    flush: () => run({ type: 'flush' }),
    checkRevision: () => run({ type: 'check-revision' }),
    receiveChange: (change) => run({ type: 'remote-change', change }),
    stats: () => ({ ...m.counters, phase: m.phase, epoch, version: m.version, durable: m.save ? durableStatus(m.save) : null, channel: channel.stats() }),
    close,
    onClose: (fn) => void closers.push(fn),
  };
}

/**
 * Starts the machine as the page's user: at once when known, else once its promise settles (a
 * failure leaves actions running as anonymous here; storage runs them as the real caller anyway).
 */
function startAs(caller: HostOptions<unknown>['caller'], m: { caller?: Caller }, store: string, logger: Pick<Console, 'warn'>, start: () => void) {
  if (isPromiseLike(caller)) {
    Promise.resolve(caller)
      .then((c) => void (m.caller = c), (error) => logger.warn(`[bgstore] ${store}: the page's user is unknown (${String(error)}); actions run as anonymous here until storage runs them`))
      .then(start);
  } else {
    if (caller) m.caller = caller;
    start();
  }
}

const isPromiseLike = (value: unknown): value is PromiseLike<Caller> => typeof (value as { then?: unknown } | null | undefined)?.then === 'function';
