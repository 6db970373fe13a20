import type { WirePatch } from '@bgstore/protocol';

type Path = (string | number)[];

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Patches that take JSON state `a` to `b`, skipping every part they share by identity (rebased
 * states share all they did not change). Arrays of one length are compared index by index; others
 * send the changed middle region as a splice, like `coalescePatches`.
 */
export function diffState(a: unknown, b: unknown, path: Path = [], out: WirePatch[] = []): WirePatch[] {
  if (a === b) return out;
  if (isPlain(a) && isPlain(b)) {
    // Own keys only: `in` also sees Object.prototype, so a removed `constructor` or `toString` key
    // would never be removed, and an added one would be diffed against a function.
    for (const key of Object.keys(a)) if (!Object.hasOwn(b, key)) out.push({ op: 'remove', path: [...path, key] });
    for (const key of Object.keys(b)) {
      if (!Object.hasOwn(a, key)) out.push({ op: 'add', path: [...path, key], value: b[key] });
      else diffState(a[key], b[key], [...path, key], out);
    }
    return out;
  }
  if (Array.isArray(a) && Array.isArray(b)) {
    if (a.length === b.length) {
      for (let i = 0; i < a.length; i++) diffState(a[i], b[i], [...path, i], out);
      return out;
    }
    let prefix = 0;
    const min = Math.min(a.length, b.length);
    while (prefix < min && a[prefix] === b[prefix]) prefix++;
    let suffix = 0;
    while (suffix < min - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;
    for (let i = 0; i < a.length - prefix - suffix; i++) out.push({ op: 'remove', path: [...path, prefix] });
    for (let i = 0; i < b.length - prefix - suffix; i++) out.push({ op: 'add', path: [...path, prefix + i], value: b[prefix + i] });
    return out;
  }
  out.push({ op: 'replace', path, value: b });
  return out;
}
