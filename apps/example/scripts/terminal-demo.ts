// The example team board on the emulator, in this terminal: two tabs of two users, each a
// background script and three modules, sharing one on-disk store. (`npm start` opens the browser
// playground; this is `npm run demo`.)
import { join } from 'node:path';
import { DOC_ENTITY_DECLARATION } from '@bgstore/resolver';
import { createKvsFetch, createPage, createSite, type ModuleSpec, type Page } from '@bgstore/emulator';
import { createFileKvsBackend, createNodeRealm } from '@bgstore/emulator/node';
import { handler } from '../src/resolvers';

const dataDir = process.env.BGSTORE_DATA_DIR ?? join(__dirname, '..', '..', '..', '.bgstore-data');
const resolver = handler as ModuleSpec['resolver'];
const entry = (name: string) => join(__dirname, '..', 'src', 'frontend', `${name}.tsx`);
const modules: ModuleSpec[] = [
  { key: 'background', type: 'confluence:backgroundScript', entry: entry('background'), resolver },
  { key: 'board', type: 'confluence:homepageFeed', entry: entry('board'), resolver },
  { key: 'summary', type: 'confluence:homepageFeed', entry: entry('summary'), resolver },
];

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const show = (label: string, page: Page) => {
  for (const key of ['board', 'summary']) console.log(`  ${label} ${key.padEnd(8)} ${page.module(key).text().replace(/\n/g, ' | ')}`);
};

async function main() {
  const kvs = createKvsFetch({ backend: createFileKvsBackend(join(dataDir, 'kvs.log')), entities: [DOC_ENTITY_DECLARATION as never] });
  const site = createSite({ forgeFetch: kvs });
  site.installForgeFetch();
  console.log(`bgstore emulator — the example team board, storage in ${dataDir}\n`);
  const tabA = createPage({ site, realm: createNodeRealm, modules, id: 'tab-A', accountId: 'alice' });
  const tabB = createPage({ site, realm: createNodeRealm, modules, id: 'tab-B', accountId: 'bob' });
  await tabA.start(['board', 'summary', 'background']);
  await tabB.start();
  for (const tab of [tabA, tabB]) for (const key of ['board', 'summary']) await tab.module(key).waitFor(() => !/Loading/.test(tab.module(key).text()));
  show('tab A (alice)', tabA);
  show('tab B (bob)  ', tabB);

  console.log('\nalice clicks "Add" in tab A');
  const before = tabA.module('summary').text();
  await tabA.module('board').click('Add');
  await tabA.module('summary').waitFor(() => tabA.module('summary').text() !== before);
  await sleep(300);
  show('tab A (alice)', tabA);
  console.log('\ntab B hears of the new revision over Forge Realtime and loads it from storage…');
  const counts = (page: Page) => page.module('summary').text().split('\n')[0];
  await tabB.module('summary').waitFor(() => counts(tabB) === counts(tabA), 10_000);
  show('tab B (bob)  ', tabB);

  const k = kvs.stats();
  console.log(`\nstorage: ${k.reads} reads, ${k.writes} writes, ${k.bytesWritten} bytes written`);
  console.log('Run it again: the board is kept on disk. `npm test` runs the test suites.');
  tabA.close();
  tabB.close();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
