import type { ChunkMessage, Message } from './messages';
import { encodeMessage, type WireMessage } from './wire';

/** One payload to emit, with the length of its JSON. */
export interface Frame {
  /** The wire form of the message, or of one of its chunks. */
  payload: WireMessage;
  /** Its JSON's length; a chunk's counts its piece's characters unescaped (its JSON is longer by the piece's quotes and backslashes). */
  size: number;
}

/**
 * Encodes a message in its wire form, splitting it into chunk messages when its JSON is longer
 * than `maxSize` characters. Returns what to emit, in order.
 */
export function encodeFrames(message: Message, maxSize: number, nextId: () => string): Frame[] {
  const payload = encodeMessage(message);
  const json = JSON.stringify(payload);
  if (json.length <= maxSize) return [{ payload, size: json.length }];
  // Leave room for the chunk's own fields.
  const size = Math.max(256, maxSize - 256);
  const n = Math.ceil(json.length / size);
  const id = nextId();
  const to = 'to' in message ? message.to : undefined;
  return Array.from({ length: n }, (_, i): Frame => {
    const chunk: ChunkMessage = { bgstore: message.bgstore, store: message.store, from: message.from, type: 'chunk', id, i, n, data: json.slice(i * size, (i + 1) * size), ...(to === undefined ? {} : { to }) };
    const wire = encodeMessage(chunk);
    // A piece is counted as its characters: writing it out once more to count the escapes its
    // quotes get (the bus writes it anyway) was a fifth of a 100,000-item snapshot's cost to the host.
    return { payload: wire, size: JSON.stringify(encodeMessage({ ...chunk, data: '' })).length + chunk.data.length };
  });
}

/** Reassembles chunked messages; incomplete ones expire. */
export interface Reassembler {
  /** Adds a chunk; returns the whole message's JSON text once every piece is in. */
  add(chunk: ChunkMessage, now: number): string | undefined;
  /** Drops incomplete messages older than the time to live; call it from a timer (`nextExpiry`). */
  expire(now: number): void;
  /** When the oldest incomplete message expires, or undefined when none is held. */
  nextExpiry(): number | undefined;
  /** Chunked messages still incomplete. */
  pending(): number;
  /** Characters held in incomplete messages. */
  bytes(): number;
  /** How many incomplete messages were dropped (expired or over budget). */
  dropped(): number;
}

/**
 * Creates a {@link Reassembler} that keeps at most `maxPending` partial messages, of at most
 * `maxBytes` characters in all (the oldest go first), for `ttlMs` each.
 */
export function createReassembler(options: { ttlMs?: number; maxPending?: number; maxBytes?: number } = {}): Reassembler {
  const ttl = options.ttlMs ?? 10_000;
  const maxPending = options.maxPending ?? 16;
  const maxBytes = options.maxBytes ?? 8_000_000;
  const partial = new Map<string, { parts: (string | undefined)[]; got: number; started: number; bytes: number }>();
  let held = 0;
  let dropped = 0;
  const drop = (key: string) => {
    const p = partial.get(key);
    if (!p) return;
    partial.delete(key);
    held -= p.bytes;
    dropped++;
  };
  const expire = (now: number) => {
    for (const [key, p] of partial) if (now - p.started > ttl) drop(key);
  };
  return {
    add(chunk, now) {
      expire(now);
      const key = `${chunk.from}|${chunk.id}`;
      let p = partial.get(key);
      if (!p) {
        if (partial.size >= maxPending) drop(partial.keys().next().value!);
        p = { parts: new Array(chunk.n), got: 0, started: now, bytes: 0 };
        partial.set(key, p);
      }
      if (p.parts.length !== chunk.n || chunk.i >= chunk.n) return undefined;
      if (p.parts[chunk.i] === undefined) {
        p.parts[chunk.i] = chunk.data;
        p.got++;
        p.bytes += chunk.data.length;
        held += chunk.data.length;
        while (held > maxBytes && partial.size > 0) {
          const oldest = partial.keys().next().value!;
          drop(oldest);
          if (oldest === key) return undefined;
        }
      }
      if (p.got < chunk.n) return undefined;
      partial.delete(key);
      held -= p.bytes;
      return p.parts.join('');
    },
    expire,
    nextExpiry() {
      let at: number | undefined;
      for (const p of partial.values()) at = Math.min(at ?? Infinity, p.started + ttl + 1);
      return at;
    },
    pending: () => partial.size,
    bytes: () => held,
    dropped: () => dropped,
  };
}
