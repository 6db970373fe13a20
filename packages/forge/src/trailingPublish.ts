import type { Clock } from '@bgstore/core';

// The trailing end of coalesced publishes (#17): the resolver publishes a document at most once an
// interval, so a commit made just after a publish waits for the next one — and when no commit
// follows, there is none. Its writer notices: if no change covering its revision arrives within
// `waitMs` (the interval plus delivery, with jitter so that of several such writers usually one
// asks and the others hear its publish), it asks the resolver, once, to publish what followed the
// last revision it heard.

/** Options of {@link createTrailingPublish}. */
export interface TrailingPublishOptions {
  clock: Clock;
  /** Uniform numbers in [0, 1), for the jitter. */
  random: () => number;
  /** @default 1000 */
  waitMs?: number;
  /** @default 500 */
  jitterMs?: number;
}

/** Asks the resolver to publish what followed `heard` (one invocation). */
export type AskPublish = (heard: number) => Promise<unknown>;

/** A writer's watch over its own commits' publishes. */
export interface TrailingPublish {
  /** This page's commit stored `revision` on top of `base`; `ask` asks the resolver to publish. */
  committed(revision: number, base: number, ask: AskPublish): void;
  /** A published change up to `revision` arrived. */
  heard(revision: number): void;
  stats(): { asked: number };
  close(): void;
}

/** Creates a {@link TrailingPublish}. */
export function createTrailingPublish(options: TrailingPublishOptions): TrailingPublish {
  const { clock } = options;
  const waitMs = options.waitMs ?? 1000;
  const jitterMs = options.jitterMs ?? 500;
  let heard = -1;
  let pending: { revision: number; base: number; ask: AskPublish } | undefined;
  let timer: unknown;
  let asked = 0;
  const stop = () => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
  const fire = () => {
    timer = undefined;
    const p = pending;
    pending = undefined;
    if (!p || heard >= p.revision) return;
    asked++;
    void p.ask(heard >= 0 ? heard : p.base).catch(() => undefined);
  };
  return {
    committed(revision, base, ask) {
      if (revision <= heard) return;
      pending = { revision: Math.max(revision, pending?.revision ?? 0), base: Math.min(base, pending?.base ?? base), ask };
      timer ??= clock.setTimeout(fire, waitMs + options.random() * jitterMs);
    },
    heard(revision) {
      heard = Math.max(heard, revision);
      if (pending && heard >= pending.revision) {
        pending = undefined;
        stop();
      }
    },
    stats: () => ({ asked }),
    close() {
      stop();
      pending = undefined;
    },
  };
}
