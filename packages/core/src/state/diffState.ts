import type { WirePatch } from '@bgstore/protocol';

type Path = (string | number)[];

const isPlain = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Patches taking JSON value `a` to `b`, skipping every part they share by identity (immer keeps the
 * identity of what a recipe did not touch; rebased states share all they did not change), so the
 * cost is O(change). The one JSON diff of bgstore: the host's patches to replicas and the resolver's
 * log entries both come from here. Arrays are walked with two cursors past their shared ends: an
 * element of `a` that `b` no longer has is removed, one `b` gained is added, two differing elements
 * in step are diffed in place — so a removal or insertion in a long array costs one patch, not one
 * per element after it.
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
  if (Array.isArray(a) && Array.isArray(b)) return diffArrays(a, b, path, out);
  out.push({ op: 'replace', path, value: b });
  return out;
}

function diffArrays(a: unknown[], b: unknown[], path: Path, out: WirePatch[]): WirePatch[] {
  // The shared head and tail cost no patch and no set: most actions change a few elements in place.
  let i = 0;
  const min = Math.min(a.length, b.length);
  while (i < min && a[i] === b[i]) i++;
  let endA = a.length;
  let endB = b.length;
  while (endA > i && endB > i && a[endA - 1] === b[endB - 1]) {
    endA--;
    endB--;
  }
  // At every step the array being patched is b[0, j) followed by a[i, end).
  let j = i;
  if (endA - i === 1 && endB - j === 1) return diffState(a[i], b[j], [...path, j], out);
  if (i === endA && j === endB) return out;
  const inA = new Set<unknown>(a.slice(i, endA));
  const inB = new Set<unknown>(b.slice(j, endB));
  while (i < endA || j < endB) {
    if (i < endA && j < endB && a[i] === b[j]) {
      i++;
      j++;
    } else if (j >= endB || (i < endA && !inB.has(a[i]) && inA.has(b[j]))) {
      out.push({ op: 'remove', path: [...path, j] });
      i++;
    } else if (i >= endA || (!inA.has(b[j]) && inB.has(a[i]))) {
      out.push({ op: 'add', path: [...path, j], value: b[j] });
      j++;
    } else {
      // In step and both changed (or both moved): diff in place.
      diffState(a[i], b[j], [...path, j], out);
      i++;
      j++;
    }
  }
  return out;
}
