import type { DurableDoc } from '@bgstore/core/durable';

// How wide a page's gap between commits to a Forge SQL document need be (#19, `StoragePort.commitGapMs`).
// A page under contention widens its gap (core's save.ts) so that each commit carries more actions
// and the quotas pay for fewer commits; its default ceiling, 2 s, is set for KVS. Forge SQL's quota
// is per installation: 150 DML requests a second, reads counted too (Forge's SQL REST reference). The
// document's writers — clients whose intents were recorded in the last few seconds, as its client
// table says — each commit once a gap, so the gap that keeps them within the quota is known from
// their number. Told with every answer, it lets a few dozen writers commit more often than every
// 2 s (20 pages: 0.64 s; 50 pages: 1.6 s); hosts never widen beyond their own ceiling for it.

/**
 * Requests a second of the 150 the document's commits may take on average: half. Pages' commits
 * bunch, and a second's window holds well over the mean: the bench at 50 pages, sized for 100
 * (gap 1.2 s), averaged 110 a second, peaked at 150 and drew 429s, for no better p99 than the
 * 2 s gap; the rest is for loads, checks of revisions and the rounds' extra reads.
 */
export const COMMIT_REQUESTS_PER_S = 75;
/**
 * Requests one commit call takes under contention: a blind INSERT that stores or posts its batch,
 * then a read that finds it carried; a leader's INSERT one more, and now and then a second read
 * (the bench at 50 pages: 2.37).
 */
export const REQUESTS_PER_COMMIT = 2.4;
/** A client whose intents were recorded this recently counts as a writer. */
export const WRITER_MS = 5_000;

/** The gap (ms) that keeps `doc`'s writers at `now` within {@link COMMIT_REQUESTS_PER_S}. */
export function sqlCommitGapMs(doc: DurableDoc<unknown>, now: number): number {
  let writers = 0;
  for (const record of Object.values(doc.clients)) {
    const seen = (record as { seen?: unknown } | null)?.seen;
    if (typeof seen === 'number' && seen > now - WRITER_MS) writers++;
  }
  return Math.round((writers * REQUESTS_PER_COMMIT * 1000) / COMMIT_REQUESTS_PER_S);
}
