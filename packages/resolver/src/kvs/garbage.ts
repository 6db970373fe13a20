import { Filter, FilterConditions, kvs } from '@forge/kvs';
import type { Head } from './legacyLayouts';
import { MAX_OPERATIONS } from './pieces';
import { entryKey, pieceKey } from './readCache';

// What snapshots replace — their pieces, and the log entries they fold in — is garbage. A load that
// read the head before the fold may still be reading it, so garbage is kept for a grace period (by
// time, whatever number of commits comes meanwhile) and deleted after: with the room commits'
// transactions have, and, once deletable garbage exceeds a share of the document, by garbage
// transactions of their own, so a fold's garbage never outgrows what later commits delete.

/** One fold's garbage: when it became garbage (ms), its pieces, its log-entry ranges (inclusive), about its bytes. */
export type Generation = [at: number, pieces: string[], log: [number, number][], bytes: number];

/**
 * How long garbage outlives the head that last named it. A load reads a head, then what it names
 * (three round trips); one whose every read attempt took longer could still miss a piece, and
 * five such attempts outlast invoke's 25 s anyway.
 */
export const GARBAGE_GRACE_MS = 10_000;
/** Garbage transactions run once deletable garbage exceeds this share of the document's bytes… */
const SHARE = 0.2;
/** …or the head lists this many deletable keys; */
const MAX_LISTED = 48;
/** at most this many after one commit (the next commit goes on). */
const MAX_ROUNDS = 4;

/** The garbage a head lists: earlier versions' `g` and `k` (no time: deletable now) and the generations `d`. */
export function generationsOf(head: { g?: string[]; k?: [number, number][]; d?: Generation[] }): Generation[] {
  const legacy: Generation[] = head.g?.length || head.k?.length ? [[0, [...(head.g ?? [])], (head.k ?? []).map(([a, b]): [number, number] => [a, b]), 0]] : [];
  return [...legacy, ...(head.d ?? []).map(([at, g, k, bytes]): Generation => [at, [...g], k.map(([a, b]): [number, number] => [a, b]), bytes])];
}

const deletable = (g: Generation, now: number) => g[0] <= now - GARBAGE_GRACE_MS;
const count = (g: Generation) => g[1].length + g[2].reduce((n, [a, b]) => n + b - a + 1, 0);

/**
 * Takes up to `room` keys of deletable garbage (oldest first) out of `generations` (changed in
 * place; emptied generations go): the keys to delete.
 */
export function takeDeletable(key: string, generations: Generation[], now: number, room: number): string[] {
  const keys: string[] = [];
  for (const g of generations) {
    if (room <= 0 || !deletable(g, now)) break;
    const before = count(g);
    while (room > 0 && g[1].length) {
      keys.push(pieceKey(key, g[1].shift()!));
      room--;
    }
    while (room > 0 && g[2].length) {
      const first = g[2][0]!;
      keys.push(entryKey(key, first[0]));
      room--;
      if (first[0] === first[1]) g[2].shift();
      else first[0]++;
    }
    g[3] = before ? Math.round((g[3] * count(g)) / before) : 0;
  }
  generations.splice(0, generations.length, ...generations.filter((g) => count(g) > 0));
  return keys;
}

/** The head's `chunks`: the snapshot's pieces, plus the garbage transactions that rewrote the head since its commit. */
export const chunksOf = (named: number, head: { x?: number }) => named + (head.x ?? 0);

/** Whether the deletable garbage is worth transactions of its own: over a share of `size`, or a long list in the head. */
export function needsCollecting(generations: readonly Generation[], now: number, size: number): boolean {
  const due = generations.filter((g) => deletable(g, now));
  return due.reduce((n, g) => n + g[3], 0) > SHARE * size || due.reduce((n, g) => n + count(g), 0) > MAX_LISTED;
}

/**
 * Deletes deletable garbage in transactions of its own, each conditioned on the head still being at
 * `head.revision` and rewriting it (same revision) without what it deleted. Best effort: a commit
 * moving the head first stops it (that commit, or the next, goes on), and so does any failure.
 * A commit that read the head before fails its condition (each garbage transaction counts itself in
 * the head's `chunks`), so no stale garbage list is written back; and pieces are reused only from
 * what the head names, never from garbage.
 */
export async function collectGarbage(key: string, head: Head, data: { d?: Generation[]; e: number; x?: number }, now: number): Promise<void> {
  const generations = data.d ?? [];
  const named = head.chunks - (data.x ?? 0);
  for (let round = 0; round < MAX_ROUNDS && needsCollecting(generations, now, data.e); round++) {
    const deletes = takeDeletable(key, generations, now, MAX_OPERATIONS - 1);
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
