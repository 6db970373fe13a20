import { QuotaExceededError, type QuotaMeter } from './quota';

/** Options a module passes to `realtime.subscribe/publish` (only what the emulator reads). */
export interface RealtimeOptions {
  contextOverrides?: unknown[];
  token?: string;
}

/** A subscriber's handle, as `realtime.subscribe` resolves it. */
export interface RealtimeSubscription {
  unsubscribe(): Promise<void>;
}

/** A basic Forge Realtime hub shared by every page of a site: publish/subscribe by channel. */
export interface RealtimeHub {
  /** Subscribes; throws `QuotaExceededError` past the installation's Realtime quota. */
  subscribe(scope: string, channel: string, onEvent: (payload: unknown, error?: unknown) => void): RealtimeSubscription;
  /** Publishes; throws `QuotaExceededError` past the installation's Realtime quota. */
  publish(scope: string, channel: string, payload: unknown): { eventId: string; eventTimestamp: string };
  /** Counts of publishes and deliveries. */
  stats(): { published: number; delivered: number };
}

/**
 * The channel scope a call lands in. Global channels are per installation; default ones are per
 * module and product context, so a background script and a feed do not share them (Forge Realtime docs).
 */
export function realtimeScope(options: { installation: string; moduleKey: string; context: Record<string, unknown>; isGlobal?: boolean }): string {
  if (options.isGlobal) return `${options.installation}|global`;
  const extension = (options.context.extension ?? {}) as { content?: { id?: unknown }; space?: { key?: unknown } };
  return `${options.installation}|${options.moduleKey}|${String(extension.content?.id ?? '')}|${String(extension.space?.key ?? '')}`;
}

/**
 * Creates a {@link RealtimeHub}. Payloads are delivered as JSON copies, on a microtask, to current
 * subscribers. With a `quota` meter, each subscribe and publish is one of the installation's
 * Realtime operations; past the quota they throw a `QuotaExceededError` (429 `RATE_LIMIT_EXCEEDED`).
 */
export function createRealtimeHub(options: { quota?: QuotaMeter } = {}): RealtimeHub {
  const channels = new Map<string, Set<(payload: unknown) => void>>();
  let nextId = 1;
  const stats = { published: 0, delivered: 0 };
  const charge = (op: 'subscribe' | 'publish') => {
    const decision = options.quota?.realtime(op);
    if (decision && !decision.ok) throw new QuotaExceededError(decision, `Realtime ${op} refused`);
  };
  return {
    subscribe(scope, channel, onEvent) {
      charge('subscribe');
      const key = `${scope}#${channel}`;
      const listener = (payload: unknown) => onEvent(payload);
      let set = channels.get(key);
      if (!set) channels.set(key, (set = new Set()));
      set.add(listener);
      return {
        async unsubscribe() {
          channels.get(key)?.delete(listener);
        },
      };
    },
    publish(scope, channel, payload) {
      charge('publish');
      stats.published++;
      const json = typeof payload === 'string' ? payload : JSON.stringify(payload);
      for (const listener of channels.get(`${scope}#${channel}`) ?? []) {
        queueMicrotask(() => {
          stats.delivered++;
          listener(typeof payload === 'string' ? json : JSON.parse(json));
        });
      }
      return { eventId: `evt-${nextId++}`, eventTimestamp: new Date().toISOString() };
    },
    stats: () => ({ ...stats }),
  };
}
