// A module that subscribes and publishes on global Realtime channels through the real @forge/bridge.
import { realtime } from '@forge/bridge';

const received: unknown[] = [];

export async function subscribe(channel: string, token?: string): Promise<string> {
  try {
    await realtime.subscribeGlobal(channel, (payload: unknown) => void received.push(payload), token ? { token } : undefined);
    return 'subscribed';
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
export const publish = (channel: string, payload: Record<string, unknown>, token?: string) => realtime.publishGlobal(channel, payload, token ? { token } : undefined);
export const log = () => received;
