import { defineStore } from '@bgstore/core';
import { RESOLVER_FUNCTIONS as F, type RealtimeChange, type RealtimeGrant } from '@bgstore/protocol';
import { createBackend, intent, stateAfter } from '../test/harness';
import { channelOf } from './realtime';
import { documentKey } from './scope';

// #17.2 "reload only what changed", "answer with what the caller lacks", "changes arrive without
// asking": through the real @forge/resolver, @forge/kvs and @forge/realtime on the emulator.

const makeItems = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `item-${i}`, title: `Item number ${i}`, done: false }));
const board = (n: number) =>
  defineStore({
    name: 'board',
    initialState: { items: makeItems(n) },
    actions: {
      toggle: (draft, i: number) => {
        const item = draft.items[i];
        if (item) item.done = !item.done;
      },
      add: (draft, title: string) => void draft.items.push({ id: `new-${draft.items.length}`, title, done: false }),
    },
  });
type Board = { items: { id: string; title: string; done: boolean }[] };
type Loaded = { revision: number; state: Board; patches?: unknown[]; since?: number; realtime?: RealtimeGrant; clients?: Record<string, unknown>; doc?: string };

const SITE_KEY = documentKey('board', 'site', { installContext: 'ari:cloud:confluence::site/cloud-1' });
const settle = () => new Promise((r) => setImmediate(r));

/** Commits `n` toggles, one commit each, as `client`; returns the state after each revision (index = revision), and the document's id. */
async function history(call: ReturnType<typeof createBackend>['call'], n: number, client = 'tab') {
  const states: Board[] = [((await call(F.load, { store: 'board' })) as Loaded).state];
  let doc: string | undefined;
  for (let k = 1; k <= n; k++) {
    await call(F.commit, { store: 'board', baseRevision: k - 1, intents: [intent(client, k, 'toggle', k * 37)] });
    const loaded = (await call(F.load, { store: 'board' })) as Loaded;
    states.push(loaded.state);
    doc = loaded.doc;
  }
  return Object.assign(states, { doc });
}

describe('#17.2 reload only what changed', () => {
  it('a caller two revisions behind gets exactly the two missing commits, as patches on its state', async () => {
    const { call } = createBackend([board(300)], { warmDocuments: 0 });
    const states = await history(call, 4);
    const answer = (await call(F.load, { store: 'board', since: 2, doc: states.doc })) as Loaded;
    expect(answer).not.toHaveProperty('state');
    expect(answer).toMatchObject({ since: 2, revision: 4 });
    expect(answer.patches).toHaveLength(2);
    expect(stateAfter(states[2], answer)).toEqual(states[4]);
  });

  it('answers "unchanged" (no patches) to a caller that is current, reading only the head', async () => {
    const { call, meter } = createBackend([board(10_000)], { warmDocuments: 0 });
    const { doc } = await history(call, 2);
    meter.reset();
    expect(await call(F.load, { store: 'board', since: 2, doc })).toEqual({ since: 2, revision: 2, patches: [], doc });
    expect(meter.counts).toEqual({ readRequests: 1, readUnits: 1 });
  });

  it('on the 10,000-item board a cold caller 2 behind reads the head alone (its tail holds the entries), less than the whole compressed document', async () => {
    const { call, meter } = createBackend([board(10_000)], { warmDocuments: 0 });
    const { doc } = await history(call, 3);
    meter.reset();
    await call(F.load, { store: 'board' });
    const whole = { ...meter.counts };
    meter.reset();
    await call(F.load, { store: 'board', since: 1, doc });
    expect(meter.counts).toEqual({ readRequests: 1, readUnits: 1 });
    expect(whole.readUnits).toBeGreaterThan(2);
  });

  it('answers the whole document when the changes are not in the log: ahead of storage, or before its snapshot', async () => {
    const { call } = createBackend([board(5)], { warmDocuments: 0 });
    const states = await history(call, 3);
    // A tiny document folds its log into a new snapshot at almost every commit.
    const behind = (await call(F.load, { store: 'board', since: 0 })) as Loaded;
    expect(stateAfter(states[0], behind)).toEqual(states[3]);
    expect(await call(F.load, { store: 'board', since: 9, doc: states.doc })).toMatchObject({ revision: 3, state: states[3] });
    await expect(call(F.load, { store: 'board', since: -1 })).resolves.toMatchObject({ error: { code: 'BAD_REQUEST' } });
    await expect(call(F.load, { store: 'board', since: '2' })).resolves.toMatchObject({ error: { code: 'BAD_REQUEST' } });
  });

  it('answers the whole document to a caller whose revision is of another document (one deleted and stored again)', async () => {
    const { call } = createBackend([board(300)]);
    const states = await history(call, 3);
    expect(states.doc).toEqual(expect.any(String));
    expect(await call(F.load, { store: 'board', since: 2, doc: 'another-document' })).toMatchObject({ revision: 3, state: states[3], doc: states.doc });
    expect(await call(F.load, { store: 'board', since: 2 })).toMatchObject({ revision: 3, state: states[3] });
    // Nor patches to a commit made on it.
    const answer = await call(F.commit, { store: 'board', baseRevision: 2, intents: [intent('late', 1, 'toggle', 9)], patches: true, doc: 'another-document' });
    expect(answer).toMatchObject({ revision: 4, state: expect.any(Object), doc: states.doc });
    expect(answer).not.toHaveProperty('patches');
  });

  it('carries the caller’s own client records that changed, never another caller’s', async () => {
    const { call } = createBackend([board(300)]);
    const { doc } = await history(call, 1, 'mine');
    await call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('theirs', 1, 'toggle', 3)] }, { accountId: 'user-2' });
    await call(F.commit, { store: 'board', baseRevision: 2, intents: [intent('mine', 2, 'toggle', 4)] });
    const answer = (await call(F.load, { store: 'board', since: 1, doc })) as Loaded;
    expect(answer.patches).toHaveLength(2);
    expect(Object.keys(answer.clients ?? {})).toEqual(['mine']);
  });
});

describe('#17.2 answer with what the caller lacks', () => {
  it('a commit on a stale base answers the patches since that base (others’ commits, then its own), not the state', async () => {
    const { call } = createBackend([board(2_000)], { warmDocuments: 0 });
    const states = await history(call, 3, 'other');
    const answer = (await call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('me', 1, 'add', 'mine')], patches: true, doc: states.doc }, { accountId: 'user-2' })) as Loaded;
    expect(answer).toMatchObject({ revision: 4 });
    expect(answer).not.toHaveProperty('state');
    const after = stateAfter(states[1], answer) as Board;
    expect(after).toEqual({ items: [...states[3]!.items, { id: 'new-2000', title: 'mine', done: false }] });
    expect(after).toEqual(((await call(F.load, { store: 'board' })) as Loaded).state);
  });

  it('a caller that does not ask for patches (an older bundle) gets the state, as before', async () => {
    const { call } = createBackend([board(50)]);
    const states = await history(call, 2, 'other');
    expect(await call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('me', 1, 'toggle', 1)] })).toMatchObject({ revision: 3, state: { items: expect.any(Array) } });
    expect(states).toHaveLength(3);
  });

  it('a commit the caller can predict answers neither state nor patches', async () => {
    const { call } = createBackend([board(50)]);
    expect(await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('me', 1, 'toggle', 1)] })).toEqual({ revision: 1, outcomes: [{ clientId: 'me', seq: 1, ok: true }] });
    // Once stored, answers name the document.
    expect(await call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('me', 2, 'toggle', 2)] })).toEqual({ revision: 2, outcomes: [{ clientId: 'me', seq: 2, ok: true }], doc: expect.any(String) });
  });
});

describe('#17.2 changes arrive without asking', () => {
  const subscribe = (hub: ReturnType<typeof createBackend>['hub'], channel: string) => {
    const got: RealtimeChange[] = [];
    hub.subscribe('installation-1|global', channel, (payload) => got.push(payload as RealtimeChange));
    return got;
  };

  it('publishes each commit’s patches on the document’s channel, from its stored base (an interval of 0: every commit publishes)', async () => {
    const { call, hub } = createBackend([board(50)], { realtime: { publishEveryMs: 0 } });
    const got = subscribe(hub, channelOf(SITE_KEY));
    const states = await history(call, 2);
    await settle();
    expect(got.map(({ base, revision }) => [base, revision])).toEqual([
      [0, 1],
      [1, 2],
    ]);
    expect(stateAfter(states[1], got[1]!)).toEqual(states[2]);
  });

  it('grants pages a subscribe-only token: a page holding it cannot publish on the channel', async () => {
    const { call, realtime } = createBackend([board(50)]);
    const loaded = (await call(F.load, { store: 'board', realtime: true })) as Loaded;
    const grant = loaded.realtime!;
    expect(grant.channel).toBe(channelOf(SITE_KEY));
    expect(realtime.check(grant.channel, 'subscribe', grant.token)).toBeUndefined();
    expect(realtime.check(grant.channel, 'publish', grant.token)).toMatch(/MISSING_PERMISSION/);
    expect(realtime.check(grant.channel, 'publish', undefined)).toMatch(/protected/);
    // The token is kept on a warm instance: a second load does not sign another.
    await call(F.load, { store: 'board', since: 0, realtime: true });
    expect(realtime.stats().tokensSigned).toBe(1);
  });

  it('keeps a Realtime token per installation: a warm instance serving another site signs that site its own', async () => {
    const { call, realtime } = createBackend([board(50)]);
    const first = ((await call(F.load, { store: 'board', realtime: true })) as Loaded).realtime!;
    const runtime = globalThis as { __forge_runtime__?: { appContext: { installationId: string } } };
    const previous = runtime.__forge_runtime__;
    runtime.__forge_runtime__ = { appContext: { installationId: 'installation-2' } };
    try {
      const second = ((await call(F.load, { store: 'board', realtime: true })) as Loaded).realtime!;
      expect(realtime.stats().tokensSigned).toBe(2);
      expect(second.token).not.toBe(first.token);
    } finally {
      runtime.__forge_runtime__ = previous;
    }
    await call(F.load, { store: 'board', realtime: true });
    expect(realtime.stats().tokensSigned).toBe(2);
  });

  it('publishes only the revision when the change is over the size bound', async () => {
    const { call, hub } = createBackend([board(50)], { realtime: { maxPublishBytes: 10 } });
    const got = subscribe(hub, channelOf(SITE_KEY));
    await history(call, 1);
    await settle();
    expect(got).toEqual([{ v: 1, store: 'board', base: 0, revision: 1 }]);
  });

  it('commits and loads as usual when Realtime is unavailable, saying so once', async () => {
    const errors: unknown[] = [];
    const { call, meter } = createBackend([board(50)], { realtime: { onError: (e) => errors.push(e) } });
    const unavailable = (context: { type?: string }, path: string, init: unknown) =>
      context?.type === 'realtime' ? Promise.resolve(new Response('', { status: 503, statusText: 'Service Unavailable' })) : meter.fetch(context, path, init as never);
    Object.assign(globalThis, { __forge_fetch__: unavailable });
    expect(await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('me', 1, 'toggle', 1)] })).toMatchObject({ revision: 1 });
    expect(await call(F.load, { store: 'board', realtime: true })).not.toHaveProperty('realtime');
    expect(errors.map(String)).toEqual([expect.stringMatching(/Service Unavailable/), expect.stringMatching(/Service Unavailable/)]);
  });
});
