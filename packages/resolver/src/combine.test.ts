import { defineStore } from '@bgstore/core';
import { createManualClock } from '@bgstore/emulator';
import { RESOLVER_FUNCTIONS as F } from '@bgstore/protocol';
import { advanceUntil, createBackend, intent, stateAfter } from '../test/harness';
import type { StoreContext, StoreIntent } from '.';

// Combined commits: a batch whose commit lost the race waits in the document's inbox, and the next
// commit to win applies it too — with the policy of the caller who sent it, not the winner's.
const board = defineStore({
  name: 'board',
  initialState: { cards: [] as { id: string; title: string }[] },
  actions: {
    add: (draft, id: string) => void draft.cards.push({ id, title: id }),
    rename: (draft, id: string, title: string) => {
      const card = draft.cards.find((c) => c.id === id);
      if (card) card.title = title;
    },
  },
});
// Only user-b may rename.
const policies = { board: { authorize: (context: StoreContext, i: StoreIntent) => (i.name !== 'rename' || context.accountId === 'user-b' ? true : 'only b renames') } };

type Board = (typeof board)['initialState'];
const inboxKeys = (kvs: ReturnType<typeof createBackend>['kvs']) => Object.keys(kvs.dump().kv ?? {}).filter((k) => k.includes(':in:'));

describe('combined commits', () => {
  it('has the next winning commit apply a batch that lost the race, once, with its own caller’s policy', async () => {
    // The retry waits run on the emulator's clock: how busy the machine is changes nothing.
    const clock = createManualClock(1_000_000);
    const { call, kvs } = createBackend([board], { retryDelayMs: 20, policies, clock });
    await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('tab-b', 1, 'add', 'c1')] });
    const { doc } = (await call(F.load, { store: 'board' })) as { doc: string };
    // A's own transactions keep losing until B has committed.
    let bDone = false;
    kvs.setFaults(({ path, body }) => {
      const text = JSON.stringify(body);
      return path === '/api/v1/transaction' && !bDone && text.includes('a1') && !text.includes('b1') ? { status: 400, code: 'CONDITIONAL_CHECK_FAILED', message: 'lost' } : undefined;
    });
    const a = call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab-a', 1, 'add', 'a1'), intent('tab-a', 2, 'rename', 'c1', 'by a')] }, { accountId: 'user-a' });
    await advanceUntil(clock, () => inboxKeys(kvs).length > 0, "a's lost race puts its batch in the inbox");
    expect(inboxKeys(kvs)).toHaveLength(1);

    const b = await call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab-b', 2, 'add', 'b1')], patches: true, doc }, { accountId: 'user-b' });
    bDone = true;
    // B's commit carried A's batch: its answer has the state with A's card, B's own outcome only.
    expect(b).toMatchObject({ revision: 2, outcomes: [{ clientId: 'tab-b', seq: 2, ok: true }] });
    // What B lacks comes as patches on its base (revision 1), not as the whole state.
    expect(b).not.toHaveProperty('state');
    expect(stateAfter({ cards: [{ id: 'c1', title: 'c1' }] }, b)).toEqual({ cards: [{ id: 'c1', title: 'c1' }, { id: 'a1', title: 'a1' }, { id: 'b1', title: 'b1' }] });
    expect(inboxKeys(kvs)).toEqual([]);
    // A learns its intents are stored, as they were decided for A: the rename refused.
    let answerA: unknown;
    void a.then((answer) => (answerA = answer));
    await advanceUntil(clock, () => answerA !== undefined, 'a learns its intents are stored');
    expect(answerA).toMatchObject({
      revision: 2,
      outcomes: [
        { clientId: 'tab-a', seq: 1, ok: true, duplicate: true },
        { clientId: 'tab-a', seq: 2, ok: false, code: 'UNAUTHORIZED', duplicate: true },
      ],
    });
    const loaded = (await call(F.load, { store: 'board' })) as { revision: number; state: Board };
    expect(loaded).toMatchObject({ revision: 2, state: { cards: [{ id: 'c1', title: 'c1' }, { id: 'a1' }, { id: 'b1' }] } });
  });

  it('writes nothing to the inbox when no race is lost', async () => {
    const { call, kvs } = createBackend([board], { policies });
    await call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('tab', 1, 'add', 'c1')] });
    kvs.resetStats();
    await call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab', 2, 'add', 'c2')] });
    expect(kvs.stats().writes).toBe(1);
    expect(inboxKeys(kvs)).toEqual([]);
  });
});
