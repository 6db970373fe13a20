import type { DurableStatus, ReadonlyStore, SyncStatus, Transport } from '@bgstore/core';
import { trackActions, type ActionLog } from './actionLog';
import { bridgeTransport, moduleKeyFromContext } from './bridge';
import { DIAGNOSTIC_REPORT, DIAGNOSTIC_REQUEST, DIAGNOSTIC_VERSION, hashState, isRequest, type ModuleReport } from './diagnostics';

type Channel = { sent: number; bytesSent: number; received: number };

/** The public surface of a replica that a report reads (`connect`/`createReplica` return one). */
export interface ReportedReplica {
  getState(): unknown;
  actions: object;
  sync: ReadonlyStore<SyncStatus>;
  stats(): { channel: Channel };
}

/** The public surface of a host that a report reads (`startHost`/`createHost` return one). */
export interface ReportedHost {
  getState(): unknown;
  actions: object;
  epoch: string;
  version(): number;
  stats(): { phase: string; intentsApplied: number; intentsRejected: number; duplicates: number; snapshotsSent: number; catchUpsSent: number; rebases: number; durable: DurableStatus | null; channel: Channel };
}

/** Options of {@link reportDiagnostics}. */
export interface ReportDiagnosticsOptions {
  /** The store's name (`definition.name`). */
  store: string;
  /** This module's copy of the store: give `replica`, or `host` in the background script. */
  replica?: ReportedReplica;
  host?: ReportedHost;
  /** How the module is named in the panel. @default the module key from `view.getContext()` */
  module?: string;
  /** Record this module's action calls (by wrapping its `actions` object). @default true */
  trackActions?: boolean;
  /** @default createBridgeTransport() */
  transport?: Transport;
  /** @default Date.now */
  now?: () => number;
}

/**
 * Lets a devtools panel on the page ask this module how its copy of the store is doing. The module
 * only listens: it sends nothing until a panel asks, and then one report per request.
 * @example
 * const replica = connect(board);
 * reportDiagnostics({ store: board.name, replica });
 */
export function reportDiagnostics(options: ReportDiagnosticsOptions): { close(): void; actions: ActionLog | undefined } {
  const target = options.host ?? options.replica;
  if (!target) throw new Error('[bgstore] reportDiagnostics needs a replica or a host');
  const transport = options.transport ?? bridgeTransport();
  const now = options.now ?? (() => Date.now());
  const instance = Math.random().toString(36).slice(2, 10);
  const actions = options.trackActions === false ? undefined : trackActions(target, { now });
  let module = options.module ?? 'module';
  if (options.module === undefined) {
    void Promise.resolve()
      .then(moduleKeyFromContext)
      .then((key) => void (key !== undefined && (module = key)))
      .catch(() => undefined);
  }

  const report = (to: string, actionCount: number): ModuleReport => {
    const base = { bgstoreDevtools: DIAGNOSTIC_VERSION, to, module, instance, store: options.store, at: now(), stateHash: hashState(target.getState()), actions: actions?.entries().slice(-actionCount) ?? [] } as const;
    if (options.host) {
      const s = options.host.stats();
      return {
        ...base,
        role: 'host',
        phase: s.phase,
        epoch: options.host.epoch,
        version: options.host.version(),
        pending: s.durable?.unsaved ?? 0,
        resyncs: 0,
        lastResync: null,
        messages: { sent: s.channel.sent, bytesSent: s.channel.bytesSent, received: s.channel.received },
        durable: s.durable,
        host: { intentsApplied: s.intentsApplied, intentsRejected: s.intentsRejected, duplicates: s.duplicates, snapshotsSent: s.snapshotsSent, catchUpsSent: s.catchUpsSent, rebases: s.rebases },
      };
    }
    const replica = options.replica!;
    const s = replica.sync.getState();
    const c = replica.stats().channel;
    return {
      ...base,
      role: 'replica',
      phase: s.phase,
      epoch: s.epoch,
      version: s.version,
      pending: s.pending,
      resyncs: s.resyncs,
      lastResync: s.lastResync,
      messages: { sent: c.sent, bytesSent: c.bytesSent, received: c.received },
      durable: s.durable,
    };
  };

  const subscription = transport.on(DIAGNOSTIC_REQUEST, (payload) => {
    if (!isRequest(payload)) return;
    void transport.emit(DIAGNOSTIC_REPORT, report(payload.from, Math.max(0, Math.min(50, payload.actions))));
  });
  return {
    actions,
    close() {
      void Promise.resolve(subscription).then((s) => (typeof s === 'function' ? s() : s?.unsubscribe()));
    },
  };
}
