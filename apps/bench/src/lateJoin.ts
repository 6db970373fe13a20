// A late join after a burst (issue 22.1): N live replicas, 25 actions, then a new replica joins while
// the burst's trailing beats (one with the state's digest) reach the others. Measures the join and
// the longest main-thread task any replica ran (a message handled or a timer) from the burst on.
import { createHost, createReplica, systemClock, type Clock, type Transport } from '@bgstore/core';
import { benchStore, createBusWorld, drain, settle } from './systems';

const BURST = 25;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Times every synchronous entry into a replica: its message handlers and its timers. */
export function createTaskTimer() {
  let longest = 0;
  let armed = false;
  const timed =
    <A extends unknown[]>(fn: (...args: A) => void) =>
    (...args: A) => {
      const t0 = performance.now();
      try {
        fn(...args);
      } finally {
        if (armed) longest = Math.max(longest, performance.now() - t0);
      }
    };
  return {
    transport: (t: Transport): Transport => ({ emit: t.emit, on: (event, handler) => t.on(event, timed(handler)) }),
    clock: (c: Clock = systemClock): Clock => ({ now: () => c.now(), setTimeout: (fn, ms) => c.setTimeout(timed(fn), ms), clearTimeout: (h) => c.clearTimeout(h) }),
    start() {
      longest = 0;
      armed = true;
    },
    longest: () => longest,
  };
}

export interface LateJoin {
  /** From the new replica's creation until it is live. */
  joinMs: number;
  /** The longest task on any of the live replicas, from the burst until the trailing beats are over. */
  longestTaskMs: number;
}

/** One run of the scenario; `define` gives the store's shape (the plain array by default). */
export async function lateJoinAfterBurst(items: number, replicas: number, define: (n: number) => ReturnType<typeof benchStore> = benchStore): Promise<LateJoin> {
  const { transport } = createBusWorld();
  const host = createHost(define(items), { transport: transport('bg'), heartbeatMs: 60_000 });
  await host.ready;
  const timer = createTaskTimer();
  const clock = timer.clock();
  const rs = Array.from({ length: replicas }, (_, k) => createReplica(define(0), { transport: timer.transport(transport(`feed${k}`)), clock, retryMs: 60_000 }));
  while (rs.some((r) => r.sync.getState().phase !== 'live')) await drain();
  await settle(items);
  timer.start();
  for (let i = 0; i < BURST; i++) await rs[i % rs.length]!.actions.toggle((i * 7919) % items).applied;
  while (rs.some((r) => r.sync.getState().version !== host.version())) await drain();
  const t0 = performance.now();
  const late = createReplica(define(0), { transport: transport('late'), retryMs: 60_000 });
  while (late.sync.getState().phase !== 'live') await drain();
  const joinMs = performance.now() - t0;
  // The trailing beats (six, 200 ms apart) and what replicas do with them.
  await sleep(1400);
  const longestTaskMs = timer.longest();
  late.close();
  rs.forEach((r) => r.close());
  host.close();
  await drain();
  return { joinMs, longestTaskMs };
}
