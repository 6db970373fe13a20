// The host's state record, its events and effects, and when it next needs a tick. The
// transitions: `machine.ts` (`step`, `tick`, loading), `serve.ts` (replicas and own calls),
// `save.ts` (the save queue), `revisionCheck.ts` (other tabs' commits), `publish.ts` (new versions, beats).
import type { DownMessage, HelloMessage, Message, RandomSource, SyncError, WirePatch } from '@bgstore/protocol';
import { createClientTable, type ClientTable } from '../durable/clientTable';
import { deepFreeze } from '../runtime/freeze';
import type { CommitBatch, CommitResult, LoadedChanges, LoadedDoc, RemoteChange } from '../runtime/ports';
import { ANONYMOUS_CALLER, type ActionRecipes, type Caller, type StoreDefinition } from '../state/defineStore';
import { digestPending } from '../state/stateDigest';
import { createRevisionCheck, type RevisionCheck } from './revisionCheck';
import { createSaveQueue, type SaveQueue, type SaveTiming } from './saveQueue';

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

export interface LogEntry {
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
  /** Who this page's user is: the caller its actions run with (storage runs them with the one Forge names). */
  caller: Caller;
  readonly epoch: string;
  readonly timing: HostTiming;
  /** The jitter of retries comes from here (the wiring's option; tests seed it). */
  readonly random: RandomSource;
  phase: HostPhase;
  state: TState;
  version: number;
  /** Which intents of which client were processed, so none runs twice. */
  table: ClientTable;
  log: LogEntry[];
  logBytes: number;
  buffered: Message[];
  lastSentAt: number;
  /** When the last patch went out, and the last trailing beat (or that patch). */
  lastPatchAt: number;
  lastTrailAt: number;
  beatAt: number | undefined;
  /** Trailing beats still to send after the last burst of patches. */
  trailing: number;
  digestAt: number;
  snapshotTokens: number;
  tokensAt: number;
  deferred: Map<string, HelloMessage>;
  /** Short names of the clients this boot sent a snapshot to, used in acks instead of their ids. */
  aliases: Map<string, string>;
  /** The host's own calls are intents of client `epoch`, numbered from 1. */
  localSeq: number;
  /** Its calls made while loading, run once live. */
  waiting: { seq: number; name: string; args: unknown[] }[];
  /** Present when the host persists. */
  save: SaveQueue<TState> | undefined;
  /** Present when the host persists. */
  check: RevisionCheck | undefined;
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
  | { type: 'committed'; result: CommitResult<TStateAny> }
  | { type: 'commit-failed'; error: unknown }
  | { type: 'revision'; revision: number }
  /** What a check with `Persistence.sync` found: the changes since `since`, or the whole document. */
  | { type: 'synced'; since: number; answer: LoadedChanges | LoadedDoc<TStateAny> }
  | { type: 'revision-failed'; error: unknown }
  /** A change another page committed arrived without asking (Forge Realtime). */
  | { type: 'remote-change'; change: RemoteChange }
  | { type: 'flush' }
  /** Ask storage for its revision now (another tab announced one, the page became visible). */
  | { type: 'check-revision' }
  | { type: 'tick' }
  | { type: 'close' };
type TStateAny = never;

export type HostEffect =
  /** `inbox`: the replica whose inbox (`inboxEvent`) it goes to, instead of the shared down event. */
  | { type: 'send'; message: DownMessage; inbox?: string }
  | { type: 'load' }
  | { type: 'commit'; batch: CommitBatch }
  /** The host's own `call` got its seq (first, before anything settles it). */
  | { type: 'opened'; seq: number }
  /** Ask storage what changed since revision `since` (the durable base when the check went out). */
  | { type: 'check-revision'; since: number }
  /** The host's own call `seq` was applied (or refused, `settled` with an error). */
  | { type: 'applied'; seq: number }
  | { type: 'settled'; seq: number; error?: SyncError }
  | { type: 'changed'; previous: unknown }
  | { type: 'durable' }
  | { type: 'warn'; message: string };

export function createHostMachine<TState>(definition: StoreDefinition<TState, ActionRecipes<TState>>, epoch: string, timing: HostTiming, persists: boolean, now: number, random: RandomSource): HostMachine<TState> {
  const initial = deepFreeze(definition.initialState);
  return {
    definition,
    caller: ANONYMOUS_CALLER,
    epoch,
    timing,
    random,
    phase: 'loading',
    state: initial,
    version: 0,
    table: createClientTable(),
    log: [],
    logBytes: 0,
    buffered: [],
    lastSentAt: now,
    beatAt: undefined,
    trailing: 0,
    lastPatchAt: -Infinity,
    lastTrailAt: -Infinity,
    digestAt: -Infinity,
    snapshotTokens: timing.snapshotBurst,
    tokensAt: now,
    deferred: new Map(),
    aliases: new Map(),
    localSeq: 0,
    waiting: [],
    save: persists ? createSaveQueue(initial) : undefined,
    check: persists ? createRevisionCheck() : undefined,
    loadAttempt: 0,
    loadAt: undefined,
    counters: { intentsApplied: 0, intentsRejected: 0, duplicates: 0, snapshotsSent: 0, catchUpsSent: 0, rebases: 0, hellosDeferred: 0, buildMismatches: 0 },
  };
}

/** When the machine next needs a `tick`, or undefined. */
export function nextWake<TState>(m: HostMachine<TState>): number | undefined {
  if (m.phase === 'closed' || m.phase === 'failed') return undefined;
  let at = Math.min(m.beatAt ?? Infinity, m.loadAt ?? Infinity, m.save?.dueAt ?? Infinity, m.check?.at ?? Infinity);
  if (m.deferred.size) at = Math.min(at, m.tokensAt + 1000 / m.timing.snapshotsPerSecond);
  if (digestPending(m.state)) at = Math.min(at, 0);
  return at === Infinity ? undefined : at;
}
