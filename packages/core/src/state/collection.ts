// An id-keyed collection in fixed-size chunks: the state shape for big lists, whose one-item change
// copies one chunk (not the whole list) in every layer — the host's immer draft, the patch, each
// replica's applyPatches, the digest, selectors and storage. Plain JSON all the way down.
import { isDraft, original } from 'immer';

/**
 * A collection of items with string `id`s, in list order (the order they were added), stored in
 * chunks of at most `chunkSize` items so that changing, adding or removing one item copies one
 * chunk, not the list. Plain JSON, no bigger than the plain array: an array holding its chunk size
 * and then its chunks, so the path of a one-item change is the field, the chunk and the place in it
 * (`["items", 5, 210, "done"]`), one number more than the plain array's (`["items", 1234, "done"]`).
 * Put it anywhere in a store's state; read it with {@link getItem}, {@link listItems} and
 * {@link countItems}, change it in actions with {@link setItem}, {@link removeItem} or by mutating
 * what {@link getItem} returns. Do not edit it by hand, nor an item's `id`.
 */
export type Collection<T extends Identified> = readonly [chunkSize: number, ...chunks: (readonly T[])[]];

/** Options of {@link createCollection}. */
export interface CollectionOptions {
  /** Most items per chunk: what a one-item change copies. @default 256 */
  chunkSize?: number;
}

/** Anything with a string id: what a collection holds. */
export type Identified = { readonly id: string };

/** The type of the items of a collection (or of its immer draft, inside an action). */
export type ItemOf<C> = C extends readonly [number, ...(readonly (infer T)[])[]] ? T : never;

/**
 * The first shape collections were stored in, `{c: chunks, size, chunkSize}`: a stored document may
 * still hold it, so every helper reads and changes it too (its patches name the `c` field).
 */
interface Legacy {
  c: Identified[][];
  size: number;
  chunkSize: number;
}

/** A collection's list of chunks, where its chunks start in it (the current shape holds its chunk size first), and its chunk size. */
interface Parts {
  list: Identified[][];
  first: number;
  chunkSize: number;
  legacy: Legacy | undefined;
}

/** The parts of either shape. */
export function partsOf(col: unknown): Parts {
  if (Array.isArray(col)) return { list: col as Identified[][], first: 1, chunkSize: col[0] as number, legacy: undefined };
  const legacy = col as Legacy;
  return { list: legacy.c, first: 0, chunkSize: legacy.chunkSize, legacy };
}

const scan = (chunk: readonly Identified[], id: string) => {
  for (let j = 0; j < chunk.length; j++) if (chunk[j]!.id === id) return j;
  return -1;
};

/**
 * Which chunk holds each id, kept beside the state (never in it): one map per collection, moved on
 * to each new version by comparing chunks by identity — O(chunks) pointer checks, plus O(chunk)
 * for each chunk whose ids changed. A version's first lookup pays that; the next ones are O(1).
 */
interface Lineage {
  map: Map<string, number>;
  /** The list of chunks `map` describes now. */
  chunks: (readonly Identified[])[];
}

type List = readonly (readonly Identified[])[];

// By a chunk's identity: the lineage of collections holding it. By a list of chunks: its lineage, in sync.
const lineageOfChunk = new WeakMap<readonly Identified[], Lineage>();
const synced = new WeakMap<List, Lineage>();

const sameIds = (a: readonly Identified[], b: readonly Identified[]) => a.length === b.length && a.every((item, j) => item.id === b[j]!.id);

function lineageFor(chunks: List, first: number): Lineage {
  const known = synced.get(chunks);
  if (known && known.chunks.length === chunks.length && known.chunks.every((c, i) => c === chunks[i])) return known;
  let lineage: Lineage | undefined;
  for (let c = first; c < chunks.length && !lineage; c++) lineage = lineageOfChunk.get(chunks[c]!);
  lineage ??= { map: new Map(), chunks: [] };
  const { map } = lineage;
  const old = lineage.chunks;
  for (let c = first; c < Math.max(old.length, chunks.length); c++) {
    const was = old[c];
    const now = chunks[c];
    if (was === now) continue;
    if (now) lineageOfChunk.set(now, lineage);
    if (was && now && sameIds(was, now)) continue;
    if (was) for (const item of was) if (map.get(item.id) === c) map.delete(item.id);
    if (now) for (const item of now) map.set(item.id, c);
  }
  lineage.chunks = chunks.slice();
  synced.set(chunks, lineage);
  return lineage;
}

/** Where an id is in a plain list of chunks. */
function find(chunks: List, first: number, id: string): [number, number] | undefined {
  const c = lineageFor(chunks, first).map.get(id);
  if (c === undefined) return undefined;
  const j = scan(chunks[c]!, id);
  return j < 0 ? undefined : [c, j];
}

/** Where an id's item is: its chunk's place in the list and its place there, or undefined. */
function locate({ list: chunks, first }: Parts, id: string): [number, number] | undefined {
  if (!isDraft(chunks)) return find(chunks, first, id);
  // In an action: find it in the chunks as they were (no draft per item), then check on the draft,
  // which differs only where this action already added or removed items.
  const base = original(chunks) as Identified[][];
  const at = find(base, first, id);
  if (at) {
    const chunk = chunks[at[0]]!;
    if (chunk[at[1]]?.id === id) return at;
    const j = scan(chunk, id);
    if (j >= 0) return [at[0], j];
  }
  // Added by this action: new items go to the last chunk, or to chunks after the base's.
  for (let c = Math.max(first, base.length - 1); c < chunks.length; c++) {
    const j = scan(chunks[c]!, id);
    if (j >= 0) return [c, j];
  }
  return undefined;
}

/**
 * A collection holding `items`, in that order; a later item with the same id replaces the earlier one.
 * @example
 * const todos = defineStore({
 *   name: 'todos',
 *   initialState: { todos: createCollection<Todo>() },
 *   actions: {
 *     add: (s, id: string, title: string) => setItem(s.todos, { id, title, done: false }),
 *     toggle: (s, id: string) => {
 *       const todo = getItem(s.todos, id);
 *       if (todo) todo.done = !todo.done;
 *     },
 *     remove: (s, id: string) => void removeItem(s.todos, id),
 *   },
 * });
 * // In a module: stable plain values for React.
 * const list = useStore((s) => listItems(s.todos));     // one array per version of the collection
 * const todo = useStore((s) => getItem(s.todos, id));   // re-renders only when this todo changes
 */
export function createCollection<T extends Identified>(items: Iterable<T> = [], options: CollectionOptions = {}): Collection<T> {
  const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? 256));
  const chunks: T[][] = [];
  const seen = new Map<string, [number, number]>();
  for (const item of items) {
    if (typeof item?.id !== 'string') throw new TypeError('[bgstore] a collection item needs a string `id`');
    const at = seen.get(item.id);
    if (at) {
      chunks[at[0]]![at[1]] = item;
      continue;
    }
    if (chunks.length === 0 || chunks[chunks.length - 1]!.length >= chunkSize) chunks.push([]);
    seen.set(item.id, [chunks.length - 1, chunks[chunks.length - 1]!.push(item) - 1]);
  }
  return [chunkSize, ...chunks];
}

/** The item with this id, or undefined. Inside an action it is the draft: mutate it to change the item (not its id). */
export function getItem<C extends Collection<Identified>>(col: C, id: string): ItemOf<C> | undefined {
  const parts = partsOf(col);
  const at = locate(parts, id);
  return at && (parts.list[at[0]]![at[1]] as ItemOf<C>);
}

/** Whether an item has this id. */
export const hasItem = (col: Collection<Identified>, id: string): boolean => locate(partsOf(col), id) !== undefined;

// By identity: how many items a collection (not a draft) holds.
const counts = new WeakMap<object, number>();

/** How many items the collection holds: O(chunks) once per version of it. */
export function countItems(col: Collection<Identified>): number {
  const { list, first, legacy } = partsOf(col);
  if (legacy) return legacy.size;
  let n = isDraft(col) ? undefined : counts.get(col);
  if (n === undefined) {
    n = 0;
    for (let c = first; c < list.length; c++) n += list[c]!.length;
    if (!isDraft(col)) counts.set(col, n);
  }
  return n;
}

/**
 * In an action (on the draft; a plain collection is immutable): sets `item` — in place of the item with its id if there is one, else at the end of
 * the list. Copies one chunk.
 */
export function setItem<C extends Collection<Identified>>(col: C, item: ItemOf<C>): void {
  const it = item as Identified;
  if (typeof it?.id !== 'string') throw new TypeError('[bgstore] a collection item needs a string `id`');
  const parts = partsOf(col);
  const { list, first, legacy } = parts;
  const at = locate(parts, it.id);
  if (at) {
    list[at[0]]![at[1]] = it;
    return;
  }
  if (list.length === first || list[list.length - 1]!.length >= parts.chunkSize) list.push([]);
  list[list.length - 1]!.push(it);
  if (legacy) legacy.size++;
}

/** In an action: removes the item with this id; false if there was none. Copies one chunk. */
export function removeItem(col: Collection<Identified>, id: string): boolean {
  const parts = partsOf(col);
  const { list, first, legacy } = parts;
  const at = locate(parts, id);
  if (!at) return false;
  list[at[0]]!.splice(at[1], 1);
  if (legacy) legacy.size--;
  // Trailing empty chunks go; others stay, so chunk numbers found earlier in an action hold.
  while (list.length > first && list[list.length - 1]!.length === 0) list.pop();
  return true;
}
