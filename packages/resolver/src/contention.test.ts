import { SyncError } from '@bgstore/protocol';
import { retryContended, retryDelay } from './contention';

// The commit's retry loop on its own, with time injected: the waits it asks for, when it gives up,
// and what it never retries. (registerStores' tests cover it end to end against the emulator.)
const lostRace = Object.assign(new Error('head moved'), { code: 'CONDITIONAL_CHECK_FAILED' });
const isLostRace = (error: unknown) => error === lostRace;

function clockAndSleep() {
  let now = 0;
  const waits: number[] = [];
  return { waits, clock: () => now, sleep: async (ms: number) => void (waits.push(ms), (now += ms)) };
}

describe('the contention loop', () => {
  it('waits a jittered, doubling time after each lost race, hands the batch on each time, and answers STORAGE_BUSY once the budget is spent', async () => {
    const time = clockAndSleep();
    let handedOn = 0;
    const attempt = () => Promise.reject(lostRace);
    const run = retryContended(attempt, { maxAttempts: 6, budgetMs: 2000, retryDelayMs: 50, isLostRace, onLostRace: async () => void handedOn++, random: () => 1, ...time });
    await expect(run).rejects.toMatchObject({ code: 'STORAGE_BUSY', message: expect.stringMatching(/\d+ other commits won the race in 2\d{3} ms/) });
    expect(time.waits.slice(0, 6)).toEqual([50, 100, 200, 400, 800, 1000]);
    expect(handedOn).toBe(time.waits.length);
  });

  it('backs off after storage failures and gives the last one back after maxAttempts', async () => {
    const time = clockAndSleep();
    const failure = new Error('storage down');
    let attempts = 0;
    const attempt = () => (attempts++, Promise.reject(failure));
    await expect(retryContended(attempt, { maxAttempts: 6, budgetMs: 10_000, retryDelayMs: 50, isLostRace, ...time })).rejects.toBe(failure);
    expect(attempts).toBe(6);
    expect(time.waits).toEqual([50, 100, 200, 400, 800]);
  });

  it('never retries a refusal, and answers as soon as an attempt does', async () => {
    const time = clockAndSleep();
    const refusal = new SyncError('TOO_LARGE', '[bgstore] too large');
    await expect(retryContended(() => Promise.reject(refusal), { maxAttempts: 6, budgetMs: 10_000, retryDelayMs: 50, isLostRace, ...time })).rejects.toBe(refusal);
    let tries = 0;
    const answer = await retryContended(() => (++tries < 3 ? Promise.reject(lostRace) : Promise.resolve('stored')), { maxAttempts: 1, budgetMs: 10_000, retryDelayMs: 50, isLostRace, random: () => 0.5, ...time });
    expect(answer).toBe('stored');
    expect(time.waits).toEqual([25, 50]);
  });

  it('#17 waits as the caller says after a race when it says (a batch waiting in the inbox checks on its own schedule), and its own way otherwise', async () => {
    const time = clockAndSleep();
    let tries = 0;
    const raceWait = (n: number) => (n === 2 ? undefined : 300 + n);
    await retryContended(() => (++tries < 4 ? Promise.reject(lostRace) : Promise.resolve('stored')), { maxAttempts: 1, budgetMs: 10_000, retryDelayMs: 50, isLostRace, raceWait, random: () => 0.5, ...time });
    expect(time.waits).toEqual([301, 50, 303]);
  });

  it('caps both waits: 2 s after failures, 1 s after races', () => {
    expect(retryDelay('failure', 20, 50)).toBe(2000);
    expect(retryDelay('race', 20, 50, () => 0.999)).toBeLessThan(1000);
  });
});
