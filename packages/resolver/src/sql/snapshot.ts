import { decodeText, encodeText, storedBytes } from '../kvs/pieces';
import { select, write } from './client';

// A snapshot's text: JSON of `{s: state, c: client table}`. Up to a row's room it sits in the
// snapshot's own log row; beyond, in `bgstore_piece` rows (a request is at most 1 MiB, an answer at
// most 4 MiB), tagged with the snapshot's revision and a random id, written before the log row.

/**
 * The body of a snapshot's log row: the document inline (`d`), or its pieces' id and count; `o: 1`
 * when the snapshot before had pieces (the next snapshot deletes them); `u`, the last Realtime
 * publish as of the snapshot, `[revision, at]` (see sqlChanges.ts).
 */
export interface SnapshotBody {
  d?: { s: unknown; c: Record<string, unknown> };
  k?: string;
  n?: number;
  o?: 1;
  u?: [number, number];
}

/** Characters per piece to start from; pieces whose escaped text is larger are halved. */
const PIECE_CHARS = 180_000;
const MAX_PIECE_BYTES = 800_000;
/** Pieces per SELECT: their answer stays well under 4 MiB. */
const PIECES_PER_READ = 4;

/** The JSON text of a snapshot row's body. */
export const snapshotBody = (inlineText: string | undefined, snap: string | null, pieces: number, older: boolean, published?: { revision: number; at: number }): string =>
  `{${older ? '"o":1,' : ''}${published ? `"u":[${published.revision},${published.at}],` : ''}${inlineText !== undefined ? `"d":${inlineText}` : `"k":${JSON.stringify(snap)},"n":${pieces}`}}`;

/** Cuts `text` into pieces that each fit one request, never between the halves of a surrogate pair. */
export function cutText(text: string): string[] {
  const pieces: string[] = [];
  let at = 0;
  while (at < text.length) {
    let chars = PIECE_CHARS;
    let piece: string;
    for (;;) {
      let end = Math.min(text.length, at + chars);
      const code = text.charCodeAt(end - 1);
      if (end < text.length && code >= 0xd800 && code <= 0xdbff) end--;
      piece = text.slice(at, end);
      if (storedBytes(piece) <= MAX_PIECE_BYTES || chars < 16) break;
      chars >>= 1;
    }
    pieces.push(piece);
    at += piece.length;
  }
  return pieces;
}

/** Writes the pieces of `text` for the snapshot (`revision`, `snap`); answers how many. */
export async function writePieces(key: string, revision: number, snap: string, text: string): Promise<number> {
  const pieces = cutText(text);
  for (let i = 0; i < pieces.length; i += PIECES_PER_READ) {
    await Promise.all(pieces.slice(i, i + PIECES_PER_READ).map((piece, j) => write('INSERT INTO bgstore_piece (doc_key, revision, snap, idx, body) VALUES (?, ?, ?, ?, ?)', key, revision, snap, i + j, encodeText(piece))));
  }
  return pieces.length;
}

/** The snapshot a log row names; undefined when its pieces are gone (a later snapshot replaced it). */
export async function readSnapshot(key: string, revision: number, body: SnapshotBody): Promise<{ s: unknown; c: Record<string, unknown> } | undefined> {
  if (body.d) return body.d;
  const n = body.n ?? 0;
  const reads: Promise<Record<string, unknown>[]>[] = [];
  for (let i = 0; i < n; i += PIECES_PER_READ) {
    reads.push(select('SELECT idx, body FROM bgstore_piece WHERE doc_key = ? AND revision = ? AND snap = ? AND idx >= ? AND idx < ? ORDER BY idx', key, revision, body.k, i, i + PIECES_PER_READ));
  }
  const rows = (await Promise.all(reads)).flat();
  if (rows.length !== n || rows.some((row, i) => Number(row.idx) !== i)) return undefined;
  return JSON.parse(rows.map((row) => decodeText(String(row.body))).join('')) as { s: unknown; c: Record<string, unknown> };
}
