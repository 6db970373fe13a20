import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { renderApp, type RenderedApp } from './index';
import { counter } from '../test/fixtures/counter/src/store';

const fixture = (file: string) => path.join(__dirname, '..', 'test', 'fixtures', 'counter', file);
// The factor the repository's Jest preset multiplies every test's timeout by under CI (jest/hangGuard.js).
const TIMEOUT_FACTOR = Number(process.env.BGSTORE_TIMEOUT_FACTOR ?? 1);

describe('#21 a test kit that never hangs and always says why', () => {
  it('#21 close-then-open: openPage on a closed app throws, and Jest exits with no open handles', () => {
    const jest = require.resolve('jest/bin/jest');
    // A hang guard, not a speed check: a handle left open would keep this Jest alive for ever. The
    // child is a whole Jest that bundles the app's modules: on a loaded machine it takes minutes.
    const run = spawnSync(process.execPath, [jest, '--config', path.join(__dirname, '..', 'test', 'exits', 'jest.config.js'), '--detectOpenHandles', '--ci'], {
      cwd: path.join(__dirname, '..'),
      encoding: 'utf8',
      timeout: 90_000 * TIMEOUT_FACTOR,
      env: { ...process.env, FORCE_COLOR: '0' },
    });
    const output = `${run.stdout}\n${run.stderr}`;
    expect({ signal: run.signal, output }).toEqual({ signal: null, output: expect.stringContaining('1 passed') });
    expect(output).not.toMatch(/open handle|did not exit/i);
    expect(run.status).toBe(0);
  }, 120_000);

  it('#21 closing the app closes every page it opened, and its replicas', async () => {
    const app = await renderApp({ manifest: fixture('manifest.yml') });
    const bob = await app.openPage({ accountId: 'bob' });
    const replica = bob.connect(counter);
    await app.module('feed').waitForText('Count: 0');
    app.close();
    for (const page of [app.page, bob.page]) for (const key of ['feed', 'background']) expect(page.module(key).running).toBe(false);
    await expect(replica.actions.increment()).rejects.toMatchObject({ code: 'CLOSED' });
    expect(() => bob.connect(counter)).toThrow('this page is closed');
  });

  it('#21 reload is one call: the page starts again, fresh, with what was saved, and module handles follow it', async () => {
    const app = await renderApp({ manifest: fixture('manifest.yml') });
    const feed = app.module('feed');
    await feed.click('Add one');
    await app.waitFor(() => expect(app.kvs.stats().writes).toBeGreaterThan(0));
    const before = app.page.module('background').id;
    await app.reload();
    expect(app.page.module('background').id).not.toBe(before);
    expect(app.page.module('background').running).toBe(true);
    await feed.waitForText('Count: 1');
  });

  it('#21 a host that cannot load fails the wait at once with its reason, instead of sitting on "Loading…"', async () => {
    const app = await renderApp({ manifest: fixture('manifest.space-scope.yml'), timeoutMs: 120_000 });
    await expect(app.module('feed').waitForText('Count: 0')).rejects.toThrow(/module alice\/background cannot load its store.*scoped per space, but this module's context has no space/);
  });

  it('#21 a failed wait says what the modules logged meanwhile', async () => {
    const app = await renderApp({ manifest: fixture('manifest.warns.yml'), timeoutMs: 300 });
    await expect(app.module('feed').waitForText('Count: 99')).rejects.toThrow(
      /still failing after 300 ms: module 'feed' does not show "Count: 99"; it shows: .*\nMeanwhile the app's modules logged:\n {2}alice\/warner \(console\.warn\): \[counter\] the warner module warns once at start/,
    );
  });

  it('#21 a test acts as any user through the real resolver: the server refuses a forged reset', async () => {
    const app = await renderApp({ manifest: fixture('manifest.yml') });
    await app.module('feed').click('Add one');
    await app.module('feed').waitForText('Count: 1');
    const mallory = await app.openPage({ accountId: 'mallory', modules: ['background'] });
    await expect(mallory.connect(counter).actions.reset()).rejects.toMatchObject({ code: 'UNAUTHORIZED', message: expect.stringContaining('only admin may reset the counter') });
    const admin = await app.openPage({ accountId: 'admin', modules: ['background'] });
    await admin.connect(counter).actions.reset();
    await app.reload();
    await app.module('feed').waitForText('Count: 0');
  });

  describe('#21 waits end before the runner times the test out', () => {
    let app: RenderedApp;
    beforeAll(async () => {
      app = await renderApp({ manifest: fixture('manifest.yml'), timeoutMs: 60_000 });
    });
    it('cuts a wait to what is left of the test timeout, and says so', async () => {
      await expect(app.module('feed').waitForText('Count: 99')).rejects.toThrow(
        new RegExp(`still failing after \\d+ ms \\(cut from 60000 ms to end before the test runner's ${2500 * TIMEOUT_FACTOR} ms test timeout.*\\): module 'feed' does not show "Count: 99"`),
      );
    }, 2500);
  });

  describe('#20 a wait that names no timeout lasts until just before the runner times the test out', () => {
    let app: RenderedApp;
    beforeAll(async () => {
      app = await renderApp({ manifest: fixture('manifest.yml') });
    });
    it('waits as long as the test may (a slow machine only makes it longer), and says so', async () => {
      await expect(app.module('feed').waitForText('Count: 99')).rejects.toThrow(
        new RegExp(`still failing after \\d+ ms \\(until the test runner's ${2500 * TIMEOUT_FACTOR} ms test timeout, counted from the test's start\\): module 'feed' does not show "Count: 99"`),
      );
    }, 2500);
  });
});
