import { kvs, WhereConditions } from '@forge/kvs';
import type { StoredIntent as DurableIntent } from '@bgstore/protocol';
import type { InboxEntry } from '../storage/port';
import { decodeText, encodeText, nameOf, PIECE_BYTES, storedBytes } from './pieces';

// A document's inbox: batches whose commit lost the compare-and-set race wait here, under
// `<key>:in:<id>`, so that whichever commit wins next applies them too (commits are combined instead
// of queueing one behind another). A batch is posted by the invocation that carries it, with its
// caller's own context (refusals by its policy are already recorded in the intents), and that
// invocation stays responsible for it: it keeps committing until its intents are stored, by itself
// or by another commit, and deletes the entry before it answers. So an entry is only a hint — read
// eventually consistently, applied at most once thanks to the client table, deleted by the commit
// that applied it or by its poster, and ignored once it expires (storage's TTL then drops it).

/**
 * At most this many entries are read (and applied) by one commit: as many as its transaction and one
 * batch delete after it can delete, so what a commit applies leaves the inbox with it and does not
 * crowd out newer entries. Under contention a round gathers about a slot's batches (see inboxWait.ts:
 * 20 at 50 commits a second); a round over the limit leaves the rest to the next.
 */
const READ_LIMIT = 45;
/** Keys one batch delete takes. */
const BATCH_KEYS = 25;

const prefix = (key: string) => `${key}:in:`;
/** How long an entry without its own expiry may wait: an earlier version's poster answered by then. */
const DEFAULT_LIFE_MS = 30_000;
/** When an entry was posted, from its key (see {@link inboxKey}). */
const postedAt = (entryKey: string) => parseInt(entryKey.slice(entryKey.lastIndexOf(':in:') + 4).split(':')[0]!, 36) || 0;

/**
 * The inbox key of a batch: the time it was posted, then a hash of its caller and first intent.
 * Keys sort by time, and a query reads them in key order, so the longest-waiting batches are
 * carried first.
 */
export const inboxKey = (key: string, caller: string | null, intents: readonly DurableIntent[], now: number) =>
  `${prefix(key)}${now.toString(36).padStart(9, '0')}:${nameOf(JSON.stringify([caller, intents[0]?.clientId, intents[0]?.seq]))}`;

/** Storage keeps an entry this long after readers ignore it (its TTL may lag; readers do not). */
const TTL_SLACK_S = 60;

/** Posts a batch, kept by storage a while past `entry.expires`; false (nothing posted) when it is too large for one value. */
export async function postInbox(entry: InboxEntry, now: number): Promise<boolean> {
  const text = JSON.stringify({ caller: entry.caller, intents: entry.intents, e: entry.expires });
  if (storedBytes(text) > PIECE_BYTES) return false;
  const seconds = Math.max(1, Math.ceil(((entry.expires ?? now) - now) / 1000)) + TTL_SLACK_S;
  await kvs.set<string>(entry.key, encodeText(text), { ttl: { value: seconds, unit: 'SECONDS' } });
  return true;
}

/** Deletes an entry; a failure leaves it to expire. */
export async function dropInbox(key: string): Promise<void> {
  await kvs.delete(key).catch(() => undefined);
}

/** Deletes entries, 25 to a request; a failure leaves them to expire. */
export async function dropInboxAll(keys: readonly string[]): Promise<void> {
  const batches = Array.from({ length: Math.ceil(keys.length / BATCH_KEYS) }, (_, i) => keys.slice(i * BATCH_KEYS, (i + 1) * BATCH_KEYS));
  await Promise.all(batches.map((batch) => kvs.batchDelete(batch.map((key) => ({ key }))).catch(() => undefined)));
}

/** Reads the longest-waiting batches not expired at `now` (up to 45); none when the read fails, since they are only a hint. */
export async function readInbox(key: string, now: number): Promise<InboxEntry[]> {
  try {
    const { results } = await kvs.query().where('key', WhereConditions.beginsWith(prefix(key))).limit(READ_LIMIT).getMany<string>();
    return results.flatMap(({ key: k, value }) => {
      try {
        const parsed = JSON.parse(decodeText(value)) as { caller: string | null; intents: DurableIntent[]; e?: number };
        // An entry without its expiry (posted by an earlier version) lives as long as one with.
        const expires = typeof parsed.e === 'number' ? parsed.e : postedAt(k) + DEFAULT_LIFE_MS;
        return Array.isArray(parsed.intents) && expires > now ? [{ key: k, caller: parsed.caller ?? null, intents: parsed.intents, expires }] : [];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}
