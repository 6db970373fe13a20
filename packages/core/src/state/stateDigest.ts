// A state's digest, kept up to date as patches make new states, or computed in slices when it is
// not known (a fresh snapshot or load): a comparison never blocks a join or a render.
import type { WirePatch } from '@bgstore/protocol';
import { advanceHash } from './digestAdvance';
import { createHashJob, isContainer, memo, type HashJob } from './digestHash';

/** Nodes hashed per slice of a from-scratch digest: about 1–2 ms of work on a quiet machine. */
export const DIGEST_SLICE = 8000;

const format = (hash: number) => (hash >>> 0).toString(36);

/**
 * A from-scratch hash under way, and the patched states that followed the one it hashes: each is
 * advanced from it once it is done.
 */
interface Pending {
  job: HashJob;
  base: unknown;
  chain: { prev: unknown; next: unknown; patches: readonly WirePatch[] }[];
}
const pending = new WeakMap<object, Pending>();

function finish(p: Pending) {
  for (const link of p.chain) advanceHash(link.prev, link.next, link.patches);
  p.chain = [];
}

/**
 * A digest of a JSON state that ignores object key order: equal states give equal digests on every
 * module. The host sends it in a beat now and then; a replica at the same version compares, and
 * asks for a snapshot on a mismatch (a diverged replica heals itself). Computed at once; parts
 * shared with a state already digested are not visited again.
 */
export function stateDigest(state: unknown): string {
  for (;;) {
    const d = digestIfReady(state, Infinity);
    if (d !== undefined) return d;
  }
}

/**
 * The digest of `state` if it can be had within `budget` nodes of work, else undefined: the work
 * done is kept, and the next call goes on from there (call again from a later task). Known at
 * once for a state made by `advanceDigest` from one whose digest was known.
 */
export function digestIfReady(state: unknown, budget = DIGEST_SLICE): string | undefined {
  if (!isContainer(state)) return format(createHashJob(state).run(Infinity)!);
  const known = memo.get(state);
  if (known) return format(known.hash);
  let p = pending.get(state);
  if (!p) pending.set(state, (p = { job: createHashJob(state), base: state, chain: [] }));
  const hash = p.job.run(budget);
  if (hash === undefined) return undefined;
  finish(p);
  pending.delete(state);
  const done = memo.get(state);
  if (done) return format(done.hash);
  // Small states are not memoised: the job's hash is this state's only if it hashed this state.
  if (p.base === state) return format(hash);
  pending.set(state, { job: createHashJob(state), base: state, chain: [] });
  return undefined;
}

/** Whether a digest of `state` is under way and unfinished (its owner should give it another slice soon). */
export function digestPending(state: unknown): boolean {
  return isContainer(state) && !memo.has(state) && pending.has(state);
}

/**
 * Records that `patches` made `next` from `prev`: `next`'s digest follows from `prev`'s in
 * O(change) — at once if `prev`'s is known, else when the digest under way for `prev` finishes.
 */
export function advanceDigest(prev: unknown, next: unknown, patches: readonly WirePatch[]): void {
  if (prev === next || !isContainer(next)) return;
  if (advanceHash(prev, next, patches)) return;
  const p = isContainer(prev) ? pending.get(prev) : undefined;
  if (!p) return;
  p.chain.push({ prev, next, patches });
  pending.set(next, p);
}
