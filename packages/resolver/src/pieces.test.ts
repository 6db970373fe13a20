import fc from 'fast-check';
import { defineStore } from '@bgstore/core';
import { RESOLVER_FUNCTIONS as F } from '@bgstore/protocol';
import { createBackend, intent } from '../test/harness';
import { cutPieces } from './docStore';

// How documents are stored in pieces: a change rewrites the pieces around it, not the document;
// nothing is left behind; documents of the first layout are still read and moved.
const list = defineStore({
  name: 'list',
  initialState: { items: [] as { id: number; title: string; done: boolean }[] },
  actions: {
    fill: (draft, n: number) => {
      for (let i = 0; i < n; i++) draft.items.push({ id: draft.items.length, title: `Item number ${draft.items.length}`, done: false });
    },
    toggle: (draft, i: number) => {
      const item = draft.items[i];
      if (item) item.done = !item.done;
    },
    retitle: (draft, suffix: string) => {
      for (const item of draft.items) item.title = `Item ${item.id} ${suffix}`;
    },
  },
});
type ListState = (typeof list)['initialState'];

/** The document's keys in the KV namespace (its pieces), and its head's data. */
function storage(kvs: ReturnType<typeof createBackend>['kvs']) {
  const dump = kvs.dump();
  const heads = Object.entries(dump['entity:bgstore-doc'] ?? {});
  if (heads.length !== 1) throw new Error(`expected one document, found ${heads.length}`);
  const [key, head] = heads[0]! as [string, { data: string }];
  const data = JSON.parse(head.data) as { s?: unknown; p?: string[]; c?: unknown; q?: string[]; g?: string[] };
  const pieces = Object.keys(dump.kv ?? {}).filter((k) => k.startsWith(`${key}:`)).map((k) => k.slice(key.length + 1)).sort();
  /** What the head names, and what it names or still has to delete. */
  const named = [...new Set([...(data.p ?? []), ...(data.q ?? [])])].sort();
  const accounted = [...new Set([...named, ...(data.g ?? [])])].sort();
  return { key, data, pieces, named, accounted };
}

/** Stores a document of `items` items at revision 7 as the first layout did, in `chunks` pieces. */
async function writeFirstLayout(key: string, items: number, chunks: number) {
  // The head holds the body's first slice, `<key>:c<i>` the others with the revision they belong to.
  const body = JSON.stringify({ state: { items: Array.from({ length: items }, (_, id) => ({ id, title: `Old ${id}`, done: false })) }, clients: {} });
  const size = Math.ceil(body.length / chunks);
  const { kvs } = await import('@forge/kvs');
  await kvs.entity('bgstore-doc').set(key, { revision: 7, schemaVersion: 1, chunks, data: body.slice(0, size) });
  for (let i = 1; i < chunks; i++) await kvs.set(`${key}:c${i}`, { r: 7, d: body.slice(i * size, (i + 1) * size) });
}

describe('cutPieces', () => {
  it('cuts the same content at the same places wherever it sits, so an edit changes the pieces around it only', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `{"id":${i},"title":"Item number ${i}","done":false}`);
    const before = cutPieces(rows.join(','), 4096);
    rows[1500] = rows[1500]!.replace('false', 'true');
    const after = cutPieces(rows.join(','), 4096);
    expect(after.join('')).toBe(rows.join(','));
    expect(before.length).toBeGreaterThan(10);
    const old = new Set(before);
    const changed = after.filter((p) => !old.has(p));
    expect(changed.length).toBeLessThanOrEqual(2);
  });

  it('keeps every piece between half and four times the target (but the last)', () => {
    const text = Array.from({ length: 50_000 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90))).join('');
    const pieces = cutPieces(text, 1024);
    expect(pieces.join('')).toBe(text);
    pieces.slice(0, -1).forEach((p) => {
      expect(p.length).toBeGreaterThanOrEqual(512);
      expect(p.length).toBeLessThanOrEqual(4096);
    });
  });
});

describe('documents stored in pieces', () => {
  it('writes a small fraction of a large document for a one-field change', async () => {
    const { call, kvs } = createBackend([list]);
    expect(await call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('tab', 1, 'fill', 10_000)] })).toMatchObject({ revision: 1 });
    const whole = kvs.stats().bytesWritten;
    expect(storage(kvs).data.p!.length).toBeGreaterThan(10);
    kvs.resetStats();
    expect(await call(F.commit, { store: 'list', baseRevision: 1, intents: [intent('tab', 2, 'toggle', 5000)] })).toMatchObject({ revision: 2 });
    expect(kvs.stats().bytesWritten).toBeLessThan(whole / 5);
    const loaded = (await call(F.load, { store: 'list' })) as { state: ListState };
    expect(loaded.state.items).toHaveLength(10_000);
    expect(loaded.state.items[5000]!.done).toBe(true);
    const { pieces, named, data } = storage(kvs);
    expect(pieces).toEqual(named);
    // The client table, which every commit changes, stays in the head.
    expect(data.c).toBeDefined();
  });

  it('keeps a small document whole in its head, and moves it to pieces as it grows', async () => {
    const { call, kvs } = createBackend([list]);
    await call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('tab', 1, 'fill', 3)] });
    expect(storage(kvs).data.s).toBeDefined();
    expect(storage(kvs).pieces).toEqual([]);
    await call(F.commit, { store: 'list', baseRevision: 1, intents: [intent('tab', 2, 'fill', 2000)] });
    expect(storage(kvs).data.p!.length).toBeGreaterThan(1);
    expect(((await call(F.load, { store: 'list' })) as { state: ListState }).state.items).toHaveLength(2003);
  });

  it('defers deleting what one transaction has no room for, and deletes it on the next commit', async () => {
    const { call, kvs } = createBackend([list], { minPiece: 256 });
    await call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('tab', 1, 'fill', 1)] });
    // A first-layout document in 25 pieces: moving it writes about 15 new ones, no room to delete all 24 old.
    await writeFirstLayout(storage(kvs).key, 100, 25);
    await call(F.commit, { store: 'list', baseRevision: 7, intents: [intent('tab', 2, 'toggle', 1)] });
    const second = storage(kvs);
    expect(second.data.g?.length).toBeGreaterThan(0);
    expect(second.pieces).toEqual(second.accounted);
    await call(F.commit, { store: 'list', baseRevision: 8, intents: [intent('tab', 3, 'toggle', 2)] });
    const third = storage(kvs);
    expect(third.data.g).toBeUndefined();
    expect(third.pieces).toEqual(third.named);
    const loaded = (await call(F.load, { store: 'list' })) as { state: ListState };
    expect(loaded.state.items.slice(0, 3)).toEqual([
      { id: 0, title: 'Old 0', done: false },
      { id: 1, title: 'Old 1', done: true },
      { id: 2, title: 'Old 2', done: true },
    ]);
  });

  it('reads a document of the first layout and moves it on the next commit', async () => {
    const { call, kvs } = createBackend([list]);
    await call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('tab', 1, 'fill', 1)] });
    const { key } = storage(kvs);
    await writeFirstLayout(key, 50, 3);
    const loaded = (await call(F.load, { store: 'list' })) as { revision: number; state: ListState };
    expect(loaded.revision).toBe(7);
    expect(loaded.state.items[49]).toEqual({ id: 49, title: 'Old 49', done: false });
    expect(await call(F.commit, { store: 'list', baseRevision: 7, intents: [intent('tab', 2, 'toggle', 49)] })).toMatchObject({ revision: 8 });
    const after = storage(kvs);
    expect(after.pieces.filter((name) => /^c\d+$/.test(name))).toEqual([]);
    expect(((await call(F.load, { store: 'list' })) as { state: ListState }).state.items[49]!.done).toBe(true);
  });

  it('refuses a piece whose text does not match its name', async () => {
    const { call, kvs } = createBackend([list]);
    await call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('tab', 1, 'fill', 2000)] });
    const { key, data } = storage(kvs);
    const { kvs: forgeKvs } = await import('@forge/kvs');
    await forgeKvs.set(`${key}:${data.p![0]}`, 'tampered');
    expect(await call(F.load, { store: 'list' })).toMatchObject({ error: { code: 'STORAGE_FAILED', message: expect.stringMatching(/damaged/) } });
  });

  it('keeps storage exact under random commits: the head names what is stored, nothing leaks (property)', async () => {
    const seed = process.env.BGSTORE_SEED ? Number(process.env.BGSTORE_SEED) : undefined;
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.oneof(fc.record({ name: fc.constant('fill'), arg: fc.integer({ min: 1, max: 400 }) }), fc.record({ name: fc.constant('toggle'), arg: fc.nat(800) }), fc.record({ name: fc.constant('retitle'), arg: fc.string({ maxLength: 6 }) })), { minLength: 1, maxLength: 12 }),
        fc.constantFrom(16, 64, 1024),
        async (ops, minPiece) => {
          const { call, kvs } = createBackend([list], { minPiece });
          let expected: ListState = list.initialState;
          for (const [i, op] of ops.entries()) {
            const r = await call(F.commit, { store: 'list', baseRevision: i, intents: [intent('tab', i + 1, op.name, op.arg)] });
            expect(r).toMatchObject({ revision: i + 1 });
            const draft = structuredClone(expected);
            (list.actions[op.name as keyof typeof list.actions] as (d: ListState, a: unknown) => void)(draft, op.arg);
            expected = draft;
            const { pieces, accounted } = storage(kvs);
            expect(pieces).toEqual(accounted);
          }
          const loaded = (await call(F.load, { store: 'list' })) as { state: ListState };
          expect(loaded.state).toEqual(expected);
        },
      ),
      { numRuns: Number(process.env.BGSTORE_RUNS ?? 40), seed },
    );
  }, 120_000);
});
