// The compact wire form of a message: a positional JSON array. Peers build and read the object
// form (messages.ts); only the channel sees arrays. PROTOCOL.md §Wire form is the reference.
import type { DurableStatus, Message, WireIntent, WirePatch } from './messages';

/** The first four slots of every message: protocol version, store name, type tag, sender id. */
export type WireMessage = [version: number, store: string, tag: string, from: string, ...body: unknown[]];

const TAGS = { hello: 'h', intents: 'i', beat: 'b', snapshot: 's', status: 't', patch: 'p', ack: 'a', reject: 'r', chunk: 'c' } as const;
const TYPES = Object.fromEntries(Object.entries(TAGS).map(([type, tag]) => [tag, type])) as Record<string, Message['type']>;
const OPS = ['add', 'replace', 'remove'] as const;

/** Thrown (and caught by `decodeMessage`) when a wire array does not have a message's shape. */
export class WireShapeError extends Error {}

const fail = (detail: string): never => {
  throw new WireShapeError(detail);
};
const list = (v: unknown, what: string): unknown[] => (Array.isArray(v) ? v : fail(`${what} must be an array`));

/** `[op, ...path, value?]`: op 0 add, 1 replace, 2 remove; add and replace end with the value. */
const packPatch = (p: WirePatch): unknown[] => (p.op === 'remove' ? [2, ...p.path] : [OPS.indexOf(p.op), ...p.path, p.value]);
function unpackPatch(raw: unknown, i: number): WirePatch {
  const a = list(raw, `patch ${i}`);
  const op = OPS[a[0] as number] ?? fail(`patch ${i} has op ${JSON.stringify(a[0])}`);
  if (op === 'remove') return { op, path: a.slice(1) as WirePatch['path'] };
  if (a.length < 2) fail(`patch ${i} has no value`);
  return { op, path: a.slice(1, -1) as WirePatch['path'], value: a[a.length - 1] };
}

/** `[seq, name, ...args]`. */
const packIntent = (it: WireIntent): unknown[] => [it.seq, it.name, ...it.args];
function unpackIntent(raw: unknown, i: number): WireIntent {
  const a = list(raw, `intent ${i}`);
  return { seq: a[0] as number, name: a[1] as string, args: a.slice(2) };
}

/** `[clientId, seq, seq, clientId, seq…]`: a string starts a client, numbers are its seqs. */
function packPairs(pairs: [string, number][]): unknown[] {
  const out: unknown[] = [];
  let last: string | undefined;
  for (const [client, seq] of pairs) {
    if (client !== last) out.push((last = client));
    out.push(seq);
  }
  return out;
}
function unpackPairs(raw: unknown, what: string): [string, number][] {
  const out: [string, number][] = [];
  let client: string | undefined;
  for (const x of list(raw, what)) {
    if (typeof x === 'string') client = x;
    else out.push([client ?? fail(`${what} starts with a seq, not a client id`), x as number]);
  }
  return out;
}

/** `[revision, unsaved, saving (0 | 1), errorCode?, errorMessage?]`. */
const packDurable = (d: DurableStatus): unknown[] => [d.revision, d.unsaved, d.saving ? 1 : 0, ...(d.error ? [d.error.code, d.error.message] : [])];
function unpackDurable(raw: unknown): DurableStatus {
  const a = list(raw, 'durable');
  if (a[2] !== 0 && a[2] !== 1) fail('durable.saving must be 0 or 1');
  return { revision: a[0] as number, unsaved: a[1] as number, saving: a[2] === 1, error: a.length > 3 ? { code: a[3] as string, message: a[4] as string } : null };
}

/** Drops trailing absent slots; absent slots before a present one travel as null. */
function trim(a: unknown[]): unknown[] {
  let end = a.length;
  while (end > 0 && a[end - 1] === undefined) end--;
  return a.slice(0, end).map((x) => (x === undefined ? null : x));
}
const opt = <T>(v: unknown, read: (v: unknown) => T): T | undefined => (v === null || v === undefined ? undefined : read(v));
const str = (v: unknown) => v as string;
const keep = <T extends object>(o: T): T => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/**
 * The wire form of a message. Host messages name their epoch once, in the sender slot: a host's id
 * is its epoch.
 * @example
 * transport.emit(downEvent('board'), encodeMessage({ bgstore: 2, store: 'board', from: e, type: 'beat', epoch: e, version: 3 }));
 */
export function encodeMessage(m: Message): WireMessage {
  if ('epoch' in m && m.type !== 'hello' && m.epoch !== m.from) throw new Error(`[bgstore] a ${m.type} message must come from its epoch`);
  const head: WireMessage = [m.bgstore, m.store, TAGS[m.type], m.from];
  const body = (...xs: unknown[]) => [...head, ...trim(xs)] as WireMessage;
  switch (m.type) {
    case 'hello':
      return [...head, m.epoch, m.version, ...(m.fingerprint === undefined ? [] : [m.fingerprint])];
    case 'intents':
      return body(m.items.map(packIntent), m.settledBelow === m.items[0]?.seq ? undefined : m.settledBelow);
    case 'beat':
      return body(m.version, m.to, m.durable && packDurable(m.durable), m.digest);
    case 'snapshot':
      return body(m.version, m.state, m.to, m.durable && packDurable(m.durable), m.fingerprint);
    case 'status':
      return body(m.version, packDurable(m.durable), m.saved && packPairs(m.saved));
    case 'patch':
      return body(m.base, m.patches.map(packPatch), m.acks && packPairs(m.acks), m.to, m.next - m.base === 1 ? undefined : m.next - m.base);
    case 'ack':
      return body(m.to, m.version, m.seqs, m.saved);
    case 'reject':
      return body(m.to, m.seq, m.code, m.message);
    case 'chunk':
      return body(m.id, m.i, m.n, m.data, m.to);
  }
}

/**
 * The object form of a wire array whose first four slots were checked. Throws
 * {@link WireShapeError} on a wrong shape; field types are checked by the caller.
 */
export function unpackMessage(w: WireMessage): Message {
  const [bgstore, store, tag, from, ...b] = w;
  const env = { bgstore, store, from } as { bgstore: 2; store: string; from: string };
  const type = (Object.hasOwn(TYPES, tag) ? TYPES[tag] : undefined) ?? fail(`unknown message type ${JSON.stringify(tag)}`);
  const epoch = from;
  switch (type) {
    case 'hello':
      return keep({ ...env, type, epoch: b[0] as string | null, version: b[1] as number | null, fingerprint: opt(b[2], str) });
    case 'intents': {
      const items = list(b[0], 'intents.items').map(unpackIntent);
      return { ...env, type, settledBelow: (b[1] ?? items[0]?.seq) as number, items };
    }
    case 'beat':
      return keep({ ...env, type, epoch, version: b[0] as number, to: opt(b[1], str), durable: opt(b[2], unpackDurable), digest: opt(b[3], str) });
    case 'snapshot':
      return keep({ ...env, type, epoch, version: b[0] as number, state: b[1], to: opt(b[2], str), durable: opt(b[3], unpackDurable), fingerprint: opt(b[4], str) });
    case 'status':
      return keep({ ...env, type, epoch, version: b[0] as number, durable: unpackDurable(b[1]), saved: opt(b[2], (v) => unpackPairs(v, 'status.saved')) });
    case 'patch': {
      const base = b[0] as number;
      const span = b[4] ?? 1;
      return keep({ ...env, type, epoch, base, next: typeof span === 'number' ? base + span : NaN, patches: list(b[1], 'patch.patches').map(unpackPatch), acks: opt(b[2], (v) => unpackPairs(v, 'patch.acks')), to: opt(b[3], str) });
    }
    case 'ack':
      return keep({ ...env, type, to: b[0] as string, epoch, version: b[1] as number, seqs: b[2] as number[], saved: opt(b[3], (v) => list(v, 'ack.saved') as number[]) });
    case 'reject':
      return { ...env, type, to: b[0] as string, seq: b[1] as number, code: b[2] as never, message: b[3] as string };
    case 'chunk':
      return keep({ ...env, type, id: b[0] as string, i: b[1] as number, n: b[2] as number, data: b[3] as string, to: opt(b[4], str) });
  }
}
