// What only the Forge SQL backend has: its tables made through @forge/sql's migrationRunner, and
// what each commit and load costs in requests and bytes (the guarantees are in storageConformance).
import { migrationRunner } from '@forge/sql';
import { routeForgeFetch } from '@bgstore/emulator';
import { defineStore } from '@bgstore/core';
import { RESOLVER_FUNCTIONS as F } from '@bgstore/protocol';
import { sqlBackend } from '../../test/backends';
import { intent } from '../../test/harness';
import { BGSTORE_MIGRATIONS, enqueueBgstoreMigrations } from '.';
import { sqlStorage } from './sqlStorage';

const list = defineStore({
  name: 'list',
  initialState: { items: [] as { id: number; title: string }[] },
  actions: {
    fill: (draft, n: number) => void draft.items.push(...Array.from({ length: n }, (_, i) => ({ id: draft.items.length + i, title: `item ${draft.items.length + i}` }))),
    rename: (draft, id: number, title: string) => void (draft.items[id]!.title = title),
  },
});

const backend = sqlBackend();
const reason = backend.unavailable();
if (reason) console.warn(`[bgstore] skipping the Forge SQL backend tests: ${reason}`);

(reason ? describe.skip : describe)('#19.2 the Forge SQL backend', () => {
  beforeAll(() => backend.beforeAll(), 60_000);
  afterAll(() => backend.afterAll(), 30_000);
  afterEach(() => backend.afterEach());

  it('creates its tables through migrationRunner the first time they are missing, once per instance', async () => {
    const inst = await backend.create([list]);
    const fetch = inst.sqlFetch!;
    expect(await inst.call(F.load, { store: 'list' })).toMatchObject({ revision: 0 });
    const ddl = fetch.stats().byKind.ddl;
    expect(ddl).toBeGreaterThanOrEqual(3);
    const migrated = await fetch.executor.run('SELECT name FROM __migrations ORDER BY id', [], { timeoutMs: 5000 });
    expect(migrated).toMatchObject({ rows: [{ name: 'bgstore-001-log' }, { name: 'bgstore-002-piece' }, { name: 'bgstore-003-inbox' }, { name: 'bgstore-004-pending' }] });
    await inst.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('t', 1, 'fill', 3)] });
    await inst.again([list]).call(F.load, { store: 'list' });
    expect(fetch.stats().byKind.ddl).toBe(ddl);
  });

  it('with `migrate` off, answers MISCONFIGURED naming the migration to run, and works once it ran', async () => {
    const inst = await backend.create([list], { storage: sqlStorage({ migrate: false }) });
    expect(await inst.call(F.load, { store: 'list' })).toEqual({ error: { code: 'MISCONFIGURED', message: expect.stringContaining('enqueueBgstoreMigrations(migrationRunner).run()') } });
    expect(await enqueueBgstoreMigrations(new (migrationRunner.constructor as new (c: unknown) => typeof migrationRunner)((await import('@forge/sql')).sql)).run()).toHaveLength(BGSTORE_MIGRATIONS.length);
    expect(await inst.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('t', 1, 'fill', 2)] })).toMatchObject({ revision: 1 });
  });

  it('#19.4 upgrades the tables of an earlier release (no `pending` column) the first time a statement needs it', async () => {
    const inst = await backend.create([list]);
    const runner = () => new (migrationRunner.constructor as new (c: unknown) => typeof migrationRunner)(sql);
    const { sql } = await import('@forge/sql');
    // What the earlier release made: its three migrations, and a document (statements to this installation's database).
    (globalThis as { __forge_fetch__?: unknown }).__forge_fetch__ = routeForgeFetch({ sql: inst.sqlFetch! });
    const earlier = runner();
    for (const [name, statement] of BGSTORE_MIGRATIONS.slice(0, 3)) earlier.enqueue(name, statement);
    expect(await earlier.run()).toHaveLength(3);
    await inst.sqlFetch!.executor.run("INSERT INTO bgstore_log (doc_key, revision, schema_version, kind, size, body) VALUES ('x', 1, 1, 's', 2, '{}')", [], { timeoutMs: 5000 });
    expect(await inst.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('t', 1, 'fill', 2)] })).toMatchObject({ revision: 1 });
    const migrated = await inst.sqlFetch!.executor.run('SELECT name FROM __migrations ORDER BY id', [], { timeoutMs: 5000 });
    expect('rows' in migrated && migrated.rows.map((r) => r.name)).toEqual(BGSTORE_MIGRATIONS.map(([name]) => name));
    expect(await inst.again([list]).call(F.load, { store: 'list' })).toMatchObject({ revision: 1, state: { items: [{ id: 0 }, { id: 1 }] } });
  });

  it('stores a lone change to a large document as one log row of O(change) bytes, and a warm instance reads only newer rows', async () => {
    const inst = await backend.create([list], { maxPayload: 2_000_000 });
    const fetch = inst.sqlFetch!;
    await inst.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('t', 1, 'fill', 20_000)] });
    fetch.resetStats();
    expect(await inst.call(F.commit, { store: 'list', baseRevision: 1, intents: [intent('t', 2, 'rename', 7, 'seven')] })).toMatchObject({ revision: 2 });
    const lone = fetch.stats();
    // One read of the rows after revision 1 with the inbox in the same answer, one INSERT.
    expect(lone.byKind).toEqual({ select: 1, dml: 1, ddl: 0 });
    expect(lone.requestBytes).toBeLessThan(2_000);
    expect(lone.responseBytes).toBeLessThan(1_000);
    // A cold instance (a new deploy) reads the snapshot and the log after it.
    fetch.resetStats();
    const loaded = await inst.again([list], { maxPayload: 2_000_000 }).call(F.load, { store: 'list' });
    expect((loaded.state as { items: { title: string }[] }).items[7]!.title).toBe('seven');
    expect(fetch.stats().responseBytes).toBeGreaterThan(500_000);
  });

  it('loads a document of several pieces within Forge SQL’s 1 MiB requests and 4 MiB answers', async () => {
    const inst = await backend.create([list], { maxPayload: 5_000_000 });
    const fetch = inst.sqlFetch!;
    expect(await inst.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('t', 1, 'fill', 25_000)] })).not.toHaveProperty('error');
    // (The first call met no tables yet, and made them: those answers were errors.)
    fetch.resetStats();
    expect(await inst.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('t', 2, 'fill', 25_000)] })).not.toHaveProperty('error');
    const loaded = await inst.again([list], { maxPayload: 5_000_000 }).call(F.load, { store: 'list' });
    // 50,000 items, ~1.6 MB: two pieces; the bench loads 100,000.
    expect((loaded.state as { items: unknown[] }).items).toHaveLength(50_000);
    expect(fetch.stats().errors).toBe(0);
  });

  it('#19.3 commits a lone writer’s change on a warm instance in one request; a guess that was behind reads and commits once', async () => {
    const inst = await backend.create([list]);
    const fetch = inst.sqlFetch!;
    await inst.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('t', 1, 'fill', 3)] });
    // This read finds nobody else's rows and no waiting batch: the instance's copy is current.
    await inst.call(F.commit, { store: 'list', baseRevision: 1, intents: [intent('t', 2, 'rename', 0, 'zero')] });
    fetch.resetStats();
    expect(await inst.call(F.commit, { store: 'list', baseRevision: 2, intents: [intent('t', 3, 'rename', 1, 'one')] })).toMatchObject({ revision: 3 });
    expect(fetch.stats().byKind).toEqual({ select: 0, dml: 1, ddl: 0 });

    // Another instance (another invocation's container) writes: this one's copy is behind.
    expect(await inst.again([list]).call(F.commit, { store: 'list', baseRevision: 3, intents: [intent('u', 1, 'rename', 2, 'two')] }, { accountId: 'user-2' })).toMatchObject({ revision: 4 });
    fetch.resetStats();
    expect(await inst.call(F.commit, { store: 'list', baseRevision: 3, intents: [intent('t', 4, 'rename', 0, 'again')] })).toMatchObject({ revision: 5 });
    // The INSERT on the guess changed nothing; then a read of the newer row, and the INSERT. No inbox post.
    expect(fetch.stats().byKind).toEqual({ select: 1, dml: 2, ddl: 0 });
    expect(await inst.inboxed()).toBe(0);
    // Sent again (its answer lost): applied once.
    expect(await inst.call(F.commit, { store: 'list', baseRevision: 3, intents: [intent('t', 4, 'rename', 0, 'again')] })).toMatchObject({ revision: 5 });
    const loaded = await inst.again([list]).call(F.load, { store: 'list' });
    expect(loaded).toMatchObject({ revision: 5, state: { items: [{ title: 'again' }, { title: 'one' }, { title: 'two' }] } });
  });

  it('#19.3 answers a batch sent again (its answer lost) from a read, not from a guess that may be behind', async () => {
    const inst = await backend.create([list]);
    await inst.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('t', 1, 'fill', 3)] });
    await inst.call(F.commit, { store: 'list', baseRevision: 1, intents: [intent('t', 2, 'rename', 0, 'zero')] });
    expect(await inst.call(F.commit, { store: 'list', baseRevision: 2, intents: [intent('t', 3, 'rename', 1, 'one')] })).toMatchObject({ revision: 3 });
    expect(await inst.again([list]).call(F.commit, { store: 'list', baseRevision: 3, intents: [intent('u', 1, 'rename', 2, 'two')] }, { accountId: 'user-2' })).toMatchObject({ revision: 4 });
    inst.sqlFetch!.resetStats();
    // The guess (revision 3) already has this batch: nothing to store, so the answer comes from a read.
    const again = await inst.call(F.commit, { store: 'list', baseRevision: 2, intents: [intent('t', 3, 'rename', 1, 'one')] });
    expect(again).toMatchObject({ revision: 4, outcomes: [{ clientId: 't', seq: 3, ok: true, duplicate: true }], state: { items: [{ title: 'zero' }, { title: 'one' }, { title: 'two' }] } });
    expect(inst.sqlFetch!.stats().byKind).toEqual({ select: 1, dml: 0, ddl: 0 });
  });

  it('#19.3 refuses a guess whose next revision was collected already (far behind): it never lands under a later snapshot', async () => {
    const inst = await backend.create([list], { maxPayload: 2_000_000 });
    await inst.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('t', 1, 'fill', 1)] });
    await inst.call(F.commit, { store: 'list', baseRevision: 1, intents: [intent('t', 2, 'rename', 0, 'zero')] });
    // Another instance writes three large changes: three snapshots, and the rows up to revision 3 are garbage.
    const other = inst.again([list], { maxPayload: 2_000_000 });
    for (let i = 0; i < 3; i++) expect(await other.call(F.commit, { store: 'list', baseRevision: 2 + i, intents: [intent('u', i + 1, 'fill', 4000)] }, { accountId: 'user-2' })).toMatchObject({ revision: 3 + i });
    const rows = await inst.sqlFetch!.executor.run('SELECT MIN(revision) AS r FROM bgstore_log', [], { timeoutMs: 5000 });
    expect('rows' in rows && Number(rows.rows[0]!.r)).toBeGreaterThan(3);
    // The instance still holds revision 2 as current: its INSERT of revision 3 must not land.
    expect(await inst.call(F.commit, { store: 'list', baseRevision: 2, intents: [intent('t', 3, 'rename', 0, 'late')] })).toMatchObject({ revision: 6 });
    const loaded = (await inst.again([list], { maxPayload: 2_000_000 }).call(F.load, { store: 'list' })) as { revision: number; state: { items: { title: string }[] } };
    expect(loaded.revision).toBe(6);
    expect(loaded.state.items).toHaveLength(12_001);
    expect(loaded.state.items[0]!.title).toBe('late');
  });

  it('#19.3 keeps installations apart on one function instance: one site’s warm copy is never read, nor committed on, for another', async () => {
    // One function instance (one sqlStorage) serving two installations, each with its own database;
    // a store's key names no installation here (both sites are cloud-1), as for space or user scopes.
    const storage = sqlStorage();
    const a = await backend.create([list], { storage });
    const b = await backend.create([list], { storage });
    const runtime = globalThis as { __forge_runtime__?: unknown };
    const on = (installationId: string) => (runtime.__forge_runtime__ = { appContext: { installationId } });
    try {
      on('installation-a');
      await a.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('t', 1, 'fill', 3)] });
      // Read, nobody else wrote: installation A's copy is now one a commit would guess on.
      expect(await a.call(F.commit, { store: 'list', baseRevision: 1, intents: [intent('t', 2, 'rename', 0, 'A')] })).toMatchObject({ revision: 2 });
      on('installation-b');
      expect(await b.call(F.commit, { store: 'list', baseRevision: 0, intents: [intent('t', 1, 'fill', 1)] })).toMatchObject({ revision: 1 });
      expect(await b.call(F.load, { store: 'list' })).toMatchObject({ revision: 1, state: { items: [{ id: 0, title: 'item 0' }] } });
      on('installation-a');
      expect(await a.call(F.load, { store: 'list' })).toMatchObject({ revision: 2, state: { items: [{ title: 'A' }, { title: 'item 1' }, { title: 'item 2' }] } });
    } finally {
      delete runtime.__forge_runtime__;
    }
  });
});
