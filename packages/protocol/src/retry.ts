// Every retry and backoff delay in bgstore, as data: a named policy says how long to wait before
// attempt n+1, and `retryDelay` computes it from the policy, the attempt and an injected random
// source (a state machine never calls Math.random: its wiring passes one, and tests seed it).
//
//   delay(n) = min(maxMs, baseMs · factor^n) · (jitter[0] + (jitter[1] − jitter[0]) · random())
//
// A policy whose base comes from an option is spread with it: `{ ...RETRY_POLICIES.storage, baseMs }`.

/** How long to wait before trying again, as data. */
export interface RetryPolicy {
  /** The wait before the second attempt (attempt 0), before jitter. */
  readonly baseMs: number;
  /** Each further attempt waits this many times longer (1: a constant wait). */
  readonly factor: number;
  /** The wait never grows past this, before jitter (Infinity for a constant wait). */
  readonly maxMs: number;
  /** The wait is multiplied by a random factor in [low, high]; [1, 1] is none. */
  readonly jitter: readonly [low: number, high: number];
  /** Whole milliseconds (the wait is shown in warnings). */
  readonly round: boolean;
}

/** A source of uniform numbers in [0, 1), like Math.random. */
export type RandomSource = () => number;

const policy = (baseMs: number, factor: number, maxMs: number, jitter: readonly [number, number] = [1, 1], round = false): RetryPolicy => ({ baseMs, factor, maxMs, jitter, round });

// A page's replica's policies are constants of their own, named by both objects below: a replica
// reads `REPLICA_RETRY_POLICIES`, so a feed's bundle leaves the host's and the resolver's out.
/** A replica's hello went unanswered: 100 ms doubling to 5 s. */
const hello = /* @__PURE__ */ policy(100, 2, 5000);
/** The host runs another build of the store: ask that boot again only this rarely. */
const buildMismatch = /* @__PURE__ */ policy(30_000, 1, Infinity);
/** An intent the host has not applied goes again this often. */
const resendIntent = /* @__PURE__ */ policy(500, 1, Infinity);
/** An applied intent not yet reported saved is asked about this often (the status may be lost). */
const askSaved = /* @__PURE__ */ policy(2500, 1, Infinity);

/** The policies of a page's replica (those of {@link RETRY_POLICIES} it uses). */
export const REPLICA_RETRY_POLICIES = { hello, buildMismatch, resendIntent, askSaved } as const;

/**
 * bgstore's retry policies, one per thing retried. The defaults here are the options' defaults;
 * a peer replaces `baseMs` (and the bound) from its options.
 */
export const RETRY_POLICIES = {
  /** The host's load or commit failed (storage down, a network error): 500 ms doubling to 30 s, ±20 %. */
  storage: /* @__PURE__ */ policy(500, 2, 30_000, [0.8, 1.2], true),
  /** Storage was busy (another commit won): not an outage, so 1–3× the base, never growing. */
  storageBusy: /* @__PURE__ */ policy(500, 1, Infinity, [1, 3], true),
  /**
   * Forge answered 429 (the installation's quota is spent) without saying when its window reopens:
   * 1 s doubling to 4 s, × 0.5–1, so a throttled host is back within 4 s of the window reopening.
   */
  rateLimited: /* @__PURE__ */ policy(1000, 2, 4000, [0.5, 1], true),
  /** Forge said when the window reopens: wait until then plus up to this much, so pages do not all return at once. */
  rateLimitReset: /* @__PURE__ */ policy(1000, 1, Infinity, [0, 1], true),
  /** A revision check had to wait (our commit in flight, a hint during a check): it runs again this soon. */
  revisionRecheck: /* @__PURE__ */ policy(200, 1, Infinity),
  hello,
  buildMismatch,
  resendIntent,
  askSaved,
  /** The resolver's write failed: 50 ms doubling to 2 s. */
  resolverFailure: /* @__PURE__ */ policy(50, 2, 2000),
  /** The resolver lost a race for the document: a random wait below 25 ms doubling to 1 s. */
  resolverContention: /* @__PURE__ */ policy(25, 2, 1000, [0, 1]),
} as const satisfies Record<string, RetryPolicy>;

/**
 * The wait before attempt `attempt + 1` (attempt 0 is the first retry). `random` is only called
 * when the policy has jitter.
 * @example
 * retryDelay(RETRY_POLICIES.storage, 0, () => 0.5); // 500
 */
export function retryDelay(p: RetryPolicy, attempt: number, random: RandomSource): number {
  // Past 2^30 every policy is at its bound; the cap keeps the power finite.
  const base = Math.min(p.maxMs, p.baseMs * p.factor ** Math.min(Math.max(attempt, 0), 30));
  const [low, high] = p.jitter;
  const delay = low === 1 && high === 1 ? base : base * (low + (high - low) * random());
  return p.round ? Math.round(delay) : delay;
}
