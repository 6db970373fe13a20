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
  type Envelope,
  type PatchMessage,
  type RejectMessage,
  type SnapshotMessage,
  type SyncErrorCode,
} from '@bgstore/protocol';
import { createChannel, type ChannelStats } from './channel';
import type { ActionRecipes, InferActions, StoreDefinition } from './defineStore';
import { randomId, systemClock, type Clock, type Logger, type Transport } from './ports';
import { runIntent } from './runIntent';
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

interface Pending {
  seq: number;
  name: string;
  args: unknown[];
  resolve: () => void;
  reject: (error: SyncError) => void;
  deadline: number;
  lastSent: number;
  /** Set once the host applied it: its effects are in the state as of this version. */
  ack?: { epoch: string; version: number };
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
  const status = createStore<SyncStatus>()(() => ({ phase: 'connecting', epoch: null, version: null, pending: 0, lastError: null, resyncs: 0, lastResync: null }));
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
  const pending = new Map<number, Pending>();
  const outbox: Pending[] = [];
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
        default:
          channel.ignore('unexpected');
      }
    },
  });

  const envelope = (): Envelope => ({ bgstore: PROTOCOL_VERSION, store, from: clientId });

  // ---- view -------------------------------------------------------------------------------

  const recompute = () => {
    let view = confirmed;
    if (optimistic) {
      for (const p of pending.values()) {
        const out = runIntent(definition, view, p.name, p.args);
        if (out.ok) view = out.state;
      }
    }
    if (view !== state.getState()) state.setState(view, true);
    setStatus({ epoch, version: epoch === null ? null : version, pending: pending.size });
  };

  /**
   * Drops confirmed intents whose effects the state now includes: confirmed in this epoch at or
   * below this version, or by an older host boot (whose work the current boot loaded).
   */
  const settleAcked = () => {
    for (const [seq, p] of pending) {
      if (!p.ack || epoch === null) continue;
      if (p.ack.epoch === epoch ? p.ack.version <= version : compareEpochs(p.ack.epoch, epoch) < 0) pending.delete(seq);
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
    for (const [seq, p] of pending) {
      // Confirmed by another host boot: its effects are in this snapshot if that boot saved them.
      if (p.ack && p.ack.epoch !== next) pending.delete(seq);
      // Never confirmed: goes to this host at once, which applies each at most once.
      else if (!p.ack) p.lastSent = -Infinity;
    }
    epoch = next;
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
    if (m.version === version && status.getState().phase !== 'live') markLive();
    watchGap();
  }

  function onSnapshot(m: SnapshotMessage) {
    if (m.epoch !== epoch && !mayFollow(m.epoch)) return void counters.stale++;
    if (epoch === m.epoch && m.version < version) return void counters.duplicates++;
    if (epoch === m.epoch && m.version === version) {
      if (status.getState().phase !== 'live') markLive();
      return void counters.duplicates++;
    }
    adoptEpoch(m.epoch);
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
      const p = pending.get(seq);
      if (p && !p.ack) {
        p.ack = { epoch: m.epoch, version: m.next };
        p.resolve();
      }
    }
    return true;
  }

  function drainHeld() {
    for (let h = held.get(version); h; h = held.get(version)) {
      held.delete(h.base);
      if (!apply(h)) return;
    }
  }

  function onAck(m: AckMessage) {
    heard(m);
    for (const seq of m.seqs) {
      const p = pending.get(seq);
      if (!p || p.ack) continue;
      p.ack = { epoch: m.epoch, version: m.version };
      p.resolve();
    }
    settleAcked();
    recompute();
  }

  function onReject(m: RejectMessage) {
    const p = pending.get(m.seq);
    if (!p || p.ack) return;
    pending.delete(m.seq);
    const error = new SyncError(m.code, m.message);
    setStatus({ lastError: error });
    p.reject(error);
    recompute();
  }

  // ---- outgoing intents -------------------------------------------------------------------

  const floor = () => {
    for (const p of pending.values()) if (!p.ack) return p.seq;
    return nextSeq + 1;
  };

  const sendIntents = (items: Pending[]) => {
    if (items.length === 0) return;
    const now = clock.now();
    for (const p of items) p.lastSent = now;
    channel.send({ ...envelope(), type: 'intents', floor: floor(), items: items.map((p) => ({ seq: p.seq, name: p.name, args: p.args })) });
  };

  const flushUnsent = () => sendIntents([...pending.values()].filter((p) => !p.ack && p.lastSent === -Infinity));

  const tick = () => {
    retryTimer = undefined;
    if (closed) return;
    const now = clock.now();
    let changed = false;
    for (const [seq, p] of pending) {
      if (now < p.deadline) continue;
      pending.delete(seq);
      changed = true;
      if (!p.ack) {
        const error = new SyncError('TIMEOUT', `[bgstore] ${store}.${p.name}: no answer from the background script in ${intentTimeoutMs} ms; it may or may not have been applied`);
        setStatus({ lastError: error });
        p.reject(error);
      }
    }
    sendIntents([...pending.values()].filter((p) => !p.ack && now - p.lastSent >= retryMs));
    if (changed) recompute();
    if (pending.size) retryTimer = clock.setTimeout(tick, retryMs);
  };

  const fail = (code: SyncErrorCode, message: string) => Promise.reject(new SyncError(code, message));

  const actions = {} as Record<string, (...args: unknown[]) => Promise<void>>;
  for (const name of Object.keys(definition.actions)) {
    actions[name] = (...args: unknown[]) => {
      if (closed) return fail('CLOSED', `[bgstore] replica of '${store}' is closed`);
      return new Promise<void>((resolve, reject) => {
        const p: Pending = { seq: ++nextSeq, name, args, resolve, reject, deadline: clock.now() + intentTimeoutMs, lastSent: -Infinity };
        pending.set(p.seq, p);
        outbox.push(p);
        if (!flushScheduled) {
          flushScheduled = true;
          queueMicrotask(() => {
            flushScheduled = false;
            sendIntents(outbox.splice(0).filter((x) => pending.has(x.seq) && !x.ack));
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
      for (const p of pending.values()) if (!p.ack) p.reject(new SyncError('CLOSED', `[bgstore] replica of '${store}' closed before ${p.name} was confirmed`));
      pending.clear();
      setStatus({ phase: 'closed', pending: 0 });
    },
  };
}
