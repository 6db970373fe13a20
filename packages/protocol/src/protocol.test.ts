import { compareEpochs, createEpoch, createReassembler, decodeMessage, encodeFrames, findNonJson, isSyncError, PROTOCOL_VERSION, SyncError, type Message } from '.';

const env = { bgstore: PROTOCOL_VERSION, store: 's', from: 'a' } as const;
const valid: Message[] = [
  { ...env, type: 'hello', epoch: null, version: null },
  { ...env, type: 'hello', epoch: '0.x', version: 3 },
  { ...env, type: 'intents', floor: 1, items: [{ seq: 1, name: 'add', args: [1, 'two', { three: [3] }] }] },
  { ...env, type: 'beat', epoch: '0.x', version: 0 },
  { ...env, type: 'snapshot', epoch: '0.x', version: 2, state: { a: [1] }, to: 'b' },
  { ...env, type: 'patch', epoch: '0.x', base: 1, next: 2, patches: [{ op: 'replace', path: ['a', 0], value: 2 }, { op: 'remove', path: ['b'] }], acks: [['b', 4]] },
  { ...env, type: 'ack', to: 'b', epoch: '0.x', version: 2, seqs: [1, 2] },
  { ...env, type: 'reject', to: 'b', seq: 1, code: 'ACTION_FAILED', message: 'no' },
  { ...env, type: 'chunk', id: 'c', i: 0, n: 2, data: '{"' },
  { ...env, type: 'status', epoch: '0.x', version: 3, durable: { revision: 4, unsaved: 2, saving: true, error: null }, saved: [['b', 1]] },
  { ...env, type: 'beat', epoch: '0.x', version: 1, durable: { revision: 0, unsaved: 0, saving: false, error: { code: 'STORAGE_FAILED', message: 'x' } } },
];

describe('decodeMessage', () => {
  it.each(valid.map((m) => [m.type, m] as const))('accepts a valid %s, and decode∘JSON is identity', (_, m) => {
    const decoded = decodeMessage(JSON.parse(JSON.stringify(m)), 's');
    expect(decoded).toEqual({ ok: true, message: m });
  });

  it.each([
    ['not-bgstore', 'hello'],
    ['not-bgstore', null],
    ['not-bgstore', { type: 'hello' }],
    ['other-protocol', { ...env, bgstore: 2, type: 'hello', epoch: null, version: null }],
    ['foreign-store', { ...env, store: 'other', type: 'hello', epoch: null, version: null }],
    ['malformed', { ...env, from: '', type: 'hello', epoch: null, version: null }],
    ['malformed', { ...env, type: 'nope' }],
    ['malformed', { ...env, type: 'hello', epoch: 1, version: null }],
    ['malformed', { ...env, type: 'intents', floor: 0, items: [{ seq: 1, name: 'a', args: [] }] }],
    ['malformed', { ...env, type: 'intents', floor: 1, items: [] }],
    ['malformed', { ...env, type: 'intents', floor: 1, items: [{ seq: 1, name: 'a', args: 'x' }] }],
    ['malformed', { ...env, type: 'patch', epoch: 'e', base: 2, next: 2, patches: [] }],
    ['malformed', { ...env, type: 'patch', epoch: 'e', base: 1, next: 2, patches: [{ op: 'move', path: [] }] }],
    ['malformed', { ...env, type: 'patch', epoch: 'e', base: 1, next: 2, patches: [{ op: 'add', path: ['a'] }] }],
    ['malformed', { ...env, type: 'snapshot', epoch: 'e', version: 1 }],
    ['malformed', { ...env, type: 'reject', to: 'b', seq: 1, code: 'WHATEVER', message: '' }],
    ['malformed', { ...env, type: 'chunk', id: 'c', i: 2, n: 2, data: '' }],
    ['malformed', { ...env, type: 'status', epoch: 'e', durable: { revision: 1, unsaved: 0 } }],
    ['malformed', { ...env, type: 'status', epoch: 'e', version: 1, durable: { revision: 1, unsaved: 0, saving: false, error: null }, saved: [['b', 0]] }],
    ['malformed', { ...env, type: 'status', epoch: 'e', durable: { revision: 1, unsaved: 0, saving: false, error: null } }],
  ])('ignores with reason %s: %j', (reason, payload) => {
    expect(decodeMessage(payload, 's')).toMatchObject({ ok: false, reason });
  });
});

describe('chunks', () => {
  it('passes a short message whole and splits a long one into pieces that join in any order', () => {
    const small: Message = { ...env, type: 'beat', epoch: 'e', version: 1 };
    expect(encodeFrames(small, 1000, () => 'id')).toEqual([{ message: small, size: JSON.stringify(small).length }]);
    const big: Message = { ...env, type: 'snapshot', epoch: 'e', version: 1, state: { text: 'x"\\é'.repeat(2000) } };
    const frames = encodeFrames(big, 1000, () => 'id').map((f) => f.message);
    expect(frames.length).toBeGreaterThan(5);
    frames.forEach((f) => expect(JSON.stringify(f).length).toBeLessThanOrEqual(1500));
    const r = createReassembler();
    const shuffled = [...frames].reverse();
    const outs = shuffled.map((f) => r.add(f as never, 0));
    expect(outs.slice(0, -1).every((o) => o === undefined)).toBe(true);
    expect(JSON.parse(outs[outs.length - 1]!)).toEqual(big);
    expect(r.pending()).toBe(0);
  });

  it('drops an incomplete message after its time to live', () => {
    const big: Message = { ...env, type: 'snapshot', epoch: 'e', version: 1, state: 'y'.repeat(3000) };
    const frames = encodeFrames(big, 1000, () => 'id').map((f) => f.message);
    const r = createReassembler({ ttlMs: 100 });
    r.add(frames[0] as never, 0);
    expect(r.pending()).toBe(1);
    r.add({ ...(frames[0] as object), id: 'other' } as never, 200);
    expect(r.dropped()).toBe(1);
  });
});

describe('epochs', () => {
  it('order by start time, then by id', () => {
    expect(compareEpochs(createEpoch(100, 'a'), createEpoch(2000, 'a'))).toBeLessThan(0);
    expect(compareEpochs(createEpoch(5000, 'a'), createEpoch(40, 'z'))).toBeGreaterThan(0);
    expect(compareEpochs(createEpoch(7, 'b'), createEpoch(7, 'a'))).toBeGreaterThan(0);
    expect(compareEpochs(createEpoch(7, 'b'), createEpoch(7, 'b'))).toBe(0);
  });
});

describe('JSON checks and errors', () => {
  it('finds the path of the first non-JSON value', () => {
    expect(findNonJson({ a: [1, 'x', null, true, { b: 2 }] })).toBeUndefined();
    expect(findNonJson({ a: [1, new Date(0)] })).toEqual(['a', 1]);
    expect(findNonJson({ a: { b: undefined } })).toEqual(['a', 'b']);
    expect(findNonJson([NaN])).toEqual([0]);
    expect(findNonJson(new Map())).toEqual([]);
    expect(findNonJson(Object.create(null))).toBeUndefined();
  });

  it('makes SyncErrors that say where they come from and are recognised across copies', () => {
    const e = new SyncError('TIMEOUT', 'slow');
    expect(e.message).toBe('[bgstore] slow');
    expect(isSyncError(e)).toBe(true);
    const foreign = Object.assign(new Error('[bgstore] x'), { name: 'SyncError', code: 'CLOSED' });
    expect(isSyncError(foreign)).toBe(true);
    expect(isSyncError(new Error('x'))).toBe(false);
  });
});
