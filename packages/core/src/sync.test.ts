import { createHost, createMemoryPersistence, createReplica, isSyncError, SyncError } from '.';
import { decodeMessage } from '@bgstore/protocol';
import { board } from '../test/board';
import { createWorld } from '../test/world';

describe('host and replicas', () => {
  it('brings a replica started before the host to the host’s state', async () => {
    const w = createWorld();
    const replica = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    await w.run(10);
    expect(replica.sync.getState().phase).toBe('connecting');
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock });
    await host.actions.add('c1', 'first');
    await w.run(1000);
    expect(replica.sync.getState().phase).toBe('live');
    expect(replica.getState()).toEqual(host.getState());
  });

  it('applies an action sent from a replica on the host and resolves once applied', async () => {
    const w = createWorld();
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock });
    const a = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    const b = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    await w.run(10);
    const done = a.actions.add('c1', 'Write docs');
    await w.run(10);
    await expect(done).resolves.toBeUndefined();
    expect(host.getState().cards).toEqual([{ id: 'c1', title: 'Write docs', done: false }]);
    expect(a.getState()).toEqual(host.getState());
    expect(b.getState()).toEqual(host.getState());
  });

  it('rejects an action whose recipe throws, with a code, to the caller only; the host keeps running', async () => {
    const w = createWorld();
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock });
    const a = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    await w.run(10);
    const failed = a.actions.toggle('missing');
    await w.run(10);
    const error = await failed.catch((e: unknown) => e);
    expect(isSyncError(error)).toBe(true);
    expect((error as SyncError).code).toBe('ACTION_FAILED');
    expect((error as SyncError).message).toMatch(/^\[bgstore\] board\.toggle threw: no card missing/);
    expect(a.sync.getState().lastError?.code).toBe('ACTION_FAILED');
    await a.actions.add('c1', 'still works').then(() => undefined);
    await w.run(10);
    expect(host.getState().count).toBe(1);
  });

  it.each([
    ['INVALID_ARGS', (r: ReturnType<typeof createReplica<typeof board.initialState, typeof board.actions>>) => r.actions.rename('')],
    ['NON_JSON_STATE', (r: ReturnType<typeof createReplica<typeof board.initialState, typeof board.actions>>) => r.actions.putDate()],
  ])('refuses with %s and leaves the state unchanged', async (code, call) => {
    const w = createWorld();
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock });
    const a = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    await w.run(10);
    const before = host.getState();
    const p = call(a).catch((e: SyncError) => e.code);
    await w.run(10);
    expect(await p).toBe(code);
    expect(host.getState()).toBe(before);
  });

  it('sends an unshift as one add, not a replace per element', async () => {
    const w = createWorld();
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock });
    for (let i = 0; i < 50; i++) await host.actions.add(`c${i}`, `card ${i}`);
    const sent: unknown[] = [];
    w.bus.observe(() => undefined);
    const spy = w.transport('spy');
    spy.on('bgstore:board:down', (m) => {
      const d = decodeMessage(m, 'board');
      if (d.ok) sent.push(d.message);
    });
    await host.actions.addFirst('new', 'on top');
    await w.run(1);
    const patch = sent.find((m) => (m as { type: string }).type === 'patch') as { patches: { op: string; path: unknown[] }[] };
    expect(patch.patches).toEqual([
      { op: 'add', path: ['cards', 0], value: { id: 'new', title: 'on top', done: false } },
      { op: 'replace', path: ['count'], value: 51 },
    ]);
  });
});

describe('replica catch-up and resync', () => {
  it('catches up on a missed last patch from the idle heartbeat, without another change', async () => {
    const w = createWorld({ faults: { links: {} } });
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock, heartbeatMs: 1000 });
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    await w.run(10);
    w.bus.setFaults({ links: { 'bg->feed': { drop: 1 } } });
    await host.actions.add('c1', 'lost on the way');
    await w.run(10);
    expect(feed.getState().count).toBe(0);
    w.bus.setFaults(undefined);
    await w.run(1500);
    expect(feed.getState()).toEqual(host.getState());
    expect(host.stats().catchUpsSent).toBe(1);
  });

  it('holds a patch that arrives before the one it follows, then asks for exactly what it missed', async () => {
    const w = createWorld();
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock });
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock, gapHoldMs: 100 });
    await w.run(10);
    const snapshots = host.stats().snapshotsSent;
    w.bus.setFaults({ links: { 'bg->feed': { drop: 1 } } });
    await host.actions.add('c1', 'one');
    w.bus.setFaults(undefined);
    await host.actions.add('c2', 'two');
    await w.run(0);
    expect(feed.sync.getState().version).toBe(0);
    await w.run(150);
    expect(feed.getState()).toEqual(host.getState());
    expect(host.stats().snapshotsSent).toBe(snapshots);
    expect(host.stats().catchUpsSent).toBe(1);
    expect(feed.sync.getState()).toMatchObject({ resyncs: 1, lastResync: { reason: 'gap' } });
  });

  it('sends a snapshot when its log no longer covers what a replica missed', async () => {
    const w = createWorld();
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock, logEntries: 2 });
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    await w.run(10);
    w.bus.setFaults({ links: { 'bg->feed': { drop: 1 } } });
    for (let i = 0; i < 5; i++) await host.actions.add(`c${i}`, `card ${i}`);
    w.bus.setFaults(undefined);
    const before = host.stats().snapshotsSent;
    await w.run(5000);
    expect(feed.getState()).toEqual(host.getState());
    expect(host.stats().snapshotsSent).toBe(before + 1);
  });

  it('drops duplicate patches', async () => {
    const w = createWorld({ faults: { duplicate: 1 } });
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock });
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    await w.run(10);
    await host.actions.add('c1', 'once');
    await w.run(10);
    expect(feed.getState().cards).toHaveLength(1);
    expect(feed.stats().duplicates).toBeGreaterThan(0);
  });

  it('keeps the identity of untouched slices across patches and snapshots', async () => {
    const w = createWorld();
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock, logEntries: 1 });
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    await host.actions.add('c1', 'one');
    await w.run(10);
    const { meta, cards } = feed.getState();
    await host.actions.add('c2', 'two');
    await w.run(10);
    expect(feed.getState().meta).toBe(meta);
    expect(feed.getState().cards).not.toBe(cards);
    expect(feed.getState().cards[0]).toBe(cards[0]);
    // Missing three patches forces a snapshot; equal slices still keep their identity.
    const before = feed.getState();
    w.bus.setFaults({ links: { 'bg->feed': { drop: 1 } } });
    await host.actions.toggle('c2');
    await host.actions.toggle('c2');
    await host.actions.toggle('c2');
    w.bus.setFaults(undefined);
    await w.run(5000);
    expect(feed.getState()).toEqual(host.getState());
    expect(feed.getState().meta).toBe(before.meta);
    expect(feed.getState().cards[0]).toBe(before.cards[0]);
    expect(feed.getState().cards[1]).not.toBe(before.cards[1]);
  });

  it('chunks a message larger than the limit and reassembles it', async () => {
    const w = createWorld();
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock, maxMessageSize: 1000 });
    for (let i = 0; i < 100; i++) await host.actions.add(`c${i}`, `a card with a longish title number ${i}`);
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock, maxMessageSize: 1000 });
    await w.run(1000);
    expect(feed.getState()).toEqual(host.getState());
    expect(host.stats().channel.sent).toBeGreaterThan(host.stats().snapshotsSent + 100);
  });

  it('lets replicas skip the pieces of a snapshot addressed to another (one without an inbox)', async () => {
    const w = createWorld();
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock, maxMessageSize: 1000 });
    const early = createReplica(board, { transport: w.transport('early'), clock: w.clock });
    for (let i = 0; i < 100; i++) await host.actions.add(`c${i}`, `a card with a longish title number ${i}`);
    await w.run(100);
    expect(early.getState()).toEqual(host.getState());
    // An older build's replica has no inbox: the answer to it goes on the shared event, and others skip its pieces.
    const shared = w.transport('late');
    const noInbox = { emit: shared.emit, on: (event: string, handler: (payload: unknown) => void) => (event === 'bgstore:board:down' ? shared.on(event, handler) : new Promise<never>(() => undefined)) };
    const late = createReplica(board, { transport: noInbox, clock: w.clock });
    await w.run(1000);
    expect(late.getState()).toEqual(host.getState());
    expect(early.getState()).toEqual(host.getState());
    expect(late.stats().channel.chunksSkipped).toBe(0);
    expect(early.stats().channel.chunksSkipped).toBeGreaterThan(5);
    expect(early.stats().snapshotsApplied).toBe(1);
  });

  it('follows a restarted host: unconfirmed actions are sent again and applied once', async () => {
    const w = createWorld();
    const persistence = createMemoryPersistence(board);
    let host = createHost(board, { transport: w.transport('bg'), clock: w.clock, persistence });
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    await w.run(10);
    w.bus.setFaults({ links: { 'bg->feed': { drop: 1 } } });
    const first = feed.actions.add('c1', 'applied, ack lost');
    await w.run(10);
    host.close();
    w.bus.setFaults(undefined);
    host = createHost(board, { transport: w.transport('bg'), clock: w.clock, persistence });
    const second = feed.actions.add('c2', 'sent to the new host');
    await w.run(3000);
    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    // c1 was applied but not yet saved when the host died; the replica sent it again after c2.
    expect(host.getState().cards.map((c) => c.id).sort()).toEqual(['c1', 'c2']);
    expect(persistence.peek().state).toEqual(host.getState());
    expect(feed.getState()).toEqual(host.getState());
    expect(feed.sync.getState()).toMatchObject({ epoch: host.epoch, pending: 0, phase: 'live' });
  });
});

describe('optimistic replicas', () => {
  it('are optimistic by default; optimistic: false shows a call only once the host applied it', async () => {
    const w = createWorld({ faults: { delay: 50 } });
    createHost(board, { transport: w.transport('bg'), clock: w.clock });
    const byDefault = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    const waiting = createReplica(board, { transport: w.transport('feed'), clock: w.clock, optimistic: false });
    await w.run(300);
    const a = byDefault.actions.add('a', 'at once');
    const b = waiting.actions.add('b', 'after the host');
    expect(byDefault.getState().cards.map((c) => c.id)).toEqual(['a']);
    expect(waiting.getState().cards).toEqual([]);
    await w.run(300);
    await Promise.all([a, b]);
    expect(waiting.getState().cards.map((c) => c.id)).toEqual(['a', 'b']);
  });

  it('resolves call.applied once the host has it, and the call once it is stored', async () => {
    const w = createWorld();
    const persistence = createMemoryPersistence(board);
    createHost(board, { transport: w.transport('bg'), clock: w.clock, persistence, flushDelayMs: 1000 });
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    await w.run(10);
    const call = feed.actions.add('c1', 'one');
    const seen: string[] = [];
    void call.applied.then(() => seen.push('applied'));
    void call.then(() => seen.push('stored'));
    await w.run(100);
    expect(seen).toEqual(['applied']);
    expect(persistence.peek().state.count).toBe(0);
    await w.run(1500);
    expect(seen).toEqual(['applied', 'stored']);
    expect(persistence.peek().state.count).toBe(1);
  });

  it('shows an action at once and never flickers back when it is confirmed', async () => {
    const w = createWorld({ faults: { delay: 50 } });
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock });
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock, optimistic: true });
    await w.run(200);
    const counts: number[] = [];
    feed.subscribe((s) => counts.push(s.count));
    const done = feed.actions.add('c1', 'instant');
    expect(feed.getState().count).toBe(1);
    expect(feed.sync.getState().pending).toBe(1);
    await w.run(200);
    await done;
    expect(feed.sync.getState().pending).toBe(0);
    expect(counts.every((c) => c === 1)).toBe(true);
    expect(feed.getState()).toEqual(host.getState());
  });

  it('does not show an action its own validator refuses, and reports the host’s refusal', async () => {
    const w = createWorld({ faults: { delay: 50 } });
    createHost(board, { transport: w.transport('bg'), clock: w.clock });
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock, optimistic: true });
    await w.run(200);
    const refused = feed.actions.rename('').catch((e: SyncError) => e.code);
    expect(feed.getState().meta.title).toBe('Team board');
    await w.run(200);
    expect(await refused).toBe('INVALID_ARGS');
  });

  it('rolls back an action the host refuses after showing it', async () => {
    const w = createWorld({ faults: { links: { 'feed->bg': { delay: 100 } } } });
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock });
    const mine = createReplica(board, { transport: w.transport('feed'), clock: w.clock, optimistic: true });
    const other = createReplica(board, { transport: w.transport('other'), clock: w.clock });
    await host.actions.add('c1', 'shared');
    await w.run(300);
    const refused = mine.actions.toggle('c1').catch((e: SyncError) => e.code);
    expect(mine.getState().cards[0]?.done).toBe(true);
    void other.actions.remove('c1');
    await w.run(300);
    expect(await refused).toBe('ACTION_FAILED');
    expect(mine.getState()).toEqual(host.getState());
    expect(mine.getState().cards).toEqual([]);
  });

  it('replays pending actions on top of other replicas’ changes', async () => {
    const w = createWorld({ faults: { links: { 'feed->bg': { delay: 100 } } } });
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock });
    const mine = createReplica(board, { transport: w.transport('feed'), clock: w.clock, optimistic: true });
    const other = createReplica(board, { transport: w.transport('other'), clock: w.clock });
    await w.run(300);
    void mine.actions.add('mine', 'pending');
    void other.actions.add('theirs', 'first');
    await w.run(20);
    expect(mine.getState().cards.map((c) => c.id)).toEqual(['theirs', 'mine']);
    await w.run(200);
    expect(mine.getState()).toEqual(host.getState());
  });
});

describe('timeouts and closing', () => {
  it('rejects with TIMEOUT when no host answers in time', async () => {
    const w = createWorld();
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock, intentTimeoutMs: 2000 });
    const p = feed.actions.add('c1', 'nobody home').catch((e: SyncError) => e);
    await w.run(2500);
    const error = (await p) as SyncError;
    expect(error.code).toBe('TIMEOUT');
    expect(feed.sync.getState()).toMatchObject({ pending: 0, lastError: error, phase: 'connecting' });
  });

  it('rejects unconfirmed actions with CLOSED on close and refuses new ones', async () => {
    const w = createWorld();
    const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
    const p = feed.actions.add('c1', 'never sent').catch((e: SyncError) => e.code);
    feed.close();
    expect(await p).toBe('CLOSED');
    await expect(feed.actions.add('c2', 'too late')).rejects.toMatchObject({ code: 'CLOSED' });
    expect(feed.sync.getState().phase).toBe('closed');
  });
});
