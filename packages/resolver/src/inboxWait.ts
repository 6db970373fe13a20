import type { InboxEntry } from './storage/port';

// How a batch waiting in a document's inbox waits (#17). Under contention the cheapest way through
// is to post the batch once and let the next winner apply it: the poster then only checks, with one
// read of the document, whether its intents are stored — it does not read the inbox and race again
// each round (under contention most such races are lost, and each costs a read, a failed write, and
// the inbox read). Only when a check finds its batch still waiting does the poster commit itself,
// and then only if no older batch waits: the oldest waiting batch's poster leads (it reads the inbox
// and carries everyone's), so checks that land while a leader's commit is in flight do not all race it.

/**
 * After a commit that carried others' batches or lost a race, the document counts as contended this
 * long (the head keeps it, `CommitNote.waitingUntil`): commits read the inbox, and instances that saw
 * it post their batch first instead of racing.
 */
export const CONTENDED_MS = 2_000;

/**
 * Rounds: a waiting batch is applied by the next commit that reads the inbox after it was posted.
 * Who leads a round is told by the time a batch was posted, as its key says (so posters and readers
 * agree without a word): batches posted in the first {@link EAGER} of each {@link SLOT} are eager —
 * they check soon, and the oldest of them not yet applied leads — while the rest check once an eager
 * leader should have landed, and lead (oldest first) only when none did. So a round's commit is
 * usually led by one batch, and each of the others costs one check. Every wait is in units of the
 * commit's `retryDelayMs` (50 ms by default: slots of 300 ms, eager batches the first 30 ms of
 * each), as the contention loop's are.
 */
const SLOT = 6;
const EAGER = 0.6;
/** The first check after posting, eager and not, then later checks, in units: [from, to). */
const EAGER_CHECK: readonly [number, number] = [2, 2.4];
const FIRST_CHECK: readonly [number, number] = [10, 10.8];
/**
 * A non-eager batch waits {@link FIRST_CHECK} for the round's eager leader when the document has
 * this many writers or more; with fewer, a round seldom has an eager post (10 pages, ~10 commits a
 * second: about one slot in four) and the request quota has room for a check that comes too soon,
 * so the first wait shrinks with the writers, to {@link FEWEST_UNITS} at the least.
 */
const FULL_WAIT_WRITERS = 30;
const FEWEST_UNITS = 3;
const NEXT_CHECK: readonly [number, number] = [2.4, 3.6];
/** A batch waiting longer than this many units is presumed stuck (its poster gone or slow): younger ones lead. */
const LEAD_STALE = 30;

/** Whether the batch posted under `entryKey` is eager (see {@link SLOT}), with waits of `unit` ms. */
export const isEager = (entryKey: string, unit: number) => {
  const at = postedAt(entryKey, -1);
  return at >= 0 && at % Math.max(1, SLOT * unit) < EAGER * unit;
};

/**
 * The wait before the `n`-th check (1: the first) of the batch posted under `entryKey`, in ms, with
 * waits of `unit` ms, jittered by `random` in [0, 1); `writers`, the document's (unknown: many).
 */
export function checkWait(n: number, entryKey: string, unit: number, random: () => number, writers = Infinity): number {
  const [from, to] = n > 1 ? NEXT_CHECK : isEager(entryKey, unit) ? EAGER_CHECK : firstCheck(writers);
  return Math.round((from + (to - from) * random()) * unit);
}

/** A non-eager batch's first check, in units, for a document with `writers` writers. */
function firstCheck(writers: number): readonly [number, number] {
  if (writers >= FULL_WAIT_WRITERS) return FIRST_CHECK;
  const from = Math.max(FEWEST_UNITS, (FIRST_CHECK[0] * writers) / FULL_WAIT_WRITERS);
  return [from, from + FIRST_CHECK[1] - FIRST_CHECK[0]];
}

/** When an entry was posted (its key holds the time, see `Inbox.keyOf`); `otherwise` for keys of other shapes. */
function postedAt(entryKey: string, otherwise: number): number {
  const at = parseInt(entryKey.slice(entryKey.lastIndexOf(':in:') + 4).split(':')[0] ?? '', 36);
  return Number.isFinite(at) && at > 0 ? at : otherwise;
}

/**
 * Whether the poster of `own` (not yet applied, as its check read) should let another commit go first
 * instead of leading, judging by the inbox as `listed` (oldest first): an older batch waits whose
 * poster is expected to lead — for an eager batch an older eager one, for the others any older one —
 * and is not stale; or its own entry is gone (a winner applied it and deleted it after the check's
 * read: the next check will show it). An entry not listed yet (storage's queries lag) counts as gone
 * only while it is not stale. Waits are of `unit` ms (see {@link SLOT}).
 */
export function olderLeads(listed: readonly InboxEntry[], own: string, now: number, unit: number): boolean {
  const fresh = (entryKey: string) => now - postedAt(entryKey, now) < LEAD_STALE * unit;
  if (!listed.some((entry) => entry.key === own)) return fresh(own);
  const eager = isEager(own, unit);
  // Keys sort by the time they were posted (see `Inbox.keyOf`).
  return listed.some((entry) => entry.key < own && (!eager || isEager(entry.key, unit)) && fresh(entry.key));
}

/** The signal a poster that lets an older one lead throws: a lost race (wait, check again), not a failure. */
export class LetOlderLead extends Error {
  constructor() {
    super('[bgstore] an older waiting batch leads: check again after it');
    this.name = 'LetOlderLead';
  }
}
