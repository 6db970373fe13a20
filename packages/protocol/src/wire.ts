// The compact wire form of a message: a positional JSON array. Peers build and read the object
// form; only the channel sees arrays. Both directions derive from the schemas in messages.ts.
// PROTOCOL.md §Wire form is the reference.
import { MESSAGES, type Message } from './messages';
import { fail, type Fields, type MessageSchema } from './schema';

/** The first four slots of every message: protocol version, store name, type tag, sender id. */
export type WireMessage = [version: number, store: string, tag: string, from: string, ...body: unknown[]];

const SCHEMAS: Record<string, MessageSchema> = MESSAGES;
const BY_TAG: Record<string, MessageSchema> = Object.fromEntries(Object.values(SCHEMAS).map((s) => [s.tag, s]));

/**
 * The wire form of a message. Host messages name their epoch once, in the sender slot: a host's id
 * is its epoch.
 * @example
 * transport.emit(downEvent('board'), encodeMessage({ bgstore: 2, store: 'board', from: e, type: 'beat', epoch: e, version: 3 }));
 */
export function encodeMessage(m: Message): WireMessage {
  const s = SCHEMAS[m.type]!;
  const fields = m as Fields;
  if (s.host && fields.epoch !== m.from) throw new Error(`[bgstore] a ${m.type} message must come from its epoch`);
  const body = s.slots.map(([key, codec]) => (fields[key] === undefined ? undefined : codec.pack(fields[key], fields)));
  // Trailing absent slots are dropped; an absent slot before a present one travels as null.
  let end = body.length;
  while (end > 0 && body[end - 1] === undefined) end--;
  return [m.bgstore, m.store, s.tag, m.from, ...body.slice(0, end).map((x) => (x === undefined ? null : x))];
}

/**
 * The object form of a wire array whose first four slots were checked. Throws
 * `WireShapeError` (schema.ts) when a field does not have its schema's shape.
 */
export function unpackMessage(w: WireMessage): Message {
  const [bgstore, store, tag, from] = w;
  const s = Object.hasOwn(BY_TAG, tag) ? BY_TAG[tag]! : fail(`unknown message type ${JSON.stringify(tag)}`);
  const m: Record<string, unknown> = { bgstore, store, from, type: s.type };
  if (s.host) m.epoch = from;
  s.slots.forEach(([key, codec], i) => {
    const value = codec.unpack(w[4 + i], `${s.type}.${key}`, m);
    if (value !== undefined) m[key] = value;
  });
  return m as Message;
}
