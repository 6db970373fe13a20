import { jsx as _jsx, jsxs as _jsxs } from "react/jsx-runtime";
// confluence:homepageFeed "Board summary" — the same state, seen as counts.
import React from 'react';
import ForgeReconciler, { Badge, Inline, Stack, Text } from '@forge/react';
import { shallow, useReplica, useSyncStatus } from '@bgstore/react';
import { countByStatus } from '../store';
import { replica } from './replica';
import { SaveStatus } from './SaveStatus';
function Summary() {
    const counts = useReplica(replica, (s) => countByStatus(s.cards), shallow);
    const phase = useSyncStatus(replica, (s) => s.phase);
    if (phase === 'connecting')
        return _jsx(Text, { children: "Loading\u2026" });
    return (_jsx(Stack, { space: "space.100", children: _jsxs(Inline, { space: "space.100", alignBlock: "center", children: [_jsx(Text, { children: `To do ${counts.todo} · Doing ${counts.doing} · Done ${counts.done}` }), _jsx(Badge, { children: counts.todo + counts.doing + counts.done }), _jsx(SaveStatus, {})] }) }));
}
ForgeReconciler.render(_jsx(Summary, {}));
// The playground's inspector reads the replica through the module's exports.
export { replica } from './replica';
//# sourceMappingURL=summary.js.map