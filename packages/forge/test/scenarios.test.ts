import { createManualClock, createPage, createRandom, createSite, type ManualClock, type ModuleSpec, type Page, type Random } from '@bgstore/emulator';
import { createNodeRealm } from '@bgstore/emulator/node';
import { createMemoryPersistence, type Host, type Persistence, type Replica } from '@bgstore/core';
import { board } from './modules/store';

// Generated scenarios on the emulator: actions from two feeds while the bus drops, duplicates,
// delays and reorders events, the background script and the feeds restart, and storage is slow
// and fails. Each seed replays exactly; SCENARIO_SEEDS=500 explores further.

type State = typeof board.initialState;
type R = Replica<State, typeof board.actions>;
const BG = require.resolve('./modules/background.ts');
const FEED = require.resolve('./modules/feed.ts');
const FEEDS = ['feed', 'byline'];
const SEEDS = Number(process.env.SCENARIO_SEEDS ?? 16);

// Storage failures are expected here; the host's retries are what is under test, not its warnings.
const quiet = { warn: () => undefined };

const host = (p: Page) => (p.module('bg').exports as { host: Host<State, typeof board.actions> }).host;
const replica = (p: Page, key: string) => (p.module(key).exports as { replica: R }).replica;

/** Storage answering after 0–400 ms of site time and failing 15% of calls, before or after writing. */
function flakyStorage(inner: Persistence<State>, clock: ManualClock, random: Random): Persistence<State> {
  const slow = <T>(call: () => Promise<T>) =>
    new Promise<T>((resolve, reject) => {
      clock.setTimeout(() => {
        if (random.chance(0.1)) return reject(new Error('[test] storage unavailable'));
        call().then((value) => {
          // A lost response: the write happened, the host does not know.
          if (random.chance(0.05)) return reject(new Error('[test] response lost'));
          clock.setTimeout(() => resolve(value), random.int(0, 200));
        }, reject);
      }, random.int(0, 200));
    });
  return { load: () => slow(() => inner.load()), commit: (batch) => slow(() => inner.commit(batch)), revision: () => slow(() => inner.revision!()) };
}

async function settle(page: Page, clock: ManualClock, durable: boolean) {
  for (let t = 0; t < 60_000; t += 100) {
    await clock.advanceAsync(100);
    const h = host(page);
    const durableDone = !durable || (h.stats().durable?.unsaved === 0 && !h.stats().durable?.saving);
    const feedsDone = FEEDS.every((k) => {
      const s = replica(page, k).sync.getState();
      return s.phase === 'live' && s.pending === 0 && s.epoch === h.epoch && s.version === h.version();
    });
    if (durableDone && feedsDone) return true;
  }
  return false;
}

describe('generated scenarios on the emulator', () => {
  it.each(Array.from({ length: SEEDS }, (_, i) => i + 1))('converges with every action applied at most once and every confirmed one stored (seed %i)', async (seed) => {
    const random = createRandom(seed * 7919);
    const clock = createManualClock();
    const memory = createMemoryPersistence(board);
    const flaky = seed % 2 === 0;
    const modules: ModuleSpec[] = [
      { key: 'bg', type: 'confluence:backgroundScript', entry: BG, globals: { __persistence: flaky ? flakyStorage(memory, clock, random) : memory, __hostOptions: { logger: quiet } } },
      ...FEEDS.map((key) => ({ key, type: 'confluence:homepageFeed', entry: FEED, globals: { __optimistic: random.chance(0.5) } })),
    ];
    const faults = { drop: random.chance(0.5) ? 0.3 : 0.1, duplicate: 0.2, delay: [0, 80] as const, reorder: 0.2 };
    const page = createPage({ site: createSite({ clock, seed }), realm: createNodeRealm, modules, events: { selfDelivery: random.chance(0.5), faults } });
    const calls: { id: string; from: string; outcome: string }[] = [];
    const trace: string[] = [];
    try {
      trace.push(`start ${(await page.startShuffled()).join(',')}`);
      for (let step = 0; step < 40; step++) {
        const roll = random.int(0, 99);
        const key = FEEDS[random.int(0, 1)]!;
        if (roll < 60) {
          const call = { id: `a${calls.length}`, from: page.module(key).id, outcome: 'pending' };
          calls.push(call);
          trace.push(`${key}:${call.id}`);
          replica(page, key).actions.add(call.id, key).then(
            () => (call.outcome = 'ok'),
            (e: { code?: string }) => (call.outcome = String(e.code)),
          );
        } else if (roll < 68) {
          trace.push('restart bg');
          await page.restart('bg');
        } else if (roll < 73) {
          trace.push(`restart ${key}`);
          await page.restart(key);
        }
        const ms = random.int(0, 150);
        trace.push(`+${ms}`);
        await clock.advanceAsync(ms);
      }
      page.setEventFaults(undefined);
      const settled = await settle(page, clock, true);
      const state = host(page).getState();
      const live = new Set(FEEDS.map((k) => page.module(k).id));
      const report = JSON.stringify({ trace: trace.join(' '), calls, log: state.log, host: host(page).stats() });
      expect({ settled, report }).toEqual({ settled: true, report });
      expect(state.log.filter((id, i) => state.log.indexOf(id) !== i)).toEqual([]);
      for (const c of calls) {
        // Calls of a feed instance that was restarted are abandoned with it (applied or not).
        if (!live.has(c.from) && c.outcome === 'pending') continue;
        expect({ ...c, report }).toEqual({ ...c, outcome: expect.stringMatching(/^(ok|TIMEOUT)$/), report });
        if (c.outcome === 'ok') expect({ id: c.id, stored: memory.peek().state.log.includes(c.id) }).toEqual({ id: c.id, stored: true });
      }
      expect(memory.peek().state).toEqual(state);
      for (const key of FEEDS) expect(replica(page, key).getState()).toEqual(state);
    } finally {
      page.close();
    }
  });
});
