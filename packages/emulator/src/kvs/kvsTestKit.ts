// Test helpers for the KVS suites (not exported from the package).
import { ForgeKvsAPIError } from '@forge/kvs';

/** Awaits a call that must fail with a `ForgeKvsAPIError` from the real client, and returns the error. */
export async function kvsFailure(p: Promise<unknown>): Promise<ForgeKvsAPIError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ForgeKvsAPIError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}
