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

/** Where a host keeps its state between boots. The durable (resolver + KVS) implementation comes with `@bgstore/forge`. */
export interface Persistence<TState> {
  /** The last saved document, or undefined for a new store. */
  load(): Promise<PersistedDoc<TState> | undefined>;
  /** Saves the document; the host calls it after changes, one call at a time. */
  save(doc: PersistedDoc<TState>): Promise<void>;
}

/** What a host persists: the state, and which intents of which clients it already processed. */
export interface PersistedDoc<TState> {
  state: TState;
  clients: Record<string, ClientRecord>;
}

/** Intents of one client already processed: every seq ≤ `floor`, plus `seqs`; `rejected` keeps refusals. */
export interface ClientRecord {
  floor: number;
  seqs: number[];
  rejected: [seq: number, code: string, message: string][];
  seen: number;
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

/** A random id: 16 url-safe characters from `crypto.getRandomValues` (or Math.random where absent). */
export function randomId(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_';
  const bytes = new Uint8Array(16);
  const c = (globalThis as { crypto?: { getRandomValues?(a: Uint8Array): Uint8Array } }).crypto;
  if (c?.getRandomValues) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  let out = '';
  for (const b of bytes) out += alphabet[b & 63];
  return out;
}

/**
 * Keeps the document in memory (a JSON copy), so a host restarted with the same object resumes
 * its state and never applies an intent twice. State is lost with the process.
 */
export function createMemoryPersistence<TState>(initial?: PersistedDoc<TState>): Persistence<TState> & { peek(): PersistedDoc<TState> | undefined } {
  let json = initial ? JSON.stringify(initial) : undefined;
  return {
    async load() {
      return json === undefined ? undefined : JSON.parse(json);
    },
    async save(doc) {
      json = JSON.stringify(doc);
    },
    peek: () => (json === undefined ? undefined : JSON.parse(json)),
  };
}
