import Resolver from '@forge/resolver';
import { createKvsFetch, createManualClock, createPage, createSite, type ModuleSpec, type Page } from '@bgstore/emulator';
import { createNodeRealm } from '@bgstore/emulator/node';
import type { Host, Replica } from '@bgstore/core';
import { DOC_ENTITY_DECLARATION, registerStores } from '@bgstore/resolver';
import { board } from './modules/store';

// #17.2 on the emulator, with the real @forge/bridge, @forge/resolver, @forge/kvs and
// @forge/realtime: changes arrive without asking, a page reloads only what changed, and what
// arrives over Realtime cannot be forged by another page.

type Board = typeof board;
const BG = require.resolve('./modules/durableBackground.ts');
const FEED = require.resolve('./modules/feed.ts');
const MALLORY = require.resolve('./modules/mallory.ts');

interface Call {
  account: string | undefined;
  functionKey: string;
  payload: Record<string, unknown>;
  answer: Record<string, unknown>;
}

function setup(hostOptions: object = {}, resolverOptions: Parameters<typeof registerStores>[2] = {}) {
  const clock = createManualClock(Date.UTC(2026, 11, 6));
  const kvs = createKvsFetch({ entities: [DOC_ENTITY_DECLARATION as never], clock });
  const site = createSite({ clock, forgeFetch: kvs });
  const restore = site.installForgeFetch();
  const resolver = new Resolver();
  registerStores(resolver, [board], { retryDelayMs: 0, now: () => clock.now(), ...resolverOptions });
  const inner = resolver.getDefinitions() as unknown as NonNullable<ModuleSpec['resolver']>;
  const calls: Call[] = [];
  const handler: ModuleSpec['resolver'] = async (event, runtime) => {
    const answer = (await inner(event, runtime)) as Record<string, unknown>;
    const e = event as { call: { functionKey: string; payload: Record<string, unknown> } };
    calls.push({ account: (runtime as { principal?: { accountId?: string } }).principal?.accountId, functionKey: e.call.functionKey, payload: e.call.payload, answer });
    return answer;
  };
  const modules: ModuleSpec[] = [
    { key: 'bg', type: 'confluence:backgroundScript', entry: BG, resolver: handler, globals: { __hostOptions: { revisionCheckMs: undefined, ...hostOptions } } },
    { key: 'feed', type: 'confluence:homepageFeed', entry: FEED, resolver: handler },
    { key: 'mallory', type: 'confluence:homepageFeed', entry: MALLORY, resolver: handler },
  ];
  const pages: Page[] = [];
  const open = async (accountId: string) => {
    const page = createPage({ site, realm: createNodeRealm, modules, accountId });
    pages.push(page);
    await page.start(['bg', 'feed']);
    return page;
  };
  const callsOf = (account: string) => calls.filter((c) => c.account === account);
  // A board of some size, so its log is small beside its snapshot (a tiny document's log is folded
  // into a new snapshot at almost every commit, and its whole state costs no more than its changes).
  const seed = (n: number) =>
    inner(
      { call: { functionKey: 'bgstore.commit', payload: { store: 'board', baseRevision: 0, intents: Array.from({ length: n }, (_, i) => ({ clientId: 'seeder', seq: i + 1, name: 'add', args: [`s${i}`, `seeded card ${i}`] })) } }, context: {} } as never,
      { installContext: site.installContext, principal: { accountId: 'seeder' } } as never,
    );
  return { clock, kvs, site, open, calls, callsOf, seed, close: () => (pages.forEach((p) => p.close()), restore()) };
}

const host = (p: Page) => (p.module('bg').exports as { host: Host<Board['initialState'], Board['actions']> }).host;
const feed = (p: Page) => (p.module('feed').exports as { replica: Replica<Board['initialState'], Board['actions']> }).replica;
const ids = (p: Page) => feed(p).getState().cards.map((c) => c.id);

describe('#17.2 changes arrive without asking', () => {
  it('another page’s commit reaches an open page over Realtime, applied without a single invocation', async () => {
    const t = setup();
    try {
      const [alice, bob] = [await t.open('alice'), await t.open('bob')];
      await t.clock.advanceAsync(3000); // both loaded, subscribed, and past the check after loading
      const before = t.callsOf('bob').length;
      const added = feed(alice).actions.add('from-a', 'hello');
      await t.clock.advanceAsync(500);
      await added;
      await t.clock.advanceAsync(500);
      expect(ids(bob)).toEqual(['from-a']);
      expect(host(bob).stats().durable?.revision).toBe(1);
      expect(t.callsOf('bob').slice(before)).toEqual([]);
      // The only Realtime grants were asked for with the first loads; the safety net is 5 minutes.
      expect(t.site.realtimeBackend.stats()).toMatchObject({ published: 1, refusedSubscribes: 0 });
      await t.clock.advanceAsync(120_000);
      expect(t.callsOf('bob').slice(before)).toEqual([]);
    } finally {
      t.close();
    }
  });

  it('a forged Realtime publish from another user’s page is refused, and no page applies it', async () => {
    const t = setup();
    try {
      const [alice, mallory] = [await t.open('alice'), await t.open('mallory')];
      await mallory.start(['mallory']);
      await t.clock.advanceAsync(3000);
      const results = (await (mallory.module('mallory').exports as { forge(card: string): Promise<unknown[]> }).forge('evil')) as { errors?: unknown[] }[];
      expect(results.map((r) => r.errors?.length ?? 0)).toEqual([1, 1]);
      expect(String(JSON.stringify(results))).toMatch(/MISSING_PERMISSION/);
      await t.clock.advanceAsync(1000);
      expect(ids(alice)).toEqual([]);
      expect(t.site.realtimeBackend.stats().refusedPublishes).toBe(2);
    } finally {
      t.close();
    }
  });

  it('a page two revisions behind (Realtime lost) gets exactly the two missing changes, as patches', async () => {
    const t = setup();
    try {
      await t.seed(300);
      const [alice, bob] = [await t.open('alice'), await t.open('bob')];
      await t.clock.advanceAsync(3000);
      // Bob's Realtime delivery is lost for two commits (a dropped connection), then he checks.
      const hub = t.site.realtime;
      const publish = hub.publish.bind(hub);
      hub.publish = () => ({ eventId: 'lost', eventTimestamp: '' });
      for (const id of ['one', 'two']) {
        const added = feed(alice).actions.add(id, id);
        await t.clock.advanceAsync(500);
        await added;
      }
      hub.publish = publish;
      expect(ids(bob).slice(300)).toEqual([]);
      const from = t.callsOf('bob').length;
      host(bob).checkRevision();
      await t.clock.advanceAsync(500);
      expect(ids(bob).slice(300)).toEqual(['one', 'two']);
      const asked = t.callsOf('bob').slice(from);
      expect(asked).toHaveLength(1);
      expect(asked[0]).toMatchObject({ functionKey: 'bgstore.load', payload: { store: 'board', since: 1 }, answer: { since: 1, revision: 3 } });
      expect(asked[0]!.answer.patches).toHaveLength(4); // each commit: a card and a log line
      expect(asked[0]!.answer).not.toHaveProperty('state');
    } finally {
      t.close();
    }
  });

  it('with Realtime down, pages poll every fallbackCheckMs and still converge, each check asking only for the changes since', async () => {
    const unavailable = { subscribeGlobal: () => Promise.reject(new Error('no Realtime')) };
    const t = setup({ realtimeHint: { fallbackCheckMs: 10_000 }, realtime: unavailable });
    try {
      await t.seed(300);
      const [alice, bob] = [await t.open('alice'), await t.open('bob')];
      await t.clock.advanceAsync(3000);
      const added = feed(alice).actions.add('from-a', 'hello');
      await t.clock.advanceAsync(500);
      await added;
      await t.clock.advanceAsync(10_000);
      expect(ids(bob).slice(300)).toEqual(['from-a']);
      const checks = t.callsOf('bob').filter((c) => c.payload.since !== undefined);
      expect(checks.length).toBeGreaterThan(0);
      expect(checks.every((c) => c.functionKey === 'bgstore.load' && !('state' in c.answer))).toBe(true);
    } finally {
      t.close();
    }
  });

  it('a change that arrives while the page’s own commit is in flight is applied after its answer; #17 a trailing commit reaches other pages', async () => {
    const t = setup({ flushDelayMs: 0 });
    try {
      await t.seed(300); // a log to publish from (a tiny document folds its log at every commit)
      const [alice, bob] = [await t.open('alice'), await t.open('bob')];
      await t.clock.advanceAsync(3000);
      const from = t.calls.length;
      const a = feed(alice).actions.add('a1', 'from alice');
      const b = feed(bob).actions.add('b1', 'from bob');
      await t.clock.advanceAsync(1000);
      await Promise.all([a, b]);
      // The second commit came within the publish interval of the first: it is not published, and
      // no commit follows, so its writer asks once (after 1–1.5 s) for what followed the last it heard.
      await t.clock.advanceAsync(2000);
      expect(host(alice).stats().durable?.revision).toBe(3);
      expect(host(bob).stats().durable?.revision).toBe(3);
      expect(feed(alice).getState()).toEqual(feed(bob).getState());
      expect(ids(bob).filter((id) => !id.startsWith('s')).sort()).toEqual(['a1', 'b1']);
      // Neither page checked storage: the commits' answers and Realtime told them everything.
      expect(t.calls.slice(from).map((c) => c.functionKey)).toEqual(['bgstore.commit', 'bgstore.commit', 'bgstore.revision']);
      expect(t.calls.at(-1)!.payload).toMatchObject({ publish: 3, heard: 2 });
    } finally {
      t.close();
    }
  });

  it('a subscription that breaks falls back to polling, then subscribes again with a fresh grant', async () => {
    const subscriptions: { channel: string; token?: string; onEvent: (payload: unknown, error?: unknown) => void }[] = [];
    const realtime = {
      subscribeGlobal: (channel: string, onEvent: (payload: unknown, error?: unknown) => void, options?: { token?: string }) => {
        subscriptions.push({ channel, token: options?.token, onEvent });
        return Promise.resolve({ unsubscribe: () => undefined });
      },
    };
    const t = setup({ realtimeHint: { fallbackCheckMs: 10_000 }, realtime });
    try {
      const bob = await t.open('bob');
      await t.clock.advanceAsync(3000);
      expect(subscriptions).toHaveLength(1);
      expect(subscriptions[0]!.token).toEqual(expect.any(String));
      // A change arrives as the resolver publishes it, as a JSON string: applied.
      subscriptions[0]!.onEvent(JSON.stringify({ v: 1, store: 'board', base: 0, revision: 1, patches: [{ op: 'add', path: ['cards', 0], value: { id: 'x', title: 'x' } }] }));
      // Not a change of this store, or malformed: ignored.
      subscriptions[0]!.onEvent({ v: 1, store: 'other', base: 1, revision: 2, patches: [] });
      subscriptions[0]!.onEvent('{not json');
      await t.clock.advanceAsync(500);
      expect(ids(bob)).toEqual(['x']);
      const before = t.callsOf('bob').length;
      subscriptions[0]!.onEvent(undefined, new Error('connection dropped'));
      await t.clock.advanceAsync(30_000);
      // Polling while not subscribed; no new grant asked for before the first wait (a minute).
      const polls = t.callsOf('bob').slice(before);
      expect(polls.length).toBeGreaterThanOrEqual(2);
      expect(polls.every((c) => c.payload.realtime === undefined)).toBe(true);
      await t.clock.advanceAsync(50_000);
      expect(subscriptions).toHaveLength(2);
      expect(t.callsOf('bob').some((c) => c.payload.realtime === true && c.answer.realtime !== undefined)).toBe(true);
    } finally {
      t.close();
    }
  });

  it('does not ask for a grant at every check when the resolver has none to give (each try would cost a Realtime operation)', async () => {
    const t = setup({ realtimeHint: { fallbackCheckMs: 10_000 } }, { realtime: false });
    try {
      await t.open('bob');
      await t.clock.advanceAsync(55_000);
      const asked = t.callsOf('bob').filter((c) => c.payload.realtime === true);
      expect(asked).toHaveLength(1);
      expect(t.callsOf('bob').length).toBeGreaterThanOrEqual(5);
      await t.clock.advanceAsync(70_000);
      expect(t.callsOf('bob').filter((c) => c.payload.realtime === true)).toHaveLength(2);
    } finally {
      t.close();
    }
  });
});
