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

/** Sends `message` to every replica, or to the inbox of the replica named by `inbox` alone. */
export function send<TState>(t: Turn<TState>, message: DownMessage, inbox?: string) {
  // Only what every replica hears puts off the heartbeat: they tell from it that the host is alive.
  if (inbox === undefined) t.m.lastSentAt = t.now;
  t.out.push(inbox === undefined ? { type: 'send', message } : { type: 'send', message, inbox });
}
