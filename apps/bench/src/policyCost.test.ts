// #21 what a server policy costs a commit: the bench's scenario (policyCost.ts) on the emulator's
// clock. Counts are asserted, never wall-clock time; the 50 ms product call is emulator time.
import { createManualClock } from '@bgstore/emulator';
import { policyCost, type PolicyKind } from './policyCost';

/** Runs the scenario with the product call on the emulator's clock; returns its figures and the emulator time each commit took. */
async function run(kind: PolicyKind, intentsPerCommit: number) {
  const clock = createManualClock();
  const productCall = (accountId: string) => new Promise<boolean>((resolve) => clock.setTimeout(() => resolve(accountId !== ''), 50));
  const waited: number[] = [];
  const settle = async <T>(answer: Promise<T>) => {
    let done = false;
    void answer.finally(() => (done = true));
    const from = clock.now();
    // Let the resolver's storage calls run, then move the emulator's clock until the answer comes.
    for (let i = 0; i < 5 && !done; i++) await new Promise((resolve) => setImmediate(resolve));
    while (!done) await clock.advanceAsync(10);
    waited.push(clock.now() - from);
    return answer;
  };
  const figures = await policyCost({ kind, intentsPerCommit, commits: 6, productCall, clock, settle });
  return { figures, waited };
}

describe('#21 async policies in the bench: calls per commit', () => {
  it.each([1, 10])('#21 an async policy makes at most one product call per caller per commit (%i intents a commit)', async (intents) => {
    const { figures, waited } = await run('async', intents);
    expect(figures).toMatchObject({ authorizeCallsPerCommit: intents, productCallsPerCommit: 1, maxProductCallsPerCallerCommit: 1, refused: 0 });
    // Each commit waited for its product call (50 ms of emulator time), once.
    expect(waited.every((ms) => ms >= 50 && ms < 100)).toBe(true);
  });

  it('#21 without `once`, the async check runs once per distinct intent — all at once, so a commit still waits for one check', async () => {
    const { figures, waited } = await run('async-per-intent', 10);
    expect(figures).toMatchObject({ authorizeCallsPerCommit: 10, productCallsPerCommit: 10, maxProductCallsPerCallerCommit: 10, refused: 0 });
    expect(waited.every((ms) => ms >= 50 && ms < 100)).toBe(true);
  });

  it('#21 no policy and a sync policy make no product call and wait for no timer', async () => {
    for (const kind of ['none', 'sync'] as const) {
      const { figures, waited } = await run(kind, 10);
      expect({ kind, ...figures, msPerCommit: undefined }).toEqual({ kind, msPerCommit: undefined, authorizeCallsPerCommit: kind === 'sync' ? 10 : 0, productCallsPerCommit: 0, maxProductCallsPerCallerCommit: 0, refused: 0 });
      expect(waited.every((ms) => ms === 0)).toBe(true);
    }
  });
});
