import { deflateRawSync } from 'node:zlib';
import { defineStore } from '@bgstore/core';
import { RESOLVER_FUNCTIONS as F } from '@bgstore/protocol';
import { createBackend, intent } from '../test/harness';

// #17 cold commits with the caller's base: a function instance that keeps no copy of a document
// asks the caller for its state instead of reading the whole of it, and uses what comes only once
// its hash matches the head's. Every call here runs on a fresh instance (warmDocuments 0) unless said.

const ITEMS = 10_000;
const board = defineStore({
  name: 'board',
  initialState: { items: Array.from({ length: ITEMS }, (_, i) => ({ id: `item-${i}`, title: `Item number ${i}`, done: false })), meta: { title: 'Board' } },
  actions: {
    toggle: (draft, i: number) => {
      const item = draft.items[i];
      if (item) item.done = !item.done;
    },
  },
});
type State = typeof board.initialState;

const pack = (state: unknown) => deflateRawSync(Buffer.from(JSON.stringify(state))).toString('base64');
/** The board's state after toggling `toggled` (in order) on the initial state. */
const stateWith = (toggled: number[]): State => {
  const state = structuredClone(board.initialState);
  for (const i of toggled) state.items[i]!.done = !state.items[i]!.done;
  return state;
};
const spread = (k: number) => (k * 7919) % ITEMS;

/** A backend whose document has `commits` lone toggles stored (writer's, seqs 1…commits). */
async function stored(commits: number, warmDocuments = 0) {
  const backend = createBackend([board], { warmDocuments, maxPayload: 5_000_000, realtime: false });
  const toggled: number[] = [];
  for (let k = 1; k <= commits; k++) {
    toggled.push(spread(k));
    const r = await backend.call(F.commit, { store: 'board', baseRevision: k - 1, intents: [intent('writer', k, 'toggle', spread(k))] });
    expect(r.revision).toBe(k);
  }
  const { doc } = (await backend.call(F.load, { store: 'board' })) as { doc: string };
  return { backend, toggled, doc };
}

/** What a commit read (KVS read units) and answered. */
async function metered(backend: Awaited<ReturnType<typeof stored>>['backend'], payload: Record<string, unknown>) {
  backend.meter.reset();
  const answer = await backend.call(F.commit, { store: 'board', ...payload });
  return { answer, readUnits: backend.meter.counts.readUnits };
}

const loadState = async (backend: Awaited<ReturnType<typeof stored>>['backend']) => (await backend.call(F.load, { store: 'board' })) as { revision: number; state: State };

describe('#17 cold commits take their base from the caller', () => {
  it('an offer on a cold instance is answered sendBase, reading and storing nothing; the base sent then costs the head and the manifest (2 read units, was 4)', async () => {
    const { backend, toggled, doc } = await stored(30);
    const request = { baseRevision: 30, intents: [intent('page', 1, 'toggle', 7)], patches: true, doc };
    const asked = await metered(backend, { ...request, base: true });
    expect(asked).toEqual({ answer: { sendBase: true }, readUnits: 0 });
    const plain = await metered(backend, { baseRevision: 30, intents: [intent('other', 1, 'toggle', 8)], patches: true, doc });
    const sent = await metered(backend, { ...request, baseRevision: 31, base: pack(stateWith([...toggled, 8])) });
    console.log(`#17 cold lone commit, ${ITEMS} items: ${plain.readUnits} read units reading the state, ${sent.readUnits} with the caller's base`);
    expect(sent.answer).toMatchObject({ revision: 32, outcomes: [{ clientId: 'page', seq: 1, ok: true }] });
    expect(sent.answer).not.toHaveProperty('state');
    expect(sent.readUnits).toBeLessThanOrEqual(2);
    expect(sent.readUnits).toBeLessThan(plain.readUnits);
    expect((await loadState(backend)).state).toEqual(stateWith([...toggled, 8, 7]));
  }, 60_000);

  it('a base a few revisions behind is brought forward with the log, and answered what its caller lacks', async () => {
    const { backend, toggled, doc } = await stored(30);
    const behind = toggled.slice(0, 26);
    const sent = await metered(backend, { baseRevision: 26, intents: [intent('page', 1, 'toggle', 3)], patches: true, doc, base: pack(stateWith(behind)) });
    expect(sent.readUnits).toBeLessThanOrEqual(2);
    expect(sent.answer).toMatchObject({ revision: 31, outcomes: [{ ok: true }] });
    expect((sent.answer.patches as unknown[]).length).toBe(5);
    expect((await loadState(backend)).state).toEqual(stateWith([...toggled, 3]));
  }, 60_000);

  it('across a fold of the log, and on a warm instance (which never asks), bases still check out', async () => {
    const { backend, toggled } = await stored(3, 4);
    // A warm instance keeps the document: an offer is not answered sendBase.
    const warm = await backend.call(F.commit, { store: 'board', baseRevision: 3, intents: [intent('page', 1, 'toggle', 1)], base: true });
    expect(warm).toMatchObject({ revision: 4, outcomes: [{ ok: true }] });
    toggled.push(1);
    const snapshot = () => JSON.parse((backend.kvs.inspect('entity:bgstore-doc')[0]!.value as { data: string }).data).m as string;
    const first = snapshot();
    const cold = createBackend([board], { warmDocuments: 0, maxPayload: 5_000_000, realtime: false, kvs: backend.kvs });
    const units: number[] = [];
    for (let k = 5; k <= 120; k++) {
      const toggle = spread(k);
      cold.meter.reset();
      const r = await cold.call(F.commit, { store: 'board', baseRevision: k - 1, intents: [intent('page', k - 3, 'toggle', toggle)], base: pack(stateWith(toggled)) });
      toggled.push(toggle);
      expect(r).toMatchObject({ revision: k, outcomes: [{ ok: true }] });
      units.push(cold.meter.counts.readUnits);
    }
    expect(Math.max(...units)).toBeLessThanOrEqual(2);
    expect(snapshot()).not.toBe(first); // the log was folded into a new snapshot on the way
    expect((await loadState(cold)).state).toEqual(stateWith(toggled));
  }, 120_000);

  it('#17 a forged base — another state, or the right state claimed for another revision — is not used: storage is read, and nothing forged is stored', async () => {
    const { backend, toggled, doc } = await stored(12);
    const forged = stateWith([...toggled, 42]); // item 42 toggled by no action
    const wrongState = await metered(backend, { baseRevision: 12, intents: [intent('page', 1, 'toggle', 5)], patches: true, doc, base: pack(forged) });
    expect(wrongState.answer).toMatchObject({ revision: 13, outcomes: [{ ok: true }] });
    expect(wrongState.readUnits).toBeGreaterThan(2);
    // Revision 10's state claimed as revision 13's (the head's): it is not the head's state.
    const wrongRevision = await metered(backend, { baseRevision: 13, intents: [intent('page', 2, 'toggle', 6)], patches: true, doc, base: pack(stateWith(toggled.slice(0, 10))) });
    expect(wrongRevision.answer).toMatchObject({ revision: 14, outcomes: [{ ok: true }] });
    expect(wrongRevision.readUnits).toBeGreaterThan(2);
    // Another document's id: not even checked against the hash.
    const otherDoc = await metered(backend, { baseRevision: 14, intents: [intent('page', 3, 'toggle', 9)], doc: 'another-doc', base: pack(stateWith([...toggled, 5, 6])) });
    expect(otherDoc.answer).toMatchObject({ revision: 15, outcomes: [{ ok: true }] });
    expect(otherDoc.readUnits).toBeGreaterThan(2);
    expect((await loadState(backend)).state).toEqual(stateWith([...toggled, 5, 6, 9]));
  }, 60_000);

  it('#17 a base that does not decode — a decompression bomb, not deflate, not JSON, a deep nest — is ignored: storage is read and the commit goes through', async () => {
    const { backend, toggled } = await stored(5);
    const bomb = deflateRawSync(Buffer.from(`"${'0'.repeat(8_000_000)}"`)).toString('base64');
    expect(bomb.length).toBeLessThan(50_000);
    const deep = deflateRawSync(Buffer.from(`${'['.repeat(200_000)}${']'.repeat(200_000)}`)).toString('base64');
    const bases = [bomb, 'not deflate at all', deflateRawSync(Buffer.from('{"items": [')).toString('base64'), deep];
    for (const [n, base] of bases.entries()) {
      const r = await backend.call(F.commit, { store: 'board', baseRevision: 5 + n, intents: [intent('page', n + 1, 'toggle', n)], base });
      expect(r).toMatchObject({ revision: 6 + n, outcomes: [{ ok: true }] });
    }
    expect((await loadState(backend)).state).toEqual(stateWith([...toggled, 0, 1, 2, 3]));
  }, 60_000);

  it('#17 nothing lost or doubled: a batch resent with its base after sendBase, then again (its answer lost), is stored once', async () => {
    const { backend, toggled, doc } = await stored(4);
    const request = { store: 'board', baseRevision: 4, intents: [intent('page', 1, 'toggle', 11), intent('page', 2, 'toggle', 12)], patches: true, doc };
    expect(await backend.call(F.commit, { ...request, base: true })).toEqual({ sendBase: true });
    const first = await backend.call(F.commit, { ...request, base: pack(stateWith(toggled)) });
    const again = await backend.call(F.commit, { ...request, base: pack(stateWith(toggled)) });
    expect(first).toMatchObject({ revision: 5, outcomes: [{ ok: true }, { ok: true }] });
    expect(again).toMatchObject({ revision: 5, outcomes: [{ duplicate: true }, { duplicate: true }] });
    expect((await loadState(backend)).state).toEqual(stateWith([...toggled, 11, 12]));
  }, 60_000);
});
