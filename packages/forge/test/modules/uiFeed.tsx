// A UI Kit homepage feed on the real @forge/react: renders the board and adds cards.
import React from 'react';
import ForgeReconciler, { Button, Stack, Text } from '@forge/react';
import { useActions, useReplica, useSyncStatus } from '@bgstore/react';
import { connect } from '../../src';
import { board } from './store';

export const replica = connect(board, { optimistic: true, retryMs: 200, helloMinMs: 50 });
let next = 0;

function Board() {
  const cards = useReplica(replica, (s) => s.cards);
  const phase = useSyncStatus(replica, (s) => s.phase);
  const { add } = useActions(replica);
  if (phase === 'connecting') return <Text>Loading…</Text>;
  return (
    <Stack space="space.100">
      <Text>{`Cards: ${cards.map((c) => c.title).join(', ') || 'none'}`}</Text>
      <Button onClick={() => void add(`ui-${++next}`, `Card ${next}`)}>Add</Button>
    </Stack>
  );
}

ForgeReconciler.render(<Board />);
