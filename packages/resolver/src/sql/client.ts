import { SyncError } from '@bgstore/protocol';
import { sql } from '@forge/sql';

/** One row of a SELECT, as `@forge/sql` answers it. */
export type Row = Record<string, unknown>;

/** Runs one statement through `@forge/sql` (Forge's runtime fetch), with bound parameters. */
export async function select(query: string, ...params: unknown[]): Promise<Row[]> {
  const result = await sql.prepare<Row>(query).bindParams(...params).execute();
  return Array.isArray(result.rows) ? result.rows : [];
}

/** Runs one INSERT, UPDATE or DELETE; answers the rows it affected. */
export async function write(query: string, ...params: unknown[]): Promise<number> {
  const result = await sql.prepare(query).bindParams(...params).execute();
  const rows = result.rows as unknown as { affectedRows?: unknown };
  return typeof rows?.affectedRows === 'number' ? rows.affectedRows : 0;
}

/**
 * Whether `error` is Forge SQL's 429: a quota of the installation is spent (150 DML requests a
 * second, 25 DDL a minute, 62.5 s of query time a minute). `@forge/sql` raises it as a
 * ForgeSQLAPIError with the response's status; like `@forge/kvs` it keeps no `Retry-After`.
 */
export function isSqlRateLimited(error: unknown): boolean {
  const e = error as { code?: unknown; responseDetails?: { status?: unknown } } | null;
  return e?.responseDetails?.status === 429 || e?.code === 'RATE_LIMIT_EXCEEDED';
}

/**
 * Runs storage calls, turning Forge SQL's 429 into `SyncError` `RATE_LIMITED`: retrying within the
 * invocation spends more of the same quota (the commit loop does not retry a SyncError); the page's
 * host holds its unsaved actions until the window reopens. No reset time is known (see above), so the
 * answer carries no `retryAfterMs` and the host uses its own backoff.
 * @throws SyncError `RATE_LIMITED` when Forge SQL refused a request for the installation's quota
 */
export async function withSqlRateLimit<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!isSqlRateLimited(error)) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new SyncError('RATE_LIMITED', `[bgstore] Forge SQL's quota for this installation is spent (429: ${detail}); nothing was stored, try again when the window reopens`, { cause: error });
  }
}

/** The database's error number of a failed statement (Forge SQL's `debug`, in the error's context). */
const errnoOf = (error: unknown) => (error as { context?: { debug?: { errno?: unknown } } } | null)?.context?.debug?.errno;

/** MySQL's (and TiDB's) error for a duplicate key. */
export const isDuplicateKey = (error: unknown) => errnoOf(error) === 1062;

/** MySQL's (and TiDB's) error for a statement rolled back to break a deadlock: it changed nothing. */
export const isDeadlock = (error: unknown) => errnoOf(error) === 1213;

/** MySQL's (and TiDB's) error for a table that does not exist. */
export const isMissingTable = (error: unknown) => errnoOf(error) === 1146;
/** MySQL's (and TiDB's) error for an unknown column: tables of an older release, a migration to run. */
export const isMissingColumn = (error: unknown) => errnoOf(error) === 1054;

/** `?, ?, ?` for `n` parameters. */
export const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
