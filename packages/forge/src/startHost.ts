import { realtime as bridgeRealtime } from '@forge/bridge';
import { createHost, systemClock, type ActionRecipes, type Host, type HostOptions, type Persistence, type StoreDefinition } from '@bgstore/core';
import { createBridgeTransport } from './bridgeTransport';
import { subscribeChanges, type ChangeSubscription, type RealtimeApi } from './changeSubscription';
import { createHintGate } from './hintGate';
import { createInvokePersistence, type Invoke } from './invokePersistence';
import { pageCaller } from './pageCaller';

export type { RealtimeApi } from './changeSubscription';

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
   * How the default persistence calls the resolver (tests and benchmarks that run the resolver in
   * process); unlike a `persistence` of your own it keeps Realtime changes on. @default invoke from @forge/bridge
   */
  invoke?: Invoke;
  /**
   * Receive other pages' changes as they are committed: the resolver publishes each commit on the
   * document's Forge Realtime channel and gives this page a subscribe-only token for it with its
   * load, and the host applies a change on top of exactly the revision it names, without invoking
   * anything. While subscribed, storage is checked only every `revisionCheckMs` (a slow safety net,
   * 5 minutes unless set); until then, or when Realtime is unavailable (it is in Preview),
   * every `fallbackCheckMs`. Only the resolver can publish on the channel. Realtime allows ~50
   * operations/s per installation: a page costs one subscribe per load, a commit one publish.
   * Needs the default persistence (the app's resolver with `registerStores`).
   * @default true
   */
  realtimeHint?:
    | boolean
    | {
        /** @deprecated ignored: the resolver names the channel */
        channel?: string;
        /** @default 30000 */
        fallbackCheckMs?: number;
        /** Changes that only say a revision exists trigger at most one check per this many ms. @default 1000 */
        minCheckMs?: number;
        /** While such checks keep finding nothing new the gap doubles, up to this. @default 30000 */
        maxCheckMs?: number;
      };
  /** The Realtime API pages subscribe with. @default realtime from @forge/bridge */
  realtime?: RealtimeApi;
}

/** While Realtime delivers changes, storage is checked this often, as a safety net. */
const SAFETY_NET_MS = 300_000;

type Doc = { visibilityState?: string; addEventListener?(type: string, fn: () => void): void; removeEventListener?(type: string, fn: () => void): void };

/**
 * Starts the authoritative store in a `confluence:backgroundScript`: loads the stored document
 * through the resolver, serves every module on the page over bridge events, and commits changes.
 * When the page is hidden it saves at once; when it is shown again it checks for other tabs' changes.
 * @example
 * // background script
 * import { startHost } from '@bgstore/forge';
 * import { board } from './store';
 * startHost(board);
 */
export function startHost<TState, TActions extends ActionRecipes<TState>>(definition: StoreDefinition<TState, TActions>, options: StartHostOptions<TState> = {}): Host<TState, TActions> {
  const { transport, persistence, invoke, realtimeHint = true, realtime = bridgeRealtime as unknown as RealtimeApi, ...rest } = options;
  const hint = typeof realtimeHint === 'object' ? realtimeHint : {};
  const clock = rest.clock ?? systemClock;
  // Changes from Realtime need the resolver's grant, which only the default persistence asks for.
  let feed: ChangeSubscription | undefined;
  const late: { host?: Host<TState, TActions> } = {};
  const gate = createHintGate({ clock, known: () => late.host?.stats().durable?.revision ?? 0, check: () => late.host?.checkRevision(), minMs: hint.minCheckMs, maxMs: hint.maxCheckMs });
  if (realtimeHint && persistence === undefined) {
    feed = subscribeChanges({
      store: definition.name,
      realtime,
      clock,
      fallbackCheckMs: hint.fallbackCheckMs ?? 30_000,
      known: () => late.host?.stats().durable?.revision ?? -1,
      apply: (change) => late.host?.receiveChange(change),
      busy: () => late.host?.stats().durable?.saving === true,
      ...(rest.random ? { random: rest.random } : {}),
      // A change that only says a revision exists goes through the hint gate (#18.5): coalesced, at most one check a second.
      check: (revision) => (revision === undefined ? late.host?.checkRevision() : gate.hint(revision)),
    });
  }
  const host = (late.host = createHost(definition, {
    ...rest,
    caller: rest.caller ?? pageCaller(),
    ...(feed && rest.revisionCheckMs === undefined ? { revisionCheckMs: SAFETY_NET_MS } : {}),
    transport: transport ?? createBridgeTransport(),
    persistence: persistence === false ? undefined : (persistence ?? createInvokePersistence(definition, { invoke, realtime: feed?.grants, now: () => clock.now() })),
  }));
  host.onClose(() => {
    gate.close();
    feed?.close();
  });
  const doc = (globalThis as { document?: Doc }).document;
  if (doc?.addEventListener && persistence !== false) {
    const onVisibility = () => (doc.visibilityState === 'hidden' ? host.flush() : host.checkRevision());
    doc.addEventListener('visibilitychange', onVisibility);
    host.onClose(() => doc.removeEventListener?.('visibilitychange', onVisibility));
  }
  return host;
}
