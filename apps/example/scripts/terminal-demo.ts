// `npm start` until the browser playground lands (issue #5): runs the example app on the emulator
// in this terminal — two tabs, each a background script plus a homepage feed, one stored document.
import { join } from 'node:path';
import { createKvsFetch, createPage, createSite, type ModuleSpec } from '@bgstore/emulator';
import { createFileKvsBackend, createNodeRealm } from '@bgstore/emulator/node';
import { handler } from '../src/resolvers';

const dataDir = process.env.BGSTORE_DATA_DIR ?? join(__dirname, '..', '..', '..', '.bgstore-data');
const resolver = handler as ModuleSpec['resolver'];
const modules: ModuleSpec[] = [
  { key: 'background', type: 'confluence:backgroundScript', entry: join(__dirname, '../src/frontend/background.tsx'), resolver },
  { key: 'feed', type: 'confluence:homepageFeed', entry: join(__dirname, '../src/frontend/feed.tsx'), resolver },
];

async function main() {
  const kvs = createKvsFetch({ backend: createFileKvsBackend(join(dataDir, 'kvs.log')) });
  const site = createSite({ forgeFetch: kvs });
  site.installForgeFetch();
  const show = (label: string, text: string) => console.log(`  ${label.padEnd(14)} ${text.replace(/\n/g, ' | ')}`);

  console.log(`bgstore emulator — example app, storage in ${dataDir}\n`);
  const tabA = createPage({ site, realm: createNodeRealm, modules, id: 'tab-A' });
  const tabB = createPage({ site, realm: createNodeRealm, modules, id: 'tab-B' });
  await tabA.start(['feed', 'background']);
  await tabB.start(['background', 'feed']);
  const feedA = tabA.module('feed');
  const feedB = tabB.module('feed');
  await feedA.waitFor(() => /Count/.test(feedA.text()));
  await feedB.waitFor(() => /Count/.test(feedB.text()));
  show('tab A feed:', feedA.text());
  show('tab B feed:', feedB.text());

  console.log('\nclick "Add" in tab A');
  const before = feedA.text();
  await feedA.click('Add');
  await feedA.waitFor(() => feedA.text() !== before);
  show('tab A feed:', feedA.text());
  show('tab B feed:', `${feedB.text()}   <- events never leave a tab: B is stale`);

  console.log('\nreload tab B');
  await tabB.restart('background');
  await tabB.restart('feed');
  await tabB.module('feed').waitFor(() => tabB.module('feed').text() === feedA.text());
  show('tab B feed:', tabB.module('feed').text());

  const bus = tabA.bus.stats();
  const k = kvs.stats();
  console.log(`\ntab A bus: ${bus.emitted} emits, ${bus.delivered} deliveries, ${bus.bytes} bytes`);
  console.log(`storage: ${k.reads} reads, ${k.writes} writes, ${k.bytesWritten} bytes written`);
  console.log('\nRun it again: the count is kept on disk. `npm test` runs the test suites.');
  tabA.close();
  tabB.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
