// The app on bgstore's Forge emulator, its notes in Forge SQL: manifest.yml declares a `sql` module,
// so renderApp serves @forge/sql from a real MariaDB (a private server for this file, a database
// per app). Without MariaDB (apt-get install mariadb-server) these tests skip, saying why; with
// CI=true they run, and fail where it is missing.
import { forgeSqlUnavailable, renderApp } from '@bgstore/testing';
import { migrate } from './index';

const missing = forgeSqlUnavailable();
if (missing) console.warn(`Skipping the app's tests: ${missing}`);
const sqlTest = missing ? test.skip : test;

sqlTest("the install trigger's migrations make bgstore's tables once; the notes are then saved in Forge SQL", async () => {
  // No module yet: a fresh installation, as Forge runs the trigger.
  const app = await renderApp({ manifest: 'manifest.yml', modules: [] });
  expect(await migrate()).toEqual(['bgstore-001-log', 'bgstore-002-piece', 'bgstore-003-inbox', 'bgstore-004-pending']);
  expect(await migrate()).toEqual([]);
  const page = await app.openPage({ modules: ['notes-background', 'notes-list', 'notes-summary'] });
  await page.module('notes-list').click('Add a note');
  await page.module('notes-summary').waitForText('1 notes · 0 votes Saved');
  expect(app.sql!.stats().byKind.dml).toBeGreaterThan(0);
  expect(app.kvs.stats().writes).toBe(0);
});

sqlTest('another user sees the saved notes and votes on them', async () => {
  const app = await renderApp({ manifest: 'manifest.yml' });
  await app.module('notes-list').click('Add a note');
  await app.module('notes-summary').waitForText('Saved');
  const bob = await app.openPage({ accountId: 'bob' });
  await bob.module('notes-list').click('+1 Note 1');
  await bob.module('notes-summary').waitForText('1 notes · 1 votes Saved');
});
