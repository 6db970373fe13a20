import React from 'react';
import { Lozenge } from '@forge/react';
import { useSyncStatus } from '@bgstore/react';
import { replica } from './replica';

/** "Loading…", "Saving…", "Saved", or "Couldn't save, retrying" — from the replica's sync status. */
export function SaveStatus() {
  const label = useSyncStatus(replica, (s) => {
    if (s.phase === 'connecting') return 'Loading…';
    if (s.durable?.error) return "Couldn't save, retrying";
    if (s.durable && (s.durable.saving || s.durable.unsaved > 0)) return 'Saving…';
    if (s.phase === 'resyncing') return 'Syncing…';
    return 'Saved';
  });
  const appearance = label === 'Saved' ? 'success' : label.startsWith("Couldn't") ? 'removed' : 'inprogress';
  return <Lozenge appearance={appearance}>{label}</Lozenge>;
}
