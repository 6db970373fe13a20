// Properties of the message schemas: every valid message survives encode → JSON → decode unchanged,
// and no payload makes decodeMessage throw. Seed: BGSTORE_SEED (fast-check prints it on failure);
// runs: BGSTORE_RUNS.
import fc from 'fast-check';
import {
  decodeMessage,
  encodeMessage,
  PROTOCOL_VERSION,
  SYNC_ERROR_CODES,
  type AckMessage,
  type BeatMessage,
  type ChunkMessage,
  type DurableStatus,
  type Envelope,
  type HelloMessage,
  type IntentsMessage,
  type Message,
  type PatchMessage,
  type RejectMessage,
  type SnapshotMessage,
  type StatusMessage,
  type SyncErrorCode,
  type WireIntent,
  type WirePatch,
} from '.';

// A fixed seed (BGSTORE_SEED overrides it), named in the suite's title so even a timeout prints it.
const seed = Number(process.env.BGSTORE_SEED ?? 20_001);
const params = { numRuns: Number(process.env.BGSTORE_RUNS ?? 500), seed };

const id = fc.stringMatching(/^[A-Za-z0-9_.-]{1,12}$/).filter((s) => s !== '__proto__');
const count = fc.maxSafeNat();
const seq = fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER });
// As it arrives: JSON has no -0.
const json = fc.jsonValue().map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const pairs = fc.array(fc.tuple(fc.constantFrom('a', 'b', 'c.1'), seq), { maxLength: 6 });
const durable: fc.Arbitrary<DurableStatus> = fc
  .tuple(
    fc.record({ revision: count, unsaved: count, saving: fc.boolean(), error: fc.option(fc.record({ code: fc.string(), message: fc.string() }), { nil: null }) }),
    fc.option(count, { nil: undefined }),
  )
  // A throttled host (#17) says when it resumes, with the RATE_LIMITED error.
  .map(([d, until]) => (d.error && until !== undefined ? { ...d, throttledUntil: until } : d));
const patch: fc.Arbitrary<WirePatch> = fc.oneof(
  fc.record({ op: fc.constantFrom('add' as const, 'replace' as const), path: fc.array(fc.oneof(fc.string(), fc.nat())), value: json }),
  fc.record({ op: fc.constant('remove' as const), path: fc.array(fc.oneof(fc.string(), fc.nat())) }),
);
const intent: fc.Arbitrary<WireIntent> = fc.record({ seq, name: fc.string({ minLength: 1, maxLength: 128 }), args: fc.array(json, { maxLength: 3 }) });

const envelope = (from: fc.Arbitrary<string>) => fc.record({ bgstore: fc.constant(PROTOCOL_VERSION), store: fc.constant('s'), from });
/** A message whose other fields come from `fields`; optional fields are absent or present. */
const of = <T extends object>(fields: { [K in keyof T]: fc.Arbitrary<T[K]> }, requiredKeys: (keyof T)[]) => fc.record(fields, { requiredKeys }) as fc.Arbitrary<T>;
/** A sender's id: an id not starting with `.` (aliases do). */
const sender = id.filter((s) => !s.startsWith('.'));
const fromHost = <T extends object>(body: fc.Arbitrary<T>) => fc.tuple(sender, body).map(([epoch, b]) => ({ bgstore: PROTOCOL_VERSION, store: 's', from: epoch, epoch, ...b }));
const fromClient = <T extends object>(body: fc.Arbitrary<T>) => fc.tuple(envelope(sender), body).map(([e, b]) => ({ ...e, ...b }));

const message: fc.Arbitrary<Message> = fc.oneof(
  fromClient(of({ type: fc.constant('hello' as const), epoch: fc.option(id, { nil: null }), version: fc.option(count, { nil: null }), fingerprint: id, inbox: fc.constant(true as const) }, ['type', 'epoch', 'version'])),
  fromClient(of({ type: fc.constant('intents' as const), settledBelow: seq, items: fc.array(intent, { minLength: 1, maxLength: 4 }) }, ['type', 'settledBelow', 'items'])),
  fromHost(of({ type: fc.constant('beat' as const), version: count, to: id, durable, digest: id }, ['type', 'version'])),
  fromHost(of({ type: fc.constant('snapshot' as const), version: count, state: json, to: id, durable, fingerprint: id }, ['type', 'version', 'state'])),
  fromHost(of({ type: fc.constant('status' as const), version: count, durable, saved: pairs }, ['type', 'version', 'durable'])),
  fromHost(
    fc
      .record({ base: fc.nat({ max: 2 ** 40 }), span: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 2 ** 20 })) })
      .chain(({ base, span }) => of({ type: fc.constant('patch' as const), base: fc.constant(base), next: fc.constant(base + span), patches: fc.array(patch, { maxLength: 4 }), acks: pairs, to: id }, ['type', 'base', 'next', 'patches'])),
  ),
  fromHost(of({ type: fc.constant('ack' as const), to: id, version: count, seqs: fc.array(seq, { maxLength: 4 }), saved: fc.array(seq, { maxLength: 4 }) }, ['type', 'to', 'version', 'seqs'])),
  fromClient(of({ type: fc.constant('reject' as const), to: id, seq, code: fc.constantFrom(...SYNC_ERROR_CODES), message: fc.string() }, ['type', 'to', 'seq', 'code', 'message'])),
  fromClient(
    fc
      .integer({ min: 1, max: 1000 })
      .chain((n) => of({ type: fc.constant('chunk' as const), id, i: fc.nat(n - 1), n: fc.constant(n), data: fc.string(), to: id }, ['type', 'id', 'i', 'n', 'data'])),
  ),
) as fc.Arbitrary<Message>;

const throughJson = (m: Message) => JSON.parse(JSON.stringify(encodeMessage(m))) as unknown;

describe(`message schemas (BGSTORE_SEED=${seed})`, () => {
  it('decode(encode(m)) is m for every valid message, through JSON', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(decodeMessage(throughJson(m), 's')).toEqual({ ok: true, message: m });
      }),
      params,
    );
  });

  it('never throws on garbage; what it accepts encodes back to the same message', () => {
    fc.assert(
      fc.property(fc.anything(), (payload) => {
        expect(typeof decodeMessage(payload, 's').ok).toBe('boolean');
      }),
      params,
    );
    // Valid messages with one slot replaced by any JSON, cut short or extended.
    fc.assert(
      fc.property(message, fc.nat(), json, fc.constantFrom('replace', 'cut', 'add'), (m, at, junk, how) => {
        const w = throughJson(m) as unknown[];
        const i = 2 + (at % (w.length - 1));
        if (how === 'replace') w[i] = junk;
        else if (how === 'cut') w.length = i;
        else w.push(junk);
        const d = decodeMessage(w, 's');
        if (d.ok) expect(decodeMessage(throughJson(d.message), 's')).toEqual(d);
      }),
      params,
    );
  });

  it('refuses __proto__ and other inherited names as type tags and ids', () => {
    for (const tag of ['__proto__', 'constructor', 'hasOwnProperty']) expect(decodeMessage([PROTOCOL_VERSION, 's', tag, 'a'], 's')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(decodeMessage([PROTOCOL_VERSION, 's', 'h', '__proto__', null, null], 's')).toMatchObject({ ok: false, reason: 'malformed' });
    // #18.9: an alias (`.` and base 36) is never a sender.
    for (const from of ['.0', '.a1', '.']) expect(decodeMessage([PROTOCOL_VERSION, 's', 'h', from, null, null], 's')).toMatchObject({ ok: false, reason: 'malformed' });
    expect(decodeMessage([PROTOCOL_VERSION, 's', 't', 'e', 1, [1, 0, 0], ['__proto__', 1]], 's')).toMatchObject({ ok: false, reason: 'malformed' });
  });
});

// The derived types keep the shapes the messages had when each was written out by hand.
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Flat<T> = { [K in keyof T]: T[K] };
const same = <A, B>(equal: Equal<Flat<A>, Flat<B>>) => equal;
type Pairs = [clientId: string, seq: number][];
type Host = Envelope & { epoch: string };
same<Envelope, { bgstore: 2; store: string; from: string }>(true);
same<HelloMessage, Envelope & { type: 'hello'; epoch: string | null; version: number | null; fingerprint?: string; inbox?: true }>(true);
same<IntentsMessage, Envelope & { type: 'intents'; settledBelow: number; items: WireIntent[] }>(true);
same<BeatMessage, Host & { type: 'beat'; version: number; to?: string; durable?: DurableStatus; digest?: string }>(true);
same<SnapshotMessage, Host & { type: 'snapshot'; version: number; state: unknown; to?: string; durable?: DurableStatus; fingerprint?: string; alias?: string }>(true);
same<StatusMessage, Host & { type: 'status'; version: number; durable: DurableStatus; saved?: Pairs }>(true);
same<PatchMessage, Host & { type: 'patch'; base: number; next: number; patches: WirePatch[]; acks?: Pairs; to?: string }>(true);
same<AckMessage, Host & { type: 'ack'; to: string; version: number; seqs: number[]; saved?: number[] }>(true);
same<RejectMessage, Envelope & { type: 'reject'; to: string; seq: number; code: SyncErrorCode; message: string }>(true);
same<ChunkMessage, Envelope & { type: 'chunk'; id: string; i: number; n: number; data: string; to?: string }>(true);
