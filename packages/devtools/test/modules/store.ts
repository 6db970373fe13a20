import { defineStore } from '@bgstore/core';

export const notes = defineStore({
  name: 'notes',
  initialState: { notes: [] as string[] },
  actions: {
    add: (draft, text: string) => void draft.notes.push(text),
    fail: () => {
      throw new Error('refused on purpose');
    },
  },
});
