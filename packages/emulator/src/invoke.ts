import type { Clock } from './clock';
import { createQuotaMeter, type QuotaMeter } from './quota';
import type { Random } from './random';

/**
 * A resolver function as `@forge/resolver`'s `getDefinitions()` builds it:
 * `(event, runtime) => result`.
 */
export type ResolverHandler = (event: ResolverEvent, runtime: ResolverRuntime) => unknown;

/** The first argument Forge passes to a resolver function. */
export interface ResolverEvent {
  call: { functionKey: string; payload?: unknown };
  context: Record<string, unknown>;
}

/** The second argument Forge passes to a resolver function (the backend runtime payload). */
export interface ResolverRuntime {
  installContext: string;
  principal?: { accountId: string };
  license?: Record<string, unknown>;
  installation?: Record<string, unknown>;
}

/** Invocation limits, Forge's by default (see the emulator README's fidelity table). */
export interface InvokeLimits {
  /** Request payload, JSON bytes. @default 500_000 */
  requestBytes: number;
  /** Response, JSON bytes. @default 5_000_000 */
  responseBytes: number;
  /** @default 25_000 */
  timeoutMs: number;
  /** Calls per window from one page; the bridge itself also limits each module. @default 500 */
  pageCalls: number;
  /** @default 25_000 */
  pageWindowMs: number;
}

/** Forge's documented invocation limits. */
export const FORGE_INVOKE_LIMITS: InvokeLimits = {
  requestBytes: 500_000,
  responseBytes: 5_000_000,
  timeoutMs: 25_000,
  pageCalls: 500,
  pageWindowMs: 25_000,
};

/** Codes of {@link InvokeError}; the emulator's own, since Forge's exact rejection shape is undocumented. */
export type InvokeErrorCode =
  | 'FUNCTION_ERROR'
  | 'NO_RESOLVER'
  | 'PAYLOAD_TOO_LARGE'
  | 'RESPONSE_TOO_LARGE'
  | 'TIMEOUT'
  | 'RATE_LIMITED'
  | 'RATE_LIMIT_EXCEEDED'
  | 'INJECTED_FAILURE';

/**
 * Why an `invoke` was rejected by the emulated platform. `RATE_LIMITED` is the bridge's own page
 * limiter; `RATE_LIMIT_EXCEEDED` (status 429) an installation or per-user invocation quota, with the
 * emulator-clock time its window resets.
 */
export class InvokeError extends Error {
  readonly code: InvokeErrorCode;
  readonly status?: number;
  readonly resetsAt?: number;
  constructor(code: InvokeErrorCode, message: string, options?: { cause?: unknown; status?: number; resetsAt?: number }) {
    super(message, options);
    this.name = 'InvokeError';
    this.code = code;
    if (options?.status !== undefined) this.status = options.status;
    if (options?.resetsAt !== undefined) this.resetsAt = options.resetsAt;
  }
}

/** A fault decided per call: fail it, slow it, or lose its response after the function ran. */
export type InvokeFault =
  | { fail: string }
  | { delayMs: number }
  | { loseResponse: true };

/** Decides a fault for each invocation; return `undefined` for none. */
export type InvokeFaults = (call: { functionKey: string; moduleKey: string }) => InvokeFault | undefined;

/**
 * Seeded invoke faults: `failRate` of calls fail before running, `loseRate` run but their
 * response is lost (the caller sees a failure), and every call waits `latencyMs`.
 */
export function createInvokeFaults(random: Random, o: { failRate?: number; loseRate?: number; latencyMs?: number | readonly [number, number] }): InvokeFaults {
  return () => {
    if (random.chance(o.failRate ?? 0)) return { fail: 'injected failure' };
    if (random.chance(o.loseRate ?? 0)) return { loseResponse: true };
    const l = o.latencyMs ?? 0;
    const ms = typeof l === 'number' ? l : random.int(l[0], l[1]);
    return ms > 0 ? { delayMs: ms } : undefined;
  };
}

/** One call as a module makes it. */
export interface InvokeCall {
  functionKey: unknown;
  payload?: unknown;
  /** The `FullContext` of the calling module. */
  context: Record<string, unknown>;
  moduleKey: string;
  accountId?: string;
  handler?: ResolverHandler;
  runtime: Omit<ResolverRuntime, 'principal'>;
}

/** Counters of an invoker. */
export interface InvokeStats {
  calls: number;
  failed: number;
  requestBytes: number;
  responseBytes: number;
}

/** Runs `invoke` calls of one page against resolver handlers, under Forge's limits. */
export interface Invoker {
  invoke(call: InvokeCall): Promise<unknown>;
  setFaults(faults: InvokeFaults | undefined): void;
  stats(): InvokeStats;
}

const jsonBytes = (value: unknown) => (value === undefined ? 0 : new TextEncoder().encode(JSON.stringify(value)).length);

/**
 * Creates the invoke path of one page. Request and response cross as JSON copies, as they do
 * over the network.
 */
export function createInvoker(options: { clock: Clock; limits?: Partial<InvokeLimits>; faults?: InvokeFaults; quota?: QuotaMeter }): Invoker {
  const { clock } = options;
  const limits = { ...FORGE_INVOKE_LIMITS, ...options.limits };
  let faults = options.faults;
  const stats: InvokeStats = { calls: 0, failed: 0, requestBytes: 0, responseBytes: 0 };
  let windowStart = -Infinity;
  let windowCalls = 0;
  // The installation's invocation quotas (per second, per minute, per user); a page on its own gets its own meter.
  const quota = options.quota ?? createQuotaMeter({ clock });

  const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));

  async function run(call: InvokeCall): Promise<unknown> {
    const { functionKey } = call;
    if (typeof functionKey !== 'string') throw new InvokeError('FUNCTION_ERROR', 'functionKey must be a string!');
    if (!call.handler) {
      throw new InvokeError('NO_RESOLVER', `[emulator] module '${call.moduleKey}' has no resolver function, so invoke('${functionKey}') cannot run`);
    }
    const now = clock.now();
    if (now - windowStart >= limits.pageWindowMs) {
      windowStart = now;
      windowCalls = 0;
    }
    if (++windowCalls > limits.pageCalls) {
      throw new InvokeError('RATE_LIMITED', `Resolver calls are rate limited at ${limits.pageCalls}req/${limits.pageWindowMs / 1000}s`);
    }
    const admitted = quota.invocation(call.accountId);
    if (!admitted.ok) {
      const message = `There was an error invoking the function - 429 Too Many Requests: RATE_LIMIT_EXCEEDED (${admitted.quota}, ${admitted.limit}); retry after ${admitted.retryAfterMs} ms`;
      throw new InvokeError('RATE_LIMIT_EXCEEDED', message, { status: 429, resetsAt: admitted.resetsAt });
    }

    const size = jsonBytes(call.payload);
    stats.requestBytes += size;
    if (size > limits.requestBytes) {
      throw new InvokeError('PAYLOAD_TOO_LARGE', `There was an error invoking the function - request payload of ${size} bytes exceeds the ${limits.requestBytes} byte limit`);
    }
    const fault = faults?.({ functionKey, moduleKey: call.moduleKey });
    if (fault && 'fail' in fault) throw new InvokeError('INJECTED_FAILURE', `There was an error invoking the function - ${fault.fail}`);
    if (fault && 'delayMs' in fault) await sleep(fault.delayMs);

    const { event, runtime } = handlerArgs(call, functionKey);
    const deadline = startDeadline(clock, limits.timeoutMs);
    let result: unknown;
    try {
      result = await Promise.race([Promise.resolve().then(() => call.handler!(event, runtime)), deadline.expired]);
    } catch (error) {
      throw asInvokeError(error);
    } finally {
      deadline.cancel();
    }
    if (fault && 'loseResponse' in fault) {
      throw new InvokeError('INJECTED_FAILURE', 'There was an error invoking the function - the response was lost');
    }
    const out = jsonBytes(result);
    stats.responseBytes += out;
    if (out > limits.responseBytes) {
      throw new InvokeError('RESPONSE_TOO_LARGE', `There was an error invoking the function - response of ${out} bytes exceeds the ${limits.responseBytes} byte limit`);
    }
    return result === undefined ? undefined : JSON.parse(JSON.stringify(result));
  }

  return {
    async invoke(call) {
      stats.calls++;
      try {
        return await run(call);
      } catch (error) {
        stats.failed++;
        throw error;
      }
    },
    setFaults(next) {
      faults = next;
    },
    stats: () => ({ ...stats }),
  };
}

/** The resolver's two arguments: JSON copies of the call, as Forge's function runtime receives them. */
function handlerArgs(call: InvokeCall, functionKey: string): { event: ResolverEvent; runtime: ResolverRuntime } {
  const payload = call.payload === undefined ? undefined : JSON.parse(JSON.stringify(call.payload));
  const event = { call: { functionKey, payload }, context: JSON.parse(JSON.stringify(call.context)) };
  const runtime: ResolverRuntime = { ...call.runtime, ...(call.accountId ? { principal: { accountId: call.accountId } } : {}) };
  return { event, runtime };
}

/** A promise that rejects with TIMEOUT once `timeoutMs` pass on `clock`, unless cancelled first. */
function startDeadline(clock: Clock, timeoutMs: number): { expired: Promise<never>; cancel(): void } {
  let timer: { id: number } | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = clock.setTimeout(
      () => reject(new InvokeError('TIMEOUT', `There was an error invoking the function - the function timed out after ${timeoutMs / 1000} seconds`)),
      timeoutMs,
    );
  });
  return {
    expired,
    cancel() {
      if (timer) clock.clearTimeout(timer);
    },
  };
}

/** What a resolver's own error becomes: the platform's errors pass as they are, any other is FUNCTION_ERROR. */
function asInvokeError(error: unknown): InvokeError {
  if (error instanceof InvokeError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new InvokeError('FUNCTION_ERROR', `There was an error invoking the function - ${message}`, { cause: error });
}
