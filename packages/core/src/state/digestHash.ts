// The hash behind `stateDigest`: a 32-bit structural hash of a JSON value that composes per entry,
// so one changed entry changes a container's hash by one term, and a container's hash can be kept
// up to date from patches (`digestAdvance.ts`) instead of recomputed from the whole state.
//
//   hash(primitive) = a hash of its type and value
//   hash(object)    = fmix(Σ term(hash(key), hash(value)) ^ OBJECT)      (a sum: key order is ignored)
//   hash(array)     = fmix((Σ term(hash(index), hash(item)) + length·K) ^ ARRAY)
//
// Sums are mod 2^32. Large containers keep their sum in a memo keyed by identity (states are
// immutable), which is what lets a patch touch one term and lets a snapshot that shares parts with
// the previous state skip them.

/** murmur3's finaliser: every input bit reaches every output bit. */
export function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h | 0;
}

const NULL = fmix(0x3c6ef372);
const TRUE = fmix(0x5ab1e5);
const FALSE = fmix(0xfa15e);
const INT = 0x243f6a88;
const NUMBER = 0x13198a2e;
const STRING = 0x03707344;
const KEY = 0x299f31d0;
const INDEX = 0x082efa98;
const OBJECT = 0x452821e6;
const ARRAY = 0x38d01377;

/** FNV-1a over the UTF-16 units of `s`, from `seed`, finalised. */
export function stringHash(s: string, seed: number): number {
  let h = seed ^ 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix(h);
}

/** The hash of a JSON primitive. Equal JSON gives equal hashes (-0 is 0, as in JSON). */
export function primitiveHash(v: unknown): number {
  if (v === null || v === undefined) return NULL;
  if (v === true) return TRUE;
  if (v === false) return FALSE;
  if (typeof v === 'number') return (v | 0) === v ? fmix(v ^ INT) : stringHash(JSON.stringify(v), NUMBER);
  return stringHash(String(v), STRING);
}

export const keyHash = (key: string) => stringHash(key, KEY);
export const indexHash = (i: number) => fmix(i + INDEX);

/** One entry's share of its container's sum. */
export const term = (key: number, value: number) => fmix(fmix(value ^ key) + key);

export const objectHash = (sum: number) => fmix(sum ^ OBJECT);
export const arrayHash = (sum: number, length: number) => fmix((sum + Math.imul(length, 0x9e3779b1)) ^ ARRAY);

/** What the memo knows of a large container: its sum, hash, size in nodes, and (arrays) each item's hash. */
export interface Entry {
  sum: number;
  hash: number;
  nodes: number;
  items?: Int32Array;
}

/** Containers with at least this many nodes are memoised: fewer are rehashed when needed (cheap). */
export const MEMO_NODES = 64;
/** Memoised arrays at least this long also keep each item's hash (a splice then shifts terms, not rehashes items). */
export const ITEM_HASHES = 32;

// States are immutable: what was computed for an object holds for as long as the object lives.
export const memo = new WeakMap<object, Entry>();

export const isContainer = (v: unknown): v is object => typeof v === 'object' && v !== null;

/** Memoises a finished container if it is large enough; returns its hash. */
export function remember(node: object, sum: number, nodes: number, items: Int32Array | undefined): number {
  const hash = Array.isArray(node) ? arrayHash(sum, node.length) : objectHash(sum);
  if (nodes >= MEMO_NODES) memo.set(node, { sum, hash, nodes, items: Array.isArray(node) && node.length >= ITEM_HASHES ? items : undefined });
  return hash;
}

interface Frame {
  node: object;
  keys: string[] | null;
  length: number;
  i: number;
  sum: number;
  nodes: number;
  items: Int32Array | undefined;
  /** This container's key hash in its parent. */
  key: number;
}

const frame = (node: object, key: number): Frame => {
  const keys = Array.isArray(node) ? null : Object.keys(node);
  const length = keys ? keys.length : (node as unknown[]).length;
  return { node, keys, length, i: 0, sum: 0, nodes: 1, items: !keys && length >= ITEM_HASHES ? new Int32Array(length) : undefined, key };
};

/**
 * A from-scratch hash computed in slices: `run(budget)` visits at most about `budget` nodes and
 * returns the root's hash once done (`nodes` is then its size). Memoised parts (shared with an
 * earlier state) cost one lookup each.
 */
export interface HashJob {
  run(budget: number): number | undefined;
  readonly nodes: number;
}

export function createHashJob(root: unknown): HashJob {
  let result: number | undefined;
  let nodes = 1;
  const stack: Frame[] = [];
  if (!isContainer(root)) result = primitiveHash(root);
  else {
    const known = memo.get(root);
    if (known) {
      result = known.hash;
      nodes = known.nodes;
    } else stack.push(frame(root, 0));
  }
  return {
    get nodes() {
      return nodes;
    },
    run(budget) {
      for (let spent = 0; result === undefined && spent < budget; spent++) {
        const f = stack[stack.length - 1]!;
        if (f.i === f.length) {
          stack.pop();
          const hash = remember(f.node, f.sum, f.nodes, f.items);
          const parent = stack[stack.length - 1];
          if (parent) add(parent, f.key, hash, f.nodes);
          else {
            result = hash;
            nodes = f.nodes;
          }
          continue;
        }
        const i = f.i++;
        const k = f.keys ? keyHash(f.keys[i]!) : indexHash(i);
        const child = (f.node as Record<string, unknown>)[f.keys ? f.keys[i]! : i];
        if (!isContainer(child)) add(f, k, primitiveHash(child), 1);
        else if (flatHash(child) !== undefined) {
          // A small object of primitives (an item, most often): hashed here, no frame of its own.
          add(f, k, flat.hash, flat.nodes);
          spent += flat.nodes - 1;
        } else {
          const known = memo.get(child);
          if (known) add(f, k, known.hash, known.nodes);
          else stack.push(frame(child, k));
        }
      }
      return result;
    },
  };
}

/** Adds a finished child (the one just visited, `f.i - 1`) to its container's sum. */
function add(f: Frame, key: number, hash: number, nodes: number) {
  f.sum = (f.sum + term(key, hash)) | 0;
  f.nodes += nodes;
  if (f.items) f.items[f.i - 1] = hash;
}

/** What `flatHash` found last (one record, reused: a digest visits one per item). */
const flat = { hash: 0, nodes: 0 };

/**
 * The hash of a small object of primitives (an item, most often), or undefined for anything else;
 * `flat` then holds it and its size in nodes. Never memoised (it is under `MEMO_NODES`).
 */
function flatHash(value: object): number | undefined {
  if (Array.isArray(value)) return undefined;
  let sum = 0;
  let n = 0;
  // `for…in` reads the object's own key cache: no key list is made per item. Inherited enumerable
  // keys (a polluted prototype) are not the state's, as with `Object.keys`.
  for (const k in value) {
    if (!Object.hasOwn(value, k)) continue;
    const v = (value as Record<string, unknown>)[k];
    if (++n > 16 || isContainer(v)) return undefined;
    sum = (sum + term(keyHash(k), primitiveHash(v))) | 0;
  }
  flat.nodes = 1 + n;
  return (flat.hash = objectHash(sum));
}

/** The hash of any JSON value, computed now (memoised parts are not visited again). */
export function hashNow(value: unknown): { hash: number; nodes: number } {
  if (!isContainer(value)) return { hash: primitiveHash(value), nodes: 1 };
  if (!memo.has(value) && flatHash(value) !== undefined) return { hash: flat.hash, nodes: flat.nodes };
  const job = createHashJob(value);
  return { hash: job.run(Infinity)!, nodes: job.nodes };
}
