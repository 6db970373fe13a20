import { defineStore } from '@bgstore/core';
import { jsonBytes, RESOLVER_FUNCTIONS as F } from '@bgstore/protocol';
import { createBackend, intent } from '../test/harness';
import { channelOf } from './realtime';
import { documentKey } from './scope';

// #17.2 what a page's reads cost on the bench's 10,000-item board (588 KB), metered as Forge bills
// KVS reads (each request's answer in 10 KB units): a whole load, against the changes since a
// revision, cold (every call on a fresh function instance) and warm. Counts, not time: they are
// the same on every machine, so the targets are asserted; the table is printed for the report.

const ITEMS = 10_000;
const bench = defineStore({
  name: 'bench',
  initialState: { items: Array.from({ length: ITEMS }, (_, i) => ({ id: `item-${i}`, title: `Item number ${i}`, done: false })), meta: { title: 'Bench board' } },
  actions: {
    toggle: (draft, i: number) => {
      const item = draft.items[i];
      if (item) item.done = !item.done;
    },
  },
});

const rows: string[] = [];
afterAll(() => console.log(`#17.2 read units per operation, ${ITEMS}-item board\n${rows.join('\n')}`));

async function board(warmDocuments: number, commits: number) {
  // Every commit publishes (an interval of 0), so each publish is one commit's change.
  const backend = createBackend([bench], { warmDocuments, maxPayload: 5_000_000, realtime: { publishEveryMs: 0 } });
  for (let k = 1; k <= commits; k++) await backend.call(F.commit, { store: 'bench', baseRevision: k - 1, intents: [intent('writer', k, 'toggle', (k * 7919) % ITEMS)] });
  return backend;
}

async function units(backend: Awaited<ReturnType<typeof board>>, payload: Record<string, unknown>) {
  backend.meter.reset();
  const answer = await backend.call(F.load, { store: 'bench', ...payload });
  return { ...backend.meter.counts, bytes: jsonBytes(answer) };
}

describe('#17.2 budget: reload only what changed (10,000 items)', () => {
  it.each([
    ['cold', 0],
    ['warm', 4],
  ])('%s: a check that finds nothing costs 1 read unit, a page up to 25 behind at most 2, further behind at most a whole load (≤ 8 cold)', async (name, warm) => {
    const backend = await board(warm, 101);
    const { doc } = (await backend.call(F.load, { store: 'bench' })) as { doc: string };
    const whole = await units(backend, {});
    const unchanged = await units(backend, { since: 101, doc });
    const behind: (readonly [number, Awaited<ReturnType<typeof units>>])[] = [];
    for (const k of [1, 5, 25, 100]) behind.push([k, await units(backend, { since: 101 - k, doc })]);
    rows.push(`${name}: whole load ${whole.readUnits} units (${whole.bytes} bytes); unchanged ${unchanged.readUnits}; ${behind.map(([k, u]) => `${k} behind ${u.readUnits} units (${u.bytes} bytes)`).join(', ')}`);
    expect(unchanged).toMatchObject({ readRequests: 1, readUnits: 1 });
    // Past a fold of the log (compressed snapshots fold it sooner) the answer is the whole document.
    for (const [k, u] of behind) expect(u.readUnits).toBeLessThanOrEqual(k <= 25 ? 2 : whole.readUnits + 1);
    // A cold whole load of the compressed 588 KB board: the issue's target is ≤ 8 units (was 60–89).
    if (!warm) expect(whole.readUnits).toBeLessThanOrEqual(8);
  }, 120_000);

  it('a commit on a base 10 behind answers patches of a few hundred bytes, not the 588 KB state', async () => {
    const backend = await board(4, 12);
    const { doc } = (await backend.call(F.load, { store: 'bench' })) as { doc: string };
    const answer = (await backend.call(F.commit, { store: 'bench', baseRevision: 2, intents: [intent('late', 1, 'toggle', 5)], patches: true, doc })) as { patches: unknown[] };
    const old = await backend.call(F.commit, { store: 'bench', baseRevision: 2, intents: [intent('late', 2, 'toggle', 6)] });
    rows.push(`commit 10 behind: answer ${jsonBytes(answer)} bytes with patches, ${jsonBytes(old)} bytes with the state`);
    expect(answer.patches).toHaveLength(11);
    expect(jsonBytes(answer)).toBeLessThan(2_000);
    expect(jsonBytes(old)).toBeGreaterThan(500_000);
  }, 120_000);

  it('each commit publishes one Realtime message of its change (a few hundred bytes)', async () => {
    const backend = await board(4, 0);
    const got: unknown[] = [];
    backend.hub.subscribe('installation-1|global', channelOf(documentKey('bench', 'site', { installContext: 'ari:cloud:confluence::site/cloud-1' })), (p) => got.push(p));
    for (let k = 1; k <= 3; k++) await backend.call(F.commit, { store: 'bench', baseRevision: k - 1, intents: [intent('writer', k, 'toggle', k)] });
    await new Promise((r) => setImmediate(r));
    rows.push(`realtime: ${backend.realtime.stats().published} publishes for 3 commits, ${jsonBytes(got[0])} bytes each`);
    expect(backend.realtime.stats().published).toBe(3);
    expect(jsonBytes(got[0])).toBeLessThan(300);
  }, 120_000);
});
