import { events as bridgeEvents } from '@forge/bridge';
import type { Transport } from '@bgstore/core';

/** The part of `@forge/bridge`'s `events` a transport needs. */
export interface BridgeEvents {
  emit(event: string, payload?: unknown): Promise<unknown> | unknown;
  on(event: string, callback: (payload: unknown) => unknown): Promise<{ unsubscribe(): void }> | { unsubscribe(): void };
}

/**
 * A bgstore transport over `@forge/bridge` events: same page, JSON, unbuffered. bgstore's protocol
 * copes with everything those do not promise (order, delivery, self-delivery).
 * @example
 * createHost(board, { transport: createBridgeTransport() });
 */
export function createBridgeTransport(events: BridgeEvents = bridgeEvents as unknown as BridgeEvents): Transport {
  return {
    emit: (event, payload) => events.emit(event, payload) as Promise<unknown>,
    on: (event, handler) => events.on(event, (payload) => handler(payload)),
  };
}
