// Recovery and cross-tab latency on the emulator, with the Forge adapter in module realms as an app
// runs it: `recover_ms` — a change made under constant event loss, until every feed shows it;
// `cross_tab_ms` — a change in one page (tab), until another page of the same site shows it.
import { join } from 'node:path';
import Resolver from '@forge/resolver';
import { DOC_ENTITY_DECLARATION, registerStores } from '@bgstore/resolver';
import { createKvsFetch, createManualClock, createPage, createRealClock, createSite, type Clock, type ModuleSpec, type Page } from '@bgstore/emulator';
import { createNodeRealm } from '@bgstore/emulator/node';
import type { StartHostOptions } from '@bgstore/forge';
import { notes } from '../modules/store';
import { countReplicas } from './replicas';

type State = { notes: string[] };
interface HostLike {
  epoch: string;
  version(): number;
  getState(): State;
}
interface ReplicaLike {
  getState(): State;
  actions: { add(id: string): Promise<void> };
  sync: { getState(): { epoch: string | null; version: number | null } };
  stats(): { digestLoadFailures: number };
}

const resolver = new Resolver();
registerStores(resolver, [notes]);
const handler = resolver.getDefinitions() as ModuleSpec['resolver'];
const modulePath = (name: string) => join(__dirname, '..', 'modules', `${name}.ts`);

/** One page: a background script and `feeds` feeds, in their own realms. */
function pageModules(feeds: number, hostOptions: StartHostOptions<State>): ModuleSpec[] {
  return [
    { key: 'background', type: 'confluence:backgroundScript', entry: modulePath('background'), resolver: handler, globals: { benchHostOptions: hostOptions } },
    ...Array.from({ length: feeds }, (_, k) => ({ key: `feed${k}`, type: 'confluence:homepageFeed', entry: modulePath('feed'), resolver: handler })),
  ];
}

const hostOf = (page: Page) => (page.module('background').exports as { host: HostLike }).host;
const feedsOf = (page: Page, feeds: number) => Array.from({ length: feeds }, (_, k) => (page.module(`feed${k}`).exports as { replica: ReplicaLike }).replica);

/** The p-th percentile (nearest rank). */
export const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] ?? 0;
};

/** Waits (advancing `step` ms at a time) until `done`; returns the time it took. */
async function timeUntil(clock: Clock & { advanceAsync?(ms: number): Promise<void> }, done: () => boolean, limitMs: number, step = 5): Promise<number> {
  const t0 = clock.now();
  while (!done()) {
    if (clock.now() - t0 > limitMs) throw new Error(`[bench] not done after ${limitMs} ms`);
    if (clock.advanceAsync) await clock.advanceAsync(step);
    else await new Promise((r) => setTimeout(r, 1));
  }
  return clock.now() - t0;
}

/**
 * `trials` changes, each from a feed in turn, while every event delivery is lost with probability
 * `loss`. `repair`: from the host applying the change until every feed's state has it (at the
 * host's version) — how fast lost patches are repaired; `click`: from the action call, so a lost
 * intent's retries count too. Virtual time (the emulator's manual clock): recovery is made of
 * timers (retries, heartbeat, backoff), and a seeded run replays exactly.
 */
export async function recoverScenario(options: { loss: number; feeds?: number; trials: number; seed?: number; hostOptions?: StartHostOptions<State> }): Promise<{ repair: number[]; click: number[] }> {
  const feeds = options.feeds ?? 3;
  const clock = createManualClock(1_000_000);
  const site = createSite({ clock, seed: options.seed ?? 1, forgeFetch: createKvsFetch({ clock, entities: [DOC_ENTITY_DECLARATION as never] }) });
  const restore = site.installForgeFetch();
  const page = createPage({ site, realm: createNodeRealm, modules: pageModules(feeds, options.hostOptions ?? {}), accountId: 'alice' });
  try {
    await page.start();
    await clock.advanceAsync(1000);
    const host = hostOf(page);
    const replicas = feedsOf(page, feeds);
    page.setEventFaults({ drop: options.loss });
    const repair: number[] = [];
    const click: number[] = [];
    for (let i = 0; i < options.trials; i++) {
      const id = `n${i}`;
      void replicas[i % feeds]!.actions.add(id).catch(() => undefined);
      const applied = await timeUntil(clock, () => host.getState().notes.includes(id), 120_000, 1);
      const everywhere = () => replicas.every((r) => r.sync.getState().epoch === host.epoch && r.sync.getState().version === host.version() && r.getState().notes.includes(id));
      const repaired = await timeUntil(clock, everywhere, 120_000);
      repair.push(repaired);
      click.push(applied + repaired);
      // Users do not click in lockstep with the heartbeat.
      await clock.advanceAsync(site.random.int(0, 3000));
    }
    countReplicas(replicas);
    return { repair, click };
  } finally {
    page.close();
    restore();
  }
}

/**
 * Two pages (tabs of two users) of one site, each a background script and a feed; `trials`
 * changes from page A's feed, each timed until page B's feed shows it. Real time: the resolver,
 * KVS and both hosts do their work in this process between the change and the sample.
 */
export async function crossTabScenario(options: { trials: number; realtimeHint: boolean; revisionCheckMs?: number }): Promise<number[]> {
  const clock = createRealClock();
  const site = createSite({ clock, forgeFetch: createKvsFetch({ entities: [DOC_ENTITY_DECLARATION as never] }) });
  const restore = site.installForgeFetch();
  const hostOptions: StartHostOptions<State> = { realtimeHint: options.realtimeHint, revisionCheckMs: options.revisionCheckMs ?? 3000 };
  const a = createPage({ site, realm: createNodeRealm, modules: pageModules(1, hostOptions), accountId: 'alice', id: 'tab-A' });
  const b = createPage({ site, realm: createNodeRealm, modules: pageModules(1, hostOptions), accountId: 'bob', id: 'tab-B' });
  try {
    await a.start();
    await b.start();
    const [feedA] = feedsOf(a, 1);
    const [feedB] = feedsOf(b, 1);
    await timeUntil(clock, () => feedA!.sync.getState().version !== null && feedB!.sync.getState().version !== null, 10_000);
    const samples: number[] = [];
    for (let i = 0; i < options.trials; i++) {
      const id = `x${i}`;
      const t0 = performance.now();
      void feedA!.actions.add(id).catch(() => undefined);
      await timeUntil(clock, () => feedB!.getState().notes.includes(id), 30_000);
      samples.push(performance.now() - t0);
      // Not in step with the other tab's periodic check.
      await new Promise((r) => setTimeout(r, 200 + Math.floor(Math.random() * 800)));
    }
    countReplicas([feedA!, feedB!]);
    return samples;
  } finally {
    a.close();
    b.close();
    restore();
  }
}

/** A latency figure of the bench: p50 and p99 over `samples` trials. */
export interface LatencyRow {
  scenario: string;
  metric: string;
  unit: 'ms';
  p50: number;
  p99: number;
  samples: number;
}

/**
 * The bench's recovery and cross-tab scenarios: `recover_ms` with 3 feeds at 10% and 50% loss
 * (virtual time, seeded), `cross_tab_ms` with the Realtime hint and with polling only (real time).
 */
export async function latencyScenarios(quick: boolean, seed = 1): Promise<LatencyRow[]> {
  const rows: LatencyRow[] = [];
  const add = (scenario: string, metric: string, samples: number[]) =>
    rows.push({ scenario, metric, unit: 'ms', p50: Math.round(percentile(samples, 50)), p99: Math.round(percentile(samples, 99)), samples: samples.length });
  for (const loss of [0.1, 0.5]) {
    const { repair, click } = await recoverScenario({ loss, trials: quick ? 40 : 300, seed });
    add(`feeds=3 loss=${loss * 100}% (virtual time)`, 'recover_ms', repair);
    add(`feeds=3 loss=${loss * 100}% (virtual time)`, 'click_to_all_ms', click);
  }
  add('2 pages, Realtime hint', 'cross_tab_ms', await crossTabScenario({ trials: quick ? 6 : 40, realtimeHint: true, revisionCheckMs: 15_000 }));
  if (!quick) add('2 pages, polling every 3 s', 'cross_tab_ms', await crossTabScenario({ trials: 20, realtimeHint: false, revisionCheckMs: 3000 }));
  return rows;
}

/** Prints latency rows as a table with columns as wide as their content. */
export function printLatency(rows: LatencyRow[]): void {
  const table = [['scenario', 'metric', 'p50', 'p99', 'samples'], ...rows.map((r) => [r.scenario, r.metric, String(r.p50), String(r.p99), String(r.samples)])];
  const widths = table[0]!.map((_, i) => Math.max(...table.map((row) => row[i]!.length)) + 2);
  for (const row of table) console.log(row.map((cell, i) => cell.padEnd(widths[i]!)).join('').trimEnd());
}
