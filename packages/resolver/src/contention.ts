import { isSyncError, RETRY_POLICIES, retryDelay as policyDelay, SyncError } from '@bgstore/protocol';

// The commit's retry loop. Two kinds of trouble, two budgets: a storage failure backs off and gives
// up after `maxAttempts`; a lost race (another commit moved the document first) is not a failure —
// the loop lets the caller hand its batch on (the inbox), waits a jittered, growing time and tries
// again, until `budgetMs` is spent. Refusals (`SyncError`) are answers and are never retried.

/** Options of {@link retryContended}. */
export interface ContentionOptions {
  /** Attempts when storage fails. */
  maxAttempts: number;
  /** How long losing races may go on before `STORAGE_BUSY`. */
  budgetMs: number;
  /** The base of both waits (see {@link retryDelay}). */
  retryDelayMs: number;
  /** Whether an error is a lost race rather than a failure. */
  isLostRace(error: unknown): boolean;
  /** Runs after each lost race that leaves budget, before the wait (failures here are the callee's to absorb). */
  onLostRace?: () => Promise<void>;
  /**
   * The wait before the next attempt after the `n`-th race, when the caller has its own (a batch
   * waiting in the inbox checks on its own schedule, see commitBatch); undefined: {@link retryDelay}'s.
   */
  raceWait?: (n: number) => number | undefined;
  /** @default setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  random?: () => number;
  /** Measures the budget. @default Date.now */
  clock?: () => number;
}

/** Why the loop waits: after the n-th storage failure, or after the n-th lost race. */
export type RetryCause = 'failure' | 'race';

/**
 * The wait before the next attempt, in ms: after a failure `base` doubling per failure, at most 2 s;
 * after a lost race a random wait below `base / 2` doubling per loss, at most 1 s (jitter spreads
 * racing commits apart). The shapes are the shared policies `resolverFailure` and `resolverContention`.
 */
export function retryDelay(cause: RetryCause, n: number, base: number, random: () => number = Math.random): number {
  return cause === 'race' ? policyDelay({ ...RETRY_POLICIES.resolverContention, baseMs: base / 2 }, n, random) : policyDelay({ ...RETRY_POLICIES.resolverFailure, baseMs: base }, n - 1, random);
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` until it answers, retrying storage failures and lost races as above.
 * @throws SyncError `STORAGE_BUSY` when races outlast the budget; the attempt's `SyncError` at once;
 *   the last storage failure after `maxAttempts`
 */
export async function retryContended<T>(attempt: () => Promise<T>, options: ContentionOptions): Promise<T> {
  const { sleep = wait, random = Math.random, clock = Date.now } = options;
  const started = clock();
  let failures = 0;
  let races = 0;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (isSyncError(error)) throw error;
      if (options.isLostRace(error)) {
        races++;
        if (clock() - started >= options.budgetMs) {
          throw new SyncError('STORAGE_BUSY', `[bgstore] the document is busy: ${races} other commits won the race in ${clock() - started} ms; retry the batch (no intent applies twice)`);
        }
        await options.onLostRace?.();
        await sleep(options.raceWait?.(races) ?? retryDelay('race', races, options.retryDelayMs, random));
      } else {
        if (++failures >= options.maxAttempts) throw error;
        await sleep(retryDelay('failure', failures, options.retryDelayMs, random));
      }
    }
  }
}
