// Saving: the host's queue of intents on their way to storage, and every step of it — an accepted
// intent is queued, a due batch is committed (an effect; the host never awaits), storage's answer
// or failure comes back as an event, and replicas hear how far the state is saved.
//
//   idle ──queueIntent──▶ waiting (dueAt = now + flushDelayMs) ──due──▶ committing (one batch)
//     ▲                                                                   │ committed: rebase if storage
//     │                                                                   │   moved in a way not predicted
//     └──────────────── nothing left ◀────────────────────────────────────┤ failed, retryable: back to
//                                                                         │   waiting after a backoff
//                                                                         │ failed, permanent: the batch
//                                                                         │   is refused, the host rebases
//                                                                         └ RATE_LIMITED: back to waiting
//                                                                           until the quota's window reopens
//                                                                           (throttle.ts; nothing is refused)
// When commits happen is decided here and only here. A quiet document commits `flushDelayMs` after
// the first intent; while others write too (a commit's answer says others committed in between,
// or storage was busy or rate-limited) the gap between this host's commits widens, up to
// `maxCommitGapMs`, so each commit carries more intents and the installation's quotas pay for fewer
// commits; quiet answers narrow it again.
import { toSyncError, PERMANENT_CODES, retryDelay, type Outcome, type StoredIntent, type SyncErrorCode } from '@bgstore/protocol';
import type { CommitResult } from '../runtime/ports';
import { isHeld } from '../state/defineStore';
import { applyStoredPatches } from '../state/patches';
import { replayIntents } from '../state/runIntent';
import { rebase } from './publish';
import { takeBatch } from './batch';
import { learnRefusals, reportDurable } from './durableReport';
import { applyKept } from './remoteChanges';
import { isRateLimited, isThrottled, throttle, unthrottle } from './throttle';
import type { SaveQueue, SaveTiming } from './saveQueue';
import type { Turn } from './turn';

export const isUnsaved = (q: SaveQueue<unknown>, clientId: string, seq: number) => q.queue.some((i) => i.seq === seq && i.clientId === clientId) || q.inflight.some((i) => i.seq === seq && i.clientId === clientId);

/** How a storage failure is told: its SyncError code, else STORAGE_FAILED. */
export function storageError(error: unknown): { code: string; message: string } {
  const { code, message } = toSyncError(error, 'STORAGE_FAILED', 'storage failed');
  return { code, message };
}

export const isPermanent = (error: { code: string }) => (PERMANENT_CODES as readonly string[]).includes(error.code);

/** An accepted intent (or a refusal, stored so a late copy never applies) joins the queue. */
export function queueIntent<TState>(t: Turn<TState>, intent: StoredIntent) {
  const q = t.m.save;
  if (!q) return;
  const wasIdle = q.queue.length === 0 && q.inflight.length === 0;
  q.queue.push(intent);
  if (q.inflight.length === 0) q.dueAt ??= Math.max(t.now + t.m.timing.flushDelayMs, q.sentAt + q.gap);
  if (wasIdle) reportDurable(t);
}

/** The narrowest gap worth keeping: below it the document counts as quiet and commits go at once. */
const MIN_GAP_MS = 250;

/**
 * Others write too (or storage is busy, or the quota spent): the next commits wait longer, so each
 * carries more intents. Doubles up to `maxCommitGapMs`; `all` jumps there at once.
 */
export function widenGap(q: SaveQueue<unknown>, timing: SaveTiming, all = false) {
  const widest = widestGap(q, timing);
  q.gap = all ? widest : Math.min(widest, Math.max(MIN_GAP_MS, q.gap * 2));
}

/** The widest gap: `maxCommitGapMs`, or less when storage asked for less (its quota allows more commits). */
const widestGap = (q: SaveQueue<unknown>, timing: SaveTiming) => Math.min(timing.maxCommitGapMs, q.gapCeiling ?? Infinity);

/**
 * Storage's answer may say how wide this host's gap need be at most (`CommitResult.gapMs`: a Forge
 * SQL document's quota allows its writers more commits than the default gap lets them make, #19).
 * Only narrower than `maxCommitGapMs` counts; an answer without it restores the default.
 */
function askedGap(q: SaveQueue<unknown>, gapMs: unknown) {
  q.gapCeiling = typeof gapMs === 'number' && Number.isFinite(gapMs) && gapMs >= 0 ? gapMs : undefined;
  if (q.gapCeiling !== undefined) q.gap = Math.min(q.gap, q.gapCeiling);
}

/** A commit went through with nobody else in between: halve the gap; below the narrowest, none. */
function narrowGap(q: SaveQueue<unknown>) {
  q.gap = q.gap / 2 < MIN_GAP_MS ? 0 : q.gap / 2;
}

/** When the next batch may go after a commit settled: at once, or once the gap since the last one passed. */
const afterGap = (q: SaveQueue<unknown>, now: number) => Math.max(now, q.sentAt + q.gap);

/** Commits the next batch if one is due (`force`: now, whatever the debounce). */
export function commitDue<TState>(t: Turn<TState>, force = false) {
  const { m } = t;
  if (!m.save || m.phase !== 'live') return;
  // Throttled, even a forced save waits: the request would only be refused, and the queue keeps it.
  if (isThrottled(t)) {
    if (m.save.dueAt !== undefined) m.save.dueAt = Math.max(m.save.dueAt, m.save.throttledUntil!);
    return;
  }
  const batch = takeBatch(m.save, t.now, m.timing, m.definition.name, force);
  if (!batch) return;
  m.save.sentAt = t.now;
  // The host's state is the stored one with every unsaved intent run on it: with none left
  // behind, it is what storage will hold (unless storage answers otherwise).
  m.save.predicted = m.save.queue.length === 0 ? { base: m.save.state, state: m.state } : undefined;
  t.out.push({ type: 'commit', batch });
  reportDurable(t);
}

/** Storage answered a commit: outcomes settle calls, and an unpredicted state makes the host rebase. */
export function onCommitted<TState>(t: Turn<TState>, result: CommitResult<TState>) {
  const { m } = t;
  const q = m.save!;
  const batch = q.inflight;
  const base = q.revision;
  q.inflight = [];
  q.attempt = 0;
  q.error = null;
  q.split = Infinity;
  unthrottle(t);
  const byKey = new Map(result.outcomes.map((o) => [`${o.seq}|${o.clientId}`, o]));
  // Refusals the host did not already make are storage's (the write policy, or a state that moved on).
  const refusedNow = batch.filter((i) => !i.refused && byKey.get(`${i.seq}|${i.clientId}`)?.ok === false);
  const first = refusedNow[0] && byKey.get(`${refusedNow[0].seq}|${refusedNow[0].clientId}`);
  if (first && !first.ok) q.error = { code: first.code, message: first.message };
  const fresh = batch.filter((i) => !i.refused && byKey.get(`${i.seq}|${i.clientId}`)?.ok && !byKey.get(`${i.seq}|${i.clientId}`)?.duplicate);
  const expected = batch.filter((i) => !i.refused).length;
  // A stored held intent is in no state the host published yet: it comes in by a rebase.
  const predicted = result.state === undefined && result.patches === undefined && refusedNow.length === 0 && fresh.length === expected && !fresh.some((i) => isHeld(m.definition, i.name));
  // Others committed between this host's base and its commit, or with it (a combined commit: the
  // answer then carries what the host cannot predict): they write too, so wait longer.
  askedGap(q, result.gapMs);
  if (result.revision > base + 1 || result.state !== undefined || result.patches !== undefined) widenGap(q, m.timing);
  else narrowGap(q);
  q.revision = result.revision;
  const stored = storedState(t, result, fresh, predicted);
  if (q.queue.length) q.dueAt = afterGap(q, t.now);
  const refused = result.outcomes.filter((o) => !o.ok);
  learnRefusals(t, refused);
  if (!predicted) rebase(t);
  reportDurable(
    t,
    result.outcomes.filter((o) => o.ok).map((o): [string, number] => [o.clientId, o.seq]),
    refused,
  );
  // Patches that did not apply leave the base unknown: load it whole. Else others' changes that
  // arrived meanwhile may fit now.
  if (!stored) t.out.push({ type: 'load' });
  else applyKept(t);
}

/**
 * The stored state after a commit: the answer's, its patches on the base, or (predicted) the state
 * the host had when it took the batch — else the base with the fresh intents replayed. False when
 * the patches do not apply (the state stays the base).
 */
function storedState<TState>(t: Turn<TState>, result: CommitResult<TState>, fresh: StoredIntent[], predicted: boolean): boolean {
  const q = t.m.save!;
  const expected = q.predicted;
  q.predicted = undefined;
  if (result.state !== undefined) q.state = result.state;
  else if (predicted && expected?.base === q.state) q.state = expected.state;
  else if (result.patches === undefined) q.state = replayIntents(t.m.definition, q.state, fresh, t.m.caller);
  else {
    try {
      q.state = applyStoredPatches(q.state, result.patches);
    } catch (error) {
      t.out.push({ type: 'warn', message: `[bgstore] ${t.m.definition.name}: a commit's answer did not apply (${error instanceof Error ? error.message : String(error)}); loading the stored state` });
      return false;
    }
  }
  return true;
}

/**
 * A commit failed. Retryable failures put the batch back and wait (the storage retry policy);
 * permanent ones (a request storage will never take) refuse the batch, whose effects leave the
 * host's state.
 */
export function onCommitFailed<TState>(t: Turn<TState>, error: unknown) {
  const { m, now } = t;
  const q = m.save!;
  const err = storageError(error);
  q.error = err;
  const batch = q.inflight;
  q.inflight = [];
  q.predicted = undefined;
  if (isRateLimited(error)) {
    // Not stored, not refused: the batch goes back in front and waits with what comes meanwhile.
    q.queue.unshift(...batch);
    q.dueAt = throttle(t, error);
    widenGap(q, m.timing, true);
    return reportDurable(t);
  }
  if (err.code === 'TOO_LARGE' && batch.length > 1) {
    // Storage or invoke measured the request differently: halve the batch, nothing is refused.
    q.split = Math.ceil(batch.length / 2);
    q.queue.unshift(...batch);
    q.dueAt = now;
    return reportDurable(t);
  }
  if (isPermanent(err)) {
    if (q.queue.length) q.dueAt = now + m.timing.flushDelayMs;
    const refused = batch.map((i): Outcome => ({ clientId: i.clientId, seq: i.seq, ok: false, code: err.code as SyncErrorCode, message: err.message }));
    learnRefusals(t, refused);
    rebase(t);
    return reportDurable(t, [], refused);
  }
  q.queue.unshift(...batch);
  // A busy document is not an outage: try again within a second or two, without growing the wait.
  const delay = err.code === 'STORAGE_BUSY' ? retryDelay(m.timing.retry.busy, 0, m.random) : retryDelay(m.timing.retry.storage, q.attempt++, m.random);
  if (err.code === 'STORAGE_BUSY') widenGap(q, m.timing, true);
  q.dueAt = now + delay;
  if (delay > 0) t.out.push({ type: 'warn', message: `${err.message}; retrying in ${delay} ms (${q.queue.length} unsaved)` });
  reportDurable(t);
}
