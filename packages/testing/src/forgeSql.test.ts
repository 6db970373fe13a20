import path from 'node:path';
import { forgeSqlUnavailable, renderApp } from './index';

// #19: an app whose manifest declares Forge SQL gets @forge/sql from a real MariaDB (one server for
// this file, a database per app); without MariaDB these tests skip here and fail under CI=true.
const fixture = (file: string) => path.join(__dirname, '..', 'test', 'fixtures', 'counter', file);
const missing = forgeSqlUnavailable();
if (missing) console.warn(`[bgstore/testing] skipping the Forge SQL tests: ${missing}`);

(missing ? describe.skip : describe)('#19 renderApp on Forge SQL', () => {
  it('serves @forge/sql to the resolver when the manifest has a sql module: the count is stored in SQL, not KVS, and another user sees it', async () => {
    const app = await renderApp({ manifest: fixture('manifest.sql.yml') });
    expect(app.manifest.sql).toBe(true);
    await app.module('feed').click('Add one');
    await app.module('feed').waitForText('Count: 1');
    // bgstore made its tables through migrationRunner, and the commit is a row of its log.
    await app.waitFor(async () => expect(await app.sql!.executor.run('SELECT COUNT(*) AS n FROM bgstore_log', [], { timeoutMs: 5000 })).toMatchObject({ rows: [{ n: 1 }] }));
    expect(app.sql!.stats().byKind.ddl).toBeGreaterThan(0);
    expect(app.kvs.stats().writes).toBe(0);
    const bob = await app.openPage({ accountId: 'bob' });
    await bob.module('feed').waitForText('Count: 1');
  });

  it('gives each app its own database', async () => {
    const first = await renderApp({ manifest: fixture('manifest.sql.yml') });
    await first.module('feed').click('Add one');
    await first.module('feed').waitForText('Count: 1');
    first.close();
    const second = await renderApp({ manifest: fixture('manifest.sql.yml') });
    await second.module('feed').waitForText('Count: 0');
  });

  it('leaves an app on KVS without SQL, unless asked', async () => {
    const app = await renderApp({ manifest: fixture('manifest.yml') });
    expect(app.sql).toBeUndefined();
    const asked = await renderApp({ manifest: fixture('manifest.yml'), sql: true, accountId: 'bob' });
    expect(asked.sql).toBeDefined();
  });
});
