// Forge Realtime across tabs. Each tab of the playground makes its own emulated site (the page's
// routing and invoke live in the tab), so without this a tab's Realtime hub only reached that tab:
// another tab's revision hint never arrived, and a second user's change showed up only at the next
// periodic check (15 s in the example). Here a tab's publishes go to the server, which sends them to
// every other tab over one EventSource, as Forge's Realtime service does between browsers.
import { createRealtimeHub, QuotaExceededError, type QuotaMeter, type RealtimeHub } from '@bgstore/emulator';

/** A {@link RealtimeHub} that also carries publishes to and from the playground's other tabs. */
export interface RelayedHub extends RealtimeHub {
  /** Events from other tabs delivered here, and publishes this tab could not send. */
  relayStats(): { received: number; sendFailed: number };
}

/** Messages on the relay: what a tab published, tagged with the tab that published it. */
export interface RelayMessage {
  from: string;
  scope: string;
  channel: string;
  payload: unknown;
}

/**
 * Creates the tab's hub, relayed through the server's `/realtime` endpoint. With `quota`, this tab's
 * own subscribes and publishes are Realtime operations of its installation (relayed deliveries are not).
 */
export function createRelayedHub(tabId: string, quota?: QuotaMeter): RelayedHub {
  const local = createRealtimeHub();
  const charge = (op: 'subscribe' | 'publish') => {
    const decision = quota?.realtime(op);
    if (decision && !decision.ok) throw new QuotaExceededError(decision, `Realtime ${op} refused`);
  };
  const counts = { received: 0, sendFailed: 0 };
  const events = new EventSource('/realtime');
  events.onmessage = (event: MessageEvent<string>) => {
    const message = JSON.parse(event.data) as RelayMessage;
    if (message.from === tabId) return; // the local hub already delivered it
    counts.received++;
    local.publish(message.scope, message.channel, message.payload);
  };
  return {
    subscribe(scope, channel, onEvent) {
      charge('subscribe');
      return local.subscribe(scope, channel, onEvent);
    },
    stats: local.stats,
    publish(scope, channel, payload) {
      charge('publish');
      const receipt = local.publish(scope, channel, payload);
      const body: RelayMessage = { from: tabId, scope, channel, payload };
      void fetch('/realtime', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
        .then((response) => {
          if (!response.ok) counts.sendFailed++;
        })
        .catch(() => counts.sendFailed++);
      return receipt;
    },
    relayStats: () => ({ ...counts }),
  };
}
