import { createRandom } from '@bgstore/emulator';
import { feed, host, setup } from './harness';

describe('durable state on the emulator with the real @forge/resolver and @forge/kvs', () => {
  it('#11.10 stops at once when the storage entity is missing from the manifest, and the feed says what to add', async () => {
    const t = setup(1, false, undefined, []);
    try {
      const page = t.open();
      await page.start();
      await t.clock.advanceAsync(2000);
      expect(host(page).stats().phase).toBe('failed');
      expect(feed(page).sync.getState().lastError).toMatchObject({ code: 'MISCONFIGURED', message: expect.stringContaining('manifest.yml') });
      await expect(feed(page).actions.add('c1', 'x')).rejects.toMatchObject({ code: 'MISCONFIGURED' });
    } finally {
      t.close();
    }
  }, 60_000);

  it('survives a background-script restart; the feed sees loading, then the stored state', async () => {
    const t = setup(1);
    try {
      const page = t.open();
      await page.start();
      const added = feed(page).actions.add('c1', 'kept');
      await t.clock.advanceAsync(1000);
      await added;
      expect((await t.stored()).state.cards).toEqual([{ id: 'c1', title: 'kept' }]);
      await page.restart('bg');
      await page.restart('feed');
      expect(feed(page).sync.getState().phase).toBe('connecting');
      await t.clock.advanceAsync(1000);
      expect(feed(page).sync.getState()).toMatchObject({ phase: 'live', durable: { revision: 1, unsaved: 0 } });
      expect(feed(page).getState().cards).toEqual([{ id: 'c1', title: 'kept' }]);
    } finally {
      t.close();
    }
  });

  it.each([
    [2, 11],
    [5, 12],
  ])('converges %i concurrent pages on one stored state, every accepted action applied once, through storage and invoke faults (seed %i)', async (n, seed) => {
    const t = setup(seed, true);
    try {
      const pages = Array.from({ length: n }, (_, i) => t.open(`user-${i % 2}`));
      for (const p of pages) await p.startShuffled();
      const random = createRandom(seed);
      const calls: { id: string; result: Promise<string> }[] = [];
      for (let i = 0; i < 40; i++) {
        const page = pages[random.int(0, n - 1)]!;
        const id = `op${i}`;
        calls.push({ id, result: feed(page).actions.add(id, `card ${i}`).then(() => 'saved', (e: { code: string }) => e.code) });
        await t.clock.advanceAsync(random.int(0, 80));
      }
      // Faults stop; time passes until every call settled and every host has caught up.
      t.kvs.setFaults(undefined);
      pages.forEach((p) => p.setInvokeFaults(undefined));
      let revision = -1;
      for (let step = 0; step < 200; step++) {
        await t.clock.advanceAsync(250);
        revision = (await t.stored()).revision;
        const settled = (await Promise.all(calls.map((c) => Promise.race([c.result, Promise.resolve('pending')])))).every((r) => r !== 'pending');
        if (settled && pages.every((p) => host(p).stats().durable?.revision === revision && host(p).stats().durable?.unsaved === 0)) break;
      }
      const outcomes = await Promise.all(calls.map((c) => c.result));
      expect(outcomes.every((o) => o === 'saved')).toBe(true);
      const { state } = await t.stored();
      expect([...state.log].sort()).toEqual(calls.map((c) => c.id).sort());
      for (const p of pages) {
        expect(host(p).getState()).toEqual(state);
        await t.clock.advanceAsync(500);
        expect(feed(p).getState()).toEqual(state);
      }
    } finally {
      t.close();
    }
  }, 60_000);

  it.each([
    [false, 'waits for the next periodic check'],
    [true, 'learns it at once from the Realtime hint'],
  ])('with realtimeHint %s, another tab %s', async (hint) => {
    const t = setup(3, false, { revisionCheckMs: 60_000, realtimeHint: hint });
    try {
      const [a, b] = [t.open('alice'), t.open('bob')];
      await a.start();
      await b.start();
      await t.clock.advanceAsync(500);
      const added = feed(a).actions.add('from-a', 'hello');
      await t.clock.advanceAsync(1000);
      await added;
      expect(feed(b).getState().cards.map((c) => c.id)).toEqual(hint ? ['from-a'] : []);
      await t.clock.advanceAsync(60_000);
      expect(feed(b).getState().cards.map((c) => c.id)).toEqual(['from-a']);
    } finally {
      t.close();
    }
  });

  it('#14 with realtimeHint but Realtime unavailable, falls back to checking storage every fallbackCheckMs', async () => {
    const unavailable = { publishGlobal: () => Promise.reject(new Error('no Realtime')), subscribeGlobal: () => Promise.reject(new Error('no Realtime')) };
    const t = setup(4, false, { revisionCheckMs: 60_000, realtimeHint: { fallbackCheckMs: 1000 }, realtime: unavailable });
    try {
      const [a, b] = [t.open('alice'), t.open('bob')];
      await a.start();
      await b.start();
      await t.clock.advanceAsync(2500); // past the check a host makes 2 s after loading
      const added = feed(a).actions.add('from-a', 'hello');
      await t.clock.advanceAsync(300);
      await added;
      // The periodic check is a minute away; the fallback polls every second.
      await t.clock.advanceAsync(1000);
      expect(feed(b).getState().cards.map((c) => c.id)).toEqual(['from-a']);
    } finally {
      t.close();
    }
  });
});
