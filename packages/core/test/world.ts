// A test world: one page's event bus from the emulator (faults, seeded), a manual clock, and
// transports for any number of hosts and replicas.
import { createEventBus, createManualClock, createRandom, type EventBus, type EventFaults, type ManualClock } from '@bgstore/emulator';
import type { Transport } from '../src';

export interface World {
  clock: ManualClock;
  bus: EventBus;
  transport(name: string): Transport;
  /** Lets every queued delivery and due timer run, `ms` of clock time. */
  run(ms?: number): Promise<void>;
}

export function createWorld(options: { seed?: number; faults?: EventFaults; selfDelivery?: boolean; trace?: boolean } = {}): World {
  const clock = createManualClock();
  const random = createRandom(options.seed ?? 1);
  const bus = createEventBus({ clock, random, faults: options.faults, selfDelivery: options.selfDelivery ?? true, onListenerError: (e) => { throw e; } });
  let n = 0;
  return {
    clock,
    bus,
    transport(name) {
      const member = { id: `${name}#${++n}`, moduleKey: name, appId: 'app' };
      const trace = (what: string, payload: unknown) => options.trace && console.log(`${clock.now()} ${member.id} ${what} ${JSON.stringify(payload).slice(0, 300)}`);
      return {
        emit: (event, payload) => {
          trace('SEND', payload);
          bus.emit(member, event, payload);
        },
        on: (event, handler) =>
          bus.subscribe(member, event, (payload) => {
            trace('RECV', payload);
            handler(payload);
          }),
      };
    },
    async run(ms = 0) {
      await clock.advanceAsync(ms);
    },
  };
}

/** A small store used across the core tests. */
export { board } from './board';
