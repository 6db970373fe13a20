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
