import type { Clock } from './ports';

/**
 * The one scheduling primitive of bgstore. A peer's logic is a state machine that knows, as data,
 * when it next needs to act (hello retries, gap holds, call retries and timeouts, heartbeats,
 * debounced saves, backoff after failures, revision checks): `nextWake()` returns the earliest of
 * those times. The wake-up keeps one timer armed for it and calls `run` when it is due.
 *
 *     idle ──arm(t)──▶ armed(t) ──clock reaches t──▶ run() ──▶ arm(nextWake())
 *       ▲                 │ arm(t' < t): re-arm            │ nothing due: idle
 *       └─────close───────┴────────────────────────────────┘
 */
export interface Wakeup {
  /** Re-reads `nextWake()` and (re)arms the timer; call after every step of the machine. */
  arm(): void;
  close(): void;
}

export function createWakeup(clock: Clock, nextWake: () => number | undefined, run: () => void): Wakeup {
  let handle: unknown;
  let at: number | undefined;
  let closed = false;
  const clear = () => {
    if (handle !== undefined) clock.clearTimeout(handle);
    handle = undefined;
    at = undefined;
  };
  const arm = () => {
    if (closed) return;
    const next = nextWake();
    if (next === at) return;
    clear();
    if (next === undefined) return;
    at = next;
    handle = clock.setTimeout(() => {
      handle = undefined;
      at = undefined;
      if (closed) return;
      try {
        run();
      } finally {
        // Even if a step threw (a bug), the peer keeps its timer: it must not fall silent.
        arm();
      }
    }, Math.max(0, next - clock.now()));
  };
  return {
    arm,
    close() {
      closed = true;
      clear();
    },
  };
}
