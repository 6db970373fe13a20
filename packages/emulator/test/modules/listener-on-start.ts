// Subscribes at import and emits `ready`: a module whose start order matters.
import { events } from '@forge/bridge';

export const seen: unknown[] = [];
void events.on('ping', (payload: unknown) => {
  seen.push(payload);
  return events.emit('pong', payload);
});
void events.emit('ready', { at: 'start' });
