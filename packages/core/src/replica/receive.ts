// Every message a replica receives (the handshake and resync it starts are in `handshake.ts`).
import { jsonBytes, PATCH_SPAN, PERMANENT_CODES, SyncError, type AckMessage, type BeatMessage, type Message, type PatchMessage, type RejectMessage, type SnapshotMessage, type StatusMessage, type WirePatch } from '@bgstore/protocol';
import { deepFreeze, freezeChanged } from '../runtime/freeze';
import { immer } from '../runtime/immer';
import { shareStructure } from '../state/shareStructure';
import { confirm, flushQueued, settle } from './calls';
import { checkDigest, digestSoon, patchedDigest } from './digest';
import { adoptEpoch, heard, helloDelay, learnPersistence, markLive, mayFollow, otherEpoch, requestSync, watchGap } from './handshake';
import { isFinal, MAX_HELD, MAX_HELD_BYTES, type Turn } from './state';

export function receive<TState>(t: Turn<TState>, msg: Message) {
  const { m } = t;
  switch (msg.type) {
    case 'beat':
      return onBeat(t, msg);
    case 'snapshot':
      return onSnapshot(t, msg);
    case 'patch':
      return onPatch(t, msg);
    case 'ack':
      return msg.to === m.clientId ? onAck(t, msg) : undefined;
    case 'reject':
      return msg.to === m.clientId ? onReject(t, msg) : undefined;
    case 'status':
      return onStatus(t, msg);
  }
}

export function onBeat<TState>(t: Turn<TState>, b: BeatMessage) {
  const { m } = t;
  heard(t, b.epoch);
  if (m.epoch === null) return b.epoch === m.mismatched ? undefined : requestSync(t);
  if (b.epoch !== m.epoch) return otherEpoch(t, b.epoch);
  // A beat to this replica answers its hello: the host's own word on its version. Others only raise it.
  m.known = b.to === m.clientId ? b.version : Math.max(m.known, b.version);
  // Whether the host persists is learned from its snapshot only: a stray beat cannot make calls final.
  if (b.durable && m.hostPersists) m.durable = b.durable;
  if (b.version === m.version && m.phase !== 'live') markLive(t);
  if (b.digest !== undefined) checkDigest(t, b.version, b.digest);
  watchGap(t);
}

export function onSnapshot<TState>(t: Turn<TState>, s: SnapshotMessage) {
  const { m } = t;
  // Only an answer to this replica's own hello moves it: a stray or stale snapshot (another
  // module's, or a buggy module's) never replaces the state.
  if (s.to !== m.clientId || !m.asked) return void m.counters.unasked++;
  if (s.fingerprint !== undefined && s.fingerprint !== m.definition.fingerprint) {
    m.counters.buildMismatches++;
    // Only a reload fixes it: ask this boot only every 30 s (a snapshot each time), not on its
    // every beat; a new boot's beat makes it ask at once. Not never: the message may be a stray.
    m.mismatched = s.epoch;
    m.helloAt = t.now + helloDelay(t);
    m.lastError = new SyncError('BUILD_MISMATCH', `[bgstore] the background script runs a different build of store '${m.definition.name}'${process.env.NODE_ENV !== 'production' ? ' than this module (an old bundle after a deploy?)' : ''}; reload the page`);
    return;
  }
  if (s.epoch !== m.epoch && !mayFollow(t, s.epoch)) return void m.counters.stale++;
  // A lower version is a late answer to an older hello — unless this replica asked for a snapshot
  // because it ran ahead of its host (a forged or corrupt message): then the host's word wins.
  if (m.epoch === s.epoch && s.version < m.version && !m.wantSnapshot) return void m.counters.duplicates++;
  if (m.epoch === s.epoch && s.version === m.version && !m.wantSnapshot) {
    if (m.phase !== 'live' && m.version >= m.known) markLive(t);
    return void m.counters.duplicates++;
  }
  if (m.lastError?.code === 'BUILD_MISMATCH') m.lastError = null;
  m.wantSnapshot = false;
  m.asked = false;
  m.mismatched = undefined;
  adoptEpoch(t, s.epoch);
  m.alias = s.alias;
  learnPersistence(t, s.durable);
  heard(t, s.epoch);
  // Shared first: what is kept from the old state is frozen already, and deepFreeze skips it.
  m.confirmed = deepFreeze(shareStructure(m.confirmed, s.state as TState));
  m.version = s.version;
  m.known = s.version;
  m.counters.snapshotsApplied++;
  digestSoon(t);
  for (const [base, h] of m.held) if (h.message.next <= m.version) unhold(t, base);
  drainHeld(t);
  markLive(t);
  watchGap(t);
  flushQueued(t);
}

export function onPatch<TState>(t: Turn<TState>, p: PatchMessage) {
  const { m } = t;
  heard(t, p.epoch);
  if (m.epoch === null) return p.epoch === m.mismatched ? undefined : requestSync(t);
  if (p.epoch !== m.epoch) return otherEpoch(t, p.epoch);
  if (p.next <= m.version) return void m.counters.duplicates++;
  // No host spans more versions in one patch: a longer one is forged or corrupt.
  if (p.next - p.base > PATCH_SPAN) return void m.counters.stale++;
  m.known = Math.max(m.known, p.next);
  if (p.base > m.version) {
    m.counters.held++;
    const bytes = jsonBytes(p.patches);
    unhold(t, p.base);
    m.held.set(p.base, { message: p, bytes });
    m.heldBytes += bytes;
    if (m.held.size > MAX_HELD || m.heldBytes > MAX_HELD_BYTES) {
      m.held.clear();
      m.heldBytes = 0;
      return requestSync(t, 'overflow');
    }
    return watchGap(t);
  }
  if (p.base < m.version) return requestSync(t, 'overlap');
  if (!apply(t, p)) return;
  drainHeld(t);
  if (m.phase !== 'live' && m.version >= m.known) markLive(t);
  watchGap(t);
}

export function unhold<TState>(t: Turn<TState>, base: number) {
  const h = t.m.held.get(base);
  if (!h) return;
  t.m.held.delete(base);
  t.m.heldBytes -= h.bytes;
}

export function apply<TState>(t: Turn<TState>, p: PatchMessage): boolean {
  const { m } = t;
  const prev = m.confirmed;
  try {
    m.confirmed = freezeChanged(immer.applyPatches(m.confirmed as object, p.patches as never) as TState, p.patches as WirePatch[]);
  } catch {
    requestSync(t, 'invalid-patch', true);
    return false;
  }
  patchedDigest(t, prev, p.patches as WirePatch[]);
  m.version = p.next;
  m.counters.patchesApplied++;
  for (const [client, seq] of p.acks ?? []) if (isMe(t, client)) confirm(t, seq, p.epoch, p.next);
  return true;
}

export function drainHeld<TState>(t: Turn<TState>) {
  const { m } = t;
  for (let h = m.held.get(m.version); h; h = m.held.get(m.version)) {
    unhold(t, h.message.base);
    if (!apply(t, h.message)) return;
  }
}

export function onAck<TState>(t: Turn<TState>, a: AckMessage) {
  const { m } = t;
  // An ack of another boot settles nothing here (calls go again to the boot this replica follows),
  // but tells that boot is alive.
  if (m.epoch !== null && a.epoch !== m.epoch) return otherEpoch(t, a.epoch);
  if (a.epoch !== m.epoch) return;
  heard(t, a.epoch);
  for (const seq of a.seqs) confirm(t, seq, a.epoch, a.version);
  for (const seq of a.saved ?? []) {
    const c = m.calls.get(seq);
    if (c?.ack) settle(t, c);
  }
}

export function onReject<TState>(t: Turn<TState>, r: RejectMessage) {
  // Only the boot this replica follows refuses its calls (others' rejects are stale or forged), but
  // another boot's reject, like its ack, tells that boot is alive.
  if (r.from !== t.m.epoch) return t.m.epoch === null ? void t.m.counters.stale++ : otherEpoch(t, r.from);
  heard(t, r.from);
  const c = t.m.calls.get(r.seq);
  if (c && !isFinal(c)) settle(t, c, new SyncError(r.code, r.message));
}

export function onStatus<TState>(t: Turn<TState>, s: StatusMessage) {
  const { m } = t;
  if (m.epoch !== null && s.epoch !== m.epoch) return otherEpoch(t, s.epoch);
  if (m.epoch === null) {
    // A host that cannot load says why; a replica still waiting shows it (e.g. storage set up wrong).
    m.durable = s.durable;
    if (s.durable.error && (PERMANENT_CODES as readonly string[]).includes(s.durable.error.code)) m.lastError = new SyncError(s.durable.error.code as never, s.durable.error.message);
    return;
  }
  m.hostPersists = true;
  for (const [client, seq] of s.saved ?? []) {
    if (!isMe(t, client)) continue;
    const c = m.calls.get(seq);
    if (!c) continue;
    confirm(t, seq, s.epoch, s.version);
    settle(t, c);
  }
  m.durable = s.durable;
  // A status names the host's version: a replica that missed a patch learns it here, not at the next beat.
  m.known = Math.max(m.known, s.version);
  watchGap(t);
}

/** Whether an ack or saved entry names this replica: by its id, or by its short name in this boot. */
const isMe = <TState>(t: Turn<TState>, client: string) => client === t.m.clientId || (t.m.alias !== undefined && client === t.m.alias);
