import { publishGlobal, signRealtimeToken } from '@forge/realtime';
import { createKvsFetch, createManualClock, createPage, createRealtimeBackend, createRealtimeHub, createSite, type Page } from '../src';
import { createNodeRealm } from '../src/node';

type Probe = typeof import('./modules/realtimeProbe');
const PROBE = require.resolve('./modules/realtimeProbe.ts');
const settle = () => new Promise((r) => setImmediate(r));

function setup() {
  const clock = createManualClock(Date.UTC(2026, 11, 6));
  const site = createSite({ clock, forgeFetch: createKvsFetch({ clock }) });
  const restore = site.installForgeFetch();
  const pages: Page[] = [];
  const open = async () => {
    const page = createPage({ site, realm: createNodeRealm, modules: [{ key: 'bg', type: 'confluence:backgroundScript', entry: PROBE }] });
    pages.push(page);
    await page.start();
    return page.module('bg').exports as Probe;
  };
  return { clock, site, open, close: () => (pages.forEach((p) => p.close()), restore()) };
}

describe('#17.2 Realtime from functions: @forge/realtime publish and channel tokens', () => {
  it('delivers a function publishGlobal to pages subscribed on the channel', async () => {
    const t = setup();
    try {
      const page = await t.open();
      expect(await page.subscribe('open')).toBe('subscribed');
      const result = await publishGlobal('open', { revision: 2 });
      expect(result).toMatchObject({ eventId: expect.any(String) });
      await settle();
      expect(page.log()).toEqual([{ revision: 2 }]);
      expect(t.site.realtimeBackend.stats()).toMatchObject({ published: 1, tokensSigned: 0 });
    } finally {
      t.close();
    }
  });

  it('once a token is signed for a channel, pages subscribe only with a token for it, and publish only with one that grants publish', async () => {
    const t = setup();
    try {
      const signed = await signRealtimeToken('doc-1', { doc: 'doc-1' }, ['subscribe']);
      const other = await signRealtimeToken('doc-2', {}, ['subscribe']);
      expect(signed).toMatchObject({ token: expect.any(String), expiresAt: expect.any(String) });
      const reader = await t.open();
      const intruder = await t.open();
      expect(await reader.subscribe('doc-1', signed.token)).toBe('subscribed');
      expect(await intruder.subscribe('doc-1')).toMatch(/protected by a token/);
      expect(await intruder.subscribe('doc-1', other.token)).toMatch(/CHANNEL_NAME_MISMATCH/);
      expect(await intruder.subscribe('doc-1', `${signed.token.slice(0, -2)}xx`)).toMatch(/INVALID_TOKEN/);
      // A reader's own subscribe-only token does not let it publish what other readers apply.
      expect(await reader.publish('doc-1', { forged: true }, signed.token)).toMatchObject({ errors: [{ message: expect.stringMatching(/MISSING_PERMISSION/) }] });
      expect(await reader.publish('doc-1', { forged: true })).toMatchObject({ errors: [expect.anything()] });
      // The app's function publishes without a token (it acts as the app).
      await publishGlobal('doc-1', { revision: 5 });
      await settle();
      expect(reader.log()).toEqual([{ revision: 5 }]);
      expect(intruder.log()).toEqual([]);
      expect(t.site.realtimeBackend.stats()).toMatchObject({ published: 1, tokensSigned: 2, refusedPublishes: 2, refusedSubscribes: 3 });
    } finally {
      t.close();
    }
  });

  it('refuses a subscription with an expired token (the emulator clock decides)', async () => {
    const t = setup();
    try {
      const signed = await signRealtimeToken('doc-1', {}, ['subscribe']);
      t.clock.advance(3_600_000);
      const page = await t.open();
      expect(await page.subscribe('doc-1', signed.token)).toMatch(/TOKEN_EXPIRED/);
    } finally {
      t.close();
    }
  });

  it('answers a signing past the installation\'s Realtime budget with 429, which @forge/realtime reports as RATE_LIMIT_EXCEEDED', async () => {
    const clock = createManualClock(Date.UTC(2026, 11, 6));
    const hub = createRealtimeHub();
    let left = 1;
    const backend = createRealtimeBackend({ hub, installation: 'i', clock, admitSign: () => left-- > 0 });
    const previous = (globalThis as { __forge_fetch__?: unknown }).__forge_fetch__;
    (globalThis as { __forge_fetch__?: unknown }).__forge_fetch__ = backend.route();
    try {
      expect(await signRealtimeToken('doc-1', {}, ['subscribe'])).toMatchObject({ token: expect.any(String) });
      expect(await signRealtimeToken('doc-1', {}, ['subscribe'])).toMatchObject({ token: null, errors: [{ message: 'RATE_LIMIT_EXCEEDED', status: 429 }] });
      expect(backend.stats().tokensSigned).toBe(1);
    } finally {
      (globalThis as { __forge_fetch__?: unknown }).__forge_fetch__ = previous;
    }
  });
});
