import type { WirePatch } from '@bgstore/protocol';
import { immer } from '../runtime/immer';

type Path = (string | number)[];

function getIn(value: unknown, path: Path): unknown {
  let v = value;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[key];
  }
  return v;
}

const startsWith = (path: Path, prefix: Path) => path.length > prefix.length && prefix.every((k, i) => path[i] === k);

/**
 * Rewrites immer's per-index storms on arrays into splices. Immer describes `unshift` on an array
 * of n items as n `replace`s and an `add`; because untouched elements keep their identity, the
 * common prefix and suffix of the old and new arrays show the one region that really changed,
 * which is sent as `remove`s and `add`s at its index instead. A rewrite is kept only when its JSON
 * is shorter than what it replaces.
 */
export function coalescePatches(before: unknown, after: unknown, patches: WirePatch[]): WirePatch[] {
  if (patches.length < 2) return patches;
  const counts = new Map<string, { path: Path; n: number }>();
  for (const p of patches) {
    if (typeof p.path[p.path.length - 1] !== 'number') continue;
    const parent = p.path.slice(0, -1);
    const key = JSON.stringify(parent);
    const c = counts.get(key);
    if (c) c.n++;
    else counts.set(key, { path: parent, n: 1 });
  }
  const candidates = [...counts.values()].filter((c) => c.n > 1).sort((a, b) => a.path.length - b.path.length);
  if (candidates.length === 0) return patches;

  let out = patches;
  const done: Path[] = [];
  for (const { path } of candidates) {
    if (done.some((d) => startsWith(path, d) || d.length === path.length && d.every((k, i) => path[i] === k))) continue;
    const oldArr = getIn(before, path);
    const newArr = getIn(after, path);
    if (!Array.isArray(oldArr) || !Array.isArray(newArr)) continue;
    const group = out.filter((p) => startsWith(p.path, path));
    let prefix = 0;
    const min = Math.min(oldArr.length, newArr.length);
    while (prefix < min && oldArr[prefix] === newArr[prefix]) prefix++;
    let suffix = 0;
    while (suffix < min - prefix && oldArr[oldArr.length - 1 - suffix] === newArr[newArr.length - 1 - suffix]) suffix++;
    const removed = oldArr.length - prefix - suffix;
    const inserted = newArr.length - prefix - suffix;
    const splice: WirePatch[] = [];
    for (let i = 0; i < removed; i++) splice.push({ op: 'remove', path: [...path, prefix] });
    for (let i = 0; i < inserted; i++) splice.push({ op: 'add', path: [...path, prefix + i], value: newArr[prefix + i] });
    if (JSON.stringify(splice).length >= JSON.stringify(group).length) continue;
    const first = out.indexOf(group[0]!);
    const rest = out.filter((p) => !group.includes(p));
    rest.splice(out.slice(0, first).filter((p) => !group.includes(p)).length, 0, ...splice);
    out = rest;
    done.push(path);
  }
  return out;
}

/**
 * Applies patches as storage sends them (the changes between two stored revisions) to a stored
 * state, sharing every untouched part; the state given is not modified.
 * @throws Error when a patch does not fit the state (its path goes through something missing)
 */
export function applyStoredPatches<TState>(state: TState, patches: readonly WirePatch[]): TState {
  if (patches.length === 0) return state;
  return immer.applyPatches(state as object, patches as never) as TState;
}
