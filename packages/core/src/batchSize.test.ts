import { createHost, defineStore, type CommitBatch, type Persistence } from '.';
import { jsonBytes, LIMITS } from '@bgstore/protocol';
import { createWorld } from '../test/world';

// #20 a commit's size is settled by a bound on its intents when that bound fits (no JSON written),
// and measured exactly when it does not: a batch never passes invoke's limit, and is never cut
// below what fits.

const notes = defineStore({ name: 'notes', initialState: { notes: [] as string[] }, actions: { add: (draft, note: string) => void draft.notes.push(note) } });

function setup() {
  const w = createWorld();
  const batches: CommitBatch[] = [];
  const persistence: Persistence<{ notes: string[] }> = {
    load: async () => ({ revision: 0, state: notes.initialState, clients: {} }),
    commit: async (batch) => {
      batches.push(batch);
      return { revision: batch.baseRevision + 1, outcomes: batch.intents.map((i) => ({ clientId: i.clientId, seq: i.seq, ok: true as const })) };
    },
  };
  const host = createHost(notes, { transport: w.transport('bg'), clock: w.clock, persistence, flushDelayMs: 100, revisionCheckMs: 0 });
  return { w, host, batches };
}

describe('#20 a commit’s size', () => {
  it('takes every small intent in one batch', async () => {
    const { w, host, batches } = setup();
    await host.ready;
    const calls = Array.from({ length: 300 }, (_, i) => host.actions.add(`note ${i}`));
    await w.run(200);
    await Promise.all(calls);
    expect(batches.map((b) => b.intents.length)).toEqual([300]);
  });

  it('measures intents whose bound passes the limit, and cuts the batch only where their JSON does', async () => {
    const { w, host, batches } = setup();
    await host.ready;
    // 150,000 characters each: a bound of 6 bytes a character says they might not fit together;
    // their JSON says two do (300 KB), three do not (450 KB and more).
    const calls = ['a', 'b', 'c'].map((c) => host.actions.add(c.repeat(150_000)));
    await w.run(1000);
    await Promise.all(calls);
    expect(batches.map((b) => b.intents.length)).toEqual([2, 1]);
    for (const b of batches) expect(jsonBytes({ store: 'notes', ...b })).toBeLessThanOrEqual(LIMITS.commitBytes);
  });
});
