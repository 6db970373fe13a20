// The same notes, seen as counts, with the save status.
import React from 'react';
import ForgeReconciler, { Inline, Lozenge, Text } from '@forge/react';
import { shallow, useReplica, useSyncStatus } from '@bgstore/react';
import { replica } from './replica';

function Summary() {
  const [count, votes] = useReplica(replica, (s) => [s.notes.length, s.notes.reduce((n, x) => n + x.votes, 0)], shallow);
  const saved = useSyncStatus(replica, (s) => s.phase === 'live' && !!s.durable && !s.durable.saving && s.durable.unsaved === 0);
  const phase = useSyncStatus(replica, (s) => s.phase);
  if (phase === 'connecting') return <Text>Loading…</Text>;
  return (
    <Inline space="space.100" alignBlock="center">
      <Text>{`${count} notes · ${votes} votes`}</Text>
      <Lozenge appearance={saved ? 'success' : 'inprogress'}>{saved ? 'Saved' : 'Saving…'}</Lozenge>
    </Inline>
  );
}

ForgeReconciler.render(<Summary />);
