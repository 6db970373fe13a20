// The quota budget: what each operation of bgstore draws from an installation's Forge quotas, on
// the bench's regular board and on a less regular one (random ids and titles, seeded), measured by
// the emulator's quota meter around the real resolver and @bgstore/forge's startHost.
import { defineStore } from '@bgstore/core';
import { createBudgetWorld, COST_KEYS, ZERO, type BoardDef, type BudgetWorld, type Cost, type PageConfig } from './budgetWorld';
import { COMPACT_ABOVE, irregularState } from './irregularBoard';
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
  /** Warm: amortised over a whole log cycle, its fold included; cold: the mean of commits sampled over the cycle. */
  loneAction: Record<Where, Cost>;
  /** Per minute: an open page on a quiet board, and on a busy one (another page commits every 5 s). */
  idleQuiet: Record<ConfigName, Record<Where, Cost>>;
  idleBusy: Record<ConfigName, Record<Where, Cost>>;
  /** Per minute: a page saving one action a second (bgstore's defaults). */
  writing: Record<Where, Cost>;
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
  const warmActions: Cost[] = [];
  for (let i = 0; i < total; i++) {
    const sampled = i % step === 0;
    if (sampled) {
      cold.push(await loadCost(world, 'cold'));
      warm.push(await loadCost(world, 'warm'));
    }
    // The sampled action commits on a cold instance; every other on the warm one.
    (sampled ? coldActions : warmActions).push(await world.commitAside(spread(i + 1, items), sampled ? 'cold' : 'warm'));
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
        await world.clock.advanceAsync(1000);
      }
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
    idleQuiet: await minute((config, where) => idleMinute(world, where, config, false, items)),
    idleBusy: await minute((config, where) => idleMinute(world, where, config, true, items)),
    writing: { warm: await writing('warm'), cold: await writing('cold') },
  };
}
