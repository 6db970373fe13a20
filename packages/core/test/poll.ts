// A team poll for tests: one vote per user, written in the action with its caller (#21).
import { defineStore } from '../src';

export const poll = defineStore({
  name: 'poll',
  initialState: { votes: {} as Record<string, string> },
  actions: {
    vote(draft, option: string) {
      draft.votes[this.caller.accountId ?? 'anonymous'] = option;
    },
    reset: (draft) => void (draft.votes = {}),
  },
  validate: { vote: ([option]) => typeof option === 'string' || 'the option must be a string' },
});
