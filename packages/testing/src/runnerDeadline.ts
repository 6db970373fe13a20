// When the test runner will time out the running test, so the kit's own waits give up first and
// their precise message ("module 'feed' does not show …; it shows: …") is what the developer
// reads, not the runner's bare "Exceeded timeout of 5000 ms".

/** The part of Jest's (jest-circus) state the kit reads. */
interface CircusState {
  testTimeout?: number;
  currentlyRunningTest?: { startedAt?: number | null; timeout?: number } | null;
}

/** Margin left between the kit's failure and the runner's, for the rejection to reach the test. */
export const RUNNER_MARGIN_MS = 250;

function circusState(): CircusState | undefined {
  // jest-circus keeps its state under a private `Symbol('JEST_STATE_SYMBOL')` on the global; it is
  // not exported, so it is found by its description. Other runners have none: no deadline then.
  const symbol = Object.getOwnPropertySymbols(globalThis).find((s) => s.description === 'JEST_STATE_SYMBOL');
  const state = symbol ? (globalThis as Record<symbol, unknown>)[symbol] : undefined;
  return typeof state === 'object' && state !== null ? (state as CircusState) : undefined;
}

/**
 * The runner's deadline for the running test (epoch ms, from the test's start, hooks included) and
 * its timeout, or `undefined` outside a Jest test.
 */
export function runnerDeadline(): { at: number; timeoutMs: number } | undefined {
  const state = circusState();
  const test = state?.currentlyRunningTest;
  if (!test || typeof test.startedAt !== 'number') return undefined;
  const timeoutMs = test.timeout ?? state.testTimeout;
  if (typeof timeoutMs !== 'number' || !(timeoutMs > 0)) return undefined;
  return { at: test.startedAt + timeoutMs, timeoutMs };
}
