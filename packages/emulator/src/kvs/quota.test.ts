import { kvs } from '@forge/kvs';
import { createManualClock, type ManualClock } from '../clock';
import { createSite, type Site, type SiteOptions } from '../site';
import { createKvsFetch } from './forgeFetch';
import { kvsFailure } from './kvsTestKit';

let restore: (() => void) | undefined;
afterEach(() => restore?.());

function site(quotas: SiteOptions['quotas'] = true): { site: Site; clock: ManualClock } {
  const clock = createManualClock();
  const s = createSite({ clock, forgeFetch: createKvsFetch({ clock }), quotas });
  restore = s.installForgeFetch();
  return { site: s, clock };
}

/** `count` calls of `fn`, at most `perSecond` in each second of the emulator's clock. */
async function paced(clock: ManualClock, count: number, perSecond: number, fn: (i: number) => Promise<unknown>) {
  for (let i = 0; i < count; i++) {
    if (i > 0 && i % perSecond === 0) clock.advance(1000);
    await fn(i);
  }
}

describe('#17.1 KVS quotas per installation, through the real @forge/kvs', () => {
  it('passes 1,000 requests in a second, answers the next with 429 RATE_LIMIT_EXCEEDED, and opens the next second', async () => {
    const { site: s, clock } = site();
    for (let i = 0; i < 1000; i++) await kvs.get(`k${i}`);
    const err = await kvsFailure(kvs.get('one-more'));
    expect(err.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(err.responseDetails.status).toBe(429);
    expect(s.quota.snapshot().throttled).toEqual({ kvsRequests: 1 });
    clock.advance(1000);
    await expect(kvs.get('next-second')).resolves.toBeUndefined();
    expect(s.quota.snapshot().windows.kvsRequests).toEqual({ used: 1, limit: 1000, resetsAt: 2000 });
  });

  it('passes 4,000 write units in a minute, refuses the next write, and resets on the minute', async () => {
    const { site: s, clock } = site();
    await paced(clock, 4000, 1000, (i) => kvs.set(`k${i}`, i));
    expect(s.quota.snapshot().windows.kvsWriteUnits.used).toBe(4000);
    clock.advance(1000); // a fresh second: only the minute's units are spent
    expect((await kvsFailure(kvs.set('over', 1))).code).toBe('RATE_LIMIT_EXCEEDED');
    expect(s.quota.snapshot().throttled.kvsWriteUnits).toBe(1);
    // Reads have their own budget.
    await expect(kvs.get('k1')).resolves.toBe(1);
    clock.advance(60_000 - clock.now());
    await kvs.set('over', 1);
    expect(await kvs.get('over')).toBe(1);
  });

  it('sizes a write by its request body in 10 KB units (≤ 10 KB = 1, 65 KB = 7) and a read by its answer', async () => {
    const { site: s } = site();
    await kvs.set('small', 'x'.repeat(10_000));
    expect(s.quota.snapshot().totals.kvsWriteUnits).toBe(1);
    await kvs.set('big', 'x'.repeat(65 * 1024 - 100));
    expect(s.quota.snapshot().totals.kvsWriteUnits).toBe(1 + 7);
    await kvs.get('big');
    await kvs.get('absent');
    expect(s.quota.snapshot().totals).toMatchObject({ kvsReads: 2, kvsReadUnits: 7 + 1 });
  });

  it('counts a batch or a transaction as one request', async () => {
    const { site: s } = site();
    await kvs.batchSet(Array.from({ length: 25 }, (_, i) => ({ key: `b${i}`, value: i })));
    await kvs.transact().set('t1', 1).set('t2', 2).execute();
    await kvs.batchGet(Array.from({ length: 25 }, (_, i) => ({ key: `b${i}` })));
    expect(s.quota.snapshot().totals).toMatchObject({ kvsRequests: 3, kvsWrites: 2, kvsReads: 1 });
  });

  it('passes reads while under 4,000 units, refuses the read after the minute is spent, and resets on the minute', async () => {
    const { site: s, clock } = site();
    await kvs.set('doc', 'x'.repeat(100 * 1024 - 200)); // an answer of 10 units
    for (let i = 0; i < 400; i++) await kvs.get('doc');
    expect(s.quota.snapshot().windows.kvsReadUnits).toEqual({ used: 4000, limit: 4000, resetsAt: 60_000 });
    expect((await kvsFailure(kvs.get('doc'))).code).toBe('RATE_LIMIT_EXCEEDED');
    await kvs.set('writes-still-pass', 1);
    clock.advance(60_000);
    await expect(kvs.get('writes-still-pass')).resolves.toBe(1);
  });

  it('only counts when quotas are switched off', async () => {
    const { site: s } = site(false);
    for (let i = 0; i < 1100; i++) await kvs.get(`k${i}`);
    expect(s.quota.snapshot()).toMatchObject({ enforcing: false, throttled: {}, totals: { kvsRequests: 1100 } });
  });

  it('enforces overridden limits', async () => {
    site({ limits: { kvsWriteUnitsPerMinute: 2 } });
    await kvs.set('a', 1);
    await kvs.set('b', 1);
    expect((await kvsFailure(kvs.set('c', 1))).code).toBe('RATE_LIMIT_EXCEEDED');
  });
});
