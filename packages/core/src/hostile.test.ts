// A hostile module of the same app on the page (SECURITY.md's same-page actor), round two (#18):
// forged boots, digest beats, aliases and client-id floods. Each attack is a deterministic script
// on the emulator's bus and a manual clock; the seed of the flood's ids is printed on failure.
import { createEpoch, decodeMessage, encodeMessage, PROTOCOL_VERSION, type Message } from '@bgstore/protocol';
import { createHost, createReplica } from '.';
import { board } from '../test/board';
import { createWorld } from '../test/world';

const env = { bgstore: PROTOCOL_VERSION, store: 'board' } as const;
const forgedState = { cards: [{ id: 'forged', title: 'forged', done: false }], count: 1, meta: { title: 'forged' } };

/** A module that emits raw messages on the bus and hears every message replicas send. */
function rogue(w: ReturnType<typeof createWorld>) {
  const t = w.transport('rogue');
  const heard: Message[] = [];
  void t.on('bgstore:board:up', (raw) => {
    const d = decodeMessage(raw, 'board');
    if (d.ok) heard.push(d.message);
  });
  return {
    heard,
    down: (m: Message) => t.emit('bgstore:board:down', encodeMessage(m)),
    up: (m: Message) => t.emit('bgstore:board:up', encodeMessage(m)),
  };
}

async function live() {
  const w = createWorld();
  const host = createHost(board, { transport: w.transport('bg'), clock: w.clock });
  const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
  await w.run(10);
  await feed.actions.add('c1', 'one');
  return { w, host, feed, r: rogue(w) };
}

describe('#18 a hostile module on the page', () => {
  it('#18.7 a near-future epoch that beats every second and answers a hello does not take a replica from its live host', async () => {
    const { w, host, feed, r } = await live();
    const evil = createEpoch(w.clock.now() + 50_000, 'evil');
    let answered = 0;
    for (let s = 0; s < 30; s++) {
      r.down({ ...env, from: evil, type: 'beat', epoch: evil, version: 1 });
      await w.run(10);
      for (const hello of r.heard.splice(0)) {
        if (hello.type !== 'hello' || answered > 0) continue;
        answered++;
        r.down({ ...env, from: evil, type: 'snapshot', epoch: evil, version: 1, state: forgedState, to: hello.from, fingerprint: board.fingerprint });
      }
      if (s % 5 === 0) await host.actions.add(`h${s}`, 'the live host moves on').applied;
      await w.run(990);
    }
    expect(feed.sync.getState().epoch).toBe(host.epoch);
    expect(feed.getState()).toEqual(host.getState());
    await expect(feed.actions.add('c2', 'still served')).resolves.toBeUndefined();
  });

  it('#18.7 a replica still follows a real new boot once its host falls silent (a background-script restart)', async () => {
    const { w, host, feed } = await live();
    host.close();
    const next = createHost(board, { transport: w.transport('bg2'), clock: w.clock });
    await next.actions.add('n1', 'after the restart').applied;
    await w.run(2000);
    expect(feed.sync.getState()).toMatchObject({ epoch: next.epoch, phase: 'live' });
    expect(feed.getState()).toEqual(next.getState());
  });

  it('#18.8 100 forged digest beats in 10 s: the replica resyncs at most once per digest interval, the host sends as many snapshots', async () => {
    const { w, host, feed, r } = await live();
    const resyncs = feed.sync.getState().resyncs;
    const snapshots = host.stats().snapshotsSent;
    const bytes = host.stats().channel.bytesSent;
    for (let i = 0; i < 100; i++) {
      r.down({ ...env, from: host.epoch, type: 'beat', epoch: host.epoch, version: host.version(), digest: `forged${i}` });
      await w.run(100);
    }
    const resynced = feed.sync.getState().resyncs - resyncs;
    const sent = host.stats().snapshotsSent - snapshots;
    process.stdout.write(`#18.8 100 forged digests in 10 s: ${resynced} resyncs, ${sent} snapshots, ${host.stats().channel.bytesSent - bytes} bytes from the host\n`);
    expect(resynced).toBeLessThanOrEqual(2); // 10 s at one per 10 s digest interval, the first at once
    expect(sent).toBeLessThanOrEqual(2);
    expect(feed.getState()).toEqual(host.getState());
  });

  it('#18.9 a module cannot take a client id that is an alias: the host never acks a victim’s alias for another client', async () => {
    const { w, host, feed, r } = await live();
    // The victim's next intents are lost on the way up; a rogue posing as `.0` (the victim's alias in
    // this boot: the first replica it served) sends the same seq, and the host acks `.0`'s seq 2.
    const original = w.bus.emit.bind(w.bus);
    w.bus.emit = (member, event, payload) => (member.moduleKey === 'feed' && event === 'bgstore:board:up' ? undefined : original(member, event, payload));
    let settled = false;
    const call = feed.actions.add('c2', 'never applied');
    call.then(() => (settled = true), () => undefined);
    for (const id of ['.0', '.1', '.00']) r.up({ ...env, from: id, type: 'intents', settledBelow: 2, items: [{ seq: 2, name: 'rename', args: [`as ${id}`] }] });
    await w.run(300);
    expect(settled).toBe(false);
    expect(host.getState().meta.title).toBe('Team board');
    expect(host.getState().cards.map((c) => c.id)).toEqual(['c1']);
    w.bus.emit = original;
    await w.run(1000);
    expect(settled).toBe(true);
    expect(host.getState().cards.map((c) => c.id)).toEqual(['c1', 'c2']);
  });

  it('#18.9 a replica will not take an alias-like client id from its own createId', () => {
    const w = createWorld();
    expect(() => createReplica(board, { transport: w.transport('feed'), clock: w.clock, createId: () => '.0' })).toThrow(/does not start with '\.'/);
  });

  it('#18.12 3,000 fresh client ids cannot evict a victim’s dedupe record in a host without storage: its retransmission applies once', async () => {
    const { w, host, feed, r } = await live();
    // Every message down to the page is lost for a while: the victim's call is applied, its ack lost.
    const original = w.bus.emit.bind(w.bus);
    let cut = true;
    w.bus.emit = (member, event, payload) => (cut && event === 'bgstore:board:down' ? undefined : original(member, event, payload));
    const call = feed.actions.add('v1', 'victim');
    await w.run(50);
    expect(host.getState().cards.filter((c) => c.id === 'v1')).toHaveLength(1);
    for (let i = 0; i < 3000; i++) r.up({ ...env, from: `flood-${i}`, type: 'intents', settledBelow: 1, items: [{ seq: 1, name: 'toggle', args: ['missing'] }] });
    await w.run(50);
    cut = false;
    await w.run(3000);
    await call;
    expect(host.getState().cards.filter((c) => c.id === 'v1')).toHaveLength(1);
    expect(feed.getState()).toEqual(host.getState());
  });
});
