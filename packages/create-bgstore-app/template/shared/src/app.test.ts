// The app on bgstore's Forge emulator: the modules of manifest.yml with the real @forge/bridge and
// @forge/react, the resolver from src/index.ts, Forge storage in memory.
import { renderApp } from '@bgstore/testing';

test('a note added in the list shows in the summary, and is saved', async () => {
  const app = await renderApp({ manifest: 'manifest.yml', modules: ['notes-background', 'notes-list', 'notes-summary'] });
  await app.module('notes-list').click('Add a note');
  await app.module('notes-list').waitForText('Note 1 (0)');
  await app.module('notes-summary').waitForText('1 notes · 0 votes Saved');
});

test('another user sees the saved notes and votes on them', async () => {
  const app = await renderApp({ manifest: 'manifest.yml' });
  await app.module('notes-list').click('Add a note');
  await app.module('notes-summary').waitForText('Saved');
  const bob = await app.openPage({ accountId: 'bob' });
  await bob.module('notes-list').click('+1 Note 1');
  await bob.module('notes-summary').waitForText('1 notes · 1 votes Saved');
});

test('a user already on the page sees a note as soon as another saves it', async () => {
  const app = await renderApp({ manifest: 'manifest.yml' });
  const bob = await app.openPage({ accountId: 'bob' });
  await bob.module('notes-summary').waitForText('0 notes');
  await app.module('notes-list').click('Add a note');
  // The background script's Realtime hint (src/frontend/background.tsx) brings it within a second;
  // without it, Bob's page looks only at its revision checks (2 s after it loaded, then every 30 s).
  await bob.module('notes-list').waitForText('Note 1 (0)');
});
