import fc from 'fast-check';
import { jsonBytes, type StoredIntent, type WirePatch } from '@bgstore/protocol';
import { intentBytesAtMost, jsonBytesAtMost, logBytes } from './jsonBound';

// #20 the host measures each action's JSON by a bound first: the bound is never below the bytes
// the JSON has (else a commit could pass invoke's limit), and it is finite for the usual values.
const seed = Number(process.env.BGSTORE_SEED ?? 20);
const text = fc.oneof(fc.string({ unit: 'binary' }), fc.string({ unit: fc.constantFrom('"', '\\', '\u0000', '\u001f', '\u2028', 'é', '漢', '😀') }));
const primitive = fc.oneof(text, fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.boolean(), fc.constant(null));

describe(`#20 JSON byte bounds (BGSTORE_SEED=${seed})`, () => {
  it('are at least the JSON bytes of primitives, arrays of them, patches and intents', () => {
    fc.assert(
      fc.property(fc.array(primitive, { maxLength: 8 }), text, fc.nat(), fc.option(text, { nil: undefined }), (values, name, seq, caller) => {
        expect(jsonBytesAtMost(values)).toBeGreaterThanOrEqual(jsonBytes(values));
        for (const v of values) expect(jsonBytesAtMost(v)).toBeGreaterThanOrEqual(jsonBytes(v));
        const patches: WirePatch[] = values.map((value, i) => ({ op: i % 3 === 0 ? 'remove' : 'replace', path: [name, i], ...(i % 3 === 0 ? {} : { value }) }));
        expect(logBytes(patches)).toBeGreaterThanOrEqual(jsonBytes(patches));
        const intent: StoredIntent = { clientId: name || 'c', seq, name: name || 'a', args: values, ...(caller === undefined ? {} : { caller }) };
        expect(intentBytesAtMost(intent)).toBeGreaterThanOrEqual(jsonBytes(intent));
      }),
      { numRuns: 300, seed },
    );
  });

  it('hold for the longest numbers JSON writes', () => {
    for (const n of [-0.0000010149302356983722, -Number.MAX_VALUE, -5e-324, -123456789012345680000, -1.2345678901234566e-7, Number.MIN_VALUE, -Number.MAX_SAFE_INTEGER]) {
      expect(jsonBytesAtMost(n)).toBeGreaterThanOrEqual(jsonBytes(n));
    }
  });

  it('leave objects to be measured', () => {
    expect(jsonBytesAtMost([{ a: 1 }])).toBe(Infinity);
    expect(intentBytesAtMost({ clientId: 'c', seq: 1, name: 'a', args: [[1]] })).toBe(Infinity);
    const patches: WirePatch[] = [{ op: 'add', path: ['items', 0], value: { id: 'x', tags: ['é'] } }];
    expect(logBytes(patches)).toBe(jsonBytes(patches));
  });
});
