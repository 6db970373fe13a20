// A late join after a burst (issue 22.1): N live replicas, 25 actions, then a new replica joins while
// the burst's trailing beats (one with the state's digest) reach the others. Measures the join, and
// the longest main-thread task a replica ran (a message handled or a timer): during the burst
// (applying patches), and after it (beats, digest checks and slices, on every replica and the joiner).
import { createHost, createReplica, systemClock, type Clock, type Transport } from '@bgstore/core';
import { benchStore, createBusWorld, drain, settle } from './systems';

const BURST = 25;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A task: how long it ran, and what it was (`message <wire tag>` or `timer`). */
export interface Task {
  ms: number;
  /** The process's CPU time over it: what the task cost, less what other load on the machine added. */
  cpuMs: number;
  what: string;
}

/**
 * Times every synchronous entry into a replica: its message handlers and its timers. `skip` leaves
 * out tasks that are not the point (the joiner's snapshot: parsing the state is the join itself).
 */
export function createTaskTimer(skip: (what: string) => boolean = () => false) {
  let longest: Task = { ms: 0, cpuMs: 0, what: '' };
  let armed = false;
  const timed =
    <A extends unknown[]>(fn: (...args: A) => void, label: (...args: A) => string) =>
    (...args: A) => {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      try {
        fn(...args);
      } finally {
        const ms = performance.now() - t0;
        if (armed && ms > longest.ms) {
          const what = label(...args);
          const cpu = process.cpuUsage(cpu0);
          if (!skip(what)) longest = { ms, cpuMs: (cpu.user + cpu.system) / 1000, what };
        }
      }
    };
  return {
    transport: (t: Transport): Transport => ({ emit: t.emit, on: (event, handler) => t.on(event, timed(handler, (payload) => `message ${Array.isArray(payload) ? String(payload[2]) : '?'}`)) }),
    clock: (c: Clock = systemClock): Clock => ({ now: () => c.now(), setTimeout: (fn, ms) => c.setTimeout(timed(fn, () => 'timer'), ms), clearTimeout: (h) => c.clearTimeout(h) }),
    /** Starts a window: the longest task is counted from now. */
    start() {
      longest = { ms: 0, cpuMs: 0, what: '' };
      armed = true;
    },
    longest: (): Task => longest,
  };
}

export interface LateJoin {
  /** From the new replica's creation until it is live. */
  joinMs: number;
  /** The process's CPU time over the join (host and replicas share one thread here): less swayed by other load than `joinMs`. */
  joinCpuMs: number;
  /** The longest task on a live replica during the burst (applying patches). */
  burstTask: Task;
  /** The longest task on any replica from the end of the burst until its trailing beats are over (beats, digest checks and slices; the joiner's snapshot excepted). */
  afterTask: Task;
}

/** One run of the scenario; `define` gives the store's shape (the plain array by default). */
export async function lateJoinAfterBurst(items: number, replicas: number, define: (n: number) => ReturnType<typeof benchStore> = benchStore): Promise<LateJoin> {
  const { transport } = createBusWorld();
  const host = createHost(define(items), { transport: transport('bg'), heartbeatMs: 60_000 });
  await host.ready;
  const timer = createTaskTimer();
  const joiner = createTaskTimer((what) => what === 'message c' || what === 'message s');
  const clock = timer.clock();
  const rs = Array.from({ length: replicas }, (_, k) => createReplica(define(0), { transport: timer.transport(transport(`feed${k}`)), clock, retryMs: 60_000 }));
  while (rs.some((r) => r.sync.getState().phase !== 'live')) await drain();
  await settle(items);
  timer.start();
  for (let i = 0; i < BURST; i++) await rs[i % rs.length]!.actions.toggle((i * 7919) % items).applied;
  while (rs.some((r) => r.sync.getState().version !== host.version())) await drain();
  const burstTask = timer.longest();
  timer.start();
  joiner.start();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const late = createReplica(define(0), { transport: joiner.transport(transport('late')), clock: joiner.clock(), retryMs: 60_000 });
  while (late.sync.getState().phase !== 'live') await drain();
  const joinMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  // The trailing beats (six, 200 ms apart) and what replicas do with them.
  await sleep(1400);
  const afterTask = [timer.longest(), joiner.longest()].reduce((a, b) => (b.ms > a.ms ? b : a));
  late.close();
  rs.forEach((r) => r.close());
  host.close();
  await drain();
  return { joinMs, joinCpuMs: (cpu.user + cpu.system) / 1000, burstTask, afterTask };
}
