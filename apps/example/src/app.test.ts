import { DOC_ENTITY_DECLARATION } from '@bgstore/resolver';
import { DIAGNOSTIC_REPORT, DIAGNOSTIC_REQUEST, DIAGNOSTIC_VERSION } from '@bgstore/devtools';
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

function setup(environmentType?: 'DEVELOPMENT' | 'PRODUCTION') {
  const clock = createManualClock(1_000_000);
  const site = createSite({ clock, environmentType, forgeFetch: createKvsFetch({ clock, entities: [DOC_ENTITY_DECLARATION as never] }) });
  const restore = site.installForgeFetch();
  const pages: Page[] = [];
  const open = (accountId: string | null = 'alice') => {
    const page = createPage({ site, realm: createNodeRealm, modules, accountId });
    pages.push(page);
    return page;
  };
  const run = (ms: number) => clock.advanceAsync(ms);
  return { site, open, run, close: () => (pages.forEach((p) => p.close()), restore()) };
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
      // Tab A learns of B's change at once, from B's Realtime announcement.
      await t.run(500);
      expect(a.module('board').text()).toContain('Card 1 — todo (bob)');
    } finally {
      t.close();
    }
  });

  it('#14 deletes a card from the board, and every module follows', async () => {
    const t = setup();
    try {
      const page = t.open();
      await page.start();
      await t.run(500);
      await page.module('board').click('Add');
      await page.module('board').click('Add');
      await t.run(500);
      await page.module('board').click('Delete Card 1');
      await t.run(500);
      expect(page.module('board').text()).not.toContain('Card 1');
      expect(page.module('board').text()).toContain('Card 2 — todo');
      expect(page.module('summary').text()).toContain('To do 1 · Doing 0 · Done 0');
      expect(page.module('byline').text()).toContain('Team board: 1 open');
    } finally {
      t.close();
    }
  });

  it('#14 labels unowned cards "Take" (disabled) while there is no user, never "Drop"', async () => {
    const t = setup();
    try {
      const alice = t.open('alice');
      await alice.start();
      await t.run(500);
      await alice.module('board').click('Add');
      await t.run(500);
      const anonymous = t.open(null);
      await anonymous.start();
      await t.run(500);
      const board = anonymous.module('board');
      expect(board.text()).toContain('Card 1 — todo');
      expect(board.text()).toContain('Take Card 1');
      expect(board.text()).not.toContain('Drop');
      await expect(board.click('Take Card 1')).rejects.toThrow(/disabled/);
    } finally {
      t.close();
    }
  });

  it('#14 the save badge says Saving while an action is unconfirmed and Reconnecting while catching up, not Saved', async () => {
    const t = setup();
    try {
      const page = t.open();
      await page.start();
      await t.run(500);
      expect(page.module('summary').text()).toMatch(/Saved$/);
      // The host never hears the board: its action stays pending.
      page.setEventFaults({ links: { 'board->background': { drop: 1 } } });
      void page.module('board').click('Add');
      await t.run(500);
      expect(page.module('board').text()).toContain('Saving 1…');
      // The board misses one of the host's patches and cannot reach it to ask again: it is catching
      // up, not saving.
      const host = (page.module('background').exports as { host: { actions: { addCard(id: string, title: string): Promise<void> } } }).host;
      page.setEventFaults({ links: { 'board->background': { drop: 1 }, 'background->board': { delay: 5000 } } });
      void host.actions.addCard('h1', 'From the host');
      await t.run(10);
      page.setEventFaults({ links: { 'board->background': { drop: 1 } } });
      void host.actions.addCard('h2', 'Also from the host');
      await t.run(500);
      expect(page.module('board').text()).toContain('Reconnecting… · 1 not saved');
      page.setEventFaults(undefined);
      await t.run(8000);
      expect(page.module('board').text()).toContain('Card 1 — todo');
      expect(page.module('board').text()).toContain('Also from the host — todo');
      expect(page.module('board').text()).toMatch(/\nSaved\n/);
    } finally {
      t.close();
    }
  });

  it.each([
    ['DEVELOPMENT', 4],
    ['PRODUCTION', 0],
  ] as const)('#18.10 in a %s environment, its modules answer a diagnostics request: %i reports', async (environment, reports) => {
    const t = setup(environment);
    try {
      const page = t.open();
      await page.start(['board', 'summary', 'byline', 'background']);
      await t.run(500);
      const heard: unknown[] = [];
      const rogue = { id: 'rogue', moduleKey: 'rogue', appId: t.site.appId };
      page.bus.subscribe(rogue, DIAGNOSTIC_REPORT, (r) => void heard.push(r));
      page.bus.emit(rogue, DIAGNOSTIC_REQUEST, { bgstoreDevtools: DIAGNOSTIC_VERSION, from: 'panel-1', actions: 20 });
      await t.run(10);
      expect(heard).toHaveLength(reports);
    } finally {
      t.close();
    }
  });
});
