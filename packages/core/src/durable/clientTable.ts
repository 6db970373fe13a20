import { cutRefusal, LIMITS, type ClientRecord, type Refusal, type SyncErrorCode } from '@bgstore/protocol';
import { addRecord, createRoom, highOf as high, makeRoom, refuseNewClient, resize, trimCaller, type Entry } from './clientRoom';

/** The outcome remembered for a processed intent. */
export type Processed = { ok: true } | ({ ok: false } & Refusal);

/**
 * Remembers which intents of each client were processed, so each `clientId+seq` runs at most once,
 * and a refused one is refused again with its reason.
 */
export interface ClientTable {
  /** The outcome if `seq` of `clientId` was processed before. */
  lookup(clientId: string, seq: number): Processed | undefined;
  /** Why `seq` of `clientId` may not be processed now (a seq far ahead, too many gaps, a full table), or undefined. */
  admit(clientId: string, seq: number, now?: number): Refusal | undefined;
  /** Records an outcome; `override` turns an applied intent into a refused one (storage refused it later). */
  record(clientId: string, seq: number, outcome: Processed, now: number, override?: boolean): void;
  /** The client will never send a seq ≤ `floor` again: what lies under it is done. Never past what was processed. */
  advanceFloor(clientId: string, floor: number, now: number): void;
  floorOf(clientId: string): number;
  toJSON(): Record<string, ClientRecord>;
}

/**
 * Whose a record is, by its key. The keys are the storage's (the resolver names records
 * `<caller>|<clientId>`), so the storage says; the table never parses them.
 */
export interface ClientCallers {
  /** The caller a record belongs to: records of one caller share `perCaller` and `perCallerBytes`. */
  callerOf(key: string): string;
  /** Whether a record is an anonymous viewer's: those may be pushed out by others when the table is full (their writers accepted weaker dedupe). */
  isAnonymous(key: string): boolean;
}

export interface ClientTableOptions {
  /** Records kept in all. @default 1000 */
  maxClients?: number;
  /**
   * When full: `evict` the least recently seen record (a host's table, which storage backs), or
   * `refuse` new clients (storage's own table: a record others' traffic pushed out could let an intent apply twice).
   * @default 'evict'
   */
  whenFull?: 'evict' | 'refuse';
  /** Whose each record is (see `perCaller`, `perCallerBytes`, `whenFull`). @default every record its own caller, none anonymous */
  callers?: ClientCallers;
  /** Records per caller (as `callers` tells), least recently seen of that caller's go first. @default Infinity */
  perCaller?: number;
  /** Bytes of records per caller (about); past it the caller's own least recently seen records go. @default Infinity */
  perCallerBytes?: number;
  /** Records unseen this long may go. @default Infinity */
  ttlMs?: number;
  /**
   * With `evict`, a record whose client has not said all its processed seqs settled (it may still
   * resend one) goes only after being unseen this long; a table full of such records refuses new
   * clients instead. @default 300_000
   */
  unsettledTtlMs?: number;
  /** The table's JSON at most (about); past it new clients are refused or, with `evict`, the least recently seen go. @default Infinity */
  maxBytes?: number;
}


/**
 * Creates a {@link ClientTable}. Per client it keeps a floor (every seq at or below it is done), the
 * processed seqs above it (at most `LIMITS.gapSeqs`), and the last `LIMITS.rejectedPerClient`
 * refusals (messages cut to `LIMITS.refusalMessage`), so its size is bounded per record.
 * Reading the table looks at each record once; after that each call costs O(1 + the caller's own
 * records) (see clientRoom.ts), and `toJSON` hands back unchanged records as they were read.
 */
export function createClientTable(initial: Record<string, ClientRecord> = {}, options: ClientTableOptions = {}): ClientTable {
  const room = createRoom(options);
  const { clients } = room;
  for (const [id, r] of Object.entries(initial)) {
    if (id === '__proto__') continue;
    addRecord(room, id, { floor: r.floor, seqs: new Set(r.seqs), rejected: new Map(r.rejected.map(([s, code, message]) => [s, { code: code as SyncErrorCode, message }])), seen: r.seen, settled: r.floor, size: 0, read: r });
  }

  const entry = (key: string, now: number) => {
    let c = clients.get(key);
    if (!c) {
      makeRoom(room, key, now);
      c = { floor: 0, seqs: new Set(), rejected: new Map(), seen: now, settled: 0, size: 0 };
      addRecord(room, key, c);
    }
    c.seen = Math.max(c.seen, now);
    return c;
  };
  const compact = (c: Entry) => {
    while (c.seqs.has(c.floor + 1)) c.seqs.delete(++c.floor);
    for (const s of c.seqs) if (s <= c.floor) c.seqs.delete(s);
  };

  return {
    lookup(clientId, seq) {
      const c = clients.get(clientId);
      if (!c) return undefined;
      const rejected = c.rejected.get(seq);
      if (rejected) return { ok: false, ...rejected };
      return seq <= c.floor || c.seqs.has(seq) ? { ok: true } : undefined;
    },
    admit(clientId, seq, now = 0) {
      const c = clients.get(clientId);
      if (!c) {
        const refused = refuseNewClient(room, clientId, now);
        if (refused) return refused;
        return seq > LIMITS.seqJump ? { code: 'BAD_REQUEST', message: `[bgstore] seq ${seq} of a new client is implausible` } : undefined;
      }
      if (seq > high(c) + LIMITS.seqJump) return { code: 'BAD_REQUEST', message: `[bgstore] seq ${seq} runs too far ahead of this client's ${high(c)}` };
      if (seq > c.floor + 1 && c.seqs.size >= LIMITS.gapSeqs) return { code: 'TOO_LARGE', message: `[bgstore] this client has ${c.seqs.size} intents processed out of order; earlier ones must arrive first` };
      return undefined;
    },
    record(clientId, seq, outcome, now, override = false) {
      const c = entry(clientId, now);
      if (!override || outcome.ok) c.seqs.add(seq);
      if (!outcome.ok) {
        if (override && !(seq <= c.floor || c.seqs.has(seq))) c.seqs.add(seq);
        c.rejected.delete(seq);
        c.rejected.set(seq, { code: outcome.code, message: cutRefusal(outcome.message) });
        while (c.rejected.size > LIMITS.rejectedPerClient) c.rejected.delete(c.rejected.keys().next().value!);
      }
      compact(c);
      resize(room, clientId, c);
      if (!outcome.ok) trimCaller(room, clientId);
    },
    advanceFloor(clientId, floor, now) {
      const c = clients.get(clientId);
      if (!c) return;
      if (now > c.seen) c.read = undefined;
      c.seen = Math.max(c.seen, now);
      const to = Math.min(floor, high(c));
      c.settled = Math.max(c.settled, to);
      if (to > c.floor) {
        c.floor = to;
        compact(c);
        resize(room, clientId, c);
      }
    },
    floorOf: (clientId) => clients.get(clientId)?.floor ?? 0,
    toJSON() {
      const out: Record<string, ClientRecord> = {};
      for (const [id, c] of clients) out[id] = c.read ?? { floor: c.floor, seqs: [...c.seqs], rejected: [...c.rejected].map(([s, r]) => [s, r.code, r.message]), seen: c.seen };
      return out;
    },
  };
}
