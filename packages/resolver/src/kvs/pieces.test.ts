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
    expect(packed.startsWith('\u0001b')).toBe(true);
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
  });
});
