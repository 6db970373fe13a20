import type { ClientRecord, Outcome, StoredIntent, WirePatch } from '@bgstore/protocol';

export type { ClientRecord };

/**
 * How bgstore messages travel: `@forge/bridge` events in Forge, an in-memory bus in tests.
 * Payloads must arrive as JSON copies; delivery may be lossy, duplicated, reordered, and may or
 * may not include the sender's own messages — the protocol copes with all of it.
 */
export interface Transport {
  emit(event: string, payload: unknown): void | Promise<unknown>;
  /** Subscribes; returns (or resolves to) a function or subscription that stops it. */
  on(event: string, handler: (payload: unknown) => void): Unsubscribe | Promise<Unsubscribe>;
}

/** What {@link Transport.on} gives back: a function, or an object with `unsubscribe()` (as `@forge/bridge` returns). */
export type Unsubscribe = (() => void) | { unsubscribe(): void };

/** A source of time and timers (injected so tests control time). */
export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/**
 * Where a host keeps its state between boots: durable storage that re-runs intents on the latest
 * stored state (the resolver and KVS in Forge, `createMemoryPersistence` in tests).
 */
export interface Persistence<TState> {
  /** The stored document (a new store loads its initial state at revision 0). */
  load(): Promise<LoadedDoc<TState>>;
  /**
   * Commits a batch of intents on top of the latest stored state. `state` comes back when the
   * result is not `baseRevision`'s state with the batch applied (other tabs or users committed, or
   * some intents were already stored), so the host rebases on it.
   */
  commit(batch: CommitBatch): Promise<CommitResult<TState>>;
  /** The stored revision, cheaply, to notice other tabs' commits. Optional. */
  revision?(): Promise<number>;
  /**
   * The revision check and the reload in one call: what changed since `revision` (whose state the
   * host holds) as patches — none when nothing did — or the whole document when storage no longer
   * has the changes. A persistence with it may also answer commits with `patches`. Optional.
   */
  sync?(revision: number): Promise<LoadedChanges | LoadedDoc<TState>>;
}

/** What changed in storage after a revision the host holds. */
export interface LoadedChanges {
  since: number;
  revision: number;
  /** Patches taking `since`'s state to `revision`'s, in order; none when `revision === since`. */
  patches: WirePatch[];
}

/** A change another page committed, as it arrives without asking (Forge Realtime): patches on `base`'s state, or (without them) only that `revision` exists. */
export interface RemoteChange {
  base: number;
  revision: number;
  patches?: WirePatch[];
}

/** What `load` gives: the state, its revision, and which intents it already includes. */
export interface LoadedDoc<TState> {
  revision: number;
  state: TState;
  clients: Record<string, ClientRecord>;
}

/** A batch of accepted intents and the revision the host applied them on. */
export interface CommitBatch {
  baseRevision: number;
  intents: StoredIntent[];
  /** Per client in the batch: every seq ≤ floor has settled at the client (gaps below it close). */
  floors?: [clientId: string, floor: number][];
  /**
   * The stored state at `baseRevision`, as the host holds it: a persistence may send it to spare
   * storage reading it all (#17). A function, so the batch's JSON stays the request's.
   */
  base?: () => unknown;
}

/** What a commit did. */
export interface CommitResult<TState> {
  revision: number;
  outcomes: Outcome[];
  state?: TState;
  /** Instead of `state` (from a persistence with `sync`): patches taking `baseRevision`'s state to the stored one. */
  patches?: WirePatch[];
  /** The widest gap between this host's commits that storage asks for, when narrower than `maxCommitGapMs` (see `CommitResponse.gapMs`). */
  gapMs?: number;
}

/** Receives bgstore's diagnostics; each kind of ignored message is reported once. @default console.warn */
export interface Logger {
  warn(message: string): void;
}

/** The platform timers, used when no clock is given. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/**
 * A random id of `length` url-safe characters (6 bits each) from `crypto.getRandomValues`, or
 * Math.random where absent. The default 11 (66 bits) keeps client ids apart across every tab that
 * ever writes one document.
 */
export function randomId(length = 11): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_';
  const bytes = new Uint8Array(length);
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint8Array): Uint8Array } }).crypto;
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  let out = '';
  for (const b of bytes) out += alphabet[b & 63];
  return out;
}
