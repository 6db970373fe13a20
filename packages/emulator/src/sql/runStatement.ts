import { fromServerError } from './errors';
import type { SqlExecutor, SqlOutcome } from './executor';
import { timeoutFor, type SqlLimits } from './limits';
import type { StatementInfo } from './statement';

/**
 * Runs one admitted statement on the database with its kind's timeout and reports the time it
 * took (the server's own, when the executor measured it; else `elapsed()`), failed or not. Answers
 * Forge SQL's body: `{rows}` — rows for a read, the write summary otherwise.
 * @throws SqlServiceError the answer to a database error
 */
export async function runStatement(executor: SqlExecutor, query: string, params: readonly unknown[], info: StatementInfo, limits: SqlLimits, took: (ms: number | undefined) => void): Promise<{ rows: unknown }> {
  let outcome: SqlOutcome | undefined;
  try {
    outcome = await executor.run(query, params, { timeoutMs: timeoutFor(info.kind, limits) });
  } catch (e) {
    throw fromServerError(e);
  } finally {
    took(outcome?.ms);
  }
  return 'rows' in outcome ? { rows: outcome.rows } : { rows: outcome.summary };
}
