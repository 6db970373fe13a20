// The test poll with its reset held until stored (#21), and storage with a write policy that commits
// as the resolver does for bob (the caller Forge's context names).
import { defineStore, type Persistence } from '../src';
import { commitAnswer, commitIntents, emptyDoc, type Authorize } from '../src/durable';
import { poll } from './poll';

export const heldPoll = defineStore({ name: poll.name, initialState: poll.initialState, actions: poll.actions, validate: poll.validate, optimistic: { reset: false } });
export type Poll = typeof heldPoll.initialState;

/** Refuses a reset, as the poll's policy does for anyone who is not a poll admin. */
export const onlyAdminsReset: Authorize = (i) => i.name !== 'reset' || 'only poll admins reset the poll';

export function policedStorage(authorize: Authorize, initial: Poll = heldPoll.initialState): Persistence<Poll> & { state(): Poll } {
  let doc = { ...emptyDoc(heldPoll), state: initial };
  const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v));
  return {
    load: async () => copy({ revision: doc.revision, state: doc.state, clients: doc.clients }),
    async commit(batch) {
      const before = doc;
      const intents = batch.intents.map((i) => ({ ...i, caller: 'bob' }));
      const result = commitIntents(heldPoll, doc, intents, { now: 0, floors: batch.floors, authorize });
      doc = result.doc;
      return copy(commitAnswer(before, batch.baseRevision, result));
    },
    revision: async () => doc.revision,
    state: () => copy(doc.state),
  };
}
