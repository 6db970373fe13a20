// The quota budget: what each operation of bgstore draws from an installation's Forge quotas, on
// the bench's regular board and on a less regular one (random ids and titles, seeded), measured by
// the emulator's quota meter around the real resolver and @bgstore/forge's startHost.
import { defineStore } from '@bgstore/core';
import { createBudgetWorld, COST_KEYS, ZERO, type BoardDef, type BudgetWorld, type Cost, type PageConfig } from './budgetWorld';
import { brotliCompressSync, constants } from 'node:zlib';
import { COMPACT_ABOVE, irregularEntropyBytes, irregularState, randomFields } from './irregularBoard';
import { compactStore } from './storage';
import { benchStore } from './systems';

/** A board whose ids and titles are random (seeded): it compresses and diffs less well than `item-N`. */
export function irregularStore(items: number, seed = 1): BoardDef {
  return defineStore({
    name: 'bench',
    initialState: irregularState(items, seed),
    actions: {
      toggle: (draft, i: number) => {
        const item = draft.items[i];
        if (item) item.done = !item.done;
      },
    },
  }) as BoardDef;
}

/** The two boards budgeted side by side. */
export const budgetBoards = (items: number): { board: 'bench' | 'irregular'; def: BoardDef }[] => [
  { board: 'bench', def: (items > COMPACT_ABOVE ? compactStore(items) : benchStore(items)) as BoardDef },
  { board: 'irregular', def: irregularStore(items) },
];

/** The two page configurations: startHost's defaults (changes over Realtime, a 5-minute safety net) and the example app's until this round (a check every 15 s, Realtime, 3 s fallback). */
export const CONFIGS: Record<'defaults' | 'example', PageConfig> = { defaults: {}, example: { revisionCheckMs: 15_000, realtimeHint: true } };
export type ConfigName = keyof typeof CONFIGS;
type Where = 'warm' | 'cold';

/** What one board costs, per operation and per page-minute. */
export interface BoardBudget {
  items: number;
  board: 'bench' | 'irregular';
  /** Lone actions in one log cycle (from one fold to the next; capped). */
  cycleActions: number;
  coldLoad: Cost;
  coldLoadMax: Cost;
  warmLoad: Cost;
  revisionCheck: Record<Where, Cost>;
  /** Warm: amortised over a whole log cycle, its fold included; cold: the mean of commits sampled over the cycle (the host sends its base when asked, #17). */
  loneAction: Record<Where, Cost>;
  /** A cold lone action whose caller offers no base (it reads the state), sampled beside `loneAction.cold`. */
  loneColdRead: Cost;
  /** Per minute: an open page on a quiet board, and on a busy one (another page commits every 5 s). */
  idleQuiet: Record<ConfigName, Record<Where, Cost>>;
  idleBusy: Record<ConfigName, Record<Where, Cost>>;
  /** Per minute: a page saving one action a second (bgstore's defaults). */
  writing: Record<Where, Cost>;
  /** Wall-clock ms of a commit that folds the log into a new snapshot (mean of those measured; a cold instance's includes its read). */
  foldMs: number;
  /** Bytes the snapshot's values take stored (manifest and pieces, compressed), at the end. */
  snapshotBytes: number;
  /** The irregular board only: how far its cold load is from what any encoding could reach. */
  floor?: EntropyFloor;
}

/** The irregular board's floor: the entropy of its random fields, and what a cold load would read at it. */
export interface EntropyFloor {
  /** The Shannon entropy of the board's random draws, in bytes (irregularEntropyBytes). */
  entropyBytes: number;
  /** Brotli (quality 11, 16 MB window) of the random fields alone, without JSON: an achievable bound. */
  fieldsBrotliBytes: number;
  /** A cold load at the entropy: the head and the board as JSON text at 93 one-byte characters (log2 93 bits a byte). */
  coldLoadUnits: number;
}

/** The densest a JSON string holds bytes: 93 printable ASCII characters a JSON string does not escape. */
const JSON_TEXT_BITS = Math.log2(93);

/** The irregular board's entropy floor at `items` items (its state as `def` starts it). */
function entropyFloor(items: number, def: BoardDef): EntropyFloor {
  const entropyBytes = irregularEntropyBytes(items);
  const fields = Buffer.from(randomFields(def.initialState as ReturnType<typeof irregularState>));
  const params = { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 24, [constants.BROTLI_PARAM_SIZE_HINT]: fields.length };
  const fieldsBrotliBytes = brotliCompressSync(fields, { params }).length;
  return { entropyBytes, fieldsBrotliBytes, coldLoadUnits: 1 + Math.ceil((entropyBytes * 8) / JSON_TEXT_BITS / 10_240) };
}

const sum = (a: Cost, b: Cost): Cost => Object.fromEntries(COST_KEYS.map((k) => [k, a[k] + b[k]])) as unknown as Cost;
const scale = (a: Cost, f: number): Cost => Object.fromEntries(COST_KEYS.map((k) => [k, a[k] * f])) as unknown as Cost;
const max = (a: Cost, b: Cost): Cost => Object.fromEntries(COST_KEYS.map((k) => [k, Math.max(a[k], b[k])])) as unknown as Cost;
const mean = (xs: Cost[]) => scale(xs.reduce(sum, ZERO), 1 / Math.max(1, xs.length));
const spread = (k: number, items: number) => (k * 7919) % items;

async function pageCost(world: BudgetWorld, where: Where, config: PageConfig, run: (page: Awaited<ReturnType<BudgetWorld['openPage']>>) => Promise<void>): Promise<Cost> {
  const page = await world.openPage(where, config);
  try {
    await world.clock.advanceAsync(5000); // the check a host makes soon after loading is not the operation's
    page.take();
    await run(page);
    return page.take();
  } finally {
    page.close();
  }
}

/** One page open for a minute, with (busy) another page saving an action every 5 s. */
async function idleMinute(world: BudgetWorld, where: Where, config: PageConfig, busy: boolean, items: number): Promise<Cost> {
  const writer = busy ? await world.openPage('warm', config, 'writer') : undefined;
  try {
    return await pageCost(world, where, config, async () => {
      for (let s = 0; s < 60; s += 5) {
        if (writer) void writer.toggle(spread(s, items));
        await world.clock.advanceAsync(5000);
      }
    });
  } finally {
    writer?.close();
  }
}

/** A page opened on the instance: what its load used. */
async function loadCost(world: BudgetWorld, where: Where): Promise<Cost> {
  const page = await world.openPage(where);
  page.close();
  return page.take();
}

/** 100 emulated ms, then a real millisecond (for work emulated time does not wait for, as a CompressionStream's). */
async function realStep(world: BudgetWorld) {
  await world.clock.advanceAsync(100);
  await new Promise((resolve) => setTimeout(resolve, 1));
}

/** Measures one board: loads and lone actions sampled over whole log cycles, then simulated minutes. */
export async function budgetBoard(items: number, board: 'bench' | 'irregular', def: BoardDef, samples: number, maxCycle: number): Promise<BoardBudget> {
  const world = await createBudgetWorld(def);
  // Walk one cycle to learn its length; then sample whole cycles evenly (enough of them that half
  // the actions stay warm), so the warm mean carries its share of the folds.
  const first = world.snapshotId();
  let cycleActions = 0;
  while (world.snapshotId() === first && cycleActions < maxCycle) await world.commitAside(spread(++cycleActions, items));
  const total = cycleActions * Math.max(1, Math.ceil((2 * samples) / cycleActions));
  const step = Math.max(2, Math.floor(total / samples));
  const cold: Cost[] = [];
  const warm: Cost[] = [];
  const coldActions: Cost[] = [];
  const coldReads: Cost[] = [];
  const warmActions: Cost[] = [];
  const folds: number[] = [];
  for (let i = 0; i < total; i++) {
    const sampled = i % step === 0;
    if (sampled) {
      cold.push(await loadCost(world, 'cold'));
      warm.push(await loadCost(world, 'warm'));
    }
    // The sampled action commits on a cold instance (every other sample offering no base); every other on the warm one.
    const snapshot = world.snapshotId();
    const started = performance.now();
    const where = !sampled ? 'warm' : (i / step) % 2 === 0 ? 'cold' : 'cold-read';
    (where === 'warm' ? warmActions : where === 'cold' ? coldActions : coldReads).push(await world.commitAside(spread(i + 1, items), where));
    if (world.snapshotId() !== snapshot) folds.push(performance.now() - started);
  }
  const check = async (where: Where) => pageCost(world, where, {}, async (page) => {
    page.host.checkRevision();
    await world.clock.advanceAsync(1000);
  });
  const minute = async (fn: (config: PageConfig, where: Where) => Promise<Cost>) => {
    const out = {} as Record<ConfigName, Record<Where, Cost>>;
    for (const name of Object.keys(CONFIGS) as ConfigName[]) out[name] = { warm: await fn(CONFIGS[name], 'warm'), cold: await fn(CONFIGS[name], 'cold') };
    return out;
  };
  const writing = async (where: Where) =>
    pageCost(world, where, {}, async (page) => {
      for (let s = 0; s < 60; s++) {
        void page.toggle(spread(s, items));
        // A base the host sends (#17) is deflated by a CompressionStream, on zlib's thread pool,
        // which emulated time does not wait for: each emulated 100 ms gives it a real millisecond.
        for (let step = 0; step < 10; step++) await realStep(world);
      }
      // Its last commits settle within the minute's cost: one left in flight would land, after the
      // page closed, in the next board's storage (the resolver reaches KVS through a global).
      for (let n = 0; n < 600 && (page.host.stats().durable?.unsaved ?? 0) > 0; n++) await realStep(world);
    });
  return {
    items,
    board,
    cycleActions,
    coldLoad: mean(cold),
    coldLoadMax: cold.reduce(max, ZERO),
    warmLoad: mean(warm),
    revisionCheck: { warm: await check('warm'), cold: await check('cold') },
    loneAction: { warm: mean(warmActions), cold: mean(coldActions) },
    loneColdRead: mean(coldReads),
    idleQuiet: await minute((config, where) => idleMinute(world, where, config, false, items)),
    idleBusy: await minute((config, where) => idleMinute(world, where, config, true, items)),
    writing: { warm: await writing('warm'), cold: await writing('cold') },
    foldMs: folds.length ? folds.reduce((a, b) => a + b, 0) / folds.length : NaN,
    snapshotBytes: world.snapshotBytes(),
    ...(board === 'irregular' ? { floor: entropyFloor(items, def) } : {}),
  };
}
