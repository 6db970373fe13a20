import { brotliCompressSync, constants } from 'node:zlib';
import { decode91, encode91 } from './base91';
import { cutPieces, encodeText, isUncompressed, packText, unpackText, valueBytes } from './pieces';

// Pieces are cut where the content says, so an edit changes the pieces around it only.
describe('cutPieces', () => {
  it('cuts the same content at the same places wherever it sits, so an edit changes the pieces around it only', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => `{"id":${i},"title":"Item number ${i}","done":false}`);
    const before = cutPieces(rows.join(','), 4096);
    rows[1500] = rows[1500]!.replace('false', 'true');
    const after = cutPieces(rows.join(','), 4096);
    expect(after.join('')).toBe(rows.join(','));
    expect(before.length).toBeGreaterThan(10);
    const old = new Set(before);
    const changed = after.filter((p) => !old.has(p));
    expect(changed.length).toBeLessThanOrEqual(2);
  });

  it('keeps every piece between half and four times the target (but the last)', () => {
    const text = Array.from({ length: 50_000 }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90))).join('');
    const pieces = cutPieces(text, 1024);
    expect(pieces.join('')).toBe(text);
    pieces.slice(0, -1).forEach((p) => {
      expect(p.length).toBeGreaterThanOrEqual(512);
      expect(p.length).toBeLessThanOrEqual(4096);
    });
  });
});

describe('#17.3 stored values compressed when it pays', () => {
  const regular = JSON.stringify(Array.from({ length: 2000 }, (_, i) => ({ id: `item-${i}`, title: `Item number ${i}`, done: false })));

  it('compresses a regular text to a fraction of its plain value, and unpacks it to the same text', () => {
    const packed = packText(regular);
    expect(packed.startsWith('\u0001z')).toBe(true);
    expect(valueBytes(packed) * 5).toBeLessThan(valueBytes(encodeText(regular)));
    expect(unpackText(packed, 'piece')).toBe(regular);
  });

  it('keeps plain what does not compress (seeded random bytes as base64) or is too short to matter', () => {
    const seed = 17;
    let x = seed;
    const noise = Buffer.from(Array.from({ length: 6000 }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 24))).toString('base64');
    const packed = packText(noise);
    expect({ seed, marker: packed.slice(0, 2) }).toEqual({ seed, marker: '\u0001p' });
    expect(unpackText(packed, 'piece')).toBe(noise);
    expect(packText('{"a":"it\'s"}')).toBe(encodeText('{"a":"it\'s"}'));
    expect(unpackText(packText('{"a":"it\'s"}'), 'piece')).toBe('{"a":"it\'s"}');
  });

  it('reads values stored before compression (no marker) as they were, and marks the large ones to be rewritten', () => {
    expect(unpackText(encodeText(regular), 'piece')).toBe(regular);
    expect(isUncompressed(encodeText(regular))).toBe(true);
    expect(isUncompressed(packText(regular))).toBe(false);
    expect(isUncompressed(encodeText('{"small":1}'))).toBe(false);
  });

  it('refuses a compressed value that does not decompress as damaged storage', () => {
    expect(() => unpackText('\u0001bnot brotli at all', 'piece x')).toThrow(expect.objectContaining({ code: 'STORAGE_FAILED', message: expect.stringMatching(/piece x .*damaged/) }));
    expect(() => unpackText('\u0001znot brotli at all', 'piece x')).toThrow(expect.objectContaining({ code: 'STORAGE_FAILED', message: expect.stringMatching(/piece x .*damaged/) }));
    expect(() => unpackText('\u0001z\u00e9\u00e9', 'piece y')).toThrow(expect.objectContaining({ code: 'STORAGE_FAILED', message: expect.stringMatching(/piece y .*damaged/) }));
  });

  it('#17.2 reads values compressed as base64 before base91, and stores new ones 16/13 of their bytes instead of 4/3', () => {
    const compressed = brotliCompressSync(Buffer.from(regular));
    expect(unpackText(`\u0001b${compressed.toString('base64')}`, 'piece')).toBe(regular);
    const packed = packText(regular);
    expect(unpackText(packed, 'piece')).toBe(regular);
    // The same brotli stream (quality 5 is deterministic) in fewer bytes than base64 would take.
    expect(valueBytes(packed)).toBeLessThan(valueBytes(`\u0001b${brotliCompressSync(Buffer.from(regular), { params: { [constants.BROTLI_PARAM_QUALITY]: 5, [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT, [constants.BROTLI_PARAM_SIZE_HINT]: regular.length } }).toString('base64')}`) * 0.93);
  });
});

describe('#17.2 base91', () => {
  it('round-trips seeded random bytes of every length up to 300 in ⌈8n/13⌉·2 characters or one fewer, none of them escaped in JSON', () => {
    const seed = 91;
    let x = seed;
    for (let n = 0; n <= 300; n++) {
      const bytes = Buffer.from(Array.from({ length: n }, () => ((x = (x * 1103515245 + 12345) >>> 0) >>> 24)));
      const text = encode91(bytes);
      expect({ seed, n, back: decode91(text).equals(bytes) }).toEqual({ seed, n, back: true });
      expect(text.length).toBeLessThanOrEqual(Math.ceil((8 * n) / 13) * 2);
      expect(text.length).toBeGreaterThanOrEqual(Math.ceil((8 * n) / 13) * 2 - 1);
      expect(JSON.stringify(text)).toBe(`"${text}"`);
      expect(text).not.toContain("'");
    }
    expect(decode91(encode91(Buffer.alloc(1000, 255))).equals(Buffer.alloc(1000, 255))).toBe(true);
  });

  it('refuses characters outside its alphabet and pairs no encoding makes', () => {
    expect(() => decode91('ab"c')).toThrow(/not base91/);
    expect(() => decode91('~~')).toThrow(/not base91/);
  });
});
