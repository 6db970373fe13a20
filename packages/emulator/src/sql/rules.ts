import { invalidQuery } from './errors';
import type { StatementInfo } from './statement';

/**
 * MariaDB syntax TiDB does not accept. The emulator runs on MariaDB, so without this an app could
 * pass its tests here and fail on Forge.
 */
const MARIADB_ONLY = ['RETURNING'];

/**
 * Forge SQL's rules on one request, before it reaches the database: one statement; DDL only
 * through `executeDDL`; no foreign keys; nothing that needs a session (transactions, `SET`,
 * `USE`, locks), since every request may land on another connection.
 * @throws SqlServiceError 400 `INVALID_SQL_QUERY`
 */
export function checkStatement(info: StatementInfo, endpoint: 'dml' | 'ddl'): void {
  if (info.statements === 0) throw invalidQuery('The query is empty');
  if (info.statements > 1) throw invalidQuery('Each request can only contain a single query');
  if (info.kind === 'other') throw invalidQuery(`${info.verb} is not supported: each request is one statement, and requests share no session`);
  if (info.kind === 'ddl' && endpoint !== 'ddl') throw invalidQuery(`${info.verb} is a DDL statement: run it with sql.executeDDL`);
  if (info.kind === 'ddl' && (info.words.has('FOREIGN') || info.words.has('REFERENCES'))) throw invalidQuery('Foreign keys are not supported');
  const foreign = MARIADB_ONLY.find((w) => info.words.has(w));
  if (foreign) throw invalidQuery(`${foreign} is MariaDB syntax that Forge SQL (TiDB) does not accept`);
}
