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
