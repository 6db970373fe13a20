// Every message, defined once: its fields in wire order, each with its codec (schema.ts). The
// message types below, `encodeMessage` / `unpackMessage` (wire.ts) and the checks of
// `decodeMessage` (decode.ts) all derive from `MESSAGES`. PROTOCOL.md §Messages and §Wire form.
import { SYNC_ERROR_CODES } from './errors';
import {
  count,
  fail,
  id,
  type Codec,
  type InferBody,
  isCount,
  isList,
  isName,
  isSeq,
  json,
  list,
  message,
  nullable,
  oneOf,
  optional,
  orElse,
  refine,
  seq,
  type Simplify,
  text,
} from './schema';
import { isId } from './vocabulary';

/** The protocol version every message carries; a peer ignores messages of another version. */
export const PROTOCOL_VERSION = 2;

/** An immer patch as it travels: JSON, with an array path. */
export interface WirePatch {
  op: 'add' | 'replace' | 'remove';
  path: (string | number)[];
  value?: unknown;
}

const OPS = ['add', 'replace', 'remove'] as const;

/** `[op, ...path, value]`: op 0 add, 1 replace, 2 remove (which has no value). */
const patch: Codec<WirePatch> = {
  pack: (p) => (p.op === 'remove' ? [2, ...p.path] : [OPS.indexOf(p.op), ...p.path, p.value]),
  unpack(raw, what) {
    const a = isList(raw, what);
    const op = a[0] === 0 || a[0] === 1 || a[0] === 2 ? OPS[a[0]] : fail(`${what} has op ${typeof a[0] === 'number' ? a[0] : typeof a[0]}`);
    if (op !== 'remove' && a.length < 2) fail(`${what} has no value`);
    const path = op === 'remove' ? a.slice(1) : a.slice(1, -1);
    if (!path.every((k) => typeof k === 'string' || isCount(k))) fail(`${what} has a bad path`);
    return op === 'remove' ? { op, path: path as WirePatch['path'] } : { op, path: path as WirePatch['path'], value: a[a.length - 1] };
  },
};

/** One action call from a replica: `clientId` is the message's `from`. */
export interface WireIntent {
  seq: number;
  name: string;
  args: unknown[];
}

/** `[seq, name, ...args]`. */
const intent: Codec<WireIntent> = {
  pack: (it) => [it.seq, it.name, ...it.args],
  unpack(raw, what) {
    const a = isList(raw, what);
    return isSeq(a[0]) && isName(a[1]) ? { seq: a[0], name: a[1], args: a.slice(2) } : fail(process.env.NODE_ENV !== 'production' ? `${what} must be [seq, name, ...args]` : what);
  },
};

/** `[clientId, seq, seq, clientId, seq…]`: a string starts a client, the numbers after it are its seqs. */
const pairs: Codec<[clientId: string, seq: number][]> = {
  pack(list) {
    const out: unknown[] = [];
    let last: string | undefined;
    for (const [client, seq] of list) {
      if (client !== last) out.push((last = client));
      out.push(seq);
    }
    return out;
  },
  unpack(raw, what) {
    const out: [string, number][] = [];
    let client: unknown;
    for (const x of isList(raw, what)) {
      if (typeof x === 'string') client = x;
      else out.push(isId(client) && isSeq(x) ? [client, x] : fail(process.env.NODE_ENV !== 'production' ? `${what} must be [clientId, seq, seq, clientId, seq…]` : what));
    }
    return out;
  },
};

/** How far the host's state is saved, for "Saving…", "Saved", "Couldn't save, retrying". */
export interface DurableStatus {
  /** The stored document's revision the host last loaded or wrote. */
  revision: number;
  /** Accepted intents not yet committed to storage. */
  unsaved: number;
  /** A commit is in flight. */
  saving: boolean;
  /** Why the last load or commit failed (the host retries), or null. */
  error: { code: string; message: string } | null;
  /**
   * While the installation's Forge quota is spent (`error.code` is `RATE_LIMITED`): when (epoch ms,
   * the host's clock) the host tries storage again. Unsaved actions wait, none is lost; absent when
   * not throttled.
   */
  throttledUntil?: number;
}

/** `[revision, unsaved, saving (0 | 1), errorCode?, errorMessage?, throttledUntil?]`. */
const durable: Codec<DurableStatus> = {
  pack: (d) => [d.revision, d.unsaved, d.saving ? 1 : 0, ...(d.error ? [d.error.code, d.error.message, ...(d.throttledUntil === undefined ? [] : [d.throttledUntil])] : [])],
  unpack(raw, what) {
    const a = isList(raw, what);
    const [revision, unsaved, saving, code, message, until] = a;
    if (!isCount(revision) || !isCount(unsaved) || (saving !== 0 && saving !== 1)) fail(process.env.NODE_ENV !== 'production' ? `${what} must be [revision, unsaved, saving (0 | 1), …]` : what);
    if (a.length > 3 && (typeof code !== 'string' || typeof message !== 'string')) fail(process.env.NODE_ENV !== 'production' ? `${what} has an error without code and message` : what);
    if (a.length > 5 && !isCount(until)) fail(process.env.NODE_ENV !== 'production' ? `${what} has a throttledUntil that is not a time` : what);
    const error = a.length > 3 ? { code: code as string, message: message as string } : null;
    return { revision: revision as number, unsaved: unsaved as number, saving: saving === 1, error, ...(a.length > 5 ? { throttledUntil: until as number } : {}) };
  },
};

/** A patch's `next`, sent as its span `next - base`, left out when 1. */
const next: Codec<number> = {
  pack: (n, m) => (n - (m.base as number) === 1 ? undefined : n - (m.base as number)),
  unpack(raw, what, m) {
    const span = raw ?? 1;
    const n = typeof span === 'number' ? (m.base as number) + span : NaN;
    return isCount(n) && n > (m.base as number) ? n : fail(`${what}: a patch needs base < next`);
  },
};

const HOST = { host: true } as const;

/** A yes that travels as `1` (absent is no). */
const flag: Codec<true> = { pack: () => 1, unpack: (raw, what) => (raw === 1 ? true : fail(`${what} must be 1`)) };

/** Every message's schema, by type. */
export const MESSAGES = {
  hello: message('hello', 'h', {
    /** The epoch the replica has, or null. */
    epoch: nullable(id),
    /** The version the replica has, or null. */
    version: nullable(count),
    /** The replica's build of the store definition (`fingerprintOf`); absent from older builds. */
    fingerprint: optional(id),
    /** The replica listens on its own inbox (`inboxEvent`): the answer goes there, so no other module parses it. */
    inbox: optional(flag),
  }),
  intents: message('intents', 'i', {
    items: list(intent, 1),
    /** Every seq below it has its final answer at the sender (the client table's `floor` plus one); sent only when it differs from the first item's seq. */
    settledBelow: orElse(seq, (m) => (m.items as WireIntent[])[0]?.seq),
  }),
  beat: message(
    'beat',
    'b',
    {
      version: count,
      to: optional(id),
      /** Present when the host persists; absent when its state lives in memory only. */
      durable: optional(durable),
      /** A digest of the host's state at `version` (`stateDigest`), sent now and then: a replica at that version compares. */
      digest: optional(id),
    },
    HOST,
  ),
  snapshot: message(
    'snapshot',
    's',
    {
      version: count,
      state: json,
      to: optional(id),
      durable: optional(durable),
      /** The host's build of the store definition; a replica of another build does not apply the state. */
      fingerprint: optional(id),
      /** The asker's short name in this boot: acks and saved lists name it so (`.` and base 36). */
      alias: optional(id),
    },
    HOST,
  ),
  status: message(
    'status',
    't',
    {
      /** The host's version when it sent this: `saved` intents are in its state as of it. */
      version: count,
      durable,
      saved: optional(pairs),
    },
    HOST,
  ),
  patch: message('patch', 'p', { base: count, patches: list(patch), acks: optional(pairs), to: optional(id), next }, HOST),
  ack: message(
    'ack',
    'a',
    {
      to: id,
      version: count,
      seqs: list(seq),
      /** Those of `seqs` that storage already has (hosts that persist). */
      saved: optional(list(seq)),
    },
    HOST,
  ),
  reject: message('reject', 'r', { to: id, seq, code: oneOf(SYNC_ERROR_CODES, 'a SyncErrorCode'), message: text }),
  chunk: message('chunk', 'c', {
    id,
    i: count,
    n: refine(seq, (n, m) => (m.i as number) < n, 'chunk needs i < n'),
    data: text,
    /** The whole message's addressee: other peers skip these pieces without joining them. */
    to: optional(id),
  }),
};

/** Fields of every message. */
export interface Envelope {
  /** Protocol version; also marks the message as bgstore's. */
  bgstore: typeof PROTOCOL_VERSION;
  /** The store's name: several stores share the bus. */
  store: string;
  /** The sender's id: a replica's client id, or a host's epoch. */
  from: string;
}

/** The object form of the message a schema of {@link MESSAGES} describes. */
export type InferMessage<S> = Simplify<Envelope & InferBody<S>>;

/** Replica → host: "bring me up to date". `epoch`/`version` are what it has, or null. */
export type HelloMessage = InferMessage<typeof MESSAGES.hello>;
/**
 * Replica → host: action calls. Every seq below `settledBelow` has its final answer at the sender,
 * which will never send it again (it is the client table's `floor` plus one).
 */
export type IntentsMessage = InferMessage<typeof MESSAGES.intents>;
/** Host → replicas: "I am epoch E at version V" — on start, when idle, and as an up-to-date reply. */
export type BeatMessage = InferMessage<typeof MESSAGES.beat>;
/** Host → replica(s): the whole state at `version`. */
export type SnapshotMessage = InferMessage<typeof MESSAGES.snapshot>;
/** Host → replicas: the durability status changed; `saved` lists intents now in storage. */
export type StatusMessage = InferMessage<typeof MESSAGES.status>;
/** Host → replicas: patches taking `base` to `next`; `acks` lists the intents they include. */
export type PatchMessage = InferMessage<typeof MESSAGES.patch>;
/** Host → replica: these intents are applied, their effects included as of `version`. */
export type AckMessage = InferMessage<typeof MESSAGES.ack>;
/** Host → replica: this intent was refused and changed nothing. */
export type RejectMessage = InferMessage<typeof MESSAGES.reject>;
/** One piece of a message too large to send whole; `data` pieces joined are the message's JSON. */
export type ChunkMessage = InferMessage<typeof MESSAGES.chunk>;

/** Every message a replica sends. */
export type UpMessage = HelloMessage | IntentsMessage;
/** Every message a host sends. */
export type DownMessage = BeatMessage | SnapshotMessage | PatchMessage | AckMessage | RejectMessage | StatusMessage;
/** Every message. */
export type Message = UpMessage | DownMessage | ChunkMessage;

/** The bus event a store's replicas send on. */
export const upEvent = (store: string) => `bgstore:${store}:up`;
/** The bus event a store's host sends on. */
export const downEvent = (store: string) => `bgstore:${store}:down`;
/**
 * The bus event only one replica listens on: the answers to its hellos that say `inbox` (a snapshot
 * of a big state is parsed by the module that asked, not by every module of the page).
 */
export const inboxEvent = (store: string, clientId: string) => `bgstore:${store}:down:${clientId}`;
