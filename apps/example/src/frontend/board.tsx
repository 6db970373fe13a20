// confluence:homepageFeed "Team board" — the cards, with buttons to add, advance, take and delete them.
import React, { useState } from 'react';
import ForgeReconciler, { Button, Heading, Inline, Stack, Text, useProductContext } from '@forge/react';
import { useActions, useReplica, useSyncStatus } from '@bgstore/react';
import { replica } from './replica';
import { SaveStatus } from './SaveStatus';

const newId = () => `c-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 7)}`;

function Board() {
  const cards = useReplica(replica, (s) => s.cards);
  const nextNumber = useReplica(replica, (s) => s.nextNumber);
  const phase = useSyncStatus(replica, (s) => s.phase);
  const error = useSyncStatus(replica, (s) => s.lastError?.message ?? null);
  const { addCard, advance, take, remove } = useActions(replica);
  // Unknown until the context loads (and absent for anonymous viewers): no card is "mine" then.
  const me = useProductContext()?.accountId ?? null;
  const [, setTick] = useState(0);
  const run = (p: Promise<void>) => void p.catch(() => setTick((t) => t + 1));

  if (phase === 'connecting') return <Text>Loading the board…</Text>;
  return (
    <Stack space="space.100">
      <Inline space="space.100" alignBlock="center">
        <Heading as="h3">Team board</Heading>
        <SaveStatus />
      </Inline>
      {cards.length === 0 ? <Text>No cards yet.</Text> : null}
      {cards.map((card) => {
        const mine = me !== null && card.owner === me;
        return (
          <Inline key={card.id} space="space.100" alignBlock="center">
            <Text>{`${card.title} — ${card.status}${card.owner ? ` (${mine ? 'you' : card.owner})` : ''}`}</Text>
            <Button onClick={() => run(advance(card.id))}>{`Advance ${card.title}`}</Button>
            <Button isDisabled={me === null} onClick={() => run(take(card.id, mine ? null : me))}>
              {mine ? `Drop ${card.title}` : `Take ${card.title}`}
            </Button>
            <Button appearance="subtle" onClick={() => run(remove(card.id))}>{`Delete ${card.title}`}</Button>
          </Inline>
        );
      })}
      <Button appearance="primary" onClick={() => run(addCard(newId(), `Card ${nextNumber}`))}>
        Add
      </Button>
      {error ? <Text>{error}</Text> : null}
    </Stack>
  );
}

ForgeReconciler.render(<Board />);

// The playground's inspector reads the replica through the module's exports.
export { replica } from './replica';
