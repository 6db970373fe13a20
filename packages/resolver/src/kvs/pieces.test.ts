import { cutPieces } from './pieces';

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
