import fc from 'fast-check';
import { applyPatches, diffJson } from './docLog';

// The log stores each commit as the patches between two states; replaying them must give the
// later state exactly, and cost O(change) when the later state was made from the earlier by immer.
// A fixed seed (BGSTORE_SEED overrides it), named in the suite's title so even a timeout prints it.
const seed = Number(process.env.BGSTORE_SEED ?? 20_002);

describe(`log patches (BGSTORE_SEED=${seed})`, () => {
  it('take any JSON value to any other, leaving the first unchanged (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (a, b) => {
        const before = structuredClone(a);
        expect(applyPatches(a, diffJson(a, b))).toEqual(b);
        expect(a).toEqual(before);
      }),
      { numRuns: Number(process.env.BGSTORE_RUNS ?? 300), seed },
    );
  });

  it('follow removals, insertions and edits anywhere in a long array with a few patches each (property)', () => {
    type Item = { id: number; done: boolean };
    const edit = fc.oneof(
      fc.record({ kind: fc.constant('remove' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('insert' as const), at: fc.nat() }),
      fc.record({ kind: fc.constant('toggle' as const), at: fc.nat() }),
    );
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 10 }), (edits) => {
        const a = { items: Array.from({ length: 1000 }, (_, id): Item => ({ id, done: false })) };
        // As immer would make it: untouched items keep their identity, a changed one is a new object.
        const items = a.items.slice();
        for (const e of edits) {
          const at = e.at % (items.length + 1);
          if (e.kind === 'insert') items.splice(at, 0, { id: 100_000 + at, done: true });
          else if (items.length === 0) continue;
          else if (e.kind === 'remove') items.splice(at % items.length, 1);
          else items[at % items.length] = { ...items[at % items.length]!, done: !items[at % items.length]!.done };
        }
        const b = { items };
        const patches = diffJson(a, b);
        expect(applyPatches(a, patches)).toEqual(b);
        // O(change): a few patches per edit (an edit next to a removal may be diffed in place), never one per element.
        expect(patches.length).toBeLessThanOrEqual(2 * edits.length);
      }),
      { numRuns: Number(process.env.BGSTORE_RUNS ?? 300), seed },
    );
  });
});
