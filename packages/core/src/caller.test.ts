import { ANONYMOUS_CALLER } from './index';
import { commitIntents, emptyDoc, replayIntents, runIntent } from './durable';
import { poll } from '../test/poll';

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
