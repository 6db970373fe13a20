import { createManualClock, createPage, createSite, type Page } from '@bgstore/emulator';
import { createNodeRealm } from '@bgstore/emulator/node';
import { createMemoryPersistence, type Host, type Replica } from '@bgstore/core';
import { board } from './modules/store';

// Recovery of a replica that missed a patch, with the defaults an app gets from startHost and
// connect (issue #14 §2).
type Board = typeof board;
const BG = require.resolve('./modules/background.ts');
const FEED = require.resolve('./modules/feed.ts');

async function setup() {
  const clock = createManualClock();
  const site = createSite({ clock, seed: 1 });
  const persistence = createMemoryPersistence(board);
  // The app's defaults: heartbeat 2 s, flush after 200 ms.
  const hostOptions = { heartbeatMs: 2000, flushDelayMs: 200 };
  const page: Page = createPage({
    site,
    realm: createNodeRealm,
    modules: [
      { key: 'bg', type: 'confluence:backgroundScript', entry: BG, globals: { __persistence: persistence, __hostOptions: hostOptions } },
      { key: 'feed', type: 'confluence:homepageFeed', entry: FEED },
      { key: 'byline', type: 'confluence:contentBylineItem', entry: FEED },
    ],
  });
  await page.start();
  await clock.advanceAsync(3000);
  const host = (page.module('bg').exports as { host: Host<Board['initialState'], Board['actions']> }).host;
  const byline = (page.module('byline').exports as { replica: Replica<Board['initialState'], Board['actions']> }).replica;
  return { page, clock, host, byline };
}

describe('recovery of a missed patch (#14)', () => {
  it('repairs a missed patch by the next heartbeat on a quiet bus', async () => {
    const { page, clock, host, byline } = await setup();
    try {
      page.setEventFaults({ links: { 'bg->byline': { drop: 1 } } });
      await host.actions.add('c1', 'lost on the way to the byline').applied;
      page.setEventFaults(undefined);
      await clock.advanceAsync(2500);
      expect(byline.sync.getState().version).toBe(host.version());
    } finally {
      page.close();
    }
  });

  // After a commit the host broadcasts a `status` that carries its version; sending it counts as
  // traffic, so the heartbeat waits another 2 s. The replica reads the version in the status.
  it('repairs a missed patch once the post-commit status tells the version', async () => {
    const { page, clock, host, byline } = await setup();
    try {
      page.setEventFaults({ links: { 'bg->byline': { drop: 1 } } });
      await host.actions.add('c1', 'lost on the way to the byline').applied;
      page.setEventFaults(undefined);
      await clock.advanceAsync(1000);
      expect(byline.sync.getState().version).toBe(host.version());
    } finally {
      page.close();
    }
  });
});
