// The client table's room: how many records (and bytes) it keeps, per caller and in all, and which
// go when it is full. Free functions on the table's records and its limits.
import type { ClientCallers, ClientTableOptions } from './clientTable';
import type { Refusal } from '@bgstore/protocol';

export interface Entry {
  floor: number;
  seqs: Set<number>;
  rejected: Map<number, Refusal>;
  seen: number;
  /** The client's own word: every seq at or below it has its final answer there and is never sent again. */
  settled: number;
}

/** The highest seq processed of a client. */
export function highOf(c: Entry): number {
  let high = c.floor;
  for (const s of c.seqs) if (s > high) high = s;
  return high;
}

/** A table's records and its limits (`Infinity` where unlimited). */
export interface Room {
  clients: Map<string, Entry>;
  maxClients: number;
  maxBytes: number;
  perCaller: number;
  perCallerBytes: number;
  ttlMs: number;
  unsettledTtlMs: number;
  whenFull: 'evict' | 'refuse';
  callers: ClientCallers;
}

/** Without {@link ClientCallers}: every record is its own caller, and none is anonymous. */
const OWN_CALLERS: ClientCallers = { callerOf: (key) => key, isAnonymous: () => false };

export function createRoom(options: ClientTableOptions): Room {
  return {
    clients: new Map(),
    maxClients: options.maxClients ?? 1000,
    maxBytes: options.maxBytes ?? Infinity,
    perCaller: options.perCaller ?? Infinity,
    perCallerBytes: options.perCallerBytes ?? Infinity,
    ttlMs: options.ttlMs ?? Infinity,
    unsettledTtlMs: options.unsettledTtlMs ?? 300_000,
    whenFull: options.whenFull ?? 'evict',
    callers: options.callers ?? OWN_CALLERS,
  };
}

/** About the JSON size of a record (key, numbers, refusals). */
const sizeOf = (key: string, c: Entry) => key.length + 40 + 8 * c.seqs.size + [...c.rejected.values()].reduce((n, r) => n + 24 + r.message.length, 0);
const ownKeys = (r: Room, key: string) => [...r.clients.keys()].filter((k) => r.callers.callerOf(k) === r.callers.callerOf(key));

function bytes(r: Room) {
  let n = 2;
  for (const [k, c] of r.clients) n += sizeOf(k, c);
  return n;
}

const isFull = (r: Room) => r.clients.size >= r.maxClients || (r.maxBytes !== Infinity && bytes(r) > r.maxBytes);

function leastSeen(r: Room, keys: Iterable<string>) {
  let oldest: string | undefined;
  let seen = Infinity;
  for (const k of keys) {
    const v = r.clients.get(k)!;
    if (v.seen < seen) [oldest, seen] = [k, v.seen];
  }
  return oldest;
}

/**
 * Whether an `evict` table may drop a record without letting an intent apply twice: its client said
 * every processed seq is settled (it will send none again), or it has been quiet `unsettledTtlMs`.
 * Fresh client ids flooding the table are unsettled too, so they push out no one's record (#18.12).
 */
const mayGo = (r: Room, c: Entry, now: number) => c.settled >= highOf(c) || now - c.seen > r.unsettledTtlMs;
const evictable = (r: Room, now: number) => [...r.clients.keys()].filter((k) => mayGo(r, r.clients.get(k)!, now));

const FULL: Refusal = { code: 'TOO_LARGE', message: `[bgstore] this store remembers as many clients as it can (each for a while, so none of their intents applies twice); try again later` };

function expire(r: Room, now: number) {
  if (r.ttlMs === Infinity) return;
  for (const [k, v] of r.clients) if (now - v.seen > r.ttlMs) r.clients.delete(k);
}

/** Makes room for one more record of `key`'s caller; false when only others' records could go. */
export function makeRoom(r: Room, key: string, now: number): boolean {
  expire(r, now);
  if (r.perCaller !== Infinity) {
    const own = ownKeys(r, key);
    if (own.length >= r.perCaller) r.clients.delete(leastSeen(r, own)!);
  }
  while (isFull(r)) {
    const anonymous = [...r.clients.keys()].filter(r.callers.isAnonymous);
    if (r.whenFull === 'refuse' && anonymous.length === 0) return false;
    const gone = leastSeen(r, r.whenFull === 'refuse' ? anonymous : evictable(r, now));
    if (gone === undefined) return false;
    r.clients.delete(gone);
  }
  return true;
}

/** Why a new client may not get a record now (a `refuse` table full of others' records, an `evict` one of unsettled ones), or undefined. */
export function refuseNewClient(r: Room, clientId: string, now: number): Refusal | undefined {
  if (!isFull(r)) return undefined;
  expire(r, now);
  if (!isFull(r)) return undefined;
  // An `evict` table refuses only when every record's client may still send again.
  if (r.whenFull === 'evict') {
    for (const c of r.clients.values()) if (mayGo(r, c, now)) return undefined;
    return FULL;
  }
  const roomOfItsOwn = r.perCaller !== Infinity && ownKeys(r, clientId).length > 0;
  return !roomOfItsOwn && ![...r.clients.keys()].some(r.callers.isAnonymous) ? FULL : undefined;
}

/** Refusals are what make records large: a caller over its budget loses its own oldest records (not `clientId`'s). */
export function trimCaller(r: Room, clientId: string) {
  if (r.perCallerBytes === Infinity) return;
  const own = ownKeys(r, clientId);
  let total = own.reduce((n, k) => n + sizeOf(k, r.clients.get(k)!), 0);
  for (const k of own.filter((k) => k !== clientId).sort((a, b) => r.clients.get(a)!.seen - r.clients.get(b)!.seen)) {
    if (total <= r.perCallerBytes) break;
    total -= sizeOf(k, r.clients.get(k)!);
    r.clients.delete(k);
  }
}
