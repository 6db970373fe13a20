import { defineStore } from '@bgstore/core';
import { RESOLVER_FUNCTIONS as F } from '@bgstore/protocol';
import { createKvsFetch, createManualClock } from '@bgstore/emulator';
import { DOC_ENTITY_DECLARATION } from '.';
import { createBackend, intent, until } from '../test/harness';
import { unpackText } from './kvs/pieces';

// The inbox attacked (#18.1, #18.2) and priced (#17): a batch waiting in a document's inbox can
// never make another caller's commit fail, never outlives its poster's final answer, expires, and
// is never applied after its poster was told it was not; a lone commit does not read the inbox.
const board = defineStore({
  name: 'board',
  initialState: { cards: [] as { id: string; text: string }[] },
  actions: {
    add: (draft, id: string, text: string) => void draft.cards.push({ id, text }),
    drop: (draft, id: string) => void draft.cards.splice(draft.cards.findIndex((c) => c.id === id) >>> 0, 1),
  },
});
type Board = (typeof board)['initialState'];
type Backend = ReturnType<typeof createBackend>;

const inboxKeys = (kvs: Backend['kvs']) => Object.keys(kvs.dump().kv ?? {}).filter((k) => k.includes(':in:'));
const ids = async (call: Backend['call']) => ((await call(F.load, { store: 'board' })) as { state: Board }).state.cards.map((c) => c.id);

/** A backend on a manual clock (storage's and the resolver's), with a document of about `bytes`. */
async function nearlyFull(bytes: number) {
  const clock = createManualClock(1_000_000);
  const kvs = createKvsFetch({ clock, entities: [DOC_ENTITY_DECLARATION as never] });
  const backend = createBackend([board], { kvs, now: () => clock.now(), maxPayload: 10_000_000, retryDelayMs: 20 });
  // Intents of 380 KB (an intent may have 400 KB), five to a commit.
  const parts = Math.ceil(bytes / 380_000);
  for (let c = 0; c * 5 < parts; c++) {
    const intents = Array.from({ length: Math.min(5, parts - c * 5) }, (_, i) => intent('setup', c * 5 + i + 1, 'add', `base${c * 5 + i}`, 'x'.repeat(Math.floor(bytes / parts))));
    const r = await backend.call(F.commit, { store: 'board', baseRevision: c, intents });
    expect(r).toMatchObject({ revision: c + 1, outcomes: intents.map(() => ({ ok: true })) });
  }
  return { ...backend, clock };
}

/** Makes the transactions carrying `marker` (and not `unless`, another's commit carrying it) lose the race until `release()`. */
function loseRacesOf(kvs: Backend['kvs'], marker: string, unless: string) {
  let held = true;
  kvs.setFaults(({ path, body }) => {
    // Stored values may be compressed (#17.3): look at their text.
    const text = JSON.stringify(body, (k, v: unknown) => (typeof v === 'string' && v.startsWith('\u0001') ? unpackText(v, k) : v));
    return held && path === '/api/v1/transaction' && text.includes(marker) && !text.includes(unless) ? { status: 400, code: 'CONDITIONAL_CHECK_FAILED', message: 'lost' } : undefined;
  });
  return () => void (held = false);
}

describe('the inbox against a second user', () => {
  it('#18.1 a waiting batch that no longer fits never fails another caller’s commit, and leaves the inbox with its poster’s answer', async () => {
    const { call, kvs } = await nearlyFull(3_800_000);
    const release = loseRacesOf(kvs, 'poster-card', 'other-card');
    // The poster's batch loses its race and waits in the inbox…
    const poster = call(F.commit, { store: 'board', baseRevision: 2, intents: [intent('p', 1, 'add', 'poster-card', 'p'.repeat(120_000))] }, { accountId: 'poster' });
    await until(() => inboxKeys(kvs).length === 1, 'a batch waits in the inbox');
    // …and a second user's card lands meanwhile: with the waiting batch the document would not fit.
    const other = await call(F.commit, { store: 'board', baseRevision: 2, intents: [intent('o', 1, 'add', 'other-card', 'o'.repeat(120_000))] }, { accountId: 'other' });
    expect(other).toMatchObject({ revision: 3, outcomes: [{ ok: true }] });
    release();
    // The poster's batch alone no longer fits: its answer is final, and its entry is gone.
    const answer = (await poster) as { error?: { code: string }; outcomes?: { ok: boolean; code?: string }[] };
    expect(answer.error?.code ?? answer.outcomes?.[0]?.code).toBe('TOO_LARGE');
    expect(inboxKeys(kvs)).toEqual([]);
    // Small commits by anyone keep landing.
    for (let i = 0; i < 3; i++) expect(await call(F.commit, { store: 'board', baseRevision: 3 + i, intents: [intent('o', 2 + i, 'add', `small${i}`, 'y')] }, { accountId: 'third' })).toMatchObject({ outcomes: [{ ok: true }] });
    expect(await ids(call)).not.toContain('poster-card');
  }, 60_000);

  it('#18.2 a batch its poster was told did not fit is not applied by a later commit, even once the document shrinks', async () => {
    const { call, kvs } = await nearlyFull(3_800_000);
    const release = loseRacesOf(kvs, 'poster-card', 'other-card');
    const poster = call(F.commit, { store: 'board', baseRevision: 2, intents: [intent('p', 1, 'add', 'poster-card', 'p'.repeat(120_000))] }, { accountId: 'poster' });
    await until(() => inboxKeys(kvs).length === 1, 'a batch waits in the inbox');
    await call(F.commit, { store: 'board', baseRevision: 2, intents: [intent('o', 1, 'add', 'other-card', 'o'.repeat(120_000))] }, { accountId: 'other' });
    release();
    const answer = (await poster) as { error?: { code: string }; outcomes?: { ok: boolean; code?: string }[] };
    // What the poster was told: refused, as too large.
    const refused = answer.error?.code === 'TOO_LARGE' || answer.outcomes?.every((o) => !o.ok && o.code === 'TOO_LARGE');
    expect(refused).toBe(true);
    // The document shrinks; later commits by others must not apply the refused batch.
    await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('o', 2, 'drop', 'base0'), intent('o', 3, 'drop', 'base1')] }, { accountId: 'other' });
    await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('o', 4, 'add', 'later', 'z')] }, { accountId: 'other' });
    expect(await ids(call)).not.toContain('poster-card');
    // Sent again (a host retries a batch it was not told the end of), it is refused again, not applied.
    const again = await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('p', 1, 'add', 'poster-card', 'p'.repeat(120_000))] }, { accountId: 'poster' });
    if (answer.outcomes) expect(again).toMatchObject({ outcomes: [{ ok: false, code: 'TOO_LARGE', duplicate: true }] });
    expect(await ids(call)).not.toContain('poster-card');
  }, 60_000);

  it('#18.1 an entry whose poster is gone expires: after its time no commit carries it', async () => {
    const clock = createManualClock(1_000_000);
    const kvs = createKvsFetch({ clock, entities: [DOC_ENTITY_DECLARATION as never] });
    const { call } = createBackend([board], { kvs, now: () => clock.now(), retryDelayMs: 20, maxAttempts: 1 });
    await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('a', 1, 'add', 'c1', 'x')] });
    // The poster posts, then storage fails it for good (as if its instance died): its entry stays.
    let posted = false;
    kvs.setFaults(({ path, body }) => {
      const text = JSON.stringify(body);
      if (path === '/api/v1/set' && text.includes(':in:')) return void (posted = true);
      if (posted) return { status: 500, code: 'INTERNAL_SERVER_ERROR', message: 'gone' };
      return path === '/api/v1/transaction' && text.includes('ghost') ? { status: 400, code: 'CONDITIONAL_CHECK_FAILED', message: 'lost' } : undefined;
    });
    expect(await call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('g', 1, 'add', 'ghost', 'x')] }, { accountId: 'ghost' })).toMatchObject({ error: { code: 'STORAGE_FAILED' } });
    kvs.setFaults(undefined);
    expect(inboxKeys(kvs)).toHaveLength(1);
    await clock.advanceAsync(120_000);
    expect(await call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('a', 2, 'add', 'c2', 'x')] })).toMatchObject({ revision: 2, outcomes: [{ ok: true }] });
    expect(await ids(call)).toEqual(['c1', 'c2']);
    expect(inboxKeys(kvs)).toEqual([]);
  });
});

describe('what a commit costs (#17)', () => {
  it('#17 a lone commit does not read the inbox, and makes no request that fails', async () => {
    const { call, kvs } = createBackend([board]);
    await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('a', 1, 'add', 'c1', 'x')] });
    kvs.resetStats();
    for (let i = 0; i < 5; i++) await call(F.commit, { store: 'board', baseRevision: 1 + i, intents: [intent('a', 2 + i, 'add', `c${i + 2}`, 'x')] });
    const stats = kvs.stats();
    expect(stats.byPath['/api/v1/query']).toBeUndefined();
    expect(stats.errors).toBe(0);
    // Per lone commit: the head, and the transaction.
    expect(stats.calls / 5).toBe(2);
  });

  it('#17 a batch that lost the race is still carried by the next winner, and nobody deletes what is gone', async () => {
    const { call, kvs } = createBackend([board], { retryDelayMs: 20 });
    await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('b', 1, 'add', 'c1', 'x')] });
    const release = loseRacesOf(kvs, 'a1', 'b1');
    const a = call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('a', 1, 'add', 'a1', 'x')] }, { accountId: 'user-a' });
    await until(() => inboxKeys(kvs).length === 1, 'a batch waits in the inbox');
    kvs.resetStats();
    const b = await call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('b', 2, 'add', 'b1', 'x')] }, { accountId: 'user-b' });
    release();
    expect(await a).toMatchObject({ outcomes: [{ ok: true }] });
    expect(b).toMatchObject({ revision: expect.any(Number) });
    expect((await ids(call)).sort()).toEqual(['a1', 'b1', 'c1']);
    expect(inboxKeys(kvs)).toEqual([]);
    expect(kvs.stats().byPath['/api/v1/delete']?.errors ?? 0).toBe(0);
  });
});
