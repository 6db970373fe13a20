/** The write summary Forge SQL answers for INSERT, UPDATE, DELETE and DDL (`UpdateQueryResponse` in `@forge/sql`). */
export interface SqlWriteSummary {
  affectedRows: number;
  fieldCount: number;
  info: string;
  insertId: number;
  serverStatus: number;
  warningStatus: number;
}

/**
 * What one statement produced: rows for a read, a summary for a write; `ms`, the time the server
 * spent on it (not waiting for a connection), which Forge SQL's per-minute query time counts.
 */
export type SqlOutcome = ({ rows: Record<string, unknown>[] } | { summary: SqlWriteSummary }) & { ms?: number };

/**
 * Runs single statements against one installation's database. The emulator's Forge SQL service
 * sits on one of these; `createMysqlExecutor` (from `@bgstore/emulator/node`) is the real one.
 * Errors the database raises are thrown as they come (`errno`, `code`, `sqlState`, `sqlMessage`).
 */
export interface SqlExecutor {
  run(query: string, params: readonly unknown[], options: { timeoutMs: number }): Promise<SqlOutcome>;
  /** Tables in the installation's database. */
  tableCount(): Promise<number>;
  close(): Promise<void>;
}
