// The store the bench's Forge modules share: a list of notes, one added per trial.
import { defineStore } from '@bgstore/core';

export const notes = defineStore({
  name: 'bench-notes',
  initialState: { notes: [] as string[] },
  actions: { add: (draft, id: string) => void draft.notes.push(id) },
});
