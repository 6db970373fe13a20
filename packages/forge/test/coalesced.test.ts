import Resolver from '@forge/resolver';
import { createKvsFetch, createManualClock, createRealtimeBackend, createRealtimeHub, realtimeScope } from '@bgstore/emulator';
import { DOC_ENTITY_DECLARATION, registerStores } from '@bgstore/resolver';
import { board } from './modules/store';

// #17 coalesced publishes reach a page late, out of order, twice or not at all: the page applies a
// change only on exactly its revision, holds one that does not fit yet, ignores a repeat, and checks
// storage (once) only for a change that never came. The real resolver publishes through
// @forge/realtime on the emulator; the test decides when (and whether) each publish is delivered.

// @forge/bridge reads globalThis.__bridge when imported: this test's pages never use the bridge.
(globalThis as { __bridge?: unknown }).__bridge = { callBridge: () => Promise.reject(new Error('no bridge in this test')) };
const { startHost } = require('../src') as typeof import('../src');

const noTransport = { emit: () => undefined, on: () => () => undefined };

function setup() {
  const clock = createManualClock(Date.UTC(2026, 11, 7));
  const kvs = createKvsFetch({ entities: [DOC_ENTITY_DECLARATION as never], clock });
  const hub = createRealtimeHub();
  const backend = createRealtimeBackend({ hub, installation: 'i-1', clock });
  Object.assign(globalThis, { __forge_fetch__: backend.route(kvs), __forge_runtime__: { appContext: { installationId: 'i-1' } } });
  const resolver = new Resolver();
  // Every commit publishes (an interval of 0): the test orders the publishes itself.
  registerStores(resolver, [board], { now: () => clock.now(), realtime: { publishEveryMs: 0 } });
  const handler = resolver.getDefinitions() as unknown as (e: unknown, r: unknown) => Promise<unknown>;
  const call = async (functionKey: string, payload: Record<string, unknown>, accountId: string) =>
    JSON.parse(JSON.stringify(await handler({ call: { functionKey, payload }, context: {} }, { installContext: 'site-1', principal: { accountId } }))) as Record<string, unknown>;
  const invoked: string[] = [];
  const held: unknown[] = [];
  let deliver: (payload: unknown) => void = () => undefined;
  const global = realtimeScope({ installation: 'i-1', moduleKey: '', context: {}, isGlobal: true });
  const page = startHost(board, {
    transport: noTransport,
    clock,
    caller: { accountId: 'alice' },
    invoke: (key, payload) => (invoked.push(key), call(key, payload, 'alice')),
    // Publishes wait in `held` until the test delivers them.
    realtime: {
      subscribeGlobal: (channel, callback) => {
        deliver = (payload) => void callback(payload);
        return hub.subscribe(global, channel, (payload) => void held.push(payload));
      },
    },
  });
  let seq = 0;
  /** Another user's commit straight into the resolver (published into `held`). */
  const commit = async (id: string) => {
    const revision = page.stats().durable!.revision + seq;
    await call('bgstore.commit', { store: 'board', baseRevision: revision, intents: [{ clientId: 'bob-tab', seq: ++seq, name: 'add', args: [id, id] }] }, 'bob');
  };
  return { clock, page, invoked, held, deliver: (payload: unknown) => deliver(payload), commit };
}

const ids = (t: ReturnType<typeof setup>) => t.page.getState().cards.map((c) => c.id);

describe('#17 coalesced publishes on a page', () => {
  it('#17 a page holds a change that arrives before the one it follows, applies both, and ignores a repeat, invoking nothing', async () => {
    const t = setup();
    await t.clock.advanceAsync(3000); // loaded, subscribed, past the check after loading
    const before = t.invoked.length;
    await t.commit('c1');
    await t.commit('c2');
    expect(t.held).toHaveLength(2);
    const [first, second] = t.held as unknown[];
    t.deliver(second);
    await t.clock.advanceAsync(300);
    expect(ids(t)).toEqual([]);
    t.deliver(first);
    await t.clock.advanceAsync(300);
    expect(ids(t)).toEqual(['c1', 'c2']);
    t.deliver(first);
    t.deliver(second);
    await t.clock.advanceAsync(2000);
    expect(ids(t)).toEqual(['c1', 'c2']);
    expect(t.page.stats().durable?.revision).toBe(2);
    expect(t.invoked.slice(before)).toEqual([]);
    t.page.close();
  });

  it('#17 a change after a publish that never came is held a moment, then one check brings the page up to date', async () => {
    const t = setup();
    await t.clock.advanceAsync(3000);
    const before = t.invoked.length;
    await t.commit('c1');
    await t.commit('c2');
    t.deliver(t.held[1]); // the first publish is lost
    await t.clock.advanceAsync(500);
    expect(ids(t)).toEqual([]);
    expect(t.invoked.slice(before)).toEqual([]);
    await t.clock.advanceAsync(2000);
    expect(ids(t)).toEqual(['c1', 'c2']);
    expect(t.invoked.slice(before)).toEqual(['bgstore.load']);
    t.page.close();
  });
});
