// A host's state as a commit's `base` (#17): a resolver instance that keeps no copy of the document
// asks for it rather than read the whole state from storage. Its JSON, deflated (raw) with the
// platform's CompressionStream (browsers and Node have it) and base64'd, within the room the
// request has left under invoke's limit; the resolver checks it against storage's hash.

/** A base is sent only within this many characters of request in all (invoke takes 500,000 bytes). */
export const MAX_BASE_REQUEST = 480_000;

const base64 = (bytes: Uint8Array) => {
  let text = '';
  for (let i = 0; i < bytes.length; i += 0x8000) text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(text);
};

/** Deflates (raw) `text`'s UTF-8 bytes with the platform's CompressionStream. */
async function deflate(text: string): Promise<Uint8Array> {
  const stream = new CompressionStream('deflate-raw');
  const writer = stream.writable.getWriter();
  // The reader below sees any failure; the writer's own promises must not go unhandled.
  writer.write(new TextEncoder().encode(text)).catch(() => undefined);
  writer.close().catch(() => undefined);
  const chunks: Uint8Array[] = [];
  const reader = stream.readable.getReader();
  for (let part = await reader.read(); !part.done; part = await reader.read()) chunks.push(part.value);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

/** Whether this platform can pack a base at all. */
export const canPackBase = () => typeof CompressionStream === 'function' && typeof btoa === 'function';

/** `state` as a commit's `base` and its size in characters; without `base` when that is over `room`. */
export async function packBase(state: unknown, room: number): Promise<{ base?: string; bytes: number }> {
  const json = JSON.stringify(state);
  if (json === undefined) return { bytes: 0 };
  const packed = await deflate(json);
  const size = Math.ceil(packed.length / 3) * 4;
  return size > room ? { bytes: size } : { base: base64(packed), bytes: size };
}
