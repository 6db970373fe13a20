import { RESOLVER_FUNCTIONS as F } from '@bgstore/protocol';
import { poll } from '../../core/test/poll';
import { createBackend, intent } from '../test/harness';

// One vote per user, written in the action: the caller is an input the server fills.

describe('#21 who is calling', () => {
  it("#21 the resolver fills the action's caller from Forge's context, not from the payload", async () => {
    const { call } = createBackend([poll]);
    const forged = { ...intent('t', 1, 'vote', 'Tea'), caller: 'alice' };
    expect(await call(F.commit, { store: 'poll', baseRevision: 0, intents: [forged] }, { accountId: 'mallory' })).toMatchObject({ outcomes: [{ ok: true }] });
    expect(await call(F.commit, { store: 'poll', baseRevision: 1, intents: [intent('u', 1, 'vote', 'Coffee')] }, { accountId: 'bob' })).toMatchObject({ outcomes: [{ ok: true }] });
    expect(await call(F.load, { store: 'poll' })).toMatchObject({ state: { votes: { mallory: 'Tea', bob: 'Coffee' } } });
  });

  it('#21 a vote changed by the same user replaces it, never doubles it', async () => {
    const { call } = createBackend([poll]);
    await call(F.commit, { store: 'poll', baseRevision: 0, intents: [intent('t', 1, 'vote', 'Tea'), intent('t', 2, 'vote', 'Coffee')] }, { accountId: 'bob' });
    expect(await call(F.load, { store: 'poll' })).toMatchObject({ state: { votes: { bob: 'Coffee' } } });
  });

  it('#21 an anonymous caller is { accountId: null }', async () => {
    const { call } = createBackend([poll], { policies: { poll: { allowAnonymousWrites: true } } });
    await call(F.commit, { store: 'poll', baseRevision: 0, intents: [intent('t', 1, 'vote', 'Tea')] }, { accountId: null });
    expect(await call(F.load, { store: 'poll' })).toMatchObject({ state: { votes: { anonymous: 'Tea' } } });
  });

  it("#21 the write policy sees only the store's actions with arguments its validators accept", async () => {
    const seen: string[] = [];
    const { call } = createBackend([poll], { policies: { poll: { authorize: (_ctx, i) => seen.push(`${i.name}(${JSON.stringify(i.args)})`) > 0 } } });
    const answer = await call(F.commit, { store: 'poll', baseRevision: 0, intents: [intent('t', 1, 'wipe'), intent('t', 2, 'vote', 7), intent('t', 3, 'vote', 'Tea')] });
    expect(answer).toMatchObject({ outcomes: [{ ok: false, code: 'UNKNOWN_ACTION' }, { ok: false, code: 'INVALID_ARGS' }, { ok: true }] });
    expect(seen).toEqual(['vote(["Tea"])']);
  });
});
