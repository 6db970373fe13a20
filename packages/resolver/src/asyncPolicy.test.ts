import { defineStore } from '@bgstore/core';
import { createKvsFetch, createManualClock } from '@bgstore/emulator';
import { RESOLVER_FUNCTIONS as F } from '@bgstore/protocol';
import { DOC_ENTITY_DECLARATION, type StoreContext } from '.';
import { createBackend, intent } from '../test/harness';

const poll = defineStore({
  name: 'poll',
  initialState: { votes: {} as Record<string, string> },
  actions: {
    vote: (draft, who: string, option: string) => void (draft.votes[who] = option),
    reset: (draft) => void (draft.votes = {}),
  },
});

// A stand-in for a product REST call ("is this user a space admin"), answering a turn later.
const isAdmin = (ctx: StoreContext) => new Promise<boolean>((resolve) => setImmediate(() => resolve(ctx.accountId === 'admin')));

describe('#21 async store policies', () => {
  it('#21 awaits an async authorize: the admin resets, anyone else is refused with the reason', async () => {
    const { call } = createBackend([poll], { policies: { poll: { authorize: async (ctx, i) => i.name !== 'reset' || (await isAdmin(ctx)) || 'only space admins reset the poll' } } });
    const refused = await call(F.commit, { store: 'poll', baseRevision: 0, intents: [intent('t', 1, 'vote', 'bob', 'Tea'), intent('t', 2, 'reset')] }, { accountId: 'bob' });
    expect(refused).toMatchObject({ outcomes: [{ ok: true }, { ok: false, code: 'UNAUTHORIZED', message: expect.stringContaining('only space admins reset the poll') }] });
    expect(await call(F.commit, { store: 'poll', baseRevision: 1, intents: [intent('a', 1, 'reset')] }, { accountId: 'admin' })).toMatchObject({ outcomes: [{ ok: true }] });
    expect(await call(F.load, { store: 'poll' })).toMatchObject({ state: { votes: {} } });
  });

  it('#21 refuses clearly when an async policy rejects', async () => {
    const { call } = createBackend([poll], { policies: { poll: { authorize: async () => Promise.reject(new Error('the admin service is down')) } } });
    expect(await call(F.commit, { store: 'poll', baseRevision: 0, intents: [intent('t', 1, 'reset')] })).toMatchObject({
      outcomes: [{ ok: false, code: 'UNAUTHORIZED', message: '[bgstore] poll.reset: the store policy threw: the admin service is down' }],
    });
  });

  it('#21 refuses an intent whose policy does not answer within policyTimeoutMs (on the injected clock), and stores the rest', async () => {
    const clock = createManualClock();
    const { call } = createBackend([poll], {
      clock,
      policyTimeoutMs: 2000,
      policies: { poll: { authorize: (_ctx, i) => (i.name === 'reset' ? new Promise<true>(() => undefined) : true) } },
    });
    const answer = call(F.commit, { store: 'poll', baseRevision: 0, intents: [intent('t', 1, 'vote', 'bob', 'Tea'), intent('t', 2, 'reset')] });
    await clock.advanceAsync(1999);
    let settled = false;
    void answer.then(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false);
    await clock.advanceAsync(1);
    expect(await answer).toMatchObject({
      revision: 1,
      outcomes: [{ ok: true }, { ok: false, code: 'UNAUTHORIZED', message: '[bgstore] poll.reset: the store policy did not answer within 2000 ms (policyTimeoutMs)' }],
    });
  });

  it('#21 awaits an async authorizeRead on load, revision and commit; a timeout refuses', async () => {
    const clock = createManualClock();
    const { call } = createBackend([poll], {
      clock,
      policyTimeoutMs: 500,
      policies: { poll: { authorizeRead: async (ctx) => ctx.accountId === 'slow' ? new Promise<true>(() => undefined) : ctx.accountId !== 'mallory' || 'not for you' } },
    });
    expect(await call(F.load, { store: 'poll' }, { accountId: 'bob' })).toMatchObject({ revision: 0 });
    for (const [fn, payload] of [[F.load, { store: 'poll' }], [F.revision, { store: 'poll' }], [F.commit, { store: 'poll', baseRevision: 0, intents: [intent('m', 1, 'reset')] }]] as const) {
      expect(await call(fn, payload, { accountId: 'mallory' })).toEqual({ error: { code: 'UNAUTHORIZED', message: '[bgstore] poll: not for you' } });
    }
    const slow = call(F.load, { store: 'poll' }, { accountId: 'slow' });
    await clock.advanceAsync(500);
    expect(await slow).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.stringContaining('did not answer within 500 ms') } });
  });

  it('#21 calls a policy once per distinct intent of a commit, and never again when storage makes the commit retry', async () => {
    let failures = 1;
    const kvs = createKvsFetch({
      entities: [DOC_ENTITY_DECLARATION as never],
      // The commit's first transaction fails once, so the resolver tries the commit again.
      faults: ({ path }) => (path.includes('transact') && failures-- > 0 ? { status: 500, code: 'INTERNAL_SERVER_ERROR' } : undefined),
    });
    const calls: string[] = [];
    let reads = 0;
    const { call } = createBackend([poll], {
      kvs,
      retryDelayMs: 1,
      policies: {
        poll: {
          authorize: async (ctx, i) => {
            calls.push(`${ctx.accountId}:${i.name}`);
            return true;
          },
          authorizeRead: async () => {
            reads++;
            return true;
          },
        },
      },
    });
    const intents = [intent('t', 1, 'reset'), intent('t', 2, 'vote', 'bob', 'Tea'), intent('t', 3, 'reset'), intent('t', 4, 'vote', 'bob', 'Tea')];
    expect(await call(F.commit, { store: 'poll', baseRevision: 0, intents }, { accountId: 'bob' })).toMatchObject({ revision: 1, outcomes: intents.map(() => ({ ok: true })) });
    expect(failures).toBe(-1);
    expect(calls).toEqual(['bob:reset', 'bob:vote']);
    expect(reads).toBe(1);
  });
  it('#21 a check asked through `once` runs once per commit however many intents ask, and again on the next commit', async () => {
    const asked: string[] = [];
    const adminCheck = (ctx: StoreContext) => {
      asked.push(ctx.accountId ?? '');
      return isAdmin(ctx);
    };
    const { call } = createBackend([poll], {
      // A vote for oneself is anyone's; a vote for another and a reset are an admin's: three distinct intents, one check.
      policies: { poll: { authorize: async (ctx, i, { once }) => (i.name === 'vote' && i.args[0] === ctx.accountId) || (await once('admin', () => adminCheck(ctx))) || 'admins only' } },
    });
    const intents = [intent('b', 1, 'vote', 'carol', 'Tea'), intent('b', 2, 'vote', 'bob', 'Tea'), intent('b', 3, 'vote', 'dave', 'Cake'), intent('b', 4, 'reset')];
    const answer = await call(F.commit, { store: 'poll', baseRevision: 0, intents }, { accountId: 'bob' });
    expect(answer).toMatchObject({ outcomes: [{ ok: false, code: 'UNAUTHORIZED' }, { ok: true }, { ok: false, code: 'UNAUTHORIZED' }, { ok: false, code: 'UNAUTHORIZED' }] });
    expect(asked).toEqual(['bob']);
    const admin = await call(F.commit, { store: 'poll', baseRevision: 1, intents: [intent('a', 1, 'vote', 'carol', 'Tea'), intent('a', 2, 'reset')] }, { accountId: 'admin' });
    expect(admin).toMatchObject({ outcomes: [{ ok: true }, { ok: true }] });
    expect(asked).toEqual(['bob', 'admin']);
  });
});
