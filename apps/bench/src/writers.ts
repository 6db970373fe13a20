// Many writers under the quotas (#17): N pages (startHost over invoke persistence, as the budget's
// pages) each save one action a second on one site-scoped store through the real resolver, on one
// installation whose quota meter refuses what goes over (429s, as Forge answers). Everything runs on
// the emulator's manual clock: every KVS call takes 20–60 ms, every invoke 30–50 ms each way,
// Realtime delivers in 40–80 ms, all drawn from one seed. Measured per N: save latency, what was
// saved (and nothing doubled, counted in the final stored state), and what the installation drew
// from each quota, second by second and minute by minute.
import './noBridge';
import Resolver from '@forge/resolver';
import { defineStore } from '@bgstore/core';
import { createKvsFaults, createKvsFetch, createManualClock, createQuotaMeter, createRandom, createRealtimeBackend, createRealtimeHub, meterForgeFetch, realtimeScope, type ForgeQuotas, type QuotaMeter, type QuotaName } from '@bgstore/emulator';
import { startHost, type RealtimeApi } from '@bgstore/forge';
import { DOC_ENTITY_DECLARATION, registerStores } from '@bgstore/resolver';

/** What N writing pages drew and got. */
export interface WritersFigures {
  pages: number;
  batching: boolean;
  seconds: number;
  offered: number;
  /** Actions stored by the end (the run plus up to 30 s), over those offered. */
  saved: number;
  /** Actions applied more than once in the final stored state, and actions reported saved yet absent from it (both must be 0). */
  doubled: number;
  lost: number;
  /** From the action to its promise settling stored, ms; an action never stored counts as the whole wait. */
  p50: number;
  p99: number;
  /** Commit invocations (each one batch of one page), and their mean actions. */
  commits: number;
  actionsPerCommit: number;
  kvsRequestsPeakPerSecond: number;
  readUnitsPerMinute: number;
  writeUnitsPerMinute: number;
  invocationsPeakPerSecond: number;
  invocationsPerMinute: number;
  realtimeOpsPeakPerSecond: number;
  /** Realtime publishes a second, over the run. */
  publishesPerSecond: number;
  /** Over the run: KVS requests and units by path and status (where the units go; 400 transactions are lost races). */
  kvsByPath: Record<string, { requests: number; units: number }>;
  /** Requests refused (429), by the quota that refused them. */
  throttled: Partial<Record<QuotaName, number>>;
  /** Each quota's use over its limit (peaks for per-second quotas), and the one nearest or over it. */
  use: Record<'kvsRequests' | 'readUnits' | 'writeUnits' | 'invocationsPerSecond' | 'invocationsPerMinute' | 'realtimeOps', number>;
  binds: string;
  /** Every quota under its limit, nothing refused, p99 ≤ 3 s, everything saved, nothing doubled. */
  fits: boolean;
}

const writersStore = defineStore({
  name: 'writers',
  initialState: { counts: {} as Record<string, number> },
  actions: {
    add: (draft, page: string) => {
      draft.counts[page] = (draft.counts[page] ?? 0) + 1;
    },
  },
});

const WRITE_PATHS = /set|delete|transaction/;
const noTransport = { emit: () => undefined, on: () => () => undefined };
type Totals = ReturnType<QuotaMeter['snapshot']>['totals'];

/** The installation: one enforcing meter around the resolver's KVS, invocations and Realtime. */
function createInstallation(seed: number, coalesce: boolean, limits?: Partial<ForgeQuotas>) {
  const manual = createManualClock();
  // Whole milliseconds, as a real clock keeps: jittered waits (the resolver's, the hosts') are
  // rounded up, so the emulated time never turns fractional.
  const clock = { ...manual, now: () => manual.now(), setTimeout: (fn: () => void, ms: number) => manual.setTimeout(fn, Math.ceil(ms)), clearTimeout: (h: Parameters<typeof manual.clearTimeout>[0]) => manual.clearTimeout(h) };
  const random = createRandom(seed);
  const meter = createQuotaMeter({ clock, enforce: true, ...(limits ? { limits } : {}) });
  const kvs = createKvsFetch({ clock, entities: [DOC_ENTITY_DECLARATION as never], faults: createKvsFaults({ seed, latencyMs: [20, 60] }) });
  const hub = createRealtimeHub({ quota: meter });
  const installation = 'writers-installation';
  const backend = createRealtimeBackend({ hub, installation, clock, admitSign: () => meter.realtime('sign').ok });
  const globals = globalThis as { __forge_fetch__?: unknown; __forge_runtime__?: unknown };
  // KVS requests by path and what they answered (for where the units go).
  const paths: Record<string, { requests: number; units: number }> = {};
  const byPath = (async (context: unknown, path: string, init?: { body?: string }) => {
    const response = await kvs(context as never, path, init as never);
    const text = await response.clone().text();
    const p = (paths[`${path} ${response.status}`] ??= { requests: 0, units: 0 });
    p.requests++;
    p.units += Math.max(1, Math.ceil(Buffer.byteLength(WRITE_PATHS.test(path) ? (init?.body ?? '') : text) / 10_240));
    return response;
  }) as unknown as typeof kvs;
  globals.__forge_fetch__ = backend.route(meterForgeFetch(byPath, meter));
  globals.__forge_runtime__ = { appContext: { installationId: installation, appId: 'ari:cloud:ecosystem::app/bench', environmentId: 'bench' }, realtime: { contextToken: 'bench' } };
  const global = realtimeScope({ installation, moduleKey: '', context: {}, isGlobal: true });
  const resolver = new Resolver();
  registerStores(resolver, [writersStore], { warmDocuments: 8, ...(coalesce ? {} : { realtime: { publishEveryMs: 0 } }), clock: { now: () => clock.now(), setTimeout: (fn, ms) => clock.setTimeout(fn, ms), clearTimeout: (h) => clock.clearTimeout(h as never) } });
  const handler = resolver.getDefinitions() as unknown as (e: unknown, r: unknown) => Promise<unknown>;
  const after = (ms: number) => new Promise<void>((resolve) => void clock.setTimeout(resolve, ms));
  const counts = { commits: 0, actions: 0 };
  /** A page's invoke: 30–50 ms to reach the function, 30–50 ms back; refused (429) past an invocation quota. */
  const invokeAs = (accountId: string) => async (functionKey: string, payload: Record<string, unknown>) => {
    await after(30 + Math.floor(random.next() * 21));
    const decision = meter.invocation(accountId);
    if (!decision.ok) throw Object.assign(new Error(`429 RATE_LIMIT_EXCEEDED: the ${decision.quota} quota is spent`), { status: 429, code: 'RATE_LIMIT_EXCEEDED', resetsAt: decision.resetsAt });
    const answer = JSON.parse(JSON.stringify(await handler({ call: { functionKey, payload: JSON.parse(JSON.stringify(payload)) }, context: {} }, { installContext: 'bench', principal: { accountId } }))) as { error?: unknown; outcomes?: { ok: boolean; duplicate?: boolean }[] };
    // A commit that stored something, and the actions it stored (not those already stored).
    const fresh = answer.outcomes?.filter((o) => o.ok && !o.duplicate).length ?? 0;
    if (functionKey === 'bgstore.commit' && !answer.error && fresh > 0) {
      counts.commits++;
      counts.actions += fresh;
    }
    await after(30 + Math.floor(random.next() * 21));
    return answer;
  };
  /** Realtime as a page sees it: a subscribe is one of the installation's operations; deliveries take 40–80 ms. */
  const realtime: RealtimeApi = {
    subscribeGlobal: (channel, callback) => hub.subscribe(global, channel, (payload) => void clock.setTimeout(() => callback(payload), 40 + Math.floor(random.next() * 41))),
  };
  /** The stored counts, as a load reads them (outside the quotas: the bench's own look). */
  const stored = async () => {
    meter.setEnforcing(false);
    const loaded = (await handler({ call: { functionKey: 'bgstore.load', payload: { store: 'writers' } }, context: {} }, { installContext: 'bench', principal: { accountId: 'bench' } })) as { state: { counts: Record<string, number> } };
    return loaded.state.counts;
  };
  return { clock, meter, invokeAs, realtime, counts, stored, paths, publishes: () => hub.stats().published };
}

/** Per-second deltas of the meter's totals, sampled by {@link sampler}. */
function sampler(meter: QuotaMeter) {
  let last = meter.snapshot().totals;
  const peaks = { kvsRequests: 0, invocations: 0, realtimeOps: 0 };
  return {
    tick() {
      const now = meter.snapshot().totals;
      for (const k of Object.keys(peaks) as (keyof typeof peaks)[]) peaks[k] = Math.max(peaks[k], now[k] - last[k]);
      last = now;
    },
    peaks,
  };
}

const pct = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

/** Options of {@link writers}. */
export interface WritersOptions {
  seed?: number;
  /** false: every commit as soon as the last answered, every commit published (bgstore before #17's batching). @default true */
  batching?: boolean;
  /** Overrides of Forge's quotas. */
  limits?: Partial<ForgeQuotas>;
}

/** N pages writing one action a second each for `seconds` emulated seconds, on a fresh installation. */
export async function writers(pages: number, seconds: number, options: WritersOptions = {}): Promise<WritersFigures> {
  const { seed = 1, batching = true } = options;
  const world = createInstallation(seed, batching, options.limits);
  const { clock, meter } = world;
  const random = createRandom(seed + 1);
  // Hosts warn of each 429 they wait out; the bench counts 429s at the meter instead.
  const logger = { warn: () => undefined };
  const hosts: ReturnType<typeof startHost<{ counts: Record<string, number> }, (typeof writersStore)['actions']>>[] = [];
  // Pages open a few at a time (each load subscribes: Realtime allows 50 operations a second).
  for (let p = 0; p < pages; p++) {
    hosts.push(startHost(writersStore, { transport: noTransport, invoke: world.invokeAs(`user-${p}`), realtime: world.realtime, clock, random: () => random.next(), caller: { accountId: `user-${p}` }, logger, ...(batching ? {} : { maxCommitGapMs: 0 }) }));
    if (p % 10 === 9) await clock.advanceAsync(500);
  }
  await clock.advanceAsync(5000);
  meter.resetTotals();
  for (const k of Object.keys(world.paths)) delete world.paths[k];
  world.counts.commits = world.counts.actions = 0;
  const publishedBefore = world.publishes();
  const rate = sampler(meter);
  const latencies: number[] = [];
  const issued = new Array<number>(pages).fill(0);
  const savedBy = new Array<number>(pages).fill(0);
  let pending = 0;
  const start = clock.now();
  // Each page acts once a second at its own offset within the second.
  const offsets = hosts.map(() => Math.floor(random.next() * 1000));
  for (let s = 0; s < seconds; s++) {
    for (let p = 0; p < pages; p++) {
      clock.setTimeout(() => {
        const at = clock.now();
        issued[p]!++;
        pending++;
        void hosts[p]!.actions.add(`p${p}`).then(
          () => {
            latencies.push(clock.now() - at);
            savedBy[p]!++;
          },
          () => undefined,
        ).finally(() => pending--);
      }, s * 1000 + offsets[p]! - (clock.now() - start));
    }
    await clock.advanceAsync(1000);
    rate.tick();
  }
  const busy = clock.now() - start;
  const totals: Totals = meter.snapshot().totals;
  const kvsByPath = structuredClone(world.paths);
  const publishes = world.publishes() - publishedBefore;
  const commits = world.counts.commits;
  const actions = world.counts.actions;
  for (let waited = 0; pending > 0 && waited < 30_000; waited += 1000) {
    await clock.advanceAsync(1000);
    rate.tick();
  }
  const waitedAll = clock.now() - start;
  hosts.forEach((h) => h.close());
  const reading = world.stored();
  let read = false;
  void reading.finally(() => void (read = true));
  while (!read) await clock.advanceAsync(50);
  const final = await reading;
  hosts.forEach((h) => h.close());
  const offered = issued.reduce((a, b) => a + b, 0);
  let doubled = 0;
  let lost = 0;
  issued.forEach((n, p) => {
    const got = final[`p${p}`] ?? 0;
    doubled += Math.max(0, got - n);
    lost += Math.max(0, savedBy[p]! - got);
  });
  const sorted = [...latencies, ...Array.from({ length: offered - latencies.length }, () => waitedAll)].sort((a, b) => a - b);
  const perMinute = (n: number) => (n * 60_000) / busy;
  const use = {
    kvsRequests: rate.peaks.kvsRequests / meter.limits.kvsRequestsPerSecond,
    readUnits: perMinute(totals.kvsReadUnits) / meter.limits.kvsReadUnitsPerMinute,
    writeUnits: perMinute(totals.kvsWriteUnits) / meter.limits.kvsWriteUnitsPerMinute,
    invocationsPerSecond: rate.peaks.invocations / meter.limits.invocationsPerSecond,
    invocationsPerMinute: perMinute(totals.invocations) / meter.limits.invocationsPerMinute,
    realtimeOps: rate.peaks.realtimeOps / meter.limits.realtimeOpsPerSecond,
  };
  const throttled = meter.snapshot().throttled;
  const binds = (Object.keys(use) as (keyof typeof use)[]).reduce((a, b) => (use[b] > use[a] ? b : a));
  const p99 = pct(sorted, 0.99);
  return {
    pages,
    batching,
    seconds,
    offered,
    saved: latencies.length / offered,
    doubled,
    lost,
    p50: pct(sorted, 0.5),
    p99,
    commits,
    actionsPerCommit: actions / Math.max(1, commits),
    kvsRequestsPeakPerSecond: rate.peaks.kvsRequests,
    readUnitsPerMinute: perMinute(totals.kvsReadUnits),
    writeUnitsPerMinute: perMinute(totals.kvsWriteUnits),
    invocationsPeakPerSecond: rate.peaks.invocations,
    invocationsPerMinute: perMinute(totals.invocations),
    realtimeOpsPeakPerSecond: rate.peaks.realtimeOps,
    publishesPerSecond: (publishes * 1000) / busy,
    kvsByPath,
    throttled,
    use,
    binds,
    fits: Object.values(use).every((u) => u <= 1) && Object.keys(throttled).length === 0 && p99 <= 3000 && latencies.length === offered && doubled === 0 && lost === 0,
  };
}

/** One line per N, for the bench's output. */
export function printWriters(rows: WritersFigures[]) {
  console.log('\nmany writers under the quotas (#17; N pages, 1 action/s each, enforced quotas, emulated time):');
  for (const r of rows) {
    const use = Object.entries(r.use).map(([k, v]) => `${k} ${Math.round(v * 100)}%`).join(', ');
    const throttled = Object.entries(r.throttled).map(([k, v]) => `${k} ${v}`).join(', ') || 'none';
    console.log(
      `  N=${r.pages}${r.batching ? '' : ' (no batching)'}: saved ${(r.saved * 100).toFixed(1)}%, doubled ${r.doubled}, lost ${r.lost}, p50 ${Math.round(r.p50)} ms, p99 ${Math.round(r.p99)} ms; ${r.commits} commits (${r.actionsPerCommit.toFixed(2)} actions each); ` +
        `KVS ${r.kvsRequestsPeakPerSecond} req/s peak, ${Math.round(r.readUnitsPerMinute)} read / ${Math.round(r.writeUnitsPerMinute)} write units/min; invocations ${r.invocationsPeakPerSecond}/s peak, ${Math.round(r.invocationsPerMinute)}/min; ` +
        `Realtime ${r.realtimeOpsPeakPerSecond} ops/s peak (${r.publishesPerSecond.toFixed(1)} publishes/s); 429s: ${throttled}; use: ${use}; binds: ${r.binds}; ${r.fits ? 'fits' : 'does not fit'}`,
    );
    const paths = Object.entries(r.kvsByPath).sort((a, b) => b[1].units - a[1].units).slice(0, 6);
    console.log(`    KVS units by request: ${paths.map(([k, v]) => `${k} ${v.units}`).join(', ')}`);
  }
}
