import { defineStore } from '@bgstore/core';
import { RESOLVER_FUNCTIONS as F } from '@bgstore/protocol';
import { createBackend, intent } from '../test/harness';

// #17.5: Forge answers 429 RATE_LIMIT_EXCEEDED once the installation's KVS quota is spent. Inside
// the resolver that is neither a storage failure nor a lost race: the call stops at once and says
// RATE_LIMITED, so the page's host waits for the window instead of this invocation spinning on it.
const board = defineStore({
  name: 'board',
  initialState: { items: [] as string[] },
  actions: { add: (draft, title: string) => void draft.items.push(title) },
});
const throttled = { status: 429, code: 'RATE_LIMIT_EXCEEDED', message: 'Rate limit exceeded' };

describe('#17.5 a KVS 429 in the resolver', () => {
  it('answers a commit RATE_LIMITED after one transaction, stores nothing, and the same batch commits once the window reopens', async () => {
    const { call, kvs } = createBackend([board], { retryDelayMs: 1 });
    await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('tab', 1, 'add', 'a')] });
    let transactions = 0;
    kvs.setFaults(({ path }) => (path === '/api/v1/transaction' && ++transactions ? throttled : undefined));
    const answer = await call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab', 2, 'add', 'b')] });
    expect(answer).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringContaining('429') } });
    expect(transactions).toBe(1);
    kvs.setFaults(undefined);
    expect(await call(F.load, { store: 'board' })).toMatchObject({ revision: 1, state: { items: ['a'] } });
    expect(await call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab', 2, 'add', 'b')] })).toMatchObject({ revision: 2 });
    expect(await call(F.load, { store: 'board' })).toMatchObject({ revision: 2, state: { items: ['a', 'b'] } });
  });

  it('answers loads and revision checks RATE_LIMITED, reading each refused key once', async () => {
    const { call, kvs } = createBackend([board], { warmDocuments: 0 });
    await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('tab', 1, 'add', 'a')] });
    const refused: string[] = [];
    kvs.setFaults(({ path }) => (path.includes('get') ? (refused.push(path), throttled) : undefined));
    expect(await call(F.load, { store: 'board' })).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(await call(F.revision, { store: 'board' })).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(refused).toEqual(['/api/v1/entity/get', '/api/v1/entity/get']);
  });

  it('refuses a batch get of pieces once, not three times', async () => {
    const { call, kvs } = createBackend([board], { warmDocuments: 0, minPiece: 16 });
    await call(F.commit, { store: 'board', baseRevision: 0, intents: Array.from({ length: 40 }, (_, i) => intent('tab', i + 1, 'add', `item ${i}`)) });
    let batches = 0;
    kvs.setFaults(({ path }) => (path === '/api/v1/batch/get' && ++batches ? throttled : undefined));
    expect(await call(F.load, { store: 'board' })).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(batches).toBe(1);
  });
});
