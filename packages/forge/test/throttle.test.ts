import Resolver from '@forge/resolver';
import { createKvsFetch, createManualClock, createPage, createSite, type ModuleSpec, type Page } from '@bgstore/emulator';
import { createNodeRealm } from '@bgstore/emulator/node';
import type { Host, Replica } from '@bgstore/core';
import { DOC_ENTITY_DECLARATION, registerStores } from '@bgstore/resolver';
import { RESOLVER_FUNCTIONS } from '@bgstore/protocol';
import { board } from './modules/store';

// #17.5: an installation whose Forge quota is spent (by other pages, or by someone hostile) for a
// whole minute. Every KVS request is answered 429 RATE_LIMIT_EXCEEDED, as Forge answers past a
// quota; pages go on acting. Nothing may be lost or doubled, the pages must show that they are
// throttled and until when, and everything must be saved and live within 5 s of the window
// reopening — all on the emulator's clock.
type Board = typeof board;
const BG = require.resolve('./modules/durableBackground.ts');
const FEED = require.resolve('./modules/feed.ts');
const host = (p: Page) => (p.module('bg').exports as { host: Host<Board['initialState'], Board['actions']> }).host;
const feed = (p: Page) => (p.module('feed').exports as { replica: Replica<Board['initialState'], Board['actions']> }).replica;

function setup(quotas?: NonNullable<Parameters<typeof createSite>[0]>['quotas']) {
  const clock = createManualClock();
  const kvs = createKvsFetch({ entities: [DOC_ENTITY_DECLARATION as never], clock });
  const site = createSite({ clock, seed: 17, forgeFetch: kvs, ...(quotas === undefined ? {} : { quotas }) });
  const restore = site.installForgeFetch();
  const resolver = new Resolver();
  registerStores(resolver, [board], { now: () => clock.now() });
  const handler = resolver.getDefinitions() as unknown as ModuleSpec['resolver'];
  const modules: ModuleSpec[] = [
    { key: 'bg', type: 'confluence:backgroundScript', entry: BG, resolver: handler },
    { key: 'feed', type: 'confluence:homepageFeed', entry: FEED, resolver: handler },
  ];
  const pages = ['user-1', 'user-2'].map((accountId) => createPage({ site, realm: createNodeRealm, modules, accountId }));
  const stored = async () => (await handler!({ call: { functionKey: RESOLVER_FUNCTIONS.load, payload: { store: 'board' } }, context: {} }, { installContext: site.installContext, principal: { accountId: 'reader' } })) as { revision: number; state: Board['initialState'] };
  return { clock, kvs, site, pages, stored, close: () => (pages.forEach((p) => p.close()), restore()) };
}

describe('#17.5 an installation throttled for 60 s', () => {
  it('loses and doubles nothing, shows throttled with when it resumes, and is saved and live within 5 s of the window reopening', async () => {
    const t = setup();
    try {
      for (const p of t.pages) await p.start();
      await t.clock.advanceAsync(2000);
      const done: Promise<unknown>[] = [feed(t.pages[0]!).actions.add('before-0', 'saved before')];
      await t.clock.advanceAsync(1000);
      await Promise.all(done);

      const opensAt = t.clock.now() + 60_000;
      let refused = 0;
      t.kvs.setFaults(() => (t.clock.now() < opensAt ? (refused++, { status: 429, code: 'RATE_LIMIT_EXCEEDED', message: 'Rate limit exceeded' }) : undefined));
      const ids: string[] = ['before-0'];
      for (let i = 0; i < 20; i++) {
        const id = `during-${i}`;
        ids.push(id);
        done.push(feed(t.pages[i % 2]!).actions.add(id, `added while throttled ${i}`));
        await t.clock.advanceAsync(2900);
      }
      // Mid-window: each page says it is throttled, until when, and what it keeps.
      for (const p of t.pages) {
        const durable = feed(p).sync.getState().durable!;
        expect(durable).toMatchObject({ unsaved: expect.any(Number), error: { code: 'RATE_LIMITED' } });
        expect(durable.unsaved).toBeGreaterThan(0);
        expect(durable.throttledUntil).toBeGreaterThan(t.clock.now());
      }
      expect(refused).toBeGreaterThan(0);
      // Throttled hosts hold their calls: a page probes at most every 4 s, not in a loop.
      expect(refused).toBeLessThan(2 * 2 * (60 / 0.5));

      await t.clock.advanceAsync(opensAt - t.clock.now());
      let waited = 0;
      const saved = () => t.pages.every((p) => host(p).stats().durable?.unsaved === 0 && !feed(p).sync.getState().durable?.throttledUntil);
      while (!saved() && waited < 30_000) {
        await t.clock.advanceAsync(100);
        waited += 100;
      }
      expect(waited).toBeLessThanOrEqual(5000);
      await Promise.all(done);

      const { state } = await t.stored();
      expect(state.cards.map((c) => c.id).sort()).toEqual([...ids].sort());
      // Each page sees the stored state once its next check (700 ms) has run.
      await t.clock.advanceAsync(1500);
      for (const p of t.pages) {
        expect(feed(p).sync.getState()).toMatchObject({ phase: 'live', durable: { unsaved: 0, error: null } });
        expect(feed(p).getState().cards.map((c) => c.id).sort()).toEqual([...ids].sort());
      }
    } finally {
      t.close();
    }
  }, 120_000);

  it('waits for the reset a refused invocation gives when someone else spent the installation\'s invocations for the minute', async () => {
    // The installation's invocations a minute, lowered so a hostile caller can spend them in a second.
    const t = setup({ limits: { invocationsPerMinute: 100 } });
    try {
      for (const p of t.pages) await p.start();
      await t.clock.advanceAsync(2000);
      let spent = 0;
      while (t.site.quota.invocation('hostile').ok) spent++;
      const opensAt = t.site.quota.snapshot().windows.invocationsPerMinute.resetsAt;
      expect(opensAt - t.clock.now()).toBeGreaterThan(55_000);
      const done: Promise<unknown>[] = [];
      const ids: string[] = [];
      for (let i = 0; i < 10; i++) {
        ids.push(`card-${i}`);
        done.push(feed(t.pages[i % 2]!).actions.add(`card-${i}`, `while spent ${i}`));
        await t.clock.advanceAsync(5000);
      }
      const refusedBefore = t.site.quota.snapshot().throttled.invocationsPerMinute ?? 0;
      for (const p of t.pages) expect(feed(p).sync.getState().durable).toMatchObject({ error: { code: 'RATE_LIMITED' }, throttledUntil: expect.any(Number) });
      // The reset was known: each page waits for it instead of probing (a try or two each, not one every few seconds).
      expect(refusedBefore).toBeLessThanOrEqual(2 * 3);
      await t.clock.advanceAsync(opensAt - t.clock.now());
      let waited = 0;
      const saved = () => t.pages.every((p) => host(p).stats().durable?.unsaved === 0 && !feed(p).sync.getState().durable?.throttledUntil);
      while (!saved() && waited < 30_000) {
        await t.clock.advanceAsync(100);
        waited += 100;
      }
      expect({ spent: spent > 0, waited: waited <= 5000 }).toEqual({ spent: true, waited: true });
      await Promise.all(done);
      expect((await t.stored()).state.cards.map((c) => c.id).sort()).toEqual([...ids].sort());
    } finally {
      t.close();
    }
  }, 120_000);

  it('turns a refused invocation into RATE_LIMITED with the reset time it gives, as a resolver RATE_LIMITED answer', async () => {
    // @forge/bridge looks for its bridge when imported (as in a Forge iframe); the calls here inject `invoke`.
    (globalThis as { __bridge?: unknown }).__bridge = { callBridge: () => Promise.reject(new Error('not faked')) };
    const { createInvokePersistence } = await import('../src/invokePersistence');
    const now = () => 1_000_000;
    const refusedInvoke = Object.assign(new Error('There was an error invoking the function - 429 Too Many Requests: RATE_LIMIT_EXCEEDED'), { status: 429, resetsAt: 1_042_000 });
    const p = createInvokePersistence(board, { now, invoke: () => Promise.reject(refusedInvoke) });
    await expect(p.load()).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 42_000 });
    const answered = createInvokePersistence(board, { now, invoke: () => Promise.resolve({ error: { code: 'RATE_LIMITED', message: 'spent', retryAfterMs: 7000 } }) });
    await expect(answered.revision!()).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterMs: 7000 });
    const bridgeLimit = createInvokePersistence(board, { invoke: () => Promise.reject(new Error('Resolver calls are rate limited at 500req/25s')) });
    await expect(bridgeLimit.commit({ baseRevision: 0, intents: [] })).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });
});
