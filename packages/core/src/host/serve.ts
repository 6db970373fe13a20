// Serving replicas (hellos, intents), the host's own calls, and time.
import { SyncError, type HelloMessage, type IntentsMessage, type Message, type WirePatch } from '@bgstore/protocol';
import { isHeld } from '../state/defineStore';
import { runChecked, runIntent } from '../state/runIntent';
import { stateDigest } from '../state/stateDigest';
import { publish } from './publish';
import { durableField } from './durableReport';
import { isUnsaved, queueIntent } from './save';
import { env, send, type Turn } from './turn';

/** Whether an accepted intent waits for storage before it changes the state (held, and the host persists). */
const held = <TState>(t: Turn<TState>, name: string) => t.m.save !== undefined && isHeld(t.m.definition, name);

export function dispatch<TState>(t: Turn<TState>, msg: Message) {
  if (msg.type === 'hello') onHello(t, msg);
  else if (msg.type === 'intents') onIntents(t, msg);
}

export function refill<TState>(t: Turn<TState>) {
  const { m, now } = t;
  const per = 1000 / m.timing.snapshotsPerSecond;
  const gained = Math.floor((now - m.tokensAt) / per);
  if (gained > 0) {
    m.snapshotTokens = Math.min(m.timing.snapshotBurst, m.snapshotTokens + gained);
    m.tokensAt += gained * per;
  }
  if (m.snapshotTokens >= m.timing.snapshotBurst) m.tokensAt = now;
}

export function onHello<TState>(t: Turn<TState>, h: HelloMessage) {
  const { m } = t;
  // The answer is the asker's alone: to its inbox when it has one, so no other module parses it.
  const inbox = h.inbox ? h.from : undefined;
  if (h.fingerprint !== undefined && h.fingerprint !== m.definition.fingerprint) m.counters.buildMismatches++;
  if (h.epoch === m.epoch && h.version === m.version && h.fingerprint === m.definition.fingerprint) {
    send(t, { ...env(t), type: 'beat', version: m.version, to: h.from, ...durableField(t) }, inbox);
    return;
  }
  if (h.epoch === m.epoch && h.version !== null && h.version > m.version) {
    // The replica is ahead of its host: it took a forged or corrupt message. The digest tells it.
    send(t, { ...env(t), type: 'beat', version: m.version, to: h.from, digest: stateDigest(m.state) }, inbox);
    return;
  }
  if (h.epoch === m.epoch && h.version !== null && h.version < m.version) {
    const start = m.log.findIndex((e) => e.base === h.version);
    if (start >= 0) {
      m.counters.catchUpsSent++;
      send(t, { ...env(t), type: 'patch', base: h.version, next: m.version, patches: m.log.slice(start).flatMap((e) => e.patches), to: h.from }, inbox);
      return;
    }
  }
  refill(t);
  if (m.snapshotTokens < 1) {
    // A hello storm: answer each asker once, as snapshots become affordable again.
    if (!m.deferred.has(h.from)) m.counters.hellosDeferred++;
    m.deferred.delete(h.from);
    m.deferred.set(h.from, h);
    if (m.deferred.size > 1000) m.deferred.delete(m.deferred.keys().next().value!);
    return;
  }
  m.snapshotTokens--;
  m.counters.snapshotsSent++;
  send(t, { ...env(t), type: 'snapshot', version: m.version, state: m.state, to: h.from, ...durableField(t), fingerprint: m.definition.fingerprint, ...aliasFor(t, h.from) }, inbox);
}

export function onIntents<TState>(t: Turn<TState>, msg: IntentsMessage) {
  const { m, now } = t;
  const from = msg.from;
  // A sender's floor never passes what this host processed of it, nor the intents it sends.
  const claim = Math.min(msg.settledBelow, ...msg.items.map((i) => i.seq)) - 1;
  m.table.advanceFloor(from, claim, now);
  // Storage gets the client's own word (what the host processed may not be stored yet).
  if (m.save && claim > (m.save.floors.get(from) ?? 0)) m.save.floors.set(from, claim);
  let next = m.state;
  const patches: WirePatch[] = [];
  const acks: [string, number][] = [];
  const reAcks: number[] = [];
  for (const intent of msg.items) {
    const seen = m.table.lookup(from, intent.seq);
    if (seen) {
      m.counters.duplicates++;
      if (seen.ok) reAcks.push(intent.seq);
      // A refusal is told again — unless storage has not settled it yet (it may still turn).
      else if (!(m.save && isUnsaved(m.save, from, intent.seq))) send(t, { ...env(t), type: 'reject', to: from, seq: intent.seq, code: seen.code, message: seen.message });
      continue;
    }
    const admitted = m.table.admit(from, intent.seq);
    if (admitted) {
      // Not recorded: an implausible seq must not move what the table believes of this client.
      m.counters.intentsRejected++;
      send(t, { ...env(t), type: 'reject', to: from, seq: intent.seq, ...admitted });
      continue;
    }
    const outcome = runIntent(m.definition, next, intent.name, intent.args, m.caller);
    m.table.record(from, intent.seq, outcome.ok ? { ok: true } : { ok: false, code: outcome.code, message: outcome.message }, now);
    if (outcome.ok) {
      m.counters.intentsApplied++;
      queueIntent(t, { clientId: from, seq: intent.seq, name: intent.name, args: intent.args });
      // A held action (`optimistic: false`) waits for storage's answer to enter the state (save.ts).
      if (outcome.patches.length === 0 || held(t, intent.name)) {
        reAcks.push(intent.seq);
      } else {
        next = outcome.state;
        patches.push(...outcome.patches);
        acks.push([nameOf(t, from), intent.seq]);
      }
    } else {
      m.counters.intentsRejected++;
      // With storage, a refusal is stored first, so a late copy of the intent never applies.
      if (m.save) queueIntent(t, { clientId: from, seq: intent.seq, name: intent.name, args: [], refused: { code: outcome.code, message: outcome.message } });
      else send(t, { ...env(t), type: 'reject', to: from, seq: intent.seq, code: outcome.code, message: outcome.message });
    }
  }
  if (patches.length) publish(t, next, patches, acks);
  if (reAcks.length) {
    const saved = m.save ? reAcks.filter((seq) => !isUnsaved(m.save!, from, seq)) : [];
    send(t, { ...env(t), type: 'ack', to: from, version: m.version, seqs: reAcks, ...(saved.length ? { saved } : {}) });
  }
}

export function onCall<TState>(t: Turn<TState>, name: string, args: unknown[]) {
  const { m } = t;
  const seq = ++m.localSeq;
  t.out.push({ type: 'opened', seq });
  if (m.phase === 'loading') m.waiting.push({ seq, name, args });
  else runCall(t, seq, name, args);
}

export function runCall<TState>(t: Turn<TState>, seq: number, name: string, args: unknown[]) {
  const { m } = t;
  if (m.phase === 'failed') {
    t.out.push({ type: 'settled', seq, error: new SyncError('STORAGE_FAILED', `[bgstore] host of '${m.definition.name}' could not load its state`) });
    return;
  }
  // Checked at the call site (`createActions`), which also copied the arguments.
  const outcome = runChecked(m.definition, m.state, name, args, m.caller);
  if (!outcome.ok) {
    t.out.push({ type: 'settled', seq, error: new SyncError(outcome.code, outcome.message) });
    return;
  }
  m.table.record(m.epoch, seq, { ok: true }, t.now);
  queueIntent(t, { clientId: m.epoch, seq, name, args });
  // Held until stored: applied and settled when storage answers.
  if (held(t, name)) return;
  if (outcome.patches.length) publish(t, outcome.state, outcome.patches, []);
  t.out.push({ type: 'applied', seq });
  if (!m.save) t.out.push({ type: 'settled', seq });
}

/** Hellos deferred by the snapshot budget are answered as it refills. */
export function answerDeferred<TState>(t: Turn<TState>) {
  const { m } = t;
  if (!m.deferred.size) return;
  refill(t);
  for (const [from, h] of m.deferred) {
    if (m.snapshotTokens < 1) break;
    m.deferred.delete(from);
    onHello(t, h);
  }
}

/** Gives a client a short name for this boot (at most 4,096 are named; others keep their ids). */
function aliasFor<TState>(t: Turn<TState>, clientId: string): { alias?: string } {
  const { aliases } = t.m;
  let alias = aliases.get(clientId);
  if (alias === undefined && aliases.size < 4096) aliases.set(clientId, (alias = `.${aliases.size.toString(36)}`));
  return alias === undefined ? {} : { alias };
}

/** How acks and saved lists name a client: its short name once it has one, else its id. */
export const nameOf = <TState>(t: Turn<TState>, clientId: string) => t.m.aliases.get(clientId) ?? clientId;
