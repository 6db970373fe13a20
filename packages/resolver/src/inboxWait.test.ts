import { defineStore } from '@bgstore/core';
import { RESOLVER_FUNCTIONS as F } from '@bgstore/protocol';
import { createKvsFetch, createManualClock } from '@bgstore/emulator';
import { DOC_ENTITY_DECLARATION } from '.';
import { createBackend, intent } from '../test/harness';
import { unpackText } from './kvs/pieces';

// A batch that lost the race waits in the inbox (#17): it costs one post and then one read of the
// document per check, the oldest waiting batch leads instead of every poster racing, an instance that
// saw the document contended posts first, and once the contention passes commits stop reading the
// inbox. All time is the emulator's clock; the default retryDelayMs (50 ms: slots of 400 ms).
const board = defineStore({
  name: 'board',
  initialState: { cards: [] as string[] },
  actions: { add: (draft, id: string) => void draft.cards.push(id) },
});
type Board = (typeof board)['initialState'];

/** A backend on a manual clock whose time is 100 ms into a 300 ms slot, so batches posted now are not eager. */
function backend() {
  const clock = createManualClock(1_000_100);
  const kvs = createKvsFetch({ clock, entities: [DOC_ENTITY_DECLARATION as never] });
  const { call } = createBackend([board], { kvs, clock });
  // Every KVS request, in order, as path and key (transactions: whether they carried each card).
  const log: string[] = [];
  let losing: string | undefined;
  kvs.setFaults(({ path, body }) => {
    const text = JSON.stringify(body, (k, v: unknown) => (typeof v === 'string' && v.startsWith('\u0001') ? unpackText(v, k) : v));
    log.push(`${path}${text.includes(':in:') ? ' inbox' : ''}`);
    // The transactions of `losing`'s card, unless another's commit carries it, lose the race.
    return losing && path === '/api/v1/transaction' && text.includes(losing) && !text.includes('card-b') ? { status: 400, code: 'CONDITIONAL_CHECK_FAILED', message: 'lost' } : undefined;
  });
  const inboxKeys = () => Object.keys(kvs.dump().kv ?? {}).filter((k) => k.includes(':in:'));
  /** Advances the clock in small steps until `done`, at most `ms`. */
  const until = async (done: () => boolean, ms = 5_000) => {
    for (let t = 0; t < ms && !done(); t += 5) await clock.advanceAsync(5);
    expect(done()).toBe(true);
  };
  const settle = <T>(promise: Promise<T>) => {
    const box: { value?: T } = {};
    void promise.then((value) => (box.value = value));
    return box;
  };
  /** A call's answer, the clock moving meanwhile (a publish or a wait may run on it). */
  const settleNow = async <T>(promise: Promise<T>) => {
    const box = settle(promise);
    await until(() => box.value !== undefined);
    return box.value as T;
  };
  return { call, clock, kvs, log, inboxKeys, until, settle, settleNow, lose: (card: string | undefined) => void (losing = card) };
}

/** A backend whose document is at revision 2 from a combined commit: A lost its race and waited, B's commit carried it (the head then says the document is contended). */
async function contended() {
  const b = backend();
  await b.settleNow(b.call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('setup', 1, 'add', 'c1')] }));
  b.lose('card-a');
  const a = b.settle(b.call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab-a', 1, 'add', 'card-a')] }, { accountId: 'user-a' }));
  await b.until(() => b.inboxKeys().length === 1, 100);
  await b.call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab-b', 1, 'add', 'card-b')] }, { accountId: 'user-b' });
  await b.until(() => a.value !== undefined);
  b.lose(undefined);
  return b;
}

describe('a batch waiting in the inbox (#17)', () => {
  it('#17 a posted batch is answered from one read of the document once another commit stored it: no inbox read, no transaction', async () => {
    const b = backend();
    await b.settleNow(b.call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('setup', 1, 'add', 'c1')] }));
    b.lose('card-a');
    const a = b.settle(b.call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab-a', 1, 'add', 'card-a')] }, { accountId: 'user-a' }));
    await b.until(() => b.inboxKeys().length === 1, 100);
    // Another user commits before A's first check: it reads the inbox (someone else wrote lately) and carries A.
    const other = await b.call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab-b', 1, 'add', 'card-b')] }, { accountId: 'user-b' });
    expect(other).toMatchObject({ revision: 2, outcomes: [{ ok: true }] });
    expect(b.inboxKeys()).toEqual([]);
    b.log.length = 0;
    await b.until(() => a.value !== undefined);
    expect(a.value).toMatchObject({ revision: 2, outcomes: [{ clientId: 'tab-a', seq: 1, ok: true, duplicate: true }] });
    // A's whole wait after B's commit: one read of the document's head.
    expect(b.log).toEqual(['/api/v1/entity/get']);
    const loaded = (await b.call(F.load, { store: 'board' })) as { state: Board };
    // The carried batch first, then B's own.
    expect(loaded.state.cards).toEqual(['c1', 'card-a', 'card-b']);
  });

  it('#17 of two waiting batches the older leads and carries the younger, which waits instead of racing it', async () => {
    const b = backend();
    await b.settleNow(b.call(F.commit, { store: 'board', baseRevision: 0, intents: [intent('setup', 1, 'add', 'c1')] }));
    // Both lose their first race (to nobody: storage says so), and post.
    b.lose('xcard');
    const a = b.settle(b.call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab-a', 1, 'add', 'xcard-a')] }, { accountId: 'user-a' }));
    await b.until(() => b.inboxKeys().length === 1, 100);
    await b.clock.advanceAsync(10);
    const c = b.settle(b.call(F.commit, { store: 'board', baseRevision: 1, intents: [intent('tab-c', 1, 'add', 'xcard-c')] }, { accountId: 'user-c' }));
    await b.until(() => b.inboxKeys().length === 2, 100);
    b.lose(undefined);
    b.log.length = 0;
    await b.until(() => a.value !== undefined && c.value !== undefined);
    expect(a.value).toMatchObject({ revision: 2, outcomes: [{ ok: true }] });
    expect(c.value).toMatchObject({ revision: 2, outcomes: [{ ok: true, duplicate: true }] });
    // One commit stored both; no transaction lost, nothing posted again, nothing left waiting.
    expect(b.log.filter((p) => p.startsWith('/api/v1/transaction'))).toHaveLength(1);
    expect(b.log.filter((p) => p.startsWith('/api/v1/set'))).toEqual([]);
    expect(b.inboxKeys()).toEqual([]);
    const loaded = (await b.call(F.load, { store: 'board' })) as { revision: number; state: Board };
    // A led: the batch it carried first, then its own.
    expect(loaded).toMatchObject({ revision: 2, state: { cards: ['c1', 'xcard-c', 'xcard-a'] } });
  });

  it('#17 an instance that saw the head say the document is contended posts first, and leads when no one else commits', async () => {
    const b = await contended();
    b.log.length = 0;
    const d = b.settle(b.call(F.commit, { store: 'board', baseRevision: 2, intents: [intent('tab-d', 1, 'add', 'card-d')] }, { accountId: 'user-d' }));
    await b.until(() => d.value !== undefined);
    expect(d.value).toMatchObject({ revision: 3, outcomes: [{ ok: true }] });
    // Posted before anything was read; then, nobody having applied it, one check, the inbox, its own commit.
    expect(b.log).toEqual(['/api/v1/set inbox', '/api/v1/entity/get', '/api/v1/query inbox', '/api/v1/transaction inbox']);
    expect(b.inboxKeys()).toEqual([]);
  });

  it('#17 once the contention passes, the head stops sending commits to the inbox: a commit reads the document and writes', async () => {
    const b = await contended();
    // Three seconds on (past the head's contended flag and the others-wrote window), another user commits.
    await b.clock.advanceAsync(3_000);
    b.log.length = 0;
    expect(await b.call(F.commit, { store: 'board', baseRevision: 2, intents: [intent('tab-e', 1, 'add', 'card-e')] }, { accountId: 'user-e' })).toMatchObject({ revision: 3, outcomes: [{ ok: true }] });
    expect(b.log).toEqual(['/api/v1/entity/get', '/api/v1/transaction']);
  });
});
