import { defineStore } from '@bgstore/core';
import { RESOLVER_FUNCTIONS as F, type RealtimeChange } from '@bgstore/protocol';
import { describeBackends } from '../test/backends';
import { createBackend, intent, stateAfter } from '../test/harness';
import { channelOf } from './realtime';
import { documentKey } from './scope';

// #17 coalesced Realtime publishes, through the real @forge/resolver, @forge/kvs and
// @forge/realtime on the emulator: at most one publish per document per interval, shared by every
// function instance through the head; each publish carries every change since the last one.

const board = defineStore({
  name: 'board',
  initialState: { items: Array.from({ length: 300 }, (_, i) => ({ id: `item-${i}`, title: `Item number ${i}`, done: false })) },
  actions: {
    toggle: (draft, i: number) => {
      const item = draft.items[i];
      if (item) item.done = !item.done;
    },
  },
});
const SITE_KEY = documentKey('board', 'site', { installContext: 'ari:cloud:confluence::site/cloud-1' });
const settle = () => new Promise((r) => setImmediate(r));

type Call = (functionKey: string, payload: unknown, caller?: { accountId?: string | null }) => Promise<Record<string, unknown>>;

/** The time the resolver stamps commits with: `set(at)` is `at` ms into the test. */
function testClock() {
  let time = 1_000_000;
  return { now: () => time, setTime: (at: number) => void (time = 1_000_000 + at) };
}

/**
 * Watches one installation's document: every publish on its channel (`subscribe`), and the state of
 * every revision. `commitAt` commits a toggle at `at` ms (on `on`, another function instance, if given).
 */
function observe(call: Call, subscribe: (channel: string, onEvent: (payload: unknown) => void) => unknown, clock: ReturnType<typeof testClock>) {
  const got: RealtimeChange[] = [];
  subscribe(channelOf(SITE_KEY), (payload) => got.push(payload as RealtimeChange));
  const states: unknown[] = [];
  const load = async () => (await call(F.load, { store: 'board' })) as { revision: number; state: unknown };
  const commitAt = async (at: number, on = call) => {
    clock.setTime(at);
    const revision = (await load()).revision;
    if (states.length === 0) states.push((await load()).state);
    await on(F.commit, { store: 'board', baseRevision: revision, intents: [intent('tab', revision + 1, 'toggle', (revision * 37) % 300)] });
    states[revision + 1] = (await load()).state;
    await settle();
  };
  return { got, states, commitAt, ...clock };
}

function world() {
  const clock = testClock();
  const backend = createBackend([board], { now: clock.now });
  return { backend, ...observe(backend.call, (channel, onEvent) => backend.hub.subscribe('installation-1|global', channel, onEvent), clock) };
}

/** What a page at revision `known` makes of `change`: the change from there on, through its marks. */
function applyFrom(state: unknown, known: number, change: RealtimeChange) {
  if (known === change.base) return stateAfter(state, change);
  const mark = change.marks?.find(([r]) => r === known);
  return mark ? stateAfter(state, { patches: change.patches!.slice(mark[1]) }) : undefined;
}

describe('#17 coalesced Realtime publishes', () => {
  // (Bursts and the interval across instances: the tests below, on every backend.)
  it('#17 a writer’s ask publishes what followed the revision it heard, once; a reader may not ask', async () => {
    const w = world();
    for (const at of [0, 50, 100]) await w.commitAt(at);
    expect(w.got).toHaveLength(1);
    w.setTime(1500);
    expect(await w.backend.call(F.revision, { store: 'board', publish: 3, heard: 1 })).toEqual({ revision: 3 });
    await settle();
    expect(w.got.map((c) => [c.base, c.revision])).toEqual([
      [0, 1],
      [1, 3],
    ]);
    expect(applyFrom(w.states[2], 2, w.got[1]!)).toEqual(w.states[3]);
    // Asked again (another writer, or a forged ask): nothing newer, nothing published.
    await w.backend.call(F.revision, { store: 'board', publish: 3, heard: 1 });
    await w.backend.call(F.revision, { store: 'board', publish: 2, heard: 0 });
    // An ask for a revision storage does not have publishes nothing either.
    await w.backend.call(F.revision, { store: 'board', publish: 9, heard: 2 });
    await settle();
    expect(w.got).toHaveLength(2);
    // Anonymous callers may read but not write (the default policy): they may not ask.
    expect(await w.backend.call(F.revision, { store: 'board', publish: 3, heard: 1 }, { accountId: null })).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
  });
});

// The same guarantee on every backend (#19): Forge SQL keeps the last publish on its log rows (and a
// snapshot's), and answers the changes since a revision from what a read kept, as KVS does from its head.
describeBackends('#17 coalesced Realtime publishes', (backend) => {
  async function installed() {
    const clock = testClock();
    const inst = await backend.create([board], { now: clock.now });
    return { inst, ...observe(inst.call, (channel, onEvent) => inst.realtime.subscribe('installation-1|global', channel, onEvent), clock) };
  }

  it('#17 #19 a burst publishes once an interval, on every function instance, and the next publish carries every change since, with marks', async () => {
    const w = await installed();
    const other = w.inst.again([board], { now: w.now }).call;
    for (const [at, call] of [[0], [50], [100, other], [200]] as const) await w.commitAt(at, call);
    expect(w.got.map((c) => [c.base, c.revision])).toEqual([[0, 1]]);
    await w.commitAt(300, other);
    expect(w.got.map((c) => [c.base, c.revision])).toEqual([
      [0, 1],
      [1, 5],
    ]);
    const change = w.got[1]!;
    expect(change.marks?.map(([r]) => r)).toEqual([2, 3, 4]);
    for (let known = 1; known <= 4; known++) expect(applyFrom(w.states[known], known, change)).toEqual(w.states[5]);
  });

  it('#19 a writer’s ask publishes what followed the revision it heard, from a function instance that never read the document', async () => {
    const w = await installed();
    for (const at of [0, 50, 100]) await w.commitAt(at);
    expect(w.got).toHaveLength(1);
    w.setTime(1500);
    const cold = w.inst.again([board], { now: w.now }).call;
    expect(await cold(F.revision, { store: 'board', publish: 3, heard: 1 })).toEqual({ revision: 3 });
    await settle();
    expect(w.got.map((c) => [c.base, c.revision])).toEqual([
      [0, 1],
      [1, 3],
    ]);
    expect(applyFrom(w.states[2], 2, w.got[1]!)).toEqual(w.states[3]);
  });
});
