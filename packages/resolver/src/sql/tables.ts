import { migrationRunner, sql } from '@forge/sql';
import { currentInstallation } from '../installation';
import { isMissingColumn, isMissingTable, withSqlRateLimit } from './client';
import { enqueueBgstoreMigrations } from './schema';

// bgstore's tables as `sqlStorage()` meets them: made on first use (unless `migrate` is off), and
// what an app is told when they, or Forge SQL itself, cannot be reached.

const MANIFEST_HINT = "add a Forge SQL module to manifest.yml (modules: sql: - key: main, engine: mysql) and deploy again";

/** What to tell an app whose Forge SQL is not set up (the port's `misconfiguration`); undefined for any other error. */
export function misconfiguration(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'APP_NOT_ENABLED') return `Forge SQL is not enabled for this app (${code}): ${MANIFEST_HINT}`;
  if (isMissingTable(error)) return "bgstore's tables are missing: run enqueueBgstoreMigrations(migrationRunner).run() from @bgstore/resolver/sql (or leave sqlStorage's `migrate` on)";
  if (error instanceof Error && error.name === 'MigrationExecutionError') return `bgstore's tables could not be created (${error.message}): ${String((error as { cause?: unknown }).cause)}`;
  if (error instanceof TypeError && /__forge_fetch__/.test(error.message)) return `no Forge runtime here (${error.message}): registerStores must run in a Forge function, and ${MANIFEST_HINT}`;
  return undefined;
}

type Runner = typeof migrationRunner;

/** Runs one storage call, with bgstore's tables there and Forge SQL's 429 as `RATE_LIMITED`. */
export type WithTables = <T>(run: () => Promise<T>) => Promise<T>;

/** Storage calls that create bgstore's tables (when `migrate`) the first time they find them missing. */
export function createWithTables(migrate: boolean): WithTables {
  // Migrations in flight, by installation: calls that meet missing tables at once share one run.
  const migrating = new Map<string, Promise<unknown>>();
  const migrateHere = () => {
    const installation = currentInstallation();
    let run = migrating.get(installation);
    if (!run) {
      run = enqueueBgstoreMigrations(new (migrationRunner.constructor as new (client: typeof sql) => Runner)(sql)).run().finally(() => migrating.delete(installation));
      migrating.set(installation, run);
    }
    return run;
  };
  // A call that meets missing tables creates them and tries again.
  // A 429 comes back as RATE_LIMITED (the commit loop does not retry a SyncError).
  return <T>(run: () => Promise<T>): Promise<T> =>
    withSqlRateLimit(async () => {
      try {
        return await run();
      } catch (error) {
        // (A missing column: tables of an older release, a migration to run.)
        if (!migrate || !(isMissingTable(error) || isMissingColumn(error))) throw error;
        await migrateHere();
        return run();
      }
    });
}
