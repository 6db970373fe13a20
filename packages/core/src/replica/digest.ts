// A replica's digest checks. The digest code is loaded on the first digest beat (`digestEngine.ts`,
// a chunk of its own: a page that never gets a digest beat never loads it); until then the replica
// tracks nothing, and once loaded it computes its state's digest from scratch in slices, as after a
// snapshot, then checks. From there the digest is kept up to date from the patches it applies, so a
// beat is checked at once; after a snapshot it is computed in slices on later ticks (a check that
// arrives meanwhile waits for it), so a check never blocks a join or a render. If the code cannot
// be loaded (a chunk that did not arrive, a runtime without `import()`; a bundler that cannot split
// inlines it), the replica counts it and goes on without.
import type { WirePatch } from '@bgstore/protocol';
import { requestSync } from './handshake';
import type { DigestEngine, Turn } from './state';

const engine = <TState>(t: Turn<TState>) => (typeof t.m.digests === 'object' ? t.m.digests : undefined);

/** A digest beat: the host's `digest` of its state at `version`. */
export function checkDigest<TState>(t: Turn<TState>, version: number, digest: string) {
  const { m } = t;
  if (m.phase === 'connecting') return;
  // A host is never behind its replica: a replica ahead took a forged or stale message.
  if (version < m.version) return mismatch(t);
  if (version !== m.version || m.digests === 'failed') return;
  m.digestCheck = { version, digest };
  if (m.digests === undefined) {
    m.digests = 'loading';
    t.out.push({ type: 'load-digest' });
  }
  tickDigest(t);
}

/** The digest code is here: the state's digest is computed from scratch in slices, then a waiting check is made. */
export function digestLoaded<TState>(t: Turn<TState>, code: DigestEngine) {
  t.m.digests = code;
  t.m.digestCheck ??= { version: t.m.version };
  tickDigest(t);
}

/** The digest code could not be loaded: no digest checks from now on (a host behind is still caught). */
export function digestLoadFailed<TState>(t: Turn<TState>) {
  t.m.digests = 'failed';
  t.m.digestCheck = undefined;
  t.m.counters.digestLoadFailures++;
}

/** A new state not made by patches (a snapshot): its digest is computed in slices from now on (once the code is here). */
export function digestSoon<TState>(t: Turn<TState>) {
  t.m.digestCheck = engine(t) && { version: t.m.version };
  tickDigest(t);
}

/** Records that `patches` took the confirmed state from `prev` to the current one. */
export function patchedDigest<TState>(t: Turn<TState>, prev: TState, patches: readonly WirePatch[]) {
  engine(t)?.advanceDigest(prev, t.m.confirmed, patches);
}

/** One slice of work on the digest under way; once it is known, compares it with the host's if still at the beat's version. */
export function tickDigest<TState>(t: Turn<TState>) {
  const { m } = t;
  const check = m.digestCheck;
  const code = engine(t);
  if (!check || !code) return;
  const mine = code.digestIfReady(m.confirmed);
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
