import { kvs } from '@forge/kvs';
import { createManualClock } from '../clock';
import { createKvsFaults, type KvsFault } from './faults';
import { kvsFailure } from './kvsTestKit';
import { createKvsFetch } from './forgeFetch';

const g = globalThis as { __forge_fetch__?: unknown };

afterEach(() => {
  delete g.__forge_fetch__;
});

describe('KVS faults', () => {
  it('gives 429 RATE_LIMIT_EXCEEDED through the real client and writes nothing', async () => {
    const fetch = createKvsFetch({ clock: createManualClock(), faults: createKvsFaults({ seed: 1, rateLimitRate: 1 }) });
    g.__forge_fetch__ = fetch;
    const err = await kvsFailure(kvs.set('a', 1));
    expect(err.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(err.responseDetails.status).toBe(429);
    expect(fetch.dump()).toEqual({});
    expect(fetch.stats().faults.failed).toBe(1);
  });

  it('turns faults on and off on a running store', async () => {
    const fetch = createKvsFetch({ clock: createManualClock() });
    g.__forge_fetch__ = fetch;
    await kvs.set('a', 1);
    fetch.setFaults(createKvsFaults({ seed: 1, failRate: 1 }));
    expect((await kvsFailure(kvs.set('a', 2))).code).toBe('INTERNAL_SERVER_ERROR');
    fetch.setFaults(undefined);
    await kvs.set('a', 3);
    expect(await kvs.get('a')).toBe(3);
  });

  it('gives 500 INTERNAL_SERVER_ERROR for injected failures', async () => {
    g.__forge_fetch__ = createKvsFetch({ clock: createManualClock(), faults: createKvsFaults({ seed: 1, failRate: 1 }) });
    expect((await kvsFailure(kvs.get('a'))).code).toBe('INTERNAL_SERVER_ERROR');
  });

  it('applies a write whose response is lost', async () => {
    const fetch = createKvsFetch({ clock: createManualClock(), faults: createKvsFaults({ seed: 1, lostResponseRate: 1 }) });
    g.__forge_fetch__ = fetch;
    const err = await kvsFailure(kvs.transact().set('a', 1).set('b', 2).execute());
    expect(err.responseDetails.status).toBe(500);
    expect(fetch.dump()).toEqual({ kv: { a: 1, b: 2 } });
    expect(fetch.stats()).toMatchObject({ writes: 1, faults: { lostResponses: 1 } });
  });

  it('waits for the manual clock before answering', async () => {
    const clock = createManualClock();
    g.__forge_fetch__ = createKvsFetch({ clock, faults: createKvsFaults({ seed: 1, latencyMs: 100 }) });
    let done = false;
    const p = kvs.set('a', 1).then(() => (done = true));
    await clock.advanceAsync(99);
    expect(done).toBe(false);
    await clock.advanceAsync(1);
    await p;
    expect(done).toBe(true);
  });

  it('produces identical faults for the same seed', () => {
    const schedule = (seed: number) => {
      const faults = createKvsFaults({ seed, failRate: 0.2, rateLimitRate: 0.2, lostResponseRate: 0.2, latencyMs: [0, 50] });
      return Array.from({ length: 200 }, (_, i) => faults({ path: '/api/v1/set', body: { key: `k${i}` } }));
    };
    const a = schedule(42);
    expect(schedule(42)).toEqual(a);
    expect(schedule(43)).not.toEqual(a);
    const kinds = (list: Array<KvsFault | undefined>, pred: (f: KvsFault | undefined) => boolean) => list.filter(pred).length;
    expect(kinds(a, (f) => f !== undefined && 'code' in f && f.code === 'RATE_LIMIT_EXCEEDED')).toBeGreaterThan(0);
    expect(kinds(a, (f) => f !== undefined && 'loseResponse' in f)).toBeGreaterThan(0);
  });

  it('faults only the paths it is told to', async () => {
    const fetch = createKvsFetch({ clock: createManualClock(), faults: createKvsFaults({ seed: 1, failRate: 1, paths: (p) => p.endsWith('/get') }) });
    g.__forge_fetch__ = fetch;
    await kvs.set('a', 1);
    expect((await kvsFailure(kvs.get('a'))).code).toBe('INTERNAL_SERVER_ERROR');
  });

  it('accepts a hand-written fault hook', async () => {
    const fetch = createKvsFetch({
      clock: createManualClock(),
      faults: ({ path, body }) => (path === '/api/v1/set' && (body as { key: string }).key === 'x' ? { status: 503, code: 'SERVICE_UNAVAILABLE' } : undefined),
    });
    g.__forge_fetch__ = fetch;
    await kvs.set('y', 1);
    const err = await kvsFailure(kvs.set('x', 1));
    expect([err.code, err.responseDetails.status]).toEqual(['SERVICE_UNAVAILABLE', 503]);
  });
});
