import type { Message } from '@bgstore/protocol';
import { createChannel, type Channel, type ChannelOptions } from './channel';
import { createWakeup, type Wakeup } from './schedule';

/** What a host or replica needs to be wired to the bus and the clock. */
export interface PeerOptions extends Omit<ChannelOptions, 'onMessage'> {
  /** Which message types this peer handles; others are counted as `unexpected`. */
  accepts: readonly Message['type'][];
  /** A handled message arrived. */
  onMessage(message: Message): void;
  /** When the peer's machine next needs a tick. */
  nextWake(): number | undefined;
  /** The machine's tick is due. */
  onTick(): void;
}

/**
 * A peer's channel and its one wake-up timer: the timer serves both the machine's deadlines and the
 * channel's (half-received long messages expire on it).
 */
export function connectPeer(o: PeerOptions): { channel: Channel; wake: Wakeup } {
  const channel = createChannel({
    ...o,
    onMessage(message) {
      if (!o.accepts.includes(message.type)) return channel.ignore('unexpected');
      o.onMessage(message);
    },
  });
  const wake = createWakeup(
    o.clock,
    () => {
      const a = o.nextWake();
      const b = channel.nextWake();
      return a === undefined ? b : b === undefined ? a : Math.min(a, b);
    },
    () => {
      channel.tick(o.clock.now());
      o.onTick();
    },
  );
  return { channel, wake };
}
