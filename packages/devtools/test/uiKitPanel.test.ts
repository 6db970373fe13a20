import { createManualClock, createPage, createSite, type ModuleSpec } from '@bgstore/emulator';
import { createNodeRealm } from '@bgstore/emulator/node';
import { DIAGNOSTIC_REPORT, DIAGNOSTIC_REQUEST } from '../src';

// The UI Kit panel on the emulator, with the real @forge/bridge and @forge/react: a background
// script and two feeds report; the panel module asks.
const modules: ModuleSpec[] = [
  { key: 'background', type: 'confluence:backgroundScript', entry: require.resolve('./modules/background.ts') },
  { key: 'feed-a', type: 'confluence:homepageFeed', entry: require.resolve('./modules/feed.ts') },
  { key: 'feed-b', type: 'confluence:homepageFeed', entry: require.resolve('./modules/feed.ts') },
  { key: 'devtools', type: 'confluence:homepageFeed', entry: require.resolve('./modules/panel.tsx') },
];
type Feed = { replica: { actions: { add(text: string): Promise<void>; fail(): Promise<void> } } };

describe('the UI Kit devtools panel', () => {
  it('shows every module, the last actions and the store, and nothing is reported until it asks', async () => {
    const clock = createManualClock(1_000_000);
    const page = createPage({ site: createSite({ clock }), realm: createNodeRealm, modules });
    const events: string[] = [];
    page.bus.observe((r) => events.push(r.event));
    try {
      await page.start(['background', 'feed-a', 'feed-b']);
      await clock.advanceAsync(1000);
      const feedA = page.module('feed-a').exports as Feed;
      await feedA.replica.actions.add('hello');
      await feedA.replica.actions.fail().catch(() => undefined);
      await clock.advanceAsync(1000);
      expect(events.filter((e) => e === DIAGNOSTIC_REPORT || e === DIAGNOSTIC_REQUEST)).toEqual([]);

      await page.start(['devtools']);
      await clock.advanceAsync(1000);
      const text = page.module('devtools').text();
      expect(text).toMatch(/background \(host\)\nlive\nepoch \S+ · version 1 · unsaved 0 · applied 1 · refused 1/);
      expect(text).toMatch(/feed-a\nlive\nepoch \S+ · version 1 · pending 0 · resyncs 0 · bytes\/msg \d+/);
      expect(text).toMatch(/feed-b\nlive\nepoch \S+ · version 1/);
      expect(text).toMatch(/Last actions\nfail\nrefused ACTION_FAILED\nby feed-a · latency \d+ ms · bytes \d+\nadd\nsaved\nby feed-a/);
      expect(events).toContain(DIAGNOSTIC_REPORT);

      // Closing the panel stops the questions, and the answers.
      page.stop('devtools');
      const asked = events.length;
      await clock.advanceAsync(3000);
      expect(events.slice(asked).filter((e) => e === DIAGNOSTIC_REPORT || e === DIAGNOSTIC_REQUEST)).toEqual([]);
    } finally {
      page.close();
    }
  });
});
