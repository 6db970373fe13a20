import type { SyncErrorCode } from './errors';

/** The protocol version every message carries; a peer ignores messages of another version. */
export const PROTOCOL_VERSION = 2;

/** An immer patch as it travels: JSON, with an array path. */
export interface WirePatch {
  op: 'add' | 'replace' | 'remove';
  path: (string | number)[];
  value?: unknown;
}

/** One action call from a replica: `clientId` is the message's `from`. */
export interface WireIntent {
  seq: number;
  name: string;
  args: unknown[];
}

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
}

/** Fields of every message. */
export interface Envelope {
  /** Protocol version; also marks the message as bgstore's. */
  bgstore: typeof PROTOCOL_VERSION;
  /** The store's name: several stores share the bus. */
  store: string;
  /** The sender's id: a replica's client id, or a host's epoch. */
  from: string;
}

/** Replica → host: "bring me up to date". `epoch`/`version` are what it has, or null. */
export interface HelloMessage extends Envelope {
  type: 'hello';
  epoch: string | null;
  version: number | null;
  /** The replica's build of the store definition (`fingerprintOf`); absent from older builds. */
  fingerprint?: string;
}

/**
 * Replica → host: action calls. Every seq below `settledBelow` has its final answer at the sender,
 * which will never send it again (it is the client table's `floor` plus one).
 */
export interface IntentsMessage extends Envelope {
  type: 'intents';
  settledBelow: number;
  items: WireIntent[];
}

/** Host → replicas: "I am epoch E at version V" — on start, when idle, and as an up-to-date reply. */
export interface BeatMessage extends Envelope {
  type: 'beat';
  epoch: string;
  version: number;
  to?: string;
  /** Present when the host persists; absent when its state lives in memory only. */
  durable?: DurableStatus;
  /** A digest of the host's state at `version` (`stateDigest`), sent now and then: a replica at that version compares. */
  digest?: string;
}

/** Host → replica(s): the whole state at `version`. */
export interface SnapshotMessage extends Envelope {
  type: 'snapshot';
  epoch: string;
  version: number;
  state: unknown;
  to?: string;
  durable?: DurableStatus;
  /** The host's build of the store definition; a replica of another build does not apply the state. */
  fingerprint?: string;
}

/** Host → replicas: the durability status changed; `saved` lists intents now in storage. */
export interface StatusMessage extends Envelope {
  type: 'status';
  epoch: string;
  /** The host's version when it sent this: `saved` intents are in its state as of it. */
  version: number;
  durable: DurableStatus;
  saved?: [clientId: string, seq: number][];
}

/** Host → replicas: patches taking `base` to `next`; `acks` lists the intents they include. */
export interface PatchMessage extends Envelope {
  type: 'patch';
  epoch: string;
  base: number;
  next: number;
  patches: WirePatch[];
  acks?: [clientId: string, seq: number][];
  to?: string;
}

/** Host → replica: these intents are applied, their effects included as of `version`. */
export interface AckMessage extends Envelope {
  type: 'ack';
  to: string;
  epoch: string;
  version: number;
  seqs: number[];
  /** Those of `seqs` that storage already has (hosts that persist). */
  saved?: number[];
}

/** Host → replica: this intent was refused and changed nothing. */
export interface RejectMessage extends Envelope {
  type: 'reject';
  to: string;
  seq: number;
  code: SyncErrorCode;
  message: string;
}

/** One piece of a message too large to send whole; `data` pieces joined are the message's JSON. */
export interface ChunkMessage extends Envelope {
  type: 'chunk';
  id: string;
  i: number;
  n: number;
  data: string;
  /** The whole message's addressee: other peers skip these pieces without joining them. */
  to?: string;
}

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
