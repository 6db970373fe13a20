// The replica's state record, its events and effects, and when it next needs a tick. The
// transitions are in `machine.ts` (`step`), `receive.ts` (messages), `handshake.ts` (hello, resync,
// following a boot) and `calls.ts` (a call's life).
import { compareEpochs, REPLICA_RETRY_POLICIES, retryDelay, type DurableStatus, type Message, type PatchMessage, type RandomSource, type RetryPolicy, type SyncError } from '@bgstore/protocol';
import { deepFreeze } from '../runtime/freeze';
import { isHeld, type ActionRecipes, type StoreDefinition } from '../state/defineStore';

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
  gapHoldMs: number;
  hostSilenceMs: number;
  /** A digest mismatch is acted on at most once per this long per host boot (#18.8). */
  digestMs: number;
  /** A followed host that does not answer a hello within this long, while another boot beats, is left (#18.7). */
  probeMs: number;
  retry: {
    /** An unanswered hello; `catchUp` while a live host is only catching this replica up (an answer was lost, not the host). */
    hello: RetryPolicy;
    catchUp: RetryPolicy;
    /** A host of another build is asked again this rarely. */
    buildMismatch: RetryPolicy;
    /** An intent the host has not applied goes again; an applied one not yet saved is asked about. */
    resend: RetryPolicy;
    askSaved: RetryPolicy;
  };
}

/** A replica's timings from its options (the defaults are those of `REPLICA_RETRY_POLICIES`). */
export function replicaTiming(o: { intentTimeoutMs?: number; retryMs?: number; helloMinMs?: number; helloMaxMs?: number; gapHoldMs?: number; hostSilenceMs?: number; digestMs?: number }): ReplicaTiming {
  const { hello, resendIntent, askSaved, buildMismatch } = REPLICA_RETRY_POLICIES;
  const helloMin = o.helloMinMs ?? hello.baseMs;
  const helloMax = o.helloMaxMs ?? hello.maxMs;
  const resendMs = o.retryMs ?? resendIntent.baseMs;
  return {
    intentTimeoutMs: o.intentTimeoutMs ?? 15_000,
    gapHoldMs: o.gapHoldMs ?? 100,
    hostSilenceMs: o.hostSilenceMs ?? 6000,
    digestMs: o.digestMs ?? 10_000,
    // Ten first hello retries: a live host answers a hello in one bus round trip.
    probeMs: Math.min(o.hostSilenceMs ?? 6000, 10 * helloMin),
    retry: {
      hello: { ...hello, baseMs: helloMin, maxMs: helloMax },
      catchUp: { ...hello, baseMs: helloMin, maxMs: Math.min(helloMax, 2 * helloMin) },
      buildMismatch,
      resend: { ...resendIntent, baseMs: resendMs },
      // Asking about an applied intent keeps the defaults' ratio to resending one.
      askSaved: { ...askSaved, baseMs: resendMs * (askSaved.baseMs / resendIntent.baseMs) },
    },
  };
}

/** What a replica's digest checks run (`digestEngine.ts`): the state digest kept from patches, or computed in slices. */
export type DigestEngine = Pick<typeof import('../state/stateDigest'), 'advanceDigest' | 'digestIfReady'>;

/** The digest code: loaded, being loaded, unavailable, or not asked for yet. */
export type DigestCode = DigestEngine | 'loading' | 'failed' | undefined;

/** Patches held for an earlier one, at most (count and JSON bytes): past that the replica resyncs. */
export const MAX_HELD = 64;
export const MAX_HELD_BYTES = 1_000_000;

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
  /** The digest code could not be loaded (a chunk that did not arrive, a runtime without `import()`): no digest checks since. */
  digestLoadFailures: number;
  buildMismatches: number;
}

export interface ReplicaMachine<TState> {
  readonly definition: StoreDefinition<TState, ActionRecipes<TState>>;
  readonly clientId: string;
  readonly timing: ReplicaTiming;
  /** The jitter of retries comes from here (the wiring's option; tests seed it). */
  readonly random: RandomSource;
  phase: SyncPhase;
  /** The host boot followed, its version, and the highest version it is known to have reached. */
  epoch: string | null;
  version: number;
  known: number;
  lastHeard: number;
  /** Messages heard from the followed boot: a probe compares counts, since an answer can come in the same millisecond as the question. */
  heardCount: number;
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
  /**
   * Another boot was heard while the followed one is alive: the followed one was asked (a hello) at
   * `at`, and is left for `epoch` only if it has not answered `probeMs` later (#18.7).
   */
  probe: { epoch: string; at: number; heard: number } | undefined;
  /** When this replica last resynced on a digest mismatch, and with which boot (#18.8). */
  digestResync: { epoch: string; at: number } | undefined;
  /** This replica's short name in the followed boot (from its snapshot), as acks name it. */
  alias: string | undefined;
  /** The host boot found to run another build of the store: it is not asked again. */
  mismatched: string | undefined;
  /** A hello went out and no snapshot or direct beat answered it yet: only then is a snapshot taken. */
  asked: boolean;
  /** The replica's inbox (`inboxEvent`) is subscribed: its hellos say so, and their answers come there. Set by the wiring. */
  inbox: boolean;
  /** A snapshot was asked for whatever the version (the state is suspect): one at the same version is applied. */
  wantSnapshot: boolean;
  lastError: SyncError | null;
  /** A digest under way for `confirmed` (see `digest.ts`), and the host's digest to compare it with at `version`. */
  digestCheck: { version: number; digest?: string } | undefined;
  /** The digest code, loaded on the first digest beat (see `digest.ts`). */
  digests: DigestCode;
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
  /** The digest code asked for by `load-digest` is here, or could not be loaded. */
  | { type: 'digest-loaded'; digests: DigestEngine }
  | { type: 'digest-load-failed' }
  | { type: 'close' };

export type ReplicaEffect =
  | { type: 'send'; message: Message }
  /** A `call` event got its seq (first, before anything settles it). */
  | { type: 'opened'; seq: number }
  | { type: 'applied'; seq: number }
  /** A call's outcome is final: saved, or the error. */
  | { type: 'settled'; seq: number; error?: SyncError }
  /** Load the digest code (`digestEngine.ts`) and answer with `digest-loaded` or `digest-load-failed`. */
  | { type: 'load-digest' };

export function createReplicaMachine<TState>(definition: StoreDefinition<TState, ActionRecipes<TState>>, clientId: string, timing: ReplicaTiming, random: RandomSource): ReplicaMachine<TState> {
  return {
    definition,
    clientId,
    timing,
    random,
    phase: 'connecting',
    epoch: null,
    version: 0,
    known: 0,
    lastHeard: -Infinity,
    heardCount: 0,
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
    alias: undefined,
    mismatched: undefined,
    asked: false,
    inbox: false,
    leaving: undefined,
    digestResync: undefined,
    probe: undefined,
    lastError: null,
    digestCheck: undefined,
    digests: undefined,
    resyncs: 0,
    lastResync: null,
    counters: { patchesApplied: 0, snapshotsApplied: 0, duplicates: 0, stale: 0, held: 0, unasked: 0, digestMismatches: 0, digestLoadFailures: 0, buildMismatches: 0 },
  };
}

const FINAL: ReadonlySet<CallStage> = new Set(['saved', 'refused', 'timed-out']);
export const isFinal = (c: Call) => FINAL.has(c.stage);

/** Whether the confirmed state includes a call's effects. */
export function inView<TState>(m: ReplicaMachine<TState>, c: Call): boolean {
  if (!c.ack || m.epoch === null) return false;
  return c.ack.epoch === m.epoch ? c.ack.version <= m.version : compareEpochs(c.ack.epoch, m.epoch) < 0;
}

/** The calls an optimistic view replays on `confirmed`, in order: not held ones, which only storage's answer brings in. */
export const pendingForView = <TState>(m: ReplicaMachine<TState>): Call[] => [...m.calls.values()].filter((c) => c.stage !== 'refused' && c.stage !== 'timed-out' && !inView(m, c) && !isHeld(m.definition, c.name));

/** When a sent call goes again: an unapplied one to be applied, an applied one to learn it is saved. */
export const resendAt = <TState>(m: ReplicaMachine<TState>, c: Call) => c.sentAt + retryDelay(c.ack ? m.timing.retry.askSaved : m.timing.retry.resend, 0, m.random);

/** When the machine next needs a `tick`, or undefined. */
export function nextWake<TState>(m: ReplicaMachine<TState>): number | undefined {
  if (m.phase === 'closed') return undefined;
  let at = Math.min(m.helloAt ?? Infinity, m.gapAt ?? Infinity, m.probe ? m.probe.at + m.timing.probeMs : Infinity);
  // A digest under way gets its next slice in a task of its own, as soon as possible.
  if (m.digestCheck && typeof m.digests === 'object') at = 0;
  for (const c of m.calls.values()) {
    if (isFinal(c) || c.stage === 'queued') continue;
    at = Math.min(at, c.ack ? resendAt(m, c) : Math.min(resendAt(m, c), c.deadline));
  }
  return at === Infinity ? undefined : at;
}

/** One step's work on a machine: the handlers share `m`, `now` and the effects list. */
export interface Turn<TState> {
  readonly m: ReplicaMachine<TState>;
  readonly now: number;
  readonly out: ReplicaEffect[];
}

export const send = <TState>(t: Turn<TState>, message: Message) => void t.out.push({ type: 'send', message });
