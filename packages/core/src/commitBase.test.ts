import { createHost, defineStore, type CommitBatch, type Persistence } from '.';
import { createWorld } from '../test/world';

// #17 a commit batch carries the host's base: the stored state at its `baseRevision` (not the
// host's state with unsaved intents), for a persistence to send when a cold resolver instance asks
// for it. It is a function, so the batch's JSON — the request — does not grow by it.

const notes = defineStore({ name: 'notes', initialState: { notes: [] as string[] }, actions: { add: (draft, note: string) => void draft.notes.push(note) } });

describe('#17 a commit batch carries the host’s base', () => {
  it('is the stored state at baseRevision, batch after batch, and stays out of the batch’s JSON', async () => {
    const w = createWorld();
    const batches: { batch: CommitBatch; base: unknown }[] = [];
    let release: (() => void) | undefined;
    const persistence: Persistence<{ notes: string[] }> = {
      load: async () => ({ revision: 4, state: { notes: ['stored'] }, clients: {} }),
      commit: async (batch) => {
        batches.push({ batch, base: batch.base?.() });
        // The first commit is slow: intents accepted meanwhile wait for the next batch.
        if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve));
        return { revision: batch.baseRevision + 1, outcomes: batch.intents.map((i) => ({ clientId: i.clientId, seq: i.seq, ok: true as const })) };
      },
    };
    const host = createHost(notes, { transport: w.transport('bg'), clock: w.clock, persistence, flushDelayMs: 100, revisionCheckMs: 0 });
    await host.ready;
    const first = host.actions.add('a');
    await w.run(200);
    const second = host.actions.add('b');
    await w.run(50);
    expect(host.getState().notes).toEqual(['stored', 'a', 'b']);
    release!();
    await w.run(500);
    await Promise.all([first, second]);
    expect(batches.map(({ batch, base }) => [batch.baseRevision, base])).toEqual([
      [4, { notes: ['stored'] }],
      [5, { notes: ['stored', 'a'] }],
    ]);
    expect(JSON.parse(JSON.stringify(batches[0]!.batch))).not.toHaveProperty('base');
  });
});
