import { commitIntents, emptyDoc, type DurableDoc } from './commit';
import type { ActionRecipes, StoreDefinition } from './defineStore';
import type { Persistence } from './ports';

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
      const before = doc.revision;
      const result = commitIntents(definition, doc, batch.intents, { now: options.now?.() ?? Date.now() });
      doc = result.doc;
      if (result.changed) commits++;
      const rebase = before !== batch.baseRevision || result.outcomes.some((o) => o.duplicate);
      return copy({ revision: doc.revision, outcomes: result.outcomes, ...(rebase ? { state: doc.state } : {}) });
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
