import path from 'node:path';
import { renderApp } from '../../src/index';
import { counter } from '../fixtures/counter/src/store';

const manifest = path.join(__dirname, '..', 'fixtures', 'counter', 'manifest.yml');

// No cleanup by hand: everything below must stop when the app closes.
test('close, then open', async () => {
  const app = await renderApp({ manifest });
  const bob = await app.openPage({ accountId: 'bob' });
  const replica = bob.connect(counter);
  await replica.actions.increment();
  await bob.module('feed').waitForText('Count: 1');
  const pending = app.module('feed').waitForText('never shown');
  app.close();
  await expect(pending).rejects.toThrow('the app was closed while this wait ran');
  await expect(app.openPage({ accountId: 'carol' })).rejects.toThrow('this app is closed');
  expect(bob.page.module('feed').running).toBe(false);
  expect(bob.page.module('background').running).toBe(false);
});
