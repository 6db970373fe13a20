import { createHash } from 'node:crypto';
import Resolver from '@forge/resolver';
import { createKvsFetch, createManualClock, createPage, createSite, type ModuleSpec, type Page } from '@bgstore/emulator';
import { createNodeRealm } from '@bgstore/emulator/node';
import type { Host, Replica } from '@bgstore/core';
import { DOC_ENTITY_DECLARATION, registerStores } from '@bgstore/resolver';
import { RESOLVER_FUNCTIONS } from '@bgstore/protocol';
import { board } from './modules/store';

// #17 cold commits: a resolver instance that keeps no copy of the document asks the background
// host for its base instead of reading the whole state, on the emulator with the real
// @forge/bridge, @forge/resolver and @forge/kvs; every invocation runs on a fresh instance. The
// module realm is given CompressionStream, as browsers have it.

type Board = typeof board;
const BG = require.resolve('./modules/durableBackground.ts');
const FEED = require.resolve('./modules/feed.ts');

interface Call {
  payload: Record<string, unknown>;
  answer: Record<string, unknown>;
}

function setup() {
  const clock = createManualClock(Date.UTC(2026, 11, 7));
  const kvs = createKvsFetch({ entities: [DOC_ENTITY_DECLARATION as never], clock });
  const site = createSite({ clock, forgeFetch: kvs });
  const restore = site.installForgeFetch();
  const resolver = new Resolver();
  registerStores(resolver, [board], { retryDelayMs: 0, now: () => clock.now(), warmDocuments: 0, realtime: false });
  const inner = resolver.getDefinitions() as unknown as NonNullable<ModuleSpec['resolver']>;
  const commits: Call[] = [];
  const handler: ModuleSpec['resolver'] = async (event, runtime) => {
    const answer = (await inner(event, runtime)) as Record<string, unknown>;
    const e = event as { call: { functionKey: string; payload: Record<string, unknown> } };
    if (e.call.functionKey === RESOLVER_FUNCTIONS.commit) commits.push({ payload: e.call.payload, answer });
    return answer;
  };
  const modules: ModuleSpec[] = [
    { key: 'bg', type: 'confluence:backgroundScript', entry: BG, resolver: handler, globals: { __hostOptions: { revisionCheckMs: undefined }, CompressionStream } },
    { key: 'feed', type: 'confluence:homepageFeed', entry: FEED, resolver: handler },
  ];
  const page = createPage({ site, realm: createNodeRealm, modules, accountId: 'alice' });
  // A board of some size (tens of KB deflated): its state is stored in pieces, which a cold commit would read whole.
  const seed = () =>
    inner(
      { call: { functionKey: RESOLVER_FUNCTIONS.commit, payload: { store: 'board', baseRevision: 0, intents: Array.from({ length: 800 }, (_, i) => ({ clientId: 'seeder', seq: i + 1, name: 'add', args: [`s${i}`, `card ${createHash('sha256').update(String(i)).digest('base64')}`] })) } }, context: {} } as never,
      { installContext: site.installContext, principal: { accountId: 'seeder' } } as never,
    );
  return { clock, site, page, commits, seed, inner, close: () => (page.close(), restore()) };
}

const host = (p: Page) => (p.module('bg').exports as { host: Host<Board['initialState'], Board['actions']> }).host;
const feed = (p: Page) => (p.module('feed').exports as { replica: Replica<Board['initialState'], Board['actions']> }).replica;

describe('#17 cold commits take their base from the background host', () => {
  it('a cold instance answers sendBase, the host resends once with its base, and the action is stored once', async () => {
    const t = setup();
    try {
      await t.seed();
      await t.page.start(['bg', 'feed']);
      await t.clock.advanceAsync(2000);
      for (const id of ['a', 'b']) {
        const added = feed(t.page).actions.add(id, `card ${id}`);
        await t.clock.advanceAsync(1000);
        await added;
      }
      const shapes = t.commits.map((c) => [typeof c.payload.base, 'sendBase' in c.answer ? 'sendBase' : `revision ${String(c.answer.revision)}`]);
      expect(shapes).toEqual([
        ['boolean', 'sendBase'],
        ['string', 'revision 2'],
        ['boolean', 'sendBase'],
        ['string', 'revision 3'],
      ]);
      expect(host(t.page).stats().durable).toMatchObject({ revision: 3, unsaved: 0, error: null });
      const stored = (await t.inner({ call: { functionKey: RESOLVER_FUNCTIONS.load, payload: { store: 'board' } }, context: {} } as never, { installContext: t.site.installContext, principal: { accountId: 'alice' } } as never)) as { state: Board['initialState'] };
      expect(stored.state.cards.slice(-2).map((c) => c.id)).toEqual(['a', 'b']);
      expect(stored.state.cards).toHaveLength(802);
    } finally {
      t.close();
    }
  }, 60_000);
});

// @forge/bridge reads globalThis.__bridge when imported: the persistence below is given its invoke.
const persistenceModule = () => {
  (globalThis as { __bridge?: unknown }).__bridge ??= { callBridge: () => Promise.reject(new Error('not faked')) };
  return import('../src/invokePersistence');
};

describe('#17 invokePersistence sends a base only within invoke’s limit', () => {
  // Hash chains: text no compressor shrinks much (600 KB of base64 deflates to about 450 KB).
  const noise = (i: number) => Array.from({ length: 100 }, (_, k) => createHash('sha512').update(`${i}:${k}`).digest('base64')).join('');
  const big = { cards: Array.from({ length: 68 }, (_, i) => ({ id: `c${i}`, title: noise(i) })), log: [] };
  const answered = { revision: 1, outcomes: [{ clientId: 'h', seq: 1, ok: true }] };
  const batch = { baseRevision: 0, intents: [{ clientId: 'h', seq: 1, name: 'add', args: ['x', 'y'] }] };

  it('a base too large for the request is not sent: the batch goes again without it (storage is read)', async () => {
    const sent: Record<string, unknown>[] = [];
    const invoke = async (_key: string, payload: Record<string, unknown>) => (sent.push(payload), sent.length === 1 ? { sendBase: true } : answered);
    const { createInvokePersistence } = await persistenceModule();
    const persistence = createInvokePersistence(board, { invoke });
    await expect(persistence.commit({ ...batch, base: () => big })).resolves.toMatchObject({ revision: 1 });
    expect(sent.map((p) => p.base)).toEqual([true, undefined]);
  });

  it('after a base storage would read about as cheaply (under 10 KB), the next commits offer none', async () => {
    const sent: Record<string, unknown>[] = [];
    const invoke = async (_key: string, payload: Record<string, unknown>) => (sent.push(payload), payload.base === true ? { sendBase: true } : answered);
    const { createInvokePersistence } = await persistenceModule();
    const persistence = createInvokePersistence(board, { invoke });
    for (let seq = 1; seq <= 3; seq++) await persistence.commit({ ...batch, base: () => board.initialState });
    expect(sent.map((p) => typeof p.base)).toEqual(['boolean', 'string', 'undefined', 'undefined']);
  });

  it('when invoke refuses the request with its base as too large, it goes again without it; a second sendBase is an error', async () => {
    const sent: Record<string, unknown>[] = [];
    const invoke = async (_key: string, payload: Record<string, unknown>) => {
      sent.push(payload);
      if (sent.length === 1) return { sendBase: true };
      if (typeof payload.base === 'string') throw new Error('PAYLOAD_TOO_LARGE: payload of 600000 bytes exceeds the limit');
      return answered;
    };
    const { createInvokePersistence } = await persistenceModule();
    const persistence = createInvokePersistence(board, { invoke });
    await expect(persistence.commit({ ...batch, base: () => board.initialState })).resolves.toMatchObject({ revision: 1 });
    expect(sent.map((p) => typeof p.base)).toEqual(['boolean', 'string', 'undefined']);
    const again = createInvokePersistence(board, { invoke: async () => ({ sendBase: true }) });
    await expect(again.commit({ ...batch, base: () => board.initialState })).rejects.toMatchObject({ code: 'STORAGE_FAILED' });
  });
});
