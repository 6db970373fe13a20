// The handshake and resync: a replica asks its host for what it lacks (a hello, retried by the
// hello policies), follows a host boot (its epoch) or not, and learns whether it persists.
import { compareEpochs, isPlausibleEpoch, PROTOCOL_VERSION, retryDelay, type DurableStatus } from '@bgstore/protocol';
import { settle } from './calls';
import { isFinal, send, type ResyncReason, type Turn } from './state';

export function sendHello<TState>(t: Turn<TState>, full = false) {
  const { m } = t;
  m.lastHelloAt = t.now;
  m.asked = true;
  const has = m.epoch !== null && !full && !m.wantSnapshot;
  send(t, { bgstore: PROTOCOL_VERSION, store: m.definition.name, from: m.clientId, type: 'hello', epoch: has ? m.epoch : null, version: has ? m.version : null, fingerprint: m.definition.fingerprint, ...(m.inbox ? { inbox: true } : {}) });
}

export function helloDelay<TState>(t: Turn<TState>) {
  const { timing, helloAttempt, phase, lastHeard, mismatched, random } = t.m;
  if (mismatched !== undefined) return retryDelay(timing.retry.buildMismatch, 0, random);
  // Catching up with a host that is alive barely backs off (200 ms by default): the answer was lost, not the host.
  const policy = phase === 'resyncing' && t.now - lastHeard < timing.hostSilenceMs ? timing.retry.catchUp : timing.retry.hello;
  return retryDelay(policy, helloAttempt, random);
}

/** Asks the host for what this replica lacks; `full` asks for a snapshot whatever the version. */
export function requestSync<TState>(t: Turn<TState>, reason?: ResyncReason, full = false) {
  const { m, now } = t;
  if (reason && m.phase === 'live') {
    m.phase = 'resyncing';
    m.resyncs++;
    m.lastResync = { reason, at: now };
  }
  if (full) m.wantSnapshot = true;
  if (now - m.lastHelloAt >= m.timing.retry.hello.baseMs || full) {
    m.helloAttempt = 0;
    sendHello(t, full);
  }
  if (m.helloAt === undefined) m.helloAt = now + helloDelay(t);
}

export function markLive<TState>(t: Turn<TState>) {
  const { m } = t;
  if (m.leaving) {
    // Still on an old boot while a newer one was heard: stay resyncing, unless the newer one went silent.
    if (t.now - m.leaving.at <= m.timing.hostSilenceMs) return;
    m.leaving = undefined;
  }
  m.helloAt = undefined;
  m.helloAttempt = 0;
  m.phase = 'live';
}

export function watchGap<TState>(t: Turn<TState>) {
  const { m } = t;
  if (m.version >= m.known) m.gapAt = undefined;
  else m.gapAt ??= t.now + m.timing.gapHoldMs;
}

/** The followed host has said nothing for `hostSilenceMs`: it died (or never was). */
const isSilent = <TState>(t: Turn<TState>) => t.now - t.m.lastHeard > t.m.timing.hostSilenceMs;

/**
 * Whether a snapshot of another epoch may move this replica: before it follows any boot, when its
 * own host has gone silent, or when it decided to leave for that boot (its host did not answer).
 * A live host is never left for another boot's word alone: a module of the page can forge a boot
 * (a plausible epoch a little in the future) and answer hellos (#18.7).
 */
export function mayFollow<TState>(t: Turn<TState>, other: string) {
  const { m } = t;
  if (!isPlausibleEpoch(other, t.now)) return false;
  return m.epoch === null || isSilent(t) || m.leaving?.epoch === other;
}

export function heard<TState>(t: Turn<TState>, epoch: string) {
  if (epoch !== t.m.epoch) return;
  t.m.lastHeard = t.now;
  t.m.heardCount++;
}

function leaveFor<TState>(t: Turn<TState>, epoch: string) {
  t.m.probe = undefined;
  t.m.leaving = { epoch, at: t.now };
  requestSync(t, 'epoch');
}

/**
 * A message of another boot. Its host is followed once this replica's own host has gone silent.
 * A newer boot (a background-script restart) makes the replica ask its own host, with a hello,
 * whether it is still there: if it does not answer within `probeMs`, the replica leaves it.
 */
export function otherEpoch<TState>(t: Turn<TState>, epoch: string) {
  const { m } = t;
  if (!isPlausibleEpoch(epoch, t.now)) return void m.counters.stale++;
  if (m.leaving?.epoch === epoch) return;
  if (isSilent(t)) return leaveFor(t, epoch);
  m.counters.stale++;
  if (m.probe || m.epoch === null || compareEpochs(epoch, m.epoch) <= 0) return;
  m.probe = { epoch, at: t.now, heard: m.heardCount };
  sendHello(t);
}

/** A probe that is due: the followed host answered (it was heard since), or it is left. */
function tickProbe<TState>(t: Turn<TState>) {
  const { m } = t;
  if (!m.probe || t.now - m.probe.at < m.timing.probeMs) return;
  // Heard since the question, not merely at its millisecond: a beat that came just before the
  // hello is no answer (a closed boot's last beat kept replicas on it for good).
  if (m.heardCount > m.probe.heard) m.probe = undefined;
  else leaveFor(t, m.probe.epoch);
}

export function adoptEpoch<TState>(t: Turn<TState>, next: string) {
  const { m } = t;
  if (m.epoch === next) return;
  m.held.clear();
  m.heldBytes = 0;
  m.known = 0;
  // Calls the old boot applied may be unsaved, and unapplied ones are unknown to the new boot:
  // all go to it again; it applies only those its storage lacks. Saved ones it has loaded.
  for (const c of [...m.calls.values()]) {
    if (c.stage === 'saved') {
      if (!c.ack || compareEpochs(c.ack.epoch, next) < 0) m.calls.delete(c.seq);
      continue;
    }
    if (isFinal(c)) continue;
    c.ack = undefined;
    c.stage = 'queued';
    c.sentAt = -Infinity;
  }
  m.hostPersists = undefined;
  m.epoch = next;
  m.leaving = undefined;
  m.probe = undefined;
}

/** Learns whether this epoch's host persists; one that does not makes every applied call final. */
export function learnPersistence<TState>(t: Turn<TState>, durable: DurableStatus | undefined) {
  const { m } = t;
  // A boot persists or not for its whole life: once known, a stray message cannot change it.
  if (m.hostPersists === undefined) m.hostPersists = durable !== undefined;
  if (m.hostPersists) m.durable = durable ?? m.durable;
  if (!m.hostPersists) for (const c of m.calls.values()) if (c.stage === 'applied') settle(t, c);
}

/** Hello retries and gap holds that are due. */
export function tickSync<TState>(t: Turn<TState>) {
  const { m, now } = t;
  tickProbe(t);
  if (m.helloAt !== undefined && m.helloAt <= now) {
    m.helloAt = undefined;
    if (m.phase !== 'live') {
      m.helloAttempt++;
      sendHello(t);
      m.helloAt = now + helloDelay(t);
    }
  }
  if (m.gapAt !== undefined && m.gapAt <= now) {
    m.gapAt = undefined;
    if (m.version < m.known) requestSync(t, 'gap');
  }
}
