import Resolver from '@forge/resolver';
import { createInvoker, createManualClock, createPage, createQuotaMeter, createSite, InvokeError, type ManualClock, type ModuleSpec, type Page, type Site } from '../src';
import { createNodeRealm } from '../src/node';

type Probe = typeof import('./modules/probe');
const PROBE = require.resolve('./modules/probe.ts');

const r = new Resolver();
r.define('echo', (req) => req.payload ?? null);
const handler = r.getDefinitions() as unknown as ModuleSpec['resolver'];

const pages: Page[] = [];
afterEach(() => pages.splice(0).forEach((p) => p.close()));

async function openPage(site: Site, accountId = 'user-1'): Promise<Probe> {
  const p = createPage({ site, realm: createNodeRealm, accountId, modules: [{ key: 'feed', type: 'confluence:homepageFeed', entry: PROBE, resolver: handler }] });
  pages.push(p);
  await p.start();
  return p.module('feed').exports as Probe;
}

const outcome = (p: Promise<unknown>) => p.then(() => 'ok', (e: { code?: string; status?: number }) => `${e.status ?? ''} ${e.code ?? String(e)}`);

describe('#17.1 invocation quotas, through the real @forge/bridge', () => {
  let clock: ManualClock;
  let site: Site;
  beforeEach(() => {
    clock = createManualClock();
    site = createSite({ clock });
  });

  it('passes 300 invocations in a second, answers the next with 429 RATE_LIMIT_EXCEEDED, and opens the next second', async () => {
    const feed = await openPage(site);
    const results = await Promise.all(Array.from({ length: 301 }, (_, i) => outcome(feed.call('echo', { i }))));
    expect(results.filter((x) => x === 'ok')).toHaveLength(300);
    expect(results[300]).toBe('429 RATE_LIMIT_EXCEEDED');
    expect(site.quota.snapshot().throttled).toEqual({ invocationsPerSecond: 1 });
    clock.advance(1000);
    await expect(feed.call('echo', { i: 'next' })).resolves.toEqual({ i: 'next' });
  });

  it('limits each user to 1,200 a minute across their pages, and other users go on', async () => {
    const tabs = [await openPage(site, 'alice'), await openPage(site, 'alice'), await openPage(site, 'alice')];
    const bob = await openPage(site, 'bob');
    const results: string[] = [];
    // 240 a second over five seconds: the installation's 300/s never binds, and no tab passes
    // the bridge's own 500 per 25 s.
    for (let i = 0; i < 1201; i++) {
      if (i > 0 && i % 240 === 0) clock.advance(1000);
      results.push(await outcome(tabs[i % 3]!.call('echo')));
    }
    expect(results.slice(0, 1200).every((x) => x === 'ok')).toBe(true);
    expect(results[1200]).toBe('429 RATE_LIMIT_EXCEEDED');
    expect(await outcome(bob.call('echo'))).toBe('ok');
    clock.advance(60_000 - clock.now());
    expect(await outcome(tabs[0]!.call('echo'))).toBe('ok');
  });

  it('answers rateLimitProperties with the tightest invocation window when asked', async () => {
    const feed = await openPage(site);
    await feed.call('echo');
    const answer = (await feed.callWithLimits('echo', { a: 1 })) as unknown;
    expect(answer).toEqual({ body: { a: 1 }, metadata: { rateLimitProperties: { rateLimitRemaining: 298, rateLimitReset: 1000, rateLimitLimit: 300 } } });
    clock.advance(59_500);
    // Late in the minute the user's 1,200 still leaves more than the second's 300.
    expect(await feed.callWithLimits('echo')).toMatchObject({ metadata: { rateLimitProperties: { rateLimitRemaining: 299, rateLimitReset: 60_000, rateLimitLimit: 300 } } });
  });

  it('passes 7,000 invocations a minute per installation and refuses the next, whoever calls', async () => {
    // Seven users, 20 calls each a second (140 in all, under 300/s), in two 25 s bursts so that no
    // page passes the bridge's own 500 per 25 s and no user their 1,200 a minute.
    const users = await Promise.all(Array.from({ length: 7 }, (_, u) => openPage(site, `user-${u}`)));
    let ok = 0;
    for (const second of [...Array.from({ length: 25 }, (_, s) => s), ...Array.from({ length: 25 }, (_, s) => 26 + s)]) {
      clock.advance(second * 1000 - clock.now());
      const results = await Promise.all(users.flatMap((feed) => Array.from({ length: 20 }, () => outcome(feed.call('echo')))));
      ok += results.filter((x) => x === 'ok').length;
    }
    expect(ok).toBe(7000);
    clock.advance(1000);
    const late = await openPage(site, 'someone-new');
    expect(await outcome(late.call('echo'))).toBe('429 RATE_LIMIT_EXCEEDED');
    expect(site.quota.snapshot().throttled).toEqual({ invocationsPerMinute: 1 });
    clock.advance(60_000 - clock.now());
    expect(await outcome(late.call('echo'))).toBe('ok');
  });

  it('only counts when quotas are switched off', async () => {
    const feed = await openPage(createSite({ clock, quotas: false }));
    const results = await Promise.all(Array.from({ length: 400 }, () => outcome(feed.call('echo'))));
    expect(results.every((x) => x === 'ok')).toBe(true);
  });

  it('rejects with an InvokeError the caller can tell from other failures', async () => {
    const quota = createQuotaMeter({ clock, limits: { invocationsPerSecond: 0 } });
    const invoker = createInvoker({ clock, quota });
    const error = await invoker.invoke({ functionKey: 'echo', context: {}, moduleKey: 'feed', handler, runtime: { installContext: 'site' } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvokeError);
    expect(error).toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', status: 429, resetsAt: 1000 });
  });
});

describe('#17.1 Realtime quota, through the real @forge/bridge', () => {
  it('passes 50 operations a second (subscribe and publish together), refuses the next, and opens the next second', async () => {
    const clock = createManualClock();
    const site = createSite({ clock });
    const a = await openPage(site, 'alice');
    const b = await openPage(site, 'bob');
    await a.subscribeGlobal('rev');
    await b.subscribeGlobal('rev');
    for (let i = 0; i < 48; i++) expect(await a.publishGlobal('rev', { i })).toMatchObject({ eventId: expect.any(String) });
    const refused = (await b.publishGlobal('rev', { i: 'over' })) as { eventId: unknown; errors?: string[] };
    expect(refused.eventId).toBeNull();
    expect(refused.errors?.[0]).toMatch(/^RATE_LIMIT_EXCEEDED/);
    await expect(b.subscribeGlobal('other')).rejects.toMatchObject({ code: 'RATE_LIMIT_EXCEEDED', status: 429 });
    expect(site.quota.snapshot()).toMatchObject({ totals: { realtimeOps: 50 }, throttled: { realtimeOps: 2 } });
    clock.advance(1000);
    expect(await b.publishGlobal('rev', { i: 'next' })).toMatchObject({ eventId: expect.any(String) });
  });
});
