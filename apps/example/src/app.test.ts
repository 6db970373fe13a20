import { createKvsFetch, createPage, createSite, type ModuleSpec } from '@bgstore/emulator';
import { createNodeRealm } from '@bgstore/emulator/node';
import { handler } from './resolvers';

const modules: ModuleSpec[] = [
  { key: 'background', type: 'confluence:backgroundScript', entry: require.resolve('./frontend/background.tsx'), resolver: handler as ModuleSpec['resolver'] },
  { key: 'feed', type: 'confluence:homepageFeed', entry: require.resolve('./frontend/feed.tsx'), resolver: handler as ModuleSpec['resolver'] },
];

describe('example app on the emulator', () => {
  const site = createSite({ forgeFetch: createKvsFetch() });
  let restore: () => void;
  beforeAll(() => (restore = site.installForgeFetch()));
  afterAll(() => restore());

  it.each([
    ['feed first', ['feed', 'background']],
    ['background first', ['background', 'feed']],
  ])('shows the stored count and adds to it (%s)', async (_, order) => {
    const page = createPage({ site, realm: createNodeRealm, modules });
    try {
      await page.start(order);
      const feed = page.module('feed');
      await feed.waitFor(() => /Count: \d+/.test(feed.text()));
      const before = Number(/Count: (\d+)/.exec(feed.text())![1]);
      await feed.click('Add');
      await feed.waitFor(() => feed.text().includes(`Count: ${before + 1}`));
    } finally {
      page.close();
    }
  });

  it('keeps the count across a background-script restart', async () => {
    const page = createPage({ site, realm: createNodeRealm, modules });
    try {
      await page.start();
      const feed = page.module('feed');
      await feed.waitFor(() => /Count: \d+/.test(feed.text()));
      const before = feed.text();
      await page.restart('background');
      await page.restart('feed');
      await page.module('feed').waitFor(() => page.module('feed').text() === before);
    } finally {
      page.close();
    }
  });

  it('refuses an anonymous increment in the resolver', async () => {
    const page = createPage({ site, realm: createNodeRealm, modules, accountId: null });
    try {
      const invoked = await page.invoker.invoke({
        functionKey: 'increment',
        context: {},
        moduleKey: 'feed',
        handler: modules[1]!.resolver,
        runtime: { installContext: site.installContext },
      });
      expect(invoked).toEqual({ error: { code: 'ANONYMOUS', message: 'Sign in to change the counter.' } });
    } finally {
      page.close();
    }
  });
});
