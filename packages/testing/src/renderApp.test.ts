import path from 'node:path';
import { renderApp, type RenderedApp } from './index';

const fixture = (file: string) => path.join(__dirname, '..', 'test', 'fixtures', 'counter', file);

describe('renderApp', () => {
  it('runs the manifest modules with their resolver and storage, waiting for the button before clicking', async () => {
    const app = await renderApp({ manifest: fixture('manifest.yml'), modules: ['feed', 'background'] });
    const feed = app.module('feed');
    expect(feed.text()).toBe('Loading…');
    await feed.click('Add one');
    await feed.waitForText('Count: 1');
    await app.waitFor(() => expect(Object.keys(app.kvs.dump()['entity:bgstore-doc'] ?? {})).toHaveLength(1));
    expect(feed.errors).toEqual([]);
  });

  it('shares storage with another page of another user', async () => {
    const app = await renderApp({ manifest: fixture('manifest.yml') });
    await app.module('feed').click('Add one');
    await app.waitFor(() => expect(app.kvs.stats().writes).toBeGreaterThan(0));
    const bob = await app.openPage({ accountId: 'bob' });
    await bob.module('feed').waitForText('Count: 1');
  });

  it('fails at once, naming the entity and where to declare it, when the manifest lacks a storage entity', async () => {
    const app = await renderApp({ manifest: fixture('manifest-without-entity.yml'), timeoutMs: 120_000 });
    // The host would retry storage for ever; the wait must not last until its two-minute timeout.
    await expect(app.module('feed').waitForText('Count: 0')).rejects.toThrow(/storage entity 'bgstore-doc'.*does not declare.*app\.storage\.entities/);
    await expect(app.waitFor(() => true)).rejects.toThrow(/bgstore-doc/);
  });

  it('names the modules it knows when asked for another, and leaves nothing behind', async () => {
    await expect(renderApp({ manifest: fixture('manifest.yml'), modules: ['nope'] })).rejects.toThrow("has no UI module 'nope'; modules: background, feed");
    expect((globalThis as Record<string, unknown>).__forge_fetch__).toBeUndefined();
  });

  it('fails a wait after its timeout with what the module shows', async () => {
    const app = await renderApp({ manifest: fixture('manifest.yml'), timeoutMs: 300 });
    await expect(app.module('feed').waitForText('Count: 99')).rejects.toThrow(/still failing after 300 ms: module 'feed' does not show "Count: 99"; it shows: (Loading…|Count: 0)/);
  });

  describe('cleanup', () => {
    let left: RenderedApp | undefined;
    it('leaves an app open at the end of a test', async () => {
      left = await renderApp({ manifest: fixture('manifest.yml') });
      expect(left.page.module('feed').running).toBe(true);
      expect(typeof (globalThis as Record<string, unknown>).__forge_fetch__).toBe('function');
    });
    it('finds it closed, with __forge_fetch__ restored, in the next test', () => {
      expect(left!.page.module('feed').running).toBe(false);
      expect(left!.page.module('background').running).toBe(false);
      expect((globalThis as Record<string, unknown>).__forge_fetch__).toBeUndefined();
    });
  });
});
