// A second homepage feed: the leading option.
import React from 'react';
import ForgeReconciler, { Text } from '@forge/react';
import { useReplica, useSyncStatus } from '@bgstore/react';
import { tally } from '../store';
import { replica } from './replica';

function Leader() {
  const votes = useReplica(replica, (s) => s.votes);
  const phase = useSyncStatus(replica, (s) => s.phase);
  if (phase === 'connecting') return <Text>Loading…</Text>;
  const [first, second] = tally(votes);
  const total = Object.keys(votes).length;
  return <Text>{!first || first.votes === 0 ? 'No votes yet' : first.votes === second?.votes ? `A tie at ${first.votes} of ${total}` : `Leading: ${first.option} (${first.votes} of ${total})`}</Text>;
}

ForgeReconciler.render(<Leader />);
