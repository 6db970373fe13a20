// A replica's digest checks. Its state's digest is kept up to date from the patches it applies, so
// a digest beat is checked at once; after a snapshot it is computed in slices on later ticks (a
// check that arrives meanwhile waits for it), so a check never blocks a join or a render.
import type { WirePatch } from '@bgstore/protocol';
import { advanceDigest, digestIfReady } from '../state/stateDigest';
import type { Turn } from './state';

/** A digest beat: the host's `digest` of its state at `version`. True when the state is found wrong. */
export function checkDigest<TState>(t: Turn<TState>, version: number, digest: string): boolean {
  const { m } = t;
  if (m.phase === 'connecting') return false;
  // A host is never behind its replica: a replica ahead took a forged or stale message.
  if (version < m.version) return true;
  if (version !== m.version) return false;
  m.digestCheck = { version, digest };
  return tickDigest(t);
}

/** A new state not made by patches (a snapshot): its digest is computed in slices from now on. */
export function digestSoon<TState>(t: Turn<TState>) {
  t.m.digestCheck = { version: t.m.version };
  tickDigest(t);
}

/** Records that `patches` took the confirmed state from `prev` to the current one. */
export function patchedDigest<TState>(t: Turn<TState>, prev: TState, patches: readonly WirePatch[]) {
  advanceDigest(prev, t.m.confirmed, patches);
}

/**
 * One slice of work on the digest under way; once it is known, compares it with the host's if still
 * at the beat's version. True when the state is found wrong.
 */
export function tickDigest<TState>(t: Turn<TState>): boolean {
  const { m } = t;
  const check = m.digestCheck;
  if (!check) return false;
  const mine = digestIfReady(m.confirmed);
  if (mine === undefined) return false;
  m.digestCheck = undefined;
  return check.digest !== undefined && check.version === m.version && mine !== check.digest;
}
