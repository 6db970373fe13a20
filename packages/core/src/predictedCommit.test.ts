import { createHost, defineStore, type CommitBatch, type CommitResult, type Persistence } from '.';
import { createWorld } from '../test/world';

// #20 host actions near the floor: a commit storage answers as the host predicted (every intent
// applied on the host's own base) makes the host's state at the time it took the batch its new
// durable base. The actions do not run again on the host; the base stays exact for what follows
// (a change from another page rebases on it, unsaved actions replayed on top).

type State = { log: string[] };

/** A store whose recipe counts its runs on this page (storage below runs nothing). */
function countingStore() {
  const runs = { n: 0 };
  const store = defineStore({
    name: 'counted',
    initialState: { log: [] } as State,
    actions: {
      add: (draft, entry: string) => {
        runs.n++;
        draft.log.push(entry);
      },
    },
  });
  return { store, runs };
}

/** Storage that accepts every intent on the host's base; commits wait for `answer()` when held. */
function acceptingStorage(initial: State) {
  const held: (() => void)[] = [];
  let holding = false;
  const accept = (batch: CommitBatch): CommitResult<State> => ({ revision: batch.baseRevision + 1, outcomes: batch.intents.map((i) => ({ clientId: i.clientId, seq: i.seq, ok: true as const })) });
  const persistence: Persistence<State> = {
    load: async () => ({ revision: 0, state: initial, clients: {} }),
    commit: (batch) => (holding ? new Promise((resolve) => held.push(() => resolve(accept(batch)))) : Promise.resolve(accept(batch))),
  };
  return {
    persistence,
    hold: () => void (holding = true),
    answer: () => {
      holding = false;
      for (const release of held.splice(0)) release();
    },
  };
}

function setup() {
  const w = createWorld();
  const { store, runs } = countingStore();
  const storage = acceptingStorage(store.initialState);
  const host = createHost(store, { transport: w.transport('bg'), clock: w.clock, persistence: storage.persistence, flushDelayMs: 100, revisionCheckMs: 0 });
  return { w, host, runs, storage };
}

describe('#20 a predicted commit', () => {
  it('runs each action once on the host: the commit does not replay the batch', async () => {
    const { w, host, runs } = setup();
    await host.ready;
    const calls = ['a', 'b', 'c'].map((e) => host.actions.add(e));
    await w.run(200);
    await Promise.all(calls);
    expect(host.stats().durable).toMatchObject({ revision: 1, unsaved: 0, error: null });
    expect(runs.n).toBe(3);
  });

  it('takes the state of when the batch left as its base: an action made meanwhile stays unsaved on top of it', async () => {
    const { w, host, storage } = setup();
    await host.ready;
    const first = host.actions.add('first');
    storage.hold();
    await w.run(200);
    // The batch with `first` is in flight; `second` comes after it was taken.
    const second = host.actions.add('second');
    storage.answer();
    await first;
    expect(host.stats().durable).toMatchObject({ revision: 1, unsaved: 1 });
    // Another page's change on revision 1: the host rebases on its durable base plus the change,
    // then replays `second`. Had the base included `second`, it would show twice or out of order.
    host.receiveChange({ base: 1, revision: 2, patches: [{ op: 'add', path: ['log', 1], value: 'theirs' }] });
    expect(host.getState().log).toEqual(['first', 'theirs', 'second']);
    await w.run(200);
    await second;
    expect(host.stats().durable).toMatchObject({ revision: 3, unsaved: 0 });
    expect(host.getState().log).toEqual(['first', 'theirs', 'second']);
  });
});
