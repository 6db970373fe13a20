// The host's queue of accepted intents on their way to storage, as plain data and free functions
// that the host's state machine calls. It never awaits: the host asks for a commit (an effect), and
// feeds the answer back.
//
//   idle ──push──▶ waiting (flushAt = now + flushDelayMs) ──due──▶ saving (one batch in flight)
//     ▲                                                              │ saved: rebase if storage moved
//     │                                                              │        in a way not predicted
//     └────────────── nothing left ◀──────────────────────────────────┤ failed, retryable: back to
//                                                                    │   waiting after backoff
//                                                                    └ failed, permanent: the batch
//                                                                      is refused, the host rebases
import { isSyncError, jsonBytes, PERMANENT_CODES, type DurableStatus, type Outcome, type StoredIntent, type SyncErrorCode } from '@bgstore/protocol';
import type { ActionRecipes, StoreDefinition } from '../state/defineStore';
import { replayIntents } from '../state/runIntent';
import { backoff } from '../runtime/schedule';
import type { CommitBatch, CommitResult } from '../runtime/ports';

export interface SaveTiming {
  flushDelayMs: number;
  retryMinMs: number;
  retryMaxMs: number;
  revisionCheckMs: number;
  maxBatchIntents: number;
  /** A commit request's JSON, UTF-8 bytes. */
  maxBatchBytes: number;
}

export interface SaveQueue<TState> {
  /** The stored state this host knows, and its revision. */
  revision: number;
  state: TState;
  queue: StoredIntent[];
  inflight: StoredIntent[];
  /** Per client, the floor sent with its next batch (every seq ≤ it settled at the client). */
  floors: Map<string, number>;
  error: { code: string; message: string } | null;
  attempt: number;
  /** When to commit next; undefined when nothing waits or a commit is in flight. */
  flushAt: number | undefined;
  /** When to ask storage for its revision next. */
  checkAt: number | undefined;
  checking: boolean;
  /** Another check was asked for while one was in flight: check again as soon as it ends. */
  recheck: boolean;
  /** After a batch came back too large, the next ones hold at most this many intents. */
  split: number;
}

/** What a commit's answer means for the host. */
export interface SaveOutcome<TState> {
  /** Intents now stored. */
  saved: [clientId: string, seq: number][];
  /** Intents refused for good, by the host earlier or by storage now. */
  refused: Outcome[];
  /** Storage moved in a way the host did not predict: its state must become this plus the unsaved intents. */
  rebase?: TState;
}

export function createSaveQueue<TState>(state: TState): SaveQueue<TState> {
  return { revision: 0, state, queue: [], inflight: [], floors: new Map(), error: null, attempt: 0, flushAt: undefined, checkAt: undefined, checking: false, recheck: false, split: Infinity };
}

export const durableStatus = (q: SaveQueue<unknown>): DurableStatus => ({ revision: q.revision, unsaved: q.queue.length + q.inflight.length, saving: q.inflight.length > 0, error: q.error });

export const isUnsaved = (q: SaveQueue<unknown>, clientId: string, seq: number) => q.queue.some((i) => i.seq === seq && i.clientId === clientId) || q.inflight.some((i) => i.seq === seq && i.clientId === clientId);

export function pushIntent(q: SaveQueue<unknown>, intent: StoredIntent, now: number, t: SaveTiming): void {
  q.queue.push(intent);
  if (q.inflight.length === 0) q.flushAt ??= now + t.flushDelayMs;
}

/** The batch to commit now, if one is due: intents in order, as many as fit `maxBatchBytes` of UTF-8 JSON. */
export function takeBatch(q: SaveQueue<unknown>, now: number, t: SaveTiming, store: string, force = false): CommitBatch | undefined {
  if (q.inflight.length > 0 || q.queue.length === 0 || (!force && (q.flushAt === undefined || q.flushAt > now))) return undefined;
  q.flushAt = undefined;
  // The request's envelope, then each intent with a comma: a batch never exceeds invoke's limit in bytes.
  let bytes = jsonBytes({ store, baseRevision: q.revision, intents: [], floors: [...q.floors] }) + 16;
  let n = 0;
  while (n < q.queue.length && n < Math.min(t.maxBatchIntents, q.split)) {
    bytes += jsonBytes(q.queue[n]) + 1;
    if (n > 0 && bytes > t.maxBatchBytes) break;
    n++;
  }
  q.inflight = q.queue.splice(0, n);
  // A floor never passes an intent still on its way (this batch or a later one): storage would
  // take it for done. The client's word is only believed below what this host has not saved.
  const lowest = new Map<string, number>();
  for (const i of [...q.inflight, ...q.queue]) lowest.set(i.clientId, Math.min(lowest.get(i.clientId) ?? Infinity, i.seq));
  const floors = [...q.floors].filter(([c]) => lowest.has(c) && q.inflight.some((i) => i.clientId === c)).map(([c, f]): [string, number] => [c, Math.min(f, lowest.get(c)! - 1)]);
  return { baseRevision: q.revision, intents: q.inflight, ...(floors.length ? { floors } : {}) };
}

/** Storage answered a commit. */
export function onSaved<TState>(q: SaveQueue<TState>, result: CommitResult<TState>, definition: StoreDefinition<TState, ActionRecipes<TState>>, now: number): SaveOutcome<TState> {
  const batch = q.inflight;
  q.inflight = [];
  q.attempt = 0;
  q.error = null;
  q.split = Infinity;
  const byKey = new Map(result.outcomes.map((o) => [`${o.seq}|${o.clientId}`, o]));
  // Refusals the host did not already make are storage's (the write policy, or a state that moved on).
  const refused = batch.filter((i) => !i.refused && byKey.get(`${i.seq}|${i.clientId}`)?.ok === false);
  const first = refused[0] && byKey.get(`${refused[0].seq}|${refused[0].clientId}`);
  if (first && !first.ok) q.error = { code: first.code, message: first.message };
  const fresh = batch.filter((i) => !i.refused && byKey.get(`${i.seq}|${i.clientId}`)?.ok && !byKey.get(`${i.seq}|${i.clientId}`)?.duplicate);
  const expected = batch.filter((i) => !i.refused).length;
  const predicted = result.state === undefined && refused.length === 0 && fresh.length === expected;
  const base = q.state;
  q.revision = result.revision;
  q.state = result.state ?? replayIntents(definition, base, fresh);
  if (q.queue.length) q.flushAt = now;
  return {
    saved: result.outcomes.filter((o) => o.ok).map((o): [string, number] => [o.clientId, o.seq]),
    refused: result.outcomes.filter((o) => !o.ok),
    ...(predicted ? {} : { rebase: q.state }),
  };
}

const errorOf = (error: unknown): { code: string; message: string } =>
  isSyncError(error) ? { code: error.code, message: error.message } : { code: 'STORAGE_FAILED', message: `[bgstore] storage failed: ${error instanceof Error ? error.message : String(error)}` };

export const isPermanent = (error: { code: string }) => (PERMANENT_CODES as readonly string[]).includes(error.code);

/**
 * A commit failed. Retryable failures put the batch back and wait (backoff with jitter); permanent
 * ones (a request storage will never take) refuse the batch, whose effects leave the host's state.
 * Returns the refusal outcome when permanent, and the retry delay otherwise.
 */
export function onSaveFailed<TState>(q: SaveQueue<TState>, error: unknown, now: number, t: SaveTiming): { refused: Outcome[]; rebase?: TState; retryInMs?: number } {
  const err = errorOf(error);
  q.error = err;
  const batch = q.inflight;
  q.inflight = [];
  if (err.code === 'TOO_LARGE' && batch.length > 1) {
    // Storage or invoke measured the request differently: halve the batch, nothing is refused.
    q.split = Math.ceil(batch.length / 2);
    q.queue.unshift(...batch);
    q.flushAt = now;
    return { refused: [], retryInMs: 0 };
  }
  if (isPermanent(err)) {
    if (q.queue.length) q.flushAt = now + t.flushDelayMs;
    return { refused: batch.map((i): Outcome => ({ clientId: i.clientId, seq: i.seq, ok: false, code: err.code as SyncErrorCode, message: err.message })), rebase: q.state };
  }
  q.queue.unshift(...batch);
  // A busy document is not an outage: try again within a second or two, without growing the wait.
  const delay = err.code === 'STORAGE_BUSY' ? Math.round(t.retryMinMs * (1 + Math.random() * 2)) : backoff(q.attempt++, t.retryMinMs, t.retryMaxMs, 0.2);
  q.flushAt = now + delay;
  return { refused: [], retryInMs: delay };
}
