import { ANONYMOUS_CALLER, createHost, createReplica } from './index';
import { commitIntents, emptyDoc, replayIntents, runIntent } from './durable';
import { poll } from '../test/poll';
import { createWorld } from '../test/world';

describe('#21 an action sees its caller as this.caller', () => {
  it('runs with the caller given, and anonymous ({ accountId: null }) when none is', () => {
    expect(runIntent(poll, poll.initialState, 'vote', ['Tea'], 'alice')).toMatchObject({ ok: true, state: { votes: { alice: 'Tea' } } });
    expect(runIntent(poll, poll.initialState, 'vote', ['Tea'], { accountId: 'bob' })).toMatchObject({ ok: true, state: { votes: { bob: 'Tea' } } });
    expect(runIntent(poll, poll.initialState, 'vote', ['Tea'])).toMatchObject({ ok: true, state: { votes: { anonymous: 'Tea' } } });
    expect(runIntent(poll, { votes: { x: 'y' } }, 'reset', [], 'alice')).toMatchObject({ ok: true, state: { votes: {} } });
    expect(ANONYMOUS_CALLER).toEqual({ accountId: null });
  });

  it('re-runs each stored intent with the caller recorded with it, the same every time', () => {
    const intents = [
      { clientId: 'a', seq: 1, name: 'vote', args: ['Tea'], caller: 'alice' },
      { clientId: 'b', seq: 1, name: 'vote', args: ['Coffee'], caller: 'bob' },
      { clientId: 'c', seq: 1, name: 'vote', args: ['Water'], caller: null },
    ];
    const once = commitIntents(poll, emptyDoc(poll), intents, { now: 1 });
    const again = commitIntents(poll, emptyDoc(poll), intents, { now: 1 });
    expect(once.doc.state).toEqual({ votes: { alice: 'Tea', bob: 'Coffee', anonymous: 'Water' } });
    expect(again.doc.state).toEqual(once.doc.state);
  });

  it("replays with each intent's own caller, else with the page's user", () => {
    const state = replayIntents(poll, poll.initialState, [{ name: 'vote', args: ['Tea'] }, { name: 'vote', args: ['Coffee'], caller: 'bob' }], { accountId: 'alice' });
    expect(state).toEqual({ votes: { alice: 'Tea', bob: 'Coffee' } });
  });
});

describe("#21 the page's user is the caller of its host and replicas, for what the page shows first", () => {
  it('runs a replica call as the page user on the host and in the optimistic view; a caller given as a promise is awaited', async () => {
    const w = createWorld();
    let tellHost!: (c: { accountId: string }) => void;
    const host = createHost(poll, { transport: w.transport('bg'), clock: w.clock, caller: new Promise((resolve) => (tellHost = resolve)) });
    const replica = createReplica(poll, { transport: w.transport('feed'), clock: w.clock, caller: { accountId: 'alice' } });
    await w.run(100);
    // The host waits for its user before it serves.
    expect(replica.sync.getState().phase).toBe('connecting');
    tellHost({ accountId: 'alice' });
    await w.run(1000);
    const call = replica.actions.vote('Tea');
    expect(replica.getState().votes).toEqual({ alice: 'Tea' });
    await call;
    expect(host.getState().votes).toEqual({ alice: 'Tea' });
    host.close();
    replica.close();
  });

  it('runs as anonymous ({ accountId: null }) when no caller is given', async () => {
    const w = createWorld();
    const host = createHost(poll, { transport: w.transport('bg'), clock: w.clock });
    await host.actions.vote('Tea');
    expect(host.getState().votes).toEqual({ anonymous: 'Tea' });
    host.close();
  });
});
