// Reading a collection as plain lists, memoised so selectors and React see stable values.
import { isDraft } from 'immer';
import { partsOf, type Collection, type Identified, type ItemOf } from './collection';

// By identity: a collection that did not change gives the same array again.
const lists = new WeakMap<object, readonly unknown[]>();
const idLists = new WeakMap<object, readonly string[]>();

/** The items of either shape (`partsOf`), in list order. */
function concat(col: unknown): Identified[] {
  const { list, first } = partsOf(col);
  const out: Identified[] = [];
  for (let c = first; c < list.length; c++) {
    const chunk = list[c]!;
    for (let i = 0; i < chunk.length; i++) out.push(chunk[i]!);
  }
  return out;
}

/** `make(col)` memoised by the collection's identity (not inside an action: a draft changes under it). */
function memoised<C extends object, T>(memo: WeakMap<object, readonly T[]>, col: C, make: (col: C) => T[]): readonly T[] {
  if (isDraft(col)) return make(col);
  let list = memo.get(col);
  if (!list) memo.set(col, (list = Object.freeze(make(col))));
  return list;
}

/**
 * The items in list order, as a plain array. The same array for the same collection, so
 * `useStore((s) => listItems(s.todos))` re-renders only when the collection changed; a new one
 * costs a copy of the item references (about 0.1 ms per 100,000 items). Inside an action it reads
 * the draft.
 */
export const listItems = <C extends Collection<Identified>>(col: C): readonly ItemOf<C>[] => memoised(lists, col, concat) as readonly ItemOf<C>[];

/** The ids in list order, as a plain array; memoised like {@link listItems}. */
export const listIds = (col: Collection<Identified>): readonly string[] => memoised(idLists, col, (c) => concat(c).map((item) => item.id));
