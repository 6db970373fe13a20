// Throttling: Forge meters each installation (KVS units, invocations), and past a quota it answers
// 429 — storage says `RATE_LIMITED`. That is not an outage and not this host's fault (other pages,
// or someone hostile, spent the budget), so the host neither drops nor doubles anything: it holds
// every load, commit and revision check until the window reopens, lets actions pile up in its queue
// (they go as one batch, coalesced), and shows `throttledUntil` in its durable status.
//
//   live ──RATE_LIMITED──▶ throttled until T ──T──▶ the held request goes again ──ok──▶ live
//                              ▲                                                  │
//                              └──────────────── RATE_LIMITED again ◀─────────────┘
//
// T is when storage said the window reopens (`retryAfterMs`) plus up to a second of jitter (the
// `rateLimitReset` policy), else the `rateLimited` policy: at most 4 s apart, so a host is back
// within about 4 s of the window reopening even when nobody said when that would be.
import { isSyncError, retryDelay } from '@bgstore/protocol';
import type { Turn } from './turn';

/** Whether `error` is storage saying the installation's quota is spent. */
export const isRateLimited = (error: unknown) => isSyncError(error) && error.code === 'RATE_LIMITED';

/**
 * Holds storage calls after a `RATE_LIMITED` answer and returns when they may go again. Waits grow
 * per throttled answer in a row (without a reset time) and start over once storage answers.
 */
export function throttle<TState>(t: Turn<TState>, error: unknown): number {
  const { m, now } = t;
  const q = m.save!;
  const after = isSyncError(error) ? error.retryAfterMs : undefined;
  const wait =
    after !== undefined && Number.isFinite(after) && after >= 0
      ? Math.min(after, 3_600_000) + retryDelay(m.timing.retry.throttleReset, 0, m.random)
      : retryDelay(m.timing.retry.throttled, q.throttles, m.random);
  q.throttles++;
  q.throttledUntil = Math.max(q.throttledUntil ?? 0, now + wait);
  t.out.push({ type: 'warn', message: `[bgstore] ${m.definition.name}: Forge's quota for this installation is spent (429); trying again in ${q.throttledUntil - now} ms, ${q.queue.length + q.inflight.length} unsaved kept` });
  return q.throttledUntil;
}

/** Whether storage calls are held now. */
export function isThrottled<TState>(t: Turn<TState>): boolean {
  const until = t.m.save?.throttledUntil;
  return until !== undefined && t.now < until;
}

/** Storage answered: the window is open again. Returns whether the host was throttled (its status changed). */
export function unthrottle<TState>(t: Turn<TState>): boolean {
  const q = t.m.save;
  if (!q || q.throttledUntil === undefined) return false;
  q.throttledUntil = undefined;
  q.throttles = 0;
  // What waited behind the throttle goes now.
  if (q.queue.length && q.inflight.length === 0) q.dueAt = t.now;
  if (q.error?.code === 'RATE_LIMITED') q.error = null;
  return true;
}
