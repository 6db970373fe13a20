// A metered installation for the budget: the real resolver over the emulator's KVS, pages running
// @bgstore/forge's startHost, and every KVS request, invocation and Realtime operation counted by a
// quota meter of the page that caused it (an AsyncLocalStorage follows each invoke into the
// resolver's KVS calls). Time is the emulator's manual clock, so a simulated minute is a minute.
import { AsyncLocalStorage } from 'node:async_hooks';
import Resolver from '@forge/resolver';
import type { StoreDefinition } from '@bgstore/core';
import { createKvsFetch, createManualClock, createQuotaMeter, createRealtimeBackend, createRealtimeHub, meterForgeFetch, realtimeScope, type ForgeFetch, type ManualClock, type QuotaMeter, type RealtimeHub } from '@bgstore/emulator';
import { runIntent } from '@bgstore/core/durable';
import { createInvokePersistence, startHost, type RealtimeApi } from '@bgstore/forge';
import { DOC_ENTITY_DECLARATION, registerStores } from '@bgstore/resolver';

/** What one operation (or one page over a minute) draws from the installation's quotas. */
export interface Cost {
  kvsRequests: number;
  readUnits: number;
  writeUnits: number;
  invocations: number;
  realtimeOps: number;
}

export const ZERO: Cost = { kvsRequests: 0, readUnits: 0, writeUnits: 0, invocations: 0, realtimeOps: 0 };
export const COST_KEYS = Object.keys(ZERO) as (keyof Cost)[];

/** How a page's host is configured: bgstore's defaults, or the example app's (15 s checks + the Realtime hint). */
export interface PageConfig {
  revisionCheckMs?: number;
  realtimeHint?: boolean;
}

/** A page: a background-script host whose every call is metered on its own meter. */
export interface BudgetPage {
  /** The page's host; its actions resolve once stored. */
  host: ReturnType<typeof startHost>;
  /** Runs the board's `toggle(index)` on the host; resolves once stored. */
  toggle(index: number): Promise<unknown>;
  /** What the page used since it opened or since the last {@link BudgetPage.take}. */
  take(): Cost;
  close(): void;
}

// Structural: the bench's boards differ in item shape, and each defines `toggle(index)`.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type BoardDef = StoreDefinition<any, { toggle: (draft: any, i: number) => void }>;

export interface BudgetWorld {
  clock: ManualClock;
  /** Opens a page whose invocations run on the warm instance or on a cold one (keeping nothing between calls). */
  openPage(instance: 'warm' | 'cold', config?: PageConfig, accountId?: string): Promise<BudgetPage>;
  /**
   * A lone commit of `toggle(index)` straight into the warm or a cold instance — what a host sends
   * for one action saved alone, through @bgstore/forge's persistence (on a cold instance it is asked
   * for its base and sends it, #17) — and what it used. `cold-read`: a cold instance, no base offered
   * (it reads the state, as before #17 and as any caller that has none).
   */
  commitAside(index: number, where?: 'warm' | 'cold' | 'cold-read'): Promise<Cost>;
  /** The stored head's snapshot id: it changes when a commit folds the log into a new snapshot. */
  snapshotId(): unknown;
  /** Bytes the current snapshot's values (its manifest and pieces) take stored, as a read answers them. */
  snapshotBytes(): number;
  /** Advances the clock until `promise` settles (at most `maxMs`). */
  until<T>(promise: Promise<T>, maxMs?: number): Promise<T>;
}

const costOf = (meter: QuotaMeter): Cost => {
  const t = meter.snapshot().totals;
  return { kvsRequests: t.kvsRequests, readUnits: t.kvsReadUnits, writeUnits: t.kvsWriteUnits, invocations: t.invocations, realtimeOps: t.realtimeOps };
};
/** What `meter` used since the last call of the returned function (since `from` at first). */
function delta(meter: QuotaMeter, from: Cost = costOf(meter)): () => Cost {
  let last = from;
  return () => {
    const now = costOf(meter);
    const out = Object.fromEntries(COST_KEYS.map((k) => [k, now[k] - last[k]])) as unknown as Cost;
    last = now;
    return out;
  };
}
const noTransport = { emit: () => undefined, on: () => () => undefined };

export async function createBudgetWorld(def: BoardDef): Promise<BudgetWorld> {
  const clock = createManualClock();
  const kvs = createKvsFetch({ clock, entities: [DOC_ENTITY_DECLARATION as never] });
  const scope = new AsyncLocalStorage<QuotaMeter>();
  const aside = createQuotaMeter({ clock, enforce: false });
  const metered = new Map<QuotaMeter, ForgeFetch>();
  const fetch: ForgeFetch = (context, path, init) => {
    const meter = scope.getStore() ?? aside;
    let f = metered.get(meter);
    if (!f) metered.set(meter, (f = meterForgeFetch(kvs, meter)));
    return f(context, path, init);
  };
  // The resolver publishes each commit on Realtime (@forge/realtime through __forge_fetch__), and
  // pages subscribe with the token their load brought: both charged to the page that caused them.
  const hub = createRealtimeHub();
  const installation = 'bench-installation';
  const meterOf = () => scope.getStore() ?? aside;
  const publishing: RealtimeHub = { ...hub, publish: (where, channel, payload) => (meterOf().realtime('publish'), hub.publish(where, channel, payload)) };
  const backend = createRealtimeBackend({ hub: publishing, installation, clock, admitSign: () => (meterOf().realtime('sign'), true) });
  const globals = globalThis as { __forge_fetch__?: unknown; __forge_runtime__?: unknown };
  globals.__forge_fetch__ = backend.route(fetch);
  globals.__forge_runtime__ = { appContext: { installationId: installation, appId: 'ari:cloud:ecosystem::app/bench', environmentId: 'bench' }, realtime: { contextToken: 'bench' } };
  const global = realtimeScope({ installation, moduleKey: '', context: {}, isGlobal: true });
  const instance = (warmDocuments: number) => {
    const resolver = new Resolver();
    // The resolver reads the emulator's clock (token lifetimes, garbage grace), not the wall's.
    // Every commit publishes (publishEveryMs 0): the budget's lone actions run back to back, and
    // coalescing would hide the publish a lone action makes on a real site; the scenario's peak
    // is so priced at one publish per action, without the coalescing a busy document gets.
    registerStores(resolver, [def], { maxPayload: 5_000_000, warmDocuments, now: () => clock.now(), realtime: { publishEveryMs: 0 } });
    const handler = resolver.getDefinitions() as unknown as (e: unknown, r: unknown) => Promise<unknown>;
    return async (functionKey: string, payload: Record<string, unknown>, accountId: string) =>
      JSON.parse(JSON.stringify(await handler({ call: { functionKey, payload: JSON.parse(JSON.stringify(payload)) }, context: {} }, { installContext: 'bench', principal: { accountId } }))) as Record<string, unknown>;
  };
  const warm = instance(8);
  const cold = instance(0);
  let revision = 0;
  let seq = 0;

  const until = async <T>(promise: Promise<T>, maxMs = 120_000): Promise<T> => {
    let done = false;
    const settled = promise.finally(() => void (done = true));
    for (let waited = 0; !done && waited < maxMs; waited += 50) await clock.advanceAsync(50);
    if (!done) throw new Error(`[bench] budget: nothing settled within ${maxMs} ms of emulated time`);
    return settled;
  };

  const takeAside = delta(aside);
  // The aside writer keeps its state as a host does (its base), running each toggle on it.
  let state: unknown = def.initialState;
  let target = warm;
  const persistence = createInvokePersistence(def, {
    invoke: (functionKey, payload) => {
      aside.invocation('aside');
      return target(functionKey, payload, 'aside');
    },
  });
  const commitAside = async (index: number, where: 'warm' | 'cold' | 'cold-read' = 'warm') => {
    target = where === 'warm' ? warm : cold;
    const intents = [{ clientId: 'aside', seq: ++seq, name: 'toggle', args: [index] }];
    const r = await persistence.commit({ baseRevision: revision, intents, ...(where === 'cold-read' ? {} : { base: () => state }) });
    const outcome = r.outcomes[0];
    if (!outcome?.ok) throw new Error(`[bench] budget: commit failed: ${JSON.stringify(r)}`);
    if (r.state === undefined && r.patches !== undefined) throw new Error('[bench] budget: a lone commit was answered patches: someone else committed');
    const ran = runIntent(def, state, 'toggle', [index], 'aside');
    state = r.state ?? (ran.ok ? ran.state : state);
    revision = r.revision;
    return takeAside();
  };
  await commitAside(0);

  return {
    clock,
    until,
    commitAside,
    snapshotId() {
      const entry = kvs.inspect('entity:bgstore-doc')[0];
      return entry ? (JSON.parse((entry.value as { data: string }).data) as { b?: unknown }).b : undefined;
    },
    snapshotBytes() {
      const entry = kvs.inspect('entity:bgstore-doc')[0];
      if (!entry) return 0;
      const data = JSON.parse((entry.value as { data: string }).data) as { m: string; f?: string[] };
      const values = kvs.dump().kv ?? {};
      return [data.m, ...(data.f ?? [])].reduce((n, name) => n + Buffer.byteLength(JSON.stringify(values[`${entry.key}:${name}`] ?? '')), 0);
    },
    async openPage(where, config = {}, accountId = 'viewer') {
      const meter = createQuotaMeter({ clock, enforce: false });
      const run = where === 'warm' ? warm : cold;
      const invoke = (functionKey: string, payload: Record<string, unknown>) =>
        scope.run(meter, () => {
          meter.invocation(accountId);
          return run(functionKey, payload, accountId);
        });
      const realtime: RealtimeApi = {
        subscribeGlobal: (channel, callback) => (meter.realtime('subscribe'), hub.subscribe(global, channel, callback)),
      };
      const host = startHost(def, {
        transport: noTransport,
        invoke,
        realtime,
        // The defaults receive changes over Realtime; `realtimeHint: true` is the old example app's
        // settings (with its 3 s fallback and the 15 s check it sets).
        realtimeHint: config.realtimeHint === false ? false : config.realtimeHint ? { fallbackCheckMs: 3000 } : undefined,
        ...(config.revisionCheckMs !== undefined ? { revisionCheckMs: config.revisionCheckMs } : {}),
        clock,
      });
      await until(host.ready);
      const actions = host.actions as unknown as { toggle(index: number): Promise<unknown> };
      return { host, toggle: (index) => actions.toggle(index), take: delta(meter, ZERO), close: () => host.close() };
    },
  };
}
