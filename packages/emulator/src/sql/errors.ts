/** The `debug` detail Forge SQL adds to `SQL_EXECUTION_ERROR`: the database's own error. */
export interface SqlDebug {
  code?: string;
  errno?: number;
  sqlState?: string;
  sqlMessage?: string;
}

/**
 * An error the emulated Forge SQL service answers with: an HTTP status and a body
 * `{code, message, suggestion?, debug?}`, which the real `@forge/sql` turns into
 * `ForgeSQLAPIError` (extra fields such as `debug` land in its `context`).
 */
export class SqlServiceError extends Error {
  readonly status: number;
  readonly code: string;
  readonly debug: SqlDebug | undefined;
  constructor(status: number, code: string, message: string, debug?: SqlDebug) {
    super(message);
    this.name = 'SqlServiceError';
    this.status = status;
    this.code = code;
    this.debug = debug;
  }
}

/** A rejection of the query itself: 400 `INVALID_SQL_QUERY`. */
export function invalidQuery(message: string): SqlServiceError {
  return new SqlServiceError(400, 'INVALID_SQL_QUERY', message);
}

/** Server error numbers that mean the statement ran out of time (MariaDB 1969, MySQL/TiDB 3024). */
const TIMEOUT_ERRNOS = new Set([1969, 3024]);

/** Turns an error the SQL server raised into the answer Forge SQL gives for it. */
export function fromServerError(e: unknown): SqlServiceError {
  const err = (e ?? {}) as { errno?: unknown; code?: unknown; sqlState?: unknown; sqlMessage?: unknown; message?: unknown; fatal?: unknown };
  const errno = typeof err.errno === 'number' ? err.errno : undefined;
  const sqlMessage = typeof err.sqlMessage === 'string' ? err.sqlMessage : undefined;
  if (errno !== undefined && TIMEOUT_ERRNOS.has(errno)) {
    return new SqlServiceError(504, 'QUERY_TIMED_OUT', 'The provided query took longer than the timeout to execute');
  }
  if (errno === undefined || sqlMessage === undefined) {
    // Not an answer from the database (connection lost, server down): Forge's outage shape.
    return new SqlServiceError(500, 'UNKNOWN_ERROR', `An internal server error has occurred: ${String(err.message ?? e)}`);
  }
  const debug: SqlDebug = { errno, sqlMessage, ...(typeof err.code === 'string' ? { code: err.code } : {}), ...(typeof err.sqlState === 'string' ? { sqlState: err.sqlState } : {}) };
  return new SqlServiceError(400, 'SQL_EXECUTION_ERROR', sqlMessage, debug);
}
