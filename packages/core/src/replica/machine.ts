// The replica's protocol as a state machine: a plain record and free functions. `step` takes one
// event (a message, a call, a tick of the clock, close) and returns the effects to perform; it never
// reads a clock or touches a transport, so every rule here is testable without timers or a bus.
// `createReplica` wires it to the channel, the wake-up timer and zustand.
//
// Phases (the public `sync.phase` is this value):
//
//   connecting ──snapshot (answer to its hello)──▶ live ──gap, overlap, bad patch, new epoch,
//        │                                          ▲      digest mismatch, overflow──▶ resyncing
//        │                                          └──── snapshot, catch-up, or beat at its version ◀─┘
//        └── any phase ──close()──▶ closed
//
// A call's life (`Call.stage`):
//
//   queued ──sent──▶ sent ──host applied it (patch acks, ack)──▶ applied ──storage has it──▶ saved
//     │                │ └──no answer by its deadline──▶ timed-out                │
//     └────────────────┴──────────refused (reject), or close()──────────────────┴──▶ refused
//
// With a host that keeps its state in memory only, `applied` is final (`saved` at once). A new host
// boot sends unsaved calls back to `queued`: they go to it again, and it applies only what its
// storage lacks. A settled call stays in `calls` until the confirmed state shows its effects, so an
// optimistic view never flickers.
import { compareEpochs, isPlausibleEpoch, jsonBytes, LIMITS, PERMANENT_CODES, PROTOCOL_VERSION, SyncError, type AckMessage, type BeatMessage, type DurableStatus, type Message, type PatchMessage, type RejectMessage, type SnapshotMessage, type StatusMessage, type WirePatch } from '@bgstore/protocol';
import { immer } from '../runtime/immer';
import { deepFreeze, freezeChanged } from '../runtime/freeze';
import type { ActionRecipes, StoreDefinition } from '../state/defineStore';
import { shareStructure } from '../state/shareStructure';
import { stateDigest } from '../state/stateDigest';

/** Where a replica is: waiting for its first state, in sync, catching up, or closed. */
export type SyncPhase = 'connecting' | 'live' | 'resyncing' | 'closed';

/** Why a replica asked the host for state again. */
export type ResyncReason = 'epoch' | 'gap' | 'overlap' | 'invalid-patch' | 'digest' | 'overflow';

/** Where an action call is in its life (see the diagram in `replica/machine.ts`). */
export type CallStage = 'queued' | 'sent' | 'applied' | 'saved' | 'refused' | 'timed-out';

export interface Call {
  seq: number;
  name: string;
  args: unknown[];
  stage: CallStage;
  /** When it was last sent; -Infinity before the first time. */
  sentAt: number;
  /** An unapplied call times out then. */
  deadline: number;
  /** The host boot that applied it, and the version from which its state includes it. */
  ack?: { epoch: string; version: number };
}

/** Timings of a replica, in ms (see `ReplicaOptions`). */
export interface ReplicaTiming {
  intentTimeoutMs: number;
  retryMs: number;
  helloMinMs: number;
  helloMaxMs: number;
  gapHoldMs: number;
  hostSilenceMs: number;
}

/** Patches held for an earlier one, at most (count and JSON bytes): past that the replica resyncs. */
const MAX_HELD = 64;
const MAX_HELD_BYTES = 1_000_000;

export interface ReplicaCounters {
  patchesApplied: number;
  snapshotsApplied: number;
  duplicates: number;
  /** Messages of a host boot this replica no longer follows. */
  stale: number;
  held: number;
  /** Snapshots addressed to another replica (or unasked for), not applied. */
  unasked: number;
  digestMismatches: number;
  buildMismatches: number;
}

export interface ReplicaMachine<TState> {
  readonly definition: StoreDefinition<TState, ActionRecipes<TState>>;
  readonly clientId: string;
  readonly timing: ReplicaTiming;
  phase: SyncPhase;
  /** The host boot followed, its version, and the highest version it is known to have reached. */
  epoch: string | null;
  version: number;
  known: number;
  lastHeard: number;
  /** The host's state as of `version`. */
  confirmed: TState;
  held: Map<number, { message: PatchMessage; bytes: number }>;
  heldBytes: number;
  /** Every call not yet settled, and settled ones whose effects `confirmed` does not show yet; in seq order. */
  calls: Map<number, Call>;
  nextSeq: number;
  /** Whether the followed boot persists: unknown until it says. */
  hostPersists: boolean | undefined;
  durable: DurableStatus | null;
  helloAt: number | undefined;
  helloAttempt: number;
  lastHelloAt: number;
  gapAt: number | undefined;
  /** A newer host boot was heard: until this replica follows it, the old boot's late messages do not make it live. */
  leaving: { epoch: string; at: number } | undefined;
  /** A hello went out and no snapshot or direct beat answered it yet: only then is a snapshot taken. */
  asked: boolean;
  /** A snapshot was asked for whatever the version (the state is suspect): one at the same version is applied. */
  wantSnapshot: boolean;
  lastError: SyncError | null;
  resyncs: number;
  lastResync: { reason: ResyncReason; at: number } | null;
  counters: ReplicaCounters;
}

export type ReplicaEvent =
  | { type: 'start' }
  | { type: 'message'; message: Message }
  /** A checked call (`checkIntent` passed); it is queued and goes out with the next `flush`. */
  | { type: 'call'; name: string; args: unknown[] }
  | { type: 'flush' }
  | { type: 'tick' }
  | { type: 'close' };

export type ReplicaEffect =
  | { type: 'send'; message: Message }
  /** A call was queued under this seq. */
  | { type: 'queued'; seq: number }
  | { type: 'applied'; seq: number }
  /** A call's outcome is final: saved, or the error. */
  | { type: 'settled'; seq: number; error?: SyncError };

export function createReplicaMachine<TState>(definition: StoreDefinition<TState, ActionRecipes<TState>>, clientId: string, timing: ReplicaTiming): ReplicaMachine<TState> {
  return {
    definition,
    clientId,
    timing,
    phase: 'connecting',
    epoch: null,
    version: 0,
    known: 0,
    lastHeard: -Infinity,
    confirmed: deepFreeze(definition.initialState),
    held: new Map(),
    heldBytes: 0,
    calls: new Map(),
    nextSeq: 0,
    hostPersists: undefined,
    durable: null,
    helloAt: undefined,
    helloAttempt: 0,
    lastHelloAt: -Infinity,
    gapAt: undefined,
    wantSnapshot: false,
    asked: false,
    leaving: undefined,
    lastError: null,
    resyncs: 0,
    lastResync: null,
    counters: { patchesApplied: 0, snapshotsApplied: 0, duplicates: 0, stale: 0, held: 0, unasked: 0, digestMismatches: 0, buildMismatches: 0 },
  };
}

const FINAL: ReadonlySet<CallStage> = new Set(['saved', 'refused', 'timed-out']);
export const isFinal = (c: Call) => FINAL.has(c.stage);

/** Whether the confirmed state includes a call's effects. */
export function inView<TState>(m: ReplicaMachine<TState>, c: Call): boolean {
  if (!c.ack || m.epoch === null) return false;
  return c.ack.epoch === m.epoch ? c.ack.version <= m.version : compareEpochs(c.ack.epoch, m.epoch) < 0;
}

/** The calls an optimistic view replays on `confirmed`, in order. */
export const pendingForView = <TState>(m: ReplicaMachine<TState>): Call[] => [...m.calls.values()].filter((c) => c.stage !== 'refused' && c.stage !== 'timed-out' && !inView(m, c));

/** When the machine next needs a `tick`, or undefined. */
export function nextWake<TState>(m: ReplicaMachine<TState>): number | undefined {
  if (m.phase === 'closed') return undefined;
  let at = Math.min(m.helloAt ?? Infinity, m.gapAt ?? Infinity);
  for (const c of m.calls.values()) {
    if (isFinal(c) || c.stage === 'queued') continue;
    at = Math.min(at, c.ack ? c.sentAt + 5 * m.timing.retryMs : Math.min(c.sentAt + m.timing.retryMs, c.deadline));
  }
  return at === Infinity ? undefined : at;
}

/** Runs one event. Mutates `m`; returns what to do. */
export function step<TState>(m: ReplicaMachine<TState>, event: ReplicaEvent, now: number): ReplicaEffect[] {
  const out: ReplicaEffect[] = [];
  if (m.phase === 'closed') return out;
  const t = new Turn(m, now, out);
  switch (event.type) {
    case 'start':
      t.requestSync();
      break;
    case 'message':
      t.receive(event.message);
      break;
    case 'call': {
      const seq = ++m.nextSeq;
      m.calls.set(seq, { seq, name: event.name, args: event.args, stage: 'queued', sentAt: -Infinity, deadline: now + m.timing.intentTimeoutMs });
      out.push({ type: 'queued', seq });
      break;
    }
    case 'flush':
      t.flushQueued();
      break;
    case 'tick':
      t.tick();
      break;
    case 'close':
      for (const c of m.calls.values()) {
        if (!isFinal(c)) t.settle(c, new SyncError('CLOSED', `[bgstore] replica of '${m.definition.name}' closed before ${c.name} was ${c.ack ? 'saved' : 'applied'}`));
      }
      m.calls.clear();
      m.phase = 'closed';
      m.helloAt = m.gapAt = undefined;
      return out;
  }
  t.prune();
  return out;
}

/** One step's work on a machine: the handlers share `m`, `now` and the effects list. */
class Turn<TState> {
  constructor(
    readonly m: ReplicaMachine<TState>,
    readonly now: number,
    readonly out: ReplicaEffect[],
  ) {}

  send(message: Message) {
    this.out.push({ type: 'send', message });
  }

  receive(msg: Message) {
    const { m } = this;
    switch (msg.type) {
      case 'beat':
        return this.onBeat(msg);
      case 'snapshot':
        return this.onSnapshot(msg);
      case 'patch':
        return this.onPatch(msg);
      case 'ack':
        return msg.to === m.clientId ? this.onAck(msg) : undefined;
      case 'reject':
        return msg.to === m.clientId ? this.onReject(msg) : undefined;
      case 'status':
        return this.onStatus(msg);
    }
  }

  // ---- handshake and resync -------------------------------------------------------------------

  sendHello(full = false) {
    const { m } = this;
    m.lastHelloAt = this.now;
    m.asked = true;
    const has = m.epoch !== null && !full && !m.wantSnapshot;
    this.send({ bgstore: PROTOCOL_VERSION, store: m.definition.name, from: m.clientId, type: 'hello', epoch: has ? m.epoch : null, version: has ? m.version : null, fingerprint: m.definition.fingerprint });
  }

  helloDelay() {
    const { timing, helloAttempt, phase, lastHeard } = this.m;
    // Catching up with a host that is alive backs off only a little: the answer was lost, not the host.
    const max = phase === 'resyncing' && this.now - lastHeard < timing.hostSilenceMs ? Math.min(timing.helloMaxMs, 4 * timing.helloMinMs) : timing.helloMaxMs;
    return Math.min(max, timing.helloMinMs * 2 ** helloAttempt);
  }

  /** Asks the host for what this replica lacks; `full` asks for a snapshot whatever the version. */
  requestSync(reason?: ResyncReason, full = false) {
    const { m, now } = this;
    if (reason && m.phase === 'live') {
      m.phase = 'resyncing';
      m.resyncs++;
      m.lastResync = { reason, at: now };
    }
    if (full) m.wantSnapshot = true;
    if (now - m.lastHelloAt >= m.timing.helloMinMs || full) {
      m.helloAttempt = 0;
      this.sendHello(full);
    }
    if (m.helloAt === undefined) m.helloAt = now + this.helloDelay();
  }

  markLive() {
    const { m } = this;
    if (m.leaving) {
      // Still on an old boot while a newer one was heard: stay resyncing, unless the newer one went silent.
      if (this.now - m.leaving.at <= m.timing.hostSilenceMs) return;
      m.leaving = undefined;
    }
    m.helloAt = undefined;
    m.helloAttempt = 0;
    m.phase = 'live';
  }

  watchGap() {
    const { m } = this;
    if (m.version >= m.known) m.gapAt = undefined;
    else m.gapAt ??= this.now + m.timing.gapHoldMs;
  }

  tick() {
    const { m, now } = this;
    if (m.helloAt !== undefined && m.helloAt <= now) {
      m.helloAt = undefined;
      if (m.phase !== 'live') {
        m.helloAttempt++;
        this.sendHello();
        m.helloAt = now + this.helloDelay();
      }
    }
    if (m.gapAt !== undefined && m.gapAt <= now) {
      m.gapAt = undefined;
      if (m.version < m.known) this.requestSync('gap');
    }
    const due: Call[] = [];
    for (const c of m.calls.values()) {
      if (isFinal(c) || c.stage === 'queued') continue;
      if (!c.ack && now >= c.deadline) {
        this.settle(c, new SyncError('TIMEOUT', `[bgstore] ${m.definition.name}.${c.name}: no answer from the background script in ${m.timing.intentTimeoutMs} ms; it may or may not have been applied`));
        continue;
      }
      // Unapplied calls go again every retryMs; applied ones not yet reported saved (the status
      // saying so may be lost) are asked about less often, and the host answers with `saved`.
      if (now - c.sentAt >= (c.ack ? 5 : 1) * m.timing.retryMs) due.push(c);
    }
    this.sendIntents(due);
  }

  /**
   * Whether a message of another epoch may move this replica: yes from a newer boot; from an older
   * one only when this replica's own host has gone silent (so a dead host's late messages never pull
   * a replica back, and a live host is followed even if boots tie on their start time).
   */
  mayFollow(other: string) {
    const { m } = this;
    if (!isPlausibleEpoch(other, this.now)) return false;
    return m.epoch === null || compareEpochs(other, m.epoch) > 0 || this.now - m.lastHeard > m.timing.hostSilenceMs;
  }

  heard(epoch: string) {
    if (epoch === this.m.epoch) this.m.lastHeard = this.now;
  }

  /** A message of another boot: follow it if allowed, else count it stale. */
  otherEpoch(epoch: string) {
    const { m } = this;
    if (!this.mayFollow(epoch)) return void m.counters.stale++;
    m.leaving = { epoch, at: this.now };
    this.requestSync('epoch');
  }

  adoptEpoch(next: string) {
    const { m } = this;
    if (m.epoch === next) return;
    m.held.clear();
    m.heldBytes = 0;
    m.known = 0;
    // Calls the old boot applied may be unsaved, and unapplied ones are unknown to the new boot:
    // all go to it again; it applies only those its storage lacks. Saved ones it has loaded.
    for (const c of [...m.calls.values()]) {
      if (c.stage === 'saved') {
        if (!c.ack || compareEpochs(c.ack.epoch, next) < 0) m.calls.delete(c.seq);
        continue;
      }
      if (isFinal(c)) continue;
      c.ack = undefined;
      c.stage = 'queued';
      c.sentAt = -Infinity;
    }
    m.hostPersists = undefined;
    m.epoch = next;
    m.leaving = undefined;
  }

  /** Learns whether this epoch's host persists; one that does not makes every applied call final. */
  learnPersistence(durable: DurableStatus | undefined) {
    const { m } = this;
    // A boot persists or not for its whole life: once known, a stray message cannot change it.
    if (m.hostPersists === undefined) m.hostPersists = durable !== undefined;
    if (m.hostPersists) m.durable = durable ?? m.durable;
    if (!m.hostPersists) for (const c of m.calls.values()) if (c.stage === 'applied') this.settle(c);
  }

  // ---- incoming ---------------------------------------------------------------------------------

  onBeat(b: BeatMessage) {
    const { m } = this;
    this.heard(b.epoch);
    if (m.epoch === null) return this.requestSync();
    if (b.epoch !== m.epoch) return this.otherEpoch(b.epoch);
    // A beat to this replica answers its hello: the host's own word on its version. Others only raise it.
    m.known = b.to === m.clientId ? b.version : Math.max(m.known, b.version);
    // Whether the host persists is learned from its snapshot only: a stray beat cannot make calls final.
    if (b.durable && m.hostPersists) m.durable = b.durable;
    if (b.version === m.version && m.phase !== 'live') this.markLive();
    // A digest beat checks the state: at this replica's version it must match, and a host is never
    // behind its replica (a replica ahead took a forged or stale message).
    if (b.digest !== undefined && m.phase !== 'connecting' && (b.version < m.version || (b.version === m.version && stateDigest(m.confirmed) !== b.digest))) {
      m.counters.digestMismatches++;
      this.requestSync('digest', true);
    }
    this.watchGap();
  }

  onSnapshot(s: SnapshotMessage) {
    const { m } = this;
    // Only an answer to this replica's own hello moves it: a stray or stale snapshot (another
    // module's, or a buggy module's) never replaces the state.
    if (s.to !== m.clientId || !m.asked) return void m.counters.unasked++;
    if (s.fingerprint !== undefined && s.fingerprint !== m.definition.fingerprint) {
      m.counters.buildMismatches++;
      m.lastError = new SyncError('BUILD_MISMATCH', `[bgstore] the background script runs a different build of store '${m.definition.name}' than this module (an old bundle after a deploy?); reload the page`);
      return;
    }
    if (s.epoch !== m.epoch && !this.mayFollow(s.epoch)) return void m.counters.stale++;
    // A lower version is a late answer to an older hello — unless this replica asked for a snapshot
    // because it ran ahead of its host (a forged or corrupt message): then the host's word wins.
    if (m.epoch === s.epoch && s.version < m.version && !m.wantSnapshot) return void m.counters.duplicates++;
    if (m.epoch === s.epoch && s.version === m.version && !m.wantSnapshot) {
      if (m.phase !== 'live' && m.version >= m.known) this.markLive();
      return void m.counters.duplicates++;
    }
    if (m.lastError?.code === 'BUILD_MISMATCH') m.lastError = null;
    m.wantSnapshot = false;
    m.asked = false;
    this.adoptEpoch(s.epoch);
    this.learnPersistence(s.durable);
    m.lastHeard = this.now;
    m.confirmed = shareStructure(m.confirmed, deepFreeze(s.state as TState));
    m.version = s.version;
    m.known = s.version;
    m.counters.snapshotsApplied++;
    for (const [base, h] of m.held) if (h.message.next <= m.version) this.unhold(base);
    this.drainHeld();
    this.markLive();
    this.watchGap();
    this.flushQueued();
  }

  onPatch(p: PatchMessage) {
    const { m } = this;
    this.heard(p.epoch);
    if (m.epoch === null) return this.requestSync();
    if (p.epoch !== m.epoch) return this.otherEpoch(p.epoch);
    if (p.next <= m.version) return void m.counters.duplicates++;
    // No host spans more versions in one patch: a longer one is forged or corrupt.
    if (p.next - p.base > LIMITS.patchSpan) return void m.counters.stale++;
    m.known = Math.max(m.known, p.next);
    if (p.base > m.version) {
      m.counters.held++;
      const bytes = jsonBytes(p.patches);
      this.unhold(p.base);
      m.held.set(p.base, { message: p, bytes });
      m.heldBytes += bytes;
      if (m.held.size > MAX_HELD || m.heldBytes > MAX_HELD_BYTES) {
        m.held.clear();
        m.heldBytes = 0;
        return this.requestSync('overflow');
      }
      return this.watchGap();
    }
    if (p.base < m.version) return this.requestSync('overlap');
    if (!this.apply(p)) return;
    this.drainHeld();
    if (m.phase !== 'live' && m.version >= m.known) this.markLive();
    this.watchGap();
  }

  unhold(base: number) {
    const h = this.m.held.get(base);
    if (!h) return;
    this.m.held.delete(base);
    this.m.heldBytes -= h.bytes;
  }

  apply(p: PatchMessage): boolean {
    const { m } = this;
    try {
      m.confirmed = freezeChanged(immer.applyPatches(m.confirmed as object, p.patches as never) as TState, p.patches as WirePatch[]);
    } catch {
      this.requestSync('invalid-patch', true);
      return false;
    }
    m.version = p.next;
    m.counters.patchesApplied++;
    for (const [client, seq] of p.acks ?? []) if (client === m.clientId) this.confirm(seq, p.epoch, p.next);
    return true;
  }

  drainHeld() {
    const { m } = this;
    for (let h = m.held.get(m.version); h; h = m.held.get(m.version)) {
      this.unhold(h.message.base);
      if (!this.apply(h.message)) return;
    }
  }

  /** The host applied call `seq`: its effects are in the host's state from `version` on. */
  confirm(seq: number, epoch: string, version: number) {
    const c = this.m.calls.get(seq);
    if (!c || c.ack || isFinal(c)) return;
    c.ack = { epoch, version };
    c.stage = 'applied';
    this.out.push({ type: 'applied', seq });
    if (this.m.hostPersists === false) this.settle(c);
  }

  onAck(a: AckMessage) {
    const { m } = this;
    // An ack of another boot settles nothing here (calls go again to the boot this replica follows),
    // but tells that boot is alive.
    if (m.epoch !== null && a.epoch !== m.epoch) return this.otherEpoch(a.epoch);
    if (a.epoch !== m.epoch) return;
    this.heard(a.epoch);
    for (const seq of a.seqs) this.confirm(seq, a.epoch, a.version);
    for (const seq of a.saved ?? []) {
      const c = m.calls.get(seq);
      if (c?.ack) this.settle(c);
    }
  }

  onReject(r: RejectMessage) {
    // Only the boot this replica follows refuses its calls (others' rejects are stale or forged).
    if (r.from !== this.m.epoch) return void this.m.counters.stale++;
    const c = this.m.calls.get(r.seq);
    if (c && !isFinal(c)) this.settle(c, new SyncError(r.code, r.message));
  }

  onStatus(s: StatusMessage) {
    const { m } = this;
    if (m.epoch !== null && s.epoch !== m.epoch) return this.otherEpoch(s.epoch);
    if (m.epoch === null) {
      // A host that cannot load says why; a replica still waiting shows it (e.g. storage set up wrong).
      m.durable = s.durable;
      if (s.durable.error && (PERMANENT_CODES as readonly string[]).includes(s.durable.error.code)) m.lastError = new SyncError(s.durable.error.code as never, s.durable.error.message);
      return;
    }
    m.hostPersists = true;
    for (const [client, seq] of s.saved ?? []) {
      if (client !== m.clientId) continue;
      const c = m.calls.get(seq);
      if (!c) continue;
      this.confirm(seq, s.epoch, s.version);
      this.settle(c);
    }
    m.durable = s.durable;
    // A status names the host's version: a replica that missed a patch learns it here, not at the next beat.
    m.known = Math.max(m.known, s.version);
    this.watchGap();
  }

  // ---- calls ------------------------------------------------------------------------------------

  settle(c: Call, error?: SyncError) {
    if (isFinal(c)) return;
    if (error) {
      c.stage = error.code === 'TIMEOUT' ? 'timed-out' : 'refused';
      this.m.lastError = error;
    } else {
      c.stage = 'saved';
    }
    this.out.push({ type: 'settled', seq: c.seq, ...(error ? { error } : {}) });
  }

  /** Drops calls that are settled and no longer needed by the view. */
  prune() {
    const { m } = this;
    for (const c of [...m.calls.values()]) if (isFinal(c) && (c.stage !== 'saved' || inView(m, c))) m.calls.delete(c.seq);
  }

  sendIntents(items: Call[]) {
    const { m } = this;
    if (items.length === 0) return;
    for (const c of items) {
      c.sentAt = this.now;
      if (c.stage === 'queued') c.stage = 'sent';
    }
    let settledBelow = m.nextSeq + 1;
    for (const c of m.calls.values()) {
      if (!isFinal(c)) {
        settledBelow = c.seq;
        break;
      }
    }
    this.send({ bgstore: PROTOCOL_VERSION, store: m.definition.name, from: m.clientId, type: 'intents', settledBelow, items: items.map((c) => ({ seq: c.seq, name: c.name, args: c.args })) });
  }

  flushQueued() {
    this.sendIntents([...this.m.calls.values()].filter((c) => c.stage === 'queued'));
  }
}
