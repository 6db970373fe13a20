// Every Jest time limit in this repository is a hang guard, never a speed check: what a test waits
// for comes from the emulator's clock, or is an event (a process exiting, a page showing a text).
// A guard must not fire on a machine that is merely slow, so under CI (shared, loaded runners) every
// limit — the preset's testTimeout, a test's or hook's own timeout, the kit's spawn guards — is
// multiplied by one factor: 10, as two `npm test` side by side among other work (load ~20 on 2 cores)
// made the example's first test take over 120 s that takes 3 s idle. BGSTORE_TIMEOUT_FACTOR overrides
// it (1 where the machine is idle).
const inCi = !!process.env.CI && process.env.CI !== 'false' && process.env.CI !== '0';
const given = Number(process.env.BGSTORE_TIMEOUT_FACTOR);
const TIMEOUT_FACTOR = given > 0 ? given : inCi ? 10 : 1;
// Jest's workers and the Jest children some tests spawn inherit it, so all agree on one factor.
process.env.BGSTORE_TIMEOUT_FACTOR = String(TIMEOUT_FACTOR);

/**
 * A test environment class that multiplies each test's and hook's own timeout (`it(name, fn, ms)`,
 * `beforeAll(fn, ms)`) by the factor before jest-circus reads it; the default testTimeout is
 * multiplied in the preset.
 */
function withHangGuard(Base) {
  const scaled = new WeakSet();
  return class HangGuardEnvironment extends Base {
    async handleTestEvent(event, state) {
      const item = event.name === 'test_start' ? event.test : event.name === 'hook_start' ? event.hook : undefined;
      // A retried test starts again: its timeout is multiplied once.
      if (item && typeof item.timeout === 'number' && !scaled.has(item)) {
        scaled.add(item);
        item.timeout *= TIMEOUT_FACTOR;
      }
      await super.handleTestEvent?.(event, state);
    }
  };
}

module.exports = { TIMEOUT_FACTOR, withHangGuard };
