import { compareEpochs, createEpoch, createReassembler, decodeMessage, encodeFrames, encodeMessage, findNonJson, isSyncError, PROTOCOL_VERSION, SyncError, type Message } from '.';

const env = { bgstore: PROTOCOL_VERSION, store: 's', from: 'a' } as const;
// Host messages come from their epoch.
const host = { ...env, from: '0.x', epoch: '0.x' } as const;
const valid: Message[] = [
  { ...env, type: 'hello', epoch: null, version: null },
  { ...env, type: 'hello', epoch: '0.x', version: 3 },
  { ...env, type: 'intents', settledBelow: 1, items: [{ seq: 1, name: 'add', args: [1, 'two', { three: [3] }] }] },
  { ...env, type: 'intents', settledBelow: 2, items: [{ seq: 5, name: 'add', args: [] }, { seq: 3, name: 'b', args: [null] }] },
  { ...host, type: 'beat', version: 0 },
  { ...host, type: 'beat', version: 0, to: 'b' },
  { ...host, type: 'snapshot', version: 2, state: { a: [1] }, to: 'b' },
  { ...host, type: 'snapshot', version: 2, state: null },
  { ...host, type: 'patch', base: 1, next: 2, patches: [{ op: 'replace', path: ['a', 0], value: 2 }, { op: 'remove', path: ['b'] }, { op: 'add', path: [], value: null }], acks: [['b', 4], ['b', 5], ['c', 1], ['b', 6]] },
  { ...host, type: 'patch', base: 1, next: 9, patches: [], to: 'b' },
  { ...host, type: 'ack', to: 'b', version: 2, seqs: [1, 2] },
  { ...host, type: 'ack', to: 'b', version: 2, seqs: [1, 2], saved: [2] },
  { ...env, type: 'reject', to: 'b', seq: 1, code: 'ACTION_FAILED', message: 'no' },
  { ...env, type: 'chunk', id: 'c', i: 0, n: 2, data: '{"' },
  { ...env, from: '0.x', type: 'chunk', id: 'c', i: 1, n: 2, data: '"}', to: 'b' },
  { ...host, type: 'status', version: 3, durable: { revision: 4, unsaved: 2, saving: true, error: null }, saved: [['b', 1]] },
  { ...host, type: 'beat', version: 1, durable: { revision: 0, unsaved: 0, saving: false, error: { code: 'STORAGE_FAILED', message: 'x' } } },
];
const accepted = (payload: unknown) => {
  const d = decodeMessage(payload, 's');
  if (!d.ok) throw new Error(`expected a valid message: ${d.detail}`);
  return d.message;
};
const wire = (m: Message) => JSON.parse(JSON.stringify(encodeMessage(m))) as unknown[];

describe('wire form', () => {
  it.each(valid.map((m) => [m.type, m] as const))('round-trips a valid %s through JSON', (_, m) => {
    expect(decodeMessage(wire(m), 's')).toEqual({ ok: true, message: m });
  });

  it('is a short positional array: a one-field patch to one replica costs about as much as the patch itself', () => {
    const patch: Message = { ...host, type: 'patch', base: 41, next: 42, patches: [{ op: 'replace', path: ['items', 1234, 'done'], value: true }], acks: [['aUasEg0N8Qr', 7]] };
    expect(encodeMessage(patch)).toEqual([PROTOCOL_VERSION, 's', 'p', '0.x', 41, [[1, 'items', 1234, 'done', true]], ['aUasEg0N8Qr', 7]]);
    const intents: Message = { ...env, type: 'intents', settledBelow: 7, items: [{ seq: 7, name: 'toggle', args: [1234] }] };
    expect(encodeMessage(intents)).toEqual([PROTOCOL_VERSION, 's', 'i', 'a', [[7, 'toggle', 1234]]]);
  });

  it('refuses to encode a host message whose sender is not its epoch', () => {
    expect(() => encodeMessage({ ...env, type: 'beat', epoch: '0.x', version: 1 })).toThrow(/must come from its epoch/);
  });

  const v = PROTOCOL_VERSION;
  it.each([
    ['not-bgstore', 'hello'],
    ['not-bgstore', null],
    ['not-bgstore', { type: 'hello' }],
    ['not-bgstore', ['s', 'h']],
    ['other-protocol', { bgstore: 1, store: 's', from: 'a', type: 'hello', epoch: null, version: null }],
    ['other-protocol', [v + 1, 's', 'h', 'a', null, null]],
    ['foreign-store', [v, 'other', 'h', 'a', null, null]],
    ['malformed', [v, 's', 'h', '', null, null]],
    ['malformed', [v, 's', 'h', 5, null, null]],
    ['malformed', [v, 's', 'nope', 'a']],
    ['malformed', [v, 's', 'constructor', 'a']],
    ['malformed', [v, 's', 'toString', 'a']],
    ['malformed', [v, 's', 'h', 'a', 1, null]],
    ['malformed', [v, 's', 'i', 'a', [[1, 'a']], 0]],
    ['malformed', [v, 's', 'i', 'a', []]],
    ['malformed', [v, 's', 'i', 'a', 'x']],
    ['malformed', [v, 's', 'i', 'a', [[0, 'a']]]],
    ['malformed', [v, 's', 'i', 'a', [{ seq: 1, name: 'a', args: [] }]]],
    ['malformed', [v, 's', 'p', 'e', 2, [], null, null, 0]],
    ['malformed', [v, 's', 'p', 'e', 1, [[3, 'a', 1]]]],
    ['malformed', [v, 's', 'p', 'e', 1, [['length', 'a', 1]]]],
    ['malformed', [v, 's', 'p', 'e', 1, [[0]]]],
    ['malformed', [v, 's', 'p', 'e', 1, [[1, { a: 1 }, 1]]]],
    ['malformed', [v, 's', 'p', 'e', 1, [], [3, 'b']]],
    ['malformed', [v, 's', 'p', 'e', 1, [], null, 7]],
    ['malformed', [v, 's', 's', 'e', 1]],
    ['malformed', [v, 's', 'r', 'e', 'b', 1, 'WHATEVER', '']],
    ['malformed', [v, 's', 'c', 'a', 'c', 2, 2, '']],
    ['malformed', [v, 's', 't', 'e', 1, [1, 0]]],
    ['malformed', [v, 's', 't', 'e', 1, [1, 0, true]]],
    ['malformed', [v, 's', 't', 'e', 1, [1, 0, 0], ['b', 0]]],
    ['malformed', [v, 's', 'a', 'e', 'b', 1, 'x']],
  ])('ignores with reason %s: %j', (reason, payload) => {
    expect(decodeMessage(payload, 's')).toMatchObject({ ok: false, reason });
  });
});

describe('chunks', () => {
  it('passes a short message whole and splits a long one into pieces that join in any order', () => {
    const small: Message = { ...host, type: 'beat', version: 1 };
    expect(encodeFrames(small, 1000, () => 'id')).toEqual([{ payload: encodeMessage(small), size: JSON.stringify(encodeMessage(small)).length }]);
    const big: Message = { ...host, type: 'snapshot', version: 1, state: { text: 'x"\\é'.repeat(2000) }, to: 'b' };
    const frames = encodeFrames(big, 1000, () => 'id').map((f) => accepted(f.payload));
    expect(frames.length).toBeGreaterThan(5);
    expect(frames.every((f) => f.type === 'chunk' && f.to === 'b')).toBe(true);
    encodeFrames(big, 1000, () => 'id').forEach((f) => expect(JSON.stringify(f.payload).length).toBeLessThanOrEqual(1500));
    const r = createReassembler();
    const shuffled = [...frames].reverse();
    const outs = shuffled.map((f) => r.add(f as never, 0));
    expect(outs.slice(0, -1).every((o) => o === undefined)).toBe(true);
    expect(decodeMessage(JSON.parse(outs[outs.length - 1]!), 's')).toEqual({ ok: true, message: big });
    expect(r.pending()).toBe(0);
  });

  it('#22.1 counts each piece as its JSON less the escapes of its quotes and backslashes (it is not written out twice)', () => {
    const big: Message = { ...host, type: 'snapshot', version: 1, state: { text: 'a"\\é\u2028x'.repeat(700) }, to: 'b' };
    const frames = encodeFrames(big, 700, () => 'id');
    expect(frames.length).toBeGreaterThan(5);
    for (const f of frames) {
      const data = (accepted(f.payload) as { data: string }).data;
      expect(f.size).toBe(JSON.stringify(f.payload).length - (data.match(/["\\]/g)?.length ?? 0));
    }
  });

  it('drops an incomplete message after its time to live', () => {
    const big: Message = { ...host, type: 'snapshot', version: 1, state: 'y'.repeat(3000) };
    const frames = encodeFrames(big, 1000, () => 'id').map((f) => accepted(f.payload));
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
