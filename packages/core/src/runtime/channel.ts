import { createReassembler, decodeMessage, encodeFrames, errorText, type IgnoreReason, type Message } from '@bgstore/protocol';
import type { Clock, Logger, Transport, Unsubscribe } from './ports';

/** Message counters of one peer. */
export interface ChannelStats {
  sent: number;
  /** JSON characters sent (chunks included; a chunk's piece counted before the bus escapes its quotes). */
  bytesSent: number;
  received: number;
  /** Messages ignored, by reason; `echo` = the peer's own message came back. */
  ignored: Partial<Record<IgnoreReason | 'echo' | 'unexpected', number>>;
  sendErrors: number;
  /** Pieces of long messages addressed to another peer, skipped without joining them. */
  chunksSkipped: number;
  /** Characters held in half-received long messages (bounded, and expired by the peer's timer). */
  chunkBytesHeld: number;
  /** Half-received long messages dropped (expired or over budget). */
  chunksDropped: number;
}

/** A peer's link to the bus: validated messages in, framed (chunked when large) messages out. */
export interface Channel {
  /** Emits `message` on the channel's `send` event, or on `event` (a replica's inbox). */
  send(message: Message, event?: string): void;
  /** Counts a decoded message the peer had no use for (e.g. a host message on the replica channel). */
  ignore(reason: 'unexpected'): void;
  stats(): ChannelStats;
  /** When held pieces of long messages next expire (for the peer's wake-up), and the expiry itself. */
  nextWake(): number | undefined;
  tick(now: number): void;
  close(): void;
}

export interface ChannelOptions {
  transport: Transport;
  store: string;
  id: string;
  listen: string;
  /** A second event this peer listens on (a replica's inbox); `onReady` runs once it is subscribed. */
  inbox?: { event: string; onReady(): void };
  send: string;
  clock: Clock;
  maxMessageSize: number;
  createId: () => string;
  logger?: Logger;
  onMessage: (message: Message) => void;
}

const toFunction = (u: Unsubscribe): (() => void) => (typeof u === 'function' ? u : () => u.unsubscribe());

/**
 * Subscribes `handler` to `event` on the transport (whose `on` may answer with a promise); `ready`
 * runs once the subscription is in place. Returns how to unsubscribe.
 */
function listen(o: ChannelOptions, event: string, handler: (payload: unknown) => void, failed: () => void, isClosed: () => boolean, ready?: () => void): () => void {
  let unsubscribe: (() => void) | undefined;
  try {
    const sub = o.transport.on(event, handler);
    if (sub && typeof (sub as Promise<Unsubscribe>).then === 'function') {
      (sub as Promise<Unsubscribe>).then((u) => {
        unsubscribe = toFunction(u);
        if (isClosed()) unsubscribe();
        else ready?.();
      }, failed);
    } else {
      unsubscribe = toFunction(sub as Unsubscribe);
      ready?.();
    }
  } catch (error) {
    throw new Error(`[bgstore] ${o.store}: could not subscribe to '${event}': ${errorText(error)}`, { cause: error });
  }
  return () => unsubscribe?.();
}

/** The inbox is an optimisation: one that cannot be subscribed is never claimed, and answers come on the shared event. */
function listenInbox(o: ChannelOptions, handler: (payload: unknown) => void, failed: () => void, isClosed: () => boolean): () => void {
  if (!o.inbox) return () => undefined;
  try {
    return listen(o, o.inbox.event, handler, failed, isClosed, o.inbox.onReady);
  } catch {
    failed();
    return () => undefined;
  }
}

/** Opens a {@link Channel}: never throws on bad input; everything ignored is counted and logged once per reason. */
export function createChannel(o: ChannelOptions): Channel {
  const stats: ChannelStats = { sent: 0, bytesSent: 0, received: 0, ignored: {}, sendErrors: 0, chunksSkipped: 0, chunkBytesHeld: 0, chunksDropped: 0 };
  const reassembler = createReassembler();
  const logged = new Set<string>();
  let closed = false;

  const ignore = (reason: keyof ChannelStats['ignored'], detail: string) => {
    stats.ignored[reason] = (stats.ignored[reason] ?? 0) + 1;
    if (reason !== 'echo' && !logged.has(reason)) {
      logged.add(reason);
      (o.logger ?? console).warn(`[bgstore] ${o.store}: ignoring a message (${reason}: ${detail})${process.env.NODE_ENV !== 'production' ? '; further ones of this kind are only counted' : ''}`);
    }
  };

  const receive = (payload: unknown, depth = 0) => {
    if (closed) return;
    const decoded = decodeMessage(payload, o.store);
    if (!decoded.ok) return ignore(decoded.reason, decoded.detail);
    const message = decoded.message;
    if (message.from === o.id) return ignore('echo', '');
    if (message.type === 'chunk') {
      if (depth > 0) return ignore('malformed', 'a chunk inside a chunk');
      if (message.to !== undefined && message.to !== o.id) return void stats.chunksSkipped++;
      const json = reassembler.add(message, o.clock.now());
      if (json === undefined) return;
      let whole: unknown;
      try {
        whole = JSON.parse(json);
      } catch {
        return ignore('malformed', 'chunks do not join into JSON');
      }
      return receive(whole, depth + 1);
    }
    stats.received++;
    o.onMessage(message);
  };

  const handler = (payload: unknown) => {
    try {
      receive(payload);
    } catch (error) {
      // A bug in a handler must not take the module down; it surfaces once in the log.
      ignore('malformed', `handler threw ${errorText(error)}`);
    }
  };

  const failed = () => ignore('malformed', 'transport.on failed');
  const stop = listen(o, o.listen, handler, failed, () => closed);
  const stopInbox = listenInbox(o, handler, failed, () => closed);

  return {
    send(message, event = o.send) {
      if (closed) return;
      for (const { payload: frame, size } of encodeFrames(message, o.maxMessageSize, o.createId)) {
        stats.sent++;
        stats.bytesSent += size;
        try {
          const r = o.transport.emit(event, frame);
          if (r && typeof (r as Promise<unknown>).then === 'function') (r as Promise<unknown>).then(undefined, () => stats.sendErrors++);
        } catch {
          stats.sendErrors++;
        }
      }
    },
    ignore: (reason) => ignore(reason, 'not a message this peer handles'),
    stats: () => ({ ...structuredClone(stats), chunkBytesHeld: reassembler.bytes(), chunksDropped: reassembler.dropped() }),
    nextWake: () => reassembler.nextExpiry(),
    tick: (now) => reassembler.expire(now),
    close() {
      closed = true;
      stop();
      stopInbox();
    },
  };
}
