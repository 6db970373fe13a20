import { createHash } from 'node:crypto';
import { brotliCompressSync, brotliDecompressSync, constants } from 'node:zlib';
import { SyncError } from '@bgstore/protocol';
import { decode91, encode91 } from './base91';

// Content-addressed pieces: a long JSON text is cut where its content says (a rolling hash), and
// each piece is stored under the hash of its text, so it never changes once written and the same
// text is cut at the same places wherever it sits.

/** Forge's KVS limits (Forge storage docs): a value ≤ 240 KiB, a transaction ≤ 25 operations and ≤ 4 MB. */
export const PIECE_BYTES = 200_000;
export const MAX_OPERATIONS = 25;
export const MAX_TRANSACTION_BYTES = 4_000_000;
const MAX_TARGET = 131_072;

export const utf8 = (s: string) => Buffer.byteLength(s, 'utf8');
/**
 * JSON text is stored as a string value, where every `"` would cost an escape: `"` and `'` are
 * swapped on the way in and out (a one-to-one change), so typical JSON is stored at its own size.
 */
// JSON text never holds a raw NUL (JSON.stringify escapes control characters), so it can stand in.
export const encodeText = (text: string) => text.replaceAll('"', '\0').replaceAll("'", '"').replaceAll('\0', "'");
export const decodeText = encodeText;
/** What a text costs stored as a JSON string value (encoded, quotes and escapes included). */
export const storedBytes = (text: string) => utf8(JSON.stringify(encodeText(text)));

// Stored values (pieces, manifests, log entries) are compressed when that pays: brotli at quality 5
// (the issue measured 5 ms for 588 KB, against 739 ms at 11, for a few percent more — and on the
// bench's board quality 11 comes out larger), then as base91 text (base91.ts), which a JSON string
// holds without escapes at 7.7% fewer bytes than base64. A value starts with a marker no JSON text
// starts with (a control character, which JSON.stringify always escapes): compressed, or plain and
// considered. Values compressed before base91 (base64, marker `b`) still read. A value without a
// marker is the quote swap above — how every value was stored before compression — so old pieces
// still read; when one is large enough to have been considered, the next snapshot rewrites it (see
// {@link isUncompressed}). Names stay hashes of the uncompressed text.
const BROTLI_BASE64 = '\u0001b';
const BROTLI = '\u0001z';
const PLAIN = '\u0001p';
/** Texts shorter than this are stored as they are: a KVS read unit is 10 KB, and brotli's gain on a few hundred bytes is noise. */
const MIN_COMPRESS = 1024;
/** Compressed is kept only when it is at most this share of the plain value. */
const PAYS = 0.85;
/** A stored value decompresses to at most this: no piece, manifest or entry is larger (they fit a KVS value uncompressed). */
const MAX_UNPACKED = 4 * PIECE_BYTES;

/** Forge bills a KVS read by its answer, in 10 KB units, at least one per request; a batch get reads up to 25 keys. */
const READ_UNIT_BYTES = 10_240;
const BATCH_KEYS = 25;
/** About what reading `keys` values of `bytes` in all costs, in read units, in batch gets. */
export const readUnits = (bytes: number, keys: number) => Math.max(Math.ceil(keys / BATCH_KEYS), Math.ceil(bytes / READ_UNIT_BYTES));

/** UTF-8 bytes of a stored value as a JSON string (quotes and escapes included). */
export const valueBytes = (value: string) => utf8(JSON.stringify(value));

/**
 * The value to store for `text`: brotli (quality 5) then base91 when that is at most 85 % of the
 * plain (quote-swapped) value, else the plain value. {@link unpackText} reverses it.
 */
export function packText(text: string): string {
  const plain = encodeText(text);
  if (text.length < MIN_COMPRESS) return plain;
  const input = Buffer.from(text, 'utf8');
  const params = { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_SIZE_HINT]: input.length, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT };
  const packed = BROTLI + encode91(brotliCompressSync(input, { params }));
  return packed.length <= PAYS * valueBytes(plain) ? packed : PLAIN + plain;
}

/** Whether a stored value was written before compression and is large enough that {@link packText} would consider it: the next snapshot rewrites it. */
export const isUncompressed = (value: string) => !value.startsWith('\u0001') && value.length >= MIN_COMPRESS;

/**
 * The text a stored value holds: compressed ones are decompressed, others quote-swapped back.
 * @throws SyncError `STORAGE_FAILED` when a compressed value does not decompress (damaged storage)
 */
export function unpackText(value: string, what: string): string {
  if (value.startsWith(PLAIN)) return decodeText(value.slice(PLAIN.length));
  const base91 = value.startsWith(BROTLI);
  if (!base91 && !value.startsWith(BROTLI_BASE64)) return decodeText(value);
  try {
    const bytes = base91 ? decode91(value.slice(BROTLI.length)) : Buffer.from(value.slice(BROTLI_BASE64.length), 'base64');
    return brotliDecompressSync(bytes, { maxOutputLength: MAX_UNPACKED }).toString('utf8');
  } catch (error) {
    throw new SyncError('STORAGE_FAILED', `[bgstore] ${what} does not decompress (${error instanceof Error ? error.message : String(error)}); the stored document is damaged`);
  }
}

/** The name of a piece: a hash of its text. */
export const nameOf = (text: string) => createHash('sha256').update(text).digest('base64url').slice(0, 22);

// 256 fixed pseudo-random words for the rolling hash (xorshift32 from a constant seed). Changing
// them moves every cut, which costs one full rewrite per document: keep them.
const GEAR = (() => {
  const table = new Uint32Array(256);
  let x = 0x9e3779b9;
  for (let i = 0; i < 256; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    table[i] = x >>> 0;
  }
  return table;
})();

/**
 * Cuts `text` where a rolling hash of the last 32 characters has its top bits zero: about one cut
 * per `target` characters after a minimum of `target / 2`, at most `4 × target` (and what a KVS value
 * holds). The same content gets the same cuts wherever it sits.
 */
export function cutPieces(text: string, target: number): string[] {
  const bits = Math.round(Math.log2(target));
  const mask = bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
  const min = target >> 1;
  const max = Math.min(target * 4, PIECE_BYTES);
  const pieces: string[] = [];
  let start = 0;
  let h = 0;
  for (let i = 0; i < text.length; i++) {
    h = ((h << 1) + GEAR[text.charCodeAt(i) & 255]!) >>> 0;
    const length = i + 1 - start;
    if ((length >= min && (h & mask) === 0) || length >= max) {
      pieces.push(text.slice(start, i + 1));
      start = i + 1;
      h = 0;
    }
  }
  if (start < text.length) pieces.push(text.slice(start));
  // Escaped and encoded, a piece must still fit a KVS value.
  return pieces.flatMap((p) => (storedBytes(p) <= PIECE_BYTES ? [p] : fixedPieces(p)));
}

/** Cuts `text` into as few pieces as fit KVS values, ignoring content. */
export function fixedPieces(text: string): string[] {
  const pieces: string[] = [];
  for (let pos = 0; pos < text.length; ) {
    let n = Math.min(text.length - pos, PIECE_BYTES);
    while (storedBytes(text.slice(pos, pos + n)) > PIECE_BYTES) n = Math.floor(n * 0.7);
    pieces.push(text.slice(pos, pos + n));
    pos += n;
  }
  return pieces;
}

/**
 * The target piece size for a body of `length` characters: the previous one while it stays within
 * [length / 20, length / 5] (so cuts do not move back and forth), else the power of two just above
 * length / 16 — a whole rewrite then takes 7 to 15 pieces — within [minPiece, 128 Ki].
 */
export function targetFor(length: number, minPiece: number, previous: number | undefined): number {
  const clamp = (t: number) => Math.min(MAX_TARGET, Math.max(minPiece, t));
  if (previous !== undefined && clamp(previous) === previous && clamp(length / 20) <= previous && previous <= clamp(length / 5)) return previous;
  return clamp(2 ** Math.ceil(Math.log2(Math.max(1, length / 16))));
}
