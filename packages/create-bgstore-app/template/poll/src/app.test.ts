// The poll on bgstore's Forge emulator: the modules of manifest.yml with the real @forge/bridge and
// @forge/react, the resolver from src/index.ts (with its policy), Forge storage in memory.
import { kvs } from '@forge/kvs';
import { renderApp } from '@bgstore/testing';
import { poll } from './store';

const modules = ['poll-background', 'poll-vote', 'poll-leader', 'poll-byline'];

test('one vote per user: changeable, never doubled, seen by every module and every user', async () => {
  const alice = await renderApp({ manifest: 'manifest.yml', modules, accountId: 'alice' });
  await alice.module('poll-vote').click('Vote Tea (0)');
  await alice.module('poll-byline').waitForText('1 vote');
  const bob = await alice.openPage({ accountId: 'bob' });
  await bob.module('poll-vote').click('Vote Coffee (0)');
  await bob.module('poll-vote').click('Vote Tea (1)');
  await bob.module('poll-leader').waitForText('Leading: Tea (2 of 2)');
  await alice.module('poll-vote').click('Vote Water (0)');
  await bob.module('poll-leader').waitForText('A tie at 1 of 2');
  await bob.module('poll-byline').waitForText('2 votes');
});

test('a reset by someone who is not a poll admin is refused by the server: pending until then, and never shown', async () => {
  const app = await renderApp({ manifest: 'manifest.yml', modules, accountId: 'bob' });
  await app.module('poll-vote').click('Vote Tea (0)');
  await app.module('poll-byline').waitForText('1 vote');
  await app.module('poll-vote').click('Reset the poll');
  // The reset is held until storage answers (after the host's 200 ms batching delay): the module
  // that asked says so, and no module shows the poll reset meanwhile.
  await app.module('poll-vote').waitForText('Reset requested — waiting for the server');
  expect(app.module('poll-byline').text()).toBe('1 vote');
  expect(app.module('poll-leader').text()).toBe('Leading: Tea (1 of 1)');
  await app.module('poll-vote').waitForText('Reset refused: [bgstore] poll.reset: only poll admins reset the poll');
  expect(app.module('poll-byline').text()).toBe('1 vote');
  expect(app.module('poll-vote').text()).toContain('Vote Tea (1)');
});

test('a poll admin resets it (the admin check is async, on the server)', async () => {
  const app = await renderApp({ manifest: 'manifest.yml', modules });
  await kvs.set('poll-admins', ['admin']);
  await app.module('poll-vote').click('Vote Coffee (0)');
  await app.module('poll-leader').waitForText('Leading: Coffee (1 of 1)');
  const admin = await app.openPage({ accountId: 'admin', modules: ['poll-background'] });
  await admin.connect(poll).actions.reset();
  // Once stored, the reset reaches the other users' pages (Realtime), as any change does.
  await app.module('poll-leader').waitForText('No votes yet');
});

test('a forged call is refused end to end: a reset from a page that is not the admin, an option the poll has not', async () => {
  const app = await renderApp({ manifest: 'manifest.yml', modules });
  const mallory = await app.openPage({ accountId: 'mallory', modules: ['poll-background'] });
  const forged = mallory.connect(poll);
  await expect(forged.actions.reset()).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
  await expect(forged.actions.vote('Beer')).rejects.toMatchObject({ code: 'INVALID_ARGS' });
});
