// The adversarial suite for the bus: a buggy or stale module floods the page with generated
// messages — valid-shaped ones with forged epochs, versions, acks, floors and states, and garbage —
// while real modules work. Asserted: nothing throws, every acknowledged action is stored exactly
// once, memory stays bounded, and once the flood stops every replica converges to the host.
// Seed: BGSTORE_SEED (printed on failure); size: BGSTORE_MESSAGES (CI runs 3,000; a full run 100,000).
import fc from 'fast-check';
import { createEpoch, PROTOCOL_VERSION } from '@bgstore/protocol';
import { createHost, createMemoryPersistence, createReplica } from '.';
import { board } from '../test/board';
import { createWorld } from '../test/world';

const seed = Number(process.env.BGSTORE_SEED ?? 7);
const total = Number(process.env.BGSTORE_MESSAGES ?? 3000);

describe(`adversarial bus (seeded, BGSTORE_SEED=${seed})`, () => {
  it(`survives ${total} hostile messages: no crash, no lost or doubled action, bounded memory, convergence`, async () => {
    const w = createWorld({ seed, faults: { drop: 0.05, duplicate: 0.05, reorder: 0.1 } });
    const persistence = createMemoryPersistence(board);
    await w.run(3_600_000); // the page opened an hour into the clock: a stale boot '0.old' is older
    const host = createHost(board, { transport: w.transport('bg'), clock: w.clock, persistence, heartbeatMs: 300, digestMs: 500 });
    const feeds = [0, 1].map((k) => createReplica(board, { transport: w.transport(`feed${k}`), clock: w.clock, retryMs: 200, intentTimeoutMs: 3_600_000 }));
    const rogue = w.transport('rogue');
    await w.run(50);
    // #18: a boot 50 s in the future (plausible), and aliases (`.0`) as senders.
    const nearFuture = createEpoch(w.clock.now() + 50_000, 'evil');
    const ids = () => fc.constantFrom(host.epoch, feeds[0]!.clientId, feeds[1]!.clientId, 'x', '0.old', 'zzzzzzzz.new', '__proto__', nearFuture, '.0', '.1');
    // Forge events carry no sender identity: a module of the same app can always send intents as
    // another module's client, or acks and statuses as the live host (SECURITY.md). The flood forges
    // everything else with live ids, and those from other senders.
    const others = () => fc.constantFrom('x', '0.old', 'zzzzzzzz.new', '__proto__', 'stale-client', nearFuture, '.0');
    const json = fc.jsonValue({ maxDepth: 3 });
    const num = fc.oneof(fc.nat(), fc.constantFrom(0, 1, host.version(), 1e9, -1, 2 ** 53), fc.double());
    const message = fc.oneof(
      fc.record({ t: fc.constant('h'), from: ids(), epoch: fc.option(ids()), version: fc.option(num), fp: fc.option(fc.string()) }).map((m) => [PROTOCOL_VERSION, 'board', 'h', m.from, m.epoch, m.version, m.fp]),
      fc.record({ from: others(), items: fc.array(fc.tuple(num, fc.constantFrom('add', 'rename', 'toggle', 'nope', '__proto__'), json), { maxLength: 4 }), floor: fc.option(num) }).map((m) => [PROTOCOL_VERSION, 'board', 'i', m.from, m.items.map(([s, n, a]) => [s, n, a]), m.floor]),
      fc.record({ from: ids(), v: num, to: fc.option(ids()), d: fc.option(fc.string()) }).map((m) => [PROTOCOL_VERSION, 'board', 'b', m.from, m.v, m.to, null, m.d]),
      fc.record({ from: ids(), v: num, state: json, to: fc.option(ids()) }).map((m) => [PROTOCOL_VERSION, 'board', 's', m.from, m.v, m.state, m.to]),
      fc.record({ from: ids(), base: num, path: fc.array(fc.oneof(fc.string(), fc.nat(5), fc.constantFrom('cards', 'meta', 'title', '__proto__')), { maxLength: 3 }), value: json, acks: fc.option(fc.array(fc.oneof(ids(), num), { maxLength: 4 })), span: fc.option(num) }).map((m) => [PROTOCOL_VERSION, 'board', 'p', m.from, m.base, [[1, ...m.path, m.value]], m.acks, null, m.span]),
      fc.record({ from: others(), to: ids(), v: num, seqs: fc.array(num, { maxLength: 3 }) }).map((m) => [PROTOCOL_VERSION, 'board', 'a', m.from, m.to, m.v, m.seqs, m.seqs]),
      fc.record({ from: others(), to: ids(), seq: num }).map((m) => [PROTOCOL_VERSION, 'board', 'r', m.from, m.to, m.seq, 'ACTION_FAILED', 'forged']),
      fc.record({ from: others(), v: num, saved: fc.array(fc.oneof(ids(), num), { maxLength: 4 }) }).map((m) => [PROTOCOL_VERSION, 'board', 't', m.from, m.v, [0, 0, 0], m.saved]),
      fc.record({ from: ids(), id: fc.string({ maxLength: 4 }), i: fc.nat(3), n: fc.nat(4), data: fc.string({ maxLength: 2000 }), to: fc.option(ids()) }).map((m) => [PROTOCOL_VERSION, 'board', 'c', m.from, m.id, m.i, m.n, m.data, m.to]),
      json,
    );
    const samples = fc.sample(message, { seed, numRuns: total });
    const calls: Promise<void>[] = [];
    let n = 0;
    try {
      for (const payload of samples) {
        rogue.emit(n % 2 ? 'bgstore:board:up' : 'bgstore:board:down', payload);
        if (++n % 100 === 0) {
          calls.push(feeds[(n / 100) % 2]!.actions.add(`c${n}`, `card ${n}`));
          await w.run(20);
          // Bounded: nothing held grows with the flood.
          for (const f of feeds) expect(f.stats().channel.chunkBytesHeld).toBeLessThanOrEqual(8_000_000);
        }
      }
      w.bus.setFaults(undefined);
      await w.run(30_000);
      await Promise.all(calls);
      const ids = host.getState().cards.map((c) => c.id);
      // Every acknowledged action is in the stored state exactly once (forged ones may add others).
      const missing = [];
      for (let k = 100; k <= n; k += 100) if (ids.filter((id) => id === `c${k}`).length !== 1) missing.push(k);
      if (process.env.BGSTORE_DEBUG && missing.length) console.log('missing', missing, JSON.stringify(persistence.peek().clients), feeds.map((f) => f.clientId), JSON.stringify(host.stats()), feeds.map((f) => JSON.stringify(f.stats())));
      expect(missing).toEqual([]);
      expect(persistence.peek().state).toEqual(host.getState());
      for (const f of feeds) {
        expect(f.sync.getState()).toMatchObject({ phase: 'live', epoch: host.epoch, version: host.version(), pending: 0 });
        expect(f.getState()).toEqual(host.getState());
      }
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    } catch (error) {
      throw new Error(`BGSTORE_SEED=${seed} BGSTORE_MESSAGES=${total} (feeds follow ${feeds.map((f) => f.sync.getState().epoch).join(', ')}; host ${host.epoch}): ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    host.close();
    feeds.forEach((f) => f.close());
  }, 600_000);
});
