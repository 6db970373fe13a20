import { applyPatches, enablePatches, type Patch } from 'immer';
import { createStore, type StoreApi } from 'zustand/vanilla';
import {
  compareEpochs,
  downEvent,
  PROTOCOL_VERSION,
  SyncError,
  upEvent,
  type AckMessage,
  type BeatMessage,
  type DurableStatus,
  type Envelope,
  type PatchMessage,
  type RejectMessage,
  type SnapshotMessage,
  type StatusMessage,
  type SyncErrorCode,
} from '@bgstore/protocol';
import { createChannel, type ChannelStats } from './channel';
import type { ActionRecipes, InferActions, StoreDefinition } from './defineStore';
import { randomId, systemClock, type Clock, type Logger, type Transport } from './ports';
import { replayIntents } from './runIntent';
import { shareStructure } from './shareStructure';

/** Options of {@link createReplica}. */
export interface ReplicaOptions {
  transport: Transport;
  /** Apply actions locally at once, as pending, until the host confirms or refuses them. @default false */
  optimistic?: boolean;
  clock?: Clock;
  /** Id source for the client id and chunk ids. @default randomId */
  createId?: () => string;
  /** An action not confirmed by then rejects with `TIMEOUT`. @default 15_000 */
  intentTimeoutMs?: number;
  /** Unconfirmed actions are sent again this often. @default 1000 */
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

/** Where a replica is: waiting for its first state, in sync, catching up, or closed. */
export type SyncPhase = 'connecting' | 'live' | 'resyncing' | 'closed';

/** Why a replica asked the host for state again. */
export type ResyncReason = 'epoch' | 'gap' | 'overlap' | 'invalid-patch';

/** The sync status of a replica, as a store (`replica.sync`). */
export interface SyncStatus {
  phase: SyncPhase;
  /** The host boot this replica follows; null before the first state. */
  epoch: string | null;
  version: number | null;
  /** Actions sent and not yet confirmed. */
  pending: number;
  /** The last refusal or timeout of one of this replica's actions. */
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

/** Counters of a replica. */
export interface ReplicaStats {
  patchesApplied: number;
  snapshotsApplied: number;
  duplicates: number;
  stale: number;
  held: number;
  channel: ChannelStats;
}

/** A module's copy of the store: read it with selectors, change it with typed actions. */
export interface Replica<TState, TActions extends ActionRecipes<TState>> extends ReadonlyStore<TState> {
  /** Sends the action to the host; resolves once the host applied it, rejects with a `SyncError`. */
  actions: InferActions<TActions>;
  sync: ReadonlyStore<SyncStatus>;
  readonly clientId: string;
  stats(): ReplicaStats;
  close(): void;
}

/** An action call, from `replica.actions.x()` until its promise settles. */
interface Call {
  seq: number;
  name: string;
  args: unknown[];
  resolve: () => void;
  reject: (error: SyncError) => void;
  /** Unconfirmed calls time out at this time. */
  deadline: number;
  lastSent: number;
  /** Set once a host applied it: its effects are in that host's state as of this version. */
  ack?: { epoch: string; version: number };
  /** The replica's state includes its effects (only then does the optimistic view stop replaying it). */
  inView: boolean;
  /** Its promise resolved: applied and saved. It stays until `inView`, so the view never loses it. */
  settled: boolean;
}

const readonlyView = <T>(api: StoreApi<T>): ReadonlyStore<T> => ({ getState: api.getState, getInitialState: api.getInitialState, subscribe: api.subscribe });

/**
 * Creates a replica of a store: a zustand store kept equal to the host's over `transport`,
 * whatever order modules start in and whatever the bus does to messages.
 * @example
 * const replica = createReplica(board, { transport, optimistic: true });
 * await replica.actions.add('c1', 'Write docs');
 * replica.getState().cards;
 */
export function createReplica<TState, TActions extends ActionRecipes<TState>>(definition: StoreDefinition<TState, TActions>, options: ReplicaOptions): Replica<TState, TActions> {
  enablePatches();
  const clock = options.clock ?? systemClock;
  const createId = options.createId ?? randomId;
  const optimistic = options.optimistic ?? false;
  const intentTimeoutMs = options.intentTimeoutMs ?? 15_000;
  const retryMs = options.retryMs ?? 1000;
  const helloMinMs = options.helloMinMs ?? 100;
  const helloMaxMs = options.helloMaxMs ?? 5000;
  const gapHoldMs = options.gapHoldMs ?? 100;
  const hostSilenceMs = options.hostSilenceMs ?? 6000;
  const store = definition.name;
  const clientId = createId();

  const state = createStore<TState>()(() => definition.initialState);
  const status = createStore<SyncStatus>()(() => ({ phase: 'connecting', epoch: null, version: null, pending: 0, lastError: null, resyncs: 0, lastResync: null, durable: null }));
  const setStatus = (patch: Partial<SyncStatus>) => {
    const current = status.getState();
    if (Object.entries(patch).some(([k, v]) => current[k as keyof SyncStatus] !== v)) status.setState(patch);
  };

  let confirmed = definition.initialState;
  let epoch: string | null = null;
  let version = 0;
  let known = 0; // the highest version the host is known to have reached in this epoch
  let lastHeard = -Infinity; // when this epoch's host was last heard from
  const held = new Map<number, PatchMessage>();
  // Every call until its promise settles, in seq order. A call settles when the host applied it
  // and — if the host persists — storage has it; until then a restarted host is sent it again.
  const calls = new Map<number, Call>();
  let hostPersists: boolean | undefined;
  const outbox: Call[] = [];
  let nextSeq = 0;
  let closed = false;
  let helloTimer: unknown;
  let helloAttempt = 0;
  let lastHelloAt = -Infinity;
  let gapTimer: unknown;
  let retryTimer: unknown;
  let flushScheduled = false;
  const counters = { patchesApplied: 0, snapshotsApplied: 0, duplicates: 0, stale: 0, held: 0 };

  const channel = createChannel({
    transport: options.transport,
    store,
    id: clientId,
    listen: downEvent(store),
    send: upEvent(store),
    clock,
    maxMessageSize: options.maxMessageSize ?? 60_000,
    createId,
    logger: options.logger,
    onMessage(m) {
      if (closed) return;
      switch (m.type) {
        case 'beat':
          return onBeat(m);
        case 'snapshot':
          return onSnapshot(m);
        case 'patch':
          return onPatch(m);
        case 'ack':
          return m.to === clientId ? onAck(m) : undefined;
        case 'reject':
          return m.to === clientId ? onReject(m) : undefined;
        case 'status':
          return onStatus(m);
        default:
          channel.ignore('unexpected');
      }
    },
  });

  const envelope = (): Envelope => ({ bgstore: PROTOCOL_VERSION, store, from: clientId });

  // ---- view -------------------------------------------------------------------------------

  const recompute = () => {
    const view = optimistic ? replayIntents(definition, confirmed, [...calls.values()].filter((c) => !c.inView)) : confirmed;
    if (view !== state.getState()) state.setState(view, true);
    setStatus({ epoch, version: epoch === null ? null : version, pending: calls.size });
  };

  /**
   * Marks confirmed calls whose effects the state now includes: confirmed in this epoch at or
   * below this version, or by an older host boot (whose work the current boot loaded).
   */
  const settleAcked = () => {
    if (epoch === null) return;
    for (const c of calls.values()) {
      if (!c.ack || c.inView) continue;
      if (c.ack.epoch === epoch ? c.ack.version <= version : compareEpochs(c.ack.epoch, epoch) < 0) {
        c.inView = true;
        if (c.settled) calls.delete(c.seq);
      }
    }
  };

  const settle = (c: Call, error?: SyncError) => {
    if (c.settled) return;
    c.settled = true;
    if (error) {
      calls.delete(c.seq);
      setStatus({ lastError: error });
      c.reject(error);
    } else {
      if (c.inView) calls.delete(c.seq);
      c.resolve();
    }
  };

  // ---- handshake --------------------------------------------------------------------------

  const sendHello = () => {
    lastHelloAt = clock.now();
    channel.send({ ...envelope(), type: 'hello', epoch, version: epoch === null ? null : version });
  };

  const scheduleHello = () => {
    if (helloTimer !== undefined) clock.clearTimeout(helloTimer);
    const delay = Math.min(helloMaxMs, helloMinMs * 2 ** helloAttempt);
    helloTimer = clock.setTimeout(() => {
      helloTimer = undefined;
      if (closed || status.getState().phase === 'live') return;
      helloAttempt++;
      sendHello();
      scheduleHello();
    }, delay);
  };

  const requestSync = (reason?: ResyncReason) => {
    if (closed) return;
    const s = status.getState();
    if (reason && s.phase === 'live') setStatus({ phase: 'resyncing', resyncs: s.resyncs + 1, lastResync: { reason, at: clock.now() } });
    if (clock.now() - lastHelloAt >= helloMinMs) {
      helloAttempt = 0;
      sendHello();
    }
    if (helloTimer === undefined) scheduleHello();
  };

  const markLive = () => {
    if (helloTimer !== undefined) clock.clearTimeout(helloTimer);
    helloTimer = undefined;
    helloAttempt = 0;
    setStatus({ phase: 'live' });
  };

  const watchGap = () => {
    if (version >= known) {
      if (gapTimer !== undefined) clock.clearTimeout(gapTimer);
      gapTimer = undefined;
      return;
    }
    if (gapTimer !== undefined) return;
    gapTimer = clock.setTimeout(() => {
      gapTimer = undefined;
      if (!closed && version < known) requestSync('gap');
    }, gapHoldMs);
  };

  const adoptEpoch = (next: string) => {
    if (epoch === next) return;
    held.clear();
    known = 0;
    // Calls the old boot applied may be unsaved, and unconfirmed ones are unknown to the new boot:
    // all go to it at once; it applies only those its storage lacks.
    for (const c of [...calls.values()]) {
      // Confirmed by this very boot (before its first snapshot reached us), or saved by a newer
      // one this replica has not reached yet: keep replaying it until the state has it.
      if (c.ack && compareEpochs(c.ack.epoch, next) >= 0 && (c.settled || c.ack.epoch === next)) continue;
      // Saved by an older boot: the new boot loaded it.
      if (c.settled) {
        calls.delete(c.seq);
        continue;
      }
      c.ack = undefined;
      c.inView = false;
      c.lastSent = -Infinity;
    }
    hostPersists = undefined;
    epoch = next;
  };

  /** Learns whether this epoch's host persists; one that does not makes every confirmed call final. */
  const learnPersistence = (durable: DurableStatus | undefined) => {
    hostPersists = durable !== undefined;
    if (!hostPersists) for (const c of [...calls.values()]) if (c.ack) settle(c);
    setStatus({ durable: durable ?? null });
  };

  // ---- incoming ---------------------------------------------------------------------------

  /**
   * Whether a message of another epoch may move this replica: yes from a newer boot; from an older
   * one only when this replica's own host has gone silent (so a dead host's late messages never
   * pull a replica back, and a live host is followed even if boots tie on their start time).
   */
  const mayFollow = (other: string) => epoch === null || compareEpochs(other, epoch) > 0 || clock.now() - lastHeard > hostSilenceMs;

  const heard = (m: { epoch: string }) => {
    if (m.epoch === epoch) lastHeard = clock.now();
  };

  function onBeat(m: BeatMessage) {
    heard(m);
    if (epoch === null) return requestSync();
    if (m.epoch !== epoch) return mayFollow(m.epoch) ? requestSync('epoch') : void counters.stale++;
    known = Math.max(known, m.version);
    learnPersistence(m.durable);
    if (m.version === version && status.getState().phase !== 'live') markLive();
    watchGap();
  }

  function onStatus(m: StatusMessage) {
    if (epoch !== null && m.epoch !== epoch) return;
    hostPersists = true;
    for (const [client, seq] of m.saved ?? []) {
      if (client !== clientId || !calls.has(seq)) continue;
      confirm(seq, m.epoch, m.version);
      settle(calls.get(seq)!);
    }
    settleAcked();
    setStatus({ durable: m.durable });
    recompute();
  }

  function onSnapshot(m: SnapshotMessage) {
    if (m.epoch !== epoch && !mayFollow(m.epoch)) return void counters.stale++;
    if (epoch === m.epoch && m.version < version) return void counters.duplicates++;
    if (epoch === m.epoch && m.version === version) {
      if (status.getState().phase !== 'live') markLive();
      return void counters.duplicates++;
    }
    adoptEpoch(m.epoch);
    learnPersistence(m.durable);
    lastHeard = clock.now();
    confirmed = shareStructure(confirmed, m.state as TState);
    version = m.version;
    known = Math.max(known, version);
    counters.snapshotsApplied++;
    for (const [base, h] of held) if (h.next <= version) held.delete(base);
    drainHeld();
    settleAcked();
    recompute();
    markLive();
    flushUnsent();
  }

  function onPatch(m: PatchMessage) {
    heard(m);
    if (epoch === null) return requestSync();
    if (m.epoch !== epoch) return mayFollow(m.epoch) ? requestSync('epoch') : void counters.stale++;
    known = Math.max(known, m.next);
    if (m.next <= version) return void counters.duplicates++;
    if (m.base > version) {
      counters.held++;
      held.set(m.base, m);
      return watchGap();
    }
    if (m.base < version) return requestSync('overlap');
    if (!apply(m)) return;
    drainHeld();
    settleAcked();
    recompute();
    if (status.getState().phase !== 'live' && version >= known) markLive();
    watchGap();
  }

  function apply(m: PatchMessage): boolean {
    try {
      confirmed = applyPatches(confirmed as object, m.patches as Patch[]) as TState;
    } catch {
      requestSync('invalid-patch');
      return false;
    }
    version = m.next;
    counters.patchesApplied++;
    for (const [client, seq] of m.acks ?? []) {
      if (client !== clientId) continue;
      confirm(seq, m.epoch, m.next);
    }
    return true;
  }

  function drainHeld() {
    for (let h = held.get(version); h; h = held.get(version)) {
      held.delete(h.base);
      if (!apply(h)) return;
    }
  }

  function confirm(seq: number, ackEpoch: string, ackVersion: number) {
    const c = calls.get(seq);
    if (!c || c.ack) return;
    c.ack = { epoch: ackEpoch, version: ackVersion };
    if (hostPersists === false) settle(c);
  }

  function onAck(m: AckMessage) {
    heard(m);
    for (const seq of m.seqs) confirm(seq, m.epoch, m.version);
    for (const seq of m.saved ?? []) {
      const c = calls.get(seq);
      if (c?.ack) settle(c);
    }
    settleAcked();
    recompute();
  }

  function onReject(m: RejectMessage) {
    const c = calls.get(m.seq);
    if (!c) return;
    settle(c, new SyncError(m.code, m.message));
    recompute();
  }

  // ---- outgoing intents -------------------------------------------------------------------

  /** The lowest seq this replica may still send: any call not yet settled. */
  const floor = () => {
    for (const c of calls.values()) if (!c.settled) return c.seq;
    return nextSeq + 1;
  };

  const sendIntents = (items: Call[]) => {
    if (items.length === 0) return;
    const now = clock.now();
    for (const c of items) c.lastSent = now;
    channel.send({ ...envelope(), type: 'intents', floor: floor(), items: items.map((c) => ({ seq: c.seq, name: c.name, args: c.args })) });
  };

  const flushUnsent = () => sendIntents([...calls.values()].filter((c) => !c.settled && !c.ack && c.lastSent === -Infinity));

  const tick = () => {
    retryTimer = undefined;
    if (closed) return;
    const now = clock.now();
    let changed = false;
    for (const c of [...calls.values()]) {
      if (c.settled || c.ack || now < c.deadline) continue;
      changed = true;
      settle(c, new SyncError('TIMEOUT', `[bgstore] ${store}.${c.name}: no answer from the background script in ${intentTimeoutMs} ms; it may or may not have been applied`));
    }
    // Unconfirmed calls go again every retryMs; applied ones not yet reported saved (the status
    // saying so may be lost) are asked about less often, and the host answers with `saved`.
    sendIntents([...calls.values()].filter((c) => !c.settled && now - c.lastSent >= (c.ack ? 5 * retryMs : retryMs)));
    if (changed) recompute();
    if ([...calls.values()].some((c) => !c.settled)) retryTimer = clock.setTimeout(tick, retryMs);
  };

  const fail = (code: SyncErrorCode, message: string) => Promise.reject(new SyncError(code, message));

  const actions = {} as Record<string, (...args: unknown[]) => Promise<void>>;
  for (const name of Object.keys(definition.actions)) {
    actions[name] = (...args: unknown[]) => {
      if (closed) return fail('CLOSED', `[bgstore] replica of '${store}' is closed`);
      return new Promise<void>((resolve, reject) => {
        const c: Call = { seq: ++nextSeq, name, args, resolve, reject, deadline: clock.now() + intentTimeoutMs, lastSent: -Infinity, inView: false, settled: false };
        calls.set(c.seq, c);
        outbox.push(c);
        if (!flushScheduled) {
          flushScheduled = true;
          queueMicrotask(() => {
            flushScheduled = false;
            sendIntents(outbox.splice(0).filter((x) => calls.has(x.seq) && !x.ack));
          });
        }
        if (retryTimer === undefined) retryTimer = clock.setTimeout(tick, retryMs);
        recompute();
      });
    };
  }

  requestSync();

  return {
    getState: state.getState,
    getInitialState: state.getInitialState,
    subscribe: state.subscribe,
    actions: actions as InferActions<TActions>,
    sync: readonlyView(status),
    clientId,
    stats: () => ({ ...counters, channel: channel.stats() }),
    close() {
      if (closed) return;
      closed = true;
      for (const t of [helloTimer, gapTimer, retryTimer]) if (t !== undefined) clock.clearTimeout(t);
      channel.close();
      for (const c of [...calls.values()]) if (!c.settled) settle(c, new SyncError('CLOSED', `[bgstore] replica of '${store}' closed before ${c.name} was confirmed${c.ack ? ' as saved' : ''}`));
      calls.clear();
      setStatus({ phase: 'closed', pending: 0 });
    },
  };
}
