// An id-keyed collection in fixed-size chunks: the state shape for big lists, whose one-item change
// copies one chunk (not the whole list) in every layer — the host's immer draft, the patch, each
// replica's applyPatches, the digest, selectors and storage. Plain JSON all the way down.
import { stringHash } from './digestHash';

/**
 * A collection of items keyed by id, in list order (the order they were added), stored in chunks of
 * at most `chunkSize` items so that changing, adding or removing one item copies one chunk, not the
 * list. Plain JSON: put it anywhere in a store's state; read it with {@link getItem} and
 * {@link listItems}, change it in actions with {@link setItem}, {@link removeItem} or by mutating
 * what {@link getItem} returns. Do not edit its fields by hand.
 */
export interface Collection<T> {
  /** Items in list order, in chunks keyed by `#` + id (the prefix keeps insertion order and any id safe). */
  readonly chunks: readonly Readonly<Record<string, T>>[];
  /** Which chunk holds each id (`#` + id → chunk number), in buckets by a hash of the id. */
  readonly index: readonly Readonly<Record<string, number>>[];
  /** How many items it holds. */
  readonly size: number;
  /** Most items a chunk holds. */
  readonly chunkSize: number;
}

/** Options of {@link createCollection}. */
export interface CollectionOptions {
  /** Most items per chunk: what a one-item change copies. @default 128 */
  chunkSize?: number;
  /** Buckets of the id index: adding or removing an item copies one (≈ size / buckets ids). @default 256 */
  indexBuckets?: number;
}

/** The type of the items of a collection (or of its immer draft, inside an action). */
export type ItemOf<C> = C extends { readonly chunks: readonly Readonly<Record<string, infer T>>[] } ? T : never;

const keyOf = (id: string) => `#${id}`;
const bucketOf = (col: Collection<unknown>, key: string) => (stringHash(key, 0) >>> 0) % col.index.length;
type Mutable<C> = { chunks: Record<string, unknown>[]; index: Record<string, number>[]; size: number; chunkSize: number } & C;

/**
 * A collection holding `entries` (`[id, item]` pairs), in that order; a later entry with the same id
 * replaces the earlier one's item.
 * @example
 * const todos = defineStore({
 *   name: 'todos',
 *   initialState: { todos: createCollection<Todo>() },
 *   actions: {
 *     add: (s, id: string, title: string) => setItem(s.todos, id, { id, title, done: false }),
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
export function createCollection<T>(entries: Iterable<readonly [string, T]> = [], options: CollectionOptions = {}): Collection<T> {
  const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? 128));
  const buckets = Math.max(1, Math.floor(options.indexBuckets ?? 256));
  const col: Collection<T> = { chunks: [], index: Array.from({ length: buckets }, () => ({})), size: 0, chunkSize };
  for (const [id, item] of entries) setItem(col, id, item);
  return col;
}

/** The item with this id, or undefined. O(1). Inside an action it is the draft: mutate it to change the item. */
export function getItem<C extends Collection<unknown>>(col: C, id: string): ItemOf<C> | undefined {
  const key = keyOf(id);
  const chunk = col.index[bucketOf(col, key)]?.[key];
  return chunk === undefined ? undefined : (col.chunks[chunk]?.[key] as ItemOf<C> | undefined);
}

/** Whether an item has this id. O(1). */
export const hasItem = (col: Collection<unknown>, id: string): boolean => col.index[bucketOf(col, keyOf(id))]?.[keyOf(id)] !== undefined;

/**
 * In an action: sets the item with this id — in its place if the id is there, else at the end of
 * the list. Copies one chunk (and, for a new id, one index bucket).
 */
export function setItem<C extends Collection<unknown>>(col: C, id: string, item: ItemOf<C>): void {
  const c = col as unknown as Mutable<C>;
  const key = keyOf(id);
  const bucket = c.index[bucketOf(col, key)]!;
  const at = bucket[key];
  if (at !== undefined) {
    c.chunks[at]![key] = item;
    return;
  }
  let last = c.chunks.length - 1;
  if (last < 0 || Object.keys(c.chunks[last]!).length >= c.chunkSize) c.chunks.push({});
  last = c.chunks.length - 1;
  c.chunks[last]![key] = item;
  bucket[key] = last;
  c.size++;
}

/** In an action: removes the item with this id; false if there was none. Copies one chunk and one index bucket. */
export function removeItem(col: Collection<unknown>, id: string): boolean {
  const c = col as Mutable<Collection<unknown>>;
  const key = keyOf(id);
  const bucket = c.index[bucketOf(col, key)]!;
  const at = bucket[key];
  if (at === undefined) return false;
  delete c.chunks[at]![key];
  delete bucket[key];
  c.size--;
  // Trailing empty chunks go; others stay (chunk numbers in the index must not move).
  while (c.chunks.length > 0 && Object.keys(c.chunks[c.chunks.length - 1]!).length === 0) c.chunks.pop();
  return true;
}
