import { kvs, WhereConditions } from '@forge/kvs';
import type { StoredIntent as DurableIntent } from '@bgstore/protocol';
import type { InboxEntry } from '../storage/port';
import { decodeText, encodeText, nameOf, PIECE_BYTES, storedBytes } from './pieces';

// A document's inbox: batches whose commit lost the compare-and-set race wait here, under
// `<key>:in:<id>`, so that whichever commit wins next applies them too (commits are combined instead
// of queueing one behind another). A batch is posted by the invocation that carries it, with its
// caller's own context (refusals by its policy are already recorded in the intents), and that
// invocation stays responsible for it: it keeps committing until its intents are stored, by itself
// or by another commit. So an entry is only a hint — read eventually consistently, applied at most
// once thanks to the client table, deleted by the commit that applied it or left for a later one.

/**
 * At most this many entries are read (and applied) by one commit: as many as its transaction can
 * delete, so what a commit applies leaves the inbox with it and does not crowd out newer entries.
 */
const READ_LIMIT = 21;

const prefix = (key: string) => `${key}:in:`;

/**
 * The inbox key of a batch: the time it was posted, then a hash of its caller and first intent.
 * Keys sort by time, and a query reads them in key order, so the longest-waiting batches are
 * carried first.
 */
export const inboxKey = (key: string, caller: string | null, intents: readonly DurableIntent[], now = Date.now()) =>
  `${prefix(key)}${now.toString(36).padStart(9, '0')}:${nameOf(JSON.stringify([caller, intents[0]?.clientId, intents[0]?.seq]))}`;

/** Posts a batch; false (nothing posted) when it is too large for one value. */
export async function postInbox(entry: InboxEntry): Promise<boolean> {
  const text = JSON.stringify({ caller: entry.caller, intents: entry.intents });
  if (storedBytes(text) > PIECE_BYTES) return false;
  await kvs.set<string>(entry.key, encodeText(text));
  return true;
}

/** Deletes an entry whose intents are stored; a failure leaves it for a later commit to delete. */
export async function dropInbox(key: string): Promise<void> {
  await kvs.delete(key).catch(() => undefined);
}

/** Reads the longest-waiting batches (up to 21); none when the read fails, since they are only a hint. */
export async function readInbox(key: string): Promise<InboxEntry[]> {
  try {
    const { results } = await kvs.query().where('key', WhereConditions.beginsWith(prefix(key))).limit(READ_LIMIT).getMany<string>();
    return results.flatMap(({ key: k, value }) => {
      try {
        const parsed = JSON.parse(decodeText(value)) as { caller: string | null; intents: DurableIntent[] };
        return Array.isArray(parsed.intents) ? [{ key: k, caller: parsed.caller ?? null, intents: parsed.intents }] : [];
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}
