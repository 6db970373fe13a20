import { createRealClock, type Clock } from '../clock';
import { BULK_ROUTES } from './bulk';
import { buildEntities, type EntityDeclaration } from './entities';
import { KvsServiceError } from './errors';
import type { KvsFault, KvsFaults } from './faults';
import { SINGLE_ROUTES, type HandlerContext, type HandlerResult } from './handlers';
import { createMemoryKvsBackend, type KvsBackend, type KvsNamespace } from './store';
import { byteLength, FORGE_KVS_LIMITS, isExpired, isoTime, type KvsLimits } from './validate';

/** Options of {@link createKvsFetch}. */
export interface KvsFetchOptions {
  /** @default createMemoryKvsBackend() */
  backend?: KvsBackend;
  /** Drives createdAt/updatedAt, TTL expiry and fault latency. @default the real clock */
  clock?: Clock;
  /** Injected failures and latency, e.g. `createKvsFaults({seed})`. */
  faults?: KvsFaults;
  /** Custom entities in the manifest's `app.storage.entities` shape; others are rejected. */
  entities?: readonly EntityDeclaration[];
  /** Overrides of Forge's limits. */
  limits?: Partial<KvsLimits>;
}

/** The request init `@forge/kvs` passes: always POST with a JSON body. */
export interface KvsFetchInit {
  method?: string;
  headers?: Record<string, string>;
  body?: string;
}

/** Counters of one path. */
export interface KvsPathStats {
  calls: number;
  /** Answers that were not 2xx (including injected faults). */
  errors: number;
  requestBytes: number;
}

/** What the KVS served; `writes` counts write requests (a transaction is one, as Forge bills it). */
export interface KvsStats {
  calls: number;
  errors: number;
  reads: number;
  writes: number;
  /** Records put or deleted. */
  keysWritten: number;
  /** JSON bytes of the values written. */
  bytesWritten: number;
  /** Billing units: per write request, its value bytes rounded up to 10 KB (at least 1). */
  writeUnits: number;
  /** Injected faults by kind. */
  faults: { failed: number; lostResponses: number; delayed: number };
  byPath: Record<string, KvsPathStats>;
}

/** One stored record as {@link KvsFetch.inspect} shows it. */
export interface KvsInspectEntry {
  namespace: KvsNamespace;
  key: string;
  value: unknown;
  createdAt: number;
  updatedAt: number;
  /** ISO time, when the record has a TTL. */
  expireTime?: string;
  expired: boolean;
}

/** `global.__forge_fetch__` for `@forge/kvs`, plus views for tests and tools. */
export interface KvsFetch {
  (context: unknown, path: string, init?: KvsFetchInit): Promise<Response>;
  readonly backend: KvsBackend;
  /** Replaces the injected faults (`undefined` for none), e.g. from a test or the playground. */
  setFaults(faults: KvsFaults | undefined): void;
  stats(): KvsStats;
  resetStats(): void;
  /** Every stored record (expired ones included, flagged), optionally of one namespace. */
  inspect(namespace?: KvsNamespace): KvsInspectEntry[];
  /** Live values by namespace and key: `{ kv: { a: 1 }, 'entity:task': { … } }`. */
  dump(): Record<KvsNamespace, Record<string, unknown>>;
}

const ROUTES = { ...SINGLE_ROUTES, ...BULK_ROUTES };

const STATUS_TEXT: Record<number, string> = {
  200: 'OK',
  204: 'No Content',
  400: 'Bad Request',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

function emptyStats(): KvsStats {
  return { calls: 0, errors: 0, reads: 0, writes: 0, keysWritten: 0, bytesWritten: 0, writeUnits: 0, faults: { failed: 0, lostResponses: 0, delayed: 0 }, byPath: {} };
}

/**
 * Creates the emulated Forge KVS service as a `__forge_fetch__` function, so the real,
 * unmodified `@forge/kvs` runs against it.
 * @example
 * const fetch = createKvsFetch({ clock: createManualClock(), entities: manifest.app.storage.entities });
 * globalThis.__forge_fetch__ = fetch;
 * await kvs.set('a', 1);
 * fetch.dump(); // { kv: { a: 1 } }
 */
export function createKvsFetch(options: KvsFetchOptions = {}): KvsFetch {
  const backend = options.backend ?? createMemoryKvsBackend();
  const clock = options.clock ?? createRealClock();
  const limits: KvsLimits = { ...FORGE_KVS_LIMITS, ...options.limits };
  const entities = buildEntities(options.entities);
  let stats = emptyStats();
  let faults = options.faults;
  let traceSeq = 0;

  const respond = (status: number, body: unknown, path: string): Response => {
    const pathStats = stats.byPath[path];
    if (status >= 300) {
      stats.errors++;
      if (pathStats) pathStats.errors++;
    }
    const headers = { 'content-type': 'application/json', 'x-trace-id': `emulated-${++traceSeq}` };
    return new Response(body === undefined || status === 204 ? null : JSON.stringify(body), { status, statusText: STATUS_TEXT[status] ?? '', headers });
  };

  const context = (bodyBytes: number): HandlerContext => ({
    backend,
    now: clock.now(),
    limits,
    entities,
    bodyBytes,
    commit(ops, valueBytes) {
      backend.apply(ops);
      stats.writes++;
      stats.keysWritten += ops.length;
      stats.bytesWritten += valueBytes;
      stats.writeUnits += Math.max(1, Math.ceil(valueBytes / 10_240));
    },
    read() {
      stats.reads++;
    },
  });

  const fetch = async (_context: unknown, path: string, init?: KvsFetchInit): Promise<Response> => {
    const text = typeof init?.body === 'string' ? init.body : '';
    countRequest(stats, path, byteLength(text));
    const body = parseBody(text);
    const fault: KvsFault | undefined = faults?.({ path, body });
    if (fault?.delayMs !== undefined && fault.delayMs > 0) {
      stats.faults.delayed++;
      await new Promise<void>((resolve) => clock.setTimeout(resolve, fault.delayMs ?? 0));
    }
    if (fault && 'code' in fault && !('loseResponse' in fault)) {
      stats.faults.failed++;
      return respond(fault.status, errorBody(fault.code, fault.message ?? 'Injected failure'), path);
    }

    const { status, body: out } = answer(path, init, text, body, context);
    if (fault && 'loseResponse' in fault) {
      stats.faults.lostResponses++;
      return respond(fault.status ?? 500, errorBody(fault.code ?? 'INTERNAL_SERVER_ERROR', fault.message ?? 'An internal server error has occurred'), path);
    }
    return respond(status, out, path);
  };

  const inspect = (namespace?: KvsNamespace): KvsInspectEntry[] => inspectBackend(backend, clock.now(), namespace);

  return Object.assign(fetch, {
    backend,
    setFaults(next: KvsFaults | undefined) {
      faults = next;
    },
    stats: () => structuredClone(stats),
    resetStats() {
      stats = emptyStats();
    },
    inspect,
    dump: () => liveValues(inspect()),
  });
}

function countRequest(stats: KvsStats, path: string, bytes: number): void {
  stats.calls++;
  const pathStats = (stats.byPath[path] ??= { calls: 0, errors: 0, requestBytes: 0 });
  pathStats.calls++;
  pathStats.requestBytes += bytes;
}

function errorBody(code: string, message: string) {
  return { code, message };
}

function parseBody(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The service's own answer to a request, before any injected fault: a route's result, or the error Forge would give. */
function answer(path: string, init: KvsFetchInit | undefined, text: string, body: unknown, context: (bodyBytes: number) => HandlerContext): HandlerResult {
  try {
    const route = ROUTES[path];
    if (!route) throw new KvsServiceError(404, 'NOT_FOUND', `No KVS endpoint at ${path}`);
    if ((init?.method ?? 'GET').toUpperCase() !== 'POST') throw new KvsServiceError(405, 'METHOD_NOT_ALLOWED', `${path} only accepts POST`);
    if (body === undefined) throw new KvsServiceError(400, 'BAD_REQUEST', 'Provided request body is invalid: not JSON');
    return route(body, context(byteLength(text)));
  } catch (e) {
    // A backend failure (disk full, a bug) reaches the app the way Forge's own outages do.
    const err = e instanceof KvsServiceError ? e : new KvsServiceError(500, 'INTERNAL_SERVER_ERROR', `An internal server error has occurred: ${String(e)}`);
    return { status: err.status, body: errorBody(err.code, err.message) };
  }
}

function inspectBackend(backend: KvsBackend, now: number, namespace?: KvsNamespace): KvsInspectEntry[] {
  return (namespace === undefined ? backend.namespaces() : [namespace]).flatMap((ns) =>
    backend.list(ns).map(({ key, record }) => ({
      namespace: ns,
      key,
      value: record.value,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      ...(record.expireTime !== undefined ? { expireTime: isoTime(record.expireTime) } : {}),
      expired: isExpired(record, now),
    })),
  );
}

function liveValues(entries: KvsInspectEntry[]): Record<KvsNamespace, Record<string, unknown>> {
  const out: Record<KvsNamespace, Record<string, unknown>> = {};
  for (const e of entries) if (!e.expired) (out[e.namespace] ??= {})[e.key] = e.value;
  return out;
}
