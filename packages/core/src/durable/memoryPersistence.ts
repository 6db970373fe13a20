import type { ActionRecipes, StoreDefinition } from '../state/defineStore';
import type { Persistence } from '../runtime/ports';
import { commitAnswer, commitIntents, emptyDoc, type DurableDoc } from './commit';

/**
 * Keeps the durable document in memory and commits with the resolver's own logic, so a host
 * restarted with the same object resumes its state and never applies an intent twice. Lost with
 * the process. `failNext(n)` makes the next n calls reject, to test retries.
 */
export function createMemoryPersistence<TState, TActions extends ActionRecipes<TState>>(
  definition: StoreDefinition<TState, TActions>,
  options: { now?: () => number } = {},
): Persistence<TState> & { peek(): DurableDoc<TState>; failNext(n: number): void; commits(): number } {
  let doc = emptyDoc(definition);
  let failures = 0;
  let commits = 0;
  const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v));
  const maybeFail = () => {
    if (failures > 0) {
      failures--;
      throw new Error('[bgstore] injected storage failure');
    }
  };
  return {
    async load() {
      maybeFail();
      return copy({ revision: doc.revision, state: doc.state, clients: doc.clients });
    },
    async commit(batch) {
      maybeFail();
      const before = doc;
      const result = commitIntents(definition, doc, batch.intents, { now: options.now?.() ?? Date.now(), floors: batch.floors });
      doc = result.doc;
      if (result.changed) commits++;
      return copy(commitAnswer(before, batch.baseRevision, result));
    },
    async revision() {
      maybeFail();
      return doc.revision;
    },
    peek: () => copy(doc),
    failNext(n) {
      failures = n;
    },
    commits: () => commits,
  };
}
