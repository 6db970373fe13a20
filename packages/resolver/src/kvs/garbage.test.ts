import { defineStore } from '@bgstore/core';
import { RESOLVER_FUNCTIONS as F } from '@bgstore/protocol';
import { createKvsFetch, createManualClock } from '@bgstore/emulator';
import { DOC_ENTITY_DECLARATION } from '..';
import { createBackend, intent } from '../../test/harness';
import { GARBAGE_GRACE_MS } from './garbage';

// Garbage attacked (#18.3, #18.4): what a snapshot replaces outlives any load that may still read
// it (by time), and is deleted after, as fast as commits make it.
const list = defineStore({
  name: 'list',
  initialState: { items: [] as { id: number; title: string; done: boolean }[] },
  actions: {
    fill: (draft, n: number) => {
      for (let i = 0; i < n; i++) draft.items.push({ id: draft.items.length, title: `Item number ${draft.items.length}`, done: false });
    },
    retitle: (draft, suffix: string) => {
      for (const item of draft.items) item.title = `Item ${item.id} ${suffix}`;
    },
    toggle: (draft, i: number) => void (draft.items[i]!.done = !draft.items[i]!.done),
  },
});
type Backend = ReturnType<typeof createBackend>;
const jsonBytes = (v: unknown) => Buffer.byteLength(JSON.stringify(v), 'utf8');

function setup(options: Parameters<typeof createBackend>[1] = {}) {
  const clock = createManualClock(1_000_000);
  const kvs = createKvsFetch({ clock, entities: [DOC_ENTITY_DECLARATION as never] });
  const backend = createBackend([list], { kvs, now: () => clock.now(), maxPayload: 10_000_000, ...options });
  return { clock, kvs, call: backend.call };
}

/** Stored bytes of the document (head and every key under it), the head's, and those of garbage still in its grace. */
function measure(kvs: Backend['kvs'], now: number) {
  const dump = kvs.dump();
  const [key, head] = Object.entries(dump['entity:bgstore-doc'] ?? {})[0]! as [string, { data: string }];
  const kv = dump.kv ?? {};
  const data = JSON.parse(head.data) as { d?: [number, string[], [number, number][], number][] };
  const young = (data.d ?? []).filter(([at]) => at > now - GARBAGE_GRACE_MS);
  const youngKeys = young.flatMap(([, g, k]) => [...g.map((n) => `${key}:${n}`), ...k.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => `${key}:l${a + i}`))]);
  const keys = Object.keys(kv).filter((k) => k.startsWith(`${key}:`));
  return { stored: keys.reduce((n, k) => n + jsonBytes(kv[k]), jsonBytes(head)), head: jsonBytes(head), young: youngKeys.reduce((n, k) => n + (k in kv ? jsonBytes(kv[k]) : 0), 0) };
}

describe('garbage against loads and rewrites', () => {
  it('#18.3 a cold load that commits overtake in each read attempt (folds, and the commits after) still succeeds', async () => {
    const { clock, kvs, call } = setup({ minPiece: 256 });
    await call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('tab', 1, 'fill', 300)] });
    const cold = createBackend([list], { kvs, warmDocuments: 0, now: () => clock.now() });
    // Every read of pieces takes 40 ms; meanwhile whole rewrites (each a fold) land, one a second on the clock.
    kvs.setFaults(({ path }) => (path === '/api/v1/batch/get' ? { delayMs: 40 } : undefined));
    let done = false;
    const load = cold.call(F.load, { store: 'list' }).finally(() => (done = true));
    let revision = 1;
    while (!done && revision < 60) {
      const r = await call(F.commit, { store: 'list', baseRevision: revision, intents: [intent('tab', revision + 1, 'retitle', `r${revision}`)] });
      revision = (r as { revision: number }).revision;
      clock.advance(1000);
    }
    const loaded = (await load) as { revision?: number; error?: unknown };
    expect(loaded.error).toBeUndefined();
    expect(revision).toBeGreaterThan(2);
  }, 60_000);

  it.each([
    [1_200_000, 16, 2_000],
    [2_000_000, 12, 3_000],
  ])('#18.4 whole rewrites of a %i-byte document (%i of them, %i ms apart) leave storage ≤ 1.5× the document once garbage’s grace has passed, and the head small', async (bytes, rewrites, everyMs) => {
    const { clock, kvs, call } = setup();
    const items = Math.round(bytes / 55);
    await call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('tab', 1, 'fill', items)] });
    // Every rewrite keeps the document's size (titles of the same length, ± a character).
    const doc = jsonBytes(((await call(F.load, { store: 'list' })) as { state: unknown }).state);
    let peak = 0;
    for (let i = 1; i <= rewrites; i++) {
      clock.advance(everyMs);
      expect(await call(F.commit, { store: 'list', baseRevision: i, intents: [intent('tab', i + 1, 'retitle', `v${i}`)] })).toMatchObject({ revision: i + 1 });
      const m = measure(kvs, clock.now());
      peak = Math.max(peak, m.stored / doc);
      // Beyond what the last grace period's commits replaced, storage holds ≤ 1.5× the document.
      expect(m.stored - m.young).toBeLessThanOrEqual(1.5 * doc + items);
      expect(m.head).toBeLessThan(4_096);
    }
    clock.advance(GARBAGE_GRACE_MS + 1);
    await call(F.commit, { store: 'list', baseRevision: rewrites + 1, intents: [intent('tab', rewrites + 2, 'toggle', 0)] });
    const after = measure(kvs, clock.now());
    console.log(`#18.4 ${bytes} B × ${rewrites} rewrites ${everyMs} ms apart: peak ${peak.toFixed(2)}× the document, after grace ${(after.stored / doc).toFixed(2)}×, head ${after.head} B`);
    expect(after.stored).toBeLessThanOrEqual(1.5 * doc);
    expect(after.head).toBeLessThan(1_024);
  }, 120_000);

  it('#18.4 a commit that read the head before a garbage transaction rewrote it reads again: nothing it names was deleted', async () => {
    let t = 1_000_000;
    const { call, kvs } = createBackend([list], { minPiece: 16, now: () => t });
    await call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('w', 1, 'fill', 400)] });
    // Eight whole rewrites a second apart: eight generations of garbage, more than commits delete.
    for (let i = 0; i < 8; i++) {
      t += 1000;
      await call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('w', i + 2, 'retitle', `v${i}`)] });
    }
    t += 60_000;
    // A garbage transaction (a head rewrite and deletes, no pieces) waits 60 ms; the late commit's transaction 150 ms.
    const isGarbage = (body: unknown) => {
      const b = body as { set?: { entityName?: string }[]; delete?: unknown[] };
      return (b.set ?? []).length === 1 && b.set![0]!.entityName === 'bgstore-doc' && (b.delete ?? []).length > 0;
    };
    let garbageTransactions = 0;
    kvs.setFaults(({ path, body }) => {
      if (path !== '/api/v1/transaction') return undefined;
      if (isGarbage(body)) return garbageTransactions++, { delayMs: 60 };
      return JSON.stringify(body).includes('late') ? { delayMs: 150 } : undefined;
    });
    const revision = () => (Object.values(kvs.dump()['entity:bgstore-doc']!)[0] as { revision: number }).revision;
    const before = revision();
    const w = call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('w', 10, 'toggle', 0)] });
    for (let i = 0; i < 500 && revision() === before; i++) await new Promise((r) => setTimeout(r, 1));
    // Another instance reads the head now (the commit landed, its garbage transactions not yet) and
    // writes back an earlier title: pieces an earlier rewrite replaced, which those transactions delete.
    const late = createBackend([list], { kvs, warmDocuments: 0, now: () => t });
    const l = late.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('late', 1, 'retitle', 'v5')] }, { accountId: 'late' });
    expect(await w).toMatchObject({ outcomes: [{ ok: true }] });
    expect(await l).toMatchObject({ outcomes: [{ ok: true }] });
    kvs.setFaults(undefined);
    expect(garbageTransactions).toBeGreaterThan(0);
    const loaded = (await createBackend([list], { kvs, warmDocuments: 0 }).call(F.load, { store: 'list' })) as { state?: { items: { title: string; done: boolean }[] }; error?: unknown };
    expect(loaded.error).toBeUndefined();
    expect(loaded.state!.items[5]).toEqual({ id: 5, title: 'Item 5 v5', done: false });
    expect(loaded.state!.items[0]!.done).toBe(true);
  });
});
