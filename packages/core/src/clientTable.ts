import type { SyncErrorCode } from '@bgstore/protocol';
import type { ClientRecord } from './ports';

/** The outcome the host remembers for a processed intent. */
export type Processed = { ok: true } | { ok: false; code: SyncErrorCode; message: string };

/** Remembers which intents of each client were processed, so each `clientId+seq` runs at most once. */
export interface ClientTable {
  /** The outcome if `seq` of `clientId` was processed before. */
  lookup(clientId: string, seq: number): Processed | undefined;
  record(clientId: string, seq: number, outcome: Processed, now: number): void;
  /** The client will never send a seq below `floor` again: forget what lies under it. */
  advanceFloor(clientId: string, floor: number, now: number): void;
  toJSON(): Record<string, ClientRecord>;
}

/**
 * Creates a {@link ClientTable}. Per client it keeps a floor (every seq at or below it is done),
 * the processed seqs above it, and the last `maxRejected` refusals, so a retransmitted refused
 * intent is refused again with its reason. At most `maxClients` clients are kept (least recently
 * seen are dropped first).
 */
export function createClientTable(initial: Record<string, ClientRecord> = {}, options: { maxClients?: number; maxRejected?: number } = {}): ClientTable {
  const maxClients = options.maxClients ?? 1000;
  const maxRejected = options.maxRejected ?? 64;
  const clients = new Map<string, { floor: number; seqs: Set<number>; rejected: Map<number, { code: SyncErrorCode; message: string }>; seen: number }>();
  for (const [id, r] of Object.entries(initial)) {
    clients.set(id, { floor: r.floor, seqs: new Set(r.seqs), rejected: new Map(r.rejected.map(([s, code, message]) => [s, { code: code as SyncErrorCode, message }])), seen: r.seen });
  }

  const entry = (clientId: string, now: number) => {
    let c = clients.get(clientId);
    if (!c) {
      if (clients.size >= maxClients) {
        let oldest: string | undefined;
        let seen = Infinity;
        for (const [id, v] of clients) if (v.seen < seen) [oldest, seen] = [id, v.seen];
        if (oldest !== undefined) clients.delete(oldest);
      }
      c = { floor: 0, seqs: new Set(), rejected: new Map(), seen: now };
      clients.set(clientId, c);
    }
    c.seen = now;
    return c;
  };

  const compact = (c: { floor: number; seqs: Set<number> }) => {
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
    record(clientId, seq, outcome, now) {
      const c = entry(clientId, now);
      c.seqs.add(seq);
      if (!outcome.ok) {
        c.rejected.set(seq, { code: outcome.code, message: outcome.message });
        if (c.rejected.size > maxRejected) c.rejected.delete(c.rejected.keys().next().value!);
      }
      compact(c);
    },
    advanceFloor(clientId, floor, now) {
      const c = entry(clientId, now);
      if (floor - 1 > c.floor) {
        c.floor = floor - 1;
        compact(c);
      }
    },
    toJSON() {
      const out: Record<string, ClientRecord> = {};
      for (const [id, c] of clients) out[id] = { floor: c.floor, seqs: [...c.seqs], rejected: [...c.rejected].map(([s, r]) => [s, r.code, r.message]), seen: c.seen };
      return out;
    },
  };
}
