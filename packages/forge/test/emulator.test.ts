import { createManualClock, createPage, createSite, type EventFaults, type ModuleSpec, type Page } from '@bgstore/emulator';
import { createNodeRealm } from '@bgstore/emulator/node';
import { createMemoryPersistence, type Host, type Replica } from '@bgstore/core';
import { board } from './modules/store';

type Board = typeof board;
type R = Replica<Board['initialState'], Board['actions']>;
const BG = require.resolve('./modules/background.ts');
const FEED = require.resolve('./modules/feed.ts');
const UI = require.resolve('./modules/uiFeed.tsx');

function makePage(o: { seed?: number; selfDelivery?: boolean; faults?: EventFaults; persistence?: unknown; hostOptions?: object; optimistic?: boolean; modules?: ModuleSpec[] } = {}) {
  const clock = createManualClock();
  const site = createSite({ clock, seed: o.seed ?? 1 });
  const modules: ModuleSpec[] = o.modules ?? [
    { key: 'bg', type: 'confluence:backgroundScript', entry: BG, globals: { __persistence: o.persistence, __hostOptions: o.hostOptions } },
    { key: 'feed', type: 'confluence:homepageFeed', entry: FEED, globals: { __optimistic: o.optimistic } },
    { key: 'byline', type: 'confluence:contentBylineItem', entry: FEED, extension: { content: { id: '7' } } },
  ];
  const page = createPage({ site, realm: createNodeRealm, modules, events: { selfDelivery: o.selfDelivery ?? true, faults: o.faults } });
  return { page, clock };
}

const host = (p: Page) => (p.module('bg').exports as { host: Host<Board['initialState'], Board['actions']> }).host;
const replica = (p: Page, key: string) => (p.module(key).exports as { replica: R }).replica;

/** Runs the page's clock until every replica equals the host and nothing is pending. */
async function converge(page: Page, clock: ReturnType<typeof createManualClock>, keys = ['feed', 'byline'], limitMs = 30_000) {
  for (let t = 0; t < limitMs; t += 100) {
    await clock.advanceAsync(100);
    const h = host(page);
    const done = keys.every((k) => {
      const s = replica(page, k).sync.getState();
      return s.phase === 'live' && s.pending === 0 && s.epoch === h.epoch && s.version === h.version();
    });
    if (done) return;
  }
  throw new Error(`[test] no convergence in ${limitMs} ms: ${JSON.stringify(keys.map((k) => replica(page, k).sync.getState()))}`);
}

const pages: Page[] = [];
afterEach(() => pages.splice(0).forEach((p) => p.close()));

const ORDERS = [
  ['bg', 'feed', 'byline'],
  ['bg', 'byline', 'feed'],
  ['feed', 'bg', 'byline'],
  ['feed', 'byline', 'bg'],
  ['byline', 'bg', 'feed'],
  ['byline', 'feed', 'bg'],
];

describe('bgstore on the emulator with the real @forge/bridge', () => {
  it.each(ORDERS.map((o) => [o.join(' → '), o] as const))('converges when modules start %s', async (_, order) => {
    const { page, clock } = makePage();
    pages.push(page);
    for (const key of order) {
      await page.start([key]);
      await clock.advanceAsync(30);
    }
    void replica(page, 'feed').actions.add('f1', 'from the feed');
    void replica(page, 'byline').actions.add('b1', 'from the byline');
    await converge(page, clock);
    expect([...host(page).getState().log].sort()).toEqual(['b1', 'f1']);
    expect(replica(page, 'feed').getState()).toEqual(host(page).getState());
    expect(replica(page, 'byline').getState()).toEqual(host(page).getState());
  });

  it.each([true, false])('works whether or not the emitter receives its own events (self-delivery %s)', async (selfDelivery) => {
    const { page, clock } = makePage({ selfDelivery });
    pages.push(page);
    await page.start();
    await replica(page, 'feed').actions.add('x', 'one').then(() => undefined, () => undefined);
    await converge(page, clock);
    expect(replica(page, 'byline').getState().cards).toEqual([{ id: 'x', title: 'one' }]);
  });

  it('follows a restarted background script: unconfirmed actions are sent again and applied once', async () => {
    const persistence = createMemoryPersistence(board);
    const { page, clock } = makePage({ persistence });
    pages.push(page);
    await page.start();
    await converge(page, clock);
    const epoch = host(page).epoch;
    // Actions in flight while the background script restarts.
    page.setEventFaults({ links: { 'feed->bg': { delay: 400 } } });
    const calls = [replica(page, 'feed').actions.add('a', 'A'), replica(page, 'feed').actions.add('b', 'B')];
    await clock.advanceAsync(100);
    await page.restart('bg');
    page.setEventFaults(undefined);
    await converge(page, clock);
    await Promise.all(calls);
    expect(host(page).epoch).not.toBe(epoch);
    expect([...host(page).getState().log].sort()).toEqual(['a', 'b']);
    expect([...persistence.peek().state.log].sort()).toEqual(['a', 'b']);
    expect(replica(page, 'byline').getState()).toEqual(host(page).getState());
  });

  it.each([
    ['saved', 50, { intentsApplied: 0, duplicates: 1 }],
    ['not yet saved', 60_000, { intentsApplied: 1, duplicates: 0 }],
  ])('applies once an action the old background script applied (%s) but whose confirmation was lost', async (_, flushDelayMs, resent) => {
    const persistence = createMemoryPersistence(board);
    const hostOptions = { flushDelayMs };
    const { page, clock } = makePage({ persistence, hostOptions });
    pages.push(page);
    await page.start();
    await converge(page, clock);
    const epoch = host(page).epoch;
    page.setEventFaults({ links: { 'bg->feed': { drop: 1 } } });
    const call = replica(page, 'feed').actions.add('once', 'only once');
    await clock.advanceAsync(500);
    expect(host(page).getState().log).toEqual(['once']);
    expect(persistence.peek().state.log).toEqual(flushDelayMs < 500 ? ['once'] : []);
    expect(replica(page, 'feed').sync.getState().pending).toBe(1);
    hostOptions.flushDelayMs = 50;
    await page.restart('bg');
    page.setEventFaults(undefined);
    await converge(page, clock);
    await call;
    expect(host(page).epoch).not.toBe(epoch);
    expect(host(page).getState().log).toEqual(['once']);
    // The feed sent it again to the new boot, which knew it from storage (saved) or applied it (unsaved);
    // until the feed leaves the old boot (it does not answer a hello within probeMs, #18.7) its
    // resends reach the new boot too, as duplicates.
    expect(host(page).stats().intentsApplied).toBe(resent.intentsApplied);
    expect(host(page).stats().duplicates).toBeGreaterThanOrEqual(resent.duplicates);
    expect(persistence.peek().state.log).toEqual(['once']);
    expect(replica(page, 'feed').getState()).toEqual(host(page).getState());
    expect(replica(page, 'byline').getState()).toEqual(host(page).getState());
  });

  it('converges after dropped, duplicated, delayed and reordered events (seeded)', async () => {
    for (const seed of [1, 2, 3]) {
      const { page, clock } = makePage({ seed, faults: { drop: 0.3, duplicate: 0.2, delay: [0, 80], reorder: 0.2 }, optimistic: true });
      pages.push(page);
      await page.startShuffled();
      const calls = [];
      for (let i = 0; i < 10; i++) {
        calls.push(replica(page, i % 2 ? 'feed' : 'byline').actions.add(`s${seed}-${i}`, `card ${i}`));
        await clock.advanceAsync(37);
      }
      page.setEventFaults(undefined);
      await converge(page, clock);
      await Promise.all(calls);
      const log = host(page).getState().log;
      expect(new Set(log).size).toBe(10);
      expect(replica(page, 'feed').getState()).toEqual(host(page).getState());
      expect(replica(page, 'byline').getState()).toEqual(host(page).getState());
    }
  });

  it('gives a restarted feed the current state', async () => {
    const { page, clock } = makePage();
    pages.push(page);
    await page.start();
    void replica(page, 'feed').actions.add('k', 'kept');
    await converge(page, clock);
    await page.restart('byline');
    await converge(page, clock);
    expect(replica(page, 'byline').getState().cards).toEqual([{ id: 'k', title: 'kept' }]);
  });

  it('renders a UI Kit feed with @forge/react and adds a card on a Button click', async () => {
    const { page, clock } = makePage({
      modules: [
        { key: 'bg', type: 'confluence:backgroundScript', entry: BG },
        { key: 'ui', type: 'confluence:homepageFeed', entry: UI },
        { key: 'byline', type: 'confluence:contentBylineItem', entry: FEED },
      ],
    });
    pages.push(page);
    await page.start(['ui', 'byline', 'bg']);
    const ui = page.module('ui');
    expect(ui.text()).toContain('Loading');
    await clock.advanceAsync(500);
    expect(ui.text()).toContain('Cards: none');
    await ui.click('Add');
    expect(ui.text()).toContain('Cards: Card 1');
    await converge(page, clock, ['byline']);
    expect(replica(page, 'byline').getState().cards).toEqual([{ id: 'ui-1', title: 'Card 1' }]);
  });
});
