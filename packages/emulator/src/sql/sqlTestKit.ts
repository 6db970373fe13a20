// Test helpers for the Forge SQL suites (not exported from the package).
import { ForgeSQLAPIError } from '@forge/sql';
import { findMariaDb, startMariaDb, type MariaDbServer } from './mariadbServer';

/**
 * `describe` when MariaDB is installed or under `CI=true` (where its absence must fail the run),
 * else `describe.skip` with a message saying why.
 */
export function describeWithMariaDb(name: string, body: () => void): void {
  if (findMariaDb() || process.env.CI === 'true') {
    describe(name, body);
    return;
  }
  console.warn(`[emulator] skipping "${name}": MariaDB is not installed (apt-get install --no-install-recommends mariadb-server); CI requires it`);
  describe.skip(name, body);
}

/** Starts one private server for the file's tests and stops it after them; read `.current` inside tests. */
export function useMariaDb(): { current: MariaDbServer } {
  const ref = {} as { current: MariaDbServer };
  beforeAll(async () => {
    ref.current = await startMariaDb();
  }, 60_000);
  afterAll(async () => {
    await ref.current?.stop();
  }, 30_000);
  return ref;
}

/** Awaits a call that must fail with a `ForgeSQLAPIError` from the real client, and returns the error. */
export async function sqlFailure(p: Promise<unknown>): Promise<ForgeSQLAPIError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof ForgeSQLAPIError) return e;
    throw e;
  }
  throw new Error('expected the call to fail');
}
