import type { Row } from './client';
import { keptKey } from '../installation';
import type { SqlDoc, WarmSqlDocs } from './sqlDocStore';

// Which documents an instance may commit on without reading first (the port's `guess`): those whose
// warm copy it expects current — its last read found no one else's rows after the copy and no batch
// waiting (nobody lost a race lately), or its last commit on a guess won. A guess taken is out until
// its commit wins, so two commits on one instance at once do not both guess; a lost race (a batch
// posted) ends it. A wrong guess costs one request (the refused INSERT) and is never stored: the
// log INSERT is conditional.
// While the document is contended (#19: a race lost, or a read that found batches waiting, lately)
// a guess is *blind*: the commit on the warm copy carries its own batch to post (see
// `INSERT_OR_POST`), so one request either stores it (the copy was current) or leaves it waiting on
// the row that took the revision — no read first, and nothing carried to replay.

/** At most this many documents are remembered as current (beyond, all are forgotten: reads resume). */
const MAX_KEPT = 64;

/** Bookkeeping of {@link createGuesses}; every key is a document key of the current installation. */
export interface Guesses {
  /** A read of `key` from `prior` answered `doc`, with these inbox rows alongside (undefined: none read). */
  read(key: string, prior: SqlDoc | undefined, doc: SqlDoc | undefined, inbox: Row[] | undefined): void;
  /** The copy to commit on without reading, if it is expected current — or, while the document is contended, blind (see above). */
  take(key: string): SqlDoc | undefined;
  /** Whether `doc` is the copy `take` last handed out for `key` (a commit on it is on a guess). */
  isTaken(key: string, doc: SqlDoc | undefined): boolean;
  /** A commit on `previous` stored its revision (the guess, if it was one, was right). */
  stored(key: string, previous: SqlDoc | undefined): void;
  /** A commit lost a race: others write the document. */
  lost(key: string): void;
  /** Others write the document (a race lost, batches seen waiting) at `now`: guesses are blind a while. */
  contended(key: string, now: number): void;
  /** Whether `doc` is a blind guess `take` handed out (its commit posts its batch if it loses). */
  isBlind(key: string, doc: SqlDoc | undefined): boolean;
}

/** A document counts as contended this long after the last sign of it (ms). */
export const BLIND_MS = 2_000;

/** Guesses from the warm copies in `warm`; none when `enabled` is false. */
export function createGuesses(warm: WarmSqlDocs, enabled: boolean, now: () => number): Guesses {
  const current = new Set<string>();
  const taken = new Map<string, SqlDoc>();
  // Documents seen contended, until when; and the blind guesses handed out.
  const contended = new Map<string, number>();
  const blind = new WeakSet<SqlDoc>();
  const bounded = <T extends { size: number; clear(): void }>(set: T) => {
    if (set.size >= MAX_KEPT) set.clear();
    return set;
  };
  return {
    read(key, prior, doc, inbox) {
      const alone = prior !== undefined && doc?.doc.revision === prior.doc.revision && inbox?.length === 0;
      if (alone) bounded(current).add(keptKey(key));
      else current.delete(keptKey(key));
    },
    take(key) {
      if (!enabled) return undefined;
      const kept = keptKey(key);
      const isContended = (contended.get(kept) ?? 0) > now();
      // (Two blind guesses on one copy at once are harmless: one INSERT wins, the other posts.)
      const doc = current.delete(kept) || isContended ? warm.get(key) : undefined;
      if (!doc) return undefined;
      bounded(taken).set(kept, doc);
      if (isContended) blind.add(doc);
      else blind.delete(doc);
      return doc;
    },
    isTaken: (key, doc) => doc !== undefined && taken.get(keptKey(key)) === doc,
    isBlind: (key, doc) => doc !== undefined && taken.get(keptKey(key)) === doc && blind.has(doc),
    stored(key, previous) {
      if (previous === undefined || taken.get(keptKey(key)) !== previous) return;
      taken.delete(keptKey(key));
      bounded(current).add(keptKey(key));
    },
    lost(key) {
      current.delete(keptKey(key));
    },
    contended(key, at) {
      bounded(contended).set(keptKey(key), at + BLIND_MS);
    },
  };
}
