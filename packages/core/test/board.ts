import { defineStore } from '../src';

export interface Card {
  id: string;
  title: string;
  done: boolean;
}

export const board = defineStore({
  name: 'board',
  initialState: { cards: [] as Card[], count: 0, meta: { title: 'Team board' } },
  actions: {
    add: (draft, id: string, title: string) => {
      draft.cards.push({ id, title, done: false });
      draft.count++;
    },
    addFirst: (draft, id: string, title: string) => {
      draft.cards.unshift({ id, title, done: false });
      draft.count++;
    },
    toggle: (draft, id: string) => {
      const card = draft.cards.find((c) => c.id === id);
      if (!card) throw new Error(`no card ${id}`);
      card.done = !card.done;
    },
    remove: (draft, id: string) => {
      const i = draft.cards.findIndex((c) => c.id === id);
      if (i >= 0) draft.cards.splice(i, 1);
    },
    rename: (draft, title: string) => {
      draft.meta.title = title;
    },
    noop: () => {},
    putDate: (draft) => {
      (draft.meta as unknown as { when: unknown }).when = new Date(0);
    },
  },
  validate: {
    rename: ([title]) => (typeof title === 'string' && title.length > 0 ? true : 'title must be a non-empty string'),
  },
});
