import { createHost, createReplica, isSyncError, SyncError } from '.';
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
    spy.on('bgstore:board:down', (m) => sent.push(m));
    await host.actions.addFirst('new', 'on top');
    await w.run(1);
    const patch = sent.find((m) => (m as { type: string }).type === 'patch') as { patches: { op: string; path: unknown[] }[] };
    expect(patch.patches).toEqual([
      { op: 'add', path: ['cards', 0], value: { id: 'new', title: 'on top', done: false } },
      { op: 'replace', path: ['count'], value: 51 },
    ]);
  });
});
