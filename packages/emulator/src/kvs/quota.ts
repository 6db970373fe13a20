import type { QuotaMeter } from '../quota';
import type { ForgeFetch } from '../site';

/** KVS paths that write; every other path reads (get, query, batch get, entity get and query). */
const WRITES = new Set([
  '/api/v1/set',
  '/api/v1/delete',
  '/api/v1/secret/set',
  '/api/v1/secret/delete',
  '/api/v1/entity/set',
  '/api/v1/entity/delete',
  '/api/v1/batch/set',
  '/api/v1/batch/delete',
  '/api/v1/transaction',
]);

const utf8 = (text: string) => new TextEncoder().encode(text).length;

/**
 * Puts a storage `__forge_fetch__` behind an installation's quota meter. How a request is sized
 * (Forge bills "the size of the request" without saying which body): a **write** is its request
 * body's UTF-8 bytes (keys, values, conditions: what is sent to be stored), a **read** its answer
 * body's bytes (what is read back); both rounded up to whole 10 KB units, at least 1. A transaction
 * or a batch is one request. Answers that are errors (a missing key, a failed condition) are billed
 * like the rest; refused requests (429) are not. Past a quota the answer is Forge's 429
 * `RATE_LIMIT_EXCEEDED`, which the real `@forge/kvs` raises as a `ForgeKvsAPIError` with that code.
 */
export function meterForgeFetch(inner: ForgeFetch, meter: QuotaMeter): ForgeFetch {
  return async (context, path, init) => {
    // Forge SQL (`routeForgeFetch`) has quotas of its own, which its service enforces.
    if ((context as { type?: unknown } | null)?.type === 'sql') return inner(context, path, init);
    const body = typeof init?.body === 'string' ? init.body : '';
    const write = WRITES.has(path);
    const decision = write ? meter.kvsWrite(utf8(body)) : meter.kvsRead();
    if (!decision.ok) {
      const message = `Rate limit exceeded: the installation's ${decision.quota} quota of ${decision.limit} is spent until ${decision.resetsAt}`;
      const retryAfter = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
      return new Response(JSON.stringify({ code: 'RATE_LIMIT_EXCEEDED', message }), {
        status: 429,
        statusText: 'Too Many Requests',
        headers: { 'content-type': 'application/json', 'x-trace-id': 'emulated-throttled', 'retry-after': retryAfter },
      });
    }
    const response = await inner(context, path, init);
    if (!write) meter.chargeRead(utf8(await response.clone().text()));
    return response;
  };
}
