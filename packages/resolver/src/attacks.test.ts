// The trust boundary, attacked: any signed-in user who can render a module can call bgstore.load /
// bgstore.commit / bgstore.revision with any payload. Only `context` is the platform's.
import fc from 'fast-check';
import { defineStore } from '@bgstore/core';
import { LIMITS, RESOLVER_FUNCTIONS as F } from '@bgstore/protocol';
import { createBackend, intent } from '../test/harness';

const board = defineStore({
  name: 'board',
  initialState: { n: 0, notes: [] as string[] },
  actions: { inc: (d) => void d.n++, note: (d, text: string) => void d.notes.push(text) },
});
const alice = { accountId: 'alice' };
const mallory = { accountId: 'mallory' };

describe('the resolver against a second user', () => {
  it('#11.1 binds dedupe to the caller: another user reusing a client id and seq cannot swallow a real commit', async () => {
    const { call } = createBackend([board]);
    await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('victim', 1, 'inc')] }, alice);
    // Mallory commits first under alice's client id and her next seq…
    expect(await call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('victim', 2, 'note', 'forged')] }, mallory)).toMatchObject({ outcomes: [{ ok: true }] });
    // …and alice's real seq 2 still applies, not answered `duplicate`.
    const real = await call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('victim', 2, 'inc')] }, alice);
    expect(real).toMatchObject({ outcomes: [{ clientId: 'victim', seq: 2, ok: true }] });
    expect((real.outcomes as { duplicate?: boolean }[])[0]!.duplicate).toBeUndefined();
    expect(await call(F.load, { store: 'board' }, alice)).toMatchObject({ state: { n: 2, notes: ['forged'] } });
  });

  it('#11.1 discloses only the caller’s own client records on load', async () => {
    const { call } = createBackend([board]);
    await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('alice-tab', 1, 'inc')] }, alice);
    await call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('mallory-tab', 1, 'inc')] }, mallory);
    expect(Object.keys((await call(F.load, { store: 'board' }, alice)).clients as object)).toEqual(['alice-tab']);
    expect(Object.keys((await call(F.load, { store: 'board' }, mallory)).clients as object)).toEqual(['mallory-tab']);
    expect((await call(F.load, { store: 'board' }, { accountId: null })).clients).toEqual({});
  });

  it('#11.2 keeps a victim’s record through a flood of new client ids: a retried intent never applies twice', async () => {
    const { call } = createBackend([board]);
    await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('victim', 1, 'inc')] }, alice);
    for (let k = 0; k < 40; k++) {
      const flood = Array.from({ length: 25 }, (_, i) => intent(`f${k}-${i}`, 1, 'inc'));
      await call(F.commit, { store: 'board', baseRevision: 0, intents: flood }, mallory);
    }
    const retry = await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('victim', 1, 'inc')] }, alice);
    expect(retry).toMatchObject({ outcomes: [{ ok: true, duplicate: true }] });
    // The flooder kept at most its quota of records.
    const own = Object.keys((await call(F.load, { store: 'board' }, mallory)).clients as object);
    expect(own.length).toBeLessThanOrEqual(LIMITS.clientsPerCaller);
  });

  it('#11.3 bounds the client table: forged refusals (any code, long messages) and gapped seqs cannot brick the store', async () => {
    const { call } = createBackend([board]);
    for (let k = 0; k < 30; k++) {
      const junk = Array.from({ length: 40 }, (_, i) => ({ ...intent(`j${k % 8}`, k * 1000 + i * 7 + 1, 'inc'), refused: { code: 'EVIL_CODE', message: 'x'.repeat(20_000) } }));
      await call(F.commit, { store: 'board', baseRevision: 0, intents: junk }, mallory);
    }
    const records = (await call(F.load, { store: 'board' }, mallory)).clients as Record<string, { rejected: [number, string, string][]; seqs: number[] }>;
    for (const r of Object.values(records)) {
      expect(r.rejected.length).toBeLessThanOrEqual(LIMITS.rejectedPerClient);
      expect(r.seqs.length).toBeLessThanOrEqual(LIMITS.gapSeqs);
      for (const [, code, message] of r.rejected) {
        expect(code).toBe('BAD_REQUEST');
        expect(message.length).toBeLessThanOrEqual(LIMITS.refusalMessage);
      }
    }
    // An honest commit by someone else still fits.
    expect(await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('honest', 1, 'inc')] }, alice)).toMatchObject({ outcomes: [{ ok: true }] });
  });

  it('#11.4 applies the read policy to load and revision, and can keep anonymous viewers out', async () => {
    const { call } = createBackend([board], { policies: { board: { authorizeRead: (ctx) => ctx.accountId !== 'mallory' || 'not for you', allowAnonymousReads: false } } });
    expect(await call(F.load, { store: 'board' }, alice)).toMatchObject({ revision: 0 });
    expect(await call(F.load, { store: 'board' }, mallory)).toEqual({ error: { code: 'UNAUTHORIZED', message: expect.stringContaining('not for you') } });
    expect(await call(F.revision, { store: 'board' }, mallory)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    expect(await call(F.load, { store: 'board' }, { accountId: null })).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    // A commit answers with the stored state when it must rebase: one who may not read may not commit.
    expect(await call(F.commit, { store: 'board', baseRevision: 5, intents: [intent('m', 1, 'inc')] }, mallory)).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
  });

  it('#11.5 takes server policy only from registerStores: a definition carrying it is refused with the migration', () => {
    expect(() => defineStore({ name: 'x', initialState: {}, actions: {}, scope: 'space' } as never)).toThrow(/moved to the resolver: registerStores/);
    expect(() => createBackend([board], { policies: { nope: {} } })).toThrow(/not registered/);
  });

  it('#11.8 refuses a bad intent alone: an over-long client id does not sink the honest ones', async () => {
    const { call } = createBackend([board]);
    const result = await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('x'.repeat(300), 1, 'inc'), intent('honest', 1, 'inc'), { clientId: 'honest', seq: 2, name: 7, args: 'no' }] }, alice);
    expect(result).toMatchObject({ revision: 1, outcomes: expect.arrayContaining([{ clientId: 'honest', seq: 1, ok: true }, expect.objectContaining({ clientId: 'honest', seq: 2, ok: false, code: 'BAD_REQUEST' }), expect.objectContaining({ ok: false, code: 'BAD_REQUEST' })]) });
  });

  it('#11.10 says what to add to manifest.yml when the storage entity is missing, as a permanent error', async () => {
    const { createKvsFetch } = await import('@bgstore/emulator');
    const { call } = createBackend([board], { kvs: createKvsFetch({ entities: [] }) });
    expect(await call(F.load, { store: 'board' }, alice)).toEqual({ error: { code: 'MISCONFIGURED', message: expect.stringContaining('manifest.yml') } });
  });
});

describe('storage set up wrong', () => {
  it('#11.10 answers MISCONFIGURED, not a retryable failure, when there is no Forge storage at all', async () => {
    const { call } = createBackend([board]);
    const fetch = (globalThis as { __forge_fetch__?: unknown }).__forge_fetch__;
    delete (globalThis as { __forge_fetch__?: unknown }).__forge_fetch__;
    try {
      expect(await call(F.load, { store: 'board' }, alice)).toEqual({ error: { code: 'MISCONFIGURED', message: expect.stringContaining('storage:app') } });
    } finally {
      (globalThis as { __forge_fetch__?: unknown }).__forge_fetch__ = fetch;
    }
  });
});

describe(`generated hostile payloads (seeded, BGSTORE_SEED=${Number(process.env.BGSTORE_SEED ?? 42)})`, () => {
  it('never throws, never answers without {error} or {outcomes}, never changes another caller’s state', async () => {
    const seed = Number(process.env.BGSTORE_SEED ?? 42);
    const runs = Number(process.env.BGSTORE_RUNS ?? 60);
    const { call } = createBackend([board]);
    await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('victim', 1, 'note', 'keep')] }, alice);
    const json = fc.jsonValue({ maxDepth: 4 });
    const anyIntent = fc.oneof(json, fc.record({ clientId: fc.oneof(fc.string(), fc.constant('victim'), fc.constant('__proto__')), seq: fc.oneof(fc.integer(), fc.double(), fc.constant(1)), name: fc.oneof(fc.string(), fc.constantFrom('inc', 'note', '__proto__', 'constructor')), args: fc.oneof(json, fc.array(json)), refused: fc.option(json) }, { requiredKeys: [] }));
    const payload = fc.oneof(json, fc.record({ store: fc.oneof(fc.constant('board'), fc.string()), baseRevision: fc.oneof(fc.integer(), json), intents: fc.oneof(json, fc.array(anyIntent, { maxLength: 30 })), floors: fc.option(json) }, { requiredKeys: [] }));
    let messages = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(F.load, F.commit, F.revision), payload, async (fn, p) => {
        messages++;
        const answer = await call(fn, p, mallory);
        expect(typeof answer).toBe('object');
        expect('error' in answer || 'revision' in answer).toBe(true);
      }),
      { seed, numRuns: runs },
    ).catch((e) => {
      throw new Error(`BGSTORE_SEED=${seed}: ${String(e)}`);
    });
    expect(messages).toBe(runs);
    // Alice's data and record are untouched by everything mallory sent.
    const mine = await call(F.load, { store: 'board' }, alice);
    expect((mine.state as { notes: string[] }).notes).toContain('keep');
    expect(Object.keys(mine.clients as object)).toEqual(['victim']);
  }, 120_000);
});
