import { malformed } from './errors';

// Cursors are opaque to callers (Forge's are too); base64 JSON of the last position returned.
// btoa/atob work on Latin-1 only, so the JSON is UTF-8 encoded first.

/** Encodes a query position as an opaque cursor. */
export function encodeCursor(position: unknown): string {
  const bytes = new TextEncoder().encode(JSON.stringify(position));
  let bin = '';
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

/** Decodes a cursor made by {@link encodeCursor}; a foreign or damaged cursor is a 400 `BAD_REQUEST`. */
export function decodeCursor(cursor: unknown): unknown {
  if (typeof cursor !== 'string' || cursor === '') malformed('cursor must be a non-empty string');
  try {
    const bin = atob(cursor);
    const bytes = Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)) as unknown;
  } catch {
    return malformed('cursor is not one this service issued');
  }
}
