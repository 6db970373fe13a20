import type { Clock, TimerHandle } from '../clock';

type Callback = (...args: unknown[]) => unknown;

/** A realm's timer globals, driven by the realm's clock, and the switch that cancels them all. */
export interface RealmScheduler {
  /** `setTimeout` … `queueMicrotask`, to install as the realm's globals. */
  readonly globals: {
    setTimeout(fn: unknown, ms?: unknown, ...args: unknown[]): number;
    clearTimeout(id: unknown): void;
    setInterval(fn: unknown, ms?: unknown, ...args: unknown[]): number;
    clearInterval(id: unknown): void;
    setImmediate(fn: Callback, ...args: unknown[]): NodeJS.Immediate | undefined;
    clearImmediate(immediate: NodeJS.Immediate | undefined): void;
    queueMicrotask(fn: Callback): void;
  };
  /** Cancels pending timers and immediates; later ones are never scheduled, queued callbacks never run. */
  dispose(): void;
}

/**
 * Timers for one realm: `setTimeout`/`setInterval` run on `clock`, immediates and microtasks on the
 * host's. A callback that throws goes to `report`, as a frame reports it on its `window`, and stops nothing.
 */
export function createRealmScheduler(clock: Clock, report: (error: unknown) => void): RealmScheduler {
  let disposed = false;

  const guard = (fn: Callback, args: unknown[]) => () => {
    if (disposed) return;
    try {
      fn(...args);
    } catch (error) {
      report(error);
    }
  };

  const timers = new Map<number, TimerHandle>();
  let nextTimerId = 1;
  const setTimer = (fn: unknown, ms: unknown, args: unknown[], repeat: boolean): number => {
    if (typeof fn !== 'function') throw new TypeError('[emulator] setTimeout/setInterval with a string of code is not supported in a realm');
    if (disposed) return 0;
    const id = nextTimerId++;
    const delay = Math.max(0, Number(ms) || 0);
    const run = guard(fn as Callback, args);
    const arm = () => {
      timers.set(
        id,
        clock.setTimeout(() => {
          if (!timers.has(id) || disposed) return;
          // An interval re-arms before running, so the callback can clear it.
          if (repeat) arm();
          else timers.delete(id);
          run();
        }, delay),
      );
    };
    arm();
    return id;
  };
  const clearTimer = (id: unknown) => {
    const handle = timers.get(Number(id));
    if (!handle) return;
    timers.delete(Number(id));
    clock.clearTimeout(handle);
  };

  const immediates = new Set<NodeJS.Immediate>();
  const realmSetImmediate = (fn: Callback, ...args: unknown[]) => {
    if (disposed) return undefined;
    const run = guard(fn, args);
    const immediate = setImmediate(() => {
      immediates.delete(immediate);
      run();
    });
    immediates.add(immediate);
    return immediate;
  };
  const realmClearImmediate = (immediate: NodeJS.Immediate | undefined) => {
    if (!immediate || !immediates.delete(immediate)) return;
    clearImmediate(immediate);
  };

  return {
    globals: {
      setTimeout: (fn: unknown, ms?: unknown, ...args: unknown[]) => setTimer(fn, ms, args, false),
      clearTimeout: clearTimer,
      setInterval: (fn: unknown, ms?: unknown, ...args: unknown[]) => setTimer(fn, ms, args, true),
      clearInterval: clearTimer,
      setImmediate: realmSetImmediate,
      clearImmediate: realmClearImmediate,
      queueMicrotask: (fn: Callback) => {
        if (!disposed) queueMicrotask(guard(fn, []));
      },
    },
    dispose() {
      disposed = true;
      for (const handle of timers.values()) clock.clearTimeout(handle);
      timers.clear();
      for (const immediate of immediates) clearImmediate(immediate);
      immediates.clear();
    },
  };
}
