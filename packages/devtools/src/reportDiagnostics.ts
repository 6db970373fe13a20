import type { DurableStatus, ReadonlyStore, SyncStatus, Transport } from '@bgstore/core';
import { trackActions, type ActionLog } from './actionLog';
import { bridgeTransport, moduleContext } from './bridge';
import { DIAGNOSTIC_REPORT, DIAGNOSTIC_REQUEST, DIAGNOSTIC_VERSION, hashState, isRequest, type DiagnosticRequest, type ModuleReport } from './diagnostics';

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
  /**
   * Also report in a Forge PRODUCTION environment. Off by default: a module of the app on the page
   * could otherwise make every reporter work on demand, and read the state's hash and recent actions.
   * @default false
   */
  production?: boolean;
}

/** What a reporter did with the requests it heard. */
export interface DiagnosticsReporterStats {
  answered: number;
  /** Malformed requests (a `from` that is not an id, say), ignored. */
  ignored: number;
  /** Requests over the rate limit (2 answers a second), or heard while reporting is off. */
  dropped: number;
}

/** Answers at most this many requests per {@link RATE_WINDOW_MS} (#18.10). */
const RATE_LIMIT = 2;
const RATE_WINDOW_MS = 1000;

/**
 * Lets a devtools panel on the page ask this module how its copy of the store is doing. The module
 * only listens: it sends nothing until a panel asks, and then one report per request, at most two a
 * second. In a Forge PRODUCTION environment it stays silent unless `production: true`.
 * @example
 * const replica = connect(board);
 * reportDiagnostics({ store: board.name, replica });
 */
export function reportDiagnostics(options: ReportDiagnosticsOptions): { close(): void; actions: ActionLog | undefined; stats(): DiagnosticsReporterStats } {
  const target = options.host ?? options.replica;
  if (!target) throw new Error('[bgstore] reportDiagnostics needs a replica or a host');
  const transport = options.transport ?? bridgeTransport();
  const now = options.now ?? (() => Date.now());
  const instance = Math.random().toString(36).slice(2, 10);
  const actions = options.trackActions === false ? undefined : trackActions(target, { now });
  let module = options.module ?? 'module';
  // Undecided until the environment is known (outside Forge, with no context: development). The
  // last request heard meanwhile is answered then, so a panel opened with the page is not ignored.
  let enabled: boolean | undefined;
  let early: DiagnosticRequest | undefined;
  const decide = (on: boolean) => {
    enabled = on;
    if (early) answer(early);
    early = undefined;
  };
  void Promise.resolve()
    .then(moduleContext)
    .then(({ moduleKey, environmentType }) => {
      if (options.module === undefined && moduleKey !== undefined) module = moduleKey;
      decide(options.production === true || environmentType !== 'PRODUCTION');
    })
    .catch(() => decide(true));
  const counts: DiagnosticsReporterStats = { answered: 0, ignored: 0, dropped: 0 };
  const answeredAt: number[] = [];
  // States are immutable snapshots: one hash per state, however often a panel (or a flood) asks.
  let hashed: { state: unknown; hash: string } | undefined;
  const stateHash = () => {
    const state = target.getState();
    if (!hashed || hashed.state !== state) hashed = { state, hash: hashState(state) };
    return hashed.hash;
  };

  const report = (to: string, actionCount: number): ModuleReport => {
    const base = { bgstoreDevtools: DIAGNOSTIC_VERSION, to, module, instance, store: options.store, at: now(), stateHash: stateHash(), actions: actions?.entries().slice(-actionCount) ?? [] } as const;
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

  function answer(request: DiagnosticRequest) {
    const t = now();
    if (!enabled || (answeredAt.length >= RATE_LIMIT && t - answeredAt[0]! < RATE_WINDOW_MS)) return void counts.dropped++;
    answeredAt.push(t);
    if (answeredAt.length > RATE_LIMIT) answeredAt.shift();
    counts.answered++;
    void transport.emit(DIAGNOSTIC_REPORT, report(request.from, Math.max(0, Math.min(50, Math.floor(request.actions)))));
  }

  const subscription = transport.on(DIAGNOSTIC_REQUEST, (payload) => {
    if (!isRequest(payload)) return void counts.ignored++;
    if (enabled !== undefined) return answer(payload);
    if (early) counts.dropped++;
    early = payload;
  });
  return {
    actions,
    stats: () => ({ ...counts }),
    close() {
      void Promise.resolve(subscription).then((s) => (typeof s === 'function' ? s() : s?.unsubscribe()));
    },
  };
}
