import { createRealClock, type Clock } from '../clock';
import type { KvsFault, KvsFaults } from '../kvs/faults';
import { invalidQuery, SqlServiceError, type SqlDebug } from './errors';
import type { SqlExecutor } from './executor';
import { createSqlQuota, FORGE_SQL_LIMITS, type SqlLimits, type SqlQuotaBreach } from './limits';
import { byteLength } from '../kvs/validate';
import { runStatement } from './runStatement';
import { checkStatement } from './rules';
import { inspectStatement, type StatementInfo } from './statement';

/** The two paths `@forge/sql` posts to. */
export const SQL_PATHS = { execute: '/api/v1/execute', ddl: '/api/v1/execute/ddl' } as const;

/** A fault for one request (the KVS fault shape, by SQL path); a failure may carry the database's `debug`, e.g. `{errno: 1062}`. */
export type SqlFault = KvsFault & { debug?: SqlDebug };

/** Decides a fault per request from its path and parsed body (`{query, params, method}`); `undefined` for none. */
export type SqlFaults = (call: { path: string; body: unknown }) => SqlFault | undefined;

/** Options of {@link createSqlFetch}. */
export interface SqlFetchOptions {
  /** The database the statements run on, e.g. `await createMysqlExecutor({ socketPath })`. */
  executor: SqlExecutor;
  /** Rolling quota windows and fault latency. @default the real clock */
  clock?: Clock;
  /** Injected failures, lost responses and latency (`createKvsFaults({seed, …})` works too). */
  faults?: SqlFaults | KvsFaults;
  /** Overrides of Forge's limits. */
  limits?: Partial<SqlLimits>;
  /**
   * Query ms charged to the per-minute budget, from the statement and its time (the server's own
   * time as the executor measured it, else the elapsed time on `clock`). @default that time
   */
  queryCostMs?: (query: StatementInfo, elapsedMs: number) => number;
}

/** What the service served; `peaks` is the most of each quota used in one window. */
export interface SqlStats {
  calls: number;
  errors: number;
  byKind: Record<'select' | 'dml' | 'ddl', number>;
  requestBytes: number;
  responseBytes: number;
  /** The largest successful answer, bytes (Forge allows 4 MiB). */
  maxResponseBytes: number;
  /** Query ms charged in total. */
  queryMs: number;
  /** Requests refused by a quota, by quota. */
  throttled: Record<SqlQuotaBreach, number>;
  peaks: { dmlPerSecond: number; ddlPerMinute: number; queryMsPerMinute: number };
  faults: { failed: number; lostResponses: number; delayed: number };
}

/** `global.__forge_fetch__` for `@forge/sql` (context `type: 'sql'`), plus views for tests and tools. */
export interface SqlFetch {
  (context: unknown, path: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<Response>;
  readonly executor: SqlExecutor;
  readonly limits: SqlLimits;
  setFaults(faults: SqlFaults | KvsFaults | undefined): void;
  stats(): SqlStats;
  resetStats(): void;
}

const STATUS_TEXT: Record<number, string> = { 200: 'OK', 400: 'Bad Request', 404: 'Not Found', 405: 'Method Not Allowed', 413: 'Payload Too Large', 429: 'Too Many Requests', 500: 'Internal Server Error', 504: 'Gateway Timeout' };


function emptyStats(): Omit<SqlStats, 'peaks'> {
  return { calls: 0, errors: 0, byKind: { select: 0, dml: 0, ddl: 0 }, requestBytes: 0, responseBytes: 0, maxResponseBytes: 0, queryMs: 0, throttled: { dmlPerSecond: 0, ddlPerMinute: 0, queryMsPerMinute: 0 }, faults: { failed: 0, lostResponses: 0, delayed: 0 } };
}

/** The JSON value of `text`, or undefined when it is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Reads `{query, params, method}`; anything else is a 400. */
function parseBody(text: string): { query: string; params: unknown[] } {
  const body = parseJson(text);
  if (body === undefined) throw new SqlServiceError(400, 'BAD_REQUEST', 'Provided request body is invalid: not JSON');
  const b = body as { query?: unknown; params?: unknown } | null;
  if (typeof b !== 'object' || b === null || typeof b.query !== 'string') throw new SqlServiceError(400, 'BAD_REQUEST', 'Provided request body is invalid: `query` must be a string');
  if (b.params !== undefined && !Array.isArray(b.params)) throw new SqlServiceError(400, 'BAD_REQUEST', 'Provided request body is invalid: `params` must be an array');
  return { query: b.query, params: (b.params as unknown[] | undefined) ?? [] };
}

const QUOTA_MESSAGE: Record<SqlQuotaBreach, string> = {
  dmlPerSecond: 'DML requests per second exceeded for this installation',
  ddlPerMinute: 'DDL requests per minute exceeded for this installation',
  queryMsPerMinute: 'Query execution time per minute exceeded for this installation',
};

/**
 * Creates the emulated Forge SQL service as a `__forge_fetch__` function, so the real, unmodified
 * `@forge/sql` (and its `migrationRunner`) runs against a real database. It enforces Forge SQL's
 * published limits; see the folder's README for each rule and its source.
 * @example
 * const server = await startMariaDb();
 * const fetch = createSqlFetch({ executor: await createMysqlExecutor({ socketPath: server.socketPath }) });
 * globalThis.__forge_fetch__ = routeForgeFetch({ sql: fetch });
 * await sql.executeDDL('CREATE TABLE t (id INT PRIMARY KEY)');
 */
export function createSqlFetch(options: SqlFetchOptions): SqlFetch {
  const { executor } = options;
  const clock = options.clock ?? createRealClock();
  const limits: SqlLimits = { ...FORGE_SQL_LIMITS, ...options.limits };
  const quota = createSqlQuota(clock, limits);
  // One record the request functions below share; resetStats replaces `stats` in it, so a request
  // in flight across a reset counts into the new figures.
  const svc: SqlService = { executor, clock, limits, quota, queryCostMs: options.queryCostMs, stats: emptyStats() };
  let faults = options.faults;
  let traceSeq = 0;

  const respond = (status: number, body: unknown): Response => {
    const { stats } = svc;
    if (status >= 300) stats.errors++;
    const text = JSON.stringify(body);
    if (status < 300) {
      const bytes = byteLength(text);
      stats.responseBytes += bytes;
      stats.maxResponseBytes = Math.max(stats.maxResponseBytes, bytes);
    }
    return new Response(text, { status, statusText: STATUS_TEXT[status] ?? '', headers: { 'content-type': 'application/json', 'x-trace-id': `emulated-sql-${++traceSeq}` } });
  };

  const fetch = async (_context: unknown, path: string, init?: { method?: string; body?: string }): Promise<Response> => {
    const text = typeof init?.body === 'string' ? init.body : '';
    const { stats } = svc;
    stats.calls++;
    stats.requestBytes += byteLength(text);
    const fault: SqlFault | undefined = faults?.({ path, body: parseJson(text) });
    if (fault?.delayMs !== undefined && fault.delayMs > 0) {
      stats.faults.delayed++;
      await new Promise<void>((resolve) => clock.setTimeout(resolve, fault.delayMs ?? 0));
    }
    let status = 200;
    let out: unknown;
    try {
      out = sizeChecked(await serve(svc, path, (init?.method ?? 'GET').toUpperCase(), text, fault), limits);
    } catch (e) {
      ({ status, out } = failure(e));
    }
    if (fault && 'loseResponse' in fault) {
      svc.stats.faults.lostResponses++;
      return respond(fault.status ?? 500, { code: fault.code ?? 'UNKNOWN_ERROR', message: fault.message ?? 'An internal server error has occurred' });
    }
    return respond(status, out);
  };

  return Object.assign(fetch, {
    executor,
    limits,
    setFaults(next: SqlFaults | KvsFaults | undefined) {
      faults = next;
    },
    stats: (): SqlStats => ({ ...structuredClone(svc.stats), peaks: quota.peaks() }),
    resetStats() {
      svc.stats = emptyStats();
      quota.resetPeaks();
    },
  });
}

/** What the request functions share: the database, the quota and the live counters. */
interface SqlService {
  executor: SqlExecutor;
  clock: Clock;
  limits: SqlLimits;
  quota: ReturnType<typeof createSqlQuota>;
  queryCostMs?: SqlFetchOptions['queryCostMs'];
  stats: Omit<SqlStats, 'peaks'>;
}

/** A result within Forge's response size limit, as it is; a larger one is a 400. */
function sizeChecked(out: unknown, limits: SqlLimits): unknown {
  if (byteLength(JSON.stringify(out)) > limits.responseBytes) throw new SqlServiceError(400, 'RESPONSE_TOO_LARGE', `Response size exceeds the limit of ${limits.responseBytes} bytes`);
  return out;
}

/** The answer a refusal becomes; an error that is not the service's own is a 500. */
function failure(e: unknown): { status: number; out: unknown } {
  const err = e instanceof SqlServiceError ? e : new SqlServiceError(500, 'UNKNOWN_ERROR', `An internal server error has occurred: ${String(e)}`);
  return { status: err.status, out: errorBody(err) };
}

function errorBody(e: SqlServiceError) {
  return { code: e.code, message: e.message, ...(e.debug ? { debug: e.debug } : {}) };
}

/** Checks and runs one request; throws SqlServiceError for every refusal. */
async function serve(svc: SqlService, path: string, method: string, text: string, fault: SqlFault | undefined): Promise<unknown> {
  const { executor, clock, limits, quota } = svc;
  const endpoint = path === SQL_PATHS.ddl ? 'ddl' : path === SQL_PATHS.execute ? 'dml' : undefined;
  if (!endpoint) throw new SqlServiceError(404, 'NOT_FOUND', `No Forge SQL endpoint at ${path}`);
  if (method !== 'POST') throw new SqlServiceError(405, 'METHOD_NOT_ALLOWED', `${path} only accepts POST`);
  if (byteLength(text) > limits.requestBytes) throw new SqlServiceError(413, 'REQUEST_TOO_LARGE', `Request size exceeds the limit of ${limits.requestBytes} bytes`);
  const { query, params } = parseBody(text);
  const info = inspectStatement(query);
  checkStatement(info, endpoint);
  const breach = quota.admit(endpoint, info.kind);
  if (breach) {
    svc.stats.throttled[breach]++;
    throw new SqlServiceError(429, 'RATE_LIMIT_EXCEEDED', QUOTA_MESSAGE[breach]);
  }
  if (fault && 'code' in fault && !('loseResponse' in fault)) {
    svc.stats.faults.failed++;
    throw new SqlServiceError(fault.status, fault.code, fault.message ?? 'Injected failure', fault.debug);
  }
  if (info.verb === 'CREATE' && info.words.has('TABLE') && (await executor.tableCount()) >= limits.tables) {
    throw invalidQuery(`An installation may have at most ${limits.tables} tables`);
  }
  svc.stats.byKind[info.kind === 'select' ? 'select' : info.kind === 'ddl' ? 'ddl' : 'dml']++;
  const started = clock.now();
  return runStatement(executor, query, params, info, limits, (serverMs) => {
    const elapsed = serverMs ?? clock.now() - started;
    const ms = svc.queryCostMs ? svc.queryCostMs(info, elapsed) : elapsed;
    quota.charge(ms);
    svc.stats.queryMs += ms;
  });
}
