// A replica's digest checks. Its state's digest is kept up to date from the patches it applies, so
// a digest beat is checked at once; after a snapshot it is computed in slices on later ticks (a
// check that arrives meanwhile waits for it), so a check never blocks a join or a render.
import type { WirePatch } from '@bgstore/protocol';
import { advanceDigest, digestIfReady } from '../state/stateDigest';
import { requestSync } from './handshake';
import type { Turn } from './state';

/** A digest beat: the host's `digest` of its state at `version`. */
export function checkDigest<TState>(t: Turn<TState>, version: number, digest: string) {
  const { m } = t;
  if (m.phase === 'connecting') return;
  // A host is never behind its replica: a replica ahead took a forged or stale message.
  if (version < m.version) return mismatch(t);
  if (version !== m.version) return;
  m.digestCheck = { version, digest };
  tickDigest(t);
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

/** One slice of work on the digest under way; once it is known, compares it with the host's if still at the beat's version. */
export function tickDigest<TState>(t: Turn<TState>) {
  const { m } = t;
  const check = m.digestCheck;
  if (!check) return;
  const mine = digestIfReady(m.confirmed);
  if (mine === undefined) return;
  m.digestCheck = undefined;
  if (check.digest !== undefined && check.version === m.version && mine !== check.digest) mismatch(t);
}

/** The state differs from the host's: take a snapshot, whatever the version. */
function mismatch<TState>(t: Turn<TState>) {
  const { m } = t;
  if (m.epoch === null) return;
  m.counters.digestMismatches++;
  // Acted on at most once per digest interval per boot: a module forging digest beats would
  // otherwise make this replica, and the host, resend the whole state on every one (#18.8).
  const last = m.digestResync;
  if (!last || last.epoch !== m.epoch || t.now - last.at >= m.timing.digestMs) {
    m.digestResync = { epoch: m.epoch, at: t.now };
    requestSync(t, 'digest', true);
  }
}
