import { jsx as _jsx, jsxs as _jsxs } from "react/jsx-runtime";
// confluence:homepageFeed "Team board" — the cards, with buttons to add, advance, take and delete them.
import React, { useState } from 'react';
import ForgeReconciler, { Button, Heading, Inline, Stack, Text, useProductContext } from '@forge/react';
import { useActions, useReplica, useSyncStatus } from '@bgstore/react';
import { replica } from './replica';
import { SaveStatus } from './SaveStatus';
const newId = () => `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
function Board() {
    const cards = useReplica(replica, (s) => s.cards);
    const nextNumber = useReplica(replica, (s) => s.nextNumber);
    const phase = useSyncStatus(replica, (s) => s.phase);
    const error = useSyncStatus(replica, (s) => s.lastError?.message ?? null);
    const { addCard, advance, take, remove } = useActions(replica);
    // Unknown until the context loads (and absent for anonymous viewers): no card is "mine" then.
    const me = useProductContext()?.accountId ?? null;
    const [, setTick] = useState(0);
    const run = (p) => void p.catch(() => setTick((t) => t + 1));
    if (phase === 'connecting')
        return _jsx(Text, { children: "Loading the board\u2026" });
    return (_jsxs(Stack, { space: "space.100", children: [_jsxs(Inline, { space: "space.100", alignBlock: "center", children: [_jsx(Heading, { as: "h3", children: "Team board" }), _jsx(SaveStatus, {})] }), cards.length === 0 ? _jsx(Text, { children: "No cards yet." }) : null, cards.map((card) => {
                const mine = me !== null && card.owner === me;
                return (_jsxs(Inline, { space: "space.100", alignBlock: "center", children: [_jsx(Text, { children: `${card.title} — ${card.status}${card.owner ? ` (${mine ? 'you' : card.owner})` : ''}` }), _jsx(Button, { onClick: () => run(advance(card.id)), children: `Advance ${card.title}` }), _jsx(Button, { isDisabled: me === null, onClick: () => run(take(card.id, mine ? null : me)), children: mine ? `Drop ${card.title}` : `Take ${card.title}` }), _jsx(Button, { appearance: "subtle", onClick: () => run(remove(card.id)), children: `Delete ${card.title}` })] }, card.id));
            }), _jsx(Button, { appearance: "primary", onClick: () => run(addCard(newId(), `Card ${nextNumber}`)), children: "Add" }), error ? _jsx(Text, { children: error }) : null] }));
}
ForgeReconciler.render(_jsx(Board, {}));
// The playground's inspector reads the replica through the module's exports.
export { replica } from './replica';
//# sourceMappingURL=board.js.map