import { jsx as _jsx, jsxs as _jsxs } from "react/jsx-runtime";
// confluence:homepageFeed "Quick add" in Custom UI: React DOM in Forge's iframe, @forge/bridge
// underneath — the same team board through the same bgstore hooks as the UI Kit modules.
import React from 'react';
import { createRoot } from 'react-dom/client';
import { connect } from '@bgstore/forge';
import { shallow, useActions, useReplica, useSyncStatus } from '@bgstore/react';
import { countByStatus, teamBoard } from '../store';
export const replica = connect(teamBoard, { optimistic: true });
const newId = () => `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;
function QuickAdd() {
    const counts = useReplica(replica, (s) => countByStatus(s.cards), shallow);
    const nextNumber = useReplica(replica, (s) => s.nextNumber);
    const phase = useSyncStatus(replica, (s) => s.phase);
    const { addCard } = useActions(replica);
    if (phase === 'connecting')
        return _jsx("p", { children: "Loading\u2026" });
    return (_jsxs("div", { style: { display: 'flex', gap: 8, alignItems: 'center', font: '14px system-ui, sans-serif' }, children: [_jsx("span", { children: `Open ${counts.todo + counts.doing} · Done ${counts.done}` }), _jsx("button", { type: "button", onClick: () => void addCard(newId(), `Card ${nextNumber}`).catch(() => undefined), children: "Quick add" })] }));
}
const container = document.getElementById('root') ?? document.body.appendChild(document.createElement('div'));
createRoot(container).render(_jsx(QuickAdd, {}));
