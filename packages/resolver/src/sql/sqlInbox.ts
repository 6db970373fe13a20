import type { StoredIntent } from '@bgstore/protocol';
import type { Inbox, InboxEntry } from '../storage/port';
import { decodeText, encodeText, nameOf, storedBytes } from '../kvs/pieces';
import { marks, select, write, type Row } from './client';
import { INBOX_READ_LIMIT } from './readSqlDoc';

// A document's inbox in Forge SQL: one row per waiting batch, keyed (document, entry), where the
// entry sorts by the time it was posted, so the longest-waiting batches are read first. Entries are
// hints (see the port): a failed read answers none, a failed delete leaves the row for a later commit.

/**
 * A batch larger than this does not wait in the inbox (its own commit keeps retrying instead): the
 * inbox is read along with the document, and the answer must stay under Forge SQL's 4 MiB.
 */
const MAX_ENTRY_BYTES = 100_000;
const SEPARATOR = ':in:';

/** Splits an entry key into its document and entry. */
export function splitKey(entryKey: string): [string, string] {
  const at = entryKey.lastIndexOf(SEPARATOR);
  return [entryKey.slice(0, at), entryKey.slice(at + SEPARATOR.length)];
}

/** Deletes entries of one document (best effort); false when the delete failed. */
export async function dropEntries(docKey: string, entryKeys: readonly string[]): Promise<boolean> {
  const entries = entryKeys.map(splitKey).filter(([doc]) => doc === docKey).map(([, entry]) => entry);
  if (entries.length === 0) return true;
  return write(`DELETE FROM bgstore_inbox WHERE doc_key = ? AND entry IN (${marks(entries.length)})`, docKey, ...entries).then(
    () => true,
    () => false,
  );
}

/**
 * The entries in inbox rows (`entry`, `body`, `expires` — or `size` in a read along with the
 * document) of document `key` not expired at `now`; rows that do not parse are skipped.
 */
export function parseInboxRows(key: string, rows: readonly Row[], now: number): InboxEntry[] {
  return rows.flatMap((row) => {
    const expires = Number(row.expires ?? row.size ?? 0);
    if (expires > 0 && expires <= now) return [];
    try {
      const parsed = JSON.parse(decodeText(String(row.body))) as { caller: string | null; intents: StoredIntent[] };
      return Array.isArray(parsed.intents) ? [{ key: `${key}${SEPARATOR}${String(row.entry)}`, caller: parsed.caller ?? null, intents: parsed.intents, ...(expires > 0 ? { expires } : {}) }] : [];
    } catch {
      return [];
    }
  });
}

/** The text a batch waits as (in the inbox table or on a log row); undefined when it is too large to wait. */
export function entryText(entry: InboxEntry): string | undefined {
  const text = JSON.stringify({ caller: entry.caller, intents: entry.intents });
  return storedBytes(text) > MAX_ENTRY_BYTES ? undefined : text;
}

/** The inbox of documents in Forge SQL. */
export function createSqlInbox(): Inbox {
  return {
    keyOf: (key: string, caller: string | null, intents: readonly StoredIntent[], now: number) =>
      `${key}${SEPARATOR}${now.toString(36).padStart(9, '0')}:${nameOf(JSON.stringify([caller, intents[0]?.clientId, intents[0]?.seq]))}`,
    async post(entry: InboxEntry) {
      const text = entryText(entry);
      if (text === undefined) return false;
      const [docKey, id] = splitKey(entry.key);
      // A retried post of the same batch finds its row there: posted all the same.
      await write('INSERT IGNORE INTO bgstore_inbox (doc_key, entry, expires, body) VALUES (?, ?, ?, ?)', docKey, id, entry.expires ?? 0, encodeText(text));
      return true;
    },
    async read(key: string, now: number) {
      try {
        return parseInboxRows(key, await select(`SELECT entry, expires, body FROM bgstore_inbox WHERE doc_key = ? ORDER BY entry LIMIT ${INBOX_READ_LIMIT}`, key), now);
      } catch {
        return [];
      }
    },
    async drop(entryKey: string) {
      await dropEntries(splitKey(entryKey)[0], [entryKey]);
    },
  };
}
