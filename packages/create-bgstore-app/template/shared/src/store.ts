// One store definition, imported by the background script, every module and the resolver.
import { defineStore } from '@bgstore/core';

export interface Note {
  id: string;
  text: string;
  votes: number;
}

export const notes = defineStore({
  name: 'notes',
  initialState: { notes: [] as Note[] },
  actions: {
    add: (draft, id: string, text: string) => {
      draft.notes.push({ id, text: text.trim() || `Note ${draft.notes.length + 1}`, votes: 0 });
    },
    vote: (draft, id: string) => {
      const note = draft.notes.find((n) => n.id === id);
      if (!note) throw new Error('that note was removed');
      note.votes += 1;
    },
  },
});
