// A module of a signed-in user who tries to make other pages apply a change nobody committed: it
// loads the store's grant like any page, then publishes a forged change on the store's channel.
import { invoke, realtime } from '@forge/bridge';

export async function forge(card: string): Promise<unknown[]> {
  const loaded = (await invoke('bgstore.load', { store: 'board', realtime: true })) as { revision: number; realtime: { channel: string; token: string } };
  const change = { v: 1, store: 'board', base: loaded.revision, revision: loaded.revision + 1, patches: [{ op: 'add', path: ['cards', 0], value: { id: card, title: 'forged' } }] };
  // With no token, and with its own (subscribe-only) token.
  return [await realtime.publishGlobal(loaded.realtime.channel, change), await realtime.publishGlobal(loaded.realtime.channel, change, { token: loaded.realtime.token })];
}
