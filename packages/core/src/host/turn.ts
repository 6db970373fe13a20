// One step's work on the host machine, shared by its handlers: the machine, the time, the effects.
import { PROTOCOL_VERSION, type DownMessage } from '@bgstore/protocol';
import type { HostEffect, HostMachine } from './state';

/** One step's work on a machine: the handlers share `m`, `now` and the effects list. */
export interface Turn<TState> {
  readonly m: HostMachine<TState>;
  readonly now: number;
  readonly out: HostEffect[];
}

export function env<TState>(t: Turn<TState>) {
  return { bgstore: PROTOCOL_VERSION, store: t.m.definition.name, from: t.m.epoch, epoch: t.m.epoch } as const;
}

export function send<TState>(t: Turn<TState>, message: DownMessage) {
  t.m.lastSentAt = t.now;
  t.out.push({ type: 'send', message });
}
