import type { DurableDoc } from '@bgstore/core/durable';

/** A client whose intents were recorded this recently counts as one of the document's writers. */
export const WRITER_MS = 5_000;

/** How many clients recorded intents in `doc` within {@link WRITER_MS} of `now` (its client table's `seen`). */
export function countWriters(doc: DurableDoc<unknown>, now: number): number {
  let writers = 0;
  for (const record of Object.values(doc.clients)) {
    const seen = (record as { seen?: unknown } | null)?.seen;
    if (typeof seen === 'number' && seen > now - WRITER_MS) writers++;
  }
  return writers;
}

/** The writers of `doc` at `now` (see {@link countWriters}); unknown (no document): Infinity, as many as may be. */
export const writersIn = (doc: DurableDoc<unknown> | undefined, now: number): number => (doc ? countWriters(doc, now) : Infinity);
