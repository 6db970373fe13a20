import type { SqlExecutor, SqlOutcome, SqlWriteSummary } from './executor';

/** Options of {@link createMysqlExecutor}. */
export interface MysqlExecutorOptions {
  /** Unix socket of the server (e.g. `startMariaDb().socketPath`). */
  socketPath: string;
  /** The installation's database; created when absent. @default a fresh `forge_<n>` name */
  database?: string;
  /** @default 'root' */
  user?: string;
  /** Connections in the pool: concurrent requests really run concurrently, as on Forge. @default 8 */
  connections?: number;
}

/** TiDB's default SQL mode (MySQL 8's), so MariaDB rejects what TiDB rejects (e.g. zero dates, loose GROUP BY). */
const TIDB_SQL_MODE = 'ONLY_FULL_GROUP_BY,STRICT_TRANS_TABLES,NO_ZERO_IN_DATE,NO_ZERO_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION';

let databaseSeq = 0;

type Mysql = typeof import('mysql2/promise');
type PoolConnection = import('mysql2/promise').PoolConnection;

// The CommonJS module object this file runs in, if any (read through `typeof`, so the ES module
// build sees `undefined`).
declare const module: { require?: (id: string) => unknown } | undefined;

/**
 * Loads mysql2 only when SQL is used, so apps without SQL never need it installed: with the
 * CommonJS `require` where there is one (a native `import()` fails in Jest's sandbox without
 * --experimental-vm-modules, as the built package keeps it), else a native import.
 */
async function loadMysql(): Promise<Mysql> {
  try {
    if (typeof module !== 'undefined' && typeof module.require === 'function') return module.require('mysql2/promise') as Mysql;
    return await import('mysql2/promise');
  } catch (e) {
    throw new Error(`[emulator] Forge SQL needs the optional peer dependency mysql2 (npm install -D mysql2): ${String(e)}`, { cause: e });
  }
}

/**
 * A {@link SqlExecutor} on a MySQL-compatible server through mysql2: a pool of connections to one
 * database in utf8mb4 with a binary collation (TiDB's default; MariaDB's own is case-insensitive).
 */
export async function createMysqlExecutor(options: MysqlExecutorOptions): Promise<SqlExecutor> {
  const mysql = await loadMysql();
  const database = options.database ?? `forge_${process.pid}_${++databaseSeq}`;
  if (!/^[A-Za-z0-9_]{1,64}$/.test(database)) throw new Error(`[emulator] database name must be [A-Za-z0-9_]{1,64}: ${database}`);
  const base = { socketPath: options.socketPath, user: options.user ?? 'root', charset: 'utf8mb4', supportBigNumbers: true, timezone: 'Z' as const };
  const admin = await mysql.createConnection(base);
  try {
    await admin.query(`CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin`);
  } finally {
    await admin.end();
  }
  const pool = mysql.createPool({ ...base, database, connectionLimit: options.connections ?? 8, multipleStatements: false });
  pool.on('connection', (conn) => {
    conn.query(`SET SESSION sql_mode = '${TIDB_SQL_MODE}'`);
  });
  // The per-statement timeout is a session variable; remember each connection's to set it only on change.
  const timeouts = new WeakMap<PoolConnection, number>();
  let closing: Promise<void> | undefined;

  const withTimeout = async (conn: PoolConnection, timeoutMs: number) => {
    if (timeouts.get(conn) === timeoutMs) return;
    await conn.query('SET SESSION max_statement_time = ?', [timeoutMs / 1000]);
    timeouts.set(conn, timeoutMs);
  };

  return {
    async run(query, params, { timeoutMs }): Promise<SqlOutcome> {
      const conn = await pool.getConnection();
      try {
        await withTimeout(conn, timeoutMs);
        // The server's own time (host timer: this is what a real server spends, not emulated time).
        const started = performance.now();
        const [result] = await conn.query({ sql: query, values: params as unknown[] });
        const ms = performance.now() - started;
        if (Array.isArray(result)) return { rows: result as Record<string, unknown>[], ms };
        const h = result as unknown as SqlWriteSummary;
        return { summary: { affectedRows: h.affectedRows, fieldCount: h.fieldCount, info: h.info, insertId: h.insertId, serverStatus: h.serverStatus, warningStatus: h.warningStatus }, ms };
      } finally {
        conn.release();
      }
    },
    async tableCount() {
      const [rows] = await pool.query('SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = DATABASE()');
      return Number((rows as { n: number }[])[0]?.n ?? 0);
    },
    async close() {
      // Safe to call twice: tests close an installation early and again after each test.
      closing ??= pool.end();
      await closing;
    },
  };
}
