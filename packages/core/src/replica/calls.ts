import { PROTOCOL_VERSION, SyncError } from '@bgstore/protocol';
import { isHeld } from '../state/defineStore';
import { inView, isFinal, resendAt, send, type Call, type Turn } from './state';

// A call's life (the diagram is at the top of machine.ts): queued → sent → applied → saved, or refused / timed out.

export function settle<TState>(t: Turn<TState>, c: Call, error?: SyncError) {
  if (isFinal(c)) return;
  if (error) {
    c.stage = error.code === 'TIMEOUT' ? 'timed-out' : 'refused';
    t.m.lastError = error;
  } else {
    c.stage = 'saved';
  }
  t.out.push({ type: 'settled', seq: c.seq, ...(error ? { error } : {}) });
}

/** Drops calls that are settled and no longer needed by the view. */
export function prune<TState>(t: Turn<TState>) {
  const { m } = t;
  for (const c of [...m.calls.values()]) if (isFinal(c) && (c.stage !== 'saved' || inView(m, c))) m.calls.delete(c.seq);
}

/** Sends calls as intents (one message), with the floor: every seq below `settledBelow` is settled here. */
export function sendIntents<TState>(t: Turn<TState>, due: Call[]) {
  const { m } = t;
  if (due.length === 0) return;
  for (const c of due) {
    c.sentAt = t.now;
    if (c.stage === 'queued') c.stage = 'sent';
  }
  let settledBelow = m.nextSeq + 1;
  for (const c of m.calls.values()) {
    if (!isFinal(c)) {
      settledBelow = c.seq;
      break;
    }
  }
  send(t, { bgstore: PROTOCOL_VERSION, store: m.definition.name, from: m.clientId, type: 'intents', settledBelow, items: due.map((c) => ({ seq: c.seq, name: c.name, args: c.args })) });
}

export function flushQueued<TState>(t: Turn<TState>) {
  sendIntents(t, [...t.m.calls.values()].filter((c) => c.stage === 'queued'));
}

/** The host applied call `seq`: its effects are in the host's state from `version` on. */
export function confirm<TState>(t: Turn<TState>, seq: number, epoch: string, version: number) {
  const c = t.m.calls.get(seq);
  if (!c || c.ack || isFinal(c)) return;
  c.ack = { epoch, version };
  c.stage = 'applied';
  // A held call is only queued for storage: no state has it until it is saved (settle resolves `applied` then).
  if (!isHeld(t.m.definition, c.name)) t.out.push({ type: 'applied', seq });
  if (t.m.hostPersists === false) settle(t, c);
}

/** Calls that are due: unapplied ones time out or go again; applied, unsaved ones are asked about. */
export function tickCalls<TState>(t: Turn<TState>) {
  const { m, now } = t;
  const due: Call[] = [];
  for (const c of m.calls.values()) {
    if (isFinal(c) || c.stage === 'queued') continue;
    if (!c.ack && now >= c.deadline) {
      settle(t, c, new SyncError('TIMEOUT', `[bgstore] ${m.definition.name}.${c.name}: no answer from the background script in ${m.timing.intentTimeoutMs} ms${process.env.NODE_ENV !== 'production' ? '; it may or may not have been applied' : ''}`));
      continue;
    }
    // Unapplied calls go again; applied ones not yet reported saved (the status saying so may be
    // lost) are asked about less often, and the host answers with `saved`.
    if (now >= resendAt(m, c)) due.push(c);
  }
  sendIntents(t, due);
}
