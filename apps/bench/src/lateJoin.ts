// A late join after a burst (issue 22.1): N live replicas, 25 actions, then a new replica joins while
// the burst's trailing beats (one with the state's digest) reach the others. Measures the join, and
// the longest main-thread task a replica ran (a message handled or a timer): during the burst
// (applying patches), and after it (beats, digest checks and slices, on every replica and the joiner).
import { readFileSync } from 'node:fs';
import { createHost, systemClock, type Clock, type Transport } from '@bgstore/core';
import { createReplica } from './replicas';
import { benchStore, createBusWorld, drain, settle } from './systems';

const BURST = 25;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A task: how long it ran, and what it was (`message <wire tag>` or `timer`). */
export interface Task {
  ms: number;
  /** The process's CPU time over it (background GC and compiler threads included). */
  cpuMs: number;
  /**
   * The main thread's own CPU time over it (Linux; else the process's): what the task cost the
   * module's thread, without the time it waited for a core on a busy machine nor other threads' work.
   */
  threadMs: number;
  /**
   * `ms` less the garbage-collection pauses inside it: here one heap holds the host and every
   * replica (11 states of 100,000 items), so a pause any of them caused lands in whichever task runs.
   */
  netMs: number;
  what: string;
}

const NO_TASK: Task = { ms: 0, cpuMs: 0, threadMs: 0, netMs: 0, what: '' };

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
/** The main thread's CPU time so far, in ms (its scheduler's run time, in ns, on Linux). */
function threadCpuMs(): number {
  try {
    return Number(readFileSync(SCHEDSTAT, 'latin1').split(' ')[0]) / 1e6;
  } catch {
    const c = process.cpuUsage();
    return (c.user + c.system) / 1000;
  }
}

/** Garbage-collection pauses from now on, to take out of task times. */
function watchGc() {
  const pauses: { start: number; end: number }[] = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push({ start: e.startTime, end: e.startTime + e.duration });
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    /** The pause time inside [from, to]. */
    within: (from: number, to: number) => pauses.reduce((sum, p) => sum + Math.max(0, Math.min(to, p.end) - Math.max(from, p.start)), 0),
    stop: () => observer.disconnect(),
  };
}

const longer = (a: Task, b: Task, by: 'ms' | 'netMs' | 'threadMs') => (b[by] > a[by] ? b : a);

/** A window's longest task by wall time, by wall time less GC pauses, and by the main thread's CPU time. */
export interface Longest {
  wall: Task;
  net: Task;
  thread: Task;
}

/**
 * Times every synchronous entry into a replica: its message handlers and its timers. `skip` leaves
 * out tasks that are not the point (the joiner's snapshot: parsing the state is the join itself).
 */
export function createTaskTimer(skip: (what: string) => boolean = () => false, who = 'live') {
  let tasks: { t0: number; ms: number; cpuMs: number; threadMs: number; what: string }[] = [];
  let armed = false;
  const timed =
    <A extends unknown[]>(fn: (...args: A) => void, label: (...args: A) => string) =>
    (...args: A) => {
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const thread0 = armed ? threadCpuMs() : 0;
      try {
        fn(...args);
      } finally {
        const ms = performance.now() - t0;
        let what = armed && ms > 1 ? label(...args) : '';
        if (what && !skip(what)) {
          what = `${who} ${what}`;
          const cpu = process.cpuUsage(cpu0);
          tasks.push({ t0, ms, cpuMs: (cpu.user + cpu.system) / 1000, threadMs: threadCpuMs() - thread0, what });
        }
      }
    };
  return {
    transport: (t: Transport): Transport => ({ emit: t.emit, on: (event, handler) => t.on(event, timed(handler, (payload) => `message ${Array.isArray(payload) ? String(payload[2]) : '?'}`)) }),
    clock: (c: Clock = systemClock): Clock => ({ now: () => c.now(), setTimeout: (fn, ms) => c.setTimeout(timed(fn, () => 'timer'), ms), clearTimeout: (h) => c.clearTimeout(h) }),
    /** Starts a window: tasks are counted from now. */
    start() {
      tasks = [];
      armed = true;
    },
    /** The window's longest task by wall time, and by wall time less GC pauses (`gc` from `watchGc`, once its entries are in). */
    longest(gc: ReturnType<typeof watchGc>): Longest {
      const all = tasks.map((t): Task => ({ ms: t.ms, cpuMs: t.cpuMs, threadMs: t.threadMs, netMs: t.ms - gc.within(t.t0, t.t0 + t.ms), what: t.what }));
      const by = (key: 'ms' | 'netMs' | 'threadMs') => all.reduce((a, b) => longer(a, b, key), NO_TASK);
      return { wall: by('ms'), net: by('netMs'), thread: by('threadMs') };
    },
  };
}


export interface LateJoin {
  /** From the new replica's creation until it is live. */
  joinMs: number;
  /** The process's CPU time over the join (host and replicas share one thread here): less swayed by other load than `joinMs`. */
  joinCpuMs: number;
  /** The main thread's own CPU time over the join: the host's and the joiner's work, without the GC helper threads' nor waits for a core. */
  joinThreadMs: number;
  /** The longest task on a live replica during the burst (applying patches): by wall time, and less GC pauses. */
  burstTask: Longest;
  /** The longest task on any replica from the end of the burst until its trailing beats are over (beats, digest checks and slices; the joiner's snapshot excepted). */
  afterTask: Longest;
}

/** One run of the scenario; `define` gives the store's shape (the plain array by default). */
export async function lateJoinAfterBurst(items: number, replicas: number, define: (n: number) => ReturnType<typeof benchStore> = benchStore): Promise<LateJoin> {
  const { transport } = createBusWorld();
  const gc = watchGc();
  const host = createHost(define(items), { transport: transport('bg'), heartbeatMs: 60_000 });
  await host.ready;
  const timer = createTaskTimer();
  const joiner = createTaskTimer((what) => what === 'message c' || what === 'message s', 'joiner');
  const clock = timer.clock();
  const rs = Array.from({ length: replicas }, (_, k) => createReplica(define(0), { transport: timer.transport(transport(`feed${k}`)), clock, retryMs: 60_000 }));
  while (rs.some((r) => r.sync.getState().phase !== 'live')) await drain();
  await settle(items);
  timer.start();
  for (let i = 0; i < BURST; i++) await rs[i % rs.length]!.actions.toggle((i * 7919) % items).applied;
  while (rs.some((r) => r.sync.getState().version !== host.version())) await drain();
  await drain();
  const burstTask = timer.longest(gc);
  timer.start();
  joiner.start();
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  const thread0 = threadCpuMs();
  const late = createReplica(define(0), { transport: joiner.transport(transport('late')), clock: joiner.clock(), retryMs: 60_000 });
  while (late.sync.getState().phase !== 'live') await drain();
  const joinMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const joinThreadMs = threadCpuMs() - thread0;
  // The trailing beats (six, 200 ms apart) and what replicas do with them.
  await sleep(1400);
  const [live, joining] = [timer.longest(gc), joiner.longest(gc)];
  const afterTask = { wall: longer(live.wall, joining.wall, 'ms'), net: longer(live.net, joining.net, 'netMs'), thread: longer(live.thread, joining.thread, 'threadMs') };
  gc.stop();
  late.close();
  rs.forEach((r) => r.close());
  host.close();
  await drain();
  return { joinMs, joinCpuMs: (cpu.user + cpu.system) / 1000, joinThreadMs, burstTask, afterTask };
}
