/**
 * Returns `next`, reusing every part of `prev` that is deep-equal to it, so a snapshot that changes
 * one slice keeps the identity of all the others (selectors on them do not re-render). A container
 * is copied only when some part of it is replaced by `prev`'s: a snapshot that shares nothing (a
 * first join) comes back as it is, with no copy of its big arrays.
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
    let out: unknown[] | undefined;
    for (let i = 0; i < n.length; i++) {
      const v = n[i];
      const shared = i < p.length ? shareStructure(p[i], v) : v;
      if (shared !== p[i]) same = false;
      if (shared !== v) out ??= n.slice(0, i);
      out?.push(shared);
    }
    return (same ? prev : (out ?? next)) as T;
  }
  const p = prev as Record<string, unknown>;
  const n = next as Record<string, unknown>;
  const keys = Object.keys(n);
  let same = keys.length === Object.keys(p).length;
  let out: Record<string, unknown> | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    const shared = Object.hasOwn(p, key) ? shareStructure(p[key], n[key]) : n[key];
    if (shared !== p[key] || !Object.hasOwn(p, key)) same = false;
    if (shared !== n[key] && !out) {
      out = {};
      for (const k of keys.slice(0, i)) put(out, k, n[k]);
    }
    if (out) put(out, key, shared);
  }
  return (same ? prev : (out ?? next)) as T;
}

/** Sets an own property, `__proto__` included (JSON.parse makes it an own key; an assignment would set the prototype). */
function put(o: Record<string, unknown>, key: string, value: unknown) {
  if (key === '__proto__') Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
  else o[key] = value;
}
