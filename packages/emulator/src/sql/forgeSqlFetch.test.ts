import { errorCodes, migrationRunner, sql } from '@forge/sql';
import { kvs } from '@forge/kvs';
import { createManualClock } from '../clock';
import { createKvsFetch } from '../kvs/forgeFetch';
import type { SqlExecutor } from './executor';
import { createSqlFetch, SQL_PATHS, type SqlFetch, type SqlFetchOptions } from './forgeSqlFetch';
import { createMysqlExecutor } from './mysqlExecutor';
import { routeForgeFetch } from './route';
import { describeWithMariaDb, sqlFailure, useMariaDb } from './sqlTestKit';

const g = globalThis as { __forge_fetch__?: unknown };

describeWithMariaDb('createSqlFetch with the real @forge/sql on a real MariaDB', () => {
  const server = useMariaDb();
  const clock = createManualClock(1_700_000_000_000);
  let executor: SqlExecutor;
  let fetch: SqlFetch;

  /** A fresh installation (its own database) for each test. */
  const install = async (options: Omit<SqlFetchOptions, 'executor' | 'clock'> = {}) => {
    executor = await createMysqlExecutor({ socketPath: server.current.socketPath });
    fetch = createSqlFetch({ executor, clock, ...options });
    g.__forge_fetch__ = routeForgeFetch({ sql: fetch });
  };
  const table = () => sql.executeDDL('CREATE TABLE IF NOT EXISTS item (id VARCHAR(64) NOT NULL PRIMARY KEY, n INT NOT NULL, body LONGTEXT)');

  beforeEach(() => install());
  afterEach(async () => {
    await executor.close();
    delete g.__forge_fetch__;
  });

  it('runs DDL, inserts with bound params, reads rows and answers the write summary', async () => {
    await table();
    const ins = await sql.prepare('INSERT INTO item (id, n) VALUES (?, ?), (?, ?)').bindParams('a', 1, 'b', 2).execute();
    expect(ins.rows).toMatchObject({ affectedRows: 2, insertId: 0, warningStatus: 0 });
    const upd = await sql.prepare('UPDATE item SET n = n + 1 WHERE id = ? AND n = ?').bindParams('a', 1).execute();
    expect(upd.rows).toMatchObject({ affectedRows: 1 });
    const sel = await sql.prepare<{ id: string; n: number }>('SELECT id, n FROM item ORDER BY id').execute();
    expect(sel.rows).toEqual([
      { id: 'a', n: 2 },
      { id: 'b', n: 2 },
    ]);
    expect(fetch.stats().byKind).toEqual({ select: 1, dml: 2, ddl: 1 });
  });

  it('compares strings case-sensitively, as TiDB does by default', async () => {
    await table();
    await sql.prepare('INSERT INTO item (id, n) VALUES (?, 1), (?, 2)').bindParams('A', 'a').execute();
    expect((await sql.prepare('SELECT n FROM item WHERE id = ?').bindParams('a').execute()).rows).toEqual([{ n: 2 }]);
  });

  it('runs migrationRunner migrations once, in order', async () => {
    const runner = () => new (migrationRunner.constructor as new (c: typeof sql) => typeof migrationRunner)(sql).enqueue('v1', 'CREATE TABLE doc (id INT PRIMARY KEY)').enqueue('v2', 'ALTER TABLE doc ADD COLUMN title VARCHAR(10)');
    expect(await runner().run()).toEqual(['v1', 'v2']);
    expect(await runner().run()).toEqual([]);
    expect((await runner().list()).map((m) => m.name)).toEqual(['v1', 'v2']);
    await sql.prepare('INSERT INTO doc (id, title) VALUES (1, ?)').bindParams('t').execute();
  });

  it('answers a duplicate key as SQL_EXECUTION_ERROR with the database error in debug', async () => {
    await table();
    await sql.prepare('INSERT INTO item (id, n) VALUES (?, 1)').bindParams('a').execute();
    const err = await sqlFailure(sql.prepare('INSERT INTO item (id, n) VALUES (?, 2)').bindParams('a').execute());
    expect(err.code).toBe(errorCodes.SQL_EXECUTION_ERROR);
    expect(err.responseDetails.status).toBe(400);
    expect(err.context?.debug).toMatchObject({ code: 'ER_DUP_ENTRY', errno: 1062 });
  });

  it('lets exactly one of racing inserts of one key win (requests really run concurrently)', async () => {
    await table();
    const results = await Promise.allSettled(Array.from({ length: 8 }, (_, i) => sql.prepare('INSERT INTO item (id, n) VALUES (?, ?)').bindParams('k', i).execute()));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  });

  it('refuses more than one statement, but not a `;` inside a string', async () => {
    await table();
    const err = await sqlFailure(sql.prepare('SELECT 1; DELETE FROM item').execute());
    expect(err.code).toBe(errorCodes.INVALID_SQL_QUERY);
    await expect(sql.prepare("SELECT ';' AS s").execute()).resolves.toEqual({ rows: [{ s: ';' }] });
  });

  it('refuses DDL outside executeDDL, foreign keys, RETURNING and session statements', async () => {
    await table();
    const refused = async (p: Promise<unknown>, text: RegExp) => {
      const err = await sqlFailure(p);
      expect(err.code).toBe(errorCodes.INVALID_SQL_QUERY);
      expect(err.message).toMatch(text);
    };
    await refused(sql.prepare('CREATE TABLE x (id INT)').execute(), /executeDDL/);
    await refused(sql.executeDDL('CREATE TABLE child (id INT PRIMARY KEY, p VARCHAR(64), FOREIGN KEY (p) REFERENCES item (id))'), /Foreign keys/);
    await refused(sql.prepare('DELETE FROM item RETURNING id').execute(), /MariaDB syntax/);
    await refused(sql.prepare('START TRANSACTION').execute(), /not supported/);
    await refused(sql.prepare('SET @a = 1').execute(), /not supported/);
  });

  it('refuses a request over 1 MiB and a response over 4 MiB', async () => {
    await table();
    const big = 'x'.repeat(1024 * 1024);
    const err = await sqlFailure(sql.prepare('INSERT INTO item (id, n, body) VALUES (?, 1, ?)').bindParams('a', big).execute());
    expect([err.responseDetails.status, err.code]).toEqual([413, 'REQUEST_TOO_LARGE']);
    for (let i = 0; i < 5; i++) await sql.prepare("INSERT INTO item (id, n, body) VALUES (?, 1, REPEAT('y', 1000000))").bindParams(`r${i}`).execute();
    const tooBig = await sqlFailure(sql.prepare('SELECT body FROM item').execute());
    expect(tooBig.code).toBe('RESPONSE_TOO_LARGE');
    expect((await sql.prepare('SELECT id FROM item LIMIT 4').execute()).rows).toHaveLength(4);
  });

  it('allows 150 DML requests in a second on the emulator clock, then 429 until the second has passed', async () => {
    await table();
    const one = () => sql.prepare('SELECT COUNT(*) AS c FROM item').execute();
    for (let i = 0; i < 150; i++) await one();
    const err = await sqlFailure(one());
    expect([err.responseDetails.status, err.code]).toEqual([429, 'RATE_LIMIT_EXCEEDED']);
    clock.advance(999);
    await sqlFailure(one());
    clock.advance(1);
    await expect(one()).resolves.toBeDefined();
    expect(fetch.stats()).toMatchObject({ throttled: { dmlPerSecond: 2 }, peaks: { dmlPerSecond: 150 } });
  });

  it('counts only writes against the 150 a second with readsAreDml off', async () => {
    await executor.close();
    await install({ limits: { readsAreDml: false } });
    await table();
    for (let i = 0; i < 200; i++) await sql.prepare('SELECT COUNT(*) AS c FROM item').execute();
    for (let i = 0; i < 150; i++) await sql.prepare('INSERT INTO item (id, n) VALUES (?, 1)').bindParams(`w${i}`).execute();
    expect((await sqlFailure(sql.prepare('INSERT INTO item (id, n) VALUES (?, 1)').bindParams('over').execute())).code).toBe('RATE_LIMIT_EXCEEDED');
  });

  it('allows 25 DDL requests a minute', async () => {
    for (let i = 0; i < 25; i++) await table();
    expect((await sqlFailure(table())).code).toBe('RATE_LIMIT_EXCEEDED');
    clock.advance(60_000);
    await expect(table()).resolves.toBeDefined();
  });

  it('refuses requests once 62.5 s of query time were used in a minute', async () => {
    await executor.close();
    await install({ queryCostMs: () => 10_000 });
    const one = () => sql.prepare('SELECT 1 AS one').execute();
    for (let i = 0; i < 7; i++) await one();
    const err = await sqlFailure(one());
    expect(err.message).toMatch(/Query execution time per minute/);
    clock.advance(60_000);
    await expect(one()).resolves.toEqual({ rows: [{ one: 1 }] });
  });

  it('times a statement out on the server with QUERY_TIMED_OUT', async () => {
    await executor.close();
    await install({ limits: { selectTimeoutMs: 100, writeTimeoutMs: 100 } });
    await table();
    expect((await sqlFailure(sql.prepare('SELECT SLEEP(2) AS s').execute())).code).toBe(errorCodes.QUERY_TIMED_OUT);
    expect((await sqlFailure(sql.prepare('INSERT INTO item (id, n) SELECT ?, SLEEP(2)').bindParams('z').execute())).code).toBe(errorCodes.QUERY_TIMED_OUT);
  });

  it('caps the number of tables', async () => {
    await executor.close();
    await install({ limits: { tables: 1 } });
    await table();
    expect((await sqlFailure(sql.executeDDL('CREATE TABLE other (id INT PRIMARY KEY)'))).message).toMatch(/at most 1 tables/);
  });

  it('applies a statement whose response is lost, and reports the failure to the caller', async () => {
    await table();
    fetch.setFaults(({ path }) => (path === SQL_PATHS.execute ? { loseResponse: true } : undefined));
    await sqlFailure(sql.prepare('INSERT INTO item (id, n) VALUES (?, 1)').bindParams('lost').execute());
    fetch.setFaults(undefined);
    expect((await sql.prepare('SELECT id FROM item').execute()).rows).toEqual([{ id: 'lost' }]);
    expect(fetch.stats().faults.lostResponses).toBe(1);
  });

  it('answers unknown paths and methods like a service, not a crash', async () => {
    expect((await fetch({ type: 'sql' }, '/api/v1/other', { method: 'POST', body: '{}' })).status).toBe(404);
    expect((await fetch({ type: 'sql' }, SQL_PATHS.execute, { method: 'GET' })).status).toBe(405);
    const res = await fetch({ type: 'sql' }, SQL_PATHS.execute, { method: 'POST', body: '{"query": 1}' });
    expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([400, 'BAD_REQUEST']);
  });

  it('routes @forge/kvs and @forge/sql through one __forge_fetch__', async () => {
    g.__forge_fetch__ = routeForgeFetch({ sql: fetch, kvs: createKvsFetch({ clock }) });
    await kvs.set('k', 1);
    await expect(sql.prepare('SELECT 2 AS two').execute()).resolves.toEqual({ rows: [{ two: 2 }] });
    expect(await kvs.get('k')).toBe(1);
    g.__forge_fetch__ = routeForgeFetch({ kvs: createKvsFetch({ clock }) });
    expect((await sqlFailure(sql.prepare('SELECT 1').execute())).code).toBe(errorCodes.APP_NOT_ENABLED);
  });
});
