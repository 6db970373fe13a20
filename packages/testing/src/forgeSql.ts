import { createSqlFetch, type Clock, type SqlFetch } from '@bgstore/emulator';
import { createMysqlExecutor, findMariaDb, startMariaDb, type MariaDbServer } from '@bgstore/emulator/node';

// Forge SQL for apps whose manifest declares a `sql` module: the emulator's Forge SQL service on a
// real MariaDB. One private server per test file (process), started on first use and stopped after
// the file's tests (and, whatever happens, when the process exits); each app its own database.

const INSTALL = 'apt-get install --no-install-recommends mariadb-server';

/**
 * Why apps on Forge SQL cannot be tested here, or undefined when they can. Under `CI=true` it is
 * always undefined: a CI run without MariaDB must fail, not skip. Skip such tests with it:
 * @example
 * const missing = forgeSqlUnavailable();
 * if (missing) console.warn(`skipping: ${missing}`);
 * (missing ? describe.skip : describe)('on Forge SQL', () => { … });
 */
export function forgeSqlUnavailable(): string | undefined {
  if (findMariaDb() || process.env.CI === 'true') return undefined;
  return `Forge SQL runs on a real MariaDB in tests, which is not installed here (${INSTALL}); CI requires it`;
}

let server: Promise<MariaDbServer> | undefined;

/** Stops this file's server (after its tests; a later renderApp starts another). */
export async function stopForgeSql(): Promise<void> {
  const running = server;
  server = undefined;
  await (await running?.catch(() => undefined))?.stop();
}

const register = (globalThis as { afterAll?: (fn: () => Promise<void>, timeout?: number) => void }).afterAll;
if (typeof register === 'function') register(stopForgeSql, 30_000);

/** The app's Forge SQL: a fresh database on this file's server. */
export async function openForgeSql(manifestFile: string, clock: Clock | undefined): Promise<SqlFetch> {
  if (!findMariaDb()) {
    throw new Error(`[bgstore/testing] ${manifestFile} declares Forge SQL (modules: sql), which the emulator serves from a real MariaDB: not installed here (${INSTALL}). Skip these tests where it is missing with forgeSqlUnavailable()`);
  }
  server ??= startMariaDb();
  const executor = await createMysqlExecutor({ socketPath: (await server).socketPath });
  return createSqlFetch({ executor, clock });
}
