import { createManualClock } from '@bgstore/emulator';
import { createHost, createMemoryPersistence, type Persistence } from '.';
import { board } from '../test/board';

// #17 commits that batch under load: while others commit in between, a host widens the gap between
// its commits (up to maxCommitGapMs) so each carries more actions; alone, it commits at once again.

type State = (typeof board)['initialState'];
const noTransport = { emit: () => undefined, on: () => () => undefined };

function setup(maxCommitGapMs?: number, gapMs?: number) {
  const clock = createManualClock();
  const memory = createMemoryPersistence(board, { now: () => clock.now() });
  const after = (ms: number) => new Promise<void>((resolve) => void clock.setTimeout(resolve, ms));
  const sent: Record<string, number[]> = {};
  // Storage takes 100 ms to answer a commit; each host's commits are timed.
  const persistence = (name: string): Persistence<State> => ({
    load: () => memory.load(),
    revision: () => memory.revision!(),
    async commit(batch) {
      (sent[name] ??= []).push(clock.now());
      await after(100);
      const result = await memory.commit(batch);
      // A storage whose quota allows more commits says so with its answer (#19).
      return gapMs === undefined ? result : { ...result, gapMs };
    },
  });
  const open = (name: string) => createHost(board, { transport: noTransport, clock, persistence: persistence(name), flushDelayMs: 50, revisionCheckMs: 0, heartbeatMs: 60_000, ...(maxCommitGapMs === undefined ? {} : { maxCommitGapMs }) });
  return { clock, memory, sent, open };
}

/** Two hosts each act every 100 ms for `seconds`; answers how many actions each made and what it took to save them. */
async function writeTogether(t: ReturnType<typeof setup>, seconds: number) {
  const [a, b] = [t.open('a'), t.open('b')];
  await t.clock.advanceAsync(100);
  await Promise.all([a.ready, b.ready]);
  const settled: Promise<unknown>[] = [];
  for (let k = 0; k < seconds * 10; k++) {
    settled.push(a.actions.add(`a${k}`, 'a'), b.actions.add(`b${k}`, 'b'));
    await t.clock.advanceAsync(100);
  }
  await t.clock.advanceAsync(5000);
  await Promise.all(settled);
  return { a, b, actions: seconds * 10 };
}

describe('#17 commits that batch under load', () => {
  it('#17 a writer under contention widens its commits and loses nothing', async () => {
    const t = setup();
    const { a, actions } = await writeTogether(t, 10);
    // Every action stored exactly once, in the stored document.
    const stored = t.memory.peek().state.cards.map((c) => c.id);
    expect(stored).toHaveLength(2 * actions);
    expect(new Set(stored).size).toBe(2 * actions);
    // Over the last 5 s each host committed about every 2 s (it would be every ~150 ms alone).
    const late = (name: string) => t.sent[name]!.filter((at) => at >= t.sent[name]![0]! + 5000 && at < t.sent[name]![0]! + 10_000);
    for (const name of ['a', 'b']) {
      expect(late(name).length).toBeLessThanOrEqual(4);
      const gaps = late(name).slice(1).map((at, i) => at - late(name)[i]!);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1900);
    }
    expect(a.stats().durable).toMatchObject({ unsaved: 0, saving: false, error: null });

    // Alone again: after a few quiet commits the gap closes, and an action is saved within ~150 ms.
    let took = Infinity;
    for (let k = 0; k < 6; k++) {
      const at = t.clock.now();
      const saved = a.actions.add(`alone${k}`, 'alone').then(() => (took = t.clock.now() - at));
      await t.clock.advanceAsync(3000);
      await saved;
    }
    expect(took).toBeLessThanOrEqual(200);
  });

  it('#19 a host widens its gap only as far as storage’s answer asks, when that is narrower', async () => {
    const t = setup(undefined, 600);
    const { actions } = await writeTogether(t, 10);
    expect(t.memory.peek().state.cards).toHaveLength(2 * actions);
    // Over the last 5 s each host committed about every 600 ms: more often than the 2 s default, never closer than asked.
    for (const name of ['a', 'b']) {
      const late = t.sent[name]!.filter((at) => at >= t.sent[name]![0]! + 5000 && at < t.sent[name]![0]! + 10_000);
      expect(late.length).toBeGreaterThanOrEqual(7);
      const gaps = late.slice(1).map((at, i) => at - late[i]!);
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(550);
    }
  });

  it('#19 a gap storage asks for that is wider than maxCommitGapMs is not taken', async () => {
    const t = setup(1000, 5000);
    await writeTogether(t, 6);
    const late = t.sent.a!.filter((at) => at >= t.sent.a![0]! + 2000 && at < t.sent.a![0]! + 6000);
    // About one commit a second (the host's own ceiling), not one in 5 s.
    expect(late.length).toBeGreaterThanOrEqual(3);
    expect(t.memory.peek().state.cards).toHaveLength(120);
  });

  it('#17 maxCommitGapMs 0 commits as soon as the last commit answered, whoever else writes', async () => {
    const t = setup(0);
    await writeTogether(t, 3);
    // About one commit per 150 ms (50 ms debounce + 100 ms answer) each: far more than with the gap.
    expect(t.sent.a!.length).toBeGreaterThan(15);
    expect(t.memory.peek().state.cards).toHaveLength(60);
  });
});
