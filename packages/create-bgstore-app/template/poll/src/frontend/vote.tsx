// The poll: the question, a button per option, and the admin's reset.
import React, { useState } from 'react';
import ForgeReconciler, { Button, Inline, Stack, Text } from '@forge/react';
import { useReplica, useSyncStatus } from '@bgstore/react';
import { OPTIONS, tally } from '../store';
import { replica } from './replica';
import { useUnsaved } from './unsaved';

function Vote() {
  const question = useReplica(replica, (s) => s.question);
  const votes = useReplica(replica, (s) => s.votes);
  const phase = useSyncStatus(replica, (s) => s.phase);
  const unsaved = useUnsaved();
  const [me, setMe] = useState<string | undefined>();
  // A reset may be refused by the server: shown as pending until storage answers, then as its outcome.
  const [reset, setReset] = useState<'pending' | string | undefined>();
  if (phase === 'connecting') return <Text>Loading…</Text>;
  const counts = new Map(tally(votes).map((t) => [t.option, t.votes]));
  const vote = (option: string) => {
    setMe(option);
    replica.actions.vote(option).catch((error: Error) => setReset(error.message));
  };
  const askReset = () => {
    setReset('pending');
    replica.actions.reset().then(
      () => setReset('The poll was reset.'),
      (error: Error) => setReset(`Reset refused: ${error.message}`),
    );
  };
  return (
    <Stack space="space.100">
      <Text>{question}</Text>
      <Inline space="space.100">
        {OPTIONS.map((option) => (
          <Button key={option} appearance={me === option ? 'primary' : 'default'} onClick={() => vote(option)}>
            {`Vote ${option} (${counts.get(option) ?? 0})`}
          </Button>
        ))}
      </Inline>
      <Button onClick={askReset} isDisabled={reset === 'pending'}>
        Reset the poll
      </Button>
      {reset === 'pending' ? <Text>Reset requested — waiting for the server</Text> : reset ? <Text>{reset}</Text> : null}
      {unsaved ? <Text>(not saved yet)</Text> : null}
    </Stack>
  );
}

ForgeReconciler.render(<Vote />);
