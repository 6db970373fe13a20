// #19: Forge SQL answers 429 once an installation's quota is spent (150 DML requests in any second).
// As on KVS (#17.5), the resolver stops at once and says RATE_LIMITED: the page's host keeps every
// unsaved action and tries again when the window reopens; nothing is stored twice or lost.
import { sql } from '@forge/sql';
import { defineStore } from '@bgstore/core';
import { createManualClock, routeForgeFetch } from '@bgstore/emulator';
import { RESOLVER_FUNCTIONS as F } from '@bgstore/protocol';
import { sqlBackend } from '../../test/backends';
import { intent } from '../../test/harness';

const board = defineStore({
  name: 'board',
  initialState: { items: [] as string[] },
  actions: { add: (draft, title: string) => void draft.items.push(title) },
});

// The emulated service's quota windows run on this clock, which moves only when told.
const clock = createManualClock(1_000_000);
const backend = sqlBackend({ clock });
const reason = backend.unavailable();
if (reason) console.warn(`[bgstore] skipping the Forge SQL rate-limit tests: ${reason}`);

(reason ? describe.skip : describe)('#19 a Forge SQL 429 in the resolver', () => {
  beforeAll(() => backend.beforeAll(), 60_000);
  afterAll(() => backend.afterAll(), 30_000);
  afterEach(() => backend.afterEach());

  it('answers RATE_LIMITED once the 150 DML requests of the second are spent, stores nothing, and the same batch commits once the window reopens', async () => {
    const inst = await backend.create([board], { retryDelayMs: 1 });
    const fetch = inst.sqlFetch!;
    expect(await inst.call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('tab', 1, 'add', 'a')] })).toMatchObject({ revision: 1 });
    clock.advance(1_000);
    // Someone else (another page, another function) spends the second's quota.
    (globalThis as { __forge_fetch__?: unknown }).__forge_fetch__ = routeForgeFetch({ sql: fetch });
    let spent = 0;
    for (;;) {
      const refused = await sql.prepare('SELECT 1 AS one').execute().then(() => false, (e: { responseDetails?: { status?: number } }) => e.responseDetails?.status === 429);
      if (refused) break;
      spent++;
    }
    expect(spent).toBe(fetch.limits.dmlPerSecond);
    const before = fetch.stats().throttled.dmlPerSecond;

    const answer = await inst.call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab', 2, 'add', 'b')] });
    // Forge SQL says no reset time (@forge/sql keeps no Retry-After): the host backs off on its own.
    expect(answer).toEqual({ error: { code: 'RATE_LIMITED', message: expect.stringContaining('429') } });
    // One refused request: the commit stopped at once instead of spending more of the quota.
    expect(fetch.stats().throttled.dmlPerSecond - before).toBe(1);
    expect(await inst.call(F.load, { store: 'board' })).toMatchObject({ error: { code: 'RATE_LIMITED' } });
    expect(await inst.call(F.revision, { store: 'board' })).toMatchObject({ error: { code: 'RATE_LIMITED' } });

    clock.advance(1_000);
    expect(await inst.call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab', 2, 'add', 'b')] })).toMatchObject({ revision: 2 });
    // Sent again after the window (the host keeps the batch): applied once.
    expect(await inst.call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab', 2, 'add', 'b')] })).toMatchObject({ revision: 2 });
    expect(await inst.again([board]).call(F.load, { store: 'board' })).toMatchObject({ revision: 2, state: { items: ['a', 'b'] } });
  });
});
