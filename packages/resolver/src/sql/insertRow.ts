import type { DurableDoc } from '@bgstore/core/durable';
import { isDeadlock, isDuplicateKey, write } from './client';
import { PENDING_ROWS } from './pending';
import { SqlLostRaceError } from './sqlDocStore';

// The one statement a commit rests on (see sqlDocStore.ts): the INSERT of the next revision's row.

/**
 * Inserts the row of `next` on condition that the log has no row of its revision or later, in one
 * statement. The primary key alone would not do for a commit on an old read (a guess, or a read
 * long ago): the revision after it may be gone already, collected under a later snapshot.
 */
const INSERT_ROW =
  'INSERT INTO bgstore_log (doc_key, revision, schema_version, kind, size, body) SELECT ?, ?, ?, ?, ?, ? FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM bgstore_log WHERE doc_key = ? AND revision >= ?)';

/** Waiting batches a row holds at most (characters); a post beyond it replaces them (they are hints). */
const MAX_PENDING_CHARS = 100_000;

/**
 * The same INSERT, or else — when another commit took the revision and that row is still one of the
 * latest few, whose waiting batches reads send (`PENDING_ROWS`) — the batch appended to that row's
 * `pending`, where a later commit reads it: one statement both claims the revision and carries the
 * batch of a commit that loses. Its answer tells which: 1 row inserted, 2 updated (the appended
 * text is never the row's already, so a server that counts found rather than changed rows answers
 * the same), 0 neither (the revision is gone — collected — or far behind the latest). The INSERT
 * itself still needs no row after the revision, as `INSERT_ROW`.
 */
const INSERT_OR_POST = `INSERT INTO bgstore_log (doc_key, revision, schema_version, kind, size, body) SELECT ?, ?, ?, ?, ?, ? FROM DUAL WHERE NOT EXISTS (SELECT 1 FROM bgstore_log WHERE doc_key = ? AND revision > ?) OR (EXISTS (SELECT 1 FROM bgstore_log WHERE doc_key = ? AND revision = ?) AND NOT EXISTS (SELECT 1 FROM bgstore_log WHERE doc_key = ? AND revision > ? + ${PENDING_ROWS - 2})) ON DUPLICATE KEY UPDATE pending = CONCAT(IF(CHAR_LENGTH(COALESCE(pending, '')) > ${MAX_PENDING_CHARS}, '', COALESCE(pending, '')), ?)`;

/**
 * Inserts the row of `next` (or, with `post`, posts it where the revision was taken: see
 * {@link INSERT_OR_POST}); a later row, or a duplicate key, means another commit took the revision.
 * @throws SqlLostRaceError, its `posted` true when the batch now waits on the latest row
 */
export async function insertRow(key: string, next: DurableDoc<unknown>, kind: 's' | 'e', size: number, body: string, post?: string): Promise<void> {
  const lost = (posted: boolean) => new SqlLostRaceError(`[bgstore] revision ${next.revision} of ${key} was taken by another commit`, posted);
  let affected: number;
  try {
    affected = post === undefined
      ? await write(INSERT_ROW, key, next.revision, next.schemaVersion, kind, size, body, key, next.revision)
      : await write(INSERT_OR_POST, key, next.revision, next.schemaVersion, kind, size, body, key, next.revision, key, next.revision, key, next.revision, post);
  } catch (error) {
    // Two inserts of the same revision at once: one gets the duplicate key (or, where the check's
    // read locks the range, InnoDB's deadlock error), and nothing of it is written.
    if (isDuplicateKey(error) || isDeadlock(error)) throw lost(false);
    throw error;
  }
  if (affected !== 1) throw lost(affected === 2);
}
