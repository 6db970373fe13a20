import { SyncError } from '@bgstore/protocol';

// Forge meters KVS per installation (requests a second, 10 KB read and write units a minute) and
// past a quota answers 429 `RATE_LIMIT_EXCEEDED`, which @forge/kvs raises as a ForgeKvsAPIError.
// Retrying within the invocation cannot help (a window lasts up to a minute, invoke 25 s) and
// would spend more of the budget: the commit stops and says `RATE_LIMITED`, and the page's host
// waits for the window. @forge/kvs keeps no `Retry-After`, so the answer carries no reset time.

/** Whether `error` is Forge's 429 from KVS: the installation's quota is spent. */
export function isKvsRateLimited(error: unknown): boolean {
  const e = error as { code?: unknown; responseDetails?: { status?: unknown } } | null;
  return e?.code === 'RATE_LIMIT_EXCEEDED' || e?.responseDetails?.status === 429;
}

/**
 * Runs a storage call, turning Forge's 429 into `SyncError` `RATE_LIMITED`.
 * @throws SyncError `RATE_LIMITED` when KVS refused a request for the installation's quota
 */
export async function withRateLimit<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!isKvsRateLimited(error)) throw error;
    const detail = error instanceof Error ? error.message : String(error);
    throw new SyncError('RATE_LIMITED', `[bgstore] Forge storage's quota for this installation is spent (429 RATE_LIMIT_EXCEEDED: ${detail}); nothing was stored, try again when the window reopens`, { cause: error });
  }
}
