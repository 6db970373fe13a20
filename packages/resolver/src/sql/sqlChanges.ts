import type { DocChanges } from '../storage/port';
import type { LogEntry } from '../kvs/docLog';
import { changesOf } from '../kvs/docChanges';
import { decodeText } from '../kvs/pieces';
import { select } from './client';

// What changed after a revision, from a Forge SQL document's log rows (#17 on Forge SQL): what a
// coalesced Realtime publish carries (every change since the last published revision) and a
// writer's ask to publish reads. A read keeps the latest rows' entries it replayed, so a commit on
// it finds the changes since the last publish without another request; and each row says when the
// document was last published (`u`), so commits on every function instance publish at most once
// an interval, as the KVS head's `u` does.

/** When a commit published on Realtime: the revision published up to, and the time (ms). */
export interface Published {
  revision: number;
  at: number;
}

/** A log row's change: the shared log entry, and — on the row of a commit that published, or a snapshot — the last publish as of that row. */
export type SqlLogEntry = LogEntry & { u?: [number, number] };

/** The log entries after revision `from` up to a read's revision, kept with the read, with their rows' characters. */
export interface KeptChanges {
  from: number;
  entries: LogEntry[];
  sizes: number[];
}

/** Entries a read keeps at most, by count and by their rows' characters: a publish further behind carries only its own change. */
const KEPT_ENTRIES = 256;
const KEPT_CHARS = 262_144;

/** `kept` (when it ends at revision `from`; else nothing) followed by `entries` (the rows after `from`, with their characters), the oldest dropped beyond the bounds. */
export function keepChanges(kept: KeptChanges | undefined, from: number, entries: readonly { entry: LogEntry; chars: number }[]): KeptChanges {
  const continues = kept !== undefined && kept.from + kept.entries.length === from;
  const out: KeptChanges = continues ? { from: kept.from, entries: [...kept.entries], sizes: [...kept.sizes] } : { from, entries: [], sizes: [] };
  for (const { entry, chars } of entries) {
    out.entries.push(entry);
    out.sizes.push(chars);
  }
  let chars = out.sizes.reduce((a, b) => a + b, 0);
  while (out.entries.length > 0 && (out.entries.length > KEPT_ENTRIES || chars > KEPT_CHARS)) {
    out.entries.shift();
    chars -= out.sizes.shift()!;
    out.from++;
  }
  return out;
}

/** The last publish a row's entry (or snapshot body) records, if any. */
export const publishedOf = (u: unknown): Published | undefined =>
  Array.isArray(u) && Number.isSafeInteger(u[0]) && Number.isFinite(u[1]) ? { revision: u[0] as number, at: u[1] as number } : undefined;

/** The later of two publishes. */
export const laterPublished = (a: Published | undefined, b: Published | undefined): Published | undefined => (!a ? b : !b ? a : b.revision >= a.revision ? b : a);

/** A read as far as its changes go. */
interface ChangesRead {
  doc: { revision: number; schemaVersion: number };
  changes?: KeptChanges;
}

/**
 * The changes after `since` (see `StoragePort.readChanges`): from `upTo`'s kept entries (no
 * request), or else from the rows after `since` read now (one request). Undefined when they are not
 * there: a snapshot came between, `since` is ahead of storage or of what the read kept.
 */
export async function readSqlChanges(key: string, since: number, upTo?: ChangesRead): Promise<DocChanges | undefined> {
  if (upTo) {
    const { doc, changes } = upTo;
    if (since === doc.revision) return changesOf(since, doc.schemaVersion, []);
    if (!changes || since < changes.from || since > doc.revision || changes.from + changes.entries.length !== doc.revision) return undefined;
    return changesOf(doc.revision, doc.schemaVersion, changes.entries.slice(since - changes.from));
  }
  // The row of `since` itself tells that storage has it (its body is not sent: it may be a large snapshot).
  const rows = await select(
    `SELECT revision, schema_version, kind, IF(revision > ?, body, '') AS body FROM bgstore_log WHERE doc_key = ? AND revision >= ? ORDER BY revision LIMIT ${KEPT_ENTRIES + 1}`,
    since,
    key,
    since,
  );
  const after = rows.slice(1);
  if (Number(rows[0]?.revision) !== since || after.length >= KEPT_ENTRIES || after.some((row, i) => row.kind !== 'e' || Number(row.revision) !== since + i + 1)) return undefined;
  const last = rows[rows.length - 1]!;
  return changesOf(Number(last.revision), Number(last.schema_version), after.map((row) => JSON.parse(decodeText(String(row.body))) as LogEntry));
}
