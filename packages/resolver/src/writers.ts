import type { DurableDoc } from '@bgstore/core/durable';

/** A client whose intents were recorded this recently counts as one of the document's writers. */
export const WRITER_MS = 5_000;

/** How many clients recorded intents in `doc` within {@link WRITER_MS} of `now` (its client table's `seen`). */
export function countWriters(doc: DurableDoc<unknown>, now: number): number {
  return seenTimes(doc).filter((at) => at > now - WRITER_MS).length;
}

/** When each client of `doc` last recorded intents (its client table's `seen`). */
function seenTimes(doc: DurableDoc<unknown>): number[] {
  return Object.values(doc.clients).flatMap((record) => {
    const seen = (record as { seen?: unknown } | null)?.seen;
    return typeof seen === 'number' ? [seen] : [];
  });
}

/**
 * The writers `doc` shows as of its own last write (the latest `seen` in its client table): a warm
 * copy may be seconds old, and counted against the clock its writers would seem fewer than they
 * are. Unknown (no document): Infinity, as many as may be.
 */
export function writersIn(doc: DurableDoc<unknown> | undefined): number {
  if (!doc) return Infinity;
  const seen = seenTimes(doc);
  const latest = seen.reduce((a, b) => Math.max(a, b), -Infinity);
  return seen.filter((at) => at > latest - WRITER_MS).length;
}
