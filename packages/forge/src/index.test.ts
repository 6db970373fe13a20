import { defineStore } from '@bgstore/core';
import { createManualClock } from '@bgstore/emulator';
import type { BridgeEvents } from './bridgeTransport';

type Callback = (payload: unknown) => unknown;

/** Bridge events in one process: JSON copies, delivered on a later turn of the event loop, subscriptions as `@forge/bridge` gives them. */
function createFakeEvents() {
  const subscribers = new Map<string, Set<Callback>>();
  const events = {
    emit(event: string, payload?: unknown) {
      const copy = JSON.stringify(payload);
      for (const callback of subscribers.get(event) ?? []) setImmediate(() => callback(JSON.parse(copy)));
      return Promise.resolve();
    },
    on(event: string, callback: Callback) {
      const set = subscribers.get(event) ?? new Set<Callback>();
      subscribers.set(event, set.add(callback));
      return Promise.resolve({ unsubscribe: () => void set.delete(callback) });
    },
  } satisfies BridgeEvents;
  const listening = () => [...subscribers.values()].reduce((n, s) => n + s.size, 0);
  return { events, listening };
}

const counter = defineStore({ name: 'counter', initialState: { n: 0 }, actions: { add: (d, by: number) => void (d.n += by) } });
// Counts turns of the event loop, not milliseconds: a busy machine makes each turn slower, never fewer.
const until = async (predicate: () => boolean) => {
  for (let i = 0; i < 200 && !predicate(); i++) await new Promise((r) => setImmediate(r));
  expect(predicate()).toBe(true);
};

// @forge/bridge reads globalThis.__bridge when imported, as in a Forge iframe: install it first.
const bridge = createFakeEvents();
const calls: { method: string; args: { event?: string } }[] = [];
(globalThis as { __bridge?: unknown }).__bridge = {
  callBridge(method: string, args: { event: string; payload?: unknown; callback?: Callback }) {
    calls.push({ method, args });
    if (method === 'emit') return bridge.events.emit(args.event, args.payload);
    if (method === 'on') return bridge.events.on(args.event, args.callback!);
    return Promise.reject(new Error(`not faked: ${method}`));
  },
};
const load = () => import('./index');

describe('@bgstore/forge', () => {
  it('syncs a host and a replica over injected events and unsubscribes on close', async () => {
    const { connect, createBridgeTransport, startHost } = await load();
    const { events, listening } = createFakeEvents();
    // The emulator's clock, never advanced: the events alone must carry the action (see below).
    const clock = createManualClock(1_000_000);
    const host = startHost(counter, { persistence: false, transport: createBridgeTransport(events), clock });
    const replica = connect(counter, { transport: createBridgeTransport(events), clock });
    try {
      await replica.actions.add(2);
      expect(host.getState()).toEqual({ n: 2 });
      await until(() => replica.getState().n === 2);
      // The host's up event; the replica's down event and its inbox (#22.1).
      expect(listening()).toBe(3);
    } finally {
      replica.close();
      host.close();
    }
    await until(() => listening() === 0);
  });

  it('uses @forge/bridge events by default, on one event pair per store and an inbox per replica', async () => {
    const { connect, startHost } = await load();
    // The emulator's clock, never advanced: no timer fires (a replica's hello sent again after a
    // wait would be answered on its inbox), so what the bridge is asked depends on no machine's speed.
    const clock = createManualClock(1_000_000);
    const host = startHost(counter, { persistence: false, clock });
    const replica = connect(counter, { optimistic: true, clock });
    try {
      await replica.actions.add(5);
      await until(() => replica.getState().n === 5 && replica.sync.getState().pending === 0);
      expect(host.getState()).toEqual({ n: 5 });
      // Besides the events, each asks its module's context who the page's user is (#21: the caller).
      const used = new Set(calls.map((c) => (c.method === 'getContext' ? c.method : `${c.method} ${c.args.event}`)));
      expect([...used].sort()).toEqual(['emit bgstore:counter:down', 'emit bgstore:counter:up', 'getContext', 'on bgstore:counter:down', `on bgstore:counter:down:${replica.clientId}`, 'on bgstore:counter:up']);
    } finally {
      // Closed whatever failed: a host left open would keep Jest from exiting.
      replica.close();
      host.close();
    }
    await until(() => bridge.listening() === 0);
  });
});
