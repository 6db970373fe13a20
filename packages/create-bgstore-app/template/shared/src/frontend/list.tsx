// The notes, with buttons to add one and to vote.
import React from 'react';
import ForgeReconciler, { Button, Inline, Stack, Text } from '@forge/react';
import { useActions, useReplica, useSyncStatus } from '@bgstore/react';
import { replica } from './replica';

const newId = () => `n-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;

function List() {
  const notes = useReplica(replica, (s) => s.notes);
  const phase = useSyncStatus(replica, (s) => s.phase);
  const { add, vote } = useActions(replica);
  if (phase === 'connecting') return <Text>Loading…</Text>;
  return (
    <Stack space="space.100">
      {notes.length === 0 ? <Text>No notes yet.</Text> : null}
      {notes.map((note) => (
        <Inline key={note.id} space="space.100" alignBlock="center">
          <Text>{`${note.text} (${note.votes})`}</Text>
          <Button onClick={() => void vote(note.id).catch(() => undefined)}>{`+1 ${note.text}`}</Button>
        </Inline>
      ))}
      <Button appearance="primary" onClick={() => void add(newId(), '').catch(() => undefined)}>
        Add a note
      </Button>
    </Stack>
  );
}

ForgeReconciler.render(<List />);
