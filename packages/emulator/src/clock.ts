/** A source of time and timers. The emulator never reads the wall clock directly. */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** An opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = { readonly id: number };

/** The real clock: `Date.now` and the host's timers. */
export function createRealClock(): Clock {
  const timers = new Map<number, ReturnType<typeof setTimeout>>();
  let nextId = 1;
  return {
    now: () => Date.now(),
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(
        id,
        setTimeout(() => {
          timers.delete(id);
          fn();
        }, ms),
      );
      return { id };
    },
    clearTimeout(handle) {
      const t = timers.get(handle.id);
      if (t !== undefined) clearTimeout(t);
      timers.delete(handle.id);
    },
  };
}

/** A clock that only moves when told to, for deterministic tests. */
export interface ManualClock extends Clock {
  /** Moves time forward by `ms`, firing due timers in time order (ties in creation order). */
  advance(ms: number): void;
  /**
   * Moves time forward by `ms` like {@link ManualClock.advance}, but lets promise callbacks run
   * between timers, so async work started by one timer settles before the next fires.
   */
  advanceAsync(ms: number): Promise<void>;
  /** Fires every pending timer, including ones scheduled while running, up to `limit` timers. */
  runAll(limit?: number): Promise<void>;
  /** Number of timers waiting to fire. */
  pending(): number;
}

/**
 * Creates a {@link ManualClock} starting at `start` ms.
 * @example
 * const clock = createManualClock();
 * clock.setTimeout(() => console.log('later'), 100);
 * clock.advance(100); // logs "later"
 */
export function createManualClock(start = 0): ManualClock {
  let now = start;
  let nextId = 1;
  const timers = new Map<number, { at: number; fn: () => void }>();

  function nextDue(until: number): [number, { at: number; fn: () => void }] | undefined {
    let best: [number, { at: number; fn: () => void }] | undefined;
    for (const entry of timers) {
      if (entry[1].at > until) continue;
      if (!best || entry[1].at < best[1].at || (entry[1].at === best[1].at && entry[0] < best[0])) best = entry;
    }
    return best;
  }

  const flushMicrotasks = async () => {
    for (let i = 0; i < 20; i++) await Promise.resolve();
    // A macrotask turn, so I/O-free async work queued behind promises also runs (setImmediate
    // in Node; a zero timeout where it is missing, as in browsers and jsdom).
    await new Promise<void>((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
  };

  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++;
      timers.set(id, { at: now + Math.max(0, ms || 0), fn });
      return { id };
    },
    clearTimeout(handle) {
      timers.delete(handle.id);
    },
    advance(ms) {
      const until = now + ms;
      for (let due = nextDue(until); due; due = nextDue(until)) {
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].fn();
      }
      now = until;
    },
    async advanceAsync(ms) {
      const until = now + ms;
      await flushMicrotasks();
      for (let due = nextDue(until); due; due = nextDue(until)) {
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].fn();
        await flushMicrotasks();
      }
      now = until;
    },
    async runAll(limit = 100_000) {
      await flushMicrotasks();
      for (let fired = 0; timers.size > 0; fired++) {
        if (fired >= limit) throw new Error(`[emulator] runAll fired ${limit} timers and timers remain; a timer loop never settles`);
        const due = nextDue(Infinity)!;
        timers.delete(due[0]);
        now = Math.max(now, due[1].at);
        due[1].fn();
        await flushMicrotasks();
      }
    },
    pending: () => timers.size,
  };
}
