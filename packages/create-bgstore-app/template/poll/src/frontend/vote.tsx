// The poll: the question, a button per option, and the admin's reset.
import React, { useState } from 'react';
import ForgeReconciler, { Button, Inline, Stack, Text } from '@forge/react';
import { usePending, useReplica, useSyncStatus } from '@bgstore/react';
import { OPTIONS, tally } from '../store';
import { replica } from './replica';

function Vote() {
  const question = useReplica(replica, (s) => s.question);
  const votes = useReplica(replica, (s) => s.votes);
  const phase = useSyncStatus(replica, (s) => s.phase);
  // The reset is held until stored (`optimistic: { reset: false }` in src/store.ts): until the server
  // answers, no module shows it, and this one says it is waiting. Votes show at once.
  const resetting = usePending(replica, 'reset').length > 0;
  const saving = usePending(replica, 'vote').length > 0;
  const [me, setMe] = useState<string | undefined>();
  const [outcome, setOutcome] = useState<string | undefined>();
  if (phase === 'connecting') return <Text>Loading…</Text>;
  const counts = new Map(tally(votes).map((t) => [t.option, t.votes]));
  const vote = (option: string) => {
    setMe(option);
    replica.actions.vote(option).catch((error: Error) => setOutcome(error.message));
  };
  const reset = () => {
    setOutcome(undefined);
    replica.actions.reset().then(
      () => setOutcome('The poll was reset.'),
      (error: Error) => setOutcome(`Reset refused: ${error.message}`),
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
      <Button onClick={reset} isDisabled={resetting}>
        Reset the poll
      </Button>
      {resetting ? <Text>Reset requested — waiting for the server</Text> : outcome ? <Text>{outcome}</Text> : null}
      {saving ? <Text>Saving your vote…</Text> : null}
    </Stack>
  );
}

ForgeReconciler.render(<Vote />);
