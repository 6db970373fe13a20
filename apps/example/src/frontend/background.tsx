import React from 'react';
import ForgeReconciler from '@forge/react';
import { events, invoke } from '@forge/bridge';

// The Forge docs' handshake: announce the count on start and answer every feed that asks.
let count = 0;
const announce = () => events.emit('example.count', { count });

void events.on('example.request', () => announce());
void events.on('example.increment', async () => {
  const result = await invoke<{ count?: number }>('increment');
  if (typeof result.count === 'number') count = result.count;
  await announce();
});
void invoke<{ count: number }>('getCount').then((r) => {
  count = r.count;
  return announce();
});

ForgeReconciler.render(<React.Fragment />);
