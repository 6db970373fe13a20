// npm run bench [-- --quick]: bgstore against the floor (hand-written minimal patches) and naive
// full-state sync, side by side in one run on the emulator's JSON-copying bus. Writes a table to
// stdout and bench-results.json (quick mode: bench-results.quick.json) at the repository root.
// `--budget` runs only the quota budget, `--policy` only the server policy cost (#21); `--no-sql` leaves
// the Forge SQL scenarios out.
import './noBridge';
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { createBgstore, createFloor, createNaive, drain, makeState, type System } from './systems';
import { contention } from './contention';
import { printWriters, writers, type WritersFigures } from './writers';
import { bgstoreStorage, compactStore, floorStorage, loneCycle, mixedStored, naiveStorage, type LoneFigures } from './storage';
import { latencyScenarios, printLatency } from './recovery';
import { replicaApplyUs } from './apply';
import { hostActionScenario, printHostAction } from './hostAction';
import { bigStoreScenarios, printBigRows } from './bigstores';
import { budgetBoard, budgetBoards, CONFIGS, type BoardBudget, type ConfigName } from './budget';
import { budgetRows, dailyUsers, printBudget, type ScenarioRow } from './budgetReport';
import { sqlScenarios } from './sqlScenarios';
import { policyCostScenarios } from './policyCost';
import { measureBundles, printBundles } from '../../../scripts/bundle-size.js';
import { assertDigestProbe } from './digestProbe';
import { assertDigestChecksOn, digestLoads } from './replicas';

const quick = process.argv.includes('--quick');
/** `--budget`: only the quota budget (written to bench-results.budget.json), to re-run it alone. */
const budgetOnly = process.argv.includes('--budget');
/** `--sql`: only the Forge SQL scenarios (printed, nothing written), to compare SQL changes in one run. */
const sqlOnly = process.argv.includes('--sql');
/** `--writers`: only the many-writers run under the quotas (written to bench-results.writers.json). */
const writersOnly = process.argv.includes('--writers');
/** `--policy`: only the policy cost (#21), its rows replaced in bench-results.json (the rest kept). */
const policyOnly = process.argv.includes('--policy');
/** `--no-sql`: the rest of the bench without the Forge SQL scenarios (no MariaDB server started). */
const noSql = process.argv.includes('--no-sql');
const BUDGET_ITEMS = quick ? [100, 1000] : [100, 1000, 10_000, 100_000];
const ITEMS = quick ? [100, 10_000] : [100, 10_000, 100_000];
const REPLICAS = quick ? [1, 5] : [1, 5, 10];
const BURSTS = quick ? [1000] : [1000, 10_000];
const HEAP_ITEMS = quick ? 10_000 : 100_000;
const samples = (items: number) => (quick ? 30 : items >= 100_000 ? 40 : 200);

type Row = { scenario: string; metric: string; unit: string; bgstore: number; floor: number | null; naive: number | null };
const results: Row[] = [];
const makers = { bgstore: createBgstore, floor: createFloor, naive: createNaive } as const;
type Name = keyof typeof makers;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? 0;
};
const round = (x: number, d = 3) => Number(x.toFixed(d));
const gc = () => (globalThis as { gc?: () => void }).gc?.();

/** A row; `floor` and `naive` are null where they do not apply (they have no resolver). */
function add(scenario: string, metric: string, unit: string, values: { bgstore: number; floor: number | null; naive: number | null }) {
  const r = (x: number | null) => (x === null ? null : round(x));
  results.push({ scenario, metric, unit, bgstore: round(values.bgstore), floor: r(values.floor), naive: r(values.naive) });
}

/** Sequential changes from one replica: bytes on the bus, latency to every replica, unrelated re-renders. */
async function syncScenario(items: number, replicas: number) {
  const scenario = `items=${items} replicas=${replicas}`;
  const out = { bytes: {} as Record<Name, number>, p50: {} as Record<Name, number>, p99: {} as Record<Name, number>, rerenders: {} as Record<Name, number>, joinMs: {} as Record<Name, number>, joinMsgs: {} as Record<Name, number> };
  for (const name of Object.keys(makers) as Name[]) {
    const system: System = await makers[name](items, replicas);
    const k = samples(items);
    let rerenders = 0;
    const unsub = system.stores()[0]!.subscribe((s, p) => void (s.meta !== p.meta && rerenders++));
    for (let i = 0; i < 5; i++) await system.change(i); // warm-up
    rerenders = 0;
    const bytes0 = system.bus.stats().bytes;
    const times: number[] = [];
    for (let i = 0; i < k; i++) {
      const t0 = performance.now();
      await system.change((i * 7919) % items);
      times.push(performance.now() - t0);
    }
    out.bytes[name] = (system.bus.stats().bytes - bytes0) / k;
    out.p50[name] = pct(times, 50);
    out.p99[name] = pct(times, 99);
    out.rerenders[name] = rerenders;
    unsub();
    const join = await system.join();
    out.joinMs[name] = join.ms;
    out.joinMsgs[name] = join.messages;
    system.close();
    await drain();
  }
  add(scenario, 'bytes_per_intent', 'bytes', out.bytes);
  add(scenario, 'e2e_ms_p50', 'ms', out.p50);
  add(scenario, 'e2e_ms_p99', 'ms', out.p99);
  add(scenario, 'unrelated_rerenders', `count per ${samples(items)} changes`, out.rerenders);
  add(scenario, 'late_join_ms', 'ms', out.joinMs);
  add(scenario, 'late_join_messages', 'messages', out.joinMsgs);
}

/**
 * Host CPU per change, with no replica listening (what the background script itself spends). The
 * systems take turns over several rounds and each keeps its median, so JIT warm-up and a noisy
 * neighbour do not fall on whichever runs first.
 */
async function hostScenario(items: number) {
  const k = quick ? 100 : items >= 100_000 ? 100 : 1000;
  const rounds: Record<Name, number[]> = { bgstore: [], floor: [], naive: [] };
  for (let round = 0; round < (quick ? 1 : 5); round++) {
    for (const name of Object.keys(makers) as Name[]) {
      const system = await makers[name](items, 0);
      const host = name === 'bgstore' ? (system as Awaited<ReturnType<typeof createBgstore>>).host : undefined;
      // Floor and naive changes resolve once every replica applied; with none listening their
      // work (apply, serialise, emit) is synchronous, so they are timed without awaiting.
      const change = async (i: number) => {
        if (host) await host.actions.toggle(i);
        else void system.change(i);
      };
      for (let i = 0; i < 10; i++) await change(i);
      const t0 = performance.now();
      for (let i = 0; i < k; i++) await change((i * 31) % items);
      rounds[name].push(((performance.now() - t0) * 1000) / k);
      system.close();
    }
  }
  add(`items=${items}`, 'host_us_per_intent', 'µs', { bgstore: pct(rounds.bgstore, 50), floor: pct(rounds.floor, 50), naive: pct(rounds.naive, 50) });
}

async function storageScenario(items: number, burst: number) {
  const b = await bgstoreStorage(items, burst);
  const f = floorStorage(items, burst);
  const n = naiveStorage(items, burst);
  const per = (x: number) => (x * 1000) / burst;
  const scenario = `items=${items} burst=${burst}`;
  add(scenario, 'kvs_writes_per_1000', 'writes', { bgstore: per(b.writes), floor: per(f.writes), naive: per(n.writes) });
  add(scenario, 'kvs_bytes_per_1000', 'bytes', { bgstore: per(b.bytes), floor: per(f.bytes), naive: per(n.bytes) });
  add(scenario, 'invokes_per_1000', 'calls', { bgstore: per(b.invokes), floor: per(f.invokes), naive: per(n.invokes) });
}

/**
 * Actions saved one at a time, each its own commit, over one whole cycle of the log (from one fold
 * into a snapshot to the next, the fold included): what a lone click costs in storage, amortised.
 * The floor writes the changed item; naive writes the state.
 */
async function loneStorageScenario(items: number, compact: boolean): Promise<LoneFigures> {
  const b = await loneCycle(items, compact);
  const state = compact ? compactStore(items).initialState : makeState(items);
  const item = JSON.stringify(state.items[0]).length;
  const size = JSON.stringify(state).length;
  const scenario = `items=${items}${compact ? ' (short items)' : ''} alone`;
  add(scenario, 'kvs_bytes_per_lone_action', 'bytes', { bgstore: b.bytesPerAction, floor: item, naive: size });
  add(scenario, 'kvs_writes_per_lone_action', 'writes', { bgstore: b.writesPerAction, floor: 1, naive: Math.ceil(size / (240 * 1024)) });
  add(scenario, 'kvs_bytes_read_per_commit', 'bytes (warm)', { bgstore: b.readPerAction, floor: 0, naive: 0 });
  add(scenario, 'kvs_bytes_read_per_cold_commit', 'bytes', { bgstore: b.readPerColdCommit, floor: 0, naive: 0 });
  add(scenario, 'resolver_ms_per_commit', 'ms (warm)', { bgstore: b.commitMs, floor: null, naive: null });
  add(scenario, 'resolver_ms_per_cold_commit', 'ms', { bgstore: b.coldCommitMs, floor: null, naive: null });
  add(scenario, 'log_cycle_actions', 'actions', { bgstore: b.actions, floor: null, naive: null });
  // A page load on a cold instance, the largest over the cycle (just before the fold, when the log is longest).
  add(`items=${items}${compact ? ' (short items)' : ''}`, 'kvs_bytes_read_per_load', 'bytes', { bgstore: b.loadBytes, floor: b.documentBytes, naive: b.documentBytes });
  add(`items=${items}${compact ? ' (short items)' : ''}`, 'kvs_bytes_read_per_revision_check', 'bytes', { bgstore: b.revisionBytes, floor: 8, naive: b.documentBytes });
  return b;
}

/** Stored bytes after many mixed actions (toggles, renames, adds, removes; 10 per commit) against the document. */
async function mixedScenario(items: number, actions: number) {
  const { stored, mean, max, document } = await mixedStored(items, actions);
  const scenario = `items=${items} mixed=${actions}`;
  add(scenario, 'kvs_stored_bytes', 'bytes', { bgstore: stored, floor: document, naive: document });
  // Over the last tenth of the run, after each commit: a fold's replaced pieces wait one commit.
  add(scenario, 'kvs_stored_bytes_mean', 'bytes', { bgstore: mean, floor: document, naive: document });
  add(scenario, 'kvs_stored_bytes_max', 'bytes', { bgstore: max, floor: document, naive: document });
}

/** N pages on one store, one action a second each, KVS calls 40±20 ms and invokes 80±20 ms. */
async function contentionScenario(pages: number, seconds: number) {
  const c = await contention(pages, seconds);
  const scenario = `contention pages=${pages}`;
  const only = (bgstore: number) => ({ bgstore, floor: null, naive: null });
  add(scenario, 'save_ms_p50', 'ms', only(c.p50));
  add(scenario, 'save_ms_p99', 'ms', only(c.p99));
  add(scenario, 'saved_in_time_ratio', 'of offered', only(c.savedInTime));
  add(scenario, 'failed_commits', `of ${c.commits}`, only(c.failedCommits));
  add(scenario, 'kvs_calls_per_action', 'calls', only(c.kvsCallsPerAction));
}

/**
 * What storage costs at Forge's list prices (KVS writes $1.090/GB, reads $0.055/GB; function
 * duration $0.000025/GB-s), per million actions (each saved alone) and per million page views (a
 * load and a revision check a minute for ten minutes), from the 10,000-item figures above. Floor
 * and naive pay only their KVS traffic (no reads to commit: they overwrite blind).
 */
function costScenario(b: LoneFigures, items: number) {
  const state = makeState(items);
  const item = JSON.stringify(state.items[0]).length;
  const size = JSON.stringify(state).length;
  const usd = (writeBytes: number, readBytes: number) => ((writeBytes * 1.09 + readBytes * 0.055) / 1e9) * 1e6;
  const scenario = `items=${items} cost`;
  add(scenario, 'usd_kvs_per_million_actions', 'USD (warm)', { bgstore: usd(b.bytesPerAction, b.readPerAction), floor: usd(item, 0), naive: usd(size, 0) });
  // Every commit on a cold instance (each reads the whole document): the worst case.
  add(scenario, 'usd_kvs_per_million_actions_cold', 'USD', { bgstore: usd(b.bytesPerAction, b.readPerColdCommit), floor: usd(item, 0), naive: usd(size, 0) });
  // Measured resolver time (emulated KVS, no latency) at 256 MB.
  add(scenario, 'usd_compute_per_million_actions', 'USD', { bgstore: (b.commitMs / 1000) * 0.25 * 0.000025 * 1e6, floor: null, naive: null });
  add(scenario, 'usd_kvs_per_million_page_views', 'USD', { bgstore: usd(0, b.loadBytes + 10 * b.revisionBytes), floor: usd(0, b.documentBytes + 10 * 8), naive: usd(0, 11 * b.documentBytes) });
}

/** Heap per replica: two systems measured from a fresh baseline each, so the host's share cancels out. */
async function heapScenario(items: number, replicas = 5) {
  const mb = {} as Record<Name, number>;
  const footprint = async (name: Name, count: number) => {
    gc();
    const before = process.memoryUsage().heapUsed;
    const system = await makers[name](items, count);
    gc();
    const used = process.memoryUsage().heapUsed - before;
    system.close();
    await drain();
    return used;
  };
  for (const name of Object.keys(makers) as Name[]) {
    await footprint(name, 1 + replicas); // warm-up: first-use allocations are not the replicas'
    const one = await footprint(name, 1);
    const many = await footprint(name, 1 + replicas);
    mb[name] = (many - one) / replicas / 1024 / 1024;
  }
  add(`items=${items}`, 'replica_heap_mb', 'MB', mb);
}

/** The quota budget: both boards at every size, then the daily-users peak on the largest board up to 10,000 items. */
async function budgetSection(): Promise<{ budgets: BoardBudget[]; scenario: ScenarioRow[] }> {
  const budgets: BoardBudget[] = [];
  for (const items of BUDGET_ITEMS) {
    for (const { board, def } of budgetBoards(items)) budgets.push(await budgetBoard(items, board, def, quick ? 5 : 20, items >= 100_000 ? 1500 : 5000));
  }
  const at = Math.max(...BUDGET_ITEMS.filter((n) => n <= 10_000));
  const scenario = budgets
    .filter((b) => b.items === at)
    .flatMap((b) => (Object.keys(CONFIGS) as ConfigName[]).flatMap((config) => (['warm', 'cold', 'cold, no base'] as const).map((where) => dailyUsers(b, config, where))));
  for (const r of budgetRows(budgets, scenario)) add(r.scenario, r.metric, r.unit, { bgstore: r.value, floor: null, naive: null });
  return { budgets, scenario };
}

/** The server policy's cost per commit (#21): no policy, sync, async (a 50 ms product call on a real timer, asked once per request) and async asked per intent. */
async function policySection() {
  const rows = await policyCostScenarios(quick);
  for (const { kind, intents, figures: f } of rows) {
    const scenario = `policy=${kind} intents=${intents}`;
    const only = (bgstore: number) => ({ bgstore, floor: null, naive: null });
    add(scenario, 'commit_ms', 'ms (product call 50 ms)', only(f.msPerCommit));
    add(scenario, 'authorize_calls_per_commit', 'calls', only(f.authorizeCallsPerCommit));
    add(scenario, 'product_calls_per_caller_commit_max', 'calls', only(f.maxProductCallsPerCallerCommit));
  }
  return rows;
}

function printPolicy(rows: Awaited<ReturnType<typeof policySection>>) {
  console.log('\nserver policy per commit (#21; the async check is a 50 ms product call on a real timer):');
  for (const { kind, intents, figures: f } of rows) {
    console.log(`  ${kind.padEnd(17)} ${String(intents).padStart(2)} intents: ${f.msPerCommit.toFixed(1).padStart(6)} ms a commit, authorize ${f.authorizeCallsPerCommit}×, product calls ≤ ${f.maxProductCallsPerCallerCommit} per caller per commit`);
  }
}

/**
 * Many writers under the quotas (#17): N pages writing one action a second each, on emulated time,
 * with #17's batching (gap between commits, coalesced publishes) and without it, side by side.
 */
async function writersSection(): Promise<WritersFigures[]> {
  const rows: WritersFigures[] = [];
  const seconds = quick ? 20 : 60;
  for (const pages of quick ? [10, 50] : [10, 50, 100, 150]) {
    for (const batching of quick || pages > 50 ? [true] : [false, true]) {
      const r = await writers(pages, seconds, { batching, seed: Number(process.env.BGSTORE_SEED ?? 1) });
      rows.push(r);
      const scenario = `writers pages=${pages}${batching ? '' : ' unbatched'}`;
      const only = (bgstore: number) => ({ bgstore, floor: null, naive: null });
      add(scenario, 'save_ms_p50', 'ms', only(r.p50));
      add(scenario, 'save_ms_p99', 'ms', only(r.p99));
      add(scenario, 'saved_ratio', 'of offered', only(r.saved));
      add(scenario, 'doubled_or_lost', 'actions', only(r.doubled + r.lost));
      add(scenario, 'read_units_per_min', 'units', only(r.readUnitsPerMinute));
      add(scenario, 'write_units_per_min', 'units', only(r.writeUnitsPerMinute));
      add(scenario, 'kvs_requests_peak', 'per s', only(r.kvsRequestsPeakPerSecond));
      add(scenario, 'invocations_per_min', 'per min', only(r.invocationsPerMinute));
      add(scenario, 'realtime_ops_peak', 'per s', only(r.realtimeOpsPeakPerSecond));
      add(scenario, 'throttled', '429s', only(Object.values(r.throttled).reduce((a, b) => a + b, 0)));
    }
  }
  return rows;
}

async function main() {
  const started = Date.now();
  if (sqlOnly) {
    await sqlScenarios(add, quick);
    for (const r of results) console.log(`${r.scenario.padEnd(44)} ${r.metric.padEnd(36)} ${String(r.bgstore).padStart(12)}  ${r.unit}`);
    console.log(`\nForge SQL scenarios in ${Math.round((Date.now() - started) / 1000)} s (nothing written)`);
    return;
  }
  if (writersOnly) {
    const rows = await writersSection();
    const file = join(__dirname, '..', '..', '..', quick ? 'bench-results.writers.quick.json' : 'bench-results.writers.json');
    writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), writers: rows }, null, 2)}\n`);
    printWriters(rows);
    console.log(`\nwrote ${file} in ${Math.round((Date.now() - started) / 1000)} s`);
    return;
  }
  if (policyOnly && !quick) {
    const load = loadavg().map((x) => Number(x.toFixed(2)));
    const rows = await policySection();
    const file = join(__dirname, '..', '..', '..', 'bench-results.json');
    const saved = JSON.parse(readFileSync(file, 'utf8')) as { results: Row[]; policyCost?: unknown };
    saved.results = [...saved.results.filter((r) => !r.scenario.startsWith('policy=')), ...results];
    saved.policyCost = { date: new Date().toISOString(), loadavg: load, rows };
    writeFileSync(file, `${JSON.stringify(saved, null, 2)}\n`);
    printPolicy(rows);
    console.log(`\nupdated the policy rows of ${file} in ${Math.round((Date.now() - started) / 1000)} s (load average ${load.join(', ')})`);
    return;
  }
  if (budgetOnly) {
    const budget = await budgetSection();
    const file = join(__dirname, '..', '..', '..', quick ? 'bench-results.budget.quick.json' : 'bench-results.budget.json');
    writeFileSync(file, `${JSON.stringify({ date: new Date().toISOString(), results, budget }, null, 2)}\n`);
    printBudget(budget.budgets, budget.scenario);
    console.log(`\nwrote ${file} in ${Math.round((Date.now() - started) / 1000)} s`);
    return;
  }
  // Replicas without their digest code would measure what users never run: fail now, not after every section.
  await assertDigestProbe();
  for (const items of ITEMS) for (const replicas of REPLICAS) await syncScenario(items, replicas);
  for (const items of ITEMS) await hostScenario(items);
  for (const items of ITEMS) add(`items=${items}`, 'replica_apply_us', 'µs', await replicaApplyUs(items, quick ? 200 : 1000));
  for (const burst of BURSTS) for (const items of quick ? [100] : [100, 10_000]) await storageScenario(items, burst);
  const lone = await loneStorageScenario(10_000, false);
  if (!quick) await loneStorageScenario(100_000, true);
  costScenario(lone, 10_000);
  await mixedScenario(10_000, quick ? 1000 : 10_000);
  for (const pages of quick ? [1, 10] : [1, 10, 50, 200]) await contentionScenario(pages, quick ? 5 : 20);
  const writerRows = await writersSection();
  if (!noSql) await sqlScenarios(add, quick);
  await heapScenario(HEAP_ITEMS);
  const latency = await latencyScenarios(quick, Number(process.env.BGSTORE_SEED ?? 1));
  const budget = await budgetSection();
  const bigstores = await bigStoreScenarios(quick);
  const hostAction = await hostActionScenario(quick ? 8 : 20);
  const policyCost = { loadavg: loadavg().map((x) => Number(x.toFixed(2))), rows: await policySection() };
  // What a feed and a background script bundle of bgstore (#20: a feed ≤ 7 KB min+gzip), from the sources.
  const bundle = measureBundles(true);
  assertDigestChecksOn();

  const machine = { node: process.version, platform: `${process.platform} ${process.arch}`, cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, memory_gb: Math.round(totalmem() / 2 ** 30), date: new Date().toISOString(), mode: quick ? 'quick' : 'full', seconds: Math.round((Date.now() - started) / 1000) };
  const file = join(__dirname, '..', '..', '..', quick ? 'bench-results.quick.json' : 'bench-results.json');
  writeFileSync(file, `${JSON.stringify({ machine, results, latency, budget, bigstores, hostAction, policyCost, writers: writerRows, bundle }, null, 2)}\n`);

  const ratio = (a: number, b: number | null) => (b === null ? '—' : b === 0 ? (a === 0 ? '=' : '∞') : `${(a / b).toFixed(a / b < 0.01 ? 4 : 2)}×`);
  console.log(`bgstore bench (${machine.mode}) — ${machine.cpu}, ${machine.cores} cores, node ${machine.node}, ${machine.date}`);
  const table = [['scenario', 'metric', 'bgstore', 'floor', 'naive', 'bg/floor', 'bg/naive'], ...results.filter((r) => !r.scenario.startsWith('budget') && !r.scenario.startsWith('writers')).map((r) => [r.scenario, r.metric, String(r.bgstore), String(r.floor ?? '—'), String(r.naive ?? '—'), ratio(r.bgstore, r.floor), ratio(r.bgstore, r.naive)])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)) + 2);
  for (const row of table) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('').trimEnd());
  console.log('\nrecovery and cross-tab latency (bgstore through @bgstore/forge, modules in emulator realms):');
  printLatency(latency);
  printHostAction(hostAction);
  printWriters(writerRows);
  printPolicy(policyCost.rows);
  printBudget(budget.budgets, budget.scenario);
  console.log('\nbig stores (issue 22): late joins after a burst, and the collection shape beside the plain array:');
  printBigRows(bigstores);
  console.log('\nbundle sizes (#20), bgstore alone, production:');
  printBundles(bundle);
  console.log(`\nno replica failed to load its digest code (${digestLoads().replicas} replicas made)`);
  console.log(`wrote ${file} in ${machine.seconds} s`);
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);
