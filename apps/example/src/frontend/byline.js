import { jsx as _jsx } from "react/jsx-runtime";
// confluence:contentBylineItem — on content pages, the open cards at a glance.
import React from 'react';
import ForgeReconciler, { Text } from '@forge/react';
import { useReplica, useSyncStatus } from '@bgstore/react';
import { replica } from './replica';
function Byline() {
    const open = useReplica(replica, (s) => s.cards.filter((c) => c.status !== 'done').length);
    const phase = useSyncStatus(replica, (s) => s.phase);
    return _jsx(Text, { children: phase === 'connecting' ? 'Team board…' : `Team board: ${open} open` });
}
ForgeReconciler.render(_jsx(Byline, {}));
// The playground's inspector reads the replica through the module's exports.
export { replica } from './replica';
//# sourceMappingURL=byline.js.map