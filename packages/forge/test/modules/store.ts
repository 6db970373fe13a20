import { defineStore } from '@bgstore/core';

export const board = defineStore({
  name: 'board',
  initialState: { cards: [] as { id: string; title: string }[], log: [] as string[] },
  actions: {
    add: (draft, id: string, title: string) => {
      draft.cards.push({ id, title });
      draft.log.push(id);
    },
    rename: (draft, id: string, title: string) => {
      const card = draft.cards.find((c) => c.id === id);
      if (!card) throw new Error(`no card ${id}`);
      card.title = title;
    },
  },
});
