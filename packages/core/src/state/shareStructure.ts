/**
 * Returns `next`, reusing every part of `prev` that is deep-equal to it, so a snapshot that changes
 * one slice keeps the identity of all the others (selectors on them do not re-render).
 */
export function shareStructure<T>(prev: unknown, next: T): T {
  if (prev === next) return next;
  if (typeof prev !== 'object' || typeof next !== 'object' || prev === null || next === null) return next;
  const prevArray = Array.isArray(prev);
  if (prevArray !== Array.isArray(next)) return next;
  if (prevArray) {
    const p = prev as unknown[];
    const n = next as unknown[];
    let same = p.length === n.length;
    const out = n.map((v, i) => {
      const shared = shareStructure(p[i], v);
      if (shared !== p[i]) same = false;
      return shared;
    });
    return (same ? prev : out) as T;
  }
  const p = prev as Record<string, unknown>;
  const n = next as Record<string, unknown>;
  const keys = Object.keys(n);
  let same = keys.length === Object.keys(p).length;
  const out: Record<string, unknown> = {};
  for (const key of keys) {
    const shared = shareStructure(p[key], n[key]);
    if (shared !== p[key] || !(key in p)) same = false;
    out[key] = shared;
  }
  return (same ? prev : out) as T;
}
