// A replica's timings: its options' values, or the defaults of `REPLICA_RETRY_POLICIES`.
import { REPLICA_RETRY_POLICIES, type RetryPolicy } from '@bgstore/protocol';

/** Timings of a replica, in ms (see `ReplicaOptions`). */
export interface ReplicaTiming {
  intentTimeoutMs: number;
  gapHoldMs: number;
  hostSilenceMs: number;
  /** A digest mismatch is acted on at most once per this long per host boot (#18.8). */
  digestMs: number;
  /** A followed host that does not answer a hello within this long, while another boot beats, is left (#18.7). */
  probeMs: number;
  retry: {
    /** An unanswered hello; `catchUp` while a live host is only catching this replica up (an answer was lost, not the host). */
    hello: RetryPolicy;
    catchUp: RetryPolicy;
    /** A host of another build is asked again this rarely. */
    buildMismatch: RetryPolicy;
    /** An intent the host has not applied goes again; an applied one not yet saved is asked about. */
    resend: RetryPolicy;
    askSaved: RetryPolicy;
  };
}

/** A replica's timings from its options (the defaults are those of `REPLICA_RETRY_POLICIES`). */
export function replicaTiming(o: { intentTimeoutMs?: number; retryMs?: number; helloMinMs?: number; helloMaxMs?: number; gapHoldMs?: number; hostSilenceMs?: number; digestMs?: number }): ReplicaTiming {
  const { hello, resendIntent, askSaved, buildMismatch } = REPLICA_RETRY_POLICIES;
  const helloMin = o.helloMinMs ?? hello.baseMs;
  const helloMax = o.helloMaxMs ?? hello.maxMs;
  const resendMs = o.retryMs ?? resendIntent.baseMs;
  return {
    intentTimeoutMs: o.intentTimeoutMs ?? 15_000,
    gapHoldMs: o.gapHoldMs ?? 100,
    hostSilenceMs: o.hostSilenceMs ?? 6000,
    digestMs: o.digestMs ?? 10_000,
    // Ten first hello retries: a live host answers a hello in one bus round trip.
    probeMs: Math.min(o.hostSilenceMs ?? 6000, 10 * helloMin),
    retry: {
      hello: { ...hello, baseMs: helloMin, maxMs: helloMax },
      catchUp: { ...hello, baseMs: helloMin, maxMs: Math.min(helloMax, 2 * helloMin) },
      buildMismatch,
      resend: { ...resendIntent, baseMs: resendMs },
      // Asking about an applied intent keeps the defaults' ratio to resending one.
      askSaved: { ...askSaved, baseMs: resendMs * (askSaved.baseMs / resendIntent.baseMs) },
    },
  };
}
