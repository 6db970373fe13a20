// #21 held actions: `optimistic: { reset: false }` keeps an action the server policy may refuse off
// every module until storage has accepted it; the calling module sees it in `sync.calls`.
import { createHost, createMemoryPersistence, createReplica, defineStore, type Persistence, type Replica } from './index';
import { heldPoll as poll, onlyAdminsReset, policedStorage, type Poll } from '../test/heldPoll';
import { createWorld } from '../test/world';

/** A page: its background script (as bob) and two modules, every state each shows recorded. */
async function page(persistence?: Persistence<Poll>) {
  const w = createWorld();
  const caller = { accountId: 'bob' };
  const host = createHost(poll, { transport: w.transport('bg'), clock: w.clock, persistence, caller });
  const feed = createReplica(poll, { transport: w.transport('feed'), clock: w.clock, caller });
  const byline = createReplica(poll, { transport: w.transport('byline'), clock: w.clock, caller });
  const seen: Record<string, Poll[]> = { host: [], feed: [], byline: [] };
  host.subscribe((s) => void seen.host!.push(s));
  for (const [name, r] of [['feed', feed], ['byline', byline]] as const) r.subscribe((s) => void seen[name]!.push(s));
  await w.run(1000);
  const close = () => [host, feed, byline].forEach((p) => p.close());
  /** Lets the page run until `call` settles (storage answers after the host's 200 ms batching delay). */
  const done = async (call: Promise<void>) => {
    await w.run(1000);
    return call;
  };
  return { w, host, feed, byline, seen, close, done };
}

const heldCalls = (r: Replica<Poll, typeof poll.actions>) => r.sync.getState().calls.filter((c) => c.held).map((c) => c.name);

describe('#21 held actions (optimistic: { reset: false })', () => {
  it('#21 a held reset by a non-admin never shows on any module', async () => {
    const p = await page(policedStorage(onlyAdminsReset));
    await p.done(p.feed.actions.vote('Tea'));
    await p.w.run(1000);
    for (const list of Object.values(p.seen)) list.length = 0;
    const reset = p.feed.actions.reset();
    const outcome = reset.then(() => 'saved', (e: { code: string }) => e.code);
    const applied = reset.applied.then(() => 'applied', (e: { code: string }) => e.code);
    await p.w.run(0);
    // Pending on the module that called it, and nowhere in any state.
    expect(heldCalls(p.feed)).toEqual(['reset']);
    await p.w.run(2000);
    expect(await outcome).toBe('UNAUTHORIZED');
    expect(await applied).toBe('UNAUTHORIZED');
    expect(p.feed.sync.getState().lastError?.message).toContain('only poll admins reset the poll');
    for (const [who, states] of Object.entries(p.seen)) expect({ who, shown: states.filter((s) => Object.keys(s.votes).length === 0) }).toEqual({ who, shown: [] });
    for (const s of [p.host.getState(), p.feed.getState(), p.byline.getState()]) expect(s.votes).toEqual({ bob: 'Tea' });
    expect(p.feed.sync.getState().calls).toEqual([]);
    p.close();
  });

  it('#21 a held action shows as pending and then applies once stored', async () => {
    const persistence = createMemoryPersistence(poll);
    const p = await page(persistence);
    await p.done(p.feed.actions.vote('Tea'));
    let applied = false;
    const reset = p.feed.actions.reset();
    void reset.applied.then(() => (applied = true));
    await p.w.run(50);
    // The host queued it for storage (flushDelayMs is 200): no module shows it, the caller sees it pending.
    expect(p.feed.sync.getState().calls).toMatchObject([{ name: 'reset', args: [], held: true, stage: 'applied' }]);
    expect(applied).toBe(false);
    for (const s of [p.host.getState(), p.feed.getState(), p.byline.getState()]) expect(s.votes).toEqual({ bob: 'Tea' });
    await p.w.run(1000);
    await reset;
    expect(applied).toBe(true);
    expect(persistence.peek().state.votes).toEqual({});
    for (const s of [p.host.getState(), p.feed.getState(), p.byline.getState()]) expect(s.votes).toEqual({});
    expect(p.feed.sync.getState().calls).toEqual([]);
    p.close();
  });

  it('#21 optimistic calls after a held one show at once, and the stored order wins once it is stored', async () => {
    const persistence = policedStorage(() => true, { votes: { alice: 'Water' } });
    const p = await page(persistence);
    expect(p.byline.getState().votes).toEqual({ alice: 'Water' });
    const reset = p.feed.actions.reset();
    const vote = p.feed.actions.vote('Coffee');
    // The vote shows at once, the reset before it does not (yet): alice's vote is still there.
    expect(p.feed.getState().votes).toEqual({ alice: 'Water', bob: 'Coffee' });
    await p.w.run(100);
    expect(p.byline.getState().votes).toEqual({ alice: 'Water', bob: 'Coffee' });
    await p.done(Promise.all([reset, vote]).then(() => undefined));
    // Stored in the order called: the reset, then the vote.
    expect(persistence.state().votes).toEqual({ bob: 'Coffee' });
    for (const s of [p.host.getState(), p.feed.getState(), p.byline.getState()]) expect(s.votes).toEqual({ bob: 'Coffee' });
    p.close();
  });

  it("#21 the background script's own held call changes its state only once stored", async () => {
    const p = await page(policedStorage(onlyAdminsReset));
    await p.done(p.host.actions.vote('Tea'));
    const reset = p.host.actions.reset();
    const outcome = reset.then(() => 'saved', (e: { code: string }) => e.code);
    let applied = false;
    void reset.applied.then(() => (applied = true), () => undefined);
    await p.w.run(50);
    expect(applied).toBe(false);
    expect(p.host.getState().votes).toEqual({ bob: 'Tea' });
    await p.w.run(1000);
    expect(await outcome).toBe('UNAUTHORIZED');
    expect(p.seen.host!.some((s) => Object.keys(s.votes).length === 0)).toBe(false);
    p.close();
  });

  it('#21 with a host that keeps its state in memory only, a held call shows once the host applied it', async () => {
    const p = await page();
    await p.done(p.feed.actions.vote('Tea'));
    const reset = p.feed.actions.reset();
    expect(p.feed.getState().votes).toEqual({ bob: 'Tea' });
    await p.done(reset);
    for (const s of [p.host.getState(), p.feed.getState(), p.byline.getState()]) expect(s.votes).toEqual({});
    p.close();
  });

  it('#21 sync.calls lists unsettled calls, keeping the array while nothing changes', async () => {
    const p = await page(createMemoryPersistence(poll));
    const before = p.feed.sync.getState().calls;
    expect(before).toEqual([]);
    const vote = p.feed.actions.vote('Tea');
    const listed = p.feed.sync.getState().calls;
    expect(listed).toEqual([{ seq: 1, name: 'vote', args: ['Tea'], stage: 'queued', held: false }]);
    expect(p.feed.sync.getState().pending).toBe(1);
    await p.w.run(0);
    const applied = p.feed.sync.getState().calls;
    expect(applied[0]!.stage).toBe('applied');
    await p.w.run(50);
    // Beats and status changes meanwhile: the same array, so a selector over it does not re-render.
    expect(p.feed.sync.getState().calls).toBe(applied);
    expect(listed).not.toBe(applied);
    await p.done(vote);
    expect(p.feed.sync.getState().calls).toEqual([]);
    p.close();
  });

  it('#21 defineStore refuses an optimistic entry that names no action, or is not a boolean; held actions are part of the build', () => {
    const base = { name: 'p', initialState: {}, actions: { reset: () => undefined } };
    expect(() => defineStore({ ...base, optimistic: { rest: false } as never })).toThrow("[bgstore] store 'p': optimistic names 'rest', which is not one of its actions (reset)");
    expect(() => defineStore({ ...base, optimistic: { reset: 'no' } as never })).toThrow('[bgstore] store \'p\': optimistic.reset must be true or false');
    expect(defineStore({ ...base, optimistic: { reset: true } }).fingerprint).toBe(defineStore(base).fingerprint);
    expect(defineStore({ ...base, optimistic: { reset: false } }).fingerprint).not.toBe(defineStore(base).fingerprint);
  });
});
