// New versions: the host's state changes only here, and every change is broadcast as a patch.
import { PROTOCOL_VERSION, type PatchMessage, type WirePatch } from '@bgstore/protocol';
import { freezeChanged } from '../runtime/freeze';
import { diffState } from '../state/diffState';
import { logBytes } from '../state/jsonBound';
import { advanceDigest } from '../state/stateDigest';
import { isHeld } from '../state/defineStore';
import { replayIntents } from '../state/runIntent';
import type { LogEntry } from './state';
import { send, type Turn } from './turn';

/**
 * After a burst of patches, six beats follow, 200 ms apart, so a replica that missed a patch learns
 * the version within a second or so even when half the messages are lost (then the heartbeat).
 */
export const TRAILING_BEAT_MS = 200;
export const TRAILING_BEATS = 6;

/** Makes `next` the state at a new version and broadcasts `patches` (with `acks`) to replicas. */
export function publish<TState>(t: Turn<TState>, next: TState, patches: WirePatch[], acks: [string, number][]) {
  const { m } = t;
  const previous = m.state;
  m.state = freezeChanged(next, patches);
  advanceDigest(previous, m.state, patches);
  const base = m.version++;
  const entry: LogEntry = { base, next: m.version, patches, bytes: logBytes(patches) };
  m.log.push(entry);
  m.logBytes += entry.bytes;
  while (m.log.length > m.timing.logEntries || (m.logBytes > m.timing.logBytes && m.log.length > 1)) m.logBytes -= m.log.shift()!.bytes;
  // Spelled out, not spread from `env(t)`: a message per action, and V8 (Node 20) copies an
  // object spread followed by more keys about 20× slower than it builds the literal.
  const message: PatchMessage = { bgstore: PROTOCOL_VERSION, store: m.definition.name, from: m.epoch, epoch: m.epoch, type: 'patch', base, next: m.version, patches };
  if (acks.length) message.acks = acks;
  send(t, message);
  t.out.push({ type: 'changed', previous });
  // A beat soon after a burst ends tells a replica that missed its last patch, without waiting a heartbeat.
  m.trailing = TRAILING_BEATS;
  m.lastPatchAt = m.lastTrailAt = t.now;
  m.beatAt = Math.min(m.beatAt ?? Infinity, t.now + TRAILING_BEAT_MS);
}

/** Storage moved in a way this host did not predict: its state becomes storage's plus what is unsaved. */
export function rebase<TState>(t: Turn<TState>) {
  const { m } = t;
  const q = m.save!;
  // Held intents (`optimistic: false`) enter the state only from storage's answer.
  const next = replayIntents(m.definition, q.state, [...q.inflight, ...q.queue].filter((i) => !isHeld(m.definition, i.name)), m.caller);
  const patches = diffState(m.state, next);
  if (patches.length === 0) return;
  m.counters.rebases++;
  publish(t, next, patches, []);
}
