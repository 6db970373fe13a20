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

/** MySQL's (and TiDB's) error for a duplicate key. */
export const isDuplicateKey = (error: unknown) => (error as { context?: { debug?: { errno?: unknown; code?: unknown } } } | null)?.context?.debug?.errno === 1062;

/** MySQL's (and TiDB's) error for a table that does not exist. */
export const isMissingTable = (error: unknown) => (error as { context?: { debug?: { errno?: unknown } } } | null)?.context?.debug?.errno === 1146;

/** `?, ?, ?` for `n` parameters. */
export const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');
