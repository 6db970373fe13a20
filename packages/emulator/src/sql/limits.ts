import type { Clock } from '../clock';
import type { StatementKind } from './statement';

/** Forge SQL's published limits (developer.atlassian.com/platform/forge/limits-sql), per installation. */
export interface SqlLimits {
  /** Request body, UTF-8 bytes. */
  requestBytes: number;
  /** Response body, UTF-8 bytes. */
  responseBytes: number;
  /** Requests to `/api/v1/execute` in any rolling second. */
  dmlPerSecond: number;
  /** Requests to `/api/v1/execute/ddl` in any rolling minute. */
  ddlPerMinute: number;
  /** Query time of all requests in any rolling minute, ms. */
  queryMsPerMinute: number;
  /** Server-side timeout of a SELECT, ms (enforced by the server, on its own clock). */
  selectTimeoutMs: number;
  /** Server-side timeout of INSERT, UPDATE, DELETE and DDL, ms. */
  writeTimeoutMs: number;
  /** Tables in the installation's database. */
  tables: number;
  /**
   * Whether reads (SELECT …) count as DML requests. They do: Forge SQL's REST reference names SELECT
   * among the DML statements of its `execute` endpoint, where `@forge/sql` sends every query but
   * DDL. Off only to ask what would happen if they did not.
   */
  readsAreDml: boolean;
}

/** The limits as Forge publishes them. */
export const FORGE_SQL_LIMITS: SqlLimits = Object.freeze({
  requestBytes: 1024 * 1024,
  responseBytes: 4 * 1024 * 1024,
  dmlPerSecond: 150,
  ddlPerMinute: 25,
  queryMsPerMinute: 62_500,
  selectTimeoutMs: 5_000,
  writeTimeoutMs: 10_000,
  tables: 200,
  readsAreDml: true,
});

/** Which quota a request ran into, when it did. */
export type SqlQuotaBreach = 'dmlPerSecond' | 'ddlPerMinute' | 'queryMsPerMinute';

/** Rolling windows of the rate quotas, on the emulator's clock. */
export interface SqlQuota {
  /** Counts the request against its quota, or names the quota it would break (then it is not counted). */
  admit(endpoint: 'dml' | 'ddl', kind: StatementKind): SqlQuotaBreach | undefined;
  /** Adds a finished request's query time. */
  charge(ms: number): void;
  /** Peaks seen so far: most requests in one rolling second/minute and most query ms in one minute. */
  peaks(): { dmlPerSecond: number; ddlPerMinute: number; queryMsPerMinute: number };
  /** Starts the peaks afresh (the windows themselves are kept: quotas do not reset). */
  resetPeaks(): void;
}

/** Drops entries older than `windowMs` from the front of a time-ordered list. */
function prune<T extends { at: number }>(list: T[], now: number, windowMs: number): void {
  while (list.length > 0 && (list[0] as T).at <= now - windowMs) list.shift();
}

/** Creates the rate quotas of one installation. */
export function createSqlQuota(clock: Clock, limits: SqlLimits): SqlQuota {
  const dml: { at: number }[] = [];
  const ddl: { at: number }[] = [];
  const spent: { at: number; ms: number }[] = [];
  let spentSum = 0;
  const peak = { dmlPerSecond: 0, ddlPerMinute: 0, queryMsPerMinute: 0 };
  const pruneSpent = (now: number) => {
    while (spent.length > 0 && (spent[0] as { at: number }).at <= now - 60_000) spentSum -= (spent.shift() as { ms: number }).ms;
  };
  return {
    admit(endpoint, kind) {
      const now = clock.now();
      pruneSpent(now);
      if (spentSum >= limits.queryMsPerMinute) return 'queryMsPerMinute';
      if (endpoint === 'dml' && kind === 'select' && !limits.readsAreDml) return undefined;
      const [list, windowMs, max, name] = endpoint === 'dml' ? [dml, 1_000, limits.dmlPerSecond, 'dmlPerSecond' as const] : [ddl, 60_000, limits.ddlPerMinute, 'ddlPerMinute' as const];
      prune(list, now, windowMs);
      if (list.length >= max) return name;
      list.push({ at: now });
      peak[name] = Math.max(peak[name], list.length);
      return undefined;
    },
    charge(ms) {
      const now = clock.now();
      pruneSpent(now);
      spent.push({ at: now, ms });
      spentSum += ms;
      peak.queryMsPerMinute = Math.max(peak.queryMsPerMinute, spentSum);
    },
    peaks: () => ({ ...peak }),
    resetPeaks() {
      peak.dmlPerSecond = 0;
      peak.ddlPerMinute = 0;
      peak.queryMsPerMinute = 0;
    },
  };
}

/** The server-side timeout that applies to a statement of this kind. */
export function timeoutFor(kind: StatementKind, limits: SqlLimits): number {
  return kind === 'select' ? limits.selectTimeoutMs : limits.writeTimeoutMs;
}
