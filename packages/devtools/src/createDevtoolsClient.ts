import { createStore } from 'zustand/vanilla';
import type { ReadonlyStore, Transport } from '@bgstore/core';
import { bridgeTransport } from './bridge';
import { DIAGNOSTIC_REPORT, DIAGNOSTIC_REQUEST, DIAGNOSTIC_VERSION, isReport, type ActionRecord, type ModuleReport } from './diagnostics';

/** What a panel knows: the latest report of every module that answered recently. */
export interface DevtoolsState {
  /** Hosts first, then replicas by module name. */
  modules: ModuleReport[];
  /** The last actions of every module, newest first, with the module that called them. */
  actions: (ActionRecord & { module: string })[];
  /** When the last report arrived (the panel's clock), or null before any. */
  updatedAt: number | null;
}

/** Options of {@link createDevtoolsClient}. */
export interface DevtoolsClientOptions {
  /** @default createBridgeTransport() */
  transport?: Transport;
  /** Ask this often while open. @default 1000 */
  intervalMs?: number;
  /** A module that has not answered for this long is dropped (it was closed). @default 3500 */
  staleMs?: number;
  /** Recent actions asked of each module. @default 20 */
  actions?: number;
  /** @default Date.now */
  now?: () => number;
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (handle: unknown) => void;
}

/** A panel's view of the page: a read-only store of {@link DevtoolsState}. */
export interface DevtoolsClient extends ReadonlyStore<DevtoolsState> {
  /** Asks every module now. */
  refresh(): void;
  close(): void;
}

/**
 * Asks every reporting module on the page (see `reportDiagnostics`) for its state, now and every
 * `intervalMs`, and keeps the answers. Nothing on the page sends diagnostics until a client asks.
 * @example
 * const client = createDevtoolsClient();
 * client.subscribe((s) => console.table(s.modules));
 */
export function createDevtoolsClient(options: DevtoolsClientOptions = {}): DevtoolsClient {
  const transport = options.transport ?? bridgeTransport();
  const now = options.now ?? (() => Date.now());
  const staleMs = options.staleMs ?? 3500;
  const id = `panel-${Math.random().toString(36).slice(2, 10)}`;
  const reports = new Map<string, { report: ModuleReport; heard: number }>();
  const store = createStore<DevtoolsState>()(() => ({ modules: [], actions: [], updatedAt: null }));

  const publish = () => {
    const t = now();
    for (const [key, r] of reports) if (t - r.heard > staleMs) reports.delete(key);
    const modules = [...reports.values()].map((r) => r.report).sort((a, b) => (a.role === b.role ? a.module.localeCompare(b.module) || a.instance.localeCompare(b.instance) : a.role === 'host' ? -1 : 1));
    const actions = modules.flatMap((m) => m.actions.map((a) => ({ ...a, module: m.module }))).sort((a, b) => b.at - a.at || b.id - a.id);
    store.setState({ modules, actions: actions.slice(0, options.actions ?? 20), updatedAt: t }, true);
  };

  const subscription = transport.on(DIAGNOSTIC_REPORT, (payload) => {
    if (!isReport(payload) || payload.to !== id) return;
    reports.set(`${payload.store}|${payload.instance}`, { report: payload, heard: now() });
    publish();
  });
  const refresh = () => {
    void transport.emit(DIAGNOSTIC_REQUEST, { bgstoreDevtools: DIAGNOSTIC_VERSION, from: id, actions: options.actions ?? 20 });
    // Modules that stopped answering drop out even when nobody answers.
    if (reports.size) publish();
  };
  const every = options.setInterval ?? ((fn, ms) => setInterval(fn, ms));
  const stop = options.clearInterval ?? ((h) => clearInterval(h as ReturnType<typeof setInterval>));
  const timer = every(refresh, options.intervalMs ?? 1000);
  // A reporter may subscribe a moment after the panel's first request; ask right away and once more.
  void Promise.resolve(subscription).then(refresh);

  return {
    getState: store.getState,
    getInitialState: store.getInitialState,
    subscribe: store.subscribe,
    refresh,
    close() {
      stop(timer);
      void Promise.resolve(subscription).then((s) => (typeof s === 'function' ? s() : s?.unsubscribe()));
    },
  };
}
