// #20.1 One retry policy module: every wait bgstore retries after is a named policy, computed by
// one pure function from an injected random source.
import { RETRY_POLICIES, retryDelay } from '.';

const never = () => {
  throw new Error('random called for a policy without jitter');
};

describe('#20.1 retry policies', () => {
  it('storage failures: 500 ms doubling to 30 s, ±20 % from the injected source, whole ms', () => {
    const p = RETRY_POLICIES.storage;
    expect([0, 1, 2, 5, 6, 40].map((n) => retryDelay(p, n, () => 0.5))).toEqual([500, 1000, 2000, 16_000, 30_000, 30_000]);
    expect(retryDelay(p, 0, () => 0)).toBe(400);
    expect(retryDelay(p, 0, () => 0.999999)).toBe(600);
    expect(retryDelay({ ...p, baseMs: 100 }, 2, () => 0.3)).toBe(Math.round(400 * (0.8 + 0.4 * 0.3)));
  });

  it('a busy store: 1–3 times the base, whatever the attempt', () => {
    const p = { ...RETRY_POLICIES.storageBusy, baseMs: 700 };
    expect([0, 3, 30].map((n) => retryDelay(p, n, () => 0))).toEqual([700, 700, 700]);
    expect(retryDelay(p, 9, () => 0.5)).toBe(1400);
  });

  it('policies without jitter never ask for a random number', () => {
    expect([0, 1, 2, 6, 7].map((n) => retryDelay(RETRY_POLICIES.hello, n, never))).toEqual([100, 200, 400, 5000, 5000]);
    expect(retryDelay(RETRY_POLICIES.buildMismatch, 4, never)).toBe(30_000);
    expect(retryDelay(RETRY_POLICIES.resendIntent, 4, never)).toBe(500);
    expect(retryDelay(RETRY_POLICIES.askSaved, 0, never)).toBe(5 * RETRY_POLICIES.resendIntent.baseMs);
  });

  it("expresses the resolver's two loops: failures min(2000, d·2^(n−1)), lost races random·min(1000, d/2·2^races)", () => {
    const d = 50;
    for (let failures = 1; failures <= 8; failures++) expect(retryDelay({ ...RETRY_POLICIES.resolverFailure, baseMs: d }, failures - 1, never)).toBe(Math.min(2000, d * 2 ** (failures - 1)));
    for (let races = 0; races <= 8; races++) {
      const r = (races + 0.5) / 10;
      expect(retryDelay({ ...RETRY_POLICIES.resolverContention, baseMs: d / 2 }, races, () => r)).toBeCloseTo(r * Math.min(1000, (d / 2) * 2 ** races), 9);
    }
  });

  it('is a pure function of its inputs: the same seed gives the same waits', () => {
    const seeded = (seed: number) => () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    const waits = (random: () => number) => Array.from({ length: 10 }, (_, n) => retryDelay(RETRY_POLICIES.storage, n, random));
    expect(waits(seeded(7))).toEqual(waits(seeded(7)));
  });
});
