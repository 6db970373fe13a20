// Other tabs' commits, as changes: a check that answers what changed since the host's durable
// revision (`Persistence.sync`), and changes that arrive without asking (`Host.receiveChange`, e.g.
// from Forge Realtime). Either moves the durable base forward by patches, and the host rebases on
// it (unsaved intents replayed on top), exactly as after a reload — without reloading the state.
//
//   change arrives ──base = durable revision, nothing in flight──▶ applied, rebase
//        │ our commit in flight: kept (at most a few), applied after its answer if it then fits
//        │ older than what we hold: dropped
//        └ anything else (no patches, another base): a revision check, as a hint would
import { retryDelay } from '@bgstore/protocol';
import type { LoadedChanges, LoadedDoc, RemoteChange } from '../runtime/ports';
import { applyStoredPatches } from '../state/patches';
import { rebase } from './publish';
import { requestCheck, scheduleCheck } from './revisionCheck';
import { reportDurable } from './durableReport';
import type { Turn } from './turn';

/** Changes kept while our commit is in flight. */
const KEPT = 8;

/** The durable base moves to `revision`'s `state`; the host's state becomes it plus what is unsaved. */
function moveDurable<TState>(t: Turn<TState>, revision: number, state: TState) {
  const q = t.m.save!;
  q.revision = revision;
  q.state = state;
  rebase(t);
  scheduleCheck(t);
  reportDurable(t);
}

/** Applies `change` on the durable base; false (nothing changed) when its patches do not apply. */
function applyChange<TState>(t: Turn<TState>, change: RemoteChange): boolean {
  let state: TState;
  try {
    state = applyStoredPatches(t.m.save!.state, change.patches!);
  } catch (error) {
    t.out.push({ type: 'warn', message: `[bgstore] ${t.m.definition.name}: a change to revision ${change.revision} did not apply (${error instanceof Error ? error.message : String(error)}); checking storage` });
    return false;
  }
  moveDurable(t, change.revision, state);
  return true;
}

/** A change another page committed arrived (Forge Realtime): apply it if it is on our durable revision, else check. */
export function onRemoteChange<TState>(t: Turn<TState>, change: RemoteChange) {
  const { m } = t;
  const q = m.save;
  const c = m.check;
  if (!q || !c || m.phase !== 'live' || change.revision <= q.revision) return;
  if (q.inflight.length > 0) {
    // Our commit's answer tells what happened up to its revision; a change after it applies then.
    c.remote = [...c.remote.filter((r) => r.revision !== change.revision), change].slice(-KEPT);
    return;
  }
  if (!(change.patches && change.base === q.revision && applyChange(t, change))) requestCheck(t);
}

/** After our commit's answer: apply kept changes that now fit, and check if any newer one does not. */
export function applyKept<TState>(t: Turn<TState>) {
  const q = t.m.save!;
  const c = t.m.check;
  if (!c || c.remote.length === 0 || q.inflight.length > 0) return;
  const kept = c.remote.sort((a, b) => a.revision - b.revision);
  c.remote = [];
  for (const change of kept) {
    if (change.revision <= q.revision) continue;
    if (!(change.patches && change.base === q.revision && applyChange(t, change))) return void requestCheck(t);
  }
}

const isChanges = <TState>(answer: LoadedChanges | LoadedDoc<TState>): answer is LoadedChanges => Array.isArray((answer as LoadedChanges).patches);

/**
 * Storage answered a check made with `sync(since)`: nothing changed, the changes since, or (when it
 * no longer had them) the whole document. An answer for a base the host has moved past (our commit
 * went through meanwhile) says only whether storage is ahead: then check again soon.
 */
export function onSynced<TState>(t: Turn<TState>, since: number, answer: LoadedChanges | LoadedDoc<TState>) {
  const { m } = t;
  const q = m.save!;
  const c = m.check;
  if (!c) return;
  c.checking = false;
  const again = c.recheck;
  c.recheck = false;
  const stale = since !== q.revision || q.inflight.length > 0;
  if (stale || answer.revision === q.revision) {
    if (answer.revision > q.revision || again) scheduleCheck(t, retryDelay(m.timing.retry.recheck, 0, m.random));
    else scheduleCheck(t);
    return;
  }
  if (!isChanges(answer)) return moveDurable(t, answer.revision, answer.state);
  // Changes that do not apply (or are not the ones asked for): the whole document, then.
  if (answer.since !== since || !applyChange(t, { base: since, revision: answer.revision, patches: answer.patches })) t.out.push({ type: 'load' });
}
