// The revision check: a host asks storage for its revision now and then (and when another tab
// hints), to learn of other tabs' commits; a revision it did not write makes it load and rebase.
//
//   idle (at = now + revisionCheckMs) ──due──▶ checking ──same revision──▶ idle
//     ▲   (due while our commit is in flight:           │ other tabs moved storage: load (or, with
//     │    a full interval later)                        │   our commit in flight, check again soon)
//     └──────────────────── failed ◀─────────────────────┘ a hint while checking: check again soon
//
// "Soon" is the `revisionRecheck` retry policy.
import { retryDelay } from '@bgstore/protocol';
import type { RemoteChange } from '../runtime/ports';
import { reportDurable } from './durableReport';
import { isRateLimited, isThrottled, throttle, unthrottle } from './throttle';
import type { Turn } from './turn';

export interface RevisionCheck {
  /** When to ask storage for its revision next; undefined while one is in flight or none is due. */
  at: number | undefined;
  checking: boolean;
  /** Another check was asked for while one was in flight: check again soon after it ends. */
  recheck: boolean;
  /** Changes that arrived while our commit was in flight, to apply after its answer (`remoteChanges.ts`). */
  remote: RemoteChange[];
}

export const createRevisionCheck = (): RevisionCheck => ({ at: undefined, checking: false, recheck: false, remote: [] });

/** Sets the next check `ms` from now (the interval by default); nothing when checks are off. */
export function scheduleCheck<TState>(t: Turn<TState>, ms = t.m.timing.revisionCheckMs) {
  const c = t.m.check;
  if (!c || t.m.timing.revisionCheckMs <= 0) return;
  c.at = t.now + ms;
}

/** A check that is due goes out, unless our own commit is in flight (its answer tells the revision). */
export function checkDue<TState>(t: Turn<TState>) {
  const { m } = t;
  const c = m.check;
  if (c?.at === undefined || c.at > t.now) return;
  c.at = undefined;
  // While the quota is spent a check would only be refused: it goes when the window reopens.
  if (isThrottled(t)) c.at = m.save!.throttledUntil;
  else if (m.save!.inflight.length > 0) scheduleCheck(t);
  else {
    c.checking = true;
    t.out.push({ type: 'check-revision', since: m.save!.revision });
  }
}

/** A check was asked for (another tab's hint, the page became visible). Returns whether it is due now. */
export function requestCheck<TState>(t: Turn<TState>): boolean {
  const c = t.m.check;
  // A hint that arrives while a check is in flight is not dropped: the check runs again after it.
  if (c?.checking) c.recheck = true;
  else if (c && t.m.phase === 'live') {
    c.at = t.now;
    return true;
  }
  return false;
}

/** Storage answered a check. */
export function onRevision<TState>(t: Turn<TState>, revision: number) {
  const { m } = t;
  const c = m.check;
  if (!c) return;
  c.checking = false;
  if (unthrottle(t)) reportDurable(t);
  const again = c.recheck;
  c.recheck = false;
  const stored = m.save!.revision;
  // Other tabs moved storage: load it and rebase — once our own commit is back, if one is in flight.
  if (revision !== stored && m.save!.inflight.length === 0) t.out.push({ type: 'load' });
  else if (revision !== stored || again) scheduleCheck(t, retryDelay(m.timing.retry.recheck, 0, m.random));
  else scheduleCheck(t);
}

/** A check failed: the next one after the interval, or when the quota's window reopens (429). */
export function onRevisionFailed<TState>(t: Turn<TState>, error?: unknown) {
  const c = t.m.check;
  if (!c) return;
  c.checking = false;
  c.recheck = false;
  if (isRateLimited(error)) {
    scheduleCheck(t, throttle(t, error) - t.now);
    // Replicas hear it too: a throttled check means a throttled save.
    t.m.save!.error = { code: 'RATE_LIMITED', message: error instanceof Error ? error.message : String(error) };
    reportDurable(t);
  } else scheduleCheck(t);
}
