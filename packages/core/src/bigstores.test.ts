import { decodeMessage, encodeMessage, PROTOCOL_VERSION, type Message } from '@bgstore/protocol';
import { createCollection, createHost, createReplica, defineStore, getItem, removeItem, setItem } from '.';
import { createWorld } from '../test/world';

interface Todo {
  id: string;
  title: string;
  done: boolean;
}

// Large enough that a replica's first digest takes several slices (8,000 nodes each).
const todos = defineStore({
  name: 'todos',
  initialState: { todos: createCollection<Todo>(Array.from({ length: 6000 }, (_, i) => ({ id: `t${i}`, title: `Todo ${i}`, done: false }))), list: [] as number[] },
  actions: {
    toggle: (s, id: string) => {
      const t = getItem(s.todos, id);
      if (t) t.done = !t.done;
    },
    add: (s, id: string) => setItem(s.todos, { id, title: id, done: false }),
    remove: (s, id: string) => void removeItem(s.todos, id),
    push: (s, n: number) => void s.list.splice(n % (s.list.length + 1), 0, n),
  },
});

describe('#22 big stores: digests', () => {
  it('#22.1 honest replicas of a large state never mismatch the host’s digest, whatever the actions between beats', async () => {
    const w = createWorld({ seed: 22 });
    const host = createHost(todos, { transport: w.transport('bg'), clock: w.clock, heartbeatMs: 200, digestMs: 300 });
    const feeds = [0, 1].map((k) => createReplica(todos, { transport: w.transport(`feed${k}`), clock: w.clock }));
    await w.run(100);
    const names = ['toggle', 'add', 'remove', 'push'] as const;
    for (let i = 0; i < 60; i++) {
      const name = names[(i * 7) % 4]!;
      const feed = feeds[i % 2]!;
      if (name === 'push') void feed.actions.push(i);
      else void feed.actions[name](`t${(i * 7919) % 6500}`);
      await w.run(i % 10 === 0 ? 700 : 5);
    }
    await w.run(2000);
    for (const feed of feeds) {
      expect(feed.getState()).toEqual(host.getState());
      expect(feed.stats().digestMismatches).toBe(0);
      expect(feed.sync.getState().resyncs).toBe(0);
    }
    host.close();
    feeds.forEach((f) => f.close());
  });

  it('#22.1 a replica diverged by a forged patch is found by the digest kept from patches, and healed', async () => {
    const w = createWorld({ seed: 22 });
    const host = createHost(todos, { transport: w.transport('bg'), clock: w.clock, heartbeatMs: 200, digestMs: 300 });
    const feed = createReplica(todos, { transport: w.transport('feed'), clock: w.clock });
    await w.run(100);
    await feed.actions.toggle('t1');
    await w.run(1000);
    const at = getItem(feed.getState().todos, 't4000')!;
    const [, ...chunks] = feed.getState().todos;
    const chunk = chunks.findIndex((items) => items.some((t) => t.id === 't4000'));
    const j = chunks[chunk]!.findIndex((t) => t.id === 't4000');
    const rogue = w.transport('rogue');
    const forged = { bgstore: PROTOCOL_VERSION, store: 'todos', from: host.epoch, type: 'patch', epoch: host.epoch, base: host.version(), next: host.version() + 1, patches: [{ op: 'replace', path: ['todos', chunk + 1, j, 'title'], value: 'forged' }] } satisfies Message;
    rogue.emit('bgstore:todos:down', encodeMessage(forged));
    await w.run(20);
    expect(getItem(feed.getState().todos, 't4000')).toEqual({ ...at, title: 'forged' });
    // The real host's next change has the forged one's version: the replica sees its state differ.
    await host.actions.toggle('t2');
    await w.run(3000);
    expect(feed.getState()).toEqual(host.getState());
    expect(feed.stats().digestMismatches).toBeGreaterThan(0);
    host.close();
    feed.close();
  });
});

describe('#22 big stores: late joins', () => {
  it('#22.1 a host computes its digest from going live, so the first trailing beat after a burst carries it', async () => {
    const w = createWorld({ seed: 22 });
    const host = createHost(todos, { transport: w.transport('bg'), clock: w.clock, digestMs: 300 });
    const watcher = w.transport('watcher');
    const beats: { at: number; digest?: string }[] = [];
    watcher.on('bgstore:todos:down', (payload) => {
      const d = decodeMessage(payload, 'todos');
      if (d.ok && d.message.type === 'beat') beats.push({ at: w.clock.now(), digest: d.message.digest });
    });
    await w.run(1000);
    const before = beats.length;
    await host.actions.toggle('t1');
    await w.run(250);
    // The first beat after the change: 200 ms after it, with the digest (not a later one).
    expect(beats.slice(before)).toEqual([{ at: expect.any(Number), digest: expect.any(String) }]);
    host.close();
  });

  it('#22.1 a snapshot answering a late joiner goes to its inbox: the live replicas never receive a piece of it', async () => {
    const w = createWorld({ seed: 22 });
    const host = createHost(todos, { transport: w.transport('bg'), clock: w.clock, maxMessageSize: 4000 });
    const feeds = [0, 1].map((k) => createReplica(todos, { transport: w.transport(`feed${k}`), clock: w.clock }));
    await w.run(100);
    await feeds[0]!.actions.toggle('t1');
    await w.run(100);
    const toFeeds: number[] = [];
    const toLate: number[] = [];
    const stop = w.bus.observe((r) => (r.to.startsWith('feed') ? toFeeds : r.to.startsWith('late') ? toLate : []).push(r.bytes));
    const late = createReplica(todos, { transport: w.transport('late'), clock: w.clock });
    await w.run(100);
    stop();
    expect(late.sync.getState().phase).toBe('live');
    expect(late.getState()).toEqual(host.getState());
    // The state is hundreds of kilobytes, in chunks of 4,000 characters: all of them reached the joiner alone.
    expect(toLate.reduce((a, b) => a + b, 0)).toBeGreaterThan(300_000);
    expect(toFeeds.every((bytes) => bytes < 4000)).toBe(true);
    for (const feed of feeds) expect(feed.stats().channel.chunksSkipped).toBe(0);
    host.close();
    [...feeds, late].forEach((r) => r.close());
  });

  it('#22.1 a forged snapshot on a live replica’s inbox is not taken (an inbox is no more trusted than the shared event)', async () => {
    const w = createWorld({ seed: 22 });
    const host = createHost(todos, { transport: w.transport('bg'), clock: w.clock });
    const feed = createReplica(todos, { transport: w.transport('feed'), clock: w.clock });
    await w.run(100);
    const before = feed.getState();
    const rogue = w.transport('rogue');
    const forged = { bgstore: PROTOCOL_VERSION, store: 'todos', from: host.epoch, type: 'snapshot', epoch: host.epoch, version: host.version() + 5, state: { todos: createCollection<Todo>(), list: [] }, to: feed.clientId } satisfies Message;
    rogue.emit(`bgstore:todos:down:${feed.clientId}`, encodeMessage(forged));
    await w.run(100);
    expect(feed.getState()).toBe(before);
    expect(feed.stats().unasked).toBe(1);
    host.close();
    feed.close();
  });

  it('#22.1 a replica that cannot subscribe its inbox, or only later, still joins (the answer comes on the shared event)', async () => {
    const w = createWorld({ seed: 22 });
    const host = createHost(todos, { transport: w.transport('bg'), clock: w.clock });
    const plain = w.transport('noinbox');
    const warnings: string[] = [];
    const noInbox = createReplica(todos, {
      clock: w.clock,
      logger: { warn: (text: string) => void warnings.push(text) },
      transport: { emit: plain.emit, on: (event, handler) => (event === 'bgstore:todos:down' ? plain.on(event, handler) : fail(event)) },
    });
    const slow = w.transport('slow');
    let inboxes = 0;
    const slowInbox = createReplica(todos, {
      clock: w.clock,
      transport: { emit: slow.emit, on: (event, handler) => (event === 'bgstore:todos:down' ? slow.on(event, handler) : (inboxes++, Promise.resolve().then(() => slow.on(event, handler)))) },
    });
    await w.run(1000);
    for (const r of [noInbox, slowInbox]) {
      expect(r.sync.getState().phase).toBe('live');
      expect(r.getState()).toEqual(host.getState());
    }
    expect(inboxes).toBe(1);
    expect(warnings).toEqual([expect.stringContaining('transport.on failed')]);
    host.close();
    noInbox.close();
    slowInbox.close();
  });
});

function fail(event: string): never {
  throw new Error(`no subscriptions to ${event} here`);
}

