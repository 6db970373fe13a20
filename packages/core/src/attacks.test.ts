// Natural failures and misbehaving modules on the bus: one lost message, large input, a module of
// an old build, a buggy module that emits forged or stale messages. None may freeze or diverge a
// replica, lose or double an action, or grow memory without bound.
import { encodeMessage, PROTOCOL_VERSION, type Message } from '@bgstore/protocol';
import { createHost, createMemoryPersistence, createReplica, defineStore, type SyncError } from '.';
import { board } from '../test/board';
import { createWorld } from '../test/world';

const env = { bgstore: PROTOCOL_VERSION, store: 'board' } as const;

/** A module that emits raw messages on the bus, as a buggy or stale bundle could. */
function rogue(w: ReturnType<typeof createWorld>) {
  const t = w.transport('rogue');
  return {
    down: (m: Message) => t.emit('bgstore:board:down', encodeMessage(m)),
    up: (m: Message) => t.emit('bgstore:board:up', encodeMessage(m)),
  };
}

describe('#11 host and replica under lost messages and large input', () => {
  it('#11.6 a refusal learned from storage is remembered: a retry after a lost reject is refused again, never saved', async () => {
    const w = createWorld();
    const base = createMemoryPersistence(board);
    const persistence = { ...base, commit: (b: Parameters<typeof base.commit>[0]) => base.commit({ ...b, intents: b.intents.map((i) => (i.name === 'rename' ? { ...i, refused: { code: 'UNAUTHORIZED' as const, message: 'no renames' } } : i)) }) };
    createHost(board, { transport: w.transport('bg'), clock: w.clock, persistence });
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock, retryMs: 200 });
    await w.run(10);
    // Every reject is lost on the way.
    w.bus.setFaults({ drop: 0 });
    const original = w.bus.emit.bind(w.bus);
    w.bus.emit = (member, event, payload) => (Array.isArray(payload) && payload[2] === 'r' ? undefined : original(member, event, payload));
    const call = feed.actions.rename('mine');
    let outcome: string | undefined;
    call.then(() => (outcome = 'saved'), (e: SyncError) => (outcome = e.code));
    await w.run(3000);
    expect(outcome).toBeUndefined(); // not "saved": the retries are answered with the refusal, which is lost too
    w.bus.emit = original;
    await w.run(3000);
    expect(outcome).toBe('UNAUTHORIZED');
    expect(base.peek().state.meta.title).toBe('Team board');
  });

  it('#11.7 sizes batches in UTF-8 bytes: CJK-heavy actions are all saved, none in a request over invoke’s limit', async () => {
    const w = createWorld();
    const base = createMemoryPersistence(board);
    const sizes: number[] = [];
    const persistence = { ...base, commit: async (b: Parameters<typeof base.commit>[0]) => (sizes.push(Buffer.byteLength(JSON.stringify({ store: 'board', ...b }))), base.commit(b)) };
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock, persistence });
    await w.run(10);
    const title = '漢'.repeat(30_000); // 90,000 bytes, 30,000 characters
    const calls = Array.from({ length: 12 }, (_, i) => host.actions.add(`c${i}`, title));
    await w.run(5000);
    await Promise.all(calls);
    expect(base.peek().state.count).toBe(12);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(500_000);
    expect(sizes.length).toBeGreaterThan(1);
  });

  it('#11.7 refuses an intent too large to ever fit a commit at the call site (TOO_LARGE), without a round trip', async () => {
    const w = createWorld();
    createHost(board, { transport: w.transport('bg'), clock: w.clock });
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    await w.run(10);
    await expect(feed.actions.add('big', '漢'.repeat(200_000))).rejects.toMatchObject({ code: 'TOO_LARGE' });
    await expect(feed.actions.add('ok', 'fine')).resolves.toBeUndefined();
  });

  it('#11.7 a request invoke refuses as too large is split, not retried forever', async () => {
    const w = createWorld();
    const base = createMemoryPersistence(board);
    let refusedOnce = 0;
    const persistence = { ...base, commit: async (b: Parameters<typeof base.commit>[0]) => {
      if (b.intents.length > 1) {
        refusedOnce++;
        throw Object.assign(new Error('[bgstore] too large'), { name: 'SyncError', code: 'TOO_LARGE' });
      }
      return base.commit(b);
    } };
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock, persistence });
    await w.run(10);
    const calls = ['a', 'b', 'c'].map((id) => host.actions.add(id, id));
    await w.run(3000);
    await Promise.all(calls);
    expect(base.peek().state.count).toBe(3);
    expect(refusedOnce).toBeGreaterThan(0);
  });
});

describe('#11 forged, stale and hostile bus messages', () => {
  async function live() {
    const w = createWorld();
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock, heartbeatMs: 500, digestMs: 1000 });
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    await w.run(10);
    await feed.actions.add('c1', 'one');
    return { w, host, feed, r: rogue(w) };
  }

  it('#11.11 ignores a snapshot it did not ask for, even with the live epoch and a huge version', async () => {
    const { w, host, feed, r } = await live();
    r.down({ ...env, from: host.epoch, type: 'snapshot', epoch: host.epoch, version: 1e9, state: { cards: [], count: 0, meta: { title: 'forged' } }, to: feed.clientId });
    r.down({ ...env, from: host.epoch, type: 'snapshot', epoch: host.epoch, version: 1e9, state: { cards: [], count: 0, meta: { title: 'forged' } } });
    await w.run(100);
    expect(feed.getState()).toEqual(host.getState());
    await feed.actions.add('c2', 'after');
    expect(feed.getState()).toEqual(host.getState());
  });

  it('#11.11 recovers from a forged beat with a huge version: it resyncs and stays live', async () => {
    const { w, host, feed, r } = await live();
    r.down({ ...env, from: host.epoch, type: 'beat', epoch: host.epoch, version: 1e9 });
    await w.run(2000);
    expect(feed.sync.getState().phase).toBe('live');
    await feed.actions.add('c2', 'after');
    expect(feed.getState()).toEqual(host.getState());
  });

  it('#11.11 heals a replica diverged by a forged patch, through the host’s state digest', async () => {
    const { w, host, feed, r } = await live();
    r.down({ ...env, from: host.epoch, type: 'patch', epoch: host.epoch, base: host.version(), next: host.version() + 1, patches: [{ op: 'replace', path: ['meta', 'title'], value: 'forged' }] });
    await w.run(50);
    expect(feed.getState().meta.title).toBe('forged');
    // The real host moves on; its next digest beat shows the replica it differs.
    await host.actions.rename('real');
    await w.run(3000);
    expect(feed.getState()).toEqual(host.getState());
    expect(feed.stats().digestMismatches + feed.sync.getState().resyncs).toBeGreaterThan(0);
  });

  it('#11.11 a forged floor cannot make later calls resolve without being applied', async () => {
    const { w, host, feed, r } = await live();
    r.up({ ...env, from: feed.clientId, type: 'intents', settledBelow: 1_000_000, items: [{ seq: 1_000_000, name: 'rename', args: ['forged'] }] });
    await w.run(50);
    await feed.actions.add('c2', 'two');
    await feed.actions.add('c3', 'three');
    expect(host.getState().cards.map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
  });

  it('#11.12 bounds held future patches: 5,000 forged patches neither grow memory nor freeze the replica', async () => {
    const { w, host, feed, r } = await live();
    for (let i = 0; i < 5000; i++) r.down({ ...env, from: host.epoch, type: 'patch', epoch: host.epoch, base: 100 + i, next: 101 + i, patches: [{ op: 'replace', path: ['meta', 'title'], value: 'x'.repeat(1000) }] });
    await w.run(3000);
    expect(feed.sync.getState().phase).toBe('live');
    await feed.actions.add('c2', 'two');
    expect(feed.getState()).toEqual(host.getState());
  });

  it('#11.12 rate-limits snapshots: a storm of 100 hellos costs a burst (16), and every asker is still answered', async () => {
    const { w, host, r } = await live();
    const before = host.stats().snapshotsSent;
    for (let i = 0; i < 100; i++) r.up({ ...env, from: `storm${i}`, type: 'hello', epoch: null, version: null });
    await w.run(10);
    expect(host.stats().snapshotsSent - before).toBeLessThanOrEqual(16);
    await w.run(30_000);
    expect(host.stats().snapshotsSent - before).toBe(100);
  });

  it('#11.12 expires half-sent chunked messages on a timer, without another chunk arriving', async () => {
    const w = createWorld();
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock });
    await w.run(10);
    const r = rogue(w);
    for (let i = 0; i < 10; i++) r.up({ ...env, from: 'rogue', type: 'chunk', id: `m${i}`, i: 0, n: 2, data: 'x'.repeat(50_000) });
    await w.run(10);
    expect(host.stats().channel.chunkBytesHeld).toBe(500_000);
    await w.run(20_000);
    expect(host.stats().channel).toMatchObject({ chunkBytesHeld: 0, chunksDropped: 10 });
  });

  it('#11.13 tells a module of another build, in sync, to reload — and does not apply its state', async () => {
    const w = createWorld();
    createHost(board, { transport: w.transport('bg'), clock: w.clock });
    const other = defineStore({ name: 'board', initialState: { cards: [] as { id: string }[] }, actions: { add: (d, id: string) => void d.cards.push({ id }), purge: (d) => void (d.cards = []) } });
    const feed = createReplica(other, { transport: w.transport('feed'), clock: w.clock });
    await w.run(500);
    expect(feed.sync.getState().lastError).toMatchObject({ code: 'BUILD_MISMATCH', message: expect.stringContaining('reload the page') });
    expect(feed.sync.getState().phase).toBe('connecting');
    expect(feed.getState()).toEqual({ cards: [] });
    // It asks only every 30 s: an old bundle does not cost the host a snapshot every few seconds.
    const sent = feed.stats().channel.sent;
    await w.run(25_000);
    expect(feed.stats().channel.sent).toBe(sent);
    await w.run(10_000);
    expect(feed.stats().channel.sent).toBe(sent + 1);
  });

  it('#11.13 is delayed, not frozen, by a stray snapshot claiming another build', async () => {
    const w = createWorld();
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    await w.run(10);
    rogue(w).down({ ...env, from: '1.stray', type: 'snapshot', epoch: '1.stray', version: 5, state: {}, to: feed.clientId, fingerprint: 'other' });
    await w.run(10);
    expect(feed.sync.getState().lastError).toMatchObject({ code: 'BUILD_MISMATCH' });
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock });
    await w.run(31_000);
    expect(feed.sync.getState()).toMatchObject({ phase: 'live', epoch: host.epoch, lastError: null });
  });

  it('#11.14 refuses non-JSON and own __proto__ arguments at the call site, and a __proto__ client id on the bus', async () => {
    const { w, host, feed, r } = await live();
    await expect(feed.actions.add('d', new Date() as never)).rejects.toMatchObject({ code: 'INVALID_ARGS' });
    await expect(feed.actions.add('u', undefined as never)).rejects.toMatchObject({ code: 'INVALID_ARGS' });
    await expect(feed.actions.add('p', JSON.parse('{"__proto__": {"polluted": true}}'))).rejects.toMatchObject({ code: 'INVALID_ARGS' });
    await expect(host.actions.add('p', JSON.parse('{"__proto__": 1}'))).rejects.toMatchObject({ code: 'INVALID_ARGS' });
    r.up({ ...env, from: '__proto__', type: 'intents', settledBelow: 1, items: [{ seq: 1, name: 'rename', args: ['x'] }] } as Message);
    await w.run(50);
    expect(host.getState().meta.title).toBe('Team board');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
