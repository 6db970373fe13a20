import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { defineStore } from '@bgstore/core';
import { RESOLVER_FUNCTIONS as F } from '@bgstore/protocol';
import { DOC_ENTITY_DECLARATION } from '.';
import { createManualClock } from '@bgstore/emulator';
import { advanceUntil, createBackend, intent } from '../test/harness';

const board = defineStore({
  name: 'board',
  initialState: { cards: [] as { id: string; title: string; text?: string }[] },
  actions: {
    add: (draft, id: string, title: string, text?: string) => void draft.cards.push({ id, title, ...(text ? { text } : {}) }),
    rename: (draft, id: string, title: string) => {
      const card = draft.cards.find((c) => c.id === id);
      if (!card) throw new Error(`no card ${id}`);
      card.title = title;
    },
  },
});

describe('registerStores with the real @forge/resolver and @forge/kvs', () => {
  it('loads a new store at revision 0 with its initial state', async () => {
    const { call } = createBackend([board]);
    expect(await call(F.load, { store: 'board' })).toEqual({ revision: 0, schemaVersion: 1, state: { cards: [] }, clients: {} });
    expect(await call(F.revision, { store: 'board' })).toEqual({ revision: 0 });
  });

  it('commits, and a load after it sees the new state and revision, in one KVS write', async () => {
    const { call, kvs } = createBackend([board]);
    const before = kvs.stats().writes;
    const result = await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('tab', 1, 'add', 'c1', 'One'), intent('tab', 2, 'rename', 'nope', 'x')] });
    expect(result).toEqual({
      revision: 1,
      outcomes: [
        { clientId: 'tab', seq: 1, ok: true },
        { clientId: 'tab', seq: 2, ok: false, code: 'ACTION_FAILED', message: expect.stringContaining('no card nope') },
      ],
    });
    expect(kvs.stats().writes - before).toBe(1);
    expect(await call(F.load, { store: 'board' })).toMatchObject({ revision: 1, state: { cards: [{ id: 'c1', title: 'One' }] } });
  });

  it('applies nothing twice when a commit is retried, and hands back the state to rebase on', async () => {
    const { call, kvs } = createBackend([board]);
    const batch = { store: 'board', baseRevision: 0, intents: [intent('tab', 1, 'add', 'c1', 'One')] };
    await call(F.commit, batch);
    const writes = kvs.stats().writes;
    const again = await call(F.commit, batch);
    expect(again).toMatchObject({ revision: 1, outcomes: [{ ok: true, duplicate: true }], state: { cards: [{ id: 'c1', title: 'One' }] } });
    expect(kvs.stats().writes).toBe(writes);
  });

  it('lands two concurrent commits without clobbering either, and tells the later one to rebase', async () => {
    const { call } = createBackend([board]);
    const [a, b] = await Promise.all([
      call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('tab-a', 1, 'add', 'a', 'A')] }),
      call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('tab-b', 1, 'add', 'b', 'B')] }),
    ]);
    const loaded = (await call(F.load, { store: 'board' })) as { revision: number; state: { cards: { id: string }[] } };
    expect(loaded.revision).toBe(2);
    expect(loaded.state.cards.map((c) => c.id).sort()).toEqual(['a', 'b']);
    expect([a, b].filter((r) => 'state' in r)).toHaveLength(1);
  });

  it('round-trips a document of a few MB through chunks', async () => {
    // Each reading of the clock is past garbage's grace after the one before: a commit a while after the last.
    let t = 0;
    const now = () => (t += 11_000);
    const { call, kvs } = createBackend([board], { maxPayload: 5_000_000, now });
    const text = 'é'.repeat(150_000); // 300 KB of UTF-8 per card
    const intents = Array.from({ length: 10 }, (_, i) => intent('tab', i + 1, 'add', `c${i}`, `card ${i}`, text));
    expect(await call(F.commit, { store: 'board', baseRevision: 0, intents })).toMatchObject({ revision: 1 });
    const loaded = (await call(F.load, { store: 'board' })) as { state: { cards: { text: string }[] } };
    expect(loaded.state.cards).toHaveLength(10);
    expect(loaded.state.cards.every((c) => c.text === text)).toBe(true);
    expect(Object.keys(kvs.dump().kv ?? {}).length).toBeGreaterThan(10);
    const pieces = Object.keys(kvs.dump().kv ?? {}).length;
    // A big document can still be changed (a log entry), and a shrunk one drops its extra pieces
    // (once their grace has passed: a reader may still be reading them).
    expect(await call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab', 11, 'rename', 'c0', 'renamed')] })).toMatchObject({ revision: 2 });
    expect(Object.keys(kvs.dump().kv ?? {})).toHaveLength(pieces + 1);
    const halve = defineStore({ name: 'board', initialState: board.initialState, actions: { clear: (draft) => void draft.cards.splice(5) } });
    const trimmed = createBackend([halve], { kvs, maxPayload: 5_000_000, now });
    expect(await trimmed.call(F.commit, { store: 'board', baseRevision: 2, intents: [intent('tab', 12, 'clear')] })).toMatchObject({ revision: 3 });
    expect(await trimmed.call(F.commit, { store: 'board', baseRevision: 3, intents: [intent('tab', 13, 'clear')] })).toMatchObject({ revision: 4 });
    expect(Object.keys(kvs.dump().kv ?? {}).length).toBeLessThan(pieces);
    expect(((await trimmed.call(F.load, { store: 'board' })) as { state: { cards: unknown[] } }).state.cards).toHaveLength(5);
  });

  it('refuses a document larger than one transaction with TOO_LARGE and writes nothing', async () => {
    const { call, kvs } = createBackend([board], { maxPayload: 10_000_000 });
    const big = 'x'.repeat(250_000);
    const intents = Array.from({ length: 24 }, (_, i) => intent('tab', i + 1, 'add', `c${i}`, 't', big));
    const result = await call(F.commit, { store: 'board', baseRevision: 0, intents });
    expect(result).toEqual({ error: { code: 'TOO_LARGE', message: expect.stringContaining('Nothing was written') } });
    expect(kvs.dump()).toEqual({});
  });

  it('migrates an older document on load and refuses a newer one', async () => {
    const v1 = createBackend([board]);
    await v1.call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('tab', 1, 'add', 'c1', 'One')] });
    const v2 = defineStore({
      name: 'board',
      schemaVersion: 2,
      initialState: { cards: [] as { id: string; title: string; owner: string | null }[] },
      actions: { claim: (draft, id: string, owner: string) => void (draft.cards.find((c) => c.id === id)!.owner = owner) },
      migrate: (state, from) => {
        if (from !== 1) throw new Error(`no migration from ${from}`);
        return { cards: (state as { cards: { id: string; title: string }[] }).cards.map((c) => ({ ...c, owner: null })) };
      },
    });
    const next = createBackend([v2], { kvs: v1.kvs });
    expect(await next.call(F.load, { store: 'board' })).toMatchObject({ revision: 1, schemaVersion: 2, state: { cards: [{ id: 'c1', title: 'One', owner: null }] } });
    expect(await next.call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab2', 1, 'claim', 'c1', 'ann')] })).toMatchObject({ revision: 2 });
    // The store is now written with schemaVersion 2: the old bundle must not read or downgrade it.
    const old = createBackend([board], { kvs: v1.kvs });
    expect(await old.call(F.load, { store: 'board' })).toEqual({ error: { code: 'SCHEMA_TOO_NEW', message: expect.stringContaining('newer than this bundle') } });
    expect(await old.call(F.commit, { store: 'board', baseRevision: 2, intents: [intent('tab', 2, 'add', 'c2', 'x')] })).toMatchObject({ error: { code: 'SCHEMA_TOO_NEW' } });
  });

  it('keeps scopes apart: another space’s document can be neither read nor written', async () => {
    const spaced = defineStore({ name: 'notes', initialState: { notes: [] as string[] }, actions: { add: (d, n: string) => void d.notes.push(n) } });
    const { call } = createBackend([spaced], { policies: { notes: { scope: 'space' } } });
    const team = { extension: { space: { key: 'TEAM' } } };
    const other = { extension: { space: { key: 'OTHER' } } };
    await call(F.commit, { store: 'notes', baseRevision: 0, intents: [intent('t', 1, 'add', 'secret')] }, team);
    expect(await call(F.load, { store: 'notes' }, other)).toMatchObject({ revision: 0, state: { notes: [] } });
    // A payload cannot pick the scope: extra fields are ignored, the context decides.
    await call(F.commit, { store: 'notes', baseRevision: 0, space: 'TEAM', intents: [intent('t', 1, 'add', 'intruder')] }, other);
    expect(await call(F.load, { store: 'notes' }, team)).toMatchObject({ state: { notes: ['secret'] } });
    expect(await call(F.load, { store: 'notes' }, {})).toEqual({ error: { code: 'BAD_REQUEST', message: expect.stringContaining('scoped per space') } });
  });

  it('keeps user-scoped documents per account and site-scoped ones per site', async () => {
    const prefs = defineStore({ name: 'prefs', initialState: { theme: 'light' }, actions: { set: (d, t: string) => void (d.theme = t) } });
    const { call } = createBackend([prefs, board], { policies: { prefs: { scope: 'user' } } });
    await call(F.commit, { store: 'prefs', baseRevision: 0, intents: [intent('t', 1, 'set', 'dark')] }, { accountId: 'alice' });
    expect(await call(F.load, { store: 'prefs' }, { accountId: 'bob' })).toMatchObject({ state: { theme: 'light' } });
    await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('t', 1, 'add', 'c', 'C')] }, { cloudId: 'site-a' });
    expect(await call(F.load, { store: 'board' }, { cloudId: 'site-b' })).toMatchObject({ revision: 0 });
  });

  it('lets anonymous viewers read but not write, unless the store allows it', async () => {
    const open = defineStore({ name: 'open', initialState: { n: 0 }, actions: { inc: (d) => void d.n++ } });
    const { call } = createBackend([board, open], { policies: { open: { allowAnonymousWrites: true } } });
    expect(await call(F.load, { store: 'board' }, { accountId: null })).toMatchObject({ revision: 0 });
    expect(await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('t', 1, 'add', 'c', 'C')] }, { accountId: null })).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.stringContaining('anonymous') } });
    expect(await call(F.commit, { store: 'open', baseRevision: 0, intents: [intent('t', 1, 'inc')] }, { accountId: null })).toMatchObject({ revision: 1 });
  });

  it('applies authorize per intent with the caller’s context', async () => {
    const guarded = defineStore({ name: 'guarded', initialState: { n: 0 }, actions: { inc: (d) => void d.n++ } });
    const { call } = createBackend([guarded], { policies: { guarded: { authorize: (context, i) => (context.accountId === 'admin' || i.name !== 'inc' ? true : 'only admins count') } } });
    const refused = await call(F.commit, { store: 'guarded', baseRevision: 0, intents: [intent('t', 1, 'inc')] }, { accountId: 'bob' });
    expect(refused).toMatchObject({ outcomes: [{ ok: false, code: 'UNAUTHORIZED', message: expect.stringContaining('only admins count') }] });
    expect(await call(F.commit, { store: 'guarded', baseRevision: 1, intents: [intent('t', 2, 'inc')] }, { accountId: 'admin' })).toMatchObject({ outcomes: [{ ok: true }] });
  });

  it.each([
    ['unknown store', { store: 'nope' }, 'BAD_REQUEST'],
    ['payload not an object', 'x', 'BAD_REQUEST'],
    ['bad baseRevision', { store: 'board', baseRevision: -1, intents: [] }, 'BAD_REQUEST'],
    ['intents not an array', { store: 'board', baseRevision: 0, intents: {} }, 'BAD_REQUEST'],
    ['malformed intent', { store: 'board', baseRevision: 0, intents: [{ clientId: 'x', seq: 0, name: 'add', args: [] }] }, 'BAD_REQUEST'],
    ['too many intents', { store: 'board', baseRevision: 0, intents: Array.from({ length: 1001 }, (_, i) => intent('t', i + 1, 'add', 'a', 'b')) }, 'TOO_LARGE'],
    ['oversize payload', { store: 'board', baseRevision: 0, intents: [intent('t', 1, 'add', 'a', 'x'.repeat(600_000))] }, 'TOO_LARGE'],
  ])('answers a bad commit (%s) with its error code and writes nothing', async (_, payload, code) => {
    const { call, kvs } = createBackend([board]);
    expect(await call(F.commit, payload)).toEqual({ error: { code, message: expect.stringMatching(/^\[bgstore\]/) } });
    expect(kvs.dump()).toEqual({});
  });

  it('records an unknown action as refused (UNKNOWN_ACTION), not as an error of the call', async () => {
    const { call } = createBackend([board]);
    expect(await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('t', 1, 'explode')] })).toMatchObject({ outcomes: [{ ok: false, code: 'UNKNOWN_ACTION' }] });
  });

  it('turns storage that keeps failing into STORAGE_FAILED, without an exception escaping', async () => {
    const { call } = createBackend([board], { faults: { seed: 1, failRate: 1 }, maxAttempts: 2 });
    expect(await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('t', 1, 'add', 'a', 'b')] })).toEqual({ error: { code: 'STORAGE_FAILED', message: expect.stringContaining('INTERNAL_SERVER_ERROR') } });
  });

  it('answers STORAGE_BUSY when other commits keep winning the race, and keeps retrying until then', async () => {
    // The budget and the waits run on the emulator's clock: no count depends on how busy the machine is.
    const clock = createManualClock(1_000_000);
    const { call, kvs } = createBackend([board], { contentionBudgetMs: 100, retryDelayMs: 4, clock });
    await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('tab', 1, 'add', 'a', 'A')] });
    let transactions = 0;
    kvs.setFaults(({ path }) => (path === '/api/v1/transaction' && ++transactions ? { status: 400, code: 'CONDITIONAL_CHECK_FAILED', message: 'lost' } : undefined));
    let answer: unknown;
    void call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab', 2, 'add', 'b', 'B')] }).then((a) => (answer = a));
    await advanceUntil(clock, () => answer !== undefined, 'the commit answers');
    expect(answer).toEqual({ error: { code: 'STORAGE_BUSY', message: expect.stringContaining('retry the batch') } });
    // Waits of at most 4, 8, 16 and 32 ms (60 in all) leave budget for a sixth try, whatever the jitter.
    expect(transactions).toBeGreaterThanOrEqual(6);
    kvs.setFaults(undefined);
    expect(await call(F.load, { store: 'board' })).toMatchObject({ revision: 1 });
  });

  it('declares the same entity as the root manifest.yml', () => {
    const manifest = parse(readFileSync(join(__dirname, '..', '..', '..', 'manifest.yml'), 'utf8')) as { app: { storage: { entities: unknown[] } } };
    expect(manifest.app.storage.entities).toContainEqual(JSON.parse(JSON.stringify(DOC_ENTITY_DECLARATION)));
  });
});
