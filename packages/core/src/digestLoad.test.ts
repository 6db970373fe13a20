// #20 a replica's digest code is a chunk of its own, loaded with `import()` on the first digest beat:
// the checks of PROTOCOL.md rule 6a still hold once it is there, and a load that fails (a chunk that
// does not arrive, a runtime without `import()`) is counted and warned about, never thrown. The chunk
// is `replica/digestEngine`: here it is observed (or made to fail) through Jest's module registry,
// and the store is driven through the public `createHost` and `createReplica` on the emulator's bus
// and a manual clock.
import { encodeMessage, PROTOCOL_VERSION, type Message } from '@bgstore/protocol';
import { createWorld } from '../test/world';

type Core = typeof import('.');

/** The package as a page loads it (a fresh module registry), with the digest chunk replaced by `chunk` (called on each load). */
function coreWith(chunk: () => unknown): Core {
  jest.resetModules();
  jest.doMock('./replica/digestEngine', chunk);
  return require('.') as Core;
}

/** A host and a live replica of the board, digests every 300 ms; `warnings` is what the replica logged. */
async function page(core: Core) {
  const { board } = require('../test/board') as typeof import('../test/board');
  const w = createWorld();
  const warnings: string[] = [];
  const host = core.createHost(board, { transport: w.transport('bg'), clock: w.clock, heartbeatMs: 200, digestMs: 300 });
  const feed = core.createReplica(board, { transport: w.transport('feed'), clock: w.clock, digestMs: 300, logger: { warn: (m) => warnings.push(m) } });
  const rogue = w.transport('rogue');
  /** A forged patch of the host's boot at its current version: the replica takes it, the host never made it. */
  const forge = (title: string) => {
    const patch = { bgstore: PROTOCOL_VERSION, store: 'board', from: host.epoch, type: 'patch', epoch: host.epoch, base: host.version(), next: host.version() + 1, patches: [{ op: 'replace', path: ['meta', 'title'], value: title }] } satisfies Message;
    rogue.emit('bgstore:board:down', encodeMessage(patch));
  };
  /** The replica diverges at the host's version: a forged patch, then the host's own next change, which the replica takes for a duplicate. */
  const diverge = async (title: string) => {
    forge(title);
    await w.run(5);
    await host.actions.add(title, 'real').applied;
    await w.run(5);
    expect({ replica: feed.getState().meta.title, version: feed.sync.getState().version }).toEqual({ replica: title, version: host.version() });
  };
  await w.run(20);
  return { w, host, feed, forge, diverge, warnings };
}

describe('#20 a replica loads its digest code on the first digest beat', () => {
  it('#20 loads it once, on the first digest beat; its checks then catch a replica diverged before the load and after it', async () => {
    let loads = 0;
    const core = coreWith(() => {
      loads++;
      return jest.requireActual('./replica/digestEngine');
    });
    const { w, host, feed, diverge } = await page(core);
    expect(feed.sync.getState().phase).toBe('live');
    expect(loads).toBe(0);

    // Diverged before the code is here.
    await diverge('forged before the load');
    await w.run(3000);
    expect(loads).toBe(1);
    expect(feed.stats()).toMatchObject({ digestLoadFailures: 0, digestMismatches: 1 });
    expect(feed.getState()).toEqual(host.getState());

    // Diverged after: the digest is kept from patches now, and the next digest beat finds it.
    await diverge('forged after the load');
    await w.run(3000);
    expect(loads).toBe(1);
    expect(feed.stats().digestMismatches).toBe(2);
    expect(feed.getState()).toEqual(host.getState());
    await expect(feed.actions.add('c3', 'still served')).resolves.toBeUndefined();
    host.close();
    feed.close();
  });

  it('#20 a digest code that fails to load is counted and warned about once, never thrown: the replica goes on, and still catches a host behind it', async () => {
    let loads = 0;
    const core = coreWith(() => {
      loads++;
      throw new Error('the chunk did not load');
    });
    const { w, host, feed, forge, warnings } = await page(core);
    await w.run(3000);
    expect(loads).toBe(1);
    expect(feed.stats()).toMatchObject({ digestLoadFailures: 1, digestMismatches: 0 });
    expect(warnings.filter((m) => m.includes('digest checks are off'))).toEqual([expect.stringContaining('the chunk did not load')]);
    expect(feed.sync.getState()).toMatchObject({ phase: 'live', lastError: null });
    await expect(feed.actions.add('c1', 'served')).resolves.toBeUndefined();

    // A forged patch puts the replica ahead of its host: a digest beat from a host behind needs no digest code.
    forge('forged ahead');
    await w.run(3000);
    expect(loads).toBe(1);
    expect(feed.stats()).toMatchObject({ digestLoadFailures: 1, digestMismatches: 1 });
    expect(feed.getState()).toEqual(host.getState());
    host.close();
    feed.close();
  });
});
