import { createHost, createMemoryPersistence, createReplica, type SyncError } from '.';
import { board } from '../test/board';
import { createWorld } from '../test/world';

describe('a host that persists', () => {
  it('settles calls even when a subscriber throws', async () => {
    const w = createWorld();
    const warnings: string[] = [];
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock, logger: { warn: (m) => warnings.push(m) } });
    await host.ready;
    host.subscribe(() => {
      throw new Error('boom');
    });
    await expect(host.actions.add('c1', 'one')).resolves.toBeUndefined();
    expect(warnings.some((m) => m.includes('boom'))).toBe(true);
  });

  it('gives its own calls the replica’s contract: applied at once, settled once stored or refused', async () => {
    const w = createWorld();
    const persistence = createMemoryPersistence(board);
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock, persistence, flushDelayMs: 500 });
    await host.ready;
    const call = host.actions.add('c1', 'one');
    let stored = false;
    void call.then(() => (stored = true));
    await call.applied;
    expect(host.getState().count).toBe(1);
    expect(stored).toBe(false);
    await w.run(600);
    expect(stored).toBe(true);
    expect(persistence.peek().state.count).toBe(1);
    const refused = host.actions.toggle('nope');
    await expect(refused.applied).rejects.toMatchObject({ code: 'ACTION_FAILED' });
    await expect(refused).rejects.toMatchObject({ code: 'ACTION_FAILED' });
  });

  it('serves replicas only after loading: they stay connecting, never see a fake empty state', async () => {
    const w = createWorld();
    const persistence = createMemoryPersistence(board);
    const first = createHost(board, { transport: w.transport('bg'), clock: w.clock, persistence });
    await first.actions.add('c1', 'stored').applied;
    first.flush();
    await w.run(10);
    first.close();
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const slow = { ...persistence, load: async () => (await gate, persistence.load()) };
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock, persistence: slow });
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    await w.run(1000);
    expect(feed.sync.getState().phase).toBe('connecting');
    release();
    await w.run(500);
    expect(feed.sync.getState().phase).toBe('live');
    expect(feed.getState().cards.map((c) => c.id)).toEqual(['c1']);
    expect(host.getState()).toEqual(feed.getState());
  });

  it('commits a burst of 1,000 actions in at most two writes', async () => {
    const w = createWorld();
    const persistence = createMemoryPersistence(board);
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock, persistence });
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    await w.run(10);
    const calls = Array.from({ length: 1000 }, (_, i) => feed.actions.add(`c${i}`, `card ${i}`));
    await w.run(2000);
    await Promise.all(calls);
    expect(persistence.commits()).toBeLessThanOrEqual(2);
    expect(persistence.peek().state.count).toBe(1000);
    expect(host.stats().durable).toMatchObject({ unsaved: 0, saving: false, error: null });
  });

  it('resolves an action only once it is saved, and shows saving status to replicas', async () => {
    const w = createWorld();
    const persistence = createMemoryPersistence(board);
    createHost(board, { transport: w.transport('bg'), clock: w.clock, persistence, flushDelayMs: 500 });
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    await w.run(10);
    let resolved = false;
    void feed.actions.add('c1', 'one').then(() => (resolved = true));
    await w.run(100);
    expect(feed.getState().count).toBe(1);
    expect(resolved).toBe(false);
    expect(feed.sync.getState().durable).toMatchObject({ unsaved: 1 });
    await w.run(600);
    expect(resolved).toBe(true);
    expect(feed.sync.getState().durable).toMatchObject({ unsaved: 0, saving: false, revision: 1 });
  });

  it('retries failed commits with backoff and loses nothing', async () => {
    const w = createWorld();
    const persistence = createMemoryPersistence(board);
    const logs: string[] = [];
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock, persistence, logger: { warn: (m) => logs.push(m) } });
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    await w.run(10);
    persistence.failNext(3);
    const done = feed.actions.add('c1', 'survives');
    await w.run(400);
    expect(feed.sync.getState().durable?.error?.code).toBe('STORAGE_FAILED');
    await w.run(10_000);
    await done;
    expect(persistence.peek().state.cards.map((c) => c.id)).toEqual(['c1']);
    expect(feed.sync.getState().durable).toMatchObject({ error: null, unsaved: 0 });
    expect(logs.some((l) => l.includes('retrying'))).toBe(true);
    expect(host.getState()).toEqual(persistence.peek().state);
  });

  it('#20.1 takes the jitter of its retries from the injected random source', async () => {
    const waits = async (random: () => number) => {
      const w = createWorld();
      const persistence = createMemoryPersistence(board);
      const logs: string[] = [];
      const host = createHost(board, { transport: w.transport('bg'), clock: w.clock, persistence, random, logger: { warn: (m) => logs.push(m) } });
      await w.run(10);
      persistence.failNext(2);
      void host.actions.add('c1', 'one');
      await w.run(5000);
      return logs.filter((l) => l.includes('retrying')).map((l) => Number(/retrying in (\d+) ms/.exec(l)![1]));
    };
    expect(await waits(() => 0)).toEqual([400, 800]);
    expect(await waits(() => 0.5)).toEqual([500, 1000]);
  });

  it('rebases on another tab’s commit: replicas get patches, not a reload', async () => {
    const tabA = createWorld();
    const tabB = createWorld();
    const persistence = createMemoryPersistence(board);
    const hostA = createHost(board, { transport: tabA.transport('bg'), clock: tabA.clock, persistence });
    const hostB = createHost(board, { transport: tabB.transport('bg'), clock: tabB.clock, persistence });
    const feedA = createReplica(board, { transport: tabA.transport('feed'), clock: tabA.clock });
    await Promise.all([tabA.run(10), tabB.run(10)]);
    await hostB.actions.add('b1', 'from tab B').applied;
    await tabB.run(500);
    const snapshots = hostA.stats().snapshotsSent;
    const added = feedA.actions.add('a1', 'from tab A');
    await tabA.run(500);
    await added;
    expect(hostA.getState().cards.map((c) => c.id).sort()).toEqual(['a1', 'b1']);
    expect(feedA.getState()).toEqual(hostA.getState());
    expect(hostA.stats().rebases).toBe(1);
    expect(hostA.stats().snapshotsSent).toBe(snapshots);
    hostB.checkRevision();
    await tabB.run(10);
    expect(hostB.getState()).toEqual(hostA.getState());
  });

  it('notices other tabs’ commits by checking the revision periodically', async () => {
    const tabA = createWorld();
    const tabB = createWorld();
    const persistence = createMemoryPersistence(board);
    createHost(board, { transport: tabA.transport('bg'), clock: tabA.clock, persistence, revisionCheckMs: 1000 });
    const feedA = createReplica(board, { transport: tabA.transport('feed'), clock: tabA.clock });
    const hostB = createHost(board, { transport: tabB.transport('bg'), clock: tabB.clock, persistence });
    await Promise.all([tabA.run(10), tabB.run(10)]);
    await hostB.actions.rename('renamed in B').applied;
    await tabB.run(500);
    await tabA.run(1500);
    expect(feedA.getState().meta.title).toBe('renamed in B');
  });

  it('rolls back an action storage refuses and tells its caller why', async () => {
    const w = createWorld();
    const base = createMemoryPersistence(board);
    const persistence = {
      ...base,
      commit: async (batch: Parameters<typeof base.commit>[0]) => {
        const result = await base.commit({ ...batch, intents: batch.intents.map((i) => (i.name === 'rename' ? { ...i, refused: { code: 'UNAUTHORIZED' as const, message: '[bgstore] only admins rename' } } : i)) });
        return { ...result, state: base.peek().state };
      },
    };
    createHost(board, { transport: w.transport('bg'), clock: w.clock, persistence });
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    await w.run(10);
    const refused = feed.actions.rename('mine').catch((e: SyncError) => e.code);
    await w.run(100);
    expect(feed.getState().meta.title).toBe('mine');
    await w.run(1000);
    expect(await refused).toBe('UNAUTHORIZED');
    expect(feed.getState().meta.title).toBe('Team board');
  });
});
