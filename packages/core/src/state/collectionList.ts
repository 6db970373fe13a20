// Reading a collection as plain lists, memoised so selectors and React see stable values.
import { isDraft } from 'immer';
import type { Collection, ItemOf } from './collection';

// By identity: a collection (or chunk) that did not change gives the same array again.
const lists = new WeakMap<object, readonly unknown[]>();
const idLists = new WeakMap<object, readonly string[]>();
const chunkItems = new WeakMap<object, readonly unknown[]>();

/** Concatenates what `part` gives for each chunk; unchanged chunks' parts come from the memo. */
function gather<T>(col: Collection<unknown>, part: (chunk: Readonly<Record<string, unknown>>) => readonly T[], memo: WeakMap<object, readonly T[]> | undefined): T[] {
  const out: T[] = [];
  for (const chunk of col.chunks) {
    let items = memo?.get(chunk);
    if (!items) {
      items = part(chunk);
      memo?.set(chunk, items);
    }
    for (let i = 0; i < items.length; i++) out.push(items[i]!);
  }
  return out;
}

/**
 * The items in list order, as a plain array. The same array for the same collection, so
 * `useStore((s) => listItems(s.todos))` re-renders only when the collection changed; a new one
 * costs a copy of the item references (unchanged chunks are not re-read). Inside an action it reads
 * the draft, unmemoised.
 */
export function listItems<C extends Collection<unknown>>(col: C): readonly ItemOf<C>[] {
  if (isDraft(col)) return gather(col, Object.values, undefined) as ItemOf<C>[];
  let list = lists.get(col);
  if (!list) lists.set(col, (list = Object.freeze(gather(col, Object.values, chunkItems))));
  return list as readonly ItemOf<C>[];
}

/** The ids in list order, as a plain array; memoised like {@link listItems}. */
export function listIds(col: Collection<unknown>): readonly string[] {
  const ids = (chunk: Readonly<Record<string, unknown>>) => Object.keys(chunk).map((key) => key.slice(1));
  if (isDraft(col)) return gather(col, ids, undefined);
  let list = idLists.get(col);
  if (!list) idLists.set(col, (list = Object.freeze(gather(col, ids, undefined))));
  return list;
}
