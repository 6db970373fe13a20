// The save queue's side of the host: accepted intents go to storage, answers come back.
import { SyncError, type Outcome, type Refusal, type StoredIntent } from '@bgstore/protocol';
import { durableStatus, onSaved, onSaveFailed, pushIntent, takeBatch } from '../durable/saveQueue';
import type { CommitResult } from '../runtime/ports';
import { rebase } from './publish';
import { env, send, type Turn } from './state';

export function persist<TState>(t: Turn<TState>, intent: StoredIntent) {
  const q = t.m.save;
  if (!q) return;
  const wasIdle = q.queue.length === 0 && q.inflight.length === 0;
  pushIntent(q, intent, t.now, t.m.timing);
  if (wasIdle) reportDurable(t);
}

export function commitDue<TState>(t: Turn<TState>, force = false) {
  const { m } = t;
  if (!m.save || m.phase !== 'live') return;
  const batch = takeBatch(m.save, t.now, m.timing, m.definition.name, force);
  if (!batch) return;
  t.out.push({ type: 'commit', batch });
  reportDurable(t);
}

export function onCommitted<TState>(t: Turn<TState>, result: CommitResult<TState>) {
  const { m } = t;
  const q = m.save!;
  const r = onSaved(q, result, m.definition, t.now);
  learnRefusals(t, r.refused);
  if (r.rebase !== undefined) rebase(t);
  reportDurable(t, r.saved, r.refused);
}

export function onCommitFailed<TState>(t: Turn<TState>, error: unknown) {
  const { m } = t;
  const r = onSaveFailed(m.save!, error, t.now, m.timing);
  if (r.retryInMs !== undefined && r.retryInMs > 0) t.out.push({ type: 'warn', message: `${m.save!.error?.message}; retrying in ${r.retryInMs} ms (${m.save!.queue.length} unsaved)` });
  learnRefusals(t, r.refused);
  if (r.rebase !== undefined) rebase(t);
  reportDurable(t, [], r.refused);
}

/** Refusals learned from storage are remembered, so a retried intent is refused again even if a `reject` was lost. */
export function learnRefusals<TState>(t: Turn<TState>, refused: Outcome[]) {
  const { m } = t;
  for (const o of refused) if (!o.ok) m.table.record(o.clientId, o.seq, { ok: false, code: o.code, message: o.message }, t.now, true);
}

/** Tells replicas (and the app) how far the state is saved; `saved` and `refused` settle calls. */
export function reportDurable<TState>(t: Turn<TState>, saved: [string, number][] = [], refused: Outcome[] = []) {
  const { m } = t;
  const q = m.save!;
  t.out.push({ type: 'durable' });
  if (m.phase !== 'live' && m.phase !== 'loading') return;
  const others = saved.filter(([c]) => c !== m.epoch).map(([c, seq]): [string, number] => [m.aliases.get(c) ?? c, seq]);
  send(t, { ...env(t), type: 'status', version: m.version, durable: durableStatus(q), ...(others.length ? { saved: others } : {}) });
  for (const [c, seq] of saved) if (c === m.epoch) t.out.push({ type: 'settled', seq });
  for (const r of refused) {
    if (r.ok) continue;
    const refusal: Refusal = { code: r.code, message: r.message };
    if (r.clientId === m.epoch) t.out.push({ type: 'settled', seq: r.seq, error: new SyncError(refusal.code, refusal.message) });
    else send(t, { ...env(t), type: 'reject', to: r.clientId, seq: r.seq, ...refusal });
  }
}

export function scheduleCheck<TState>(t: Turn<TState>, ms = t.m.timing.revisionCheckMs) {
  const q = t.m.save;
  if (!q || t.m.timing.revisionCheckMs <= 0) return;
  q.checkAt = t.now + ms;
}
