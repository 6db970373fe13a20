import { createHost, createMemoryPersistence, createReplica, type LoadedChanges, type LoadedDoc, type Persistence } from '.';
import { board } from '../test/board';
import { createWorld } from '../test/world';

// #17.2 a host moves its durable base by patches: changes that arrive without asking
// (`receiveChange`), and checks that answer only the changes since (`Persistence.sync`).

type State = (typeof board)['initialState'];
const card = (id: string) => ({ id, title: id, done: false });

function setup(sync?: (revision: number) => Promise<LoadedChanges | LoadedDoc<State>>) {
  const w = createWorld();
  const memory = createMemoryPersistence(board);
  const asked: string[] = [];
  const persistence: Persistence<State> = {
    load: () => (asked.push('load'), memory.load()),
    commit: (batch) => memory.commit(batch),
    revision: () => (asked.push('revision'), memory.revision!()),
    ...(sync ? { sync: (revision: number) => (asked.push(`sync ${revision}`), sync(revision)) } : {}),
  };
  const warnings: string[] = [];
  const host = createHost(board, { transport: w.transport('bg'), clock: w.clock, persistence, revisionCheckMs: 60_000, flushDelayMs: 1000, logger: { warn: (m) => warnings.push(m) } });
  const feed = createReplica(board, { transport: w.transport('feed'), clock: w.clock });
  return { w, host, feed, asked, warnings };
}

describe('#17.2 Host.receiveChange', () => {
  it('applies a change on exactly its durable revision, rebasing unsaved actions on top, without asking storage', async () => {
    const t = setup();
    await t.host.ready;
    await t.w.run(3000);
    t.asked.length = 0;
    await t.host.actions.add('mine', 'mine').applied;
    t.host.receiveChange({ base: 0, revision: 1, patches: [{ op: 'add', path: ['cards', 0], value: card('theirs') }] });
    await t.w.run(100);
    expect(t.host.stats().durable).toMatchObject({ revision: 1, unsaved: 1 });
    expect(t.feed.getState().cards.map((c) => c.id)).toEqual(['theirs', 'mine']);
    expect(t.asked).toEqual([]);
  });

  it('checks storage instead when the change is on another revision, has no patches, or does not apply; ignores one it has', async () => {
    const t = setup();
    await t.host.ready;
    await t.w.run(3000);
    t.asked.length = 0;
    t.host.receiveChange({ base: 4, revision: 5, patches: [] });
    await t.w.run(100);
    t.host.receiveChange({ base: 0, revision: 1 });
    await t.w.run(500);
    t.host.receiveChange({ base: 0, revision: 1, patches: [{ op: 'replace', path: ['nothing', 'here'], value: 1 }] });
    await t.w.run(500);
    expect(t.asked).toEqual(['revision', 'revision', 'revision']);
    expect(t.warnings).toEqual([expect.stringContaining('a change to revision 1 did not apply')]);
    expect(t.host.getState().cards).toEqual([]);
    t.host.receiveChange({ base: -1, revision: 0, patches: [{ op: 'replace', path: ['count'], value: 9 }] });
    await t.w.run(500);
    expect(t.asked).toHaveLength(3);
    expect(t.host.getState().count).toBe(0);
  });
});

describe('#17.2 Persistence.sync', () => {
  it('a check that finds changes applies their patches: one call, no whole reload', async () => {
    let answer: LoadedChanges = { since: 0, revision: 0, patches: [] };
    const t = setup(async () => answer);
    await t.host.ready;
    await t.w.run(3000);
    answer = { since: 0, revision: 2, patches: [{ op: 'add', path: ['cards', 0], value: card('a') }, { op: 'replace', path: ['count'], value: 1 }] };
    t.host.checkRevision();
    await t.w.run(100);
    expect(t.asked).toEqual(['load', 'sync 0', 'sync 0']);
    expect(t.host.stats().durable?.revision).toBe(2);
    expect(t.feed.getState()).toMatchObject({ count: 1, cards: [card('a')] });
  });

  it('loads the whole document when the changes do not apply to its state', async () => {
    let answer: LoadedChanges = { since: 0, revision: 0, patches: [] };
    const t = setup(async () => answer);
    await t.host.ready;
    await t.w.run(3000);
    answer = { since: 0, revision: 3, patches: [{ op: 'replace', path: ['missing', 'deep'], value: 1 }] };
    t.host.checkRevision();
    await t.w.run(100);
    expect(t.asked.slice(-2)).toEqual(['sync 0', 'load']);
    expect(t.warnings).toEqual([expect.stringContaining('a change to revision 3 did not apply')]);
  });
});
