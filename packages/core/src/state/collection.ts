// An id-keyed collection in fixed-size chunks: the state shape for big lists, whose one-item change
// copies one chunk (not the whole list) in every layer — the host's immer draft, the patch, each
// replica's applyPatches, the digest, selectors and storage. Plain JSON all the way down.
import { isDraft, original } from 'immer';
import { stringHash } from './digestHash';

/**
 * A collection of items keyed by id, in list order (the order they were added), stored in chunks of
 * at most `chunkSize` items so that changing, adding or removing one item copies one chunk, not the
 * list. Plain JSON: put it anywhere in a store's state; read it with {@link getItem} and
 * {@link listItems}, change it in actions with {@link setItem}, {@link removeItem} or by mutating
 * what {@link getItem} returns. Do not edit its fields by hand.
 */
export interface Collection<T> {
  /** Items in list order, in chunks. */
  readonly chunks: readonly (readonly T[])[];
  /** The ids of `chunks`, item for item. */
  readonly ids: readonly (readonly string[])[];
  /** Which chunk holds each id (`#` + id → chunk number; the prefix makes any id a safe key), in buckets by a hash of the id. */
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
  /** Buckets of the id index: adding or removing an item copies one (≈ size / buckets ids). @default 512 */
  indexBuckets?: number;
}

/** The type of the items of a collection (or of its immer draft, inside an action). */
export type ItemOf<C> = C extends { readonly chunks: readonly (readonly (infer T)[])[] } ? T : never;

const keyOf = (id: string) => `#${id}`;
const bucketOf = (col: Collection<unknown>, key: string) => (stringHash(key, 0) >>> 0) % col.index.length;
type Mutable = { chunks: unknown[][]; ids: string[][]; index: Record<string, number>[]; size: number; chunkSize: number };

/** Where an id's item is: its chunk and its place there, or undefined. */
function locate(col: Collection<unknown>, id: string): [number, number] | undefined {
  const key = keyOf(id);
  const c = col.index[bucketOf(col, key)]?.[key];
  if (c === undefined) return undefined;
  const ids = col.ids[c];
  if (!ids) return undefined;
  if (!isDraft(ids)) {
    const j = ids.indexOf(id);
    return j < 0 ? undefined : [c, j];
  }
  // In an action: search the chunk as it was (no proxy per id), then check on the draft, which
  // differs only if this action already added or removed items in the chunk.
  const j = (original(ids as string[]) as string[]).indexOf(id);
  if (j >= 0 && ids[j] === id) return [c, j];
  for (let k = 0; k < ids.length; k++) if (ids[k] === id) return [c, k];
  return undefined;
}

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
  const buckets = Math.max(1, Math.floor(options.indexBuckets ?? 512));
  const col: Collection<T> = { chunks: [], ids: [], index: Array.from({ length: buckets }, () => ({})), size: 0, chunkSize };
  for (const [id, item] of entries) setItem(col, id, item);
  return col;
}

/** The item with this id, or undefined. O(chunk). Inside an action it is the draft: mutate it to change the item. */
export function getItem<C extends Collection<unknown>>(col: C, id: string): ItemOf<C> | undefined {
  const at = locate(col, id);
  return at && (col.chunks[at[0]]![at[1]] as ItemOf<C>);
}

/** Whether an item has this id. O(chunk). */
export const hasItem = (col: Collection<unknown>, id: string): boolean => locate(col, id) !== undefined;

/**
 * In an action: sets the item with this id — in its place if the id is there, else at the end of
 * the list. Copies one chunk (and, for a new id, one index bucket).
 */
export function setItem<C extends Collection<unknown>>(col: C, id: string, item: ItemOf<C>): void {
  const c = col as unknown as Mutable;
  const at = locate(col, id);
  if (at) {
    c.chunks[at[0]]![at[1]] = item;
    return;
  }
  if (c.chunks.length === 0 || c.chunks[c.chunks.length - 1]!.length >= c.chunkSize) {
    c.chunks.push([]);
    c.ids.push([]);
  }
  const last = c.chunks.length - 1;
  c.chunks[last]!.push(item);
  c.ids[last]!.push(id);
  const key = keyOf(id);
  c.index[bucketOf(col, key)]![key] = last;
  c.size++;
}

/** In an action: removes the item with this id; false if there was none. Copies one chunk and one index bucket. */
export function removeItem(col: Collection<unknown>, id: string): boolean {
  const c = col as unknown as Mutable;
  const at = locate(col, id);
  if (!at) return false;
  c.chunks[at[0]]!.splice(at[1], 1);
  c.ids[at[0]]!.splice(at[1], 1);
  const key = keyOf(id);
  delete c.index[bucketOf(col, key)]![key];
  c.size--;
  // Trailing empty chunks go; others stay (chunk numbers in the index must not move).
  while (c.chunks.length > 0 && c.chunks[c.chunks.length - 1]!.length === 0) {
    c.chunks.pop();
    c.ids.pop();
  }
  return true;
}
