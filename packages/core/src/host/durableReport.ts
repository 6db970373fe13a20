// How far the state is saved, told: the durable status replicas and the app see, and the calls a
// commit's answer settles (saved or refused: a refusal is remembered, so a retried intent is
// refused again even if its `reject` was lost).
import { SyncError, type DurableStatus, type Outcome, type Refusal } from '@bgstore/protocol';
import type { SaveQueue } from './saveQueue';
import { env, send, type Turn } from './turn';

export const durableStatus = (q: SaveQueue<unknown>): DurableStatus => ({
  revision: q.revision,
  unsaved: q.queue.length + q.inflight.length,
  saving: q.inflight.length > 0,
  error: q.error,
  ...(q.throttledUntil !== undefined && q.error ? { throttledUntil: q.throttledUntil } : {}),
});

export const durableField = <TState>(t: Turn<TState>) => (t.m.save ? { durable: durableStatus(t.m.save) } : {});

/** Refusals learned from storage are remembered, so a retried intent is refused again even if a `reject` was lost. */
export function learnRefusals<TState>(t: Turn<TState>, refused: Outcome[]) {
  for (const o of refused) if (!o.ok) t.m.table.record(o.clientId, o.seq, { ok: false, code: o.code, message: o.message }, t.now, true);
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
