import { defineStore } from '@bgstore/core';
import { RESOLVER_FUNCTIONS as F } from '@bgstore/protocol';
import { createBackend, intent, resolverCall } from '../../test/harness';
import { decode91 } from './base91';
import { encodeText, isUncompressed, nameOf, unpackText } from './pieces';

// #17.3: what is stored is compressed where that pays — snapshot pieces, manifests, large log
// entries — under the names of the uncompressed text; values stored before compression still read,
// and the next snapshot rewrites them compressed.
// #17.2: reads that cost what they lack — the head carries the latest log entries (its tail) and the
// names of the snapshot's pieces, so an instance behind others' commits reads the head alone and a
// cold read reads the head and one batch; documents whose heads have neither still read.
const list = defineStore({
  name: 'list',
  initialState: { items: [] as { id: string; title: string; done: boolean }[] },
  actions: {
    fill: (draft, n: number) => {
      for (let i = 0; i < n; i++) draft.items.push({ id: `item-${draft.items.length}`, title: `Item number ${draft.items.length}`, done: false });
    },
    toggle: (draft, i: number) => {
      const item = draft.items[i];
      if (item) item.done = !item.done;
    },
    rename: (draft, { i, title }: { i: number; title: string }) => {
      const item = draft.items[i];
      if (item) item.title = title;
    },
  },
});
type ListState = (typeof list)['initialState'];

/** The stored document's values under its key (pieces and log entries) and what its head names. */
function stored(kvs: ReturnType<typeof createBackend>['kvs']) {
  const dump = kvs.dump();
  const [key, head] = Object.entries(dump['entity:bgstore-doc'] ?? {})[0]! as [string, { data: string }];
  const data = JSON.parse(head.data) as { m: string };
  const values = Object.fromEntries(Object.entries(dump.kv ?? {}).filter(([k]) => k.startsWith(`${key}:`)).map(([k, v]) => [k.slice(key.length + 1), v as string]));
  const manifest = JSON.parse(unpackText(values[data.m]!, 'manifest')) as { p?: string[] };
  // The manifest of a few names is too short to compress; the pieces are not.
  return { key, values, named: [data.m, ...(manifest.p ?? [])], pieces: manifest.p ?? [] };
}
const bytes = (values: Record<string, string>) => Object.values(values).reduce((n, v) => n + Buffer.byteLength(JSON.stringify(v)), 0);

describe('#17.3 compressed storage', () => {
  it('stores a 10,000-item board in a tenth of its JSON, pieces named by their uncompressed text, and loads it cold unchanged', async () => {
    const { call, kvs } = createBackend([list], { warmDocuments: 0 });
    expect(await call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('tab', 1, 'fill', 10_000)] })).toMatchObject({ revision: 1 });
    const { values, named, pieces } = stored(kvs);
    expect(pieces.length).toBeGreaterThan(5);
    for (const name of named) expect(nameOf(unpackText(values[name]!, name))).toBe(name);
    for (const name of pieces) {
      expect(values[name]!.startsWith('\u0001z')).toBe(true);
    }
    const loaded = (await call(F.load, { store: 'list' })) as { revision: number; state: ListState };
    expect(loaded.state.items).toHaveLength(10_000);
    expect(loaded.state.items[9999]).toEqual({ id: 'item-9999', title: 'Item number 9999', done: false });
    expect(bytes(values) * 10).toBeLessThan(Buffer.byteLength(JSON.stringify(loaded.state)));
  });

  it('reads a document whose pieces were stored before compression, and the next snapshot rewrites them compressed under the same names', async () => {
    const { call, kvs } = createBackend([list], { warmDocuments: 0 });
    await call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('tab', 1, 'fill', 10_000)] });
    const { key, values, named, pieces } = stored(kvs);
    const forge = (await import('@forge/kvs')).kvs;
    // As the previous release stored them: the quote swap, no marker.
    for (const name of named) await forge.set(`${key}:${name}`, encodeText(unpackText(values[name]!, name)));
    expect(pieces.every((name) => isUncompressed(stored(kvs).values[name]!))).toBe(true);
    const loaded = (await call(F.load, { store: 'list' })) as { state: ListState };
    expect(loaded.state.items[5000]).toEqual({ id: 'item-5000', title: 'Item number 5000', done: false });
    // A log entry leaves the old pieces as they are…
    expect(await call(F.commit, { store: 'list', baseRevision: 1, intents: [intent('tab', 2, 'toggle', 3)] })).toMatchObject({ revision: 2 });
    expect(stored(kvs).named).toEqual(named);
    // …and a commit that folds the log (3,000 more items outgrow a fifth of the snapshot) rewrites every piece it keeps.
    expect(await call(F.commit, { store: 'list', baseRevision: 2, intents: [intent('tab', 3, 'fill', 3000)] })).toMatchObject({ revision: 3 });
    const after = stored(kvs);
    const kept = after.pieces.filter((name) => pieces.includes(name));
    expect(kept.length).toBeGreaterThan(3);
    for (const name of after.pieces) expect(after.values[name]!.startsWith('\u0001z')).toBe(true);
    const reloaded = (await call(F.load, { store: 'list' })) as { state: ListState };
    expect(reloaded.state.items).toHaveLength(13_000);
    expect(reloaded.state.items[3]!.done).toBe(true);
  });

  it('refuses a compressed piece that does not decompress as a damaged document', async () => {
    const { call, kvs } = createBackend([list], { warmDocuments: 0 });
    await call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('tab', 1, 'fill', 10_000)] });
    const { key, named } = stored(kvs);
    await (await import('@forge/kvs')).kvs.set(`${key}:${named[1]}`, '\u0001b////');
    expect(await call(F.load, { store: 'list' })).toMatchObject({ error: { code: 'STORAGE_FAILED', message: expect.stringMatching(/damaged/) } });
  });

  it('loads a 10,000-item board cold in at most 8 read units (10 KB, at least one per request) all through a log cycle', async () => {
    const writer = createBackend([list]);
    const reader = createBackend([list], { warmDocuments: 0, kvs: writer.kvs });
    const units = { n: 0 };
    const metered = async (...args: Parameters<typeof writer.kvs>) => {
      const response = await writer.kvs(...args);
      const body = await response.clone().text();
      units.n += Math.max(1, Math.ceil(Buffer.byteLength(body) / 10_240));
      return response;
    };
    (globalThis as { __forge_fetch__?: unknown }).__forge_fetch__ = metered;
    await writer.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('tab', 1, 'fill', 10_000)] });
    const loads: number[] = [];
    const snapshots = new Set<string>();
    for (let r = 1; r <= 80; r++) {
      expect(await writer.call(F.commit, { store: 'list', baseRevision: r, intents: [intent('tab', r + 1, 'toggle', (r * 7919) % 10_000)] })).toMatchObject({ revision: r + 1 });
      const before = units.n;
      expect(await reader.call(F.load, { store: 'list' })).toMatchObject({ revision: r + 1 });
      loads.push(units.n - before);
      snapshots.add(stored(writer.kvs).named[0]!);
    }
    // The log was folded (more than one snapshot) and no load read more than 8 units.
    expect(snapshots.size).toBeGreaterThan(1);
    expect(Math.max(...loads)).toBeLessThanOrEqual(8);
  }, 60_000);
});

type Backend = ReturnType<typeof createBackend>;

/** The stored head: the entity, its parsed data, and the bytes it takes as sent. */
function headOf(kvs: Backend['kvs']) {
  const [key, head] = Object.entries(kvs.dump()['entity:bgstore-doc'] ?? {})[0]! as [string, { revision: number; data: string }];
  return { key, head, data: JSON.parse(head.data) as Record<string, unknown> & { l?: string[]; f?: string[] }, bytes: Buffer.byteLength(JSON.stringify(head)) };
}

const toggle = (call: Backend['call'], tab: string, revision: number, index: number) => call(F.commit, { store: 'list', baseRevision: revision, intents: [intent(tab, revision + 1, 'toggle', index)] });
const doneOf = (state: ListState) => state.items.flatMap((item, i) => (item.done ? [i] : []));

describe('#17.2 reads from the head and one batch', () => {
  it('has an instance behind another instance’s commits read only the head, and a page behind read only the head for its changes', async () => {
    const a = createBackend([list]);
    const b = resolverCall([list], {});
    await a.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('tab', 1, 'fill', 10_000)] });
    // A first commit makes the document's id; the next answer tells it.
    const second = (await toggle(a.call, 'a', 1, 10)) as { revision: number; doc: string };
    expect(second.revision).toBe(2);
    for (let r = 2; r < 6; r++) expect(await toggle(b, 'b', r, r * 100)).toMatchObject({ revision: r + 1 });
    a.meter.reset();
    a.kvs.resetStats();
    expect(await toggle(a.call, 'a', 6, 20)).toMatchObject({ revision: 7 });
    // Instance A missed four commits: the head's tail holds them.
    expect(a.meter.counts).toEqual({ readRequests: 1, readUnits: 1 });
    expect(Object.keys(a.kvs.stats().byPath).sort()).toEqual(['/api/v1/entity/get', '/api/v1/transaction']);
    // A page at revision 2 asks for what it lacks: the head alone answers it.
    a.meter.reset();
    const changes = (await a.call(F.load, { store: 'list', since: 2, doc: second.doc })) as { revision: number; patches: unknown[] };
    expect(changes).toMatchObject({ revision: 7, since: 2 });
    expect(changes.patches).toHaveLength(5);
    expect(a.meter.counts).toEqual({ readRequests: 1, readUnits: 1 });
    const cold = resolverCall([list], { warmDocuments: 0 });
    const loaded = (await cold(F.load, { store: 'list' })) as { state: ListState };
    expect(doneOf(loaded.state)).toEqual([10, 20, 200, 300, 400, 500]);
  });

  it('keeps the head in one read unit and each lone commit in one write unit, and loads cold in two requests, all through a log cycle', async () => {
    const writer = createBackend([list]);
    const reader = resolverCall([list], { warmDocuments: 0 });
    await writer.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('tab', 1, 'fill', 10_000)] });
    const snapshots = new Set<unknown>();
    let withTail = 0;
    for (let r = 1; r <= 80; r++) {
      writer.kvs.resetStats();
      expect(await toggle(writer.call, 'tab', r, (r * 7919) % 10_000)).toMatchObject({ revision: r + 1 });
      const { data, bytes } = headOf(writer.kvs);
      snapshots.add(data.m);
      if (data.b !== r + 1) {
        // A log commit: the entry and the head, one write unit; the head within one read unit.
        expect(writer.kvs.stats().writeUnits).toBe(1);
        withTail += data.l?.length ? 1 : 0;
      }
      expect(bytes).toBeLessThanOrEqual(10_240);
      writer.meter.reset();
      expect(await reader(F.load, { store: 'list' })).toMatchObject({ revision: r + 1 });
      // The head, then the manifest, pieces and older log entries in one batch.
      expect(writer.meter.counts.readRequests).toBe(2);
      expect(writer.meter.counts.readUnits).toBeLessThanOrEqual(5);
    }
    expect(snapshots.size).toBeGreaterThan(1);
    expect(withTail).toBeGreaterThan(60);
  }, 60_000);

  it('reads documents the previous release wrote (heads without the tail and piece names, values in base64), and the next commit adds them', async () => {
    const { call, kvs, meter } = createBackend([list], { warmDocuments: 0 });
    await call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('tab', 1, 'fill', 10_000)] });
    for (let r = 1; r < 5; r++) await toggle(call, 'tab', r, r);
    // As the previous release wrote the head: no tail, no piece names.
    const { key, head, data } = headOf(kvs);
    expect(data.l).toHaveLength(4);
    expect(data.f!.length).toBeGreaterThan(5);
    const { l: _l, f: _f, ...older } = data;
    const forge = (await import('@forge/kvs')).kvs;
    await forge.entity('bgstore-doc').set(key, { ...head, data: JSON.stringify(older) });
    // …and compressed values as base64, as it stored them.
    for (const [name, value] of Object.entries(stored(kvs).values)) {
      if (value.startsWith('\u0001z')) await forge.set(`${key}:${name}`, `\u0001b${decode91(value.slice(2)).toString('base64')}`);
    }
    expect(Object.values(stored(kvs).values).filter((v) => v.startsWith('\u0001b')).length).toBeGreaterThan(5);
    meter.reset();
    const loaded = (await call(F.load, { store: 'list' })) as { revision: number; state: ListState };
    expect(loaded.revision).toBe(5);
    expect(doneOf(loaded.state)).toEqual([1, 2, 3, 4]);
    // The head, the manifest with the log, then the pieces.
    expect(meter.counts.readRequests).toBe(3);
    expect(await toggle(call, 'tab', 5, 5)).toMatchObject({ revision: 6 });
    expect(headOf(kvs).data.l).toHaveLength(1);
    const again = (await call(F.load, { store: 'list' })) as { state: ListState };
    expect(doneOf(again.state)).toEqual([1, 2, 3, 4, 5]);
  });

  it('reads a log entry too large for the head’s tail from its key, and the tail takes the next ones', async () => {
    const writer = createBackend([list]);
    const reader = resolverCall([list], { warmDocuments: 0 });
    await writer.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('tab', 1, 'fill', 10_000)] });
    await toggle(writer.call, 'tab', 1, 1);
    // A title of 9,000 seeded random letters: an entry of about 9 KB that hardly compresses, more than the head keeps.
    const seed = 17;
    let x = seed;
    const title = Array.from({ length: 9000 }, () => String.fromCharCode(97 + ((x = (x * 1103515245 + 12345) >>> 0) >>> 27))).join('');
    expect(await writer.call(F.commit, { store: 'list', baseRevision: 2, intents: [intent('tab', 3, 'rename', { i: 7, title })] })).toMatchObject({ revision: 3 });
    expect({ seed, head: headOf(writer.kvs).data }).toMatchObject({ seed, head: { b: 1, l: [] } });
    await toggle(writer.call, 'tab', 3, 2);
    expect(headOf(writer.kvs).data.l).toHaveLength(1);
    writer.meter.reset();
    const loaded = (await reader(F.load, { store: 'list' })) as { revision: number; state: ListState };
    expect(loaded.revision).toBe(4);
    expect(loaded.state.items[7]!.title).toBe(title);
    expect(doneOf(loaded.state)).toEqual([1, 2]);
    expect(writer.meter.counts.readRequests).toBe(2);
  });

  it('refuses a damaged entry in the head’s tail as a damaged document', async () => {
    const { call, kvs } = createBackend([list], { warmDocuments: 0 });
    await call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('tab', 1, 'fill', 100)] });
    await toggle(call, 'tab', 1, 1);
    const { key, head, data } = headOf(kvs);
    const forge = (await import('@forge/kvs')).kvs;
    await forge.entity('bgstore-doc').set(key, { ...head, data: JSON.stringify({ ...data, l: [data.l![0]!.replace("'r':2", "'r':9")] }) });
    expect(await call(F.load, { store: 'list' })).toMatchObject({ error: { code: 'STORAGE_FAILED', message: expect.stringMatching(/damaged/) } });
  });
});
