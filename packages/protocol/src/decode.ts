// Checks a received payload against the message schemas (messages.ts) and returns its object form.
import { PROTOCOL_VERSION, type Message } from './messages';
import { fail, WireShapeError } from './schema';
import { isId } from './vocabulary';
import { unpackMessage, type WireMessage } from './wire';

/** Why a received message was ignored; peers count these and never throw. */
export type IgnoreReason = 'not-bgstore' | 'other-protocol' | 'foreign-store' | 'malformed';

/** The result of {@link decodeMessage}. */
export type Decoded = { ok: true; message: Message } | { ok: false; reason: IgnoreReason; detail: string };

const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Validates a received wire payload as a message of `store` and returns its object form. Never
 * throws: anything else comes back with the reason it is ignored.
 * @example
 * const d = decodeMessage(payload, 'board');
 * if (!d.ok) stats.ignored[d.reason]++;
 */
export function decodeMessage(raw: unknown, store: string): Decoded {
  if (isObj(raw) && 'bgstore' in raw) return { ok: false, reason: 'other-protocol', detail: `protocol ${String(raw.bgstore)}, expected ${PROTOCOL_VERSION}` };
  if (!Array.isArray(raw) || typeof raw[0] !== 'number') return { ok: false, reason: 'not-bgstore', detail: process.env.NODE_ENV !== 'production' ? 'not a [version, store, type, from, …] array' : 'not an array' };
  if (raw[0] !== PROTOCOL_VERSION) return { ok: false, reason: 'other-protocol', detail: `protocol ${raw[0]}, expected ${PROTOCOL_VERSION}` };
  if (raw[1] !== store) return { ok: false, reason: 'foreign-store', detail: `store ${JSON.stringify(raw[1])}` };
  try {
    if (typeof raw[2] !== 'string') fail('the type tag must be a string');
    // A leading `.` is an alias's (a host-assigned short name): no sender may take one (#18.9).
    if (!isId(raw[3]) || raw[3].startsWith('.')) fail(process.env.NODE_ENV !== 'production' ? 'the sender id must be an id that does not start with "."' : 'bad sender');
    return { ok: true, message: unpackMessage(raw as WireMessage) };
  } catch (error) {
    if (error instanceof WireShapeError) return { ok: false, reason: 'malformed', detail: error.message };
    throw error;
  }
}
