import React from 'react';
import ForgeReconciler from '@forge/react';
import { events, invoke } from '@forge/bridge';

// The Forge docs' handshake: announce the count on start and answer every feed that asks.
// (The hand-written pattern bgstore replaces; later issues rebuild this app on the store.)
type CountResult = { count?: number };
let count = 0;
const announce = () => events.emit('example.count', { count });
const take = (result: unknown) => {
  const next = (result as CountResult).count;
  if (typeof next === 'number') count = next;
  return announce();
};

void events.on('example.request', () => announce());
void events.on('example.increment', async () => take(await invoke('increment')));
void invoke('getCount').then(take);

ForgeReconciler.render(<React.Fragment />);
