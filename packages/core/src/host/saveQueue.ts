// The state of a host's saving (save.ts has its steps): what storage holds as far as the host
// knows, the intents on their way there, and when the next commit may go.
import type { RetryPolicy, StoredIntent } from '@bgstore/protocol';

export interface SaveTiming {
  flushDelayMs: number;
  /** The widest gap between the starts of two commits while others write (see {@link widenGap}). */
  maxCommitGapMs: number;
  /**
   * After a failed load or commit; after storage said it was busy; a revision check that had to wait;
   * after a 429 that did not say when its window reopens, and the jitter added to one that did.
   */
  retry: { storage: RetryPolicy; busy: RetryPolicy; recheck: RetryPolicy; throttled: RetryPolicy; throttleReset: RetryPolicy };
  revisionCheckMs: number;
  maxBatchIntents: number;
  /** A commit request's JSON, UTF-8 bytes. */
  maxBatchBytes: number;
}

export interface SaveQueue<TState> {
  /** The stored state this host knows, and its revision. */
  revision: number;
  state: TState;
  /** Intents accepted and not yet committed, in order. */
  queue: StoredIntent[];
  /** The batch being committed (empty when none is in flight). */
  inflight: StoredIntent[];
  /**
   * The stored state the host predicts once the batch in flight is committed, when that batch took
   * every unsaved intent: the host's own state then. `base` is the stored state it builds on.
   */
  predicted: { base: TState; state: TState } | undefined;
  /** Per client, the floor sent with its next batch (every seq ≤ it settled at the client). */
  floors: Map<string, number>;
  error: { code: string; message: string } | null;
  /** Failed commits in a row, for the backoff. */
  attempt: number;
  /** When to commit next; undefined when nothing waits or a commit is in flight. */
  dueAt: number | undefined;
  /** After a batch came back too large, the next ones hold at most this many intents. */
  split: number;
  /** While the installation's quota is spent: when storage calls may go again (see throttle.ts). */
  throttledUntil: number | undefined;
  /** RATE_LIMITED answers in a row, for the wait when none said when its window reopens. */
  throttles: number;
  /** The gap kept between the starts of two commits: 0 while the document is quiet (see {@link widenGap}). */
  gap: number;
  /** A narrower ceiling for the gap than `maxCommitGapMs`, as storage's last answer asked (`CommitResult.gapMs`, #19). */
  gapCeiling: number | undefined;
  /** When the last commit was sent. */
  sentAt: number;
}

export function createSaveQueue<TState>(state: TState): SaveQueue<TState> {
  return { revision: 0, state, queue: [], inflight: [], predicted: undefined, floors: new Map(), error: null, attempt: 0, dueAt: undefined, split: Infinity, throttledUntil: undefined, throttles: 0, gap: 0, gapCeiling: undefined, sentAt: -Infinity };
}
