import type { Clock } from './clock';
import { planDelivery, type EventFaults } from './faults';
import type { Random } from './random';

/** A subscriber's handle, as `@forge/bridge` `events.on` resolves it. */
export interface Subscription {
  unsubscribe(): void;
}

/** One endpoint on the bus: a module instance. */
export interface BusMember {
  /** Unique per instance (a restarted module gets a new id). */
  id: string;
  /** The manifest module key. */
  moduleKey: string;
  /** The app the module belongs to; plain events stay inside an app, public ones cross apps. */
  appId: string;
  /** Parses a payload's JSON into the receiver's realm. @default JSON.parse */
  parse?: (json: string) => unknown;
}

/** What happened to one delivery, for tests and the playground's inspector. */
export interface DeliveryRecord {
  event: string;
  from: string;
  to: string;
  public: boolean;
  bytes: number;
  fate: 'delivered' | 'dropped' | 'duplicated' | 'delayed' | 'gone';
  delayMs: number;
}

/** Counters over every emit since the bus was made. */
export interface BusStats {
  emitted: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  delayed: number;
  bytes: number;
  listenerErrors: number;
}

/** Options for {@link createEventBus}. */
export interface EventBusOptions {
  clock: Clock;
  random: Random;
  /** Faults to inject; can be changed later with `setFaults`. */
  faults?: EventFaults;
  /**
   * Whether an emitter's own listeners receive its events. Forge does not document it, so both
   * answers must work. @default true
   */
  selfDelivery?: boolean;
  /** Called when a listener throws; the error stays in the receiving module, as in an iframe. */
  onListenerError?: (error: unknown, member: BusMember, event: string) => void;
}

/** The page's event router behind `emit`/`on`/`emitPublic`/`onPublic`. */
export interface EventBus {
  subscribe(member: BusMember, event: string, callback: (payload: unknown) => unknown, isPublic?: boolean): Subscription;
  emit(member: BusMember, event: string, payload: unknown, isPublic?: boolean): void;
  /** Removes every subscription a module instance holds (it was unloaded or restarted). */
  removeMember(memberId: string): void;
  setFaults(faults: EventFaults | undefined): void;
  setSelfDelivery(on: boolean): void;
  /** Watches every delivery decision; returns a function that stops watching. */
  observe(listener: (record: DeliveryRecord) => void): () => void;
  stats(): BusStats;
  /** Deliveries scheduled but not yet made. */
  inFlight(): number;
}

interface Sub {
  member: BusMember;
  event: string;
  isPublic: boolean;
  callback: (payload: unknown) => unknown;
  active: boolean;
}

/** Serialises a payload once; each receiver parses its own copy, so none shares objects with the emitter. */
function encodePayload(payload: unknown): { json: string | undefined; bytes: number } {
  const json = payload === undefined ? undefined : JSON.stringify(payload);
  return { json, bytes: json?.length ?? 0 };
}

/**
 * Creates the event router of one page. Nothing is buffered: an event reaches only the
 * subscriptions that exist when it is emitted. Deliveries without delay happen on a microtask,
 * in emit order per link; delayed ones wait on the clock.
 */
export function createEventBus(options: EventBusOptions): EventBus {
  const { clock, random } = options;
  let faults = options.faults;
  let selfDelivery = options.selfDelivery ?? true;
  const subs = new Set<Sub>();
  const traffic: Traffic = {
    stats: { emitted: 0, delivered: 0, dropped: 0, duplicated: 0, delayed: 0, bytes: 0, listenerErrors: 0 },
    inFlight: 0,
    observers: new Set(),
    onListenerError: options.onListenerError,
  };
  const { stats } = traffic;

  return {
    subscribe(member, event, callback, isPublic = false) {
      if (typeof event !== 'string') throw new TypeError('[emulator] events.on needs a string event name');
      if (typeof callback !== 'function') throw new TypeError('[emulator] events.on needs a callback function');
      const sub: Sub = { member, event, isPublic, callback, active: true };
      subs.add(sub);
      return {
        unsubscribe() {
          sub.active = false;
          subs.delete(sub);
        },
      };
    },

    emit(member, event, payload, isPublic = false) {
      if (typeof event !== 'string') throw new TypeError('[emulator] events.emit needs a string event name');
      const { json, bytes } = encodePayload(payload);
      stats.emitted++;
      for (const sub of [...subs]) {
        if (sub.event !== event || sub.isPublic !== isPublic) continue;
        if (!isPublic && sub.member.appId !== member.appId) continue;
        if (sub.member.id === member.id && !selfDelivery) continue;
        const base = { event, from: member.id, to: sub.member.id, public: isPublic, bytes };
        const plan = planDelivery(faults, random, [member.id, member.moduleKey], [sub.member.id, sub.member.moduleKey]);
        send(traffic, clock, sub, json, base, plan.copies);
      }
    },

    removeMember(memberId) {
      for (const sub of subs) {
        if (sub.member.id === memberId) {
          sub.active = false;
          subs.delete(sub);
        }
      }
    },

    setFaults(next) {
      faults = next;
    },
    setSelfDelivery(on) {
      selfDelivery = on;
    },
    observe(listener) {
      traffic.observers.add(listener);
      return () => traffic.observers.delete(listener);
    },
    stats: () => ({ ...stats }),
    inFlight: () => traffic.inFlight,
  };
}

/** The bus's counters and watchers, shared by the functions that move one event. */
interface Traffic {
  stats: BusStats;
  /** Deliveries scheduled but not yet made. */
  inFlight: number;
  observers: Set<(record: DeliveryRecord) => void>;
  onListenerError?: EventBusOptions['onListenerError'];
}

/** Schedules the copies a delivery plan made of one event for one subscription: none is a drop. */
function send(t: Traffic, clock: Clock, sub: Sub, json: string | undefined, base: Omit<DeliveryRecord, 'fate' | 'delayMs'>, copies: readonly number[]): void {
  const { stats } = t;
  if (copies.length === 0) {
    stats.dropped++;
    report(t, { ...base, fate: 'dropped', delayMs: 0 });
    return;
  }
  if (copies.length > 1) stats.duplicated++;
  copies.forEach((ms, i) => {
    t.inFlight++;
    stats.bytes += base.bytes;
    const fate = i > 0 ? 'duplicated' : ms > 0 ? 'delayed' : 'delivered';
    const record: DeliveryRecord = { ...base, fate, delayMs: ms };
    if (ms > 0) {
      stats.delayed++;
      clock.setTimeout(() => deliver(t, sub, json, record), ms);
    } else {
      queueMicrotask(() => deliver(t, sub, json, record));
    }
  });
}

function report(t: Traffic, record: DeliveryRecord): void {
  for (const o of t.observers) o(record);
}

function deliver(t: Traffic, sub: Sub, json: string | undefined, record: DeliveryRecord): void {
  t.inFlight--;
  if (!sub.active) {
    report(t, { ...record, fate: 'gone' });
    return;
  }
  t.stats.delivered++;
  report(t, record);
  try {
    const result = sub.callback(json === undefined ? undefined : (sub.member.parse ?? JSON.parse)(json));
    if (result && typeof (result as Promise<unknown>).then === 'function') {
      (result as Promise<unknown>).then(undefined, (error) => listenerError(t, error, sub));
    }
  } catch (error) {
    listenerError(t, error, sub);
  }
}

function listenerError(t: Traffic, error: unknown, sub: Sub): void {
  t.stats.listenerErrors++;
  t.onListenerError?.(error, sub.member, sub.event);
}
