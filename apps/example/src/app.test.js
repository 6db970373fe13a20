import { DOC_ENTITY_DECLARATION } from '@bgstore/resolver';
import { createKvsFetch, createManualClock, createPage, createSite } from '@bgstore/emulator';
import { createNodeRealm } from '@bgstore/emulator/node';
import { handler } from './resolvers';
const resolver = handler;
const entry = (name) => require.resolve(`./frontend/${name}.tsx`);
const modules = [
    { key: 'background', type: 'confluence:backgroundScript', entry: entry('background'), resolver },
    { key: 'board', type: 'confluence:homepageFeed', entry: entry('board'), resolver },
    { key: 'summary', type: 'confluence:homepageFeed', entry: entry('summary'), resolver },
    { key: 'byline', type: 'confluence:contentBylineItem', entry: entry('byline'), resolver, extension: { content: { id: '42', type: 'page' } } },
];
function setup() {
    const clock = createManualClock(1_000_000);
    const site = createSite({ clock, forgeFetch: createKvsFetch({ clock, entities: [DOC_ENTITY_DECLARATION] }) });
    const restore = site.installForgeFetch();
    const pages = [];
    const open = (accountId = 'alice') => {
        const page = createPage({ site, realm: createNodeRealm, modules, accountId });
        pages.push(page);
        return page;
    };
    const run = (ms) => clock.advanceAsync(ms);
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
        }
        finally {
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
            for (const key of ['background', 'board', 'summary', 'byline'])
                await a.restart(key);
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
        }
        finally {
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
        }
        finally {
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
        }
        finally {
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
            const host = page.module('background').exports.host;
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
        }
        finally {
            t.close();
        }
    });
});
