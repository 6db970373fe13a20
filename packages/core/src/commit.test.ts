import { defineStore } from '.';
import { commitIntents, emptyDoc, upgradeDoc, type DurableDoc } from './durable';
import { board } from '../test/board';

const intent = (seq: number, name: string, ...args: unknown[]) => ({ clientId: 'tab-1', seq, name, args });

describe('commitIntents', () => {
  it('applies a batch, raises the revision once, and records each outcome', () => {
    const { doc, outcomes, changed } = commitIntents(board, emptyDoc(board), [intent(1, 'add', 'c1', 'one'), intent(2, 'toggle', 'nope'), intent(3, 'add', 'c2', 'two')], { now: 5 });
    expect(changed).toBe(true);
    expect(doc.revision).toBe(1);
    expect(doc.state.cards.map((c) => c.id)).toEqual(['c1', 'c2']);
    expect(outcomes.map((o) => (o.ok ? 'ok' : o.code))).toEqual(['ok', 'ACTION_FAILED', 'ok']);
  });

  it('applies a retried batch nothing twice and gives the first outcomes again', () => {
    const first = commitIntents(board, emptyDoc(board), [intent(1, 'add', 'c1', 'one'), intent(2, 'toggle', 'nope')], { now: 1 });
    const again = commitIntents(board, first.doc, [intent(1, 'add', 'c1', 'one'), intent(2, 'toggle', 'nope')], { now: 2 });
    expect(again.changed).toBe(false);
    expect(again.doc).toBe(first.doc);
    expect(again.outcomes).toEqual(first.outcomes.map((o) => ({ ...o, duplicate: true })));
  });

  it('refuses what authorize refuses, with UNAUTHORIZED and its reason', () => {
    const { doc, outcomes } = commitIntents(board, emptyDoc(board), [intent(1, 'rename', 'x')], { now: 0, authorize: (i) => (i.name === 'rename' ? 'only admins rename' : true) });
    expect(outcomes[0]).toMatchObject({ ok: false, code: 'UNAUTHORIZED', message: expect.stringContaining('only admins rename') });
    expect(doc.state.meta.title).toBe('Team board');
  });
});

describe('upgradeDoc', () => {
  const v2 = defineStore({
    name: 'board',
    schemaVersion: 2,
    initialState: { cards: [] as { id: string; title: string; owner: string | null }[] },
    actions: {},
    migrate: (state, from) => {
      if (from !== 1) throw new Error(`cannot migrate from ${from}`);
      const old = state as { cards: { id: string; title: string }[] };
      return { cards: old.cards.map((c) => ({ ...c, owner: null })) };
    },
  });
  const stored = (schemaVersion: number): DurableDoc<unknown> => ({ revision: 3, schemaVersion, state: { cards: [{ id: 'a', title: 'A' }] }, clients: {} });

  it('migrates an older document on load', () => {
    expect(upgradeDoc(v2, stored(1))).toEqual({ revision: 3, schemaVersion: 2, state: { cards: [{ id: 'a', title: 'A', owner: null }] }, clients: {} });
  });

  it('refuses a newer document with SCHEMA_TOO_NEW', () => {
    expect(() => upgradeDoc(v2, stored(3))).toThrow(expect.objectContaining({ code: 'SCHEMA_TOO_NEW' }));
  });

  it('says so when an older document has no migrate to run', () => {
    expect(() => upgradeDoc(board, stored(0))).toThrow(/has no migrate/);
  });
});

describe('storage’s client table under a flood (#11.2, #11.3)', () => {
  // Whose a record is, as the resolver tells the table (its keys are `<caller>|<clientId>`).
  const callers = { callerOf: (key: string) => key.slice(0, key.lastIndexOf('|')), isAnonymous: (key: string) => key.startsWith('anon.') };
  const table = { maxClients: 1000, maxBytes: 20_000, perCaller: 4, whenFull: 'refuse' as const, callers };
  const flood = (caller: string, k: number) =>
    Array.from({ length: 6 }, (_, i) => ({ clientId: `${caller}|c${k}-${i}`, seq: 1, name: 'add', args: [], refused: { code: 'ACTION_FAILED' as const, message: 'x'.repeat(160) } }));

  it('keeps its bytes bounded, refuses new clients when full, never forgets a signed-in caller’s record for others', () => {
    let doc = emptyDoc(board);
    doc = commitIntents(board, doc, [{ clientId: 'a.victim|tab', seq: 1, name: 'add', args: ['v', 'victim'] }], { now: 1, table }).doc;
    for (let k = 0; k < 60; k++) doc = commitIntents(board, doc, flood(`a.evil${k}`, k), { now: 2 + k, table }).doc;
    expect(JSON.stringify(doc.clients).length).toBeLessThan(25_000);
    expect(doc.clients['a.victim|tab']).toBeDefined();
    const late = commitIntents(board, doc, [{ clientId: 'a.newcomer|tab', seq: 1, name: 'add', args: ['n', 'new'] }], { now: 100, table });
    expect(late.outcomes[0]).toMatchObject({ ok: false, code: 'TOO_LARGE' });
    // The victim's retry is still a duplicate, and its next call still fits.
    const retry = commitIntents(board, doc, [{ clientId: 'a.victim|tab', seq: 1, name: 'add', args: ['v', 'victim'] }, { clientId: 'a.victim|tab', seq: 2, name: 'add', args: ['w', 'again'] }], { now: 101, table });
    expect(retry.outcomes).toMatchObject([{ ok: true, duplicate: true }, { ok: true }]);
  });

  it('keeps one caller within its byte budget by dropping that caller’s own oldest records', () => {
    const budget = { ...table, maxBytes: Infinity, perCaller: 1000, perCallerBytes: 5_000 };
    let doc = emptyDoc(board);
    doc = commitIntents(board, doc, [{ clientId: 'a.other|tab', seq: 1, name: 'add', args: ['o', 'other'] }], { now: 0, table: budget }).doc;
    for (let k = 0; k < 30; k++) doc = commitIntents(board, doc, flood('a.evil', k), { now: 1 + k, table: budget }).doc;
    const evil = Object.keys(doc.clients).filter((key) => key.startsWith('a.evil|'));
    expect(JSON.stringify(evil.map((key) => doc.clients[key])).length).toBeLessThan(6_000);
    expect(doc.clients['a.other|tab']).toBeDefined();
  });

  it('makes room by dropping anonymous viewers’ records first', () => {
    const small = { ...table, maxClients: 50 };
    let doc = emptyDoc(board);
    for (let k = 0; k < 60; k++) doc = commitIntents(board, doc, [{ clientId: `anon.x${k}|x${k}`, seq: 1, name: 'add', args: [`${k}`, 'a'] }], { now: k, table: small }).doc;
    expect(Object.keys(doc.clients)).toHaveLength(50);
    const signedIn = commitIntents(board, doc, [{ clientId: 'a.member|tab', seq: 1, name: 'add', args: ['m', 'member'] }], { now: 100, table: small });
    expect(signedIn.outcomes[0]).toMatchObject({ ok: true });
    expect(signedIn.doc.clients['anon.x10|x10']).toBeUndefined(); // the least recently seen anonymous record went
    expect(signedIn.doc.clients['a.member|tab']).toBeDefined();
  });
});
