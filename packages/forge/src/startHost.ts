import { realtime as bridgeRealtime } from '@forge/bridge';
import { createHost, systemClock, type ActionRecipes, type Host, type HostOptions, type Persistence, type StoreDefinition } from '@bgstore/core';
import { createBridgeTransport } from './bridgeTransport';
import { createHintGate } from './hintGate';
import { createInvokePersistence } from './invokePersistence';
import { pageCaller } from './pageCaller';

/** The part of `@forge/bridge`'s `realtime` the revision hint uses. */
export interface RealtimeApi {
  publishGlobal(channel: string, payload: Record<string, unknown>): Promise<unknown> | unknown;
  subscribeGlobal(channel: string, callback: (payload: unknown) => unknown): Promise<{ unsubscribe(): unknown }> | { unsubscribe(): unknown };
}

/** Options of {@link startHost}: those of `createHost`, with a Forge transport and storage by default. */
export interface StartHostOptions<TState> extends Omit<HostOptions<TState>, 'transport' | 'persistence'> {
  /** @default createBridgeTransport() */
  transport?: HostOptions<TState>['transport'];
  /**
   * Where the state is kept: the app's resolver (`registerStores`) by default; `false` keeps it in
   * this background script's memory only.
   * @default createInvokePersistence(definition)
   */
  persistence?: Persistence<TState> | false;
  /**
   * Announce each new stored revision on a Forge Realtime global channel, and check storage when
   * another tab announces one — so other tabs and users see changes in a fraction of a second
   * instead of at the next periodic check (`revisionCheckMs`, which stays on as a safety net).
   * If subscribing to the channel fails (Realtime is in Preview and may be unavailable), storage
   * is polled every `fallbackCheckMs` instead. Realtime is limited to ~50 operations/s per
   * installation; storage stays the source of truth. Anyone signed in can publish on the channel, so
   * hints are coalesced into at most one check per `minCheckMs`, backing off to one per `maxCheckMs`
   * while they keep proving false; a hint at or below the revision the page knows costs nothing.
   * @default false
   */
  realtimeHint?:
    | boolean
    | {
        channel?: string;
        /** @default 3000 */
        fallbackCheckMs?: number;
        /** Hints trigger at most one check per this many ms. @default 1000 */
        minCheckMs?: number;
        /** While hints keep proving false the gap doubles, up to this. @default 30000 */
        maxCheckMs?: number;
      };
  /** The Realtime API the hint uses. @default realtime from @forge/bridge */
  realtime?: RealtimeApi;
}

type Doc = { visibilityState?: string; addEventListener?(type: string, fn: () => void): void; removeEventListener?(type: string, fn: () => void): void };

/**
 * Starts the authoritative store in a `confluence:backgroundScript`: loads the stored document
 * through the resolver, serves every module on the page over bridge events, and commits changes.
 * When the page is hidden it saves at once; when it is shown again it checks for other tabs' changes.
 * @example
 * // background script
 * import { startHost } from '@bgstore/forge';
 * import { board } from './store';
 * startHost(board, { realtimeHint: true });
 */
export function startHost<TState, TActions extends ActionRecipes<TState>>(definition: StoreDefinition<TState, TActions>, options: StartHostOptions<TState> = {}): Host<TState, TActions> {
  const { transport, persistence, realtimeHint, realtime = bridgeRealtime as unknown as RealtimeApi, ...rest } = options;
  const hint = typeof realtimeHint === 'object' ? realtimeHint : {};
  const channel = hint.channel ?? `bgstore-${definition.name}-revision`;
  const clock = rest.clock ?? systemClock;
  let announced = -1;
  const host = createHost(definition, {
    ...rest,
    caller: rest.caller ?? pageCaller(),
    onDurable(status) {
      rest.onDurable?.(status);
      if (!realtimeHint || status.saving || status.revision <= announced) return;
      announced = status.revision;
      void Promise.resolve()
        .then(() => realtime.publishGlobal(channel, { store: definition.name, revision: status.revision }))
        .catch(() => undefined);
    },
    transport: transport ?? createBridgeTransport(),
    persistence: persistence === false ? undefined : (persistence ?? createInvokePersistence(definition, { now: () => clock.now() })),
  });
  if (realtimeHint && persistence !== false) {
    let closed = false;
    let pollTimer: unknown;
    const poll = () => {
      pollTimer = clock.setTimeout(() => {
        if (closed) return;
        host.checkRevision();
        poll();
      }, hint.fallbackCheckMs ?? 3000);
    };
    // Anyone signed in can publish on the channel: hints are coalesced and rate-limited (#18.5).
    const gate = createHintGate({ clock, known: () => host.stats().durable?.revision ?? 0, check: () => host.checkRevision(), minMs: hint.minCheckMs, maxMs: hint.maxCheckMs });
    const subscription = Promise.resolve()
      .then(() => realtime.subscribeGlobal(channel, (payload: unknown) => gate.hint((payload as { revision?: unknown } | null)?.revision)))
      .catch(() => {
        if (!closed) poll();
        return undefined;
      });
    host.onClose(() => {
      closed = true;
      gate.close();
      if (pollTimer !== undefined) clock.clearTimeout(pollTimer);
      void subscription.then((s) => s?.unsubscribe());
    });
  }
  const doc = (globalThis as { document?: Doc }).document;
  if (doc?.addEventListener && persistence !== false) {
    const onVisibility = () => (doc.visibilityState === 'hidden' ? host.flush() : host.checkRevision());
    doc.addEventListener('visibilitychange', onVisibility);
    host.onClose(() => doc.removeEventListener?.('visibilitychange', onVisibility));
  }
  return host;
}
