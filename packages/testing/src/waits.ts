import { RUNNER_MARGIN_MS, runnerDeadline } from './runnerDeadline';

/** How long a wait lasts when neither the app nor the call says, outside a test runner. */
export const DEFAULT_WAIT_MS = 5000;
const POLL_MS = 20;

// Jest's fake timers replace Date.now; the kit measures real time, as the runner's deadline does.
const now: () => number = (globalThis as Record<symbol, unknown>)[Symbol.for('jest-native-now')] as (() => number) | undefined ?? Date.now;

/** Options of {@link createWaits}. */
export interface WaitsOptions {
  /** The app's `timeoutMs`, if it set one. */
  timeoutMs: number | undefined;
  /** A setup error that fails every wait at once (a storage entity missing, a host that cannot load). */
  fatal(): Error | undefined;
  /** What the page's modules reported, appended to a failure ('' when nothing). */
  diagnostics(): string;
}

/** The waits of one rendered app: retried assertions, woken by renders, stopped when the app closes. */
export interface Waits {
  waitFor<T>(assertion: () => T | Promise<T>, options?: { timeoutMs?: number }): Promise<T>;
  /** Re-runs every pending assertion now (after a render). */
  wake(): void;
  /** Fails every pending and future wait with `error` (the app was closed). */
  stop(error: Error): void;
}

/**
 * The limit of one wait. Asked for: that, cut to end before the runner times the test out. Not
 * asked for, under Jest: until just before the runner's deadline — the wait is for an event, and
 * the test's timeout is the one hang guard, so a slow machine does not fail a correct test.
 */
function limitOf(requested: number | undefined): { ms: number; note: string } {
  const deadline = runnerDeadline();
  if (!deadline) return { ms: requested ?? DEFAULT_WAIT_MS, note: '' };
  const left = Math.max(0, deadline.at - now() - RUNNER_MARGIN_MS);
  if (requested === undefined) return { ms: left, note: ` (until the test runner's ${deadline.timeoutMs} ms test timeout, counted from the test's start)` };
  if (left >= requested) return { ms: requested, note: '' };
  return {
    ms: left,
    note: ` (cut from ${requested} ms to end before the test runner's ${deadline.timeoutMs} ms test timeout, counted from the test's start; raise testTimeout in jest.config.js or give the test a longer timeout)`,
  };
}

/** Creates the waits of one app. */
export function createWaits(options: WaitsOptions): Waits {
  const wakers = new Set<() => void>();
  let stopped: Error | undefined;
  const blocker = () => stopped ?? options.fatal();

  function waitFor<T>(assertion: () => T | Promise<T>, waitOptions: { timeoutMs?: number } = {}): Promise<T> {
    const limit = limitOf(waitOptions.timeoutMs ?? options.timeoutMs);
    const started = now();
    return new Promise<T>((resolve, reject) => {
      let timer: ReturnType<typeof setTimeout> | undefined;
      let running = false;
      let again = false;
      const done = () => {
        wakers.delete(attempt);
        if (timer) clearTimeout(timer);
      };
      const attempt = async () => {
        if (running) return void (again = true);
        running = true;
        let lastError: unknown;
        do {
          again = false;
          const blocked = blocker();
          if (blocked) return done(), reject(blocked);
          try {
            const value = await assertion();
            return done(), resolve(value);
          } catch (error) {
            lastError = error;
          }
        } while (again);
        running = false;
        if (now() - started >= limit.ms) {
          done();
          const message = lastError instanceof Error ? lastError.message : String(lastError);
          reject(Object.assign(new Error(`[bgstore/testing] still failing after ${limit.ms} ms${limit.note}: ${message}${options.diagnostics()}`), { cause: lastError }));
          return;
        }
        if (timer) clearTimeout(timer);
        timer = setTimeout(() => void attempt(), Math.min(POLL_MS, Math.max(0, limit.ms - (now() - started))));
      };
      wakers.add(attempt);
      void attempt();
    });
  }

  return {
    waitFor,
    wake: () => [...wakers].forEach((w) => void w()),
    stop(error) {
      stopped ??= error;
      [...wakers].forEach((w) => void w());
    },
  };
}
