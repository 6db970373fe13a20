/** The name of one quota window, as the meter and its 429s name it. */
export type QuotaName = 'kvsRequests' | 'kvsReadUnits' | 'kvsWriteUnits' | 'invocationsPerSecond' | 'invocationsPerMinute' | 'userInvocations' | 'realtimeOps';

/** One fixed window of one quota, as `QuotaMeter.snapshot` shows it. */
export interface QuotaWindow {
  used: number;
  limit: number;
  /** Emulator-clock time (ms) when this window ends and `used` starts again from 0. */
  resetsAt: number;
}

/** Admission of one request: allowed, or refused by the named quota until `resetsAt`. */
export type QuotaDecision = { ok: true } | { ok: false; quota: QuotaName; limit: number; resetsAt: number; retryAfterMs: number };

/** A fixed window's count: windows are aligned on the clock (`[k·windowMs, (k+1)·windowMs)`). */
export interface Counter {
  windowMs: number;
  limit: number;
  start: number;
  used: number;
}

/** A counter whose first use opens its window. */
export const counter = (windowMs: number, limit: number): Counter => ({ windowMs, limit, start: -Infinity, used: 0 });

/** Rolls a counter into the window holding `now`. */
export function roll(c: Counter, now: number): Counter {
  const start = Math.floor(now / c.windowMs) * c.windowMs;
  if (start !== c.start) {
    c.start = start;
    c.used = 0;
  }
  return c;
}

/** The counter's current window at `now`. */
export const view = (c: Counter, now: number): QuotaWindow => {
  roll(c, now);
  return { used: c.used, limit: c.limit, resetsAt: c.start + c.windowMs };
};

/**
 * Admits `cost` on every named counter (all must have room), or names the first that has none and
 * counts the refusal in `throttled`. Without `enforcing` every request is admitted and charged.
 */
export function admit(checks: [QuotaName, Counter, number][], now: number, enforcing: boolean, throttled: Partial<Record<QuotaName, number>>): QuotaDecision {
  for (const [name, k, cost] of checks) {
    roll(k, now);
    if (enforcing && k.used + cost > k.limit) {
      throttled[name] = (throttled[name] ?? 0) + 1;
      return { ok: false, quota: name, limit: k.limit, resetsAt: k.start + k.windowMs, retryAfterMs: k.start + k.windowMs - now };
    }
  }
  for (const [, k, cost] of checks) k.used += cost;
  return { ok: true };
}
