// Beats: between changes, a host tells replicas its version (and now and then a digest of its
// state), so one that missed a patch catches up without waiting for the next change.
import { digestIfReady, digestPending } from '../state/stateDigest';
import { TRAILING_BEAT_MS } from './publish';
import { durableField } from './durableReport';
import { env, send, type Turn } from './turn';

/** A beat that is due: a trailing one after a burst of patches, or the heartbeat after silence. */
export function beatDue<TState>(t: Turn<TState>) {
  const { m, now } = t;
  // A digest not known yet (after a load or rebase) is computed in slices, a task each.
  if (digestPending(m.state)) digestIfReady(m.state);
  if (m.beatAt === undefined || m.beatAt > now) return;
  const trailing = m.trailing > 0 && now - m.lastTrailAt >= TRAILING_BEAT_MS && now - m.lastPatchAt >= TRAILING_BEAT_MS;
  if (trailing) {
    m.trailing--;
    m.lastTrailAt = now;
  }
  if (trailing || now - m.lastSentAt >= m.timing.heartbeatMs) {
    // The digest follows the patches (O(change)); one not known yet goes in a later beat.
    const digest = now - m.digestAt >= m.timing.digestMs ? digestIfReady(m.state) : undefined;
    if (digest !== undefined) m.digestAt = now;
    send(t, { ...env(t), type: 'beat', version: m.version, ...durableField(t), ...(digest !== undefined ? { digest } : {}) });
  }
  m.beatAt = m.trailing > 0 ? Math.max(m.lastPatchAt, m.lastTrailAt) + TRAILING_BEAT_MS : m.lastSentAt + m.timing.heartbeatMs;
}
