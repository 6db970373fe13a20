// The replica's protocol as a state machine: a plain record and free functions. `step` takes one
// event (a message, a call, a tick of the clock, close) and returns the effects to perform; it never
// reads a clock or touches a transport, so every rule here is testable without timers or a bus.
// `createReplica` wires it to the channel, the wake-up timer and zustand.
//
// Phases (the public `sync.phase` is this value):
//
//   connecting ──snapshot (answer to its hello)──▶ live ──gap, overlap, bad patch, new epoch,
//        │                                          ▲      digest mismatch, overflow──▶ resyncing
//        │                                          └──── snapshot, catch-up, or beat at its version ◀─┘
//        └── any phase ──close()──▶ closed
//
// A call's life (`Call.stage`):
//
//   queued ──sent──▶ sent ──host applied it (patch acks, ack)──▶ applied ──storage has it──▶ saved
//     │                │ └──no answer by its deadline──▶ timed-out                │
//     └────────────────┴──────────refused (reject), or close()──────────────────┴──▶ refused
//
// With a host that keeps its state in memory only, `applied` is final (`saved` at once). A new host
// boot sends unsaved calls back to `queued`: they go to it again, and it applies only what its
// storage lacks. A settled call stays in `calls` until the confirmed state shows its effects, so an
// optimistic view never flickers.
import { PERMANENT_CODES, SyncError } from '@bgstore/protocol';
import { flushQueued, prune, settle, tickCalls } from './calls';
import { digestLoaded, digestLoadFailed, tickDigest } from './digest';
import { requestSync, tickSync } from './handshake';
import { receive } from './receive';
import { isFinal, type Call, type ReplicaEffect, type ReplicaEvent, type ReplicaMachine, type Turn } from './state';

export { createReplicaMachine, inView, isFinal, nextWake, pendingForView, replicaTiming } from './state';
export type { Call, CallStage, ReplicaCounters, ReplicaEffect, ReplicaEvent, ReplicaMachine, ReplicaTiming, ResyncReason, SyncPhase } from './state';

/** Runs one event. Mutates `m`; returns what to do. */
export function step<TState>(m: ReplicaMachine<TState>, event: ReplicaEvent, now: number): ReplicaEffect[] {
  const out: ReplicaEffect[] = [];
  if (m.phase === 'closed') return out;
  const t: Turn<TState> = { m, now, out };
  switch (event.type) {
    case 'start':
      requestSync(t);
      break;
    case 'message':
      receive(t, event.message);
      break;
    case 'call': {
      const seq = ++m.nextSeq;
      out.push({ type: 'opened', seq });
      const call: Call = { seq, name: event.name, args: event.args, stage: 'queued', sentAt: -Infinity, deadline: now + m.timing.intentTimeoutMs };
      m.calls.set(seq, call);
      // The host said it cannot load, for good: the call cannot succeed, and says why at once.
      if (m.epoch === null && m.lastError && (PERMANENT_CODES as readonly string[]).includes(m.lastError.code)) settle(t, call, m.lastError);
      break;
    }
    case 'flush':
      flushQueued(t);
      break;
    case 'tick':
      tickSync(t);
      tickDigest(t);
      tickCalls(t);
      break;
    case 'digest-loaded':
      digestLoaded(t, event.digests);
      break;
    case 'digest-load-failed':
      digestLoadFailed(t);
      break;
    case 'close':
      for (const c of m.calls.values()) {
        if (!isFinal(c)) settle(t, c, new SyncError('CLOSED', `[bgstore] replica of '${m.definition.name}' closed before ${c.name} was ${c.ack ? 'saved' : 'applied'}`));
      }
      m.calls.clear();
      m.phase = 'closed';
      m.helloAt = m.gapAt = undefined;
      return out;
  }
  prune(t);
  return out;
}
