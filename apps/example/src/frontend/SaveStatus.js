import { jsx as _jsx } from "react/jsx-runtime";
import React from 'react';
import { Lozenge } from '@forge/react';
import { useSyncStatus } from '@bgstore/react';
import { replica } from './replica';
/**
 * What the badge says, from the replica's sync status — never "Saved" while one of this module's
 * actions (or any other module's) is not yet in storage, and never "Saving" while the module is
 * only catching up with the background script.
 */
export function saveLabel(s) {
    if (s.phase === 'connecting')
        return { label: 'Loading…', appearance: 'default' };
    if (s.phase === 'closed')
        return { label: 'Offline', appearance: 'removed' };
    const waiting = s.pending > 0 ? ` · ${s.pending} not saved` : '';
    if (s.phase === 'resyncing')
        return { label: `Reconnecting…${waiting}`, appearance: 'moved' };
    if (s.durable?.error)
        return { label: `Offline, retrying${waiting}`, appearance: 'removed' };
    if (s.pending > 0)
        return { label: `Saving ${s.pending}…`, appearance: 'inprogress' };
    if (s.durable && (s.durable.saving || s.durable.unsaved > 0))
        return { label: 'Saving…', appearance: 'inprogress' };
    return { label: 'Saved', appearance: 'success' };
}
/** The save badge: loading, saved, saving (with this module's unsaved count), reconnecting, offline. */
export function SaveStatus() {
    const label = useSyncStatus(replica, (s) => saveLabel(s).label);
    const appearance = useSyncStatus(replica, (s) => saveLabel(s).appearance);
    return _jsx(Lozenge, { appearance: appearance, children: label });
}
//# sourceMappingURL=SaveStatus.js.map