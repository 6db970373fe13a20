import { defineStore } from '@bgstore/core';
const NEXT = { todo: 'doing', doing: 'done', done: 'todo' };
/** The team board: one per Confluence site, shared by every tab and user. */
export const teamBoard = defineStore({
    name: 'team-board',
    initialState: { cards: [], nextNumber: 1 },
    actions: {
        addCard: (draft, id, title) => {
            draft.cards.push({ id, title: title.trim() || `Card ${draft.nextNumber}`, status: 'todo', owner: null });
            draft.nextNumber++;
        },
        advance: (draft, id) => {
            const card = draft.cards.find((c) => c.id === id);
            if (!card)
                throw new Error('that card was removed');
            card.status = NEXT[card.status];
        },
        take: (draft, id, owner) => {
            const card = draft.cards.find((c) => c.id === id);
            if (!card)
                throw new Error('that card was removed');
            card.owner = owner;
        },
        remove: (draft, id) => {
            const i = draft.cards.findIndex((c) => c.id === id);
            if (i >= 0)
                draft.cards.splice(i, 1);
        },
    },
    validate: {
        addCard: ([id, title]) => (typeof id === 'string' && typeof title === 'string' && title.length <= 200 ? true : 'addCard(id, title) takes two strings, the title at most 200 characters'),
    },
});
/** Counts by status, for the summary feed and the byline. */
export function countByStatus(cards) {
    const counts = { todo: 0, doing: 0, done: 0 };
    for (const c of cards)
        counts[c.status]++;
    return counts;
}
//# sourceMappingURL=store.js.map