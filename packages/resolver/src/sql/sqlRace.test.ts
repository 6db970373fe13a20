// How a commit that loses its race behaves on Forge SQL (#19.4): its one INSERT either takes the
// revision or leaves the batch on the row that won (no separate inbox post), and the loser, waiting
// as the commit loop has it wait, is answered once a later commit carried it. Everything waits on the emulator's manual clock: the race is made, not
// hoped for (a loser's INSERT is held until the winner has committed).
import { createManualClock } from '@bgstore/emulator';
import { RESOLVER_FUNCTIONS as F } from '@bgstore/protocol';
import { sqlBackend } from '../../test/backends';
import { intent, until as waitFor } from '../../test/harness';
import { list } from '../../test/stores';
import { sqlStorage } from './sqlStorage';

const clock = createManualClock(1_700_000_000_000);
const backend = sqlBackend({ clock });
const reason = backend.unavailable();
if (reason) console.warn(`[bgstore] skipping the Forge SQL race tests: ${reason}`);

/** Waits for I/O (MariaDB) until `done` holds; the clock does not move. A real-time ceiling only stops a hang. */
const until = (done: () => boolean) => waitFor(done, 'a race test: a condition on I/O in flight');

/** Lets the held INSERT run, then waits (for I/O) until the loser waits on the clock, before its next look. */
async function heldUntilWaiting() {
  await clock.advanceAsync(1_000);
  await until(() => clock.pending() > 0);
}

/** Moves the clock until `call` settles (the loser's waits and looks). */
async function settle(call: Promise<unknown>) {
  let done = false;
  void call.finally(() => (done = true));
  for (let i = 0; i < 200 && !done; i++) {
    await until(() => done || clock.pending() > 0);
    if (!done) await clock.advanceAsync(50);
  }
}

(reason ? describe.skip : describe)('#19.4 Forge SQL: a commit that loses its race', () => {
  beforeAll(() => backend.beforeAll(), 60_000);
  afterAll(() => backend.afterAll(), 30_000);
  afterEach(() => backend.afterEach());

  it('#19.4 leaves its batch on the winning row in the same request, waits, and is answered from the next commit that carries it', async () => {
    // Each call of `options()` is another function instance (its own warm copies and guesses).
    const options = () => ({ clock, storage: sqlStorage({ now: () => clock.now() }) });
    const inst = await backend.create([list], options());
    expect(await inst.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('t0', 1, 'add', 'first')] })).toMatchObject({ revision: 1 });
    const fetch = inst.sqlFetch!;
    const queries: string[] = [];
    // The loser's INSERT of revision 2 is held (on the manual clock) until the winner has committed.
    let held = 0;
    let heldQuery = '';
    fetch.setFaults(({ body }) => {
      const { query, params } = body as { query: string; params: unknown[] };
      queries.push(query);
      if (!query.startsWith('INSERT INTO bgstore_log') || !JSON.stringify(params).includes('from-a') || held++ > 0) return undefined;
      heldQuery = query;
      return { delayMs: 1_000 };
    });
    const a = inst.again([list], options()).call(F.commit, { store: 'list', baseRevision: 1, intents: [intent('ta', 1, 'add', 'from-a')] }, { accountId: 'user-a' });
    await until(() => held === 1);
    // The winner takes revision 2 meanwhile.
    expect(await inst.again([list], options()).call(F.commit, { store: 'list', baseRevision: 1, intents: [intent('tb', 1, 'add', 'from-b')] }, { accountId: 'user-b' })).toMatchObject({ revision: 2 });
    queries.length = 0;
    // The held INSERT runs now: revision 2 is taken, so it leaves the batch on that row; then the
    // loser waits (the commit loop's wait before a posted batch's first look).
    await heldUntilWaiting();
    // One request: the INSERT that lost also posted; nothing since. Nothing went to the inbox table.
    expect(heldQuery).toMatch(/^INSERT INTO bgstore_log .* ON DUPLICATE KEY UPDATE pending/);
    expect(queries).toEqual([]);
    expect(await inst.inboxed()).toBe(0);
    // The next commit (someone else's) reads the waiting batch with the rows and carries it.
    const c = await inst.again([list], options()).call(F.commit, { store: 'list', baseRevision: 2, intents: [intent('tc', 1, 'add', 'from-c')] }, { accountId: 'user-c' });
    expect(c).toMatchObject({ revision: 3 });
    queries.length = 0;
    await settle(a);
    // The loser reads once, finds its intent stored by that commit, and answers: no INSERT of its own.
    expect(await a).toMatchObject({ revision: 3, outcomes: [{ clientId: 'ta', seq: 1, ok: true, duplicate: true }] });
    expect(queries).toEqual([expect.stringMatching(/^SELECT/)]);
    const loaded = await inst.again([list], options()).call(F.load, { store: 'list' });
    expect(loaded).toMatchObject({ revision: 3, state: { items: ['first', 'from-b', 'from-a', 'from-c'] } });
  });

  it('#19.4 a batch left on a row that a commit read before is carried by the commit after it, and never applied again', async () => {
    const options = () => ({ clock, storage: sqlStorage({ now: () => clock.now() }) });
    const inst = await backend.create([list], options());
    await inst.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('t0', 1, 'add', 'first')] });
    // A's INSERT of revision 2 is held until B took it; D read revision 2 before A's batch was left
    // there, and its INSERT of revision 3 is held until just after.
    const holds = new Map([['from-a', 1_000], ['from-d', 1_020]]);
    inst.sqlFetch!.setFaults(({ body }) => {
      const { query, params } = body as { query: string; params: unknown[] };
      if (!query.startsWith('INSERT INTO bgstore_log')) return undefined;
      const hold = [...holds].find(([name]) => JSON.stringify(params).includes(name));
      if (!hold) return undefined;
      holds.delete(hold[0]);
      return { delayMs: hold[1] };
    });
    const a = inst.again([list], options()).call(F.commit, { store: 'list', baseRevision: 1, intents: [intent('ta', 1, 'add', 'from-a')] }, { accountId: 'user-a' });
    await until(() => !holds.has('from-a'));
    const other = inst.again([list], options());
    await other.call(F.commit, { store: 'list', baseRevision: 1, intents: [intent('tb', 1, 'add', 'from-b')] }, { accountId: 'user-b' });
    const d = inst.again([list], options()).call(F.commit, { store: 'list', baseRevision: 2, intents: [intent('td', 1, 'add', 'from-d')] }, { accountId: 'user-d' });
    await until(() => !holds.has('from-d'));
    await heldUntilWaiting();
    // D's INSERT goes now (A still waits: the commit loop waits longer than this before looking).
    await clock.advanceAsync(20);
    // D took revision 3 without A's batch, which read row 2 before the batch was left there.
    expect(await d).toMatchObject({ revision: 3, outcomes: [{ clientId: 'td', seq: 1, ok: true }] });
    // The batch still waits (on one of the latest rows): the next commit carries it.
    expect(await other.call(F.commit, { store: 'list', baseRevision: 2, intents: [intent('tb', 2, 'add', 'from-b2')] }, { accountId: 'user-b' })).toMatchObject({ revision: 4 });
    await settle(a);
    expect(await a).toMatchObject({ revision: 4, outcomes: [{ clientId: 'ta', seq: 1, ok: true, duplicate: true }] });
    // Later commits (reading row 2 again) do not apply it again.
    expect(await inst.again([list], options()).call(F.commit, { store: 'list', baseRevision: 4, intents: [intent('tb', 3, 'add', 'last')] }, { accountId: 'user-b' })).toMatchObject({ revision: 5 });
    const loaded = await inst.again([list], options()).call(F.load, { store: 'list' });
    expect(loaded).toMatchObject({ revision: 5, state: { items: ['first', 'from-b', 'from-d', 'from-a', 'from-b2', 'last'] } });
  });
});
