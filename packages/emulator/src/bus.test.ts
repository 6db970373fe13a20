import { createEventBus, type BusMember, type DeliveryRecord } from './bus';
import { createManualClock } from './clock';
import { createRandom } from './random';

const member = (id: string, appId = 'app'): BusMember => ({ id, moduleKey: id.split('#')[0]!, appId });
const flush = async () => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function setup(options: Partial<Parameters<typeof createEventBus>[0]> = {}) {
  const clock = createManualClock();
  const bus = createEventBus({ clock, random: createRandom(7), ...options });
  return { clock, bus };
}

describe('event bus', () => {
  it('delivers a JSON copy to every subscriber, not the same object', async () => {
    const { bus } = setup();
    const got: unknown[] = [];
    bus.subscribe(member('feed#1'), 'x', (p) => got.push(p));
    const payload = { n: 1, nested: { list: [1, 2] }, gone: undefined };
    bus.emit(member('bg#1'), 'x', payload);
    await flush();
    expect(got).toEqual([{ n: 1, nested: { list: [1, 2] } }]);
    expect(got[0]).not.toBe(payload);
  });

  it('does not buffer: a module that subscribes after an emit misses it', async () => {
    const { bus } = setup();
    bus.emit(member('bg#1'), 'x', 1);
    const got: unknown[] = [];
    bus.subscribe(member('feed#1'), 'x', (p) => got.push(p));
    await flush();
    expect(got).toEqual([]);
    bus.emit(member('bg#1'), 'x', 2);
    await flush();
    expect(got).toEqual([2]);
  });

  it('stops delivering after unsubscribe, even to a delivery already in flight', async () => {
    const { bus, clock } = setup({ faults: { delay: 10 } });
    const got: unknown[] = [];
    const sub = bus.subscribe(member('feed#1'), 'x', (p) => got.push(p));
    bus.emit(member('bg#1'), 'x', 1);
    sub.unsubscribe();
    clock.advance(10);
    bus.emit(member('bg#1'), 'x', 2);
    clock.advance(10);
    await flush();
    expect(got).toEqual([]);
  });

  it('unsubscribes one subscription, not every listener of the event', async () => {
    const { bus } = setup();
    const a: unknown[] = [];
    const b: unknown[] = [];
    const subA = bus.subscribe(member('feed#1'), 'x', (p) => a.push(p));
    bus.subscribe(member('feed#1'), 'x', (p) => b.push(p));
    subA.unsubscribe();
    bus.emit(member('bg#1'), 'x', 1);
    await flush();
    expect([a, b]).toEqual([[], [1]]);
  });

  it('delivers to the emitter only when self-delivery is on', async () => {
    const { bus } = setup({ selfDelivery: false });
    const self = member('bg#1');
    const got: unknown[] = [];
    bus.subscribe(self, 'x', (p) => got.push(p));
    bus.emit(self, 'x', 'off');
    bus.setSelfDelivery(true);
    bus.emit(self, 'x', 'on');
    await flush();
    expect(got).toEqual(['on']);
  });

  it('keeps plain events inside an app and lets public ones cross apps', async () => {
    const { bus } = setup();
    const got: unknown[] = [];
    bus.subscribe(member('other#1', 'other-app'), 'x', (p) => got.push(['plain', p]));
    bus.subscribe(member('other#1', 'other-app'), 'x', (p) => got.push(['public', p]), true);
    bus.emit(member('bg#1'), 'x', 1);
    bus.emit(member('bg#1'), 'x', 2, true);
    await flush();
    expect(got).toEqual([['public', 2]]);
  });

  it('keeps a throwing listener from affecting other modules and reports it', async () => {
    const errors: unknown[] = [];
    const { bus } = setup({ onListenerError: (e) => errors.push(e) });
    const got: unknown[] = [];
    bus.subscribe(member('a#1'), 'x', () => {
      throw new Error('boom');
    });
    bus.subscribe(member('b#1'), 'x', (p) => got.push(p));
    bus.emit(member('bg#1'), 'x', 1);
    await flush();
    expect(got).toEqual([1]);
    expect(errors).toHaveLength(1);
    expect(bus.stats().listenerErrors).toBe(1);
  });

  it('removes every subscription of a restarted module instance', async () => {
    const { bus } = setup();
    const got: unknown[] = [];
    bus.subscribe(member('feed#1'), 'x', (p) => got.push(p));
    bus.subscribe(member('feed#1'), 'y', (p) => got.push(p));
    bus.removeMember('feed#1');
    bus.emit(member('bg#1'), 'x', 1);
    bus.emit(member('bg#1'), 'y', 1);
    await flush();
    expect(got).toEqual([]);
  });

  describe('faults', () => {
    async function run(seed: number, faults: Parameters<typeof createEventBus>[0]['faults'], n = 200) {
      const clock = createManualClock();
      const bus = createEventBus({ clock, random: createRandom(seed), faults });
      const got: number[] = [];
      const records: DeliveryRecord[] = [];
      bus.observe((r) => records.push(r));
      bus.subscribe(member('feed#1'), 'x', (p) => got.push(p as number));
      for (let i = 0; i < n; i++) bus.emit(member('bg#1'), 'x', i);
      await flush();
      clock.advance(1000);
      await flush();
      return { got, records, stats: bus.stats() };
    }

    it('drops about the given share of deliveries, the same ones for the same seed', async () => {
      const a = await run(11, { drop: 0.3 });
      const b = await run(11, { drop: 0.3 });
      expect(a.got).toEqual(b.got);
      expect(a.stats.dropped).toBeGreaterThan(30);
      expect(a.stats.dropped).toBeLessThan(90);
      expect(a.got.length + a.stats.dropped).toBe(200);
      const c = await run(12, { drop: 0.3 });
      expect(c.got).not.toEqual(a.got);
    });

    it('duplicates deliveries', async () => {
      const { got, stats } = await run(3, { duplicate: 0.5 });
      expect(stats.duplicated).toBeGreaterThan(50);
      expect(got).toHaveLength(200 + stats.duplicated);
      expect(new Set(got).size).toBe(200);
    });

    it('delays deliveries on the clock', async () => {
      const clock = createManualClock();
      const bus = createEventBus({ clock, random: createRandom(1), faults: { delay: 100 } });
      const got: unknown[] = [];
      bus.subscribe(member('feed#1'), 'x', (p) => got.push(p));
      bus.emit(member('bg#1'), 'x', 1);
      await flush();
      clock.advance(99);
      expect(got).toEqual([]);
      expect(bus.inFlight()).toBe(1);
      clock.advance(1);
      expect(got).toEqual([1]);
    });

    it('reorders deliveries while delivering each once', async () => {
      const { got } = await run(5, { reorder: 0.3 });
      expect(got).toHaveLength(200);
      expect([...got].sort((x, y) => x - y)).toEqual([...Array(200).keys()]);
      expect(got).not.toEqual([...Array(200).keys()]);
    });

    it('keeps order on a link without faults', async () => {
      const { got } = await run(5, {});
      expect(got).toEqual([...Array(200).keys()]);
    });

    it('applies per-link faults by module key', async () => {
      const clock = createManualClock();
      const bus = createEventBus({ clock, random: createRandom(1), faults: { links: { 'bg->feed': { drop: 1 } } } });
      const got: string[] = [];
      bus.subscribe(member('feed#1'), 'x', () => got.push('feed'));
      bus.subscribe(member('byline#1'), 'x', () => got.push('byline'));
      bus.emit(member('bg#1'), 'x', 1);
      await flush();
      expect(got).toEqual(['byline']);
    });
  });
});
