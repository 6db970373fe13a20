// The host's protocol as a state machine: a plain record and free functions. `step` takes one event
// (a message, its own action call, a storage answer, a tick of the clock, close) and returns the
// effects to perform; it never reads a clock, awaits storage or touches a transport. `createHost`
// wires it to the channel, the wake-up timer and the persistence port.
//
//   loading ──loaded──▶ live ──close()──▶ closed
//      │                 ▲ (messages that arrive while loading are buffered, then handled)
//      └──load failed for good (a permanent error)──▶ failed
//
// Words (PROTOCOL.md's glossary): the host *publishes* a change (new version, patch broadcast to
// replicas); it *commits* a batch of intents to storage (`save.ts`). `tick` is the machine's: it
// runs what is due, each part in its own module.
import { retryDelay, SyncError } from '@bgstore/protocol';
import { createClientTable } from '../durable/clientTable';
import { deepFreeze } from '../runtime/freeze';
import type { CommitResult, LoadedDoc } from '../runtime/ports';
import { digestIfReady } from '../state/stateDigest';
import { beatDue } from './beat';
import { rebase } from './publish';
import { onRemoteChange, onSynced } from './remoteChanges';
import { checkDue, onRevision, onRevisionFailed, requestCheck, scheduleCheck } from './revisionCheck';
import { isRateLimited, throttle, unthrottle } from './throttle';
import { durableField, durableStatus, reportDurable } from './durableReport';
import { commitDue, isPermanent, onCommitFailed, onCommitted, storageError } from './save';
import { answerDeferred, dispatch, onCall, runCall } from './serve';
import type { HostEffect, HostEvent, HostMachine } from './state';
import { env, send, type Turn } from './turn';

export { createHostMachine, nextWake } from './state';
export type { HostCounters, HostEffect, HostEvent, HostMachine, HostPhase, HostTiming } from './state';

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
    case 'committed':
      onCommitted(t, event.result as CommitResult<TState>);
      break;
    case 'commit-failed':
      onCommitFailed(t, event.error);
      break;
    case 'revision':
      onRevision(t, event.revision);
      break;
    case 'synced':
      onSynced(t, event.since, event.answer as LoadedDoc<TState>);
      break;
    case 'revision-failed':
      onRevisionFailed(t, event.error);
      break;
    case 'remote-change':
      onRemoteChange(t, event.change);
      break;
    case 'flush':
      commitDue(t, true);
      break;
    case 'check-revision':
      if (requestCheck(t)) tick(t);
      break;
    case 'tick':
      tick(t);
      break;
    case 'close':
      m.phase = 'closed';
      m.beatAt = m.loadAt = undefined;
      for (const c of m.waiting.splice(0)) out.push({ type: 'settled', seq: c.seq, error: new SyncError('CLOSED', `[bgstore] host of '${m.definition.name}' is closed`) });
      m.deferred.clear();
      if (m.save) m.save.dueAt = undefined;
      if (m.check) m.check.at = undefined;
      break;
  }
  return out;
}

/** Runs what is due: a load retry, a revision check, a commit, deferred hellos, a beat. */
export function tick<TState>(t: Turn<TState>) {
  const { m, now } = t;
  if (m.loadAt !== undefined && m.loadAt <= now) {
    m.loadAt = undefined;
    t.out.push({ type: 'load' });
  }
  if (m.phase !== 'live') return;
  checkDue(t);
  commitDue(t);
  answerDeferred(t);
  beatDue(t);
}

export function onLoaded<TState>(t: Turn<TState>, doc: LoadedDoc<TState>) {
  const { m } = t;
  const q = m.save!;
  q.error = null;
  unthrottle(t);
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
  q.error = storageError(error);
  // The quota is spent: load again when its window reopens (a reload: check again then).
  const throttledUntil = isRateLimited(error) ? throttle(t, error) : undefined;
  if (m.phase === 'live') {
    scheduleCheck(t, throttledUntil === undefined ? undefined : throttledUntil - t.now);
    reportDurable(t);
    return;
  }
  if (throttledUntil !== undefined) {
    m.loadAt = throttledUntil;
    send(t, { ...env(t), type: 'status', version: m.version, durable: durableStatus(q) });
    return;
  }
  if (isPermanent(q.error)) {
    m.phase = 'failed';
    t.out.push({ type: 'warn', message: `[bgstore] ${m.definition.name}: the host cannot load its state: ${q.error.message}` });
    send(t, { ...env(t), type: 'status', version: m.version, durable: durableStatus(q) });
    for (const c of m.waiting.splice(0)) t.out.push({ type: 'settled', seq: c.seq, error: new SyncError(q.error.code as never, q.error.message) });
    return;
  }
  const delay = retryDelay(m.timing.retry.storage, m.loadAttempt++, m.random);
  t.out.push({ type: 'warn', message: `${q.error.message}; loading again in ${delay} ms` });
  m.loadAt = t.now + delay;
  // Replicas hear why they still wait.
  send(t, { ...env(t), type: 'status', version: m.version, durable: durableStatus(q) });
}

export function goLive<TState>(t: Turn<TState>) {
  const { m } = t;
  m.phase = 'live';
  // The state's digest is computed from now, in slices (a task each, see `beatDue`): not at the first
  // digest beat, in the middle of a burst and the joins after it. Patches keep it up to date after.
  digestIfReady(m.state);
  send(t, { ...env(t), type: 'beat', version: m.version, ...durableField(t) });
  m.beatAt = t.now + m.timing.heartbeatMs;
  for (const msg of m.buffered.splice(0)) dispatch(t, msg);
  for (const c of m.waiting.splice(0)) runCall(t, c.seq, c.name, c.args);
}
