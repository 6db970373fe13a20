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
  if (phase === 'connecting') return <Text>Loading…</Text>;
  return (
    <Stack space="space.100">
      <Inline space="space.100" alignBlock="center">
        <Text>{`To do ${counts.todo} · Doing ${counts.doing} · Done ${counts.done}`}</Text>
        <Badge>{counts.todo + counts.doing + counts.done}</Badge>
        <SaveStatus />
      </Inline>
    </Stack>
  );
}

ForgeReconciler.render(<Summary />);

// The playground's inspector reads the replica through the module's exports.
export { replica } from './replica';
