// One store definition, imported by the background script, every module and the resolver.
import { defineStore } from '@bgstore/core';

export const OPTIONS = ['Tea', 'Coffee', 'Water'] as const;

export const poll = defineStore({
  name: 'poll',
  initialState: { question: 'What do we drink at the offsite?', votes: {} as Record<string, string> },
  actions: {
    // One vote per user, changeable, never doubled: the vote is kept under its caller, whom the
    // resolver takes from Forge's context (the page's own user only shapes what it shows first).
    vote(draft, option: string) {
      if (this.caller.accountId === null) throw new Error('sign in to vote');
      draft.votes[this.caller.accountId] = option;
    },
    // Only site admins may reset: the resolver's policy (src/index.ts) decides, not the page.
    reset: (draft) => {
      draft.votes = {};
    },
  },
  // The server may refuse a reset (only poll admins may make one): no module shows it until
  // storage has accepted it, and the module that asked shows it as pending (`usePending`).
  optimistic: { reset: false },
  validate: { vote: ([option]) => OPTIONS.includes(option as (typeof OPTIONS)[number]) || `vote for one of ${OPTIONS.join(', ')}` },
});

/** Votes per option, most first. */
export function tally(votes: Record<string, string>): { option: string; votes: number }[] {
  return OPTIONS.map((option) => ({ option, votes: Object.values(votes).filter((v) => v === option).length })).sort((a, b) => b.votes - a.votes);
}
