// One suite, every storage guarantee, each backend (issue 19): Forge KVS and Forge SQL must be
// indistinguishable through bgstore's resolver functions.
import fc from 'fast-check';
import { defineStore } from '@bgstore/core';
import { LIMITS, RESOLVER_FUNCTIONS as F } from '@bgstore/protocol';
import { createManualClock } from '@bgstore/emulator';
import { describeBackends } from '../test/backends';
import { advanceUntil, intent, until } from '../test/harness';
import type { StoreContext, StoreIntent } from '.';

const board = defineStore({
  name: 'board',
  initialState: { cards: [] as { id: string; title: string; text?: string }[], pad: '' },
  actions: {
    add: (draft, id: string, title: string, text?: string) => void draft.cards.push({ id, title, ...(text ? { text } : {}) }),
    rename: (draft, id: string, title: string) => {
      const card = draft.cards.find((c) => c.id === id);
      if (card) card.title = title;
    },
    pad: (draft, n: number) => void (draft.pad = 'x'.repeat(n)),
    clear: (draft, keep: number) => void draft.cards.splice(keep),
  },
});
type Board = (typeof board)['initialState'];
const ids = (r: Record<string, unknown>) => (r.state as Board).cards.map((c) => c.id);
const alice = { accountId: 'alice' };
const mallory = { accountId: 'mallory' };

describeBackends('#19.2 storage conformance', (backend) => {
  it('commits and loads; a retried commit applies nothing twice and writes nothing', async () => {
    const { call, commitWrites } = await backend.create([board]);
    expect(await call(F.load, { store: 'board' })).toMatchObject({ revision: 0, state: { cards: [] } });
    const batch = { store: 'board', baseRevision: 0, intents: [intent('tab', 1, 'add', 'c1', 'One')] };
    expect(await call(F.commit, batch)).toMatchObject({ revision: 1, outcomes: [{ ok: true }] });
    commitWrites();
    expect(await call(F.commit, batch)).toMatchObject({ revision: 1, outcomes: [{ ok: true, duplicate: true }] });
    expect(commitWrites()).toBe(0);
    expect(await call(F.revision, { store: 'board' })).toEqual({ revision: 1 });
  });

  it('applies every accepted intent exactly once under racing pages, failures, throttling and lost responses (property, seeded)', async () => {
    const runs = backend.name === 'sql' ? 6 : 25;
    const seed = process.env.BGSTORE_SEED ? Number(process.env.BGSTORE_SEED) : Date.now() % 1_000_000;
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            faultSeed: fc.integer({ min: 1, max: 1_000_000 }),
            pages: fc.integer({ min: 2, max: 5 }),
            batches: fc.array(fc.record({ page: fc.nat(4), size: fc.integer({ min: 1, max: 4 }) }), { minLength: 1, maxLength: 10 }),
            faults: fc.record({ failRate: fc.constantFrom(0, 0.1, 0.3), rateLimitRate: fc.constantFrom(0, 0.1), lostResponseRate: fc.constantFrom(0, 0.1, 0.3) }),
            pad: fc.constantFrom(0, 20_000, 900_000),
          }),
          async ({ faultSeed, pages, batches, faults, pad }) => {
            const inst = await backend.create([board], { maxAttempts: 3, retryDelayMs: 0, maxPayload: 2_000_000 });
            // Installed before the faults start (on Forge, bgstore's SQL tables are made on first use).
            await inst.call(F.load, { store: 'board' });
            if (pad) await inst.call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('setup', 1, 'pad', pad)] });
            inst.setRandomFaults({ seed: faultSeed, ...faults });
            const seqs = Array.from({ length: pages }, () => 0);
            const sent = new Set<string>();
            const commit = async (page: number, ops: ReturnType<typeof intent>[]) => {
              for (let attempt = 0; attempt < 50; attempt++) {
                const r = await inst.call(F.commit, { store: 'board', baseRevision: 0, intents: ops });
                if (!('error' in r)) return r;
                // As the host does: wait before sending the batch again (Forge SQL counts requests a second).
                await new Promise((resolve) => setTimeout(resolve, Math.min(500, 20 * (attempt + 1))));
              }
              throw new Error(`page ${page} could not commit after 50 attempts`);
            };
            await Promise.all(
              batches.map(({ page, size }) => {
                const p = page % pages;
                const ops = Array.from({ length: size }, () => {
                  const s = ++seqs[p]!;
                  sent.add(`p${p}-${s}`);
                  return intent(`page-${p}`, s, 'add', `p${p}-${s}`, 't');
                });
                return commit(p, ops);
              }),
            );
            inst.setRandomFaults(undefined);
            const loaded = await inst.call(F.load, { store: 'board' });
            expect(ids(loaded).sort()).toEqual([...sent].sort());
            expect((loaded.state as Board).pad).toHaveLength(pad);
            await inst.close();
          },
        ),
        { numRuns: runs, seed },
      );
    } catch (e) {
      throw new Error(`seed ${seed} (BGSTORE_SEED=${seed} to replay): ${String(e)}`, { cause: e });
    }
  }, 300_000);

  it('applies a commit whose answer was lost once: the retry answers duplicate', async () => {
    const inst = await backend.create([board]);
    await inst.call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('tab', 1, 'add', 'c1', 'One')] });
    inst.loseWrites((text) => text.includes('c2'), 1);
    const batch = { store: 'board', baseRevision: 1, intents: [intent('tab', 2, 'add', 'c2', 'Two')] };
    const first = await inst.call(F.commit, batch);
    const answer = 'error' in first ? await inst.call(F.commit, batch) : first;
    expect(answer).toMatchObject({ revision: 2, outcomes: [{ clientId: 'tab', seq: 2, ok: true }] });
    expect(ids(await inst.call(F.load, { store: 'board' }))).toEqual(['c1', 'c2']);
  });

  it('has the next winning commit apply a batch that lost the race, once, with its own caller’s policy', async () => {
    const policies = { board: { authorize: (context: StoreContext, i: StoreIntent) => (i.name !== 'rename' || context.accountId === 'user-b' ? true : 'only b renames') } };
    // The contention loop's waits and budget on the emulator's clock, advanced only below: on the
    // wall clock a loaded machine spent a's budget before the test saw its batch in the inbox.
    const clock = createManualClock(1_000_000);
    const inst = await backend.create([board], { retryDelayMs: 20, policies, clock });
    await inst.call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('tab-b', 1, 'add', 'c1', 'c1')] });
    let bDone = false;
    inst.loseRaces((text) => text.includes('a1') && !text.includes('b1'), () => !bDone);
    let aAnswered = false;
    const a = inst.call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab-a', 1, 'add', 'a1', 'a1'), intent('tab-a', 2, 'rename', 'c1', 'by a')] }, { accountId: 'user-a' });
    void a.finally(() => (aAnswered = true));
    await until(async () => (await inst.inboxed()) > 0, "a's lost race puts its batch in the inbox");
    expect(await inst.inboxed()).toBe(1);
    const b = await inst.call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab-b', 2, 'add', 'b1', 'b1')] }, { accountId: 'user-b' });
    bDone = true;
    expect(b).toMatchObject({ revision: 2, outcomes: [{ clientId: 'tab-b', seq: 2, ok: true }], state: { cards: [{ id: 'c1', title: 'c1' }, { id: 'a1' }, { id: 'b1' }] } });
    expect(await inst.inboxed()).toBe(0);
    // a's next try, after its wait: its batch was applied by b's commit.
    await advanceUntil(clock, () => aAnswered, 'a answers once its wait is over', 10);
    expect(await a).toMatchObject({ revision: 2, outcomes: [{ clientId: 'tab-a', seq: 1, ok: true, duplicate: true }, { clientId: 'tab-a', seq: 2, ok: false, code: 'UNAUTHORIZED', duplicate: true }] });
  });

  it('binds dedupe and client records to the caller, and bounds each caller’s records', async () => {
    const { call } = await backend.create([board]);
    await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('victim', 1, 'add', 'v1', 'v')] }, alice);
    expect(await call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('victim', 2, 'add', 'forged', 'f')] }, mallory)).toMatchObject({ outcomes: [{ ok: true }] });
    const real = await call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('victim', 2, 'add', 'v2', 'v')] }, alice);
    expect((real.outcomes as { duplicate?: boolean }[])[0]!.duplicate).toBeUndefined();
    expect(Object.keys((await call(F.load, { store: 'board' }, mallory)).clients as object)).toEqual(['victim']);
    for (let k = 0; k < 12; k++) await call(F.commit, { store: 'board', baseRevision: 0, intents: Array.from({ length: 25 }, (_, i) => intent(`f${k}-${i}`, 1, 'rename', 'x', 'y')) }, mallory);
    expect(await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('victim', 1, 'add', 'v1', 'v')] }, alice)).toMatchObject({ outcomes: [{ ok: true, duplicate: true }] });
    expect(Object.keys((await call(F.load, { store: 'board' }, mallory)).clients as object).length).toBeLessThanOrEqual(LIMITS.clientsPerCaller);
  });

  it('applies write policies per intent with the caller’s context, scopes, and anonymous rules', async () => {
    const policies = { board: { scope: 'space' as const, authorize: (context: StoreContext, i: StoreIntent) => (context.accountId === 'admin' || i.name !== 'rename' ? true : 'only admins rename') } };
    const { call } = await backend.create([board], { policies });
    const team = { extension: { space: { key: 'TEAM' } } };
    await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('t', 1, 'add', 'c', 'C'), intent('t', 2, 'rename', 'c', 'bob was here')] }, { accountId: 'bob', ...team });
    expect(await call(F.load, { store: 'board' }, { extension: { space: { key: 'OTHER' } } })).toMatchObject({ revision: 0 });
    expect(await call(F.load, { store: 'board' }, team)).toMatchObject({ state: { cards: [{ id: 'c', title: 'C' }] } });
    expect(await call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('t', 3, 'rename', 'c', 'admin')] }, { accountId: 'admin', ...team })).toMatchObject({ outcomes: [{ ok: true }], revision: 2 });
    expect(await call(F.commit, { store: 'board', baseRevision: 2, intents: [intent('a', 1, 'add', 'x', 'X')] }, { accountId: null, ...team })).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
  });

  it('applies the read policy to load, revision and commit', async () => {
    const { call } = await backend.create([board], { policies: { board: { authorizeRead: (ctx) => ctx.accountId !== 'mallory' || 'not for you', allowAnonymousReads: false } } });
    await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('a', 1, 'add', 'c', 'secret')] }, alice);
    expect(await call(F.load, { store: 'board' }, mallory)).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.stringContaining('not for you') } });
    expect(await call(F.revision, { store: 'board' }, mallory)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect(await call(F.load, { store: 'board' }, { accountId: null })).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect(await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('m', 1, 'add', 'm', 'm')] }, mallory)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect(ids(await call(F.load, { store: 'board' }, alice))).toEqual(['c']);
  });

  it('round-trips a document of a few MB, changes it in O(change), and refuses one over the limit writing nothing', async () => {
    const inst = await backend.create([board], { maxPayload: 10_000_000 });
    const text = 'é'.repeat(150_000);
    const intents = Array.from({ length: 10 }, (_, i) => intent('tab', i + 1, 'add', `c${i}`, `card ${i}`, text));
    expect(await inst.call(F.commit, { store: 'board', baseRevision: 0, intents })).toMatchObject({ revision: 1 });
    expect(await inst.call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab', 11, 'rename', 'c0', 'renamed')] })).toMatchObject({ revision: 2 });
    const loaded = await inst.call(F.load, { store: 'board' });
    expect((loaded.state as Board).cards.every((c) => c.text === text)).toBe(true);
    expect((loaded.state as Board).cards[0]!.title).toBe('renamed');
    const before = await inst.stored();
    const big = 'x'.repeat(250_000);
    const huge = Array.from({ length: 12 }, (_, i) => intent('tab', 100 + i, 'add', `h${i}`, 't', big));
    expect(await inst.call(F.commit, { store: 'board', baseRevision: 2, intents: huge })).toEqual({ error: { code: 'TOO_LARGE', message: expect.stringContaining('Nothing was written') } });
    expect(await inst.stored()).toBe(before);
    expect(await inst.call(F.revision, { store: 'board' })).toEqual({ revision: 2 });
  });

  it('refuses a new document over the limit and stores nothing', async () => {
    const inst = await backend.create([board], { maxPayload: 10_000_000 });
    const big = 'x'.repeat(250_000);
    const intents = Array.from({ length: 24 }, (_, i) => intent('tab', i + 1, 'add', `c${i}`, 't', big));
    expect(await inst.call(F.commit, { store: 'board', baseRevision: 0, intents })).toMatchObject({ error: { code: 'TOO_LARGE' } });
    expect(await inst.stored()).toBe(0);
  });

  it('migrates an older document on load and commit, and refuses a newer one', async () => {
    const v1 = await backend.create([board]);
    await v1.call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('tab', 1, 'add', 'c1', 'One')] });
    const v2 = defineStore({
      name: 'board',
      schemaVersion: 2,
      initialState: { cards: [] as { id: string; title: string; owner: string | null }[] },
      actions: { claim: (draft, id: string, owner: string) => void (draft.cards.find((c) => c.id === id)!.owner = owner) },
      migrate: (state) => ({ cards: (state as Board).cards.map((c) => ({ id: c.id, title: c.title, owner: null })) }),
    });
    const next = v1.again([v2]);
    expect(await next.call(F.load, { store: 'board' })).toMatchObject({ revision: 1, schemaVersion: 2, state: { cards: [{ id: 'c1', owner: null }] } });
    expect(await next.call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab2', 1, 'claim', 'c1', 'ann')] })).toMatchObject({ revision: 2 });
    const old = v1.again([board]);
    expect(await old.call(F.load, { store: 'board' })).toMatchObject({ error: { code: 'SCHEMA_TOO_NEW' } });
    expect(await old.call(F.commit, { store: 'board', baseRevision: 2, intents: [intent('tab', 2, 'add', 'c2', 'x')] })).toMatchObject({ error: { code: 'SCHEMA_TOO_NEW' } });
    expect(await v1.again([v2]).call(F.load, { store: 'board' })).toMatchObject({ revision: 2, state: { cards: [{ id: 'c1', owner: 'ann' }] } });
  });

  it('collects garbage: storage stays bounded over many commits, and a shrunk document drops what it no longer needs', async () => {
    // Garbage may wait for time to pass (KVS deletes it once no load can still need it): a clock we move.
    let t = 1_700_000_000_000;
    const inst = await backend.create([board], { maxPayload: 5_000_000, now: () => t });
    const text = 'y'.repeat(300_000);
    await inst.call(F.commit, { store: 'board', baseRevision: 0, intents: Array.from({ length: 6 }, (_, i) => intent('tab', i + 1, 'add', `c${i}`, 't', text)) });
    let seq = 10;
    for (let round = 0; round < 3; round++) {
      // Each round adds more than a fifth of the document: the log folds into a new snapshot.
      for (let i = 0; i < 4; i++) await inst.call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('tab', ++seq, 'add', `r${round}-${i}`, 't', 'z'.repeat(120_000))] });
    }
    const grown = await inst.stored();
    t += 3_600_000;
    await inst.call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('tab', ++seq, 'clear', 1)] });
    t += 3_600_000;
    await inst.call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('tab', ++seq, 'pad', 200_000)] });
    t += 3_600_000;
    await inst.call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('tab', seq + 1, 'pad', 100_000)] });
    expect(await inst.stored()).toBeLessThan(grown);
    expect(await inst.stored()).toBeLessThanOrEqual(12);
    const loaded = await inst.call(F.load, { store: 'board' });
    expect(ids(loaded)).toEqual(['c0']);
    expect((loaded.state as Board).pad).toHaveLength(100_000);
  });

  it('answers MISCONFIGURED, a permanent error saying what to set up, when storage is not set up for bgstore', async () => {
    const { call } = await backend.misconfigured([board]);
    expect(await call(F.load, { store: 'board' })).toEqual({ error: { code: 'MISCONFIGURED', message: expect.stringContaining('manifest.yml') } });
  });
});
