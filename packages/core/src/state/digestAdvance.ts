// Keeping a state's hash up to date from the patches that made it: each container on a patch's path
// gets its memoised sum adjusted by the terms of the entries that changed, so the cost follows the
// change, not the state. Relies on what immer guarantees (`produceWithPatches`, `applyPatches`,
// `diffState`): every part a patch does not reach is the previous state's part, by identity.
import type { WirePatch } from '@bgstore/protocol';
import { hashNow, indexHash, isContainer, ITEM_HASHES, keyHash, memo, remember, term } from './digestHash';

/** The paths the patches reach, as a tree. */
interface Trie {
  children: Map<string | number, Trie> | undefined;
  /** A patch replaced, added or removed the value right here. */
  whole: boolean;
  /** A patch added or removed a child (a splice, when this is an array). */
  splice: boolean;
}

const node = (): Trie => ({ children: undefined, whole: false, splice: false });

function trieOf(patches: readonly WirePatch[]): Trie {
  const root = node();
  for (const p of patches) {
    let t = root;
    for (let j = 0; j < p.path.length && !t.whole; j++) {
      const key = p.path[j]!;
      t.children ??= new Map();
      let next = t.children.get(key);
      if (!next) t.children.set(key, (next = node()));
      if (j === p.path.length - 1 && p.op !== 'replace') t.splice = true;
      t = next;
    }
    t.whole = true;
  }
  return root;
}

const own = (o: object, k: string | number) => Object.prototype.hasOwnProperty.call(o, k);

/**
 * The hash of `next`, made from `prev`'s memoised sums and the parts `trie` says changed; memoises
 * `next`'s large containers on the way.
 */
function advance(prev: unknown, next: unknown, trie: Trie | undefined): number {
  if (prev === next || !trie || trie.whole || !isContainer(prev) || !isContainer(next) || Array.isArray(prev) !== Array.isArray(next)) return hashNow(next).hash;
  const entry = memo.get(prev);
  if (!entry) return hashNow(next).hash;
  if (Array.isArray(next)) return advanceArray(prev as unknown[], next, trie, entry.sum, entry.nodes, entry.items);
  let sum = entry.sum;
  let nodes = entry.nodes;
  const p = prev as Record<string, unknown>;
  const n = next as Record<string, unknown>;
  for (const [key, sub] of trie.children ?? []) {
    const k = String(key);
    const had = own(p, k);
    const has = own(n, k);
    if (had && has && p[k] === n[k]) continue;
    const kh = keyHash(k);
    if (had) {
      const old = hashNow(p[k]);
      sum = (sum - term(kh, old.hash)) | 0;
      nodes -= old.nodes;
    }
    if (has) {
      const h = advance(had ? p[k] : undefined, n[k], sub);
      sum = (sum + term(kh, h)) | 0;
      nodes += sizeOf(n[k]);
    }
  }
  return remember(next, sum, nodes, undefined);
}

/** Nodes in a value just hashed (memoised, or small enough to count again). */
const sizeOf = (v: unknown) => (isContainer(v) ? (memo.get(v)?.nodes ?? hashNow(v).nodes) : 1);

function advanceArray(prev: unknown[], next: unknown[], trie: Trie, sum: number, nodes: number, items: Int32Array | undefined): number {
  const inPlace = !trie.splice && prev.length === next.length && [...(trie.children?.keys() ?? [])].every((k) => typeof k === 'number');
  if (inPlace) {
    // Items replaced where they stand: one term each. The item hashes move on to `next` (a state
    // is advanced once; `prev` keeps its sum, and would rehash items if advanced again).
    if (items) memo.get(prev)!.items = undefined;
    for (const [key, sub] of trie.children ?? []) {
      const i = key as number;
      if (i < 0 || i >= next.length || prev[i] === next[i]) continue;
      const old = items ? { hash: items[i]!, nodes: sizeOf(prev[i]) } : hashNow(prev[i]);
      const h = advance(prev[i], next[i], sub);
      sum = (sum - term(indexHash(i), old.hash) + term(indexHash(i), h)) | 0;
      nodes += sizeOf(next[i]) - old.nodes;
      if (items) items[i] = h;
    }
    return remember(next, sum, nodes, items);
  }
  // A splice: the common prefix and suffix (by identity) are unchanged items. If the length
  // changed, the suffix moved: its terms move too, from the kept item hashes (no item rehashed).
  const min = Math.min(prev.length, next.length);
  let prefix = 0;
  while (prefix < min && prev[prefix] === next[prefix]) prefix++;
  let suffix = 0;
  while (suffix < min - prefix && prev[prev.length - 1 - suffix] === next[next.length - 1 - suffix]) suffix++;
  const shift = next.length - prev.length;
  const was = (i: number) => (items ? items[i]! : hashNow(prev[i]).hash);
  for (let i = prefix; i < (shift ? prev.length : prev.length - suffix); i++) {
    sum = (sum - term(indexHash(i), was(i))) | 0;
    if (i < prev.length - suffix) nodes -= sizeOf(prev[i]);
  }
  const out = next.length >= ITEM_HASHES ? new Int32Array(next.length) : undefined;
  if (out && items) out.set(items.subarray(0, prefix));
  for (let i = out && !items ? 0 : prefix; i < next.length; i++) {
    const changed = i >= prefix && i < next.length - suffix;
    const counted = changed || (shift !== 0 && i >= prefix);
    if (!counted && !out) continue;
    const h = changed ? hashNow(next[i]).hash : was(i < prefix ? i : i - shift);
    if (counted) sum = (sum + term(indexHash(i), h)) | 0;
    if (changed) nodes += sizeOf(next[i]);
    if (out) out[i] = h;
  }
  return remember(next, sum, nodes, out);
}

/**
 * Carries `prev`'s memoised hash over to `next`, which `patches` made from it: O(change). Returns
 * false when `prev`'s hash is not known (then `next`'s is computed when asked).
 */
export function advanceHash(prev: unknown, next: unknown, patches: readonly WirePatch[]): boolean {
  if (!isContainer(prev) || !memo.has(prev)) return false;
  advance(prev, next, trieOf(patches));
  return true;
}
