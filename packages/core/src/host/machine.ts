// The host's protocol as a state machine: a plain record and free functions. `step` takes one event
// (a message, its own action call, a storage answer, a tick of the clock, close) and returns the
// effects to perform; it never reads a clock, awaits storage or touches a transport. `createHost`
// wires it to the channel, the wake-up timer and the persistence port.
//
//   loading ──loaded──▶ live ──close()──▶ closed
//      │                 ▲ (messages that arrive while loading are buffered, then handled)
//      └──load failed for good (a permanent error)──▶ failed
//
// Words: the host *publishes* a change (new version, patch broadcast to replicas); it *commits*
// intents to storage (through the save queue, `durable/saveQueue.ts`). Only storage commits.
import { isSyncError, PROTOCOL_VERSION, SyncError, jsonBytes, type DownMessage, type HelloMessage, type IntentsMessage, type Message, type Outcome, type Refusal, type StoredIntent, type WirePatch } from '@bgstore/protocol';
import { createClientTable, type ClientTable } from '../durable/clientTable';
import { createSaveQueue, durableStatus, isPermanent, isUnsaved, onSaved, onSaveFailed, pushIntent, takeBatch, type SaveQueue, type SaveTiming } from '../durable/saveQueue';
import { deepFreeze, freezeChanged } from '../runtime/freeze';
import type { CommitBatch, CommitResult, LoadedDoc } from '../runtime/ports';
import { backoff } from '../runtime/schedule';
import type { ActionRecipes, StoreDefinition } from '../state/defineStore';
import { diffState } from '../state/diffState';
import { replayIntents, runIntent } from '../state/runIntent';
import { stateDigest } from '../state/stateDigest';

const TRAILING_BEAT_MS = 150;

/** Where a host is. */
export type HostPhase = 'loading' | 'live' | 'failed' | 'closed';

export interface HostTiming extends SaveTiming {
  heartbeatMs: number;
  /** A beat carries a digest of the state at most this often (and only when the version moved). */
  digestMs: number;
  logEntries: number;
  logBytes: number;
  /** Snapshots sent at once at most, then `snapshotsPerSecond` (a hello storm costs little). */
  snapshotBurst: number;
  snapshotsPerSecond: number;
}

interface LogEntry {
  base: number;
  next: number;
  patches: WirePatch[];
  bytes: number;
}

export interface HostCounters {
  intentsApplied: number;
  intentsRejected: number;
  duplicates: number;
  snapshotsSent: number;
  catchUpsSent: number;
  rebases: number;
  /** Hellos answered later because snapshots were rate-limited. */
  hellosDeferred: number;
  /** Hellos from a module of another build of the store. */
  buildMismatches: number;
}

export interface HostMachine<TState> {
  readonly definition: StoreDefinition<TState, ActionRecipes<TState>>;
  readonly epoch: string;
  readonly timing: HostTiming;
  phase: HostPhase;
  state: TState;
  version: number;
  /** Which intents of which client were processed, so none runs twice. */
  table: ClientTable;
  log: LogEntry[];
  logBytes: number;
  buffered: Message[];
  lastSentAt: number;
  beatAt: number | undefined;
  /** A patch went out since the last beat: a trailing beat follows once the burst is over. */
  trailing: boolean;
  digestAt: number;
  snapshotTokens: number;
  tokensAt: number;
  deferred: Map<string, HelloMessage>;
  /** The host's own calls are intents of client `epoch`, numbered from 1. */
  localSeq: number;
  /** Its calls made while loading, run once live. */
  waiting: { seq: number; name: string; args: unknown[] }[];
  /** Present when the host persists. */
  save: SaveQueue<TState> | undefined;
  loadAttempt: number;
  loadAt: number | undefined;
  counters: HostCounters;
}

export type HostEvent =
  | { type: 'start' }
  | { type: 'loaded'; doc: LoadedDoc<TStateAny> }
  | { type: 'load-failed'; error: unknown }
  | { type: 'message'; message: Message }
  | { type: 'call'; name: string; args: unknown[] }
  | { type: 'saved'; result: CommitResult<TStateAny> }
  | { type: 'save-failed'; error: unknown }
  | { type: 'revision'; revision: number }
  | { type: 'revision-failed'; error: unknown }
  | { type: 'flush' }
  /** Ask storage for its revision now (another tab announced one, the page became visible). */
  | { type: 'check-revision' }
  | { type: 'tick' }
  | { type: 'close' };
type TStateAny = never;

export type HostEffect =
  | { type: 'send'; message: DownMessage }
  | { type: 'load' }
  | { type: 'commit'; batch: CommitBatch }
  | { type: 'check-revision' }
  /** The host's own call `seq` was applied (or refused, `settled` with an error). */
  | { type: 'applied'; seq: number }
  | { type: 'settled'; seq: number; error?: SyncError }
  | { type: 'changed'; previous: unknown }
  | { type: 'durable' }
  | { type: 'warn'; message: string };

export function createHostMachine<TState>(definition: StoreDefinition<TState, ActionRecipes<TState>>, epoch: string, timing: HostTiming, persists: boolean, now: number): HostMachine<TState> {
  const initial = deepFreeze(definition.initialState);
  return {
    definition,
    epoch,
    timing,
    phase: 'loading',
    state: initial,
    version: 0,
    table: createClientTable(),
    log: [],
    logBytes: 0,
    buffered: [],
    lastSentAt: now,
    beatAt: undefined,
    trailing: false,
    digestAt: -Infinity,
    snapshotTokens: timing.snapshotBurst,
    tokensAt: now,
    deferred: new Map(),
    localSeq: 0,
    waiting: [],
    save: persists ? createSaveQueue(initial) : undefined,
    loadAttempt: 0,
    loadAt: undefined,
    counters: { intentsApplied: 0, intentsRejected: 0, duplicates: 0, snapshotsSent: 0, catchUpsSent: 0, rebases: 0, hellosDeferred: 0, buildMismatches: 0 },
  };
}

/** When the machine next needs a `tick`, or undefined. */
export function nextWake<TState>(m: HostMachine<TState>): number | undefined {
  if (m.phase === 'closed' || m.phase === 'failed') return undefined;
  let at = Math.min(m.beatAt ?? Infinity, m.loadAt ?? Infinity, m.save?.flushAt ?? Infinity, m.save?.checkAt ?? Infinity);
  if (m.deferred.size) at = Math.min(at, m.tokensAt + 1000 / m.timing.snapshotsPerSecond);
  return at === Infinity ? undefined : at;
}

/** Runs one event. Mutates `m`; returns what to do. */
export function step<TState>(m: HostMachine<TState>, event: HostEvent, now: number): HostEffect[] {
  const out: HostEffect[] = [];
  if (m.phase === 'closed') return out;
  const t = new HostTurn(m, now, out);
  switch (event.type) {
    case 'start':
      if (m.save) out.push({ type: 'load' });
      else t.goLive();
      break;
    case 'loaded':
      t.onLoaded(event.doc as LoadedDoc<TState>);
      break;
    case 'load-failed':
      t.onLoadFailed(event.error);
      break;
    case 'message':
      if (m.phase === 'loading') {
        if (m.buffered.length < 1000) m.buffered.push(event.message);
      } else if (m.phase === 'live') t.dispatch(event.message);
      break;
    case 'call':
      t.onCall(event.name, event.args);
      break;
    case 'saved':
      t.onSaved(event.result as CommitResult<TState>);
      break;
    case 'save-failed':
      t.onSaveFailed(event.error);
      break;
    case 'revision':
      if (m.save) {
        m.save.checking = false;
        // Other tabs moved storage: load it and rebase (only when no commit of ours is in flight).
        if (event.revision !== m.save.revision && m.save.inflight.length === 0) out.push({ type: 'load' });
        else t.scheduleCheck();
      }
      break;
    case 'revision-failed':
      if (m.save) {
        m.save.checking = false;
        t.scheduleCheck();
      }
      break;
    case 'flush':
      t.commitDue(true);
      break;
    case 'check-revision':
      if (m.save && m.phase === 'live' && !m.save.checking) {
        m.save.checkAt = now;
        t.tick();
      }
      break;
    case 'tick':
      t.tick();
      break;
    case 'close':
      m.phase = 'closed';
      m.beatAt = m.loadAt = undefined;
      for (const c of m.waiting.splice(0)) out.push({ type: 'settled', seq: c.seq, error: new SyncError('CLOSED', `[bgstore] host of '${m.definition.name}' is closed`) });
      m.deferred.clear();
      if (m.save) m.save.flushAt = m.save.checkAt = undefined;
      break;
  }
  return out;
}

class HostTurn<TState> {
  constructor(
    readonly m: HostMachine<TState>,
    readonly now: number,
    readonly out: HostEffect[],
  ) {}

  get env() {
    return { bgstore: PROTOCOL_VERSION, store: this.m.definition.name, from: this.m.epoch, epoch: this.m.epoch } as const;
  }

  send(message: DownMessage) {
    this.m.lastSentAt = this.now;
    this.out.push({ type: 'send', message });
  }

  durableField() {
    return this.m.save ? { durable: durableStatus(this.m.save) } : {};
  }

  // ---- loading ----------------------------------------------------------------------------------

  onLoaded(doc: LoadedDoc<TState>) {
    const { m } = this;
    const q = m.save!;
    q.error = null;
    const reload = m.phase === 'live';
    q.revision = doc.revision;
    q.state = doc.state;
    if (reload) {
      // A revision check found other tabs' commits: rebase on them.
      this.rebase();
      this.scheduleCheck();
      this.reportDurable();
      return;
    }
    m.table = createClientTable(doc.clients);
    // Nobody was served yet: the loaded state is version 0 of this boot.
    m.state = deepFreeze(doc.state);
    // A commit of the previous boot may still have been on its way when this one loaded: look
    // again soon, not only after a full interval.
    this.scheduleCheck(Math.min(m.timing.revisionCheckMs, 2000));
    this.goLive();
  }

  onLoadFailed(error: unknown) {
    const { m } = this;
    const q = m.save!;
    q.error = isSyncError(error) ? { code: error.code, message: error.message } : { code: 'STORAGE_FAILED', message: `[bgstore] storage failed: ${error instanceof Error ? error.message : String(error)}` };
    if (m.phase === 'live') {
      this.scheduleCheck();
      this.reportDurable();
      return;
    }
    if (isPermanent(q.error)) {
      m.phase = 'failed';
      this.out.push({ type: 'warn', message: `[bgstore] ${m.definition.name}: the host cannot load its state: ${q.error.message}` });
      this.send({ ...this.env, type: 'status', version: m.version, durable: durableStatus(q) });
      for (const c of m.waiting.splice(0)) this.out.push({ type: 'settled', seq: c.seq, error: new SyncError(q.error.code as never, q.error.message) });
      return;
    }
    const delay = backoff(m.loadAttempt++, m.timing.retryMinMs, m.timing.retryMaxMs, 0.2);
    this.out.push({ type: 'warn', message: `${q.error.message}; loading again in ${delay} ms` });
    m.loadAt = this.now + delay;
    // Replicas hear why they still wait.
    this.send({ ...this.env, type: 'status', version: m.version, durable: durableStatus(q) });
  }

  goLive() {
    const { m } = this;
    m.phase = 'live';
    this.send({ ...this.env, type: 'beat', version: m.version, ...this.durableField() });
    m.beatAt = this.now + m.timing.heartbeatMs;
    for (const msg of m.buffered.splice(0)) this.dispatch(msg);
    for (const c of m.waiting.splice(0)) this.runCall(c.seq, c.name, c.args);
  }

  // ---- publishing -------------------------------------------------------------------------------

  /** Makes `next` the state at a new version and broadcasts `patches` (with `acks`) to replicas. */
  publish(next: TState, patches: WirePatch[], acks: [string, number][]) {
    const { m } = this;
    const previous = m.state;
    m.state = freezeChanged(next, patches);
    const base = m.version++;
    const entry: LogEntry = { base, next: m.version, patches, bytes: jsonBytes(patches) };
    m.log.push(entry);
    m.logBytes += entry.bytes;
    while (m.log.length > m.timing.logEntries || (m.logBytes > m.timing.logBytes && m.log.length > 1)) m.logBytes -= m.log.shift()!.bytes;
    this.send({ ...this.env, type: 'patch', base, next: m.version, patches, ...(acks.length ? { acks } : {}) });
    this.out.push({ type: 'changed', previous });
    // A beat soon after a burst ends tells a replica that missed its last patch, without waiting a heartbeat.
    m.trailing = true;
    m.beatAt = Math.min(m.beatAt ?? Infinity, this.now + TRAILING_BEAT_MS);
  }

  /** Storage moved in a way this host did not predict: its state becomes storage's plus what is unsaved. */
  rebase() {
    const { m } = this;
    const q = m.save!;
    const next = replayIntents(m.definition, q.state, [...q.inflight, ...q.queue]);
    const patches = diffState(m.state, next);
    if (patches.length === 0) return;
    m.counters.rebases++;
    this.publish(next, patches, []);
  }

  // ---- replicas -------------------------------------------------------------------------------

  dispatch(msg: Message) {
    if (msg.type === 'hello') this.onHello(msg);
    else if (msg.type === 'intents') this.onIntents(msg);
  }

  refill() {
    const { m, now } = this;
    const per = 1000 / m.timing.snapshotsPerSecond;
    const gained = Math.floor((now - m.tokensAt) / per);
    if (gained > 0) {
      m.snapshotTokens = Math.min(m.timing.snapshotBurst, m.snapshotTokens + gained);
      m.tokensAt += gained * per;
    }
    if (m.snapshotTokens >= m.timing.snapshotBurst) m.tokensAt = now;
  }

  onHello(h: HelloMessage) {
    const { m } = this;
    if (h.fingerprint !== undefined && h.fingerprint !== m.definition.fingerprint) m.counters.buildMismatches++;
    if (h.epoch === m.epoch && h.version === m.version && h.fingerprint === m.definition.fingerprint) {
      this.send({ ...this.env, type: 'beat', version: m.version, to: h.from, ...this.durableField() });
      return;
    }
    if (h.epoch === m.epoch && h.version !== null && h.version > m.version) {
      // The replica is ahead of its host: it took a forged or corrupt message. The digest tells it.
      this.send({ ...this.env, type: 'beat', version: m.version, to: h.from, digest: stateDigest(m.state) });
      return;
    }
    if (h.epoch === m.epoch && h.version !== null && h.version < m.version) {
      const start = m.log.findIndex((e) => e.base === h.version);
      if (start >= 0) {
        m.counters.catchUpsSent++;
        this.send({ ...this.env, type: 'patch', base: h.version, next: m.version, patches: m.log.slice(start).flatMap((e) => e.patches), to: h.from });
        return;
      }
    }
    this.refill();
    if (m.snapshotTokens < 1) {
      // A hello storm: answer each asker once, as snapshots become affordable again.
      if (!m.deferred.has(h.from)) m.counters.hellosDeferred++;
      m.deferred.delete(h.from);
      m.deferred.set(h.from, h);
      if (m.deferred.size > 1000) m.deferred.delete(m.deferred.keys().next().value!);
      return;
    }
    m.snapshotTokens--;
    m.counters.snapshotsSent++;
    this.send({ ...this.env, type: 'snapshot', version: m.version, state: m.state, to: h.from, ...this.durableField(), fingerprint: m.definition.fingerprint });
  }

  onIntents(msg: IntentsMessage) {
    const { m, now } = this;
    const from = msg.from;
    // A sender's floor never passes what this host processed of it, nor its own items.
    const claim = Math.min(msg.settledBelow, ...msg.items.map((i) => i.seq)) - 1;
    m.table.advanceFloor(from, claim, now);
    // Storage gets the client's own word (what the host processed may not be stored yet).
    if (m.save && claim > (m.save.floors.get(from) ?? 0)) m.save.floors.set(from, claim);
    let next = m.state;
    const patches: WirePatch[] = [];
    const acks: [string, number][] = [];
    const reAcks: number[] = [];
    for (const item of msg.items) {
      const seen = m.table.lookup(from, item.seq);
      if (seen) {
        m.counters.duplicates++;
        if (seen.ok) reAcks.push(item.seq);
        // A refusal is told again — unless storage has not settled it yet (it may still turn).
        else if (!(m.save && isUnsaved(m.save, from, item.seq))) this.send({ ...this.env, type: 'reject', to: from, seq: item.seq, code: seen.code, message: seen.message });
        continue;
      }
      const admitted = m.table.admit(from, item.seq);
      if (admitted) {
        // Not recorded: an implausible seq must not move what the table believes of this client.
        m.counters.intentsRejected++;
        this.send({ ...this.env, type: 'reject', to: from, seq: item.seq, ...admitted });
        continue;
      }
      const outcome = runIntent(m.definition, next, item.name, item.args);
      m.table.record(from, item.seq, outcome.ok ? { ok: true } : { ok: false, code: outcome.code, message: outcome.message }, now);
      if (outcome.ok) {
        m.counters.intentsApplied++;
        this.persist({ clientId: from, seq: item.seq, name: item.name, args: item.args });
        if (outcome.patches.length === 0) {
          reAcks.push(item.seq);
        } else {
          next = outcome.state;
          patches.push(...outcome.patches);
          acks.push([from, item.seq]);
        }
      } else {
        m.counters.intentsRejected++;
        // With storage, a refusal is stored first, so a late copy of the intent never applies.
        if (m.save) this.persist({ clientId: from, seq: item.seq, name: item.name, args: [], refused: { code: outcome.code, message: outcome.message } });
        else this.send({ ...this.env, type: 'reject', to: from, seq: item.seq, code: outcome.code, message: outcome.message });
      }
    }
    if (patches.length) this.publish(next, patches, acks);
    if (reAcks.length) {
      const saved = m.save ? reAcks.filter((seq) => !isUnsaved(m.save!, from, seq)) : [];
      this.send({ ...this.env, type: 'ack', to: from, version: m.version, seqs: reAcks, ...(saved.length ? { saved } : {}) });
    }
  }

  // ---- the host's own calls ---------------------------------------------------------------------

  onCall(name: string, args: unknown[]) {
    const { m } = this;
    const seq = ++m.localSeq;
    if (m.phase === 'loading') m.waiting.push({ seq, name, args });
    else this.runCall(seq, name, args);
  }

  runCall(seq: number, name: string, args: unknown[]) {
    const { m } = this;
    if (m.phase === 'failed') {
      this.out.push({ type: 'settled', seq, error: new SyncError('STORAGE_FAILED', `[bgstore] host of '${m.definition.name}' could not load its state`) });
      return;
    }
    const outcome = runIntent(m.definition, m.state, name, args);
    if (!outcome.ok) {
      this.out.push({ type: 'settled', seq, error: new SyncError(outcome.code, outcome.message) });
      return;
    }
    m.table.record(m.epoch, seq, { ok: true }, this.now);
    this.persist({ clientId: m.epoch, seq, name, args });
    if (outcome.patches.length) this.publish(outcome.state, outcome.patches, []);
    this.out.push({ type: 'applied', seq });
    if (!m.save) this.out.push({ type: 'settled', seq });
  }

  // ---- storage ----------------------------------------------------------------------------------

  persist(intent: StoredIntent) {
    const q = this.m.save;
    if (!q) return;
    const wasIdle = q.queue.length === 0 && q.inflight.length === 0;
    pushIntent(q, intent, this.now, this.m.timing);
    if (wasIdle) this.reportDurable();
  }

  commitDue(force = false) {
    const { m } = this;
    if (!m.save || m.phase !== 'live') return;
    const batch = takeBatch(m.save, this.now, m.timing, m.definition.name, force);
    if (!batch) return;
    this.out.push({ type: 'commit', batch });
    this.reportDurable();
  }

  onSaved(result: CommitResult<TState>) {
    const { m } = this;
    const q = m.save!;
    const r = onSaved(q, result, m.definition, this.now);
    this.learnRefusals(r.refused);
    if (r.rebase !== undefined) this.rebase();
    this.reportDurable(r.saved, r.refused);
  }

  onSaveFailed(error: unknown) {
    const { m } = this;
    const r = onSaveFailed(m.save!, error, this.now, m.timing);
    if (r.retryInMs !== undefined && r.retryInMs > 0) this.out.push({ type: 'warn', message: `${m.save!.error?.message}; retrying in ${r.retryInMs} ms (${m.save!.queue.length} unsaved)` });
    this.learnRefusals(r.refused);
    if (r.rebase !== undefined) this.rebase();
    this.reportDurable([], r.refused);
  }

  /** Refusals learned from storage are remembered, so a retried intent is refused again even if a `reject` was lost. */
  learnRefusals(refused: Outcome[]) {
    const { m } = this;
    for (const o of refused) if (!o.ok) m.table.record(o.clientId, o.seq, { ok: false, code: o.code, message: o.message }, this.now, true);
  }

  /** Tells replicas (and the app) how far the state is saved; `saved` and `refused` settle calls. */
  reportDurable(saved: [string, number][] = [], refused: Outcome[] = []) {
    const { m } = this;
    const q = m.save!;
    this.out.push({ type: 'durable' });
    if (m.phase !== 'live' && m.phase !== 'loading') return;
    const others = saved.filter(([c]) => c !== m.epoch);
    this.send({ ...this.env, type: 'status', version: m.version, durable: durableStatus(q), ...(others.length ? { saved: others } : {}) });
    for (const [c, seq] of saved) if (c === m.epoch) this.out.push({ type: 'settled', seq });
    for (const r of refused) {
      if (r.ok) continue;
      const refusal: Refusal = { code: r.code, message: r.message };
      if (r.clientId === m.epoch) this.out.push({ type: 'settled', seq: r.seq, error: new SyncError(refusal.code, refusal.message) });
      else this.send({ ...this.env, type: 'reject', to: r.clientId, seq: r.seq, ...refusal });
    }
  }

  scheduleCheck(ms = this.m.timing.revisionCheckMs) {
    const q = this.m.save;
    if (!q || this.m.timing.revisionCheckMs <= 0) return;
    q.checkAt = this.now + ms;
  }

  // ---- time -------------------------------------------------------------------------------------

  tick() {
    const { m, now } = this;
    if (m.loadAt !== undefined && m.loadAt <= now) {
      m.loadAt = undefined;
      this.out.push({ type: 'load' });
    }
    if (m.phase !== 'live') return;
    const q = m.save;
    if (q?.checkAt !== undefined && q.checkAt <= now) {
      q.checkAt = undefined;
      if (q.inflight.length > 0) this.scheduleCheck();
      else {
        q.checking = true;
        this.out.push({ type: 'check-revision' });
      }
    }
    this.commitDue();
    if (m.deferred.size) {
      this.refill();
      for (const [from, h] of m.deferred) {
        if (m.snapshotTokens < 1) break;
        m.deferred.delete(from);
        this.onHello(h);
      }
    }
    if (m.beatAt !== undefined && m.beatAt <= now) {
      const trailing = m.trailing && now - m.lastSentAt >= TRAILING_BEAT_MS;
      if (trailing) m.trailing = false;
      if (trailing || now - m.lastSentAt >= m.timing.heartbeatMs) {
        // The digest is computed once per state (memoised), so an idle host repeats it for free.
        const withDigest = now - m.digestAt >= m.timing.digestMs;
        if (withDigest) m.digestAt = now;
        this.send({ ...this.env, type: 'beat', version: m.version, ...this.durableField(), ...(withDigest ? { digest: stateDigest(m.state) } : {}) });
      }
      m.beatAt = m.trailing ? m.lastSentAt + TRAILING_BEAT_MS : m.lastSentAt + m.timing.heartbeatMs;
    }
  }
}
