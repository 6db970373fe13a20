// The host's protocol as a state machine: a plain record and free functions. `step` takes one event
// (a message, its own action call, a storage answer, a tick of the clock, close) and returns the
// effects to perform; it never reads a clock, awaits storage or touches a transport. `createHost`
// wires it to the channel, the wake-up timer and the persistence port.
//
//   loading ──loaded──▶ live ──close()──▶ closed
//      │                 ▲ (messages that arrive while loading are buffered, then handled)
//      └──load failed for good (a permanent error)──▶ failed
//
// Words: the host *publishes* a change (new version, patch broadcast to replicas); it *commits*
// intents to storage (through the save queue, `durable/saveQueue.ts`). Only storage commits.
import { isSyncError, SyncError } from '@bgstore/protocol';
import { createClientTable } from '../durable/clientTable';
import { durableStatus, isPermanent } from '../durable/saveQueue';
import { deepFreeze } from '../runtime/freeze';
import type { CommitResult, LoadedDoc } from '../runtime/ports';
import { backoff } from '../runtime/schedule';
import { rebase } from './publish';
import { dispatch, onCall, runCall, tick } from './serve';
import { commitDue, onCommitFailed, onCommitted, reportDurable, scheduleCheck } from './storage';
import { durableField, env, send, type HostEffect, type HostEvent, type HostMachine, type Turn } from './state';

export { createHostMachine, nextWake } from './state';
export type { HostCounters, HostEffect, HostEvent, HostMachine, HostPhase, HostTiming } from './state';

/** A revision check that had to wait (our commit in flight, or a hint during a check) runs again this soon. */
const SOON_MS = 200;

/** Runs one event. Mutates `m`; returns what to do. */
export function step<TState>(m: HostMachine<TState>, event: HostEvent, now: number): HostEffect[] {
  const out: HostEffect[] = [];
  if (m.phase === 'closed') return out;
  const t: Turn<TState> = { m, now, out };
  switch (event.type) {
    case 'start':
      if (m.save) out.push({ type: 'load' });
      else goLive(t);
      break;
    case 'loaded':
      onLoaded(t, event.doc as LoadedDoc<TState>);
      break;
    case 'load-failed':
      onLoadFailed(t, event.error);
      break;
    case 'message':
      if (m.phase === 'loading') {
        if (m.buffered.length < 1000) m.buffered.push(event.message);
      } else if (m.phase === 'live') dispatch(t, event.message);
      // A host that cannot load tells every replica that asks why, so none waits on "loading".
      else if (m.phase === 'failed' && event.message.type === 'hello' && m.save) send(t, { ...env(t), type: 'status', version: m.version, durable: durableStatus(m.save) });
      break;
    case 'call':
      onCall(t, event.name, event.args);
      break;
    case 'saved':
      onCommitted(t, event.result as CommitResult<TState>);
      break;
    case 'save-failed':
      onCommitFailed(t, event.error);
      break;
    case 'revision':
      if (m.save) {
        const q = m.save;
        q.checking = false;
        const again = q.recheck;
        q.recheck = false;
        // Other tabs moved storage: load it and rebase — once our own commit is back, if one is in flight.
        if (event.revision !== q.revision && q.inflight.length === 0) out.push({ type: 'load' });
        else if (event.revision !== q.revision || again) scheduleCheck(t, SOON_MS);
        else scheduleCheck(t);
      }
      break;
    case 'revision-failed':
      if (m.save) {
        m.save.checking = false;
        m.save.recheck = false;
        scheduleCheck(t);
      }
      break;
    case 'flush':
      commitDue(t, true);
      break;
    case 'check-revision':
      // A hint that arrives while a check is in flight is not dropped: the check runs again after it.
      if (m.save?.checking) m.save.recheck = true;
      else if (m.save && m.phase === 'live') {
        m.save.checkAt = now;
        tick(t);
      }
      break;
    case 'tick':
      tick(t);
      break;
    case 'close':
      m.phase = 'closed';
      m.beatAt = m.loadAt = undefined;
      for (const c of m.waiting.splice(0)) out.push({ type: 'settled', seq: c.seq, error: new SyncError('CLOSED', `[bgstore] host of '${m.definition.name}' is closed`) });
      m.deferred.clear();
      if (m.save) m.save.flushAt = m.save.checkAt = undefined;
      break;
  }
  return out;
}

export function onLoaded<TState>(t: Turn<TState>, doc: LoadedDoc<TState>) {
  const { m } = t;
  const q = m.save!;
  q.error = null;
  const reload = m.phase === 'live';
  q.revision = doc.revision;
  q.state = doc.state;
  if (reload) {
    // A revision check found other tabs' commits: rebase on them.
    rebase(t);
    scheduleCheck(t);
    reportDurable(t);
    return;
  }
  m.table = createClientTable(doc.clients);
  // Nobody was served yet: the loaded state is version 0 of this boot.
  m.state = deepFreeze(doc.state);
  // A commit of the previous boot may still have been on its way when this one loaded: look
  // again soon, not only after a full interval.
  scheduleCheck(t, Math.min(m.timing.revisionCheckMs, 2000));
  goLive(t);
}

export function onLoadFailed<TState>(t: Turn<TState>, error: unknown) {
  const { m } = t;
  const q = m.save!;
  q.error = isSyncError(error) ? { code: error.code, message: error.message } : { code: 'STORAGE_FAILED', message: `[bgstore] storage failed: ${error instanceof Error ? error.message : String(error)}` };
  if (m.phase === 'live') {
    scheduleCheck(t);
    reportDurable(t);
    return;
  }
  if (isPermanent(q.error)) {
    m.phase = 'failed';
    t.out.push({ type: 'warn', message: `[bgstore] ${m.definition.name}: the host cannot load its state: ${q.error.message}` });
    send(t, { ...env(t), type: 'status', version: m.version, durable: durableStatus(q) });
    for (const c of m.waiting.splice(0)) t.out.push({ type: 'settled', seq: c.seq, error: new SyncError(q.error.code as never, q.error.message) });
    return;
  }
  const delay = backoff(m.loadAttempt++, m.timing.retryMinMs, m.timing.retryMaxMs, 0.2);
  t.out.push({ type: 'warn', message: `${q.error.message}; loading again in ${delay} ms` });
  m.loadAt = t.now + delay;
  // Replicas hear why they still wait.
  send(t, { ...env(t), type: 'status', version: m.version, durable: durableStatus(q) });
}

export function goLive<TState>(t: Turn<TState>) {
  const { m } = t;
  m.phase = 'live';
  send(t, { ...env(t), type: 'beat', version: m.version, ...durableField(t) });
  m.beatAt = t.now + m.timing.heartbeatMs;
  for (const msg of m.buffered.splice(0)) dispatch(t, msg);
  for (const c of m.waiting.splice(0)) runCall(t, c.seq, c.name, c.args);
}
