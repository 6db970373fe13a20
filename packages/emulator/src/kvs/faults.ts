import { createRandom } from '../random';

/**
 * A fault for one KVS call:
 * - `{status, code}`: the call fails before touching storage;
 * - `{delayMs}`: the answer comes `delayMs` later on the emulator's clock;
 * - `{loseResponse: true}`: the call IS applied, then the caller gets an error (default 500
 *   `INTERNAL_SERVER_ERROR`) — like a timeout after the write landed.
 * `delayMs` may accompany the other two.
 */
export type KvsFault =
  | { status: number; code: string; message?: string; delayMs?: number }
  | { delayMs: number }
  | { loseResponse: true; status?: number; code?: string; message?: string; delayMs?: number };

/** Decides a fault per call from its path and parsed body; `undefined` for none. */
export type KvsFaults = (call: { path: string; body: unknown }) => KvsFault | undefined;

/** Options of {@link createKvsFaults}; rates are probabilities per call. */
export interface KvsFaultOptions {
  seed: number;
  /** Calls failing with 500 `INTERNAL_SERVER_ERROR`. @default 0 */
  failRate?: number;
  /** Calls failing with 429 `RATE_LIMIT_EXCEEDED`. @default 0 */
  rateLimitRate?: number;
  /** Calls applied whose answer is lost (500). @default 0 */
  lostResponseRate?: number;
  /** Latency of every call in ms, fixed or drawn from `[min, max]`. @default 0 */
  latencyMs?: number | readonly [number, number];
  /** Only calls whose path passes this are faulted (e.g. writes only). @default every call */
  paths?: (path: string) => boolean;
}

/**
 * Seeded KVS faults: the same seed and the same sequence of calls give the same faults.
 * Each call draws the same amount of randomness whatever happens to it, so changing one rate
 * does not reshuffle the rest of the schedule.
 * @example
 * createKvsFetch({ clock, faults: createKvsFaults({ seed: 7, rateLimitRate: 0.1, latencyMs: [5, 50] }) });
 */
export function createKvsFaults(o: KvsFaultOptions): KvsFaults {
  const random = createRandom(o.seed);
  return ({ path }) => {
    if (o.paths && !o.paths(path)) return undefined;
    const fail = random.next() < (o.failRate ?? 0);
    const limited = random.next() < (o.rateLimitRate ?? 0);
    const lost = random.next() < (o.lostResponseRate ?? 0);
    const l = o.latencyMs ?? 0;
    const draw = random.next();
    const delayMs = typeof l === 'number' ? l : l[0] + Math.floor(draw * (l[1] - l[0] + 1));
    const delay = delayMs > 0 ? { delayMs } : {};
    if (fail) return { status: 500, code: 'INTERNAL_SERVER_ERROR', message: 'An internal server error has occurred', ...delay };
    if (limited) return { status: 429, code: 'RATE_LIMIT_EXCEEDED', message: 'Rate limit exceeded', ...delay };
    if (lost) return { loseResponse: true, ...delay };
    return delayMs > 0 ? { delayMs } : undefined;
  };
}
