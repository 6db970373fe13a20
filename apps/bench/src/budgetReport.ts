// What the measured costs mean against an installation's quotas: sustainable rates (naming the
// quota that binds) and the README's "10,000 daily users" peak minute, per quota.
import { COST_KEYS, type Cost } from './budgetWorld';
import { CONFIGS, type BoardBudget, type ConfigName, type EntropyFloor } from './budget';

/** Forge's quotas per installation, per minute (the per-second ones times 60, where they bind first). */
export const QUOTA_PER_MINUTE: Cost = { kvsRequests: 60_000, readUnits: 4000, writeUnits: 4000, invocations: 7000, realtimeOps: 3000 };
/** The per-second quotas: a peak minute spread evenly must also stay under these. */
export const QUOTA_PER_SECOND: Partial<Cost> = { kvsRequests: 1000, invocations: 300, realtimeOps: 50 };
const USER_INVOCATIONS_PER_MINUTE = 1200;

const LABEL: Record<keyof Cost, string> = { kvsRequests: 'KVS requests', readUnits: 'read units', writeUnits: 'write units', invocations: 'invocations', realtimeOps: 'Realtime ops' };

/** How many of `cost` an installation sustains a minute, and the quota that binds. */
export function sustainable(cost: Cost): { perMinute: number; binds: string } {
  let best = { perMinute: Infinity, binds: 'none' };
  for (const k of COST_KEYS) {
    if (cost[k] <= 0) continue;
    const n = QUOTA_PER_MINUTE[k] / cost[k];
    if (n < best.perMinute) best = { perMinute: n, binds: LABEL[k] };
  }
  return best;
}

/** The README's scenario: 10,000 users, 20 actions and 10 page views each a day, an 8-hour day, the peak minute twice the mean; a view stays open 10 minutes. */
export const DAILY = { users: 10_000, actions: 20, views: 10, dayMinutes: 8 * 60, peak: 2, openMinutes: 10 };

export interface ScenarioRow {
  items: number;
  board: string;
  config: ConfigName;
  /** `cold, no base`: every call cold and no commit sends its base (as before #17). */
  instances: 'warm' | 'cold' | 'cold, no base';
  /** Demand over quota per quota (the per-second ones when they bind harder); > 1 is over. */
  used: Record<keyof Cost, number>;
  /** One user's invocations in the peak minute over the per-user 1,200. */
  userUsed: number;
}

/** The peak minute of the daily-users scenario on one board, for a page configuration and warm or cold instances. */
export function dailyUsers(b: BoardBudget, config: ConfigName, instances: ScenarioRow['instances']): ScenarioRow {
  const perMinute = (n: number) => ((DAILY.users * n) / DAILY.dayMinutes) * DAILY.peak;
  const actions = perMinute(DAILY.actions);
  const views = perMinute(DAILY.views);
  const open = views * DAILY.openMinutes;
  // The board is busy at this rate (hundreds of actions a minute): every open page's check finds a change.
  const where = instances === 'warm' ? 'warm' : 'cold';
  const load = where === 'warm' ? b.warmLoad : b.coldLoad;
  const idle = b.idleBusy[config][where];
  const lone = instances === 'cold, no base' ? b.loneColdRead : b.loneAction[where];
  const used = {} as Record<keyof Cost, number>;
  for (const k of COST_KEYS) {
    const demand = actions * lone[k] + views * load[k] + open * idle[k];
    const perSecond = QUOTA_PER_SECOND[k];
    used[k] = Math.max(demand / QUOTA_PER_MINUTE[k], perSecond ? demand / 60 / perSecond : 0);
  }
  const perUser = (x: number) => x / DAILY.users;
  const userDemand = perUser(actions) * lone.invocations + perUser(views) * load.invocations + perUser(open) * idle.invocations;
  return { items: b.items, board: b.board, config, instances, used, userUsed: userDemand / USER_INVOCATIONS_PER_MINUTE };
}

export const verdict = (x: number) => (x <= 1 ? `fits (${(x * 100).toFixed(x < 0.01 ? 2 : 0)}% used)` : `${x.toFixed(x < 10 ? 1 : 0)}× over`);

const fmt = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(x < 10 ? 2 : 1));
/** A sustainable count, rounded down (to a tenth below 10: one cold writer can be 0.99 of the quota). */
export const howMany = (x: number) => (x >= 10 ? String(Math.floor(x)) : (Math.floor(x * 10) / 10).toFixed(1));
const costCells = (c: Cost) => COST_KEYS.map((k) => fmt(c[k]));

/** The operations of one board, one row each. */
export function operationRows(b: BoardBudget): [string, Cost][] {
  const rows: [string, Cost][] = [
    ['cold page load (mean)', b.coldLoad],
    ['cold page load (max over the log cycle)', b.coldLoadMax],
    ['warm page load', b.warmLoad],
    ['revision check (warm / cold same)', b.revisionCheck.cold],
    ['lone action, warm instance (fold amortised)', b.loneAction.warm],
    ['lone action, cold instance (the host sends its base)', b.loneAction.cold],
    ['lone action, cold instance, no base (reads the state)', b.loneColdRead],
  ];
  for (const name of Object.keys(CONFIGS) as ConfigName[]) {
    for (const where of ['warm', 'cold'] as const) {
      rows.push([`idle page/min, quiet, ${name}, ${where}`, b.idleQuiet[name][where]]);
      rows.push([`idle page/min, busy, ${name}, ${where}`, b.idleBusy[name][where]]);
    }
  }
  rows.push(['writing page/min (1 action/s), warm', b.writing.warm], ['writing page/min (1 action/s), cold', b.writing.cold]);
  return rows;
}

/** The sustainable figures of one board: what an installation carries a minute, and what binds. */
export function sustainableRows(b: BoardBudget): [string, { perMinute: number; binds: string }][] {
  return [
    ['page loads/min, cold', sustainable(b.coldLoad)],
    ['page loads/min, warm', sustainable(b.warmLoad)],
    ['idle open pages, quiet board, defaults', sustainable(b.idleQuiet.defaults.cold)],
    ['idle open pages, busy board, defaults, warm', sustainable(b.idleBusy.defaults.warm)],
    ['idle open pages, busy board, defaults, cold', sustainable(b.idleBusy.defaults.cold)],
    ['idle open pages, busy board, example, warm', sustainable(b.idleBusy.example.warm)],
    ['idle open pages, busy board, example, cold', sustainable(b.idleBusy.example.cold)],
    ['writing pages (1 action/s), warm', sustainable(b.writing.warm)],
    ['writing pages (1 action/s), cold', sustainable(b.writing.cold)],
    ['lone actions/min, warm', sustainable(b.loneAction.warm)],
    ['lone actions/min, cold', sustainable(b.loneAction.cold)],
  ];
}

function table(rows: string[][]) {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)) + 2);
  for (const row of rows) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('').trimEnd());
}

/** Prints the budget: operations and sustainable figures per size (boards side by side), then the scenario. */
export function printBudget(budgets: BoardBudget[], scenario: ScenarioRow[]) {
  console.log('\nquota budget per installation (emulator meter; units of 10 KB; boards: bench | irregular):');
  for (const items of [...new Set(budgets.map((b) => b.items))]) {
    const [a, b] = [budgets.find((x) => x.items === items && x.board === 'bench')!, budgets.find((x) => x.items === items && x.board === 'irregular')!];
    const ms = (x: number) => (Number.isFinite(x) ? `${Math.round(x)} ms` : '—');
    console.log(`\n${items.toLocaleString('en')} items (log cycle: ${a.cycleActions} | ${b.cycleActions} actions; a commit that folds: ${ms(a.foldMs)} | ${ms(b.foldMs)}; snapshot stored: ${kb(a.snapshotBytes)} | ${kb(b.snapshotBytes)})`);
    const ra = operationRows(a);
    const rb = operationRows(b);
    table([['operation', ...COST_KEYS.map((k) => LABEL[k])], ...ra.map(([name, c], i) => [name, ...costCells(c).map((x, j) => `${x} | ${costCells(rb[i]![1])[j]}`)])]);
    const sa = sustainableRows(a);
    const sb = sustainableRows(b);
    table([['sustainable per installation', 'bench', 'binds', 'irregular', 'binds'], ...sa.map(([name, s], i) => [name, howMany(s.perMinute), s.binds, howMany(sb[i]![1].perMinute), sb[i]![1].binds])]);
    if (b.floor) console.log(floorLine(b, b.floor));
  }
  if (scenario.length === 0) return;
  const items = scenario[0]!.items;
  console.log(`\n${DAILY.users.toLocaleString('en')} daily users at the peak minute (${items.toLocaleString('en')} items; ${DAILY.actions} actions and ${DAILY.views} views a user a day, ${DAILY.dayMinutes / 60}-hour day, peak ${DAILY.peak}× mean, a view open ${DAILY.openMinutes} min on a busy board; idle pages priced at a change every 5 s, so the Realtime-hint rows are a floor):`);
  table([['board', 'pages', 'instances', ...COST_KEYS.map((k) => LABEL[k]), 'per user'], ...scenario.map((r) => [r.board, r.config, r.instances, ...COST_KEYS.map((k) => verdict(r.used[k])), verdict(r.userUsed)])]);
}

const kb = (bytes: number) => `${Math.round(bytes / 1024)} KB`;

/** How far the irregular board's cold load is from its entropy floor. */
function floorLine(b: BoardBudget, f: EntropyFloor) {
  return (
    `irregular board's floor: its random fields carry ${kb(f.entropyBytes)} of entropy (brotli-11 of the fields alone, no JSON: ${kb(f.fieldsBrotliBytes)}); ` +
    `its snapshot is stored in ${kb(b.snapshotBytes)}; a cold load at the entropy, as JSON text, would read ${f.coldLoadUnits} units — measured ${fmt(b.coldLoad.readUnits)} (${(b.coldLoad.readUnits / f.coldLoadUnits).toFixed(2)}×)`
  );
}

/** Headline rows for bench-results.json's `results` (the whole budget is under its `budget` key). */
export function budgetRows(budgets: BoardBudget[], scenario: ScenarioRow[]): { scenario: string; metric: string; unit: string; value: number }[] {
  const rows: { scenario: string; metric: string; unit: string; value: number }[] = [];
  for (const b of budgets) {
    const scenarioName = `budget items=${b.items} board=${b.board}`;
    const row = (metric: string, unit: string, value: number) => rows.push({ scenario: scenarioName, metric, unit, value });
    row('cold_load_read_units', 'units (mean)', b.coldLoad.readUnits);
    row('cold_load_read_units_max', 'units', b.coldLoadMax.readUnits);
    row('lone_action_cold_read_units', 'units', b.loneAction.cold.readUnits);
    row('lone_action_cold_no_base_read_units', 'units', b.loneColdRead.readUnits);
    row('idle_busy_cold_read_units_per_min', 'units (defaults)', b.idleBusy.defaults.cold.readUnits);
    for (const [name, s] of sustainableRows(b)) row(`sustainable ${name}`, `per installation (${s.binds})`, Number(howMany(s.perMinute)));
    row('snapshot_stored_bytes', 'bytes', b.snapshotBytes);
    if (Number.isFinite(b.foldMs)) row('fold_commit_ms', 'ms (wall)', Math.round(b.foldMs));
    if (b.floor) row('cold_load_entropy_floor_read_units', 'units', b.floor.coldLoadUnits);
  }
  for (const r of scenario) {
    for (const k of COST_KEYS) rows.push({ scenario: `budget daily users board=${r.board} ${r.config} ${r.instances}`, metric: `${k}_quota_used`, unit: '× quota', value: r.used[k] });
  }
  return rows;
}
