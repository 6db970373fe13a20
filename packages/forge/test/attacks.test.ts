// Attacks on what startHost adds to the core host on Forge (issue 18): the Realtime revision hint.
// Since #17.2 only the resolver can publish on a document's channel (pages hold subscribe-only
// tokens; a page's publish is refused, test/changes.test.ts), and a change is applied only on
// exactly the page's revision. What the gate still bounds: messages that only name a revision
// (a change too large to publish whole), whoever made them — here injected at the platform.
import { createRandom } from '@bgstore/emulator';
import { RESOLVER_FUNCTIONS } from '@bgstore/protocol';
import { feed, host, setup } from './harness';

const seed = Number(process.env.BGSTORE_SEED ?? 18);

describe('#18 Realtime hint (seed in each name; BGSTORE_SEED to change it)', () => {
  it(`#18.5 a storm of forged hints costs a page at most one check a second, fewer as they keep proving false, and nothing at or below its revision (seed ${seed})`, async () => {
    const t = setup(seed, false, { revisionCheckMs: 60_000, realtimeHint: true });
    const random = createRandom(seed);
    // A check is a load that names the page's revision (the changes since it).
    const isCheck = (c: { key: string; payload: unknown }) => c.key === `alice ${RESOLVER_FUNCTIONS.load}` && (c.payload as { since?: unknown }).since !== undefined;
    const checks = () => t.invoked.filter(isCheck).length;
    const channel = (await t.stored({ realtime: true })).realtime!.channel;
    const forge = (revision: unknown) => t.site.realtime.publish(`${t.site.installationId}|global`, channel, { v: 1, store: 'board', base: 0, revision });
    try {
      const alice = t.open('alice');
      await alice.start();
      const added = feed(alice).actions.add('c1', 'real');
      await t.clock.advanceAsync(3000); // stored, and past the check a host makes 2 s after loading
      await added;
      const revision = host(alice).stats().durable!.revision;
      expect(revision).toBe(1);

      // 500 hints in 10 s at or below the page's revision, or not revisions at all: no check.
      const before = checks();
      for (let i = 0; i < 500; i++) {
        forge([revision, 0, -1, '99', null, Number.NaN][random.int(0, 5)]);
        await t.clock.advanceAsync(20);
      }
      expect(checks() - before).toBe(0);

      // 50 hints a second above it, every one false: at most one check a second, and backing off.
      const start = t.clock.now();
      for (let i = 0; i < 1000; i++) {
        forge(revision + random.int(1, 1_000_000));
        await t.clock.advanceAsync(20);
      }
      const at = t.invoked.filter((c) => isCheck(c) && c.at >= start).map((c) => c.at - start);
      process.stdout.write(`#18.5 1,000 false hints in 20 s (seed ${seed}): checks at ${at.join(', ')} ms\n`);
      const gaps = at.slice(1).map((a, i) => a - at[i]!);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1000);
      expect(at.filter((a) => a <= 10_000).length).toBeLessThanOrEqual(5);
      expect(at.filter((a) => a > 10_000).length).toBeLessThanOrEqual(1);
      expect(host(alice).stats().durable!.revision).toBe(revision);

      // The storm stops; another user's real change still arrives (its hint waits out the backoff),
      // and a hint that proves true brings the next one at once again.
      const bob = t.open('bob');
      await bob.start();
      const fromBob = feed(bob).actions.add('c2', 'from bob');
      await t.clock.advanceAsync(1000);
      await fromBob;
      await t.clock.advanceAsync(30_000);
      expect(feed(alice).getState().cards.map((c) => c.id)).toEqual(['c1', 'c2']);
      const again = feed(bob).actions.add('c3', 'again');
      await t.clock.advanceAsync(1500);
      await again;
      expect(feed(alice).getState().cards.map((c) => c.id)).toEqual(['c1', 'c2', 'c3']);
    } finally {
      t.close();
    }
  }, 60_000);
});

describe('#18 found by reading', () => {
  it('#18 createInvokePersistence sends each batch\'s floors to the resolver, so storage learns a client\'s floor', async () => {
    const t = setup(seed, false);
    try {
      const page = t.open('alice');
      await page.start();
      await t.clock.advanceAsync(500);
      const first = feed(page).actions.add('c1', 'one');
      await t.clock.advanceAsync(1000);
      await first;
      const second = feed(page).actions.add('c2', 'two');
      await t.clock.advanceAsync(1000);
      await second;
      const commits = t.invoked.filter((c) => c.key === `alice ${RESOLVER_FUNCTIONS.commit}`).map((c) => c.payload as { floors?: [string, number][] });
      expect(commits).toHaveLength(2);
      expect(commits[1]!.floors).toEqual([[feed(page).clientId, 1]]);
    } finally {
      t.close();
    }
  });
});
