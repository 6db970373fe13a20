// Turns Realtime revision hints into revision checks, at a bounded rate. The hint channel is
// installation-wide and anyone signed in can publish on it (#18.5), so a hint only says "maybe look":
// hints are coalesced into at most one check per `minMs`, the gap doubles (up to `maxMs`) while
// checks keep finding nothing new, and a hint at or below the revision the page already knows
// costs nothing.
import type { Clock } from '@bgstore/core';

/** Options of {@link createHintGate}. */
export interface HintGateOptions {
  clock: Clock;
  /** The stored revision this page knows (what its last check or commit found). */
  known(): number;
  /** Asks storage for its revision (the host's `checkRevision`). */
  check(): void;
  /** @default 1000 */
  minMs?: number;
  /** @default 30000 */
  maxMs?: number;
}

/** What a gate did, for tests and diagnostics. */
export interface HintGateStats {
  hints: number;
  /** Hints that cost nothing: not a revision, or not above the known one. */
  ignored: number;
  checks: number;
  /** The current gap between hint-triggered checks, in ms. */
  gapMs: number;
}

/** A page's gate between the hint channel and its revision checks. */
export interface HintGate {
  hint(revision: unknown): void;
  stats(): HintGateStats;
  close(): void;
}

/** Creates a {@link HintGate}. */
export function createHintGate(options: HintGateOptions): HintGate {
  const { clock, known, check } = options;
  const minMs = options.minMs ?? 1000;
  const maxMs = Math.max(minMs, options.maxMs ?? 30_000);
  const stats = { hints: 0, ignored: 0, checks: 0 };
  let gapMs = minMs;
  let lastAt = -Infinity;
  /**
   * The revision known when the last hint-triggered check ran. A check that found nothing above it
   * proved its hints false (a forged hint may claim any revision, so what it claimed says nothing).
   */
  let base: number | undefined;
  /** The highest revision hinted since that check. */
  let pending: number | undefined;
  let timer: unknown;
  let closed = false;

  const run = () => {
    timer = undefined;
    if (closed || pending === undefined) return;
    const want = pending;
    pending = undefined;
    // Found meanwhile (a periodic check, our own commit): nothing to look for.
    if (want <= known()) return;
    // Judge the previous check by what it found: a false hint widens the gap, a true one resets it.
    if (base !== undefined) gapMs = known() > base ? minMs : Math.min(gapMs * 2, maxMs);
    base = known();
    lastAt = clock.now();
    stats.checks++;
    check();
  };

  return {
    hint(revision) {
      stats.hints++;
      if (closed || typeof revision !== 'number' || !Number.isFinite(revision) || revision <= known()) {
        stats.ignored++;
        return;
      }
      pending = Math.max(pending ?? revision, revision);
      if (timer !== undefined) return;
      // Storage moved since the last check: hints are worth following again, back to the short gap.
      if (base !== undefined && known() > base) {
        gapMs = minMs;
        base = undefined;
      }
      const wait = lastAt + gapMs - clock.now();
      if (wait <= 0) run();
      else timer = clock.setTimeout(run, wait);
    },
    stats: () => ({ ...stats, gapMs }),
    close() {
      closed = true;
      if (timer !== undefined) clock.clearTimeout(timer);
      timer = undefined;
    },
  };
}
