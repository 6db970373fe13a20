import { encodeText } from '../kvs/pieces';
import type { Row } from './client';

// Batches that wait on a log row (its `pending` column, one line each) rather than in the inbox table.

/**
 * Batches wait on the row whose revision their commit lost to (see `INSERT_OR_POST`), and count
 * while that row is one of the latest few: a commit that read the row before the batch was left
 * there may take the next revision without it, so the commit after still sees it. Older rows'
 * batches are not sent (their posters, still waiting, find them not applied and commit them).
 */
export const PENDING_ROWS = 8;

/** A waiting batch as one line of a row's `pending`: entry, expiry (ms) and the batch, tab-separated. */
export const pendingLine = (entry: string, expires: number, text: string) => `${entry}\t${expires}\t${encodeText(text)}\n`;

/** The lines of a row's `pending` as inbox rows (`entry`, `expires`, `body`), each entry once. */
export function pendingRows(pending: string | null): Row[] {
  const rows = new Map<string, Row>();
  for (const line of (pending ?? '').split('\n')) {
    const [entry, expires, body] = line.split('\t');
    if (entry && body !== undefined && !rows.has(entry)) rows.set(entry, { entry, expires: Number(expires) || 0, body });
  }
  return [...rows.values()];
}
