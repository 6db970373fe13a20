import type { Clock, RemoteChange } from '@bgstore/core';

// Coalesced publishes (#17) arrive late, out of order, twice, or not at all, and a page's own commit
// moves its revision between them. A change is applied only on exactly the revision the page holds
// (its `base`, or a revision it `marks` inside it); one that does not fit yet is held a moment — the
// publish before it may still be on its way, or the page's own commit is in flight — and only when
// it still does not fit after `holdMs` does the page check storage.

/** A published change: from `base` to `revision`, and where revisions in between start in its patches. */
export interface PublishedChange extends RemoteChange {
  marks?: [revision: number, offset: number][];
}

/** Options of {@link createHeldChanges}. */
export interface HeldChangesOptions {
  clock: Clock;
  /** The revision the host holds durably. */
  known(): number;
  /** Whether the host's commit is in flight (its answer will move the revision: wait for it). */
  busy(): boolean;
  apply(change: RemoteChange): void;
  /** A change that never fit: storage has `revision`, check it. */
  check(revision: number): void;
  /** @default 1000 */
  holdMs?: number;
}

/** Changes waiting to fit the page's revision. */
export interface HeldChanges {
  /** A change arrived: applied now if it fits, else held. Answers what happened to it. */
  offer(change: PublishedChange): 'applied' | 'held' | 'old';
  close(): void;
}

/** Changes held at once; more means the page is far behind: the oldest are dropped (a check follows). */
const HELD = 16;
const RETRY_MS = 100;

/** `change` from exactly `known`: whole, or its tail from a mark at `known`; undefined when it does not start there. */
export function fromRevision(change: PublishedChange, known: number): RemoteChange | undefined {
  if (!change.patches || known < change.base || known >= change.revision) return undefined;
  if (change.base === known) return { base: known, revision: change.revision, patches: change.patches };
  const mark = change.marks?.find(([revision]) => revision === known);
  return mark && mark[1] <= change.patches.length ? { base: known, revision: change.revision, patches: change.patches.slice(mark[1]) } : undefined;
}

/** Creates {@link HeldChanges}. */
export function createHeldChanges(options: HeldChangesOptions): HeldChanges {
  const { clock } = options;
  const holdMs = options.holdMs ?? 1000;
  let held: { change: PublishedChange; until: number }[] = [];
  let timer: unknown;

  /** Applies what fits, drops what is behind, and checks once for what waited too long. */
  const drain = () => {
    if (!options.busy()) {
      for (;;) {
        const known = options.known();
        held = held.filter(({ change }) => change.revision > known);
        const at = held.findIndex(({ change }) => fromRevision(change, known) !== undefined);
        if (at < 0) break;
        options.apply(fromRevision(held[at]!.change, known)!);
        // A change the host could not apply is its to resolve (it checks storage itself).
        if (options.known() <= known) held.splice(at, 1);
      }
    }
    const now = clock.now();
    const expired = held.filter((h) => h.until <= now);
    if (expired.length && !options.busy()) {
      held = held.filter((h) => h.until > now);
      options.check(Math.max(...expired.map((h) => h.change.revision)));
    }
    schedule();
  };
  const schedule = () => {
    if (timer !== undefined || held.length === 0) return;
    timer = clock.setTimeout(() => {
      timer = undefined;
      drain();
    }, RETRY_MS);
  };
  return {
    offer(change) {
      if (change.revision <= options.known()) return 'old';
      held.push({ change, until: clock.now() + holdMs });
      if (held.length > HELD) held.shift();
      drain();
      return change.revision <= options.known() ? 'applied' : 'held';
    },
    close() {
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
      held = [];
    },
  };
}
