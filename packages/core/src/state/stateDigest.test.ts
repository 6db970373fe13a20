import fc from 'fast-check';
import type { WirePatch } from '@bgstore/protocol';
import { immer } from '../runtime/immer';
import { arrayHash, indexHash, keyHash, objectHash, primitiveHash, term } from './digestHash';
import { coalescePatches } from './patches';
import { advanceDigest, digestIfReady, stateDigest } from './stateDigest';

type Doc = { list: { id: string; n: number; tags: string[] }[]; map: Record<string, unknown>; deep: { a: { b: unknown[] } }; n: number };

const seed = Number(process.env.BGSTORE_SEED ?? 22);
const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
/** A from-scratch digest: a JSON copy shares no memoised part with anything. */
const fresh = (v: unknown) => stateDigest(copy(v));

const initial = (size: number): Doc => ({
  list: Array.from({ length: size }, (_, i) => ({ id: `i${i}`, n: i, tags: i % 3 ? [] : ['x'] })),
  map: Object.fromEntries(Array.from({ length: size }, (_, i) => [`k${i}`, i % 2 ? { v: i } : i])),
  deep: { a: { b: [1, 'two', null, true, 2.5] } },
  n: 0,
});

// One random edit of the kinds apps make: fields, keys, pushes, splices, whole replacements.
const edit = fc.tuple(fc.integer({ min: 0, max: 11 }), fc.nat(1000), fc.nat(1000), fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ maxLength: 5 }), fc.boolean(), fc.constant(null)));
type Edit = [number, number, number, unknown];

function recipe([kind, a, b, value]: Edit) {
  return (d: Doc) => {
    const at = (n: number, len: number) => (len ? n % len : 0);
    const item = d.list[at(a, d.list.length)];
    switch (kind) {
      case 0: if (item) item.n = typeof value === 'number' ? value : b; break;
      case 1: d.list.push({ id: `new${a}`, n: b, tags: [] }); break;
      case 2: d.list.splice(at(a, d.list.length), 1); break;
      case 3: d.list.splice(at(a, d.list.length + 1), 0, { id: `ins${a}`, n: b, tags: ['y'] }); break;
      case 4: d.list.unshift({ id: `u${a}`, n: b, tags: [] }); break;
      case 5: d.map[`k${a % 40}`] = value; break;
      case 6: delete d.map[`k${a % 40}`]; break;
      case 7: d.deep.a.b[at(a, d.deep.a.b.length)] = value; break;
      case 8: d.deep.a.b = d.deep.a.b.length > 8 ? [] : [...d.deep.a.b, { x: value }]; break;
      case 9: if (item) item.tags.push(String(value)); break;
      case 10: d.list.reverse(); break;
      default: d.n++;
    }
  };
}

describe('stateDigest', () => {
  it('ignores object key order and tells types, positions and values apart', () => {
    expect(stateDigest({ a: 1, b: [2, 3] })).toBe(stateDigest({ b: [2, 3], a: 1 }));
    const distinct = [{}, [], [1, 2], [2, 1], { a: 1 }, { a: '1' }, { a: true }, { a: null }, { b: 1 }, { a: 1.5 }, [[]], [{}], { a: { b: 1 } }, { a: [1] }];
    expect(new Set(distinct.map(stateDigest)).size).toBe(distinct.length);
    // -0 is 0 in JSON, so a host's -0 and a replica's 0 agree.
    expect(stateDigest({ a: -0 })).toBe(stateDigest({ a: 0 }));
  });

  // #22.1 The digest kept up to date from patches equals the one computed from scratch, on the host
  // (immer's produceWithPatches, coalesced as the host sends them) and on a replica (the same
  // patches applied to its own JSON copy), after random edit sequences.
  it('#22.1 advanced digests equal from-scratch digests after random patch sequences', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 120 }), fc.array(fc.array(edit, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 25 }), (size, steps) => {
        let host = initial(size);
        let replica = copy(host);
        stateDigest(host);
        stateDigest(replica);
        for (const edits of steps) {
          const [next, raw] = immer.produceWithPatches(host, (d) => edits.forEach((e) => recipe(e as Edit)(d as Doc)));
          const patches = coalescePatches(host, next, raw as WirePatch[]);
          advanceDigest(host, next, patches);
          const replicaNext = immer.applyPatches(replica, copy(patches) as never) as Doc;
          advanceDigest(replica, replicaNext, patches);
          host = next;
          replica = replicaNext;
          // Known at once (no from-scratch pass) for a state large enough to be memoised.
          if (size >= 40) expect(digestIfReady(host, 0)).toBeDefined();
          const expected = fresh(host);
          expect(stateDigest(host)).toBe(expected);
          expect(stateDigest(replica)).toBe(expected);
        }
      }),
      { numRuns: Number(process.env.BGSTORE_RUNS ?? 100), seed },
    );
  });

  it('#22.1 a digest computed in slices gives the from-scratch digest, patches that arrive meanwhile included', () => {
    fc.assert(
      fc.property(fc.array(edit, { minLength: 1, maxLength: 10 }), fc.integer({ min: 1, max: 500 }), (edits, budget) => {
        let state = copy(initial(300));
        let slices = 0;
        let digest = digestIfReady(state, budget);
        for (const e of edits) {
          const [next, patches] = immer.produceWithPatches(state, (d) => recipe(e as Edit)(d as Doc));
          advanceDigest(state, next, patches as WirePatch[]);
          state = next;
          digest = digestIfReady(state, budget);
          slices++;
        }
        while (digest === undefined && slices++ < 10_000) digest = digestIfReady(state, budget);
        expect(digest).toBe(fresh(state));
      }),
      { numRuns: 40, seed },
    );
  });

  // The hash as digestHash.ts defines it, written plainly: what every path (items hashed in place,
  // containers in frames, slices, memoised parts) must give.
  const reference = (v: unknown): number => {
    if (Array.isArray(v)) return arrayHash(v.reduce((sum: number, item, i) => (sum + term(indexHash(i), reference(item))) | 0, 0), v.length);
    if (typeof v === 'object' && v !== null) return objectHash(Object.entries(v).reduce((sum, [k, item]) => (sum + term(keyHash(k), reference(item))) | 0, 0));
    return primitiveHash(v);
  };

  it('#22.1 every way of computing a digest gives the hash the format defines, for any JSON', () => {
    fc.assert(
      fc.property(fc.array(fc.jsonValue({ maxDepth: 3 }), { maxLength: 80 }), fc.integer({ min: 1, max: 50 }), (items, budget) => {
        // Many items of one shape (flat objects), and whatever JSON comes.
        const state = { items: [...items, ...Array.from({ length: 70 }, (_, i) => ({ id: `i${i}`, n: i, ok: i % 2 === 0 }))], more: items };
        const expected = (reference(copy(state)) >>> 0).toString(36);
        expect(fresh(state)).toBe(expected);
        const sliced = copy(state);
        let d: string | undefined;
        while ((d = digestIfReady(sliced, budget)) === undefined);
        expect(d).toBe(expected);
      }),
      { numRuns: 100, seed },
    );
  });

  it('#22.1 a digest counts only own keys: an enumerable key on Object.prototype changes nothing', () => {
    const state = () => ({ items: Array.from({ length: 40 }, (_, i) => ({ id: `i${i}`, n: i })), meta: { a: 1 } });
    const clean = stateDigest(state());
    Object.defineProperty(Object.prototype, 'polluted', { value: 1, enumerable: true, configurable: true });
    try {
      expect(stateDigest(state())).toBe(clean);
    } finally {
      delete (Object.prototype as Record<string, unknown>).polluted;
    }
  });

  it('#22.1 a large state is hashed in slices of bounded work', () => {
    const state = copy(initial(5000));
    let calls = 1;
    while (digestIfReady(state, 1000) === undefined) calls++;
    // 5,000 items of 6 nodes and 5,000 keys of up to 2: well over ten slices of 1,000 nodes.
    expect(calls).toBeGreaterThan(10);
    expect(digestIfReady(state, 0)).toBe(fresh(state));
  });
});
