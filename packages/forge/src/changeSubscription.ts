import type { Clock, RemoteChange } from '@bgstore/core';
import type { RealtimeGrant, WirePatch } from '@bgstore/protocol';
import { createHeldChanges, type PublishedChange } from './heldChanges';
import type { RealtimeGrants } from './invokePersistence';
import { createTrailingPublish } from './trailingPublish';

// The page's end of "changes arrive without asking": the resolver publishes each commit on the
// document's Realtime channel, and hands this page a subscribe-only token for it with a load. While
// subscribed, storage is checked only as a slow safety net (the host's `revisionCheckMs`); until
// then, or when Realtime fails, every `fallbackCheckMs`. Only the resolver can publish on the
// channel (the token protects it), and a change is applied only on top of exactly the revision it
// names (its base, or a revision it marks inside it: publishes are coalesced, #17); one that does not
// fit is held a moment (heldChanges.ts), then at most a reason to check storage. A writer whose
// commit no publish covers asks the resolver to publish it (trailingPublish.ts).
//
//   wanting a grant ──grant (with a load)──▶ subscribing ──ok──▶ subscribed (no polling)
//     │  ▲   (polling)                            │ refused                │ an error on the channel
//     │  └── after a wait (1, 2, 4 … 30 min) ◀────┴────────────────────────┘
//     └── a load answered no grant (Realtime unavailable to the resolver) ──▶ the same wait

/** The part of `@forge/bridge`'s `realtime` a page uses. */
export interface RealtimeApi {
  subscribeGlobal(channel: string, callback: (payload: unknown, error?: unknown) => unknown, options?: { token?: string }): Promise<{ unsubscribe(): unknown }> | { unsubscribe(): unknown };
  /** No longer used: pages do not publish (the resolver does). */
  publishGlobal?(channel: string, payload: Record<string, unknown>): Promise<unknown> | unknown;
}

/** Options of {@link subscribeChanges}. */
export interface ChangeSubscriptionOptions {
  store: string;
  realtime: RealtimeApi;
  clock: Clock;
  /** How often storage is checked while not subscribed. */
  fallbackCheckMs: number;
  /** The revision whose state the host holds durably. */
  known(): number;
  /** Applies a change whose `base` is the known revision. */
  apply(change: RemoteChange): void;
  /** Storage has (or may have) a newer revision: check it. `revision` when a change named one (not when polling). */
  check(revision?: number): void;
  /** Whether the host's commit is in flight: changes wait for its answer. @default never */
  busy?(): boolean;
  /** Uniform numbers in [0, 1), for the jitter of a writer's ask to publish. @default Math.random */
  random?: () => number;
}

/** A page's subscription to its document's changes. */
export interface ChangeSubscription {
  /** Hand to `createInvokePersistence`: loads ask for a grant while this wants one. */
  readonly grants: RealtimeGrants;
  stats(): { subscribed: boolean; applied: number; checks: number; ignored: number; asked: number };
  close(): void;
}

const FIRST_RETRY_MS = 60_000;
const LAST_RETRY_MS = 30 * 60_000;
const OPS = new Set(['add', 'replace', 'remove']);
const isRevision = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isPatch = (p: unknown) => typeof p === 'object' && p !== null && OPS.has((p as WirePatch).op) && Array.isArray((p as WirePatch).path);

/** Marks inside (`base`, `revision`), ascending, each within the patches; false when malformed. */
const marksFit = (marks: unknown, base: number, revision: number, patches: number): marks is [number, number][] =>
  Array.isArray(marks) && marks.every((m, i) => Array.isArray(m) && m.length === 2 && isRevision(m[0]) && isRevision(m[1]) && m[0] > base && m[0] < revision && m[1] <= patches && (i === 0 || m[0] > (marks[i - 1] as number[])[0]!));

/** What arrived, if it is a change of `store` as the resolver publishes it; undefined otherwise. */
export function parseChange(store: string, payload: unknown): PublishedChange | undefined {
  let value = payload;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value) as unknown;
    } catch {
      return undefined;
    }
  }
  const c = value as { v?: unknown; store?: unknown; base?: unknown; revision?: unknown; patches?: unknown; marks?: unknown } | null;
  if (typeof c !== 'object' || c === null || c.v !== 1 || c.store !== store || !isRevision(c.base) || !isRevision(c.revision) || c.revision <= c.base) return undefined;
  if (c.patches !== undefined && !(Array.isArray(c.patches) && c.patches.every(isPatch))) return undefined;
  if (c.marks !== undefined && !(Array.isArray(c.patches) && marksFit(c.marks, c.base, c.revision, c.patches.length))) return undefined;
  return { base: c.base, revision: c.revision, ...(c.patches ? { patches: c.patches as WirePatch[] } : {}), ...(c.marks ? { marks: c.marks } : {}) };
}

/** Calls `tick` every `ms` from `start()` until `stop()`. */
function createPoller(clock: Clock, ms: number, tick: () => void) {
  let timer: unknown;
  const start = () => {
    if (timer !== undefined) return;
    timer = clock.setTimeout(() => {
      timer = undefined;
      tick();
      start();
    }, ms);
  };
  const stop = () => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
  return { start, stop };
}

/** Creates a {@link ChangeSubscription}: polling at first, subscribed once a load brings a grant. */
export function subscribeChanges(options: ChangeSubscriptionOptions): ChangeSubscription {
  const { clock } = options;
  const stats = { applied: 0, checks: 0, ignored: 0 };
  const held = createHeldChanges({
    clock,
    known: options.known,
    busy: () => options.busy?.() === true,
    apply: (change) => {
      stats.applied++;
      options.apply(change);
    },
    check: (revision) => {
      stats.checks++;
      options.check(revision);
    },
  });
  const trailing = createTrailingPublish({ clock, random: options.random ?? Math.random });
  let phase: 'wanting' | 'subscribing' | 'subscribed' | 'waiting' | 'closed' = 'wanting';
  let subscription: { unsubscribe(): unknown } | undefined;
  let retryTimer: unknown;
  let retryMs = FIRST_RETRY_MS;
  let resubscribing = false;
  const check = () => {
    stats.checks++;
    options.check();
  };
  const poller = createPoller(clock, options.fallbackCheckMs, check);
  // A refused or broken subscription is tried again with a fresh grant, after a growing wait (each
  // try costs Realtime operations every page of the installation shares).
  const lost = () => {
    if (phase === 'closed') return;
    void Promise.resolve(subscription?.unsubscribe()).catch(() => undefined);
    subscription = undefined;
    phase = 'waiting';
    poller.start();
    retryTimer = clock.setTimeout(() => {
      retryTimer = undefined;
      if (phase === 'waiting') phase = 'wanting';
    }, retryMs);
    retryMs = Math.min(retryMs * 2, LAST_RETRY_MS);
  };
  const onEvent = (payload: unknown, error?: unknown) => {
    if (phase !== 'subscribed') return;
    if (error) return lost();
    const change = parseChange(options.store, payload);
    if (!change) return void stats.ignored++;
    trailing.heard(change.revision);
    held.offer(change);
  };
  const subscribe = (grant: RealtimeGrant) => {
    phase = 'subscribing';
    Promise.resolve()
      .then(() => options.realtime.subscribeGlobal(grant.channel, onEvent, { token: grant.token }))
      .then(
        (sub) => {
          if (phase === 'closed') return void sub.unsubscribe();
          subscription = sub;
          phase = 'subscribed';
          retryMs = FIRST_RETRY_MS;
          poller.stop();
          // Commits published while the page was not subscribed are not replayed: after a lost
          // subscription, check once (the host checks soon after its first load anyway).
          if (resubscribing) check();
          resubscribing = true;
        },
        () => lost(),
      );
  };
  poller.start();
  return {
    grants: {
      wants: () => phase === 'wanting',
      granted(grant) {
        if (phase === 'wanting') subscribe(grant);
      },
      // Asking again at every check would cost the resolver a token signing each time (a Realtime
      // operation of the installation's 50 a second): wait as after a refused subscription.
      missing() {
        if (phase === 'wanting') lost();
      },
      // Unsubscribed, nobody here would notice a missing publish: the others poll meanwhile.
      committed(revision, base, ask) {
        if (phase === 'subscribed') trailing.committed(revision, base, ask);
      },
    },
    stats: () => ({ subscribed: phase === 'subscribed', ...stats, ...trailing.stats() }),
    close() {
      phase = 'closed';
      held.close();
      trailing.close();
      poller.stop();
      if (retryTimer !== undefined) clock.clearTimeout(retryTimer);
      void Promise.resolve(subscription?.unsubscribe()).catch(() => undefined);
    },
  };
}
