import { Filter, FilterConditions, kvs } from '@forge/kvs';
import type { Head } from './legacyLayouts';
import { MAX_OPERATIONS } from './pieces';
import { entryKey, pieceKey } from './readCache';

// What snapshots replace — their pieces, and the log entries they fold in — is garbage. Two bounds:
// - Bytes (#18.4): stored bytes stay ≤ 1.5× the document. Garbage may have what the head, snapshot
//   and log leave of that (its budget, never under a floor that keeps small documents on time
//   alone); over it, the oldest garbage is deleted at once, even inside its grace — by the commit's
//   own transaction as room allows, then by garbage transactions before the commit answers.
// - Time (#18.3): under the budget, garbage is kept for a grace period, so a load that read the head
//   before the fold still finds what it names. A load that finds something gone anyway (deleted for
//   the budget) reads again from a fresh head (docStore.ts): it can lose only to a fold landing
//   inside one read attempt, which Forge's write quota makes rare for large documents.
// Past its grace, garbage goes with the room commits' transactions have, and, once it exceeds a
// share of the document, by garbage transactions of their own.

/**
 * One fold's garbage: when it became garbage (ms), its pieces, its log-entry ranges (inclusive),
 * its stored bytes, and each piece's stored bytes when known (absent in heads of earlier versions:
 * bytes are then shared out by count).
 */
export type Generation = [at: number, pieces: string[], log: [number, number][], bytes: number, sizes?: number[]];

/**
 * How long garbage outlives the head that last named it while under its budget. A load reads a
 * head, then what it names (three round trips); one whose every read attempt took longer could
 * still miss a piece.
 */
export const GARBAGE_GRACE_MS = 10_000;
/** Stored bytes (head, snapshot, log and garbage) stay within this multiple of the document's (state and client table). */
export const MAX_STORED_RATIO = 1.5;
/**
 * Garbage up to this many bytes stays its grace whatever the document's size. Below about 130 KB a
 * ratio measures the head and manifest more than the state, small documents are the ones Forge's
 * write quota lets commits rewrite most often (300+ times a minute), and 64 KB is 7 read units.
 */
export const GARBAGE_FLOOR_BYTES = 65_536;
/** What the budget leaves for the head, and for estimates (log entries are counted uncompressed, pieces of earlier versions by share). */
const HEAD_BYTES = 2_048;
const SLACK = 0.01;
/** Piece names, log ranges and generations the head lists at most (≤ ~1.6 KB); over it, the oldest go even inside their grace. */
export const MAX_KEPT = 48;
/** Past its grace, garbage transactions run once garbage exceeds this share of the document's bytes… */
const SHARE = 0.2;
/** …or this many keys; */
const MAX_DUE = 48;
/** at most this many after one commit (the next commit goes on), or this many while over the budget. */
const MAX_ROUNDS = 4;
const MAX_OVER_ROUNDS = 8;

/** What a head says of its document, for the budget: the document's bytes `e`, the snapshot's stored `y` (else its text's `z`), the log's `n`. */
export interface Sizes {
  e: number;
  z: number;
  y?: number;
  n: number;
  /** What the head also carries for reads (#17.2): the snapshot's piece names and the log's latest entries (up to ~7 KB). */
  f?: readonly string[];
  l?: readonly string[];
}

/** Bytes the head's piece names and log tail take in it, as sent (JSON inside its JSON string). */
const readExtras = (s: Sizes) => (s.f || s.l ? Buffer.byteLength(JSON.stringify(JSON.stringify([s.f ?? [], s.l ?? []]))) : 0);

/** The bytes garbage may have: what {@link MAX_STORED_RATIO} leaves beside the head, snapshot and log, at least {@link GARBAGE_FLOOR_BYTES}. */
export const garbageBudget = (s: Sizes) => Math.max(GARBAGE_FLOOR_BYTES, Math.floor(MAX_STORED_RATIO * s.e - (s.y ?? s.z) - s.n - HEAD_BYTES - readExtras(s) - SLACK * s.e));

/** The garbage a head lists: earlier versions' `g` and `k` (no time: deletable now) and the generations `d`. */
export function generationsOf(head: { g?: string[]; k?: [number, number][]; d?: Generation[] }): Generation[] {
  const legacy: Generation[] = head.g?.length || head.k?.length ? [[0, [...(head.g ?? [])], (head.k ?? []).map(([a, b]): [number, number] => [a, b]), 0]] : [];
  const copy = ([at, g, k, bytes, sizes]: Generation): Generation => {
    const out: Generation = [at, [...g], k.map(([a, b]): [number, number] => [a, b]), bytes];
    if (sizes?.length === g.length) out.push([...sizes]);
    return out;
  };
  return [...legacy, ...(head.d ?? []).map(copy)];
}

const deletable = (g: Generation, now: number) => g[0] <= now - GARBAGE_GRACE_MS;
const entries = (g: Generation) => g[2].reduce((n, [a, b]) => n + b - a + 1, 0);
const count = (g: Generation) => g[1].length + entries(g);
const sum = (xs: readonly number[]) => xs.reduce((n, x) => n + x, 0);
/** Stored bytes of the garbage listed. */
export const garbageBytes = (generations: readonly Generation[]) => sum(generations.map((g) => g[3]));
/** What the head's list costs: its piece names, log ranges and generations. */
const listedOf = (generations: readonly Generation[]) => sum(generations.map((g) => g[1].length + g[2].length + 1));

/** Takes a generation's next piece, or else its next log entry, off its list: the key, and its bytes off the generation's. */
function takeKey(key: string, g: Generation): string {
  const keys = count(g);
  const logBytes = Math.max(0, g[4] ? g[3] - sum(g[4]) : (g[3] * entries(g)) / keys);
  let bytes: number;
  let taken: string;
  if (g[1].length) {
    taken = pieceKey(key, g[1].shift()!);
    bytes = g[4] ? g[4].shift()! : g[3] / keys;
  } else {
    const first = g[2][0]!;
    taken = entryKey(key, first[0]);
    bytes = logBytes / entries(g);
    if (first[0] === first[1]) g[2].shift();
    else first[0]++;
  }
  g[3] = Math.max(0, Math.round(g[3] - bytes));
  return taken;
}

/**
 * Takes up to `room` keys of garbage out of `generations` (changed in place; emptied generations
 * go): while over the budget (`budget` bytes, or {@link MAX_KEPT} listed), the oldest pieces first,
 * then the oldest log entries, inside their grace or not; then what is past its grace, oldest first.
 */
export function takeGarbage(key: string, generations: Generation[], now: number, room: number, budget: number): string[] {
  const keys: string[] = [];
  while (keys.length < room) {
    const over = garbageBytes(generations) > budget || listedOf(generations) > MAX_KEPT;
    // Pieces are most of the bytes and of the head's list: over the budget they go first.
    const g = over ? (generations.find((x) => x[1].length) ?? generations.find((x) => x[2].length)) : generations.find((x) => count(x) > 0 && deletable(x, now));
    if (!g) break;
    keys.push(takeKey(key, g));
  }
  generations.splice(0, generations.length, ...generations.filter((g) => count(g) > 0));
  return keys;
}

/** Takes the names a new snapshot names again off the garbage (with their bytes): they are written again, not deleted. */
export function unlist(generations: Generation[], named: ReadonlySet<string>): void {
  for (const g of generations) {
    const kept = g[1].map((name, i) => [name, g[4]?.[i]] as const).filter(([name]) => !named.has(name));
    if (kept.length === g[1].length) continue;
    const dropped = g[4] ? sum(g[4]) - sum(kept.map(([, size]) => size!)) : ((g[1].length - kept.length) * g[3]) / count(g);
    g[3] = Math.max(0, Math.round(g[3] - dropped));
    g[1] = kept.map(([name]) => name);
    if (g[4]) g[4] = kept.map(([, size]) => size!);
  }
}

/** The head's `chunks`: the snapshot's pieces, plus the garbage transactions that rewrote the head since its commit. */
export const chunksOf = (named: number, head: { x?: number }) => named + (head.x ?? 0);

const overBudget = (generations: readonly Generation[], sizes: Sizes) => garbageBytes(generations) > garbageBudget(sizes) || listedOf(generations) > MAX_KEPT;

/** Whether garbage needs transactions of its own: over its budget, or what is past its grace is over a share of the document or many keys. */
export function needsCollecting(generations: readonly Generation[], now: number, sizes: Sizes): boolean {
  if (overBudget(generations, sizes)) return true;
  const due = generations.filter((g) => deletable(g, now));
  return garbageBytes(due) > SHARE * sizes.e || sum(due.map(count)) > MAX_DUE;
}

/**
 * Deletes garbage in transactions of its own (see {@link takeGarbage}), each conditioned on the head
 * still being at `head.revision` and rewriting it (same revision) without what it deleted. Best
 * effort: a commit moving the head first stops it (that commit goes on, its own deletions first),
 * and so does any failure (the next commit goes on). A commit that read the head before fails its
 * condition (each garbage transaction counts itself in the head's `chunks`), so no stale garbage
 * list is written back; and pieces are reused only from what the head names, never from garbage.
 */
export async function collectGarbage(key: string, head: Head, data: Sizes & { d?: Generation[]; x?: number }, now: number): Promise<void> {
  const generations = data.d ?? [];
  const named = head.chunks - (data.x ?? 0);
  const budget = garbageBudget(data);
  for (let round = 0; needsCollecting(generations, now, data) && round < (overBudget(generations, data) ? MAX_OVER_ROUNDS : MAX_ROUNDS); round++) {
    const deletes = takeGarbage(key, generations, now, MAX_OPERATIONS - 1, budget);
    if (!deletes.length) return;
    const before = chunksOf(named, data);
    data.x = (data.x ?? 0) + 1;
    if (generations.length) data.d = generations;
    else delete data.d;
    const tx = kvs.transact();
    // Counted in `chunks`, so a commit that read the head before this fails its condition and reads again.
    const conditions = new Filter<Head>().and('revision', FilterConditions.equalTo(head.revision)).and('chunks', FilterConditions.equalTo(before));
    tx.set<Head>(key, { ...head, chunks: chunksOf(named, data), data: JSON.stringify(data) }, { entityName: 'bgstore-doc', conditions });
    for (const d of deletes) tx.delete(d);
    try {
      await tx.execute();
    } catch {
      return;
    }
  }
}
