// The batch a commit carries: the oldest unsaved intents, as many as fit one request, and the
// floors that tell storage which of each client's older seqs are settled. A pure part of saving
// (save.ts decides when; this decides what).
import { jsonBytes, type StoredIntent } from '@bgstore/protocol';
import type { CommitBatch } from '../runtime/ports';
import { intentBytesAtMost } from '../state/jsonBound';
import type { SaveQueue, SaveTiming } from './saveQueue';

/** The batch to commit now, if one is due: intents in order, as many as fit `maxBatchBytes` of UTF-8 JSON. */
export function takeBatch(q: SaveQueue<unknown>, now: number, timing: SaveTiming, store: string, force: boolean): CommitBatch | undefined {
  if (q.inflight.length > 0 || q.queue.length === 0 || (!force && (q.dueAt === undefined || q.dueAt > now))) return undefined;
  q.dueAt = undefined;
  // The request's envelope, then each intent with a comma: a batch never exceeds invoke's limit in bytes.
  let bytes = jsonBytes({ store, baseRevision: q.revision, intents: [], floors: [...q.floors] }) + 16;
  const most = Math.min(q.queue.length, timing.maxBatchIntents, q.split);
  // Usually a bound settles it without writing the intents' JSON; else each is measured.
  let n = fitsAtMost(q.queue, most, bytes, timing.maxBatchBytes) ? most : 0;
  while (n < most) {
    bytes += jsonBytes(q.queue[n]) + 1;
    if (n > 0 && bytes > timing.maxBatchBytes) break;
    n++;
  }
  q.inflight = q.queue.splice(0, n);
  // A floor never passes an intent still on its way (this batch or a later one): storage would
  // take it for done. The client's word is only believed below what this host has not saved.
  const lowest = new Map<string, number>();
  for (const i of [...q.inflight, ...q.queue]) lowest.set(i.clientId, Math.min(lowest.get(i.clientId) ?? Infinity, i.seq));
  const floors = [...q.floors].filter(([c]) => lowest.has(c) && q.inflight.some((i) => i.clientId === c)).map(([c, f]): [string, number] => [c, Math.min(f, lowest.get(c)! - 1)]);
  const base = q.state;
  return { baseRevision: q.revision, intents: q.inflight, ...(floors.length ? { floors } : {}), base: () => base };
}

/** Whether the first `n` intents certainly fit `max` bytes after `bytes` (by their bounds). */
function fitsAtMost(queue: readonly StoredIntent[], n: number, bytes: number, max: number): boolean {
  for (let k = 0; k < n && bytes <= max; k++) bytes += intentBytesAtMost(queue[k]!);
  return bytes <= max;
}
