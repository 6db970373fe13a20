// Store definitions several test files share.
import { defineStore } from '@bgstore/core';

/** A list of strings that only grows: each `add` is one item, so a stored state shows every action once, in order. */
export const list = defineStore({
  name: 'list',
  initialState: { items: [] as string[] },
  actions: {
    add: (draft, item: string) => void draft.items.push(item),
  },
});
