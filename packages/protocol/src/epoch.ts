/**
 * A host boot's id: `<start time in ms, base 36>.<random>`. Epochs are ordered by start time, then
 * by the random part, so a replica can tell a restarted host from a late message of a dead one.
 */
export function createEpoch(startedAt: number, random: string): string {
  return `${Math.max(0, Math.floor(startedAt)).toString(36)}.${random}`;
}

/** Orders epochs: negative when `a` started before `b`, positive after, 0 when equal. */
export function compareEpochs(a: string, b: string): number {
  if (a === b) return 0;
  const ta = parseInt(a.slice(0, a.indexOf('.')), 36);
  const tb = parseInt(b.slice(0, b.indexOf('.')), 36);
  if (ta !== tb && Number.isFinite(ta) && Number.isFinite(tb)) return ta - tb;
  return a < b ? -1 : 1;
}

/**
 * Whether `epoch` can be a host boot of this page: the shape `createEpoch` gives, started no later
 * than `now` plus a minute (modules of one page share the clock). A malformed or future epoch would
 * outrank every real boot forever.
 */
export function isPlausibleEpoch(epoch: string, now: number): boolean {
  const m = /^([0-9a-z]{1,10})\.[A-Za-z0-9_-]{1,32}$/.exec(epoch);
  return m !== null && parseInt(m[1]!, 36) <= now + 60_000;
}
