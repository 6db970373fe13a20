import { DOC_ENTITY_DECLARATION } from '@bgstore/resolver';
import { createKvsFetch, createManualClock, createPage, createSite, type ModuleSpec, type Page } from '@bgstore/emulator';
import { createNodeRealm } from '@bgstore/emulator/node';
import { handler } from './resolvers';

const resolver = handler as ModuleSpec['resolver'];
const entry = (name: string) => require.resolve(`./frontend/${name}.tsx`);
const modules: ModuleSpec[] = [
  { key: 'background', type: 'confluence:backgroundScript', entry: entry('background'), resolver },
  { key: 'board', type: 'confluence:homepageFeed', entry: entry('board'), resolver },
  { key: 'summary', type: 'confluence:homepageFeed', entry: entry('summary'), resolver },
  { key: 'byline', type: 'confluence:contentBylineItem', entry: entry('byline'), resolver, extension: { content: { id: '42', type: 'page' } } },
];

function setup() {
  const clock = createManualClock(1_000_000);
  const site = createSite({ clock, forgeFetch: createKvsFetch({ clock, entities: [DOC_ENTITY_DECLARATION as never] }) });
  const restore = site.installForgeFetch();
  const pages: Page[] = [];
  const open = (accountId = 'alice') => {
    const page = createPage({ site, realm: createNodeRealm, modules, accountId });
    pages.push(page);
    return page;
  };
  const run = (ms: number) => clock.advanceAsync(ms);
  return { open, run, close: () => (pages.forEach((p) => p.close()), restore()) };
}

describe('the example team board on the emulator (real bridge, UI Kit, resolver, KVS)', () => {
  it('shows loading, then lets one feed add and advance cards that the summary and byline follow', async () => {
    const t = setup();
    try {
      const page = t.open();
      await page.start(['board', 'summary', 'byline', 'background']);
      const board = page.module('board');
      expect(board.text()).toContain('Loading the board');
      await t.run(500);
      expect(board.text()).toContain('No cards yet.');
      await board.click('Add');
      await t.run(10);
      expect(board.text()).toContain('Card 1 — todo');
      await t.run(500);
      expect(board.text()).toContain('Saved');
      expect(page.module('summary').text()).toContain('To do 1 · Doing 0 · Done 0');
      expect(page.module('byline').text()).toContain('Team board: 1 open');
      await board.click('Advance Card 1');
      await board.click('Take Card 1');
      await t.run(500);
      expect(board.text()).toContain('Card 1 — doing (you)');
      expect(page.module('summary').text()).toContain('To do 0 · Doing 1 · Done 0');
    } finally {
      t.close();
    }
  });

  it('keeps the board across a reload and shares it with another tab of another user', async () => {
    const t = setup();
    try {
      const a = t.open('alice');
      await a.start();
      await t.run(500);
      await a.module('board').click('Add');
      await t.run(500);
      for (const key of ['background', 'board', 'summary', 'byline']) await a.restart(key);
      await t.run(500);
      expect(a.module('board').text()).toContain('Card 1 — todo');
      const b = t.open('bob');
      await b.start();
      await t.run(500);
      await b.module('board').click('Take Card 1');
      await t.run(500);
      expect(b.module('board').text()).toContain('Card 1 — todo (you)');
      // Tab A learns of B's change from storage, within the app's 3 s revision check.
      await t.run(3500);
      expect(a.module('board').text()).toContain('Card 1 — todo (bob)');
    } finally {
      t.close();
    }
  });
});
