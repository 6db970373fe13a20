// A Forge SQL commit under contention (#19.3): once an instance has seen others write the document,
// its commits guess blind — one INSERT on its warm copy that stores the batch (the copy was current)
// or leaves it on the row that won, with no read first — and the answer tells the page how wide a
// gap between its commits the installation's request quota asks, by the document's writers. On the
// emulator's manual clock: every race is made, not hoped for.
import { createManualClock } from '@bgstore/emulator';
import { RESOLVER_FUNCTIONS as F } from '@bgstore/protocol';
import { kvsBackend, sqlBackend } from '../../test/backends';
import { intent, until as waitFor } from '../../test/harness';
import { list } from '../../test/stores';
import { COMMIT_REQUESTS_PER_S, REQUESTS_PER_COMMIT } from './commitGap';
import { sqlStorage } from './sqlStorage';

const clock = createManualClock(1_700_000_000_000);
const backend = sqlBackend({ clock });
const reason = backend.unavailable();
if (reason) console.warn(`[bgstore] skipping the Forge SQL blind-commit tests: ${reason}`);

/** Waits for I/O (MariaDB) until `done` holds; the clock does not move. A real-time ceiling only stops a hang. */
const until = (done: () => boolean) => waitFor(done, 'a blind-commit test: a condition on I/O in flight');

/** Moves the clock until `call` settles (a waiting batch's waits and checks). */
async function settle(call: Promise<unknown>) {
  let done = false;
  void call.finally(() => (done = true));
  for (let i = 0; i < 200 && !done; i++) {
    await until(() => done || clock.pending() > 0);
    if (!done) await clock.advanceAsync(50);
  }
}

/** Each call is another function instance (its own warm copies and guesses); `options` of one instance may be reused for its later calls. */
const instanceOptions = () => ({ clock, storage: sqlStorage({ now: () => clock.now() }) });

/** The statements' first words, recorded by the emulated service. */
function recordQueries(inst: { sqlFetch?: { setFaults(faults: (call: { body: unknown }) => undefined | { delayMs: number }): void } }, hold?: (query: string, params: string) => number | undefined) {
  const queries: string[] = [];
  inst.sqlFetch!.setFaults(({ body }) => {
    const { query, params } = body as { query: string; params: unknown[] };
    queries.push(query.split(' ').slice(0, 3).join(' '));
    const ms = hold?.(query, JSON.stringify(params));
    return ms === undefined ? undefined : { delayMs: ms };
  });
  return queries;
}

(reason ? describe.skip : describe)('#19.3 Forge SQL: commits under contention', () => {
  beforeAll(() => backend.beforeAll(), 60_000);
  afterAll(() => backend.afterAll(), 30_000);
  afterEach(() => backend.afterEach());

  it('#19.3 an instance that saw others write commits in one request: a blind INSERT that stores the batch, or leaves it waiting and is answered after one read', async () => {
    const inst = await backend.create([list], instanceOptions());
    await inst.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('t0', 1, 'add', 'first')] });
    // Instance X loses a race to B (its INSERT held until B took the revision): it has seen others write.
    const x = inst.again([list], instanceOptions());
    let holding = true;
    recordQueries(inst, (query, params) => (holding && query.startsWith('INSERT INTO bgstore_log') && params.includes('x-1') ? ((holding = false), 1_000) : undefined));
    const lost = x.call(F.commit, { store: 'list', baseRevision: 1, intents: [intent('tx', 1, 'add', 'x-1')] }, { accountId: 'user-x' });
    await until(() => !holding);
    await inst.again([list], instanceOptions()).call(F.commit, { store: 'list', baseRevision: 1, intents: [intent('tb', 1, 'add', 'b-1')] }, { accountId: 'user-b' });
    await clock.advanceAsync(1_000);
    // C carries X's batch; X's check finds it stored.
    await until(() => clock.pending() > 0);
    await inst.again([list], instanceOptions()).call(F.commit, { store: 'list', baseRevision: 2, intents: [intent('tc', 1, 'add', 'c-1')] }, { accountId: 'user-c' });
    await settle(lost);
    expect(await lost).toMatchObject({ revision: 3, outcomes: [{ clientId: 'tx', seq: 1, ok: true, duplicate: true }] });

    // X's copy is current (its check read it): its next commit is one INSERT, no read.
    let queries = recordQueries(inst);
    expect(await x.call(F.commit, { store: 'list', baseRevision: 3, intents: [intent('tx', 2, 'add', 'x-2')] }, { accountId: 'user-x' })).toMatchObject({ revision: 4, outcomes: [{ ok: true }] });
    expect(queries).toEqual(['INSERT INTO bgstore_log']);

    // Another instance writes: X's copy is behind. Its blind INSERT leaves the batch on the row that
    // won (one request), it waits, a later commit carries it, and one read answers it.
    await inst.again([list], instanceOptions()).call(F.commit, { store: 'list', baseRevision: 4, intents: [intent('tb', 2, 'add', 'b-2')] }, { accountId: 'user-b' });
    queries = recordQueries(inst);
    const behind = x.call(F.commit, { store: 'list', baseRevision: 4, intents: [intent('tx', 3, 'add', 'x-3')] }, { accountId: 'user-x' });
    await until(() => clock.pending() > 0);
    expect(queries).toEqual(['INSERT INTO bgstore_log']);
    const carrier = inst.again([list], instanceOptions()).call(F.commit, { store: 'list', baseRevision: 5, intents: [intent('td', 1, 'add', 'd-1')] }, { accountId: 'user-d' });
    await until(() => queries.length >= 3);
    expect(await carrier).toMatchObject({ revision: 6 });
    queries.length = 0;
    await settle(behind);
    expect(await behind).toMatchObject({ revision: 6, outcomes: [{ clientId: 'tx', seq: 3, ok: true, duplicate: true }] });
    expect(queries).toEqual(['SELECT revision, schema_version,']);
    const loaded = await inst.again([list], instanceOptions()).call(F.load, { store: 'list' });
    expect(loaded).toMatchObject({ revision: 6, state: { items: ['first', 'b-1', 'x-1', 'c-1', 'x-2', 'b-2', 'x-3', 'd-1'] } });
  });

  it('#19.3 a posted batch checks sooner when its document has few writers: after 150 ms with 3, the full 500 ms with 60', async () => {
    for (const [writers, from, to] of [
      [3, 150, 180],
      [60, 500, 540],
    ] as const) {
      const inst = await backend.create([list], instanceOptions());
      let revision = 0;
      for (let w = 0; w < writers; w++) revision = (await inst.call(F.commit, { store: 'list', baseRevision: revision, intents: [intent(`w${w}`, 1, 'add', `w${w}`)] }, { accountId: `user-${w}` })).revision as number;
      // X reads, then its INSERT is held until B took the revision: it loses, its batch waits on B's row.
      let holding = true;
      const queries = recordQueries(inst, (query, params) => (holding && query.startsWith('INSERT INTO bgstore_log') && params.includes('x-1') ? ((holding = false), 1_000) : undefined));
      const lost = inst.again([list], instanceOptions()).call(F.commit, { store: 'list', baseRevision: revision, intents: [intent('tx', 1, 'add', 'x-1')] }, { accountId: 'user-x' });
      await until(() => !holding);
      await inst.again([list], instanceOptions()).call(F.commit, { store: 'list', baseRevision: revision, intents: [intent('tb', 1, 'add', 'b-1')] }, { accountId: 'user-b' });
      await clock.advanceAsync(1_000);
      // Posted and waiting: the first check is X's next request.
      await until(() => clock.pending() > 0);
      queries.length = 0;
      let waited = 0;
      while (queries.length === 0 && waited < 2_000) {
        await clock.advanceAsync(10);
        waited += 10;
        await until(() => queries.length > 0 || clock.pending() > 0);
      }
      expect(queries[0]).toBe('SELECT revision, schema_version,');
      expect(waited).toBeGreaterThanOrEqual(from);
      expect(waited).toBeLessThanOrEqual(to + 10);
      await settle(lost);
      expect(await lost).toMatchObject({ outcomes: [{ clientId: 'tx', seq: 1, ok: true }] });
    }
  });

  it('#19.3 the answer tells the page a gap by the document’s writers of the last seconds', async () => {
    const inst = await backend.create([list], instanceOptions());
    const perWriter = (REQUESTS_PER_COMMIT * 1000) / COMMIT_REQUESTS_PER_S;
    let revision = 0;
    const commit = async (client: string) => {
      const answer = await inst.call(F.commit, { store: 'list', baseRevision: revision, intents: [intent(client, 1 + revision, 'add', client)] }, { accountId: `user-${client}` });
      revision = answer.revision as number;
      return answer;
    };
    expect(await commit('a')).toMatchObject({ gapMs: Math.round(perWriter) });
    await commit('b');
    expect(await commit('c')).toMatchObject({ gapMs: Math.round(3 * perWriter) });
    // Six seconds on, only the one writing now counts.
    await clock.advanceAsync(6_000);
    expect(await commit('d')).toMatchObject({ gapMs: Math.round(perWriter) });
  });
});

describe('#19.3 Forge KVS: commits under contention', () => {
  it('#19.3 a KVS answer tells no gap (the host keeps its own)', async () => {
    const inst = await kvsBackend.create([list]);
    const answer = await inst.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('a', 1, 'add', 'a')] });
    expect(answer).toMatchObject({ revision: 1 });
    expect(answer).not.toHaveProperty('gapMs');
  });
});
