import { createEpoch, downEvent, PROTOCOL_VERSION, SyncError, upEvent, type DownMessage, type DurableStatus, type Envelope, type HelloMessage, type IntentsMessage, type Message, type WirePatch } from '@bgstore/protocol';
import { createChannel, type ChannelStats } from './channel';
import { createClientTable, type Processed } from './clientTable';
import type { DurableIntent } from './commit';
import { createCommitQueue, type CommitQueue } from './commitQueue';
import type { ActionRecipes, InferActions, StoreDefinition } from './defineStore';
import { randomId, systemClock, type Clock, type Logger, type Persistence, type Transport } from './ports';
import { diffState } from './diffState';
import { replayIntents, runIntent } from './runIntent';

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
  /** Check storage for other tabs' commits this often; 0 turns it off. @default 30_000 */
  revisionCheckMs?: number;
  /** First retry delay after a failed commit or load; doubles up to 30 s. @default 500 */
  retryMinMs?: number;
  /** Called whenever the durability status changes (e.g. to announce a new revision to other tabs). */
  onDurable?: (status: DurableStatus) => void;
  clock?: Clock;
  /** Id source for the epoch's random part and chunk ids. @default randomId */
  createId?: () => string;
  /** A beat `{epoch, version}` is sent after this long without other traffic, so a replica that missed the last patch catches up. @default 2000 */
  heartbeatMs?: number;
  /** Patches kept to answer a lagging replica without a snapshot, as entries… @default 256 */
  logEntries?: number;
  /** …and as JSON characters. @default 1_000_000 */
  logSize?: number;
  /** Messages longer than this (JSON characters) are sent in chunks. @default 60_000 */
  maxMessageSize?: number;
  logger?: Logger;
}

/** Where a host is. */
export type HostPhase = 'loading' | 'live' | 'failed' | 'closed';

/** Counters of a host. */
export interface HostStats {
  phase: HostPhase;
  epoch: string;
  version: number;
  intentsApplied: number;
  intentsRejected: number;
  duplicates: number;
  snapshotsSent: number;
  catchUpsSent: number;
  rebases: number;
  /** Durability, when the host persists. */
  durable: DurableStatus | null;
  channel: ChannelStats;
}

/** The authoritative store, run by the background script. */
export interface Host<TState, TActions extends ActionRecipes<TState>> {
  getState(): TState;
  subscribe(listener: (state: TState, previous: TState) => void): () => void;
  /** Runs actions on the host itself; each resolves once applied, or rejects with a `SyncError`. */
  actions: InferActions<TActions>;
  /** Resolves once the persisted state is loaded and replicas are being served. */
  ready: Promise<void>;
  /** Commits unsaved intents now, without waiting for the debounce. */
  flush(): void;
  /** Asks storage whether other tabs committed, and rebases if so. */
  checkRevision(): Promise<void>;
  readonly epoch: string;
  version(): number;
  stats(): HostStats;
  close(): void;
}

interface LogEntry {
  base: number;
  next: number;
  patches: WirePatch[];
  size: number;
}

/**
 * Creates the authoritative host of a store: it runs intents, numbers versions under a random
 * epoch, broadcasts patches, answers `hello`s with the patches a replica missed or a snapshot.
 * @example
 * const host = createHost(board, { transport });
 * await host.ready;
 */
export function createHost<TState, TActions extends ActionRecipes<TState>>(definition: StoreDefinition<TState, TActions>, options: HostOptions<TState>): Host<TState, TActions> {
  const clock = options.clock ?? systemClock;
  const createId = options.createId ?? randomId;
  const heartbeatMs = options.heartbeatMs ?? 2000;
  const logEntries = options.logEntries ?? 256;
  const logSize = options.logSize ?? 1_000_000;
  // A host's id is its epoch: down messages name it once, and its own calls are stored under it.
  const epoch = createEpoch(clock.now(), options.createId ? options.createId() : randomId(6));
  const id = epoch;
  const store = definition.name;

  let phase: HostPhase = 'loading';
  let state = definition.initialState;
  let version = 0;
  let table = createClientTable();
  const log: LogEntry[] = [];
  let logChars = 0;
  const listeners = new Set<(state: TState, previous: TState) => void>();
  const buffered: Message[] = [];
  const counters = { intentsApplied: 0, intentsRejected: 0, duplicates: 0, snapshotsSent: 0, catchUpsSent: 0, rebases: 0 };
  let localSeq = 0;
  let queue: CommitQueue<TState> | undefined;
  let lastSent = clock.now();
  let beatTimer: unknown;

  const envelope = (): Envelope => ({ bgstore: PROTOCOL_VERSION, store, from: id });
  const send = (message: DownMessage) => {
    lastSent = clock.now();
    channel.send(message);
  };

  const channel = createChannel({
    transport: options.transport,
    store,
    id,
    listen: upEvent(store),
    send: downEvent(store),
    clock,
    maxMessageSize: options.maxMessageSize ?? 60_000,
    createId,
    logger: options.logger,
    onMessage(message) {
      if (phase === 'loading') {
        if (buffered.length < 1000) buffered.push(message);
        return;
      }
      if (phase === 'live') dispatch(message);
    },
  });

  const commit = (next: TState, patches: WirePatch[], acks: [string, number][]) => {
    const previous = state;
    state = next;
    const base = version++;
    const entry: LogEntry = { base, next: version, patches, size: JSON.stringify(patches).length };
    log.push(entry);
    logChars += entry.size;
    while (log.length > logEntries || (logChars > logSize && log.length > 1)) logChars -= log.shift()!.size;
    send({ ...envelope(), type: 'patch', epoch, base, next: version, patches, ...(acks.length ? { acks } : {}) });
    for (const l of [...listeners]) l(state, previous);
  };

  function onHello(m: HelloMessage) {
    if (m.epoch === epoch && m.version === version) {
      send({ ...envelope(), type: 'beat', epoch, version, to: m.from, ...durableField() });
      return;
    }
    if (m.epoch === epoch && m.version !== null && m.version < version) {
      const start = log.findIndex((e) => e.base === m.version);
      if (start >= 0) {
        counters.catchUpsSent++;
        const patches = log.slice(start).flatMap((e) => e.patches);
        send({ ...envelope(), type: 'patch', epoch, base: m.version, next: version, patches, to: m.from });
        return;
      }
    }
    counters.snapshotsSent++;
    send({ ...envelope(), type: 'snapshot', epoch, version, state, to: m.from, ...durableField() });
  }

  function onIntents(m: IntentsMessage) {
    const now = clock.now();
    table.advanceFloor(m.from, m.floor, now);
    let next = state;
    const patches: WirePatch[] = [];
    const acks: [string, number][] = [];
    const reAcks: number[] = [];
    for (const item of m.items) {
      const seen = table.lookup(m.from, item.seq);
      if (seen) {
        counters.duplicates++;
        if (seen.ok) reAcks.push(item.seq);
        else if (!queue?.isUnsaved(m.from, item.seq)) send({ ...envelope(), type: 'reject', to: m.from, seq: item.seq, code: seen.code, message: seen.message });
        continue;
      }
      const outcome = runIntent(definition, next, item.name, item.args);
      const processed: Processed = outcome.ok ? { ok: true } : { ok: false, code: outcome.code, message: outcome.message };
      table.record(m.from, item.seq, processed, now);
      if (outcome.ok) {
        counters.intentsApplied++;
        queue?.push({ clientId: m.from, seq: item.seq, name: item.name, args: item.args });
        if (outcome.patches.length === 0) {
          reAcks.push(item.seq);
        } else {
          next = outcome.state;
          patches.push(...outcome.patches);
          acks.push([m.from, item.seq]);
        }
      } else {
        counters.intentsRejected++;
        if (queue) queue.push({ clientId: m.from, seq: item.seq, name: item.name, args: item.args, refused: { code: outcome.code, message: outcome.message } });
        else send({ ...envelope(), type: 'reject', to: m.from, seq: item.seq, code: outcome.code, message: outcome.message });
      }
    }
    if (patches.length) commit(next, patches, acks);
    if (reAcks.length) {
      const saved = queue ? reAcks.filter((seq) => !queue!.isUnsaved(m.from, seq)) : [];
      send({ ...envelope(), type: 'ack', to: m.from, epoch, version, seqs: reAcks, ...(saved.length ? { saved } : {}) });
    }
  }

  const beat = () => {
    if (phase !== 'live') return;
    if (clock.now() - lastSent >= heartbeatMs) send({ ...envelope(), type: 'beat', epoch, version, ...durableField() });
    beatTimer = clock.setTimeout(beat, Math.max(1, heartbeatMs - (clock.now() - lastSent)));
  };

  const durableField = () => (queue ? { durable: queue.status() } : {});

  /** Storage moved in a way this host did not predict: its state becomes storage's plus what is unsaved. */
  const rebase = (durableState: TState, unsaved: readonly DurableIntent[]) => {
    const next = replayIntents(definition, durableState, unsaved);
    const patches = diffState(state, next);
    if (patches.length === 0) return;
    counters.rebases++;
    commit(next, patches, []);
  };

  if (options.persistence) {
    queue = createCommitQueue({
      definition,
      persistence: options.persistence,
      clock,
      flushDelayMs: options.flushDelayMs,
      revisionCheckMs: options.revisionCheckMs,
      retryMinMs: options.retryMinMs,
      logger: options.logger,
      onRebase: rebase,
      onStatus: (durable, saved, refused) => {
        options.onDurable?.(durable);
        send({ ...envelope(), type: 'status', epoch, version, durable, ...(saved.length ? { saved } : {}) });
        // Refusals reach callers only once stored, so a late copy of a refused intent never applies.
        for (const r of refused) if (!r.ok) send({ ...envelope(), type: 'reject', to: r.clientId, seq: r.seq, code: r.code, message: r.message });
      },
    });
  }

  const ready = (async () => {
    if (queue) {
      try {
        const loaded = await queue.load();
        if ((phase as HostPhase) === 'closed') return;
        state = loaded.state;
        table = createClientTable(loaded.clients);
      } catch (error) {
        phase = 'failed';
        (options.logger ?? console).warn(`[bgstore] ${store}: the host cannot load its state: ${error instanceof Error ? error.message : String(error)}`);
        send({ ...envelope(), type: 'status', epoch, version, durable: queue.status() });
        return;
      }
    }
    if ((phase as HostPhase) === 'closed') return;
    phase = 'live';
    send({ ...envelope(), type: 'beat', epoch, version, ...durableField() });
    for (const m of buffered.splice(0)) dispatch(m);
    beatTimer = clock.setTimeout(beat, heartbeatMs);
  })();

  function dispatch(m: Message) {
    if (m.type === 'hello') onHello(m);
    else if (m.type === 'intents') onIntents(m);
    else channel.ignore('unexpected');
  }

  const actions = {} as Record<string, (...args: unknown[]) => Promise<void>>;
  for (const name of Object.keys(definition.actions)) {
    actions[name] = async (...args: unknown[]) => {
      await ready;
      if ((phase as HostPhase) === 'closed') throw new SyncError('CLOSED', `[bgstore] host of '${store}' is closed`);
      if ((phase as HostPhase) === 'failed') throw new SyncError('STORAGE_FAILED', `[bgstore] host of '${store}' could not load its state`);
      const outcome = runIntent(definition, state, name, args);
      if (!outcome.ok) throw new SyncError(outcome.code, outcome.message);
      queue?.push({ clientId: id, seq: ++localSeq, name, args });
      if (outcome.patches.length) commit(outcome.state, outcome.patches, []);
    };
  }

  return {
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    actions: actions as InferActions<TActions>,
    ready,
    epoch,
    version: () => version,
    flush: () => queue?.flush(),
    checkRevision: () => queue?.checkRevision() ?? Promise.resolve(),
    stats: () => ({ phase, epoch, version, ...counters, durable: queue?.status() ?? null, channel: channel.stats() }),
    close() {
      phase = 'closed';
      if (beatTimer !== undefined) clock.clearTimeout(beatTimer);
      queue?.close();
      channel.close();
      listeners.clear();
    },
  };
}
