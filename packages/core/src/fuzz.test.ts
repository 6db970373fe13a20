import fc from 'fast-check';
import { PROTOCOL_VERSION } from '@bgstore/protocol';
import { createHost, createReplica } from '.';
import { board } from '../test/board';
import { createWorld } from '../test/world';

// Malformed, foreign, other-protocol and hostile payloads on both channels: nobody throws, the
// state does not move, and everything is counted as ignored (or handled as a valid message).
const junk = fc.oneof(
  fc.anything(),
  fc.record({ bgstore: fc.constantFrom(0, 2, '1', null), store: fc.constant('board'), from: fc.string(), type: fc.constantFrom('hello', 'patch', 'snapshot') }),
  fc.record({ bgstore: fc.constant(PROTOCOL_VERSION), store: fc.string(), from: fc.string({ minLength: 1 }), type: fc.string() }),
  fc.record({
    bgstore: fc.constant(PROTOCOL_VERSION),
    store: fc.constant('board'),
    from: fc.string({ minLength: 1, maxLength: 8 }),
    type: fc.constantFrom('hello', 'intents', 'beat', 'snapshot', 'patch', 'ack', 'reject', 'chunk'),
    epoch: fc.oneof(fc.string(), fc.constant(null), fc.integer()),
    version: fc.oneof(fc.integer(), fc.constant(null), fc.string()),
    base: fc.integer(),
    next: fc.integer(),
    patches: fc.oneof(fc.anything(), fc.array(fc.record({ op: fc.constantFrom('add', 'remove', 'replace', 'move'), path: fc.array(fc.oneof(fc.string(), fc.integer())), value: fc.anything() }))),
    items: fc.oneof(fc.anything(), fc.array(fc.record({ seq: fc.integer(), name: fc.string(), args: fc.anything() }))),
    floor: fc.integer(),
    to: fc.string(),
    seqs: fc.anything(),
    id: fc.string(),
    i: fc.integer(),
    n: fc.integer(),
    data: fc.string(),
  }, { requiredKeys: ['bgstore', 'store', 'from', 'type'] }),
);

describe('fuzz: hostile payloads', () => {
  it('never crash a host or replica and never change state', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(junk, { maxLength: 30 }), async (payloads) => {
        const w = createWorld();
        const logs: string[] = [];
        const logger = { warn: (m: string) => logs.push(m) };
        const host = createHost(board, { transport: w.transport('bg'), clock: w.clock, logger });
        const replica = createReplica(board, { transport: w.transport('feed'), clock: w.clock, logger });
        await host.actions.add('c1', 'one');
        await w.run(50);
        const hostState = host.getState();
        const replicaState = replica.getState();
        const attacker = w.transport('attacker');
        for (const p of payloads) {
          attacker.emit('bgstore:board:up', p);
          attacker.emit('bgstore:board:down', p);
        }
        await w.run(50);
        // A valid intent for a real action from a stranger may apply; anything else must not move state.
        const applied = host.stats().intentsApplied - 1;
        if (applied === 0) expect(host.getState()).toBe(hostState);
        expect(host.stats().phase).toBe('live');
        // Ignored messages are counted, and each kind is logged once per peer, not per message.
        const ignored = Object.values(host.stats().channel.ignored).reduce((a, b) => a + (b ?? 0), 0);
        if (payloads.some((p) => typeof p !== 'object' || p === null || !('bgstore' in p))) expect(ignored).toBeGreaterThan(0);
        const kinds = logs.map((l) => /\((\S+):/.exec(l)?.[1]);
        expect(kinds.length).toBeLessThanOrEqual(2 * 6);
        expect(replica.sync.getState().phase).not.toBe('closed');
        // The replica follows the host again once real traffic flows.
        await host.actions.rename('after fuzz');
        await w.run(10_000);
        expect(replica.getState()).toEqual(host.getState());
        if (applied === 0) expect(replica.getState().cards).toBe(replicaState.cards);
        host.close();
        replica.close();
      }),
      { numRuns: Number(process.env.BGSTORE_RUNS ?? 150), seed: process.env.BGSTORE_SEED ? Number(process.env.BGSTORE_SEED) : undefined },
    );
  }, 120_000);
});
