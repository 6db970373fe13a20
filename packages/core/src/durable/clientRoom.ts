// The client table's room: how many records (and bytes) it keeps, per caller and in all, and which
// go when it is full. Free functions on the table's records and its limits.
// Each costs O(1 + the caller's own records) (#18.6): record sizes are kept per record, per caller
// and in all; records are indexed by caller; expiry walks the table only when a record is due; the
// least recently seen are sorted once, when first needed, not searched for on every new client.
// The index is made on first need (a new client, a refusal), so a commit by known clients skips it.
import type { ClientCallers, ClientTableOptions } from './clientTable';
import type { ClientRecord, Refusal } from '@bgstore/protocol';

export interface Entry {
  floor: number;
  seqs: Set<number>;
  rejected: Map<number, Refusal>;
  seen: number;
  /** The client's own word: every seq at or below it has its final answer there and is never sent again. */
  settled: number;
  /** Whose it is (see {@link ClientCallers}), asked once (when the room is indexed). */
  caller?: string;
  /** About its JSON size, kept up to date by {@link resize} (when the room is indexed). */
  size: number;
  /** The record as read, while unchanged: handed back as it was, so a diff skips it by identity. */
  read?: ClientRecord;
}

/** The highest seq processed of a client. */
export function highOf(c: Entry): number {
  let high = c.floor;
  for (const s of c.seqs) if (s > high) high = s;
  return high;
}

/** A table's records, its limits (`Infinity` where unlimited), and what it keeps to find what may go. */
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
  /** Whether the fields below (and entries' `caller` and `size`) are kept: see {@link indexed}. */
  indexed: boolean;
  /** Keys by caller, and bytes by caller. */
  byCaller: Map<string, Set<string>>;
  callerBytes: Map<string, number>;
  /** Anonymous viewers' records: the ones a refusing table may push out when full. */
  anonymous: Set<string>;
  bytes: number;
  /** The least recently seen records with the `seen` they had, oldest last (see {@link nextToGo}). */
  queue?: [string, number][];
  /** No record expires before this one's `seen` (see {@link expire}). */
  oldestSeen: number;
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
    indexed: false,
    byCaller: new Map(),
    callerBytes: new Map(),
    anonymous: new Set(),
    bytes: 2,
    oldestSeen: -Infinity,
  };
}

/** About the JSON size of a record (key, numbers, refusals). */
function sizeOf(key: string, c: Entry) {
  let n = key.length + 40 + 8 * c.seqs.size;
  for (const r of c.rejected.values()) n += 24 + r.message.length;
  return n;
}

/** Adds a record; in an indexed room, with its caller and size. */
export function addRecord(r: Room, key: string, c: Entry) {
  r.clients.set(key, c);
  if (r.indexed) index(r, key, c);
}

function index(r: Room, key: string, c: Entry) {
  c.caller = r.callers.callerOf(key);
  c.size = sizeOf(key, c);
  let own = r.byCaller.get(c.caller);
  if (!own) r.byCaller.set(c.caller, (own = new Set()));
  own.add(key);
  if (r.callers.isAnonymous(key)) r.anonymous.add(key);
  r.bytes += c.size;
  r.callerBytes.set(c.caller, (r.callerBytes.get(c.caller) ?? 0) + c.size);
}

/** The room, indexed: each record's caller and size looked at once, then kept up to date. */
function indexed(r: Room): Room {
  if (!r.indexed) {
    r.indexed = true;
    for (const [key, c] of r.clients) index(r, key, c);
  }
  return r;
}

function removeRecord(r: Room, key: string) {
  const c = r.clients.get(key);
  if (!c?.caller) return;
  r.clients.delete(key);
  r.anonymous.delete(key);
  const own = r.byCaller.get(c.caller)!;
  own.delete(key);
  if (own.size === 0) r.byCaller.delete(c.caller);
  r.bytes -= c.size;
  r.callerBytes.set(c.caller, r.callerBytes.get(c.caller)! - c.size);
}

/** After `c` changed: its size, its caller's and the table's; it is no longer the record as read. */
export function resize(r: Room, key: string, c: Entry) {
  c.read = undefined;
  if (!r.indexed || !c.caller) return;
  const size = sizeOf(key, c);
  r.bytes += size - c.size;
  r.callerBytes.set(c.caller, r.callerBytes.get(c.caller)! + size - c.size);
  c.size = size;
}

const isFull = (r: Room) => r.clients.size >= r.maxClients || (r.maxBytes !== Infinity && indexed(r).bytes > r.maxBytes);

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

/**
* The least recently seen record that may go (an anonymous one in a `refuse` table). The order is
 * made once and used up; a record seen again since is passed over (it is no longer among the least
 * seen), and the order is made again when used up.
 */
function nextToGo(r: Room): string | undefined {
  const refuse = r.whenFull === 'refuse';
  for (let round = 0; round < 2; round++) {
    // Reversed, so that of equally old records the first met goes first (the sort is stable).
    r.queue ??= [...(refuse ? r.anonymous : r.clients.keys())].reverse().map((k): [string, number] => [k, r.clients.get(k)!.seen]).sort((a, b) => b[1] - a[1]);
    while (r.queue.length) {
      const [k, seen] = r.queue.pop()!;
      if (r.clients.get(k)?.seen === seen && (!refuse || r.anonymous.has(k))) return k;
    }
    r.queue = undefined;
  }
  return undefined;
}

/** Drops records unseen for `ttlMs`; walks the table only when the least recently seen one is due. */
function expire(r: Room, now: number) {
  if (r.ttlMs === Infinity || now - r.ttlMs <= r.oldestSeen) return;
  let oldest = Infinity;
  for (const [k, v] of r.clients) {
    if (now - v.seen > r.ttlMs) removeRecord(r, k);
    else oldest = Math.min(oldest, v.seen);
  }
  r.oldestSeen = oldest;
}

/** Makes room for one more record of `key`'s caller; false when only others' records could go. */
export function makeRoom(room: Room, key: string, now: number): boolean {
  const r = indexed(room);
  expire(r, now);
  const own = r.byCaller.get(r.callers.callerOf(key));
  if (r.perCaller !== Infinity && own && own.size >= r.perCaller) removeRecord(r, leastSeen(r, own)!);
  while (isFull(r)) {
    if (r.whenFull === 'refuse' && r.anonymous.size === 0) return false;
    // A refusing table (storage) lets anonymous records go; an evicting one (a host's) only records
    // whose client can send nothing again, so a flood of fresh ids pushes out nobody (#18.12).
    const gone = r.whenFull === 'refuse' ? nextToGo(r) : leastSeen(r, evictable(r, now));
    if (gone === undefined) return false;
    removeRecord(r, gone);
  }
  return true;
}

/** Why a new client may not get a record now (a `refuse` table full of others' records, an `evict` one of unsettled ones), or undefined. */
export function refuseNewClient(r: Room, clientId: string, now: number): Refusal | undefined {
  if (!isFull(indexed(r))) return undefined;
  expire(r, now);
  if (!isFull(r)) return undefined;
  // An `evict` table refuses only when every record's client may still send again.
  if (r.whenFull === 'evict') {
    for (const c of r.clients.values()) if (mayGo(r, c, now)) return undefined;
    return FULL;
  }
  const roomOfItsOwn = r.perCaller !== Infinity && r.byCaller.has(r.callers.callerOf(clientId));
  return !roomOfItsOwn && r.anonymous.size === 0 ? FULL : undefined;
}

/** Refusals are what make records large: a caller over its budget loses its own oldest records (not `clientId`'s). */
export function trimCaller(room: Room, clientId: string) {
  if (room.perCallerBytes === Infinity) return;
  const r = indexed(room);
  const caller = r.clients.get(clientId)?.caller ?? r.callers.callerOf(clientId);
  if ((r.callerBytes.get(caller) ?? 0) <= r.perCallerBytes) return;
  const own = [...r.byCaller.get(caller)!].filter((k) => k !== clientId).sort((a, b) => r.clients.get(a)!.seen - r.clients.get(b)!.seen);
  for (const k of own) {
    if (r.callerBytes.get(caller)! <= r.perCallerBytes) break;
    removeRecord(r, k);
  }
}
