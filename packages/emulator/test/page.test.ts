import Resolver from '@forge/resolver';
import { createManualClock, createPage, createSite, type ModuleSpec, type Page } from '../src';
import { createNodeRealm } from '../src/node';

type Probe = typeof import('./modules/probe');
const PROBE = require.resolve('./modules/probe.ts');
const LISTENER = require.resolve('./modules/listener-on-start.ts');
const COUNTER = require.resolve('./fixtures/counter.tsx');

const settle = () => new Promise((r) => setImmediate(r));

function resolverHandler() {
  const calls: unknown[] = [];
  const r = new Resolver();
  r.define('whoami', (req) => {
    calls.push(req);
    return { accountId: req.context.accountId ?? null, moduleKey: req.context.moduleKey, extension: req.context.extension, installContext: req.context.installContext };
  });
  r.define('echo', (req) => req.payload);
  return { calls, handler: r.getDefinitions() as unknown as ModuleSpec['resolver'] };
}

const pages: Page[] = [];
function page(modules: ModuleSpec[], options: Partial<Parameters<typeof createPage>[0]> = {}) {
  const p = createPage({ site: createSite(), realm: createNodeRealm, modules, ...options });
  pages.push(p);
  return p;
}
afterEach(() => pages.splice(0).forEach((p) => p.close()));

const probes = (...keys: string[]): ModuleSpec[] =>
  keys.map((key, i) => ({ key, type: i === 0 ? 'confluence:backgroundScript' : 'confluence:homepageFeed', entry: PROBE }));
const probe = (p: Page, key: string) => p.module(key).exports as Probe;

describe('page with the real @forge/bridge', () => {
  it('runs each module in its own realm with its own bridge copy', async () => {
    const p = page(probes('bg', 'feed'));
    await p.start();
    probe(p, 'bg').setGlobal('marker', 'bg');
    expect(probe(p, 'feed').getGlobal('marker')).toBeUndefined();
    expect(probe(p, 'feed').sameBridge(probe(p, 'bg').bridgeEvents)).toBe(false);
  });

  it('lets two modules exchange events', async () => {
    const p = page(probes('bg', 'feed'));
    await p.start();
    await probe(p, 'feed').listen('state');
    await probe(p, 'bg').listen('hello');
    await probe(p, 'feed').emit('hello', { from: 'feed' });
    await probe(p, 'bg').emit('state', { n: 1 });
    await settle();
    expect(probe(p, 'bg').log()).toEqual([{ event: 'hello', payload: { from: 'feed' } }]);
    expect(probe(p, 'feed').log()).toEqual([{ event: 'state', payload: { n: 1 } }]);
  });

  it('hands payloads, contexts and invoke results to a module as objects of its own realm', async () => {
    const { handler } = resolverHandler();
    const p = page([...probes('bg'), { key: 'feed', type: 'confluence:homepageFeed', entry: PROBE, resolver: handler }]);
    await p.start();
    const feed = probe(p, 'feed');
    await feed.listen('state');
    await probe(p, 'bg').emit('state', { list: [{ a: 1 }] });
    await settle();
    const payload = feed.log()[0]!.payload as { list: unknown[] };
    expect([feed.isOwnPlain(payload), feed.isOwnPlain(payload.list), feed.isOwnPlain(payload.list[0])]).toEqual([true, true, true]);
    expect(feed.isOwnPlain(await feed.context())).toBe(true);
    expect(feed.isOwnPlain(await feed.call('echo', { x: [1] }))).toBe(true);
    // The test process is another realm: the same payload is not a plain object of this one.
    expect(Object.getPrototypeOf(payload) === Object.prototype).toBe(false);
  });

  it('loses events for a module that subscribes late', async () => {
    const p = page(probes('bg', 'feed'));
    await p.start();
    await probe(p, 'bg').emit('state', 1);
    await settle();
    await probe(p, 'feed').listen('state');
    await probe(p, 'bg').emit('state', 2);
    await settle();
    expect(probe(p, 'feed').log().map((e) => e.payload)).toEqual([2]);
  });

  it('misses the start-up emit of a module started before its listener, in that start order only', async () => {
    const early = page([{ key: 'bg', type: 'confluence:backgroundScript', entry: LISTENER }, ...probes('x', 'feed').slice(1)]);
    await early.start(['bg', 'feed']);
    await probe(early, 'feed').listen('ready');
    await settle();
    expect(probe(early, 'feed').log()).toEqual([]);

    const late = page([{ key: 'bg', type: 'confluence:backgroundScript', entry: LISTENER }, ...probes('x', 'feed').slice(1)]);
    await late.start(['feed']);
    await probe(late, 'feed').listen('ready');
    await late.start(['bg']);
    await settle();
    expect(probe(late, 'feed').log()).toEqual([{ event: 'ready', payload: { at: 'start' } }]);
  });

  it('stops delivering after unsubscribe', async () => {
    const p = page(probes('bg', 'feed'));
    await p.start();
    await probe(p, 'feed').listen('state');
    await probe(p, 'bg').emit('state', 1);
    await settle();
    probe(p, 'feed').unlisten('state');
    await probe(p, 'bg').emit('state', 2);
    await settle();
    expect(probe(p, 'feed').log().map((e) => e.payload)).toEqual([1]);
  });

  it('gives a restarted module a new instance whose old listeners are gone', async () => {
    const p = page(probes('bg', 'feed'));
    await p.start();
    await probe(p, 'feed').listen('state');
    const before = probe(p, 'feed');
    const oldId = p.module('feed').id;
    await p.restart('feed');
    expect(p.module('feed').id).not.toBe(oldId);
    await probe(p, 'bg').emit('state', 1);
    await settle();
    expect(before.log()).toEqual([]);
    expect(probe(p, 'feed').log()).toEqual([]);
  });

  it('installs a module spec’s extra globals in its realm only', async () => {
    const p = page([{ ...probes('bg')[0]!, globals: { hook: 'for bg' } }, ...probes('x', 'feed').slice(1)]);
    await p.start();
    expect(probe(p, 'bg').getGlobal('hook')).toBe('for bg');
    expect(probe(p, 'feed').getGlobal('hook')).toBeUndefined();
  });

  it('answers getContext with the module’s FullContext', async () => {
    const p = page([{ key: 'byline', type: 'confluence:contentBylineItem', entry: PROBE, extension: { content: { id: '42', type: 'page' }, space: { key: 'TEAM' } } }], { accountId: 'acc-1' });
    await p.start();
    const context = (await probe(p, 'byline').context()) as unknown as Record<string, unknown>;
    expect(context).toMatchObject({ accountId: 'acc-1', moduleKey: 'byline', extension: { type: 'confluence:contentBylineItem', content: { id: '42' }, space: { key: 'TEAM' } } });
    expect(typeof context.localId).toBe('string');
    expect(typeof context.cloudId).toBe('string');
  });

  it.each([
    ['jira:issueViewBackgroundScript', { issue: { id: '10001', key: 'EMU-1', type: 'Task', typeId: '10002' }, project: { id: '10000', key: 'EMU', type: 'software' } }],
    ['jira:issuePanel', { issue: { key: 'EMU-1' }, project: { key: 'EMU' }, isNewToIssue: false }],
    ['jira:dashboardBackgroundScript', { dashboard: { id: '10100' } }],
    ['jira:dashboardGadget', { dashboard: { id: '10100' } }],
    ['confluence:pageBanner', { content: { id: '65537', type: 'page' }, space: { key: 'EMU' } }],
  ])('gives a %s module the extension context of its page, to the module and to its resolver', async (type, expected) => {
    const { handler } = resolverHandler();
    const p = page([{ key: 'm', type, entry: PROBE, resolver: handler }], { site: createSite({ product: type.startsWith('jira') ? 'jira' : 'confluence' }) });
    await p.start();
    expect(await probe(p, 'm').context()).toMatchObject({ extension: { type, ...expected } });
    const seen = (await probe(p, 'm').call('whoami')) as { extension: unknown; installContext: string };
    expect(seen.extension).toMatchObject({ type, ...expected });
    expect(seen.installContext).toMatch(type.startsWith('jira') ? /^ari:cloud:jira::site\// : /^ari:cloud:confluence::site\//);
  });

  it.each(['jira:globalBackgroundScript', 'dashboards:backgroundScript', 'confluence:backgroundScript', 'confluence:homepageFeed'])('gives a %s module only its type', async (type) => {
    const p = page([{ key: 'm', type, entry: PROBE }]);
    await p.start();
    expect(((await probe(p, 'm').context()) as unknown as { extension: unknown }).extension).toEqual({ type });
  });

  it('routes invoke to the module’s real resolver with its context and the viewer', async () => {
    const { handler } = resolverHandler();
    const p = page([{ key: 'feed', type: 'confluence:homepageFeed', entry: PROBE, resolver: handler }], { accountId: 'acc-2' });
    await p.start();
    await expect(probe(p, 'feed').call('whoami')).resolves.toEqual({
      accountId: 'acc-2',
      moduleKey: 'feed',
      extension: { type: 'confluence:homepageFeed' },
      installContext: p.site.installContext,
    });
  });

  it('has no accountId for an anonymous viewer', async () => {
    const { handler } = resolverHandler();
    const p = page([{ key: 'feed', type: 'confluence:homepageFeed', entry: PROBE, resolver: handler }], { accountId: null });
    await p.start();
    expect(await probe(p, 'feed').call('whoami')).toMatchObject({ accountId: null });
    expect(await probe(p, 'feed').context()).not.toHaveProperty('accountId');
  });

  it('rejects an oversize invoke from a module', async () => {
    const { handler } = resolverHandler();
    const p = page([{ key: 'feed', type: 'confluence:homepageFeed', entry: PROBE, resolver: handler }]);
    await p.start();
    await expect(probe(p, 'feed').call('echo', { s: 'x'.repeat(600_000) })).rejects.toThrow(/exceeds the 500000 byte limit/);
    await expect(probe(p, 'feed').call('echo', { s: 'ok' })).resolves.toEqual({ s: 'ok' });
  });

  it('starts modules in a seeded shuffled order', async () => {
    const orders = [];
    for (const seed of [1, 1, 2, 3, 4]) {
      const p = page(probes('a', 'b', 'c', 'd'), { site: createSite({ seed }) });
      orders.push((await p.startShuffled()).join(''));
    }
    expect(orders[0]).toBe(orders[1]);
    expect(new Set(orders).size).toBeGreaterThan(1);
  });

  it('gives modules the site’s clock as Date.now and performance.now', async () => {
    const clock = createManualClock(5_000);
    const p = page(probes('bg'), { site: createSite({ clock }) });
    await p.start();
    expect(probe(p, 'bg').now()).toEqual([5_000, 5_000]);
    clock.advance(250);
    expect(probe(p, 'bg').now()).toEqual([5_250, 5_250]);
  });

  it('applies event faults with the site’s clock', async () => {
    const clock = createManualClock();
    const p = page(probes('bg', 'feed'), { site: createSite({ clock }), events: { faults: { delay: 100 } } });
    await p.start();
    await probe(p, 'feed').listen('state');
    await probe(p, 'bg').emit('state', 1);
    await settle();
    expect(probe(p, 'feed').log()).toEqual([]);
    clock.advance(100);
    expect(probe(p, 'feed').log()).toHaveLength(1);
  });
});

describe('page with the real @forge/react', () => {
  it('reads what a UI Kit module renders and clicks its Button', async () => {
    const p = page([{ key: 'feed', type: 'confluence:homepageFeed', entry: COUNTER }]);
    await p.start();
    const feed = p.module('feed');
    await feed.waitFor(() => feed.text().includes('Count: 0'));
    await feed.click('Add');
    await feed.waitFor(() => feed.text().includes('Count: 1'));
    expect(feed.text()).toContain('Count: 1');
  });
});
